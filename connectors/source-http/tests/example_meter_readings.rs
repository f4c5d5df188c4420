//! The meter-readings example (examples/meter-readings): its manifest over
//! its stand-in API, run by source-http and by Airbyte's
//! `source-declarative-manifest` (airbyte-cdk 7.39.1), with the manifest
//! injected into the config as the platform passes a Builder source's.
//! Both must give the same catalog, check results, records and final
//! states; a second read from those states must read only the readings at
//! the cursor, and one after the API gains a week of readings only that
//! week and those.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use airbyte_sdk::testkit::TestDir;
use common::fixture::{FixtureServer, by_stream, configured_catalog, ours, run, sdm};
use serde_json::{Value, json};
use source_http::manifest::yaml;

const KEY: &str = "meter-Key-7f3a";
/// The example's readings per day: 3 electricity meters every quarter of
/// an hour, 2 gas meters every hour.
const ELECTRICITY_PER_DAY: usize = 3 * 96;
const GAS_PER_DAY: usize = 2 * 24;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/meter-readings")
}

/// The example's API, serving `days` days of readings from 2026-01-01.
fn api(days: usize) -> FixtureServer {
    FixtureServer::start_script(
        "../../examples/meter-readings/server.py",
        &["--key", KEY, "--days", &days.to_string()],
    )
}

/// The example's config.json for `server`, with the manifest injected.
fn config(dir: &TestDir, name: &str, server: &FixtureServer, key: &str) -> String {
    let text = std::fs::read_to_string(example().join("config.json")).expect("config.json");
    let mut config: Value = serde_json::from_str(&text).expect("config.json is JSON");
    config["base_url"] = json!(server.base_url);
    config["api_key"] = json!(key);
    config["end_date"] = json!("2026-02-28T00:00:00Z");
    let manifest = std::fs::read_to_string(example().join("manifest.yaml")).expect("manifest.yaml");
    config["__injected_declarative_manifest"] = yaml::parse(&manifest).expect("manifest.yaml");
    dir.write_json(name, &config).display().to_string()
}

/// What `engine` reads with this config, catalog and state file.
fn read(engine: &Path, config: &str, catalog: &str, state: Option<&str>) -> Vec<Value> {
    let mut args = vec!["read", "--config", config, "--catalog", catalog];
    if let Some(state) = state {
        args.extend(["--state", state]);
    }
    let (messages, code) = run(engine, &args);
    assert_eq!(code, 0, "{} read failed: {messages:?}", engine.display());
    messages
}

/// The last state of each stream, as a `--state` file.
fn state_file(dir: &TestDir, name: &str, messages: &[Value]) -> String {
    let mut last = BTreeMap::new();
    for m in messages.iter().filter(|m| m["type"] == "STATE") {
        let descriptor = m["state"]["stream"]["stream_descriptor"]["name"].to_string();
        last.insert(descriptor, m["state"].clone());
    }
    dir.write_json(name, &Value::Array(last.into_values().collect()))
        .display()
        .to_string()
}

/// Each stream's records and last state (see [`by_stream`]).
type Reads = BTreeMap<String, (Vec<String>, Option<Value>)>;

fn counts(read: &Reads) -> Vec<(String, usize)> {
    read.iter()
        .map(|(name, (records, _))| (name.clone(), records.len()))
        .collect()
}

#[test]
fn the_example_reads_the_same_as_the_python_engine_and_resumes() {
    let dir = TestDir::new("meter-readings");
    let engines = [sdm(), ours()];
    let mut reads = Vec::new();
    for (i, engine) in engines.iter().enumerate() {
        let server = api(14);
        let good = config(&dir, &format!("config-{i}.json"), &server, KEY);
        let bad = config(&dir, &format!("bad-{i}.json"), &server, "wrong-key");

        let (check, code) = run(engine, &["check", "--config", &good]);
        assert_eq!(code, 0);
        assert_eq!(
            check.last().unwrap()["connectionStatus"]["status"],
            "SUCCEEDED"
        );
        let (check, _) = run(engine, &["check", "--config", &bad]);
        let status = &check.last().unwrap()["connectionStatus"];
        assert_eq!(status["status"], "FAILED", "{check:?}");
        assert!(
            status["message"].as_str().unwrap().contains("api_key"),
            "{status}"
        );

        let (discovered, code) = run(engine, &["discover", "--config", &good]);
        assert_eq!(code, 0, "{discovered:?}");
        let catalog = discovered.last().unwrap()["catalog"].clone();
        let streams = catalog["streams"].as_array().unwrap().clone();
        let configured = configured_catalog(&dir, &streams);

        let first = read(engine, &good, &configured, None);
        let state = state_file(&dir, &format!("state-{i}.json"), &first);
        let again = read(engine, &good, &configured, Some(&state));
        drop(server);
        // A week later, the API has a week of new readings.
        let later = api(21);
        let later_config = config(&dir, &format!("later-{i}.json"), &later, KEY);
        let week = read(engine, &later_config, &configured, Some(&state));
        let output = [&first, &again, &week]
            .iter()
            .flat_map(|m| m.iter())
            .map(Value::to_string)
            .collect::<String>();
        assert!(
            !output.contains(KEY),
            "{} printed the API key",
            engine.display()
        );
        reads.push((
            catalog,
            by_stream(&first),
            by_stream(&again),
            by_stream(&week),
        ));
    }
    let (theirs, mine) = (&reads[0], &reads[1]);
    assert_eq!(theirs.0, mine.0, "the catalogs differ");
    assert_eq!(theirs.1, mine.1, "the first reads differ");
    assert_eq!(theirs.3, mine.3, "the reads a week later differ");
    let two_weeks = vec![
        ("electricity_readings".to_owned(), 14 * ELECTRICITY_PER_DAY),
        ("gas_readings".to_owned(), 14 * GAS_PER_DAY),
    ];
    assert_eq!(counts(&mine.1), two_weeks);
    // A read from a state starts at the state's cursor, inclusive (as the
    // CDK's cursor does): it reads again the readings at that instant, one
    // per meter, which append_dedup writes once.
    assert_eq!(theirs.2, mine.2, "the reads from the first states differ");
    let at_the_cursor = vec![
        ("electricity_readings".to_owned(), 3),
        ("gas_readings".to_owned(), 2),
    ];
    assert_eq!(counts(&mine.2), at_the_cursor);
    let one_week = vec![
        (
            "electricity_readings".to_owned(),
            7 * ELECTRICITY_PER_DAY + 3,
        ),
        ("gas_readings".to_owned(), 7 * GAS_PER_DAY + 2),
    ];
    assert_eq!(counts(&mine.3), one_week);
    assert_eq!(
        mine.3["electricity_readings"].1,
        Some(json!({"read_at": "2026-01-22T00:00:00Z"}))
    );
}
