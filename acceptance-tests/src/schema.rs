//! Validating records against their stream's JSON Schema, as Airbyte does.

use serde_json::Value;

/// A draft-07 validator of records, formats included, where Airbyte's
/// temporal types without a time zone are checked by their well-known
/// patterns (they are not RFC 3339 `date-time` or `time` values, and CAT's
/// format checker accepts them).
pub(crate) fn record_validator(
    schema: &Value,
) -> Result<jsonschema::Validator, jsonschema::ValidationError<'static>> {
    let mut schema = schema.clone();
    airbyte_formats(&mut schema);
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
}

/// Replaces `format` by the well-known pattern for Airbyte's zone-less temporal types.
fn airbyte_formats(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let pattern = match map.get("airbyte_type").and_then(Value::as_str) {
                Some("timestamp_without_timezone") => {
                    Some(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?( BC)?$")
                }
                Some("time_without_timezone") => Some(r"^\d{2}:\d{2}:\d{2}(\.\d+)?$"),
                _ => None,
            };
            if let Some(pattern) = pattern {
                map.remove("format");
                map.insert("pattern".to_owned(), Value::String(pattern.to_owned()));
            }
            map.values_mut().for_each(airbyte_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(airbyte_formats),
        _ => {}
    }
}
