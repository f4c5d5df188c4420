//! source-http against Airbyte's `source-declarative-manifest` (airbyte-cdk
//! 7.39.1) on the manifests of tests/manifests/: the same catalog, check
//! result, records, states and statuses. Each engine reads from its own
//! fixture server (tests/fixtures/server.py), so the endpoints that fail
//! once and then succeed fail once for each.
//!
//! Records and states interleave across streams and partitions in both
//! engines (the CDK reads on 2 workers), so they are compared per stream:
//! records as multisets; states by their last value (without the
//! per-partition `lookback_window`, which is the sync's duration) and by
//! the total of their `recordCount`s; statuses by their first and last
//! and by the RATE_LIMITED reasons. Two known differences are not
//! compared: the CDK emits a full-refresh stream's final state after its
//! COMPLETE status, and a stream without records has no RUNNING status
//! there (ours: the state before COMPLETE, after a RUNNING).
//!
//! Each read and each check must also have sent the same requests, as the
//! servers logged them: per slice in the same order, and as multisets
//! across slices (tests/common/requests.rs).

mod common;

use std::collections::BTreeMap;

use airbyte_sdk::testkit::TestDir;
use common::fixture::{FixtureServer, configured_catalog, manifest, ours, run, sdm};
use common::requests::assert_same_requests;
use serde_json::{Value, json};

const TOKEN: &str = "tok-Secret-1";

/// The path of the one parent stream (`users`), whose responses SDM caches.
fn cached() -> Vec<String> {
    vec!["/v1/users".to_owned()]
}

/// A config for `server`, written in `dir`.
fn config(dir: &TestDir, name: &str, server: &FixtureServer, token: &str) -> String {
    dir.write_json(
        name,
        &json!({
            "base_url": server.base_url, "api_token": token,
            "start_date": "2024-01-02T00:00:00Z", "end_date": "2024-01-07T00:00:00Z"
        }),
    )
    .display()
    .to_string()
}

/// The catalog SDM discovers, every stream configured (incremental where it can be).
fn catalog(dir: &TestDir, manifest_path: &str, config: &str) -> String {
    let (messages, code) = run(
        &sdm(),
        &[
            "discover",
            "--manifest-path",
            manifest_path,
            "--config",
            config,
        ],
    );
    assert_eq!(code, 0, "{messages:#?}");
    let catalog = messages
        .iter()
        .find(|m| m["type"] == "CATALOG")
        .expect("a catalog");
    configured_catalog(
        dir,
        catalog["catalog"]["streams"].as_array().expect("streams"),
    )
}

/// What one read says of each stream.
#[derive(Debug, Default, PartialEq)]
struct StreamRead {
    records: Vec<String>,
    last_state: Option<Value>,
    counted: f64,
    statuses: Vec<String>,
    rate_limited: usize,
}

fn entry<'a>(out: &'a mut BTreeMap<String, StreamRead>, name: &Value) -> &'a mut StreamRead {
    let name = name.as_str().expect("a stream name").to_owned();
    out.entry(name).or_default()
}

fn by_stream(messages: &[Value]) -> BTreeMap<String, StreamRead> {
    let mut out = BTreeMap::new();
    for m in messages {
        match m["type"].as_str() {
            Some("RECORD") => {
                entry(&mut out, &m["record"]["stream"])
                    .records
                    .push(m["record"]["data"].to_string());
            }
            Some("STATE") => {
                let stream = &m["state"]["stream"];
                let read = entry(&mut out, &stream["stream_descriptor"]["name"]);
                let mut state = stream["stream_state"].clone();
                if let Value::Object(map) = &mut state {
                    map.remove("lookback_window");
                }
                read.last_state = Some(state);
                read.counted += m["state"]["sourceStats"]["recordCount"]
                    .as_f64()
                    .unwrap_or(0.0);
            }
            Some("TRACE") if m["trace"]["type"] == "STREAM_STATUS" => {
                let status = &m["trace"]["stream_status"];
                let read = entry(&mut out, &status["stream_descriptor"]["name"]);
                read.statuses
                    .push(status["status"].as_str().unwrap_or("").to_owned());
                if status["reasons"][0]["type"] == "RATE_LIMITED" {
                    read.rate_limited += 1;
                }
            }
            _ => {}
        }
    }
    for read in out.values_mut() {
        read.records.sort();
    }
    out
}

/// Reads `manifest_name` with both engines, each from its own server,
/// from `state`; the messages of each, by stream.
fn read_both(
    manifest_name: &str,
    state: Option<&Value>,
) -> (BTreeMap<String, StreamRead>, BTreeMap<String, StreamRead>) {
    let path = manifest(manifest_name);
    let dir = TestDir::new("conformance");
    let (theirs_server, ours_server) = (
        FixtureServer::start(&["--token", TOKEN]),
        FixtureServer::start(&["--token", TOKEN]),
    );
    let their_config = config(&dir, "theirs.json", &theirs_server, TOKEN);
    let our_config = config(&dir, "ours.json", &ours_server, TOKEN);
    let catalog = catalog(&dir, &path, &their_config);
    let state = state.map(|s| dir.write_json("state.json", s).display().to_string());
    // Discover's requests (none) are not compared.
    theirs_server.requests();
    let read = |engine: &std::path::Path, config: &str| {
        let mut args = vec![
            "read",
            "--manifest-path",
            &path,
            "--config",
            config,
            "--catalog",
            &catalog,
        ];
        if let Some(state) = &state {
            args.extend(["--state", state]);
        }
        let (messages, code) = run(engine, &args);
        assert_eq!(code, 0, "{}: {messages:#?}", engine.display());
        assert!(
            !messages.iter().any(|m| m.to_string().contains(TOKEN)),
            "the token leaked: {messages:#?}"
        );
        by_stream(&messages)
    };
    let reads = (read(&sdm(), &their_config), read(&ours(), &our_config));
    assert_same_requests(
        &format!("{manifest_name}, read"),
        &theirs_server.requests(),
        &ours_server.requests(),
        &cached(),
    );
    reads
}

fn assert_same(theirs: &BTreeMap<String, StreamRead>, mine: &BTreeMap<String, StreamRead>) {
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (name, their_read) in theirs {
        let my_read = &mine[name];
        assert_eq!(my_read.records, their_read.records, "records of {name}");
        assert_eq!(
            my_read.last_state, their_read.last_state,
            "final state of {name}"
        );
        assert_eq!(
            my_read.counted, their_read.counted,
            "records counted in the states of {name}"
        );
        assert_eq!(
            my_read.statuses.first(),
            their_read.statuses.first(),
            "first status of {name}"
        );
        assert_eq!(
            my_read.statuses.last(),
            their_read.statuses.last(),
            "last status of {name}"
        );
        assert_eq!(
            my_read.rate_limited, their_read.rate_limited,
            "RATE_LIMITED statuses of {name}"
        );
    }
}

#[test]
fn discover_and_check_agree() {
    let server = FixtureServer::start(&["--token", TOKEN]);
    let dir = TestDir::new("conformance-check");
    for name in ["fixture_api.yaml", "fixture_more.yaml"] {
        let path = manifest(name);
        let good = config(&dir, "good.json", &server, TOKEN);
        let args = ["discover", "--manifest-path", &path, "--config", &good];
        let (theirs, _) = run(&sdm(), &args);
        let (mine, code) = run(&ours(), &args);
        assert_eq!(code, 0, "{mine:#?}");
        assert_eq!(mine, theirs, "{name}");
        server.requests();
        for token in [TOKEN, "wrong"] {
            let checked = config(&dir, "check.json", &server, token);
            let args = ["check", "--manifest-path", &path, "--config", &checked];
            let (theirs, _) = run(&sdm(), &args);
            let their_requests = server.requests();
            let (mine, code) = run(&ours(), &args);
            assert_eq!(code, 0, "{mine:#?}");
            assert_same_requests(
                &format!("{name}, check with token {token}"),
                &their_requests,
                &server.requests(),
                &cached(),
            );
            let status = |m: &[Value]| {
                m.iter()
                    .find(|m| m["type"] == "CONNECTION_STATUS")
                    .map(|m| m["connectionStatus"]["status"].clone())
            };
            assert_eq!(
                status(&mine),
                status(&theirs),
                "{name}, token {token}: {mine:#?}"
            );
        }
    }
}

#[test]
fn paginators_substreams_and_windows_agree() {
    let (theirs, mine) = read_both("fixture_api.yaml", None);
    assert_same(&theirs, &mine);
    assert_eq!(
        theirs["events"].last_state,
        Some(json!({"created_at": "2024-01-07T00:00:00Z"}))
    );
    // A rerun from a state: the last window again (the cursor is inclusive).
    let state = json!([{"type": "STREAM", "stream": {"stream_descriptor": {"name": "events"}, "stream_state": {"created_at": "2024-01-06T00:00:00Z"}}}]);
    let (theirs, mine) = read_both("fixture_api.yaml", Some(&state));
    assert_same(&theirs, &mine);
    assert_eq!(theirs["events"].records.len(), 5, "{:?}", theirs["events"]);
}

#[test]
fn retries_ignores_bodies_partitions_and_client_side_filters_agree() {
    let (theirs, mine) = read_both("fixture_more.yaml", None);
    assert_same(&theirs, &mine);
    assert_eq!(theirs["flaky_429"].rate_limited, 1);
    assert!(theirs["ignored"].records.is_empty());
    assert!(
        theirs["kind_events"]
            .last_state
            .as_ref()
            .is_some_and(|s| s["states"].as_array().is_some_and(|a| a.len() == 2))
    );
}
