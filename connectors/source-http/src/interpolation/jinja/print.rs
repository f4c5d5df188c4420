//! Printing template values as Python does: `str()` for output, `repr()`
//! inside containers, and `json.dumps` (for the `string` filter).

use minijinja::value::{Value, ValueKind};

use super::objects::PyDateTime;
use crate::interpolation::{float_repr, json_string, string_repr};

/// Python's `str()` of a template value; undefined prints as nothing.
pub fn python_str(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined => String::new(),
        ValueKind::String => value.as_str().unwrap_or_default().to_owned(),
        _ => {
            let mut out = String::new();
            repr(value, &mut out);
            out
        }
    }
}

fn repr(value: &Value, out: &mut String) {
    if let Some(dt) = value.downcast_object_ref::<PyDateTime>() {
        // `repr(datetime)` differs, but containers of datetimes are not
        // written by manifests; their `str()` is what is printed.
        out.push_str(&dt.to_string());
        return;
    }
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number => out.push_str(&number(value)),
        ValueKind::String => string_repr(value.as_str().unwrap_or_default(), out),
        ValueKind::Seq | ValueKind::Iterable | ValueKind::Map => container(value, out, repr, repr),
        _ => out.push_str(&value.to_string()),
    }
}

/// A list as `[a, b]` or a mapping as `{k: v}`, its items written by
/// `item` and its keys by `key`.
fn container(
    value: &Value,
    out: &mut String,
    item: fn(&Value, &mut String),
    key: fn(&Value, &mut String),
) {
    let map = value.kind() == ValueKind::Map;
    out.push(if map { '{' } else { '[' });
    if let Ok(entries) = value.try_iter() {
        for (i, entry) in entries.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if map {
                key(&entry, out);
                out.push_str(": ");
                item(&value.get_item(&entry).unwrap_or_default(), out);
            } else {
                item(&entry, out);
            }
        }
    }
    out.push(if map { '}' } else { ']' });
}

/// An int as decimal, a float as Python's `repr`.
fn number(value: &Value) -> String {
    if value.is_integer() {
        value.to_string()
    } else {
        f64::try_from(value.clone()).map_or_else(|_| value.to_string(), float_repr)
    }
}

/// Python's `json.dumps(value)` with its defaults: `", "` and `": "`
/// separators, non-ASCII escaped.
pub fn json_dumps(value: &Value) -> String {
    let mut out = String::new();
    dumps(value, &mut out);
    out
}

fn dumps(value: &Value, out: &mut String) {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => out.push_str(&number(value)),
        ValueKind::String => json_string(value.as_str().unwrap_or_default(), out),
        ValueKind::Seq | ValueKind::Iterable | ValueKind::Map => {
            container(value, out, dumps, |key, out| {
                json_string(&python_str(key), out)
            })
        }
        _ => json_string(&python_str(value), out),
    }
}
