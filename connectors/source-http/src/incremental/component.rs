//! Reading a component's fields from its loaded manifest mapping, with the
//! CDK's (pydantic v1's) coercions, and the interpolation context its
//! templates see (`config`, `parameters` and the rest).

use serde_json::{Map, Value};

use crate::error::Error;
use crate::interpolation::{Jinja, python_str};

/// The mapping of a component whose `type` must be `expected`.
pub(crate) fn component<'v>(
    value: &'v Value,
    expected: &[&str],
) -> Result<&'v Map<String, Value>, Error> {
    let Value::Object(map) = value else {
        return Err(Error::Manifest(format!(
            "expected a {} component (a mapping), got {}",
            expected.join(" or "),
            python_str(value)
        )));
    };
    match map.get("type").and_then(Value::as_str) {
        Some(t) if expected.contains(&t) => Ok(map),
        Some(t) => Err(Error::Manifest(format!(
            "expected a component of type {}, got {t}",
            expected.join(" or ")
        ))),
        None => Err(Error::Manifest(format!(
            "the {} component has no type",
            expected.join(" or ")
        ))),
    }
}

/// A `str` field: text, or a number or boolean as pydantic v1 coerces it.
pub(crate) fn string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, Error> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(python_str(v))),
        Some(other) => Err(Error::Manifest(format!(
            "`{key}` must be a string, got {}",
            python_str(other)
        ))),
    }
}

/// A required `str` field of component `name`.
pub(crate) fn required_string(
    map: &Map<String, Value>,
    name: &str,
    key: &str,
) -> Result<String, Error> {
    string(map, key)?.ok_or_else(|| Error::Manifest(format!("{name} requires `{key}`")))
}

/// A `bool` field (pydantic v1 also takes `0`/`1` and `"true"`/`"false"`).
pub(crate) fn boolean(map: &Map<String, Value>, key: &str) -> Result<Option<bool>, Error> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
            Ok(Some(n.as_i64() == Some(1)))
        }
        Some(Value::String(s)) => match s.to_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Ok(Some(true)),
            "false" | "0" | "no" | "off" | "f" | "n" => Ok(Some(false)),
            _ => Err(Error::Manifest(format!(
                "`{key}` must be a boolean, got {s:?}"
            ))),
        },
        Some(other) => Err(Error::Manifest(format!(
            "`{key}` must be a boolean, got {}",
            python_str(other)
        ))),
    }
}

/// A `List[str]` field.
pub(crate) fn strings(map: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, Error> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => string_items(value, key).map(Some),
    }
}

/// The items of a `List[str]` (`what` names it in errors), numbers and
/// booleans coerced as pydantic v1 does.
pub(crate) fn string_items(value: &Value, what: &str) -> Result<Vec<String>, Error> {
    let Value::Array(items) = value else {
        return Err(Error::Manifest(format!(
            "`{what}` must be a list, got {}",
            python_str(value)
        )));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            v @ (Value::Number(_) | Value::Bool(_)) => Ok(python_str(v)),
            other => Err(Error::Manifest(format!(
                "`{what}` must be a list of strings, got {}",
                python_str(other)
            ))),
        })
        .collect()
}

/// The component's `$parameters` (the `parameters` of its templates).
pub(crate) fn parameters(map: &Map<String, Value>) -> Map<String, Value> {
    match map.get("$parameters") {
        Some(Value::Object(p)) => p.clone(),
        _ => Map::new(),
    }
}

/// The interpolation context `{config, parameters, ...extra}`.
pub(crate) fn context<'a>(
    config: &Value,
    parameters: &Map<String, Value>,
    extra: impl IntoIterator<Item = (&'a str, Value)>,
) -> Map<String, Value> {
    let mut context = Map::new();
    context.insert("config".into(), config.clone());
    context.insert("parameters".into(), Value::Object(parameters.clone()));
    for (key, value) in extra {
        context.insert(key.to_owned(), value);
    }
    context
}

/// `InterpolatedString(template, parameters).eval(config)`.
pub(crate) fn eval_string(
    jinja: &Jinja,
    template: &str,
    config: &Value,
    parameters: &Map<String, Value>,
) -> Result<Value, Error> {
    jinja.string(template, &context(config, parameters, []))
}

/// A key rendered from a template (`cursor_field`, `partition_field`):
/// the text of the value it evaluates to.
pub(crate) fn eval_key(
    jinja: &Jinja,
    template: &str,
    config: &Value,
    parameters: &Map<String, Value>,
) -> Result<String, Error> {
    Ok(python_str(&eval_string(
        jinja, template, config, parameters,
    )?))
}
