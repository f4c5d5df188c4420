//! The configs of `integration_tests/` (the acceptance suites', Airbyte's
//! standard tests' and the platform tests') carry their manifest as the
//! platform injects a Connector Builder source's:
//! `__injected_declarative_manifest`, the manifest as JSON. They are
//! generated from the YAML manifests of `tests/manifests/`, which stay the
//! one copy: this test fails when a config differs from what its manifest
//! and the table below give, and `AIRBYTE_UPDATE_INTEGRATION_CONFIGS=1`
//! rewrites them.
//!
//! The manifest is read as `source-declarative-manifest` reads a file
//! (`manifest::yaml`, PyYAML's `safe_load`), so a config runs what
//! `--manifest-path` would.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use source_http::manifest::yaml;
use source_http::source::INJECTED_MANIFEST;

/// Where the configs point: a fixture server (tests/fixtures/server.py) on
/// this port, started by hand for `cargo airbyte test`; the tests start their
/// own and map this URL to it (acceptance-tests' harness_connectors.rs), or
/// to the test network's (scripts/test-network.sh).
const BASE_URL: &str = "http://127.0.0.1:54380";
/// The fixture server's `--token` (scripts/test-network.sh gives the same).
const TOKEN: &str = "fixture-token-0123";

/// Where the configs of the acceptance suites on manifests modeled on real
/// connectors (acceptance/<name>/) point: tests/fixtures/real_apis.py on
/// this port, which acceptance-tests' harness_connectors.rs maps to its own
/// server; `tok-Real-1` is that server's default token.
const REAL_BASE_URL: &str = "http://127.0.0.1:54381";
const REAL_TOKEN: &str = "tok-Real-1";

/// Each config: its file (from the crate's folder), its manifest in
/// tests/manifests/, and its other keys.
fn configs() -> Vec<(&'static str, &'static str, Value)> {
    let fixture = |token: &str| {
        json!({
            "base_url": BASE_URL,
            "api_token": token,
            "start_date": "2024-01-02T00:00:00Z",
            "end_date": "2024-01-07T00:00:00Z",
        })
    };
    let pagerduty =
        |token: &str| json!({"base_url": format!("{REAL_BASE_URL}/pagerduty"), "token": token});
    let sentry = |token: &str| {
        json!({
            "base_url": format!("{REAL_BASE_URL}/sentry"), "auth_token": token,
            "organization": "acme", "project": "web", "num_workers": 3,
        })
    };
    vec![
        (
            "integration_tests/config.json",
            "fixture_api.yaml",
            fixture(TOKEN),
        ),
        (
            "integration_tests/config_wrong_token.json",
            "fixture_api.yaml",
            fixture("not-the-fixture-token"),
        ),
        (
            "acceptance/pagerduty/integration_tests/config.json",
            "real/pagerduty.yaml",
            pagerduty(REAL_TOKEN),
        ),
        (
            "acceptance/pagerduty/integration_tests/config_wrong_token.json",
            "real/pagerduty.yaml",
            pagerduty("not-the-token"),
        ),
        (
            "acceptance/sentry/integration_tests/config.json",
            "real/sentry.yaml",
            sentry(REAL_TOKEN),
        ),
        (
            "acceptance/sentry/integration_tests/config_wrong_token.json",
            "real/sentry.yaml",
            sentry("not-the-token"),
        ),
    ]
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generated(manifest: &Path, keys: &Value) -> Value {
    let text = std::fs::read_to_string(manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    let manifest_value =
        yaml::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let mut config = keys.clone();
    config[INJECTED_MANIFEST] = manifest_value;
    config
}

#[test]
fn integration_configs_inject_their_manifests() {
    let update = std::env::var_os("AIRBYTE_UPDATE_INTEGRATION_CONFIGS").is_some();
    let mut stale = Vec::new();
    for (file, manifest, keys) in configs() {
        let want = generated(&crate_dir().join("tests/manifests").join(manifest), &keys);
        let path = crate_dir().join(file);
        if update {
            let text = serde_json::to_string_pretty(&want).expect("JSON") + "\n";
            std::fs::write(&path, text)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            continue;
        }
        let got: Option<Value> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        if got.as_ref() != Some(&want) {
            stale.push(format!(
                "{} (from tests/manifests/{manifest})",
                path.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing, regenerate with `AIRBYTE_UPDATE_INTEGRATION_CONFIGS=1 cargo test --release -p source-http --test integration_configs`:\n  {}",
        stale.join("\n  ")
    );
}

/// Every config file of integration_tests/ and acceptance/*/integration_tests/
/// is generated here (none is edited by hand, and none is forgotten in the
/// table).
#[test]
fn every_integration_config_is_generated() {
    let listed: Vec<&str> = configs().iter().map(|(file, _, _)| *file).collect();
    let mut folders = vec!["integration_tests".to_owned()];
    let acceptance = crate_dir().join("acceptance");
    for entry in std::fs::read_dir(&acceptance)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", acceptance.display()))
    {
        let name = entry.expect("an entry").file_name();
        folders.push(format!(
            "acceptance/{}/integration_tests",
            name.to_string_lossy()
        ));
    }
    for folder in folders {
        let dir = crate_dir().join(&folder);
        let mut configs: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name == "config.json" || name.starts_with("config_"))
            .map(|name| format!("{folder}/{name}"))
            .collect();
        configs.sort();
        for name in &configs {
            assert!(
                listed.contains(&name.as_str()),
                "{name} is not generated by tests/integration_configs.rs: add it to `configs()`"
            );
        }
    }
}
