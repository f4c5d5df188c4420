//! Test support: the test PostgreSQL server, throwaway databases, running the connector.
#![allow(dead_code)]

use airbyte_sdk::testkit::{Output, TestDir, check_with_official_models, run_binary};
use serde_json::{Value, json};
use tokio_postgres::{Client, NoTls};

pub const BIN: &str = env!("CARGO_BIN_EXE_source-postgres");

/// The server's URL; fails with instructions when it is not set up.
pub fn server_url() -> String {
    std::env::var("AIRBYTE_TEST_PG_URL").unwrap_or_else(|_| {
        panic!("AIRBYTE_TEST_PG_URL is not set: run `scripts/pg.sh start` (it prints the URL) or the full `scripts/test.sh`")
    })
}

/// (host, port) of the test server.
pub fn host_port() -> (String, u16) {
    let url = server_url();
    let after_at = url.rsplit('@').next().unwrap_or_default();
    let host_port = after_at.split('/').next().unwrap_or_default();
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "5432"));
    (host.to_owned(), port.parse().expect("port"))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Connects to database `db` of the test server.
pub async fn connect(db: &str) -> Client {
    let url = server_url();
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
    let (client, connection) = tokio_postgres::connect(&format!("{base}/{db}"), NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!("cannot connect to the test server at {url}: {e}; run `scripts/pg.sh start`")
        });
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A fresh database named `name` (dropped first if it exists), optionally from a template.
pub async fn fresh_db(name: &str, template: Option<&str>) -> Client {
    let admin = connect("postgres").await;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .expect("drop");
    let create = match template {
        Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
        None => format!("CREATE DATABASE \"{name}\""),
    };
    admin.batch_execute(&create).await.expect("create database");
    connect(name).await
}

/// A connector config for database `db`.
pub fn config(db: &str) -> Value {
    let (host, port) = host_port();
    json!({"host": host, "port": port, "database": db, "username": "postgres", "password": "postgres", "schemas": ["public"], "ssl_mode": {"mode": "disable"}})
}

/// Runs the connector; every line it prints must pass the official models.
pub fn run(args: &[&str]) -> Output {
    let out = run_binary(BIN, args, b"");
    assert!(
        out.invalid_lines.is_empty(),
        "invalid lines: {:?}",
        out.invalid_lines
    );
    if let Err(report) = check_with_official_models(&out.stdout) {
        panic!("the official models reject our output: {report}");
    }
    out
}

/// The discovered catalog, configured with `mode` for every stream (or only `only`).
pub fn configured(
    dir: &TestDir,
    config_path: &str,
    mode: &str,
    only: Option<&[&str]>,
    cursor: Option<&str>,
) -> String {
    let out = run(&["discover", "--config", config_path]);
    let catalog = out.catalog().expect("catalog");
    let streams: Vec<Value> = catalog
        .streams
        .iter()
        .filter(|s| only.is_none_or(|o| o.contains(&s.name.as_str())))
        .map(|s| {
            let mut c = json!({"stream": s, "sync_mode": mode, "destination_sync_mode": "append"});
            if let Some(cursor) = cursor {
                c["cursor_field"] = json!([cursor]);
            }
            c
        })
        .collect();
    dir.write_json("catalog.json", &json!({ "streams": streams }))
        .display()
        .to_string()
}
