//! Secrets: the config values marked `airbyte_secret` (so that they can be
//! masked in logs and error messages), and what CAT considers a secret field
//! (used by `test_secret_is_properly_marked` in `rules.rs`).

use serde_json::{Map, Value};

/// Property names that CAT treats as secrets (compared case-insensitively,
/// whole name only: `ca_certificate` is not one, `certificate` is).
///
/// # Example
///
/// ```
/// use airbyte_sdk::spec::SECRET_PROPERTY_NAMES;
/// assert!(SECRET_PROPERTY_NAMES.contains(&"password"));
/// assert!(!SECRET_PROPERTY_NAMES.contains(&"ca_certificate"));
/// ```
pub const SECRET_PROPERTY_NAMES: &[&str] = &[
    "client_token",
    "access_token",
    "api_token",
    "token",
    "secret",
    "client_secret",
    "password",
    "key",
    "service_account_info",
    "service_account",
    "tenant_id",
    "certificate",
    "jwt",
    "credentials",
    "app_id",
    "appid",
    "refresh_token",
];

/// Path segment that stands for "every element of the array" in
/// [`secret_paths`].
///
/// # Example
///
/// ```
/// use airbyte_sdk::spec::{ANY_ITEM, secret_paths};
/// use serde_json::json;
///
/// let spec = json!({"properties": {"keys": {
///     "type": "array",
///     "items": {"type": "string", "airbyte_secret": true},
/// }}});
/// assert_eq!(secret_paths(&spec), [["keys", ANY_ITEM]]);
/// ```
pub const ANY_ITEM: &str = "*";

/// The paths (property names from the root) of every property marked
/// `"airbyte_secret": true` in a `connectionSpecification`.
///
/// Nested objects are walked through `properties`; the options of a
/// `oneOf`/`anyOf`/`allOf` add their properties at the same level (a config
/// object holds the fields of the option it chose, without an index); array
/// elements appear as [`ANY_ITEM`] (`"*"`). A secret object is reported once,
/// without its inner paths. Duplicates (the same field in several options) are
/// reported once, in first-seen order.
///
/// # Example
///
/// ```
/// use airbyte_sdk::spec::secret_paths;
/// use serde_json::json;
///
/// let spec = json!({
///     "type": "object",
///     "properties": {
///         "password": {"type": "string", "airbyte_secret": true},
///         "ssl_mode": {"type": "object", "oneOf": [
///             {"properties": {"mode": {"const": "disable"}}},
///             {"properties": {"mode": {"const": "verify-ca"},
///                             "ca_certificate": {"type": "string", "airbyte_secret": true}}},
///         ]},
///     },
/// });
/// assert_eq!(secret_paths(&spec), vec![
///     vec!["password".to_owned()],
///     vec!["ssl_mode".to_owned(), "ca_certificate".to_owned()],
/// ]);
/// ```
pub fn secret_paths(connection_specification: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    collect_paths(connection_specification, &mut Vec::new(), &mut out);
    out
}

fn is_secret(schema: &Map<String, Value>) -> bool {
    schema.get("airbyte_secret") == Some(&Value::Bool(true))
}

fn collect_paths(schema: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    if is_secret(schema) && !prefix.is_empty() {
        if !out.contains(prefix) {
            out.push(prefix.clone());
        }
        return;
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, property) in properties {
            prefix.push(name.clone());
            collect_paths(property, prefix, out);
            prefix.pop();
        }
    }
    for keyword in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(options)) = schema.get(keyword) {
            for option in options {
                collect_paths(option, prefix, out);
            }
        }
    }
    match schema.get("items") {
        Some(items @ Value::Object(_)) => {
            prefix.push(ANY_ITEM.to_owned());
            collect_paths(items, prefix, out);
            prefix.pop();
        }
        Some(Value::Array(items)) => {
            prefix.push(ANY_ITEM.to_owned());
            for item in items {
                collect_paths(item, prefix, out);
            }
            prefix.pop();
        }
        _ => {}
    }
}

/// The values in `config` of every field that the `connectionSpecification`
/// marks `"airbyte_secret": true`, as strings, so that they can be masked.
///
/// The schema and the config are walked together: `properties` of nested
/// objects, every option of a `oneOf`/`anyOf`/`allOf` (each option's
/// properties are looked up in the same config object, so the option the
/// config chose is always covered), array `items`, and schema-valued
/// `additionalProperties`.
///
/// Strings are returned as they are and numbers as JSON text. A secret object
/// or array yields its compact JSON text and every string and number inside
/// it. Empty strings, `null`s and booleans are never returned (masking them
/// would garble every log line). Each value appears once, in first-seen order.
///
/// # Example
///
/// ```
/// use airbyte_sdk::spec::secret_values;
/// use serde_json::json;
///
/// let spec = json!({
///     "type": "object",
///     "properties": {
///         "host": {"type": "string"},
///         "password": {"type": "string", "airbyte_secret": true},
///         "pin": {"type": "integer", "airbyte_secret": true},
///         "ssl_mode": {"type": "object", "oneOf": [
///             {"properties": {"mode": {"const": "disable"}}},
///             {"properties": {"mode": {"const": "verify-ca"},
///                             "ca_certificate": {"type": "string", "airbyte_secret": true}}},
///         ]},
///     },
/// });
/// let config = json!({
///     "host": "db",
///     "password": "hunter2",
///     "pin": 1234,
///     "ssl_mode": {"mode": "verify-ca", "ca_certificate": "-----BEGIN CERTIFICATE-----"},
/// });
/// assert_eq!(
///     secret_values(&spec, &config),
///     ["hunter2", "1234", "-----BEGIN CERTIFICATE-----"]
/// );
/// ```
pub fn secret_values(connection_specification: &Value, config: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_values(connection_specification, config, &mut out);
    out
}

fn push_unique(out: &mut Vec<String>, value: String) {
    if !value.is_empty() && !out.contains(&value) {
        out.push(value);
    }
}

/// Pushes a secret value and, for containers, every scalar inside it.
fn push_secret(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Null | Value::Bool(_) => {}
        Value::String(s) => push_unique(out, s.clone()),
        Value::Number(n) => push_unique(out, n.to_string()),
        Value::Array(_) | Value::Object(_) => {
            push_unique(out, value.to_string());
            push_leaves(value, out);
        }
    }
}

fn push_leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => push_unique(out, s.clone()),
        Value::Number(n) => push_unique(out, n.to_string()),
        Value::Array(items) => items.iter().for_each(|item| push_leaves(item, out)),
        Value::Object(fields) => fields.values().for_each(|field| push_leaves(field, out)),
        Value::Null | Value::Bool(_) => {}
    }
}

fn collect_values(schema: &Value, value: &Value, out: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    if value.is_null() {
        return;
    }
    if is_secret(schema) {
        push_secret(value, out);
        return;
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    if let (Some(properties), Some(fields)) = (properties, value.as_object()) {
        for (name, property) in properties {
            if let Some(field) = fields.get(name) {
                collect_values(property, field, out);
            }
        }
    }
    if let (Some(extra @ Value::Object(_)), Some(fields)) =
        (schema.get("additionalProperties"), value.as_object())
    {
        for (name, field) in fields {
            if properties.is_none_or(|p| !p.contains_key(name)) {
                collect_values(extra, field, out);
            }
        }
    }
    for keyword in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(options)) = schema.get(keyword) {
            for option in options {
                collect_values(option, value, out);
            }
        }
    }
    if let Some(elements) = value.as_array() {
        match schema.get("items") {
            Some(items @ Value::Object(_)) => {
                for element in elements {
                    collect_values(items, element, out);
                }
            }
            Some(Value::Array(items)) => {
                for (items, element) in items.iter().zip(elements) {
                    collect_values(items, element, out);
                }
            }
            _ => {}
        }
    }
}

/// Whether CAT thinks a property can hold a secret (`_property_can_store_secret`).
pub(super) fn can_store_secret(prop: &Map<String, Value>) -> bool {
    const UNSECURE: &[&str] = &["string", "integer", "number"];
    let type_ = prop.get("type");
    let is = |name: &str| type_.and_then(Value::as_str) == Some(name);
    let described = ["properties", "anyOf", "oneOf", "allOf"];
    let generic_object = is("object") && !described.iter().any(|k| truthy(prop.get(*k)));
    let generic_array =
        is("array") && !truthy(prop.get("items")) && !truthy(prop.get("prefixItems"));
    let scalar = match type_ {
        Some(Value::String(t)) => UNSECURE.contains(&t.as_str()),
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| UNSECURE.contains(&t))),
        _ => false,
    };
    (scalar || generic_object || generic_array) && !truthy(prop.get("const"))
}

/// Python truthiness, as CAT's `bool(...)` and `any([...])` see it.
pub(super) fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}
