//! Reading a component's fields from its manifest mapping, with the
//! coercions of the CDK's pydantic (v1) models: a number where text is
//! expected becomes its `str()`, `"5"` where an integer is expected
//! becomes 5, `"yes"` where a boolean is expected becomes true. A missing
//! required field, a value of the wrong shape and an unknown `type` are
//! manifest (config) errors.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::interpolation::python_str;

/// A component's mapping, checked to be one of `types`.
pub(crate) fn component<'v>(
    value: &'v Value,
    types: &[&str],
    what: &str,
) -> Result<&'v Map<String, Value>, Error> {
    let Value::Object(map) = value else {
        return Err(Error::Manifest(format!(
            "{what} must be a mapping with a `type` ({}), not {}",
            types.join(" or "),
            python_str(value)
        )));
    };
    match map.get("type").and_then(Value::as_str) {
        Some(t) if types.contains(&t) => Ok(map),
        Some(t) => Err(Error::Manifest(format!(
            "{what} of type `{t}` is not supported by source-http (expected {})",
            types.join(" or ")
        ))),
        None => Err(Error::Manifest(format!(
            "{what} has no `type` (expected {})",
            types.join(" or ")
        ))),
    }
}

/// The component's `type`.
pub(crate) fn type_of(map: &Map<String, Value>) -> &str {
    map.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Its `$parameters` (propagated by the manifest loader), or `{}`.
pub(crate) fn parameters(map: &Map<String, Value>) -> Map<String, Value> {
    map.get("$parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn wrong(map: &Map<String, Value>, key: &str, expected: &str, value: &Value) -> Error {
    Error::Manifest(format!(
        "{}.{key} must be {expected}, not {}",
        type_of(map),
        python_str(value)
    ))
}

/// A required field.
pub(crate) fn required<'v>(map: &'v Map<String, Value>, key: &str) -> Result<&'v Value, Error> {
    match map.get(key) {
        Some(Value::Null) | None => Err(Error::Manifest(format!(
            "{} has no `{key}`, which it requires",
            type_of(map)
        ))),
        Some(v) => Ok(v),
    }
}

/// A present, non-null field.
pub(crate) fn field<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    map.get(key).filter(|v| !v.is_null())
}

/// pydantic's `str`: text, or the `str()` of a number or boolean.
pub(crate) fn as_text(map: &Map<String, Value>, key: &str, value: &Value) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) | Value::Bool(_) => Ok(python_str(value)),
        other => Err(wrong(map, key, "text", other)),
    }
}

/// An optional text field (pydantic's `Optional[str]`).
pub(crate) fn opt_text(map: &Map<String, Value>, key: &str) -> Result<Option<String>, Error> {
    field(map, key).map(|v| as_text(map, key, v)).transpose()
}

/// A required text field.
pub(crate) fn req_text(map: &Map<String, Value>, key: &str) -> Result<String, Error> {
    as_text(map, key, required(map, key)?)
}

/// pydantic's `int`: an integer, a boolean (0, 1), a float (truncated)
/// or the text of an integer.
pub(crate) fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i64)
        }),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::String(s) => s.trim().replace('_', "").parse().ok(),
        _ => None,
    }
}

/// pydantic's `float`: a number, a boolean or the text of a number.
pub(crate) fn as_float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => py_float(s),
        _ => None,
    }
}

/// Python's `float(text)` for the texts a manifest or a header holds.
pub(crate) fn py_float(text: &str) -> Option<f64> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "inf" | "infinity" | "nan") {
        return lower
            .parse::<f64>()
            .ok()
            .or(Some(if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else if unsigned == "nan" {
                f64::NAN
            } else {
                f64::INFINITY
            }));
    }
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
    {
        return None;
    }
    if t.contains('_') {
        // Underscores only between digits.
        let b = t.as_bytes();
        let ok = b.iter().enumerate().all(|(i, c)| {
            *c != b'_'
                || (i > 0
                    && b[i - 1].is_ascii_digit()
                    && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        });
        if !ok {
            return None;
        }
    }
    t.replace('_', "").parse::<f64>().ok()
}

/// pydantic's `bool`: a boolean, 0 or 1, or one of its words.
pub(crate) fn opt_bool(map: &Map<String, Value>, key: &str) -> Result<Option<bool>, Error> {
    let Some(value) = field(map, key) else {
        return Ok(None);
    };
    let parsed = match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Some(false),
            Some(1.0) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
            "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
            _ => None,
        },
        _ => None,
    };
    parsed
        .map(Some)
        .ok_or_else(|| wrong(map, key, "a boolean", value))
}

/// An optional integer field.
pub(crate) fn opt_int(map: &Map<String, Value>, key: &str) -> Result<Option<i64>, Error> {
    field(map, key)
        .map(|v| as_int(v).ok_or_else(|| wrong(map, key, "an integer", v)))
        .transpose()
}

/// A number or a template (pydantic's `Union[int, str]` or
/// `Union[float, str]`): the number when the value is one (or its text).
#[derive(Debug, Clone, PartialEq)]
pub enum NumberOrTemplate {
    /// An integer (`Union[int, str]`).
    Int(i64),
    /// A float (`Union[float, str]`).
    Float(f64),
    /// Text that is no number: a template.
    Template(String),
}

/// A `Union[int, str]` field (`page_size`, `max_retries`).
pub(crate) fn opt_int_or_template(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<NumberOrTemplate>, Error> {
    let Some(value) = field(map, key) else {
        return Ok(None);
    };
    if let Some(n) = as_int(value) {
        return Ok(Some(NumberOrTemplate::Int(n)));
    }
    Ok(Some(NumberOrTemplate::Template(as_text(map, key, value)?)))
}

/// A `Union[float, str]` field (`factor`, `backoff_time_in_seconds`).
pub(crate) fn opt_float_or_template(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<NumberOrTemplate>, Error> {
    let Some(value) = field(map, key) else {
        return Ok(None);
    };
    if let Some(f) = as_float(value) {
        return Ok(Some(NumberOrTemplate::Float(f)));
    }
    Ok(Some(NumberOrTemplate::Template(as_text(map, key, value)?)))
}

/// A list of texts (pydantic's `List[str]`).
pub(crate) fn opt_text_list(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<Vec<String>>, Error> {
    let Some(value) = field(map, key) else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(wrong(map, key, "a list", value));
    };
    items
        .iter()
        .map(|item| as_text(map, key, item))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The text of a number as the CDK's `str()` gives it for a float field
/// (`5` read as a float is `5.0`).
pub(crate) fn float_text(number: &NumberOrTemplate) -> String {
    match number {
        NumberOrTemplate::Int(i) => i.to_string(),
        NumberOrTemplate::Float(f) => crate::interpolation::float_repr(*f),
        NumberOrTemplate::Template(t) => t.clone(),
    }
}
