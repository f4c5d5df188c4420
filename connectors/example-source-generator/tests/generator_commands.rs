//! The example source answers every command per the protocol (run as a binary).

use airbyte_sdk::protocol::{ConnectionStatus, FailureType};
use airbyte_sdk::testkit::{Output, TestDir, check_with_official_models, run_binary};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_example-source-generator");
const SECRET: &str = "sk-live-Do-Not-Leak-42\"quoted";

fn run(args: &[&str]) -> Output {
    let out = run_binary(BIN, args, b"");
    assert!(
        out.invalid_lines.is_empty(),
        "invalid lines: {:?}",
        out.invalid_lines
    );
    if let Err(report) = check_with_official_models(&out.stdout) {
        panic!(
            "the official models reject our output:\n{report}\n{}",
            out.stdout
        );
    }
    out
}

fn catalog(dir: &TestDir, mode: &str) -> String {
    let streams: Vec<Value> = ["users", "purchases"]
        .iter()
        .map(|name| {
            json!({
                "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"], "default_cursor_field": ["updated_at"]},
                "sync_mode": mode, "cursor_field": ["updated_at"], "destination_sync_mode": "append"
            })
        })
        .collect();
    dir.write_json(
        &format!("catalog-{mode}.json"),
        &json!({ "streams": streams }),
    )
    .display()
    .to_string()
}

/// Stdout exactly as printed, with the clock redacted.
fn snapshot_value(out: &Output) -> String {
    const KEY: &str = "\"emitted_at\":";
    let mut text = String::with_capacity(out.stdout.len());
    let mut rest = out.stdout.as_str();
    while let Some(i) = rest.find(KEY) {
        text.push_str(&rest[..i + KEY.len()]);
        rest = &rest[i + KEY.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        text.push_str("\"[emitted_at]\"");
        rest = &rest[end..];
    }
    text.push_str(rest);
    text
}

#[test]
fn spec() {
    let out = run(&["spec"]);
    assert_eq!(out.exit_code, 0);
    insta::assert_snapshot!("spec", snapshot_value(&out));
}

#[test]
fn check_succeeds_and_fails() {
    let dir = TestDir::new("gen-check");
    let ok = dir.write_json("ok.json", &json!({"count": 3}));
    let out = run(&["check", "--config", ok.to_str().expect("path")]);
    assert_eq!(
        out.connection_status().map(|s| s.status),
        Some(ConnectionStatus::Succeeded)
    );
    insta::assert_snapshot!("check_succeeded", snapshot_value(&out));
    let invalid = dir.write_json("invalid.json", &json!({"count": -1}));
    let out = run(&["check", "--config", invalid.to_str().expect("path")]);
    assert_eq!(out.exit_code, 0);
    insta::assert_snapshot!("check_invalid_config", snapshot_value(&out));
}

#[test]
fn discover() {
    let dir = TestDir::new("gen-discover");
    let config = dir.write_json("c.json", &json!({}));
    let out = run(&["discover", "--config", config.to_str().expect("path")]);
    assert_eq!(out.exit_code, 0);
    insta::assert_snapshot!("discover", snapshot_value(&out));
}

#[test]
fn full_refresh_read() {
    let dir = TestDir::new("gen-read");
    let config = dir.write_json("c.json", &json!({"count": 3}));
    let out = run(&[
        "read",
        "--config",
        config.to_str().expect("path"),
        "--catalog",
        &catalog(&dir, "full_refresh"),
    ]);
    assert_eq!(out.exit_code, 0);
    assert_eq!(out.records().len(), 6);
    insta::assert_snapshot!("read_full_refresh", snapshot_value(&out));
}

#[test]
fn incremental_reads_resume_from_state() {
    let dir = TestDir::new("gen-incr");
    let small = dir.write_json("small.json", &json!({"count": 5}));
    let catalog = catalog(&dir, "incremental");
    let first = run(&[
        "read",
        "--config",
        small.to_str().expect("path"),
        "--catalog",
        &catalog,
    ]);
    assert_eq!(first.records().len(), 10);
    let state = dir.write_json("state.json", &first.final_states());
    // Same data: nothing new.
    let again = run(&[
        "read",
        "--config",
        small.to_str().expect("path"),
        "--catalog",
        &catalog,
        "--state",
        state.to_str().expect("path"),
    ]);
    assert_eq!(again.exit_code, 0);
    assert!(again.records().is_empty(), "{}", again.stdout);
    assert_eq!(again.states().len(), 2, "empty streams still checkpoint");
    // More rows at the source: only the new ones.
    let bigger = dir.write_json("bigger.json", &json!({"count": 8}));
    let more = run(&[
        "read",
        "--config",
        bigger.to_str().expect("path"),
        "--catalog",
        &catalog,
        "--state",
        state.to_str().expect("path"),
    ]);
    let ids: Vec<i64> = more
        .records()
        .iter()
        .filter(|r| r.stream == "users")
        .map(|r| r.data.to_map()["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [5, 6, 7]);
    insta::assert_snapshot!("read_incremental_second", snapshot_value(&more));
}

#[test]
fn the_secret_is_masked_everywhere() {
    let dir = TestDir::new("gen-secret");
    let good = dir.write_json("c.json", &json!({"count": 2, "api_key": SECRET}));
    let check = run(&["check", "--config", good.to_str().expect("path")]);
    assert_eq!(
        check.connection_status().map(|s| s.status),
        Some(ConnectionStatus::Succeeded)
    );
    let read = run(&[
        "read",
        "--config",
        good.to_str().expect("path"),
        "--catalog",
        &catalog(&dir, "full_refresh"),
    ]);
    assert_eq!(read.records().len(), 4);
    // An invalid config is reported with the secret beside the bad value.
    let bad = dir.write_json("bad.json", &json!({"count": "two", "api_key": SECRET}));
    let failed = run(&["check", "--config", bad.to_str().expect("path")]);
    assert_eq!(
        failed.connection_status().map(|s| s.status),
        Some(ConnectionStatus::Failed)
    );
    let discover = run(&["discover", "--config", bad.to_str().expect("path")]);
    assert_eq!(discover.exit_code, 1);
    assert_eq!(
        discover.errors()[0].failure_type,
        Some(FailureType::ConfigError)
    );
    let escaped = serde_json::to_string(SECRET).expect("json");
    for out in [&check, &read, &failed, &discover] {
        for text in [&out.stdout, &out.stderr] {
            assert!(
                !text.contains(SECRET) && !text.contains(&escaped[1..escaped.len() - 1]),
                "secret leaked:\n{text}"
            );
            assert!(
                !text.contains("sk-live-Do-Not-Leak"),
                "part of the secret leaked:\n{text}"
            );
        }
    }
}
