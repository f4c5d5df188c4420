//! The answer to `spec`: the manifest's own in local mode, the generic one
//! (a config that carries a manifest) in remote mode.

use airbyte_sdk::protocol::{AdvancedAuth, ConnectorSpecification, JsonObject};
use serde_json::{Value, json};

use super::manifest_input::INJECTED_MANIFEST;
use crate::error::Error;

/// The spec of a source whose manifest comes in the config (`required`:
/// whether the config must carry it).
pub fn generic_spec(required: bool) -> ConnectorSpecification {
    let mut schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Low-code source spec",
        "type": "object",
        "required": [INJECTED_MANIFEST],
        "additionalProperties": true,
        "properties": {
            INJECTED_MANIFEST: {
                "title": "Low-code manifest",
                "type": "object",
                "description": "The low-code manifest that defines the components of the source."
            }
        }
    });
    if !required && let Value::Object(map) = &mut schema {
        map.remove("required");
    }
    let mut spec = ConnectorSpecification::new(object(&schema));
    spec.documentation_url = Some("https://docs.airbyte.com/integrations/sources/low-code".into());
    spec
}

/// The spec a manifest's `spec` component gives (`Spec.generate_spec`).
///
/// ```
/// use serde_json::json;
/// let manifest = json!({"spec": {"type": "Spec", "documentation_url": "https://d",
///     "connection_specification": {"type": "object", "properties": {"k": {"type": "string"}}}}});
/// let spec = source_http::source::manifest_spec(&manifest).unwrap();
/// assert_eq!(spec.documentation_url.as_deref(), Some("https://d"));
/// assert!(spec.connection_specification.as_str().contains("\"k\""));
/// ```
pub fn manifest_spec(manifest: &Value) -> Result<ConnectorSpecification, Error> {
    let Some(spec) = manifest.get("spec") else {
        return Err(Error::Manifest(
            "the manifest has no `spec`, so the connector has no config schema".into(),
        ));
    };
    let Some(schema @ Value::Object(_)) = spec.get("connection_specification") else {
        return Err(Error::Manifest(
            "the manifest's spec has no `connection_specification` object".into(),
        ));
    };
    let mut out = ConnectorSpecification::new(object(schema));
    if let Some(Value::String(url)) = spec.get("documentation_url")
        && !url.is_empty()
    {
        out.documentation_url = Some(url.clone());
    }
    if let Some(auth @ Value::Object(_)) = spec.get("advanced_auth") {
        let auth: AdvancedAuth = serde_json::from_value(auth.clone()).map_err(|e| {
            Error::Manifest(format!(
                "the manifest's spec.advanced_auth is not valid: {e}"
            ))
        })?;
        out.advanced_auth = Some(auth);
    }
    Ok(out)
}

fn object(value: &Value) -> JsonObject {
    JsonObject::from_serialize(value).unwrap_or_else(|_| JsonObject::empty())
}
