//! `source-postgres read | destination-postgres write` replicates the DVD
//! rental database: each table's row count and content match the source.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use airbyte_sdk::testkit::TestDir;
use common::*;
use serde_json::{Value, json};

/// The source binary, built beside this one (cargo test --workspace builds it).
fn source_bin() -> std::path::PathBuf {
    let path = std::path::Path::new(BIN).with_file_name("source-postgres");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p source-postgres`",
        path.display()
    );
    path
}

/// A canonical text of a JSON value: numbers by value (7.99 == 7.990000000).
fn canonical(v: &Value) -> String {
    match v {
        Value::Number(n) => {
            let t = n.to_string();
            if t.contains('.') {
                t.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                t
            }
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", canonical(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

#[test]
fn dvdrental_replicates_with_equal_counts_and_content() {
    let rt = runtime();
    let replica = rt.block_on(fresh_db("dvd_replica_e2e"));
    let dir = TestDir::new("e2e");
    let (host, port) = host_port();
    let source_config = dir.write_json("source.json", &json!({"host": host, "port": port, "database": "dvdrental", "username": "postgres", "password": "postgres", "ssl_mode": {"mode": "disable"}}));
    let dest_config = dir.write_json("dest.json", &config("dvd_replica_e2e"));
    let discovered = Command::new(source_bin())
        .args([
            "discover",
            "--config",
            source_config.to_str().expect("path"),
        ])
        .output()
        .expect("discover");
    let catalog: Value = String::from_utf8_lossy(&discovered.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|m| m["type"] == "CATALOG")
        .expect("catalog");
    let streams: Vec<Value> = catalog["catalog"]["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|s| {
            let dedup = s.get("source_defined_primary_key").is_some();
            json!({"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": if dedup { "append_dedup" } else { "overwrite" }})
        })
        .collect();
    let catalog = dir.write_json("catalog.json", &json!({ "streams": streams }));
    let catalog = catalog.to_str().expect("path");
    let read = Command::new(source_bin())
        .args([
            "read",
            "--config",
            source_config.to_str().expect("path"),
            "--catalog",
            catalog,
        ])
        .output()
        .expect("read");
    assert!(read.status.success());
    let mut write = Command::new(BIN)
        .args([
            "write",
            "--config",
            dest_config.to_str().expect("path"),
            "--catalog",
            catalog,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("write");
    write
        .stdin
        .take()
        .expect("stdin")
        .write_all(&read.stdout)
        .expect("pipe");
    let out = write.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    rt.block_on(async {
        let source = connect("dvdrental").await;
        for s in &streams {
            let table = s["stream"]["name"].as_str().expect("name");
            let columns: Vec<String> = s["stream"]["json_schema"]["properties"]
                .as_object()
                .expect("props")
                .keys()
                .map(|k| format!("\"{k}\""))
                .collect();
            let select = format!("SELECT {} FROM public.\"{table}\"", columns.join(", "));
            let mut left: Vec<String> =
                rows(&source, &select).await.iter().map(canonical).collect();
            let mut right: Vec<String> = rows(&replica, &select)
                .await
                .iter()
                .map(canonical)
                .collect();
            assert_eq!(left.len(), right.len(), "{table}: row count");
            left.sort();
            right.sort();
            // Dates, numerics, arrays (jsonb), bytea (hex text), timestamps: same values.
            let diff = left.iter().zip(&right).find(|(a, b)| a != b);
            assert!(diff.is_none(), "{table}: {diff:?}");
        }
    });
}
