//! Test support: the test PostgreSQL server, throwaway databases, message builders.
#![allow(dead_code)]

use airbyte_sdk::testkit::{Output, TestDir, check_with_official_models, run_binary};
use serde_json::{Value, json};
use tokio_postgres::{Client, NoTls};

pub const BIN: &str = env!("CARGO_BIN_EXE_destination-postgres");

/// The server's URL; fails with instructions when it is not set up.
pub fn server_url() -> String {
    std::env::var("AIRBYTE_TEST_PG_URL").unwrap_or_else(|_| {
        panic!("AIRBYTE_TEST_PG_URL is not set: run `scripts/pg.sh start` (it prints the URL) or the full `scripts/test.sh`")
    })
}

pub fn host_port() -> (String, u16) {
    let url = server_url();
    let host_port = url
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (host, port) = host_port.split_once(':').unwrap_or((&host_port, "5432"));
    (host.to_owned(), port.parse().expect("port"))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

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

pub async fn fresh_db(name: &str) -> Client {
    let admin = connect("postgres").await;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .expect("drop database");
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create database");
    connect(name).await
}

pub fn config(db: &str) -> Value {
    let (host, port) = host_port();
    json!({"host": host, "port": port, "database": db, "schema": "public", "username": "postgres", "password": "postgres", "ssl_mode": {"mode": "disable"}})
}

/// A configured stream.
pub fn stream(
    name: &str,
    mode: &str,
    properties: Value,
    pk: Option<&[&str]>,
    cursor: Option<&str>,
) -> Value {
    let mut s = json!({
        "stream": {"name": name, "json_schema": {"type": "object", "properties": properties}, "supported_sync_modes": ["full_refresh", "incremental"]},
        "sync_mode": if mode == "overwrite" { "full_refresh" } else { "incremental" },
        "destination_sync_mode": mode,
    });
    if let Some(pk) = pk {
        s["primary_key"] = json!(pk.iter().map(|k| vec![*k]).collect::<Vec<_>>());
    }
    if let Some(c) = cursor {
        s["cursor_field"] = json!([c]);
    }
    s
}

pub fn record(stream: &str, data: Value, emitted_at: i64) -> String {
    json!({"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": emitted_at}})
        .to_string()
}

pub fn state(id: i64) -> String {
    state_of("s", id)
}

/// A STREAM state of `stream` carrying the platform's `id`.
pub fn state_of(stream: &str, id: i64) -> String {
    format!(
        r#"{{"type":"STATE","state":{{"type":"STREAM","stream":{{"stream_descriptor":{{"name":"{stream}"}},"stream_state":{{"n":{id}}}}},"id":{id}}}}}"#
    )
}

/// Runs `write` with `lines` on stdin; every line printed must pass the official models.
pub fn write(
    dir: &TestDir,
    db: &str,
    config_override: Option<Value>,
    streams: Vec<Value>,
    lines: &[String],
) -> Output {
    let config = dir.write_json(
        "config.json",
        &config_override.unwrap_or_else(|| config(db)),
    );
    let catalog = dir.write_json("catalog.json", &json!({ "streams": streams }));
    let out = run_binary(
        BIN,
        &[
            "write",
            "--config",
            config.to_str().expect("path"),
            "--catalog",
            catalog.to_str().expect("path"),
        ],
        lines.join("\n").as_bytes(),
    );
    check_with_official_models(&out.stdout).unwrap_or_else(|r| panic!("official models: {r}"));
    out
}

/// Rows of `sql` as JSON values (one per row, via to_jsonb).
pub async fn rows(client: &Client, sql: &str) -> Vec<Value> {
    client
        .query(&format!("SELECT to_jsonb(q) FROM ({sql}) q"), &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get::<_, Value>(0))
        .collect()
}
