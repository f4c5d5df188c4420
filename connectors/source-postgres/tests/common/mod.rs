//! Test support: the test PostgreSQL server, throwaway databases, running the connector.
#![allow(dead_code, unused_imports)]

use airbyte_sdk::testkit::{Output, TestDir, check_with_official_models, run_binary};
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_source-postgres");

pub use airbyte_postgres_common::testing::{connect, fresh_db, host_port, runtime, server_url};

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
