//! Incremental streams without a cursor are read as full refreshes.
//!
//! Regression test: PyAirbyte configures every stream as `incremental` with the
//! stream's default cursor, and a table has none; the read failed with "stream
//! `public.film` is incremental but has no single cursor column" (exit 1). Now
//! such a stream is read as a full refresh with a WARN log naming it, and a
//! cursor given by the catalog still gives an incremental read.

mod common;

use airbyte_sdk::protocol::LogLevel;
use airbyte_sdk::testkit::{Output, TestDir};
use common::*;
use serde_json::Value;

fn count(out: &Output, stream: &str) -> usize {
    out.records().iter().filter(|r| r.stream == stream).count()
}

fn warnings(out: &Output) -> Vec<String> {
    out.logs()
        .iter()
        .filter(|l| l.level == LogLevel::Warn)
        .map(|l| l.message.clone())
        .collect()
}

/// The last state blob of `stream`.
fn final_state(out: &Output, stream: &str) -> Value {
    out.final_states()
        .iter()
        .filter_map(|s| s.stream.as_ref())
        .find(|s| s.stream_descriptor.name == stream)
        .and_then(|s| s.stream_state.as_ref())
        .map(|blob| blob.parse().expect("a JSON state"))
        .unwrap_or_else(|| panic!("no state for {stream}: {}", out.stdout))
}

#[test]
fn dvdrental_tables_configured_incremental_without_cursor_are_read_in_full() {
    let rt = runtime();
    let expected: Vec<(&str, i64)> = rt.block_on(async {
        let db = connect("dvdrental").await;
        let mut counts = Vec::new();
        for table in ["film", "payment", "rental"] {
            let n: i64 = db
                .query_one(&format!("SELECT count(*) FROM public.{table}"), &[])
                .await
                .expect("count")
                .get(0);
            counts.push((table, n));
        }
        counts
    });
    let dir = TestDir::new("pg-readmode");
    let config = dir.write_json("config.json", &config("dvdrental"));
    let config = config.to_str().expect("path");
    // As PyAirbyte asks: incremental, no cursor_field (tables have no default cursor).
    let catalog = configured(
        &dir,
        config,
        "incremental",
        Some(&["film", "payment", "rental"]),
        None,
    );
    let out = run(&["read", "--config", config, "--catalog", &catalog]);
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    let warnings = warnings(&out);
    for (table, n) in &expected {
        assert_eq!(count(&out, table) as i64, *n, "rows of {table}");
        assert!(
            warnings.iter().any(|w| w.contains(&format!(
                "stream `public.{table}` is configured as incremental"
            )) && w.contains("reading it as a full refresh")),
            "no warning for {table}: {warnings:?}"
        );
        assert_eq!(final_state(&out, table)["state_type"], "complete");
    }
}

#[test]
fn a_catalog_cursor_still_reads_incrementally() {
    let rt = runtime();
    rt.block_on(async {
        let db = fresh_db("src_readmode", None).await;
        db.batch_execute(
            "CREATE TABLE items (id int PRIMARY KEY, updated_at timestamptz);
             INSERT INTO items SELECT g, '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 10) g;
             CREATE VIEW items_view AS SELECT * FROM items;",
        )
        .await
        .expect("setup");
    });
    let dir = TestDir::new("pg-readmode-cursor");
    let config = dir.write_json("config.json", &config("src_readmode"));
    let config = config.to_str().expect("path");
    let catalog = configured(
        &dir,
        config,
        "incremental",
        Some(&["items", "items_view"]),
        Some("updated_at"),
    );
    // The view keeps no cursor: it is read in full, the table incrementally.
    let mut both: Value =
        serde_json::from_str(&std::fs::read_to_string(&catalog).expect("catalog")).expect("json");
    for stream in both["streams"].as_array_mut().expect("streams") {
        if stream["stream"]["name"] == "items_view" {
            stream
                .as_object_mut()
                .expect("object")
                .remove("cursor_field");
        }
    }
    let catalog = dir.write_json("catalog.json", &both).display().to_string();
    let first = run(&["read", "--config", config, "--catalog", &catalog]);
    assert_eq!(first.exit_code, 0, "{}", first.stdout);
    assert_eq!(count(&first, "items"), 10);
    let state = final_state(&first, "items");
    assert_eq!(state["state_type"], "cursor_based", "{state}");
    assert_eq!(state["cursor_field"], serde_json::json!(["updated_at"]));
    // The view without a cursor: read in full, with a warning.
    assert_eq!(count(&first, "items_view"), 10);
    assert_eq!(final_state(&first, "items_view")["state_type"], "complete");
    let warnings = warnings(&first);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`public.items_view`") && w.contains("full refresh")),
        "{warnings:?}"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("`public.items`")),
        "{warnings:?}"
    );

    // The second read starts from the saved cursor: only the new row.
    rt.block_on(async {
        connect("src_readmode")
            .await
            .batch_execute("INSERT INTO items VALUES (11, '2025-01-01')")
            .await
            .expect("insert");
    });
    let state_path = dir.write_json("state.json", &first.final_states());
    let second = run(&[
        "read",
        "--config",
        config,
        "--catalog",
        &catalog,
        "--state",
        state_path.to_str().expect("path"),
    ]);
    assert_eq!(second.exit_code, 0, "{}", second.stdout);
    assert_eq!(count(&second, "items"), 1, "{}", second.stdout);
    assert_eq!(count(&second, "items_view"), 11);
}
