//! The example destination, run as a binary: every sync mode, state after
//! commit on a live pipe, and a kill in the middle of a sync.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use airbyte_sdk::protocol::AirbyteMessage;
use airbyte_sdk::testkit::{TestDir, check_with_official_models, run_binary};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_example-destination-jsonl");

fn setup(dir: &TestDir, mode: &str) -> (String, String) {
    let config = dir.write_json(
        "config.json",
        &json!({"destination_path": dir.path().join("out")}),
    );
    let catalog = dir.write_json(
        &format!("catalog-{mode}.json"),
        &json!({"streams": [{
            "stream": {"name": "users", "namespace": "public", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
            "sync_mode": "incremental", "destination_sync_mode": mode, "primary_key": [["id"]], "cursor_field": ["v"]
        }]}),
    );
    (config.display().to_string(), catalog.display().to_string())
}

fn record(id: i64, v: i64) -> String {
    format!(
        r#"{{"type":"RECORD","record":{{"namespace":"public","stream":"users","data":{{"id":{id},"v":{v},"n":1.10}},"emitted_at":{}}}}}"#,
        1000 + v
    )
}

fn state(id: i64) -> String {
    format!(
        r#"{{"type":"STATE","state":{{"type":"STREAM","stream":{{"stream_descriptor":{{"name":"users","namespace":"public"}},"stream_state":{{"k":{id}}}}},"id":{id}}}}}"#
    )
}

fn rows(dir: &TestDir) -> Vec<Value> {
    let text =
        std::fs::read_to_string(dir.path().join("out/public.users.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("row")["data"].clone())
        .collect()
}

fn write(dir: &TestDir, mode: &str, input: &[String]) -> airbyte_sdk::testkit::Output {
    let (config, catalog) = setup(dir, mode);
    let out = run_binary(
        BIN,
        &["write", "--config", &config, "--catalog", &catalog],
        input.join("\n").as_bytes(),
    );
    assert_eq!(out.exit_code, 0, "{}\n{}", out.stdout, out.stderr);
    check_with_official_models(&out.stdout).expect("official models");
    out
}

#[test]
fn append_keeps_everything_and_echoes_states() {
    let dir = TestDir::new("jsonl-append");
    let out = write(
        &dir,
        "append",
        &[record(1, 1), record(2, 1), state(1), record(1, 2)],
    );
    let out2 = write(&dir, "append", &[record(3, 1), state(2)]);
    assert_eq!(rows(&dir).len(), 4);
    assert_eq!(rows(&dir)[0], json!({"id": 1, "v": 1, "n": 1.10}));
    assert!(
        std::fs::read_to_string(dir.path().join("out/public.users.jsonl"))
            .expect("file")
            .contains(r#""n":1.10"#),
        "numbers are kept as text"
    );
    assert_eq!(out.states().len() + out2.states().len(), 2);
    insta::assert_snapshot!("append_echo", out.stdout);
}

#[test]
fn overwrite_replaces_the_data() {
    let dir = TestDir::new("jsonl-overwrite");
    write(&dir, "overwrite", &[record(1, 1), record(2, 1), state(1)]);
    write(&dir, "overwrite", &[record(9, 1), state(2)]);
    assert_eq!(rows(&dir), [json!({"id": 9, "v": 1, "n": 1.10})]);
}

#[test]
fn append_dedup_keeps_the_newest_per_key() {
    let dir = TestDir::new("jsonl-dedup");
    write(
        &dir,
        "append_dedup",
        &[record(1, 5), record(2, 1), record(1, 3), state(1)],
    );
    write(
        &dir,
        "append_dedup",
        &[record(2, 7), record(3, 1), record(1, 4), state(2)],
    );
    let mut got: Vec<(i64, i64)> = rows(&dir)
        .iter()
        .map(|r| (r["id"].as_i64().expect("id"), r["v"].as_i64().expect("v")))
        .collect();
    got.sort();
    assert_eq!(got, [(1, 5), (2, 7), (3, 1)]);
}

#[test]
fn each_state_is_echoed_only_after_its_records_are_in_the_file() {
    let dir = TestDir::new("jsonl-live");
    let (config, catalog) = setup(&dir, "append");
    let mut child = Command::new(BIN)
        .args(["write", "--config", &config, "--catalog", &catalog])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    for round in 1..=5i64 {
        for i in 0..round * 10 {
            writeln!(stdin, "{}", record(round * 1000 + i, 1)).expect("write");
        }
        writeln!(stdin, "{}", state(round)).expect("write");
        stdin.flush().expect("flush");
        // Wait for the echo, then look at the file: every record sent so far is there.
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read");
        let echoed: AirbyteMessage = serde_json::from_str(&line).expect("message");
        assert_eq!(
            echoed
                .state
                .as_ref()
                .and_then(|s| s.extra.get_as::<i64>("id").ok().flatten()),
            Some(round)
        );
        let ids: BTreeSet<i64> = rows(&dir)
            .iter()
            .map(|r| r["id"].as_i64().expect("id"))
            .collect();
        for r in 1..=round {
            for i in 0..r * 10 {
                assert!(
                    ids.contains(&(r * 1000 + i)),
                    "record {} missing when state {round} was echoed",
                    r * 1000 + i
                );
            }
        }
    }
    drop(stdin);
    assert!(child.wait().expect("wait").success());
}

#[test]
fn a_kill_mid_sync_leaves_every_record_of_the_last_echoed_state_committed() {
    let dir = TestDir::new("jsonl-kill");
    let (config, catalog) = setup(&dir, "append");
    let mut child = Command::new(BIN)
        .args(["write", "--config", &config, "--catalog", &catalog])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    const PER_STATE: i64 = 500;
    let feeder = std::thread::spawn(move || {
        for k in 0..400i64 {
            let mut chunk = String::new();
            for i in 0..PER_STATE {
                chunk.push_str(&record(k * PER_STATE + i, 1));
                chunk.push('\n');
            }
            chunk.push_str(&state(k));
            chunk.push('\n');
            if stdin.write_all(chunk.as_bytes()).is_err() {
                return; // the destination was killed
            }
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut last = None;
    let mut line = String::new();
    while stdout.read_line(&mut line).expect("read") > 0 {
        let id = serde_json::from_str::<AirbyteMessage>(&line)
            .ok()
            .and_then(|m| m.state)
            .and_then(|s| s.extra.get_as::<i64>("id").ok().flatten());
        if let Some(id) = id {
            last = Some(id);
            if id == 30 {
                child.kill().expect("kill -9");
                break;
            }
        }
        line.clear();
    }
    let _ = child.wait();
    let _ = feeder.join();
    let last = last.expect("some state was echoed before the kill");
    assert!(last >= 30);
    let ids: BTreeSet<i64> = rows(&dir)
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    let covered = (last + 1) * PER_STATE;
    let missing: Vec<i64> = (0..covered).filter(|i| !ids.contains(i)).take(5).collect();
    assert!(
        missing.is_empty(),
        "records covered by state {last} are missing: {missing:?}"
    );
}

#[test]
fn spec_and_check() {
    let out = run_binary(BIN, &["spec"], b"");
    assert_eq!(out.exit_code, 0);
    check_with_official_models(&out.stdout).expect("official models");
    insta::assert_snapshot!("spec", out.stdout);
    let dir = TestDir::new("jsonl-check");
    let (config, _) = setup(&dir, "append");
    let out = run_binary(BIN, &["check", "--config", &config], b"");
    check_with_official_models(&out.stdout).expect("official models");
    insta::assert_snapshot!("check_succeeded", out.stdout);
    // A path that cannot be a directory: a FAILED status, exit 0.
    let blocker = dir.write_text("file", "x");
    let bad = dir.write_json(
        "bad.json",
        &json!({"destination_path": blocker.join("sub")}),
    );
    let out = run_binary(
        BIN,
        &["check", "--config", bad.to_str().expect("path")],
        b"",
    );
    assert_eq!(out.exit_code, 0);
    let message = out
        .connection_status()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    assert!(
        message.starts_with("cannot create the directory"),
        "{message}"
    );
    // No `discover` or `read` for a destination.
    let out = run_binary(BIN, &["discover", "--config", &config], b"");
    assert_eq!(out.exit_code, 1);
    assert_eq!(
        out.errors()[0].failure_type,
        Some(airbyte_sdk::protocol::FailureType::ConfigError)
    );
}

#[test]
fn an_unwritable_stream_file_is_an_error_trace_and_a_non_zero_exit() {
    let dir = TestDir::new("jsonl-ioerr");
    let (config, catalog) = setup(&dir, "append");
    std::fs::create_dir_all(dir.path().join("out/public.users.jsonl"))
        .expect("a directory where the file should be");
    let input = [record(1, 1), state(1)].join("\n");
    let out = run_binary(
        BIN,
        &["write", "--config", &config, "--catalog", &catalog],
        input.as_bytes(),
    );
    assert_eq!(out.exit_code, 1);
    assert!(
        out.states().is_empty(),
        "no state for records that were not written"
    );
    let error = out.errors()[0];
    assert!(error.message.contains("cannot open"), "{error:?}");
    assert_eq!(
        error.stream_descriptor.as_ref().map(|d| d.name.as_str()),
        Some("users")
    );
}
