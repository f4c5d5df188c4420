//! Loading the user's config: parse, validate against the spec, deserialize.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;

/// A connector's configuration type: deserializable and with a JSON Schema.
/// Implemented for every type that has both; `#[airbyte_sdk::config]` derives them.
pub trait Config: DeserializeOwned + schemars::JsonSchema + Send + Sync + 'static {}

impl<T: DeserializeOwned + schemars::JsonSchema + Send + Sync + 'static> Config for T {}

/// Reads a JSON file given on the command line; a missing or broken file is a config error.
pub(crate) async fn read_json_file(path: &std::path::Path, what: &str) -> Result<Value, Error> {
    let text = tokio::fs::read_to_string(path).await.map_err(|e| {
        Error::config(format!(
            "cannot read the {what} file {}: {e}",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::config(format!(
            "the {what} file {} is not valid JSON: {e}",
            path.display()
        ))
    })
}

/// Validates `config` against the spec's JSON Schema (draft-07), listing
/// every violation in one config error. The entrypoint does this before a
/// connector sees its config; a source whose real spec arrives inside the
/// config (a manifest) calls it itself.
///
/// ```
/// use serde_json::json;
/// let schema = json!({"type": "object", "required": ["host"], "properties": {"port": {"type": "integer"}}});
/// assert!(airbyte_sdk::validate_config(&schema, &json!({"host": "h"})).is_ok());
/// let error = airbyte_sdk::validate_config(&schema, &json!({"port": "x"})).unwrap_err();
/// assert!(error.to_string().starts_with("Config validation error: "), "{error}");
/// ```
pub fn validate(schema: &Value, config: &Value) -> Result<(), Error> {
    let validator = jsonschema::draft7::new(schema).map_err(|e| {
        Error::system(format!(
            "the connector's spec is not a valid JSON Schema: {e}"
        ))
    })?;
    let problems: Vec<String> = validator
        .iter_errors(config)
        .map(|e| {
            let path = e.instance_path().to_string();
            let at = if path.is_empty() {
                "the config".to_owned()
            } else {
                format!("`{path}`")
            };
            format!("{at}: {e}")
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::config(format!(
            "Config validation error: {}",
            problems.join("; ")
        )))
    }
}

/// Deserializes a validated config into the connector's type.
pub(crate) fn deserialize<C: Config>(config: Value) -> Result<C, Error> {
    serde_json::from_value(config)
        .map_err(|e| Error::config(format!("Config validation error: {e}")))
}
