//! Merging the options of a request's sources, as the CDK's
//! `combine_mappings` does.
//!
//! - Query parameters, headers and form data: a key given by two sources
//!   raises "Request body collision…", even with equal values.
//! - JSON bodies merge deeply; only a key with two different values (or a
//!   mapping and a value) raises.
//! - A source may give text instead of a mapping (a raw body): it is kept
//!   only when every other source is empty; two texts, or a text and a
//!   mapping, raise.

use serde_json::{Map, Value};

use crate::error::Error;

/// One source's value for one part of a request, as Python holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// A mapping (`{}` counts as nothing).
    Map(Map<String, Value>),
    /// Text (a raw body).
    Text(String),
    /// Anything else a template rendered (a number, a list): it takes a
    /// place among the sources but adds nothing.
    Other(Value),
}

impl Piece {
    /// The piece of a rendered value: `None` is no piece.
    pub fn of(value: Value) -> Option<Piece> {
        match value {
            Value::Null => None,
            Value::Object(m) => Some(Piece::Map(m)),
            Value::String(s) => Some(Piece::Text(s)),
            other => Some(Piece::Other(other)),
        }
    }
}

/// What a partition router, a cursor or an authenticator puts in a
/// request: one mapping per part (`{}` for nothing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestOptions {
    /// Query parameters.
    pub params: Map<String, Value>,
    /// Headers.
    pub headers: Map<String, Value>,
    /// Form fields.
    pub body_data: Map<String, Value>,
    /// JSON body fields.
    pub body_json: Map<String, Value>,
}

fn value_error(message: String) -> Error {
    Error::Request {
        kind: "ValueError".into(),
        message,
    }
}

/// Python's `==` on JSON-shaped values: `1 == 1.0 == True`.
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    let number = |v: &Value| match v {
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => match (number(a), number(b)) {
            (Some(p), Some(q)) => match (a, b) {
                (Value::Number(m), Value::Number(n)) if m.is_i64() && n.is_i64() => {
                    m.as_i64() == n.as_i64()
                }
                _ => p == q,
            },
            _ => a == b,
        },
    }
}

fn collision(path: &[String]) -> Error {
    value_error(format!(
        "Request body collision, duplicate keys detected at key path: {}. Please ensure that all keys in the request are unique.",
        path.join(".")
    ))
}

fn merge_into(
    target: &mut Map<String, Value>,
    source: &Map<String, Value>,
    path: &[String],
    allow_same_value: bool,
) -> Result<(), Error> {
    for (key, source_value) in source {
        let mut current = path.to_vec();
        current.push(key.clone());
        match target.get_mut(key) {
            Some(Value::Object(target_map)) if source_value.is_object() => {
                if !allow_same_value {
                    return Err(collision(&current));
                }
                if let Value::Object(source_map) = source_value {
                    merge_into(target_map, source_map, &current, allow_same_value)?;
                }
            }
            Some(target_value) => {
                if !allow_same_value || !py_eq(target_value, source_value) {
                    return Err(collision(&current));
                }
            }
            None => {
                target.insert(key.clone(), source_value.clone());
            }
        }
    }
    Ok(())
}

/// `combine_mappings(pieces, allow_same_value_merge)`: the merged mapping,
/// or the one text.
///
/// ```
/// use serde_json::json;
/// use source_http::requester::{combine, Piece};
/// let a = Piece::Map(json!({"k": 1}).as_object().unwrap().clone());
/// let b = Piece::Map(json!({"k": 1}).as_object().unwrap().clone());
/// let error = combine(&[Some(a.clone()), Some(b.clone())], false).unwrap_err();
/// assert!(error.to_string().starts_with("Request body collision, duplicate keys detected at key path: k."));
/// assert_eq!(combine(&[Some(a), Some(b)], true).unwrap(), Piece::Map(json!({"k": 1}).as_object().unwrap().clone()));
/// ```
pub fn combine(pieces: &[Option<Piece>], allow_same_value: bool) -> Result<Piece, Error> {
    let texts = pieces
        .iter()
        .filter(|p| matches!(p, Some(Piece::Text(_))))
        .count();
    if texts > 1 {
        return Err(value_error("Cannot combine multiple string options".into()));
    }
    let non_empty: Vec<&Piece> = pieces
        .iter()
        .flatten()
        .filter(|p| !matches!(p, Piece::Map(m) if m.is_empty()))
        .collect();
    if texts == 1 {
        if non_empty.len() > 1 {
            return Err(value_error(
                "Cannot combine multiple options if one is a string".into(),
            ));
        }
        if let Some(Piece::Text(t)) = non_empty.first() {
            return Ok(Piece::Text(t.clone()));
        }
    }
    let mut result = Map::new();
    for piece in non_empty {
        if let Piece::Map(m) = piece {
            merge_into(&mut result, m, &[], allow_same_value)?;
        }
    }
    Ok(Piece::Map(result))
}
