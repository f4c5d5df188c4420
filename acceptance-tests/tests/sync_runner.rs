//! The sync runner with real connectors: the example source (generator) into
//! the example destination (JSONL files), both run as binaries.
//!
//! The binaries are the workspace's own, next to this test's executable
//! (`cargo test --workspace` builds them; otherwise run
//! `cargo build -p example-source-generator -p example-destination-jsonl`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use airbyte_acceptance_tests::{
    Connector, Error, SyncArgs, SyncOptions, SyncSummary, Validation, run_cli, run_sync,
};
use airbyte_protocol::{DestinationSyncMode, SyncMode};
use airbyte_sdk::testkit::TestDir;
use clap::Parser;
use serde_json::{Value, json};

/// The folder of the workspace's binaries: `target/<profile>`, the parent of
/// this test's `deps` folder.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build -p example-source-generator -p example-destination-jsonl` first \
         (`cargo test --workspace` builds it)",
        path.display()
    );
    path
}

/// A sync of `count` rows per stream into `dir/out`, with the state in `dir/state.json`.
fn options(dir: &TestDir, source_config: Value) -> SyncOptions {
    let mut options = SyncOptions::new(
        Connector::Binary(binary("example-source-generator")),
        source_config,
        Connector::Binary(binary("example-destination-jsonl")),
        json!({ "destination_path": dir.path().join("out") }),
    );
    options.state_file = Some(state_path(dir));
    options.progress = false;
    options
}

fn state_path(dir: &TestDir) -> PathBuf {
    dir.path().join("state.json")
}

/// The rows the destination wrote for `stream`.
fn rows(dir: &TestDir, stream: &str) -> Vec<Value> {
    let path = dir.path().join("out").join(format!("{stream}.jsonl"));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter()
        .map(|r| r["data"]["id"].as_i64().expect("an integer id"))
        .collect()
}

/// The state file: a JSON array of state messages.
fn saved_states(dir: &TestDir) -> Vec<Value> {
    let text = std::fs::read_to_string(state_path(dir)).expect("the state file exists");
    serde_json::from_str::<Value>(&text)
        .expect("JSON")
        .as_array()
        .expect("an array")
        .clone()
}

/// The saved `stream_state` of each STREAM state, by stream name.
fn cursors(states: &[Value]) -> Vec<(String, Value)> {
    states
        .iter()
        .map(|s| {
            assert_eq!(s["type"], "STREAM", "{s}");
            (
                s["stream"]["stream_descriptor"]["name"]
                    .as_str()
                    .expect("a name")
                    .to_owned(),
                s["stream"]["stream_state"].clone(),
            )
        })
        .collect()
}

/// The generator's `updated_at` for row `i`, while `i < 60`.
fn timestamp(i: u64) -> String {
    format!("2024-01-01T00:{i:02}:00Z")
}

fn counts(summary: &SyncSummary, stream: &str) -> (u64, u64, u64) {
    let s = summary
        .stream(stream)
        .unwrap_or_else(|| panic!("no `{stream}` in {summary:?}"));
    (s.emitted, s.committed, s.invalid)
}

#[test]
fn emitted_and_committed_counts_match_the_destination_rows() {
    let dir = TestDir::new("sync-counts");
    let summary = run_sync(&options(&dir, json!({"count": 7}))).expect("the sync succeeds");
    for stream in ["users", "purchases"] {
        let written = rows(&dir, stream).len() as u64;
        assert_eq!(written, 7, "{stream}");
        assert_eq!(counts(&summary, stream), (written, written, 0), "{stream}");
    }
    assert_eq!(summary.streams.len(), 2);
    assert_eq!(summary.total().committed, 14);
    assert_eq!(
        summary.state_file.as_deref(),
        Some(state_path(&dir).as_path())
    );
    let table = summary.to_string();
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().eq(["users", "7", "7", "0"])),
        "{table}"
    );
}

#[test]
fn the_state_file_holds_the_echoed_states_without_the_runner_ids() {
    let dir = TestDir::new("sync-state");
    run_sync(&options(&dir, json!({"count": 5}))).expect("the sync succeeds");
    let states = saved_states(&dir);
    for state in &states {
        assert!(
            state.get("id").is_none(),
            "the runner's id was persisted: {state}"
        );
        assert_eq!(state["destinationStats"]["recordCount"], 5.0, "{state}");
    }
    assert_eq!(
        cursors(&states),
        [
            ("users".to_owned(), generator_state(timestamp(4))),
            ("purchases".to_owned(), generator_state(timestamp(4)))
        ]
    );
}

#[test]
fn an_incremental_sync_resumes_from_the_state_file_with_dedup() {
    let dir = TestDir::new("sync-resume-dedup");
    let first = run_sync(&options(&dir, json!({"count": 5}))).expect("the first sync succeeds");
    assert_eq!(counts(&first, "users"), (5, 5, 0));
    let second = run_sync(&options(&dir, json!({"count": 8}))).expect("the second sync succeeds");
    for stream in ["users", "purchases"] {
        assert_eq!(counts(&second, stream), (3, 3, 0), "{stream}");
        let mut ids = ids(&rows(&dir, stream));
        ids.sort_unstable();
        assert_eq!(ids, (0..8).collect::<Vec<_>>(), "{stream}");
    }
    assert_eq!(
        cursors(&saved_states(&dir))[0].1,
        generator_state(timestamp(7))
    );
    // Nothing new: nothing emitted, and the cursor stays.
    let third = run_sync(&options(&dir, json!({"count": 8}))).expect("the third sync succeeds");
    assert_eq!(third.total().emitted, 0);
    assert_eq!(
        cursors(&saved_states(&dir))[1].1,
        generator_state(timestamp(7))
    );
}

#[test]
fn an_incremental_sync_resumes_from_the_state_file_with_append() {
    let dir = TestDir::new("sync-resume-append");
    let mut opts = options(&dir, json!({"count": 5}));
    opts.choices.destination_sync_mode = Some(DestinationSyncMode::Append);
    run_sync(&opts).expect("the first sync succeeds");
    opts.source_config = json!({"count": 8});
    let second = run_sync(&opts).expect("the second sync succeeds");
    for stream in ["users", "purchases"] {
        assert_eq!(counts(&second, stream), (3, 3, 0), "{stream}");
        // 5 rows, then the 3 new ones appended.
        assert_eq!(
            ids(&rows(&dir, stream)),
            [0, 1, 2, 3, 4, 5, 6, 7],
            "{stream}"
        );
    }
}

#[test]
fn a_full_refresh_overwrites_and_only_chosen_streams_advance() {
    let dir = TestDir::new("sync-full-refresh");
    run_sync(&options(&dir, json!({"count": 5}))).expect("the incremental sync succeeds");
    let mut opts = options(&dir, json!({"count": 6}));
    opts.choices.streams = Some(vec!["users".to_owned()]);
    opts.choices.sync_mode = Some(SyncMode::FullRefresh);
    let summary = run_sync(&opts).expect("the full refresh succeeds");
    assert_eq!(summary.streams.len(), 1);
    assert_eq!(counts(&summary, "users"), (6, 6, 0));
    assert_eq!(ids(&rows(&dir, "users")), [0, 1, 2, 3, 4, 5], "overwritten");
    assert_eq!(rows(&dir, "purchases").len(), 5, "not synced");
    // `users` advanced; `purchases` kept its state from the first sync.
    assert_eq!(
        cursors(&saved_states(&dir)),
        [
            ("users".to_owned(), generator_state(timestamp(5))),
            ("purchases".to_owned(), generator_state(timestamp(4)))
        ]
    );
}

/// `cargo airbyte sync` flags, parsed as the binary parses them.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sync: SyncArgs,
}

/// Config files, and a configured catalog whose `users` schema wrongly says `id` is a string.
fn cli_args(dir: &TestDir, validation: &str) -> SyncArgs {
    let source_config = dir.write_json("source.json", &json!({"count": 5}));
    let destination_config = dir.write_json(
        "destination.json",
        &json!({"destination_path": dir.path().join("out")}),
    );
    let stream = |name: &str, id_type: &str| {
        json!({
            "stream": {
                "name": name,
                "json_schema": {"type": "object", "properties": {"id": {"type": id_type}, "updated_at": {"type": "string"}}},
                "supported_sync_modes": ["full_refresh", "incremental"],
                "default_cursor_field": ["updated_at"],
                "source_defined_primary_key": [["id"]]
            },
            "sync_mode": "incremental",
            "cursor_field": ["updated_at"],
            "destination_sync_mode": "append_dedup",
            "primary_key": [["id"]]
        })
    };
    let catalog = dir.write_json(
        "catalog.json",
        &json!({"streams": [stream("users", "string"), stream("purchases", "integer")]}),
    );
    let path = |p: &Path| p.display().to_string();
    let cli = Cli::parse_from([
        "sync".to_owned(),
        "--source".to_owned(),
        path(&binary("example-source-generator")),
        "--source-config".to_owned(),
        path(&source_config),
        "--destination".to_owned(),
        path(&binary("example-destination-jsonl")),
        "--destination-config".to_owned(),
        path(&destination_config),
        "--catalog".to_owned(),
        path(&catalog),
        "--state-file".to_owned(),
        path(&state_path(dir)),
        "--validation".to_owned(),
        validation.to_owned(),
        "--no-progress".to_owned(),
    ]);
    cli.sync
}

#[test]
fn invalid_records_are_counted_under_warn() {
    let dir = TestDir::new("sync-validation-warn");
    let options = cli_args(&dir, "warn")
        .to_options()
        .expect("the files are valid");
    assert_eq!(options.validation, Validation::Warn);
    let summary = run_sync(&options).expect("the sync succeeds despite invalid records");
    assert_eq!(counts(&summary, "users"), (5, 5, 5));
    assert_eq!(counts(&summary, "purchases"), (5, 5, 0));
    assert_eq!(rows(&dir, "users").len(), 5);
}

#[test]
fn an_invalid_record_stops_the_sync_under_fail() {
    let dir = TestDir::new("sync-validation-fail");
    let options = cli_args(&dir, "fail")
        .to_options()
        .expect("the files are valid");
    let err = run_sync(&options).expect_err("the sync fails");
    let Error::Sync(message) = &err else {
        panic!("not a sync failure: {err}")
    };
    assert!(
        message.contains("record 1 of stream `users`") && message.contains("string"),
        "{message}"
    );
    // Nothing was committed: no state advanced.
    assert_eq!(saved_states(&dir), Vec::<Value>::new());
    assert!(rows(&dir, "users").is_empty());
    // And the command exits non-zero.
    assert_eq!(run_cli(cli_args(&dir, "fail")), ExitCode::FAILURE);
}

#[test]
fn a_failing_source_fails_the_sync_but_keeps_what_was_committed() {
    let dir = TestDir::new("sync-source-fails");
    // The generator, with `users` failing as a source's stream fails: its
    // records and states never come, its status is INCOMPLETE, and a
    // transient error ends the read with exit code 1.
    let failing = dir.write_text(
        "failing-source.sh",
        &format!(
            r#"#!/bin/sh
[ "$1" = read ] || exec '{real}' "$@"
'{real}' "$@" | awk '/"stream":"users"|"name":"users"/ && !/"status":"STARTED"/ {{ next }} {{ print }}'
echo '{{"type":"TRACE","trace":{{"type":"STREAM_STATUS","emitted_at":1,"stream_status":{{"stream_descriptor":{{"name":"users"}},"status":"INCOMPLETE"}}}}}}'
echo '{{"type":"TRACE","trace":{{"type":"ERROR","emitted_at":1,"error":{{"message":"users failed","failure_type":"transient_error","stream_descriptor":{{"name":"users"}}}}}}}}'
exit 1
"#,
            real = binary("example-source-generator").display()
        ),
    );
    std::fs::set_permissions(&failing, PermissionsExt::from_mode(0o755)).expect("chmod");
    let mut options = options(&dir, json!({"count": 5}));
    options.source = Connector::Binary(failing);
    let err = run_sync(&options).expect_err("the sync fails");
    let Error::Sync(message) = &err else {
        panic!("not a sync failure: {err}")
    };
    assert!(
        message.contains("transient_error") && message.contains("exit code"),
        "{message}"
    );
    // `purchases` was read and committed; `users` failed before any state.
    assert_eq!(rows(&dir, "purchases").len(), 5);
    assert_eq!(
        cursors(&saved_states(&dir)),
        [("purchases".to_owned(), generator_state(timestamp(4)))]
    );
}

/// The state example-source-generator writes after the row with `updated_at`
/// (its `Incremental` cursor state: one row per timestamp).
fn generator_state(updated_at: impl Into<serde_json::Value>) -> serde_json::Value {
    json!({"cursor_field": ["updated_at"], "cursor": updated_at.into(), "cursor_record_count": 1})
}
