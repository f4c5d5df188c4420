//! Test support: the test PostgreSQL server, throwaway databases, message builders.
#![allow(dead_code, unused_imports)]

use airbyte_sdk::testkit::{Output, TestDir, check_with_official_models, run_binary};
use serde_json::{Value, json};
use tokio_postgres::Client;

pub const BIN: &str = env!("CARGO_BIN_EXE_destination-postgres");

pub use airbyte_postgres_common::testing::{connect, host_port, runtime, server_url};

/// A fresh, empty database `name`.
pub async fn fresh_db(name: &str) -> Client {
    airbyte_postgres_common::testing::fresh_db(name, None).await
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
