//! The decoders other than JSON and the `AsyncRetriever`, source-http
//! against Airbyte's `source-declarative-manifest` (airbyte-cdk 7.39.1):
//! each engine reads the manifests of tests/manifests/ (`decoders*.yaml`,
//! `async_*.yaml`) from its own tests/fixtures/async_api.py, and both must
//! give the same records per stream (as multisets), the same final states,
//! the same first and last statuses, the same check result and exit code.
//! A corrupt gzip body and a job that keeps failing must fail both alike: a
//! TRACE error of the same failure type and a non-zero exit (never a
//! panic's 101).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use airbyte_sdk::testkit::TestDir;
use common::fixture::{FixtureServer, configured_catalog, manifest, ours, run, sdm};
use serde_json::{Value, json};

/// A stream's records (sorted), last state and statuses.
type StreamRead = (Vec<String>, Option<Value>, Vec<String>);

/// What one engine's run says, stream by stream.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    /// Per stream: its records (sorted), last state and statuses.
    streams: BTreeMap<String, StreamRead>,
    /// The failure types of the TRACE errors.
    errors: Vec<String>,
    /// The check's status, for a check.
    connection: Option<Value>,
    /// The exit code.
    code: i32,
}

fn outcome(messages: &[Value], code: i32) -> Outcome {
    let mut out = Outcome {
        code,
        ..Outcome::default()
    };
    let name = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    for m in messages {
        match m["type"].as_str() {
            Some("RECORD") => {
                let entry = out.streams.entry(name(&m["record"]["stream"])).or_default();
                entry.0.push(m["record"]["data"].to_string());
            }
            Some("STATE") => {
                let stream = &m["state"]["stream"];
                let entry = out
                    .streams
                    .entry(name(&stream["stream_descriptor"]["name"]))
                    .or_default();
                entry.1 = Some(stream["stream_state"].clone());
            }
            Some("TRACE") if m["trace"]["type"] == "STREAM_STATUS" => {
                let status = &m["trace"]["stream_status"];
                let entry = out
                    .streams
                    .entry(name(&status["stream_descriptor"]["name"]))
                    .or_default();
                entry.2.push(name(&status["status"]));
            }
            Some("TRACE") if m["trace"]["type"] == "ERROR" => {
                out.errors.push(name(&m["trace"]["error"]["failure_type"]));
            }
            Some("CONNECTION_STATUS") => {
                out.connection = Some(m["connectionStatus"]["status"].clone());
            }
            _ => {}
        }
    }
    for (records, _, statuses) in out.streams.values_mut() {
        records.sort();
        // First and last only: a stream without records has a RUNNING
        // status here and none in SDM (README, "Order of messages").
        if statuses.len() > 2 {
            statuses.drain(1..statuses.len() - 1);
        }
    }
    out.errors.sort();
    out.errors.dedup();
    out
}

/// Runs `command` (`read` or `check`) of `manifest_name` with `engine`,
/// against a fixture server of its own.
fn run_on_own_server(engine: &Path, command: &str, manifest_name: &str) -> Outcome {
    let server = FixtureServer::start_script("async_api.py", &[]);
    let dir = TestDir::new("conformance-decoders");
    let path = manifest(manifest_name);
    let config = dir
        .write_json("config.json", &json!({"base_url": server.base_url}))
        .display()
        .to_string();
    let mut args = vec![command, "--manifest-path", &path, "--config", &config];
    let catalog;
    if command == "read" {
        let (discovered, code) = run(
            &sdm(),
            &["discover", "--manifest-path", &path, "--config", &config],
        );
        assert_eq!(code, 0, "discover {manifest_name}: {discovered:#?}");
        let streams = discovered
            .iter()
            .find(|m| m["type"] == "CATALOG")
            .and_then(|m| m["catalog"]["streams"].as_array())
            .expect("a catalog");
        catalog = configured_catalog(&dir, streams);
        args.extend(["--catalog", &catalog]);
    }
    let (messages, code) = run(engine, &args);
    outcome(&messages, code)
}

/// Both engines' outcomes, run side by side.
fn both(command: &str, manifest_name: &str) -> (Outcome, Outcome) {
    std::thread::scope(|scope| {
        let theirs = scope.spawn(|| run_on_own_server(&sdm(), command, manifest_name));
        let mine = run_on_own_server(&ours(), command, manifest_name);
        (theirs.join().expect("SDM's run"), mine)
    })
}

fn assert_agree(command: &str, manifest_name: &str) -> Outcome {
    let (theirs, mine) = both(command, manifest_name);
    assert_eq!(mine, theirs, "{command} {manifest_name}: ours, then SDM's");
    mine
}

/// Both engines fail the read of `manifest_name` alike, with a system error.
fn assert_fails_alike(manifest_name: &str) -> Outcome {
    let mine = assert_agree("read", manifest_name);
    assert_ne!(mine.code, 0);
    assert!(mine.errors.iter().any(|e| e == "system_error"), "{mine:#?}");
    mine
}

#[test]
fn jsonl_csv_gzip_and_iterable_decoders_agree() {
    let mine = assert_agree("read", "decoders.yaml");
    assert_eq!(mine.code, 0);
    let records = |stream: &str| mine.streams[stream].0.len();
    // The blank and broken lines are skipped; the blank CSV row too, and
    // the filter drops one row.
    assert_eq!(records("jsonl_users"), 6);
    assert_eq!(records("gzip_jsonl_encoded"), 6);
    assert_eq!(records("csv_rows"), 3);
    assert_eq!(records("gzip_csv"), 4);
    assert_eq!(records("tsv_latin1"), 2);
    assert_eq!(records("lines"), 4);
    // A gzipped JSON page's paginator reads `{}`: one page only.
    assert_eq!(records("gzip_json_paged"), 2);
    let check = assert_agree("check", "decoders.yaml");
    assert_eq!(check.connection, Some(json!("SUCCEEDED")));
}

#[test]
fn async_export_jobs_agree() {
    let mine = assert_agree("read", "async_export.yaml");
    assert_eq!(mine.code, 0);
    // Two partitions, a job each, two gzipped CSV files of 3 rows a job.
    assert_eq!(mine.streams["exports"].0.len(), 12);
    let check = assert_agree("check", "async_export.yaml");
    assert_eq!(check.connection, Some(json!("SUCCEEDED")));
}

#[test]
fn a_corrupt_gzip_body_fails_alike() {
    assert_fails_alike("decoders_bad.yaml");
    let check = assert_agree("check", "decoders_bad.yaml");
    assert_eq!(check.connection, Some(json!("FAILED")));
}

#[test]
fn a_job_that_keeps_failing_fails_alike() {
    let mine = assert_fails_alike("async_failed.yaml");
    assert!(mine.streams["broken_export"].0.is_empty());
}
