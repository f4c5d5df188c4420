//! Loading manifests, compared with the reference: the same YAML read by
//! PyYAML's `safe_load` and, for whole manifests, put through airbyte-cdk
//! 7.39.1's reference resolver and component transformer (the test venv
//! `cdk` of `scripts/setup-test-env.sh`).

mod common;

use std::path::PathBuf;

use serde_json::Value;
use source_http::manifest;

/// What the reference makes of `yaml` (`mode`: `yaml` or `manifest`).
fn reference(mode: &str, yaml: &str) -> Value {
    serde_json::from_str(&common::run_script("load_manifest.py", &[mode], yaml))
        .expect("JSON from the reference loader")
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/manifests")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first differing path between two values, for a readable failure.
fn difference(ours: &Value, theirs: &Value, path: &str) -> Option<String> {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys()) {
                let here = format!("{path}.{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => {
                        if let Some(d) = difference(x, y, &here) {
                            return Some(d);
                        }
                    }
                    (x, y) => return Some(format!("{here}: ours {x:?}, reference {y:?}")),
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| difference(x, y, &format!("{path}[{i}]"))),
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => None,
        (a, b) if a == b => None,
        (a, b) => Some(format!("{path}: ours {a}, reference {b}")),
    }
}

#[test]
fn yaml_1_1_scalars_merges_and_tags_read_as_pyyaml_reads_them() {
    let yaml = fixture("scalars.yaml");
    let ours = manifest::yaml::parse(&yaml).expect("our YAML");
    let theirs = reference("yaml", &yaml);
    if let Some(d) = difference(&ours, &theirs, "") {
        panic!("differs from PyYAML at {d}");
    }
    // The fixture exercises what 1.2 parsers get wrong.
    assert_eq!(ours["booleans"][0], true);
    assert_eq!(ours["integers"][4], 493);
}

#[test]
fn references_and_parameters_resolve_as_the_cdk_resolves_them() {
    let yaml = fixture("references.yaml");
    let ours = manifest::load(&yaml).expect("our manifest");
    let theirs = reference("manifest", &yaml);
    if let Some(d) = difference(&ours, &theirs, "") {
        panic!("differs from airbyte-cdk at {d}");
    }
    let orders = &ours["streams"][1];
    assert_eq!(orders["retriever"]["requester"]["path"], "/orders-override");
    assert_eq!(
        orders["retriever"]["partition_router"]["parent_stream_configs"][0]["stream"]["type"],
        "DeclarativeStream"
    );
}

#[test]
fn broken_manifests_are_errors_naming_the_place() {
    for (yaml, expected) in [
        ("version: 1\ncheck: {}\nstreams: [\n", "not valid YAML"),
        (
            "version: 1\ncheck: {}\nstreams: [\"#/definitions/nope\"]\n",
            "streams.0",
        ),
        (
            "version: 1\ncheck: {}\nstreams: []\ndefinitions: {a: {$ref: \"#/definitions/a\"}}\n",
            "circular",
        ),
        ("version: 1\ncheck: {}\n", "no streams"),
        ("- a\n- b\n", "must be a YAML mapping"),
        (
            "version: 1\ncheck: {}\nstreams: []\nstart: 2024-02-30\n",
            "2024-02-30",
        ),
    ] {
        let error = manifest::load(yaml).expect_err(yaml);
        assert_eq!(
            error.failure_type(),
            airbyte_sdk::protocol::FailureType::ConfigError
        );
        assert!(error.to_string().contains(expected), "{yaml:?}: {error}");
    }
}
