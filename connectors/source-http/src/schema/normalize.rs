//! `schema_normalization: Default`: the CDK's `TypeTransformer` with
//! `DefaultSchemaNormalization`, which casts a record's values to the types
//! of the stream's JSON schema (`airbyte_cdk/sources/utils/transform.py`).
//!
//! The walk is jsonschema's, with only the keywords the transformer hooks:
//! under `properties`, each property the record has is cast to its
//! subschema, then walked; under `items`, each element of a list. Other
//! keywords (`anyOf`, `oneOf`, `allOf`, ...) are not walked. The cast
//! (`default_convert`), for the one non-null type a subschema names:
//!
//! - `string`: Python's `str()` of the value;
//! - `number`: `float()` (text as Python reads a float; booleans are 0/1);
//! - `integer`: `int()` (text of an integer; a float truncated);
//! - `boolean`: `strtobool` for text (`y yes t true on 1` / `n no f false
//!   off 0`), else Python's truth;
//! - `array`: a scalar wrapped in a list when the items' type is absent or
//!   a list of simple types (a type given as text is iterated by Python
//!   letter by letter, so it never is a subset);
//! - null stays null when `null` is among the types; a value that cannot be
//!   cast stays as it is.

use serde_json::{Number, Value};

use crate::interpolation::{python_str, truthy};

/// Casts `record` in place to the types of `schema`.
///
/// ```
/// use serde_json::json;
/// use source_http::schema::normalize;
/// let schema = json!({"type": "object", "properties": {
///     "n": {"type": ["null", "integer"]}, "x": {"type": "number"}, "ok": {"type": "boolean"},
///     "s": {"type": "string"}, "tags": {"type": "array"}, "missing": {"type": "string"},
///     "inner": {"type": "object", "properties": {"v": {"type": "integer"}}},
/// }});
/// let mut record = json!({"n": "12", "x": "1.5", "ok": "yes", "s": 7, "tags": "a",
///     "inner": {"v": "3"}, "other": "1"});
/// normalize(&schema, &mut record);
/// assert_eq!(record, json!({"n": 12, "x": 1.5, "ok": true, "s": "7", "tags": ["a"],
///     "inner": {"v": 3}, "other": "1"}));
/// ```
pub fn normalize(schema: &Value, record: &mut Value) {
    walk(schema, record, 0);
}

/// jsonschema's recursion limit is far beyond real records; this one
/// only guards the stack.
const MAX_DEPTH: usize = 256;

fn walk(schema: &Value, instance: &mut Value, depth: usize) {
    let Value::Object(schema) = schema else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    // jsonschema visits the schema's keywords in order; `$ref` is resolved
    // by the manifest loader before this runs.
    for (keyword, value) in schema {
        match (keyword.as_str(), value, &mut *instance) {
            ("properties", Value::Object(properties), Value::Object(record)) => {
                for (key, subschema) in properties {
                    if let Some(field) = record.get_mut(key) {
                        convert(field, subschema);
                        walk(subschema, field, depth + 1);
                    }
                }
            }
            ("items", items @ Value::Object(_), Value::Array(elements)) => {
                for element in elements.iter_mut() {
                    convert(element, items);
                    walk(items, element, depth + 1);
                }
            }
            _ => {}
        }
    }
}

const SIMPLE_TYPES: [&str; 5] = ["string", "number", "integer", "boolean", "null"];

/// `TypeTransformer.default_convert(value, subschema)`, in place.
fn convert(value: &mut Value, subschema: &Value) {
    let types = subschema.get("type");
    let names_null = match types {
        Some(Value::Array(t)) => t.iter().any(|t| t == "null"),
        // `"null" in "..."` is a substring test on text.
        Some(Value::String(t)) => t.contains("null"),
        _ => false,
    };
    if value.is_null() && names_null {
        return;
    }
    let target = match types {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(t)) => {
            let mut rest = t.iter().filter(|t| *t != "null");
            match (rest.next(), rest.next()) {
                (Some(Value::String(one)), None) => one.as_str(),
                _ => return,
            }
        }
        _ => return,
    };
    let cast = match target {
        "string" => Some(Value::String(python_str(&*value))),
        "number" => to_float(&*value)
            .and_then(Number::from_f64)
            .map(Value::Number),
        "integer" => to_int(&*value),
        "boolean" => match &*value {
            Value::String(s) => strtobool(s).map(Value::Bool),
            other => Some(Value::Bool(truthy(other))),
        },
        "array" => {
            let item_types = subschema.get("items").and_then(|i| i.get("type"));
            let simple = match item_types {
                None => true,
                Some(Value::Array(t)) => t
                    .iter()
                    .all(|t| t.as_str().is_some_and(|t| SIMPLE_TYPES.contains(&t))),
                // Python iterates the text: its letters are no type names.
                Some(Value::String(t)) => t.is_empty(),
                Some(_) => false,
            };
            let scalar = !matches!(value, Value::Array(_) | Value::Object(_));
            (simple && scalar).then(|| Value::Array(vec![value.take()]))
        }
        _ => None,
    };
    if let Some(cast) = cast {
        *value = cast;
    }
}

/// Python's `float(value)`; `None` where it raises (or gives no JSON number).
fn to_float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => python_number_text(s)?.parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// Python's `int(value)`.
fn to_int(value: &Value) -> Option<Value> {
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64()?.trunc();
            (f.is_finite() && f.abs() < 9.2e18).then(|| Value::from(f as i64))
        }
        Value::Number(n) => Some(Value::Number(n.clone())),
        Value::Bool(b) => Some(Value::from(i64::from(*b))),
        Value::String(s) => {
            let text = python_number_text(s)?;
            let digits = text.strip_prefix(['+', '-']).unwrap_or(&text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            text.parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<u64>().map(Value::from))
                .ok()
        }
        _ => None,
    }
}

/// Text as Python's `int()` and `float()` read it: surrounding whitespace
/// stripped, single `_` allowed between digits.
fn python_number_text(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if !trimmed.contains('_') {
        return Some(trimmed.to_owned());
    }
    let bytes = trimmed.as_bytes();
    let mut out = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.char_indices() {
        if c == '_' {
            let digit_before = i > 0 && bytes[i - 1].is_ascii_digit();
            let digit_after = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !(digit_before && digit_after) {
                return None;
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// `_strtobool`.
fn strtobool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}
