//! Loading a declarative manifest, in `airbyte-cdk`'s order: YAML 1.1,
//! the root's keys checked, references resolved, then types and
//! `$parameters` propagated. Components are built from the result.
//!
//! - [`yaml`]: YAML as PyYAML's `safe_load` reads it.
//! - [`refs`]: `#/` strings and `$ref` mappings.
//! - [`parameters`]: implicit types and `$parameters`.

pub mod parameters;
pub mod refs;
pub mod yaml;

use serde_json::Value;

use crate::error::Error;

/// The keys a manifest's root may have (the schema's root is closed).
const ROOT_KEYS: &[&str] = &[
    "version",
    "type",
    "check",
    "streams",
    "dynamic_streams",
    "definitions",
    "schemas",
    "spec",
    "metadata",
    "concurrency_level",
    "api_budget",
    "stream_groups",
    "max_concurrent_async_job_count",
    "description",
];

/// Loads a manifest from its YAML text.
///
/// ```
/// let manifest = source_http::manifest::load(r##"
/// version: 6.44.0
/// check: {stream_names: [users]}
/// definitions:
///   requester: {url_base: "https://api.example", http_method: GET}
/// streams:
///   - name: users
///     retriever:
///       requester: {$ref: "#/definitions/requester", path: /users}
///       record_selector: {extractor: {field_path: [data]}}
/// "##).unwrap();
/// let retriever = &manifest["streams"][0]["retriever"];
/// assert_eq!(retriever["requester"]["type"], "HttpRequester");
/// assert_eq!(retriever["requester"]["url_base"], "https://api.example");
/// assert_eq!(retriever["record_selector"]["extractor"]["type"], "DpathExtractor");
/// assert_eq!(manifest["check"]["type"], "CheckStream");
///
/// let error = source_http::manifest::load("version: 1\ncheck: {}\nstreams: []\nstream: []\n").unwrap_err();
/// assert!(error.to_string().contains("`stream`"));
/// ```
pub fn load(text: &str) -> Result<Value, Error> {
    load_value(yaml::parse(text)?)
}

/// Loads a manifest given as JSON, as the platform injects it in the
/// config (`__injected_declarative_manifest`): as [`load`] after the YAML.
///
/// ```
/// use serde_json::json;
/// let manifest = source_http::manifest::load_value(json!({
///     "version": "6.44.0", "check": {"stream_names": ["a"]},
///     "streams": [{"name": "a", "retriever": {"requester": {"url_base": "http://x"}, "record_selector": {"extractor": {"field_path": []}}}}]
/// })).unwrap();
/// assert_eq!(manifest["streams"][0]["type"], "DeclarativeStream");
/// ```
pub fn load_value(manifest: Value) -> Result<Value, Error> {
    let Value::Object(root) = &manifest else {
        return Err(Error::Manifest(
            "the manifest must be a YAML mapping (with version, check and streams)".into(),
        ));
    };
    let unknown: Vec<String> = root
        .keys()
        .filter(|k| !ROOT_KEYS.contains(&k.as_str()))
        .map(|k| format!("`{k}`"))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Manifest(format!(
            "the manifest's root has key(s) {} that a declarative manifest does not have (it may have: {})",
            unknown.join(", "),
            ROOT_KEYS.join(", ")
        )));
    }
    let mut missing: Vec<&str> = ["version", "check"]
        .into_iter()
        .filter(|k| !root.contains_key(*k))
        .collect();
    if !root.contains_key("streams") && !root.contains_key("dynamic_streams") {
        missing.push("streams");
    }
    if !missing.is_empty() {
        return Err(Error::Manifest(format!(
            "the manifest has no {}",
            missing.join(", ")
        )));
    }
    let resolved = refs::resolve(&manifest)?;
    Ok(parameters::propagate(&resolved))
}
