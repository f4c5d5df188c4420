//! Dynamic streams (`HttpComponentsResolver`, `ConfigComponentsResolver`),
//! dynamic schemas (`DynamicSchemaLoader`) and `schema_normalization`,
//! compared with `source-declarative-manifest`: each engine runs discover,
//! check and read on the same manifest against its own
//! tests/fixtures/dynamic_api.py, and the catalogs, check results, records
//! per stream (as multisets) and final states must be equal. Broken
//! resolvers fail both engines with a TRACE error.

mod common;

use std::collections::BTreeMap;

use airbyte_sdk::testkit::TestDir;
use common::fixture::{FixtureServer, by_stream, configured_catalog, manifest, ours, run, sdm};
use serde_json::{Value, json};

/// What one engine gave.
struct Outcome {
    catalog: Value,
    check: Value,
    read: Vec<Value>,
    read_code: i32,
}

fn config(dir: &TestDir, label: &str, server: &FixtureServer) -> String {
    let config = json!({
        "base_url": server.base_url,
        "copies": [
            {"label": "tasks", "base": "appB", "table": "tblTasks", "pk": "id"},
            {"label": "orders", "base": "appA", "table": "tblOrders"},
        ],
    });
    dir.write_json(&format!("{label}-config.json"), &config)
        .display()
        .to_string()
}

/// One engine's run: its server (stopped when dropped), its files.
struct Setup {
    label: &'static str,
    engine: std::path::PathBuf,
    dir: TestDir,
    path: String,
    config: String,
    _server: FixtureServer,
}

fn setup(manifest_name: &str, use_sdm: bool) -> Setup {
    let label = if use_sdm { "sdm" } else { "ours" };
    let dir = TestDir::new("conformance-dynamic");
    let server = FixtureServer::start_script("dynamic_api.py", &[]);
    Setup {
        label,
        engine: if use_sdm { sdm() } else { ours() },
        config: config(&dir, label, &server),
        dir,
        path: manifest(manifest_name),
        _server: server,
    }
}

fn connection_status(messages: &[Value]) -> Value {
    messages
        .iter()
        .find(|m| m["type"] == "CONNECTION_STATUS")
        .map(|m| m["connectionStatus"].clone())
        .unwrap_or(Value::Null)
}

/// Runs discover, check and read of `manifest_name` with one engine.
fn outcome(manifest_name: &str, use_sdm: bool) -> Outcome {
    let Setup {
        label,
        engine,
        dir,
        path,
        config,
        _server,
    } = setup(manifest_name, use_sdm);
    let (discovered, code) = run(
        &engine,
        &["discover", "--manifest-path", &path, "--config", &config],
    );
    assert_eq!(code, 0, "{label} discover: {discovered:#?}");
    let catalog = discovered
        .iter()
        .find(|m| m["type"] == "CATALOG")
        .map(|m| m["catalog"].clone())
        .unwrap_or_else(|| panic!("{label}: no catalog in {discovered:#?}"));
    let streams = catalog["streams"].as_array().expect("streams");
    let configured = configured_catalog(&dir, streams);
    let (check, _) = run(
        &engine,
        &["check", "--manifest-path", &path, "--config", &config],
    );
    let (read, read_code) = run(
        &engine,
        &[
            "read",
            "--manifest-path",
            &path,
            "--config",
            &config,
            "--catalog",
            &configured,
        ],
    );
    Outcome {
        catalog,
        check: connection_status(&check),
        read,
        read_code,
    }
}

/// The catalog's streams by name (the engines order them alike, but the
/// comparison needs no order).
fn streams_by_name(catalog: &Value) -> BTreeMap<String, Value> {
    catalog["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| (s["name"].as_str().unwrap_or("").to_owned(), s.clone()))
        .collect()
}

/// Both engines on `manifest_name`; SDM's read, once compared.
fn compare(manifest_name: &str) -> Vec<Value> {
    let theirs = outcome(manifest_name, true);
    let mine = outcome(manifest_name, false);
    assert_eq!(
        streams_by_name(&mine.catalog),
        streams_by_name(&theirs.catalog),
        "catalogs of {manifest_name}"
    );
    assert_eq!(mine.check, theirs.check, "check of {manifest_name}");
    assert_eq!(mine.read_code, theirs.read_code, "{:#?}", mine.read);
    assert_eq!(
        by_stream(&mine.read),
        by_stream(&theirs.read),
        "reads of {manifest_name}"
    );
    theirs.read
}

fn record_count(messages: &[Value], stream: &str) -> usize {
    messages
        .iter()
        .filter(|m| m["type"] == "RECORD" && m["record"]["stream"] == stream)
        .count()
}

#[test]
fn dynamic_streams_and_schemas_read_as_sdm_reads_them() {
    let read = compare("dynamic_streams.yaml");
    // Not vacuous: every generated stream gave records.
    for stream in [
        "bases",
        "appa/orders",
        "appa/people",
        "appb/tasks",
        "copy_tasks",
        "copy_orders",
        "copy_people_default",
    ] {
        assert!(record_count(&read, stream) > 0, "no records of {stream}");
    }
}

#[test]
fn schema_normalization_casts_as_sdm_casts() {
    let read = compare("schema_normalization.yaml");
    assert!(record_count(&read, "orders") == 5 && record_count(&read, "people") == 5);
    let casts = read
        .iter()
        .find(|m| m["type"] == "RECORD" && m["record"]["data"]["id"] == "rectblOrders1")
        .expect("an order");
    assert_eq!(casts["record"]["data"]["fields"]["Amount"], json!(1.0));
}

/// `(exit code, TRACE errors' failure types, check status)` of one engine.
fn failure(manifest_name: &str, use_sdm: bool) -> (i32, Vec<Value>, Value) {
    // Bound whole: the directory and the server live to the end.
    let run_setup = setup(manifest_name, use_sdm);
    let (engine, path, config) = (&run_setup.engine, &run_setup.path, &run_setup.config);
    let (discovered, code) = run(
        engine,
        &["discover", "--manifest-path", path, "--config", config],
    );
    let traces: Vec<Value> = discovered
        .iter()
        .filter(|m| m["type"] == "TRACE" && m["trace"]["type"] == "ERROR")
        .map(|m| m["trace"]["error"]["failure_type"].clone())
        .collect();
    let (check, _) = run(
        engine,
        &["check", "--manifest-path", path, "--config", config],
    );
    (code, traces, connection_status(&check))
}

#[test]
fn broken_resolvers_fail_as_in_sdm() {
    for manifest_name in ["dynamic_bad_mapping.yaml", "dynamic_resolver_failure.yaml"] {
        let theirs = failure(manifest_name, true);
        let mine = failure(manifest_name, false);
        assert_ne!(mine.0, 0, "{manifest_name}: ours exits with an error");
        assert_eq!(mine.0, theirs.0, "{manifest_name}");
        assert_eq!(
            mine.1, theirs.1,
            "{manifest_name}: the TRACE errors' failure types"
        );
        assert!(!mine.1.is_empty(), "{manifest_name}: a TRACE error");
        assert_eq!(mine.2, theirs.2, "{manifest_name}: check");
    }
}
