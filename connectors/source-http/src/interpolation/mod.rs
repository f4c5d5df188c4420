//! Interpolation, the parts that decide a rendered value's type as the
//! CDK does: Python's `str()` of values ([`python_str`]), the literal
//! evaluation of rendered text ([`literal_eval`]) and the truth of a
//! condition ([`condition`]), and the rendering itself ([`Jinja`]).

mod interpolated;
mod jinja;
mod literal;
mod python_str;

pub use jinja::{
    Jinja, PyDateTime, PyDuration, ValidTypes, rewrite_duration_arithmetic, zone_offset,
};
pub use literal::literal_eval;
pub use python_str::{float_repr, json_string, python_str, string_repr};

use serde_json::Value;

/// The value of rendered text: its Python literal, else the text itself
/// (the CDK's `JinjaInterpolation.eval` after rendering).
///
/// ```
/// use serde_json::json;
/// use source_http::interpolation::typed;
/// assert_eq!(typed("1646042400"), json!(1646042400));
/// assert_eq!(typed("2024-01-01"), json!("2024-01-01"));
/// ```
pub fn typed(rendered: &str) -> Value {
    literal_eval(rendered).unwrap_or_else(|| Value::String(rendered.to_owned()))
}

/// Whether a rendered condition (`stop_condition`, a record filter) holds,
/// as `InterpolatedBoolean` decides in airbyte-cdk 7.39.1: false for an
/// empty render and for a value equal to one of `False`, `None`, `0`,
/// `0.0`, `{}`, `[]`, `()` or the strings `"False"`, `"false"`, `"{}"`,
/// `"[]"`, `"()"`, `"0"`, `"0.0"`; true for everything else (`"none"`,
/// `"null"` included).
///
/// ```
/// use source_http::interpolation::condition;
/// assert!(!condition("False") && !condition("") && !condition("0") && !condition("None"));
/// assert!(!condition("false") && !condition("[]"));
/// assert!(condition("True") && condition("none") && condition("x") && condition("[0]"));
/// ```
pub fn condition(rendered: &str) -> bool {
    let value = if rendered.is_empty() {
        Value::Bool(false)
    } else {
        typed(rendered)
    };
    !is_false_value(&value)
}

/// Python's truth of a JSON value (`bool(value)`): false for `None`,
/// `False`, zero, and empty strings, lists and mappings.
///
/// ```
/// use serde_json::json;
/// use source_http::interpolation::truthy;
/// assert!(!truthy(&json!(0.0)) && !truthy(&json!("")) && !truthy(&json!({})));
/// assert!(truthy(&json!("False")) && truthy(&json!([0])));
/// ```
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Whether an evaluated condition is one of `InterpolatedBoolean`'s false
/// values (see [`condition`]): the falsy values, and the texts of some.
pub fn is_false_value(value: &Value) -> bool {
    match value {
        Value::String(s) => matches!(
            s.as_str(),
            "False" | "false" | "{}" | "[]" | "()" | "" | "0" | "0.0"
        ),
        other => !truthy(other),
    }
}
