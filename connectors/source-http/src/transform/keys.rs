//! Key rewrites: `KeysToLower` (top-level keys), `KeysToSnakeCase` and
//! `KeysReplace` (keys of nested mappings too, not inside lists).

use serde_json::{Map, Value};

use crate::error::Error;
use crate::incremental::{context, expect_component, parameters, required_string};
use crate::interpolation::{Jinja, python_str};

/// `KeysToLower`: each top-level key lower-cased. When two keys lower to
/// the same, the CDK's winner depends on Python's set order (random per
/// process); here the key that sorts last wins.
///
/// ```
/// use serde_json::json;
/// let mut record = json!({"Name": 1, "ID": {"Inner": 2}});
/// source_http::transform::keys_to_lower(&mut record);
/// assert_eq!(record, json!({"name": 1, "id": {"Inner": 2}}));
/// ```
pub fn keys_to_lower(record: &mut Value) {
    if let Value::Object(map) = record {
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            if let Some(value) = map.remove(&key) {
                map.insert(key.to_lowercase(), value);
            }
        }
    }
}

/// `KeysToSnakeCase`: keys transliterated to ASCII (`anyascii`), split
/// into tokens (`[A-Z]+[a-z]*`, `[a-z]+`, digits; other characters
/// separate), inner empty tokens dropped, an empty token put first when
/// the first is a number, joined with `_` in lower case (`2fa` → `_2_fa`).
///
/// ```
/// use serde_json::json;
/// let mut record = json!({"CreatedAt": 1, "HTTPResponse": 2, "user id": {"FirstName": 3}, "2fa": 4});
/// source_http::transform::keys_to_snake_case(&mut record);
/// assert_eq!(record, json!({"created_at": 1, "httpresponse": 2, "user_id": {"first_name": 3}, "_2_fa": 4}));
/// ```
pub fn keys_to_snake_case(record: &mut Value) {
    if let Value::Object(map) = record {
        *map = snake_map(std::mem::take(map));
    }
}

fn snake_map(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Object(inner) => Value::Object(snake_map(inner)),
                other => other,
            };
            (snake_key(&key), value)
        })
        .collect()
}

/// The CDK's `process_key`.
pub fn snake_key(key: &str) -> String {
    let ascii = any_ascii::any_ascii(key);
    let chars: Vec<char> = ascii.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let c = chars[i];
        let token = if c.is_ascii_uppercase() {
            while i < chars.len() && chars[i].is_ascii_uppercase() {
                i += 1;
            }
            while i < chars.len() && chars[i].is_ascii_lowercase() {
                i += 1;
            }
            true
        } else if c.is_ascii_lowercase() {
            while i < chars.len() && chars[i].is_ascii_lowercase() {
                i += 1;
            }
            true
        } else if c.is_ascii_digit() {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            true
        } else {
            while i < chars.len() && !chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            false
        };
        tokens.push(if token {
            chars[start..i].iter().collect::<String>()
        } else {
            String::new()
        });
    }
    if tokens.len() >= 3 {
        let last = tokens.len() - 1;
        let mut kept = vec![tokens[0].clone()];
        kept.extend(tokens[1..last].iter().filter(|t| !t.is_empty()).cloned());
        kept.push(tokens[last].clone());
        tokens = kept;
    }
    if tokens
        .first()
        .is_some_and(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
    {
        tokens.insert(0, String::new());
    }
    tokens
        .iter()
        .map(|t| t.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// A `KeysReplace` transformation.
#[derive(Debug, Clone, PartialEq)]
pub struct KeysReplace {
    /// The text to replace (a template).
    pub old: String,
    /// Its replacement (a template).
    pub new: String,
    /// The `parameters` of both.
    pub parameters: Map<String, Value>,
}

impl KeysReplace {
    /// From a `KeysReplace` mapping.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::transform::KeysReplace;
    /// let replace = KeysReplace::from_manifest(&json!({"type": "KeysReplace", "old": " ", "new": "_"})).unwrap();
    /// let mut record = json!({"user id": {"first name": 1}, "list": [{"a b": 2}]});
    /// replace.transform(&Jinja::new(), &mut record, &json!({}), &json!(null)).unwrap();
    /// assert_eq!(record, json!({"user_id": {"first_name": 1}, "list": [{"a b": 2}]}));
    /// ```
    pub fn from_manifest(value: &Value) -> Result<KeysReplace, Error> {
        let map = expect_component(value, &["KeysReplace"])?;
        Ok(KeysReplace {
            old: required_string(map, "KeysReplace", "old")?,
            new: required_string(map, "KeysReplace", "new")?,
            parameters: parameters(map),
        })
    }

    /// Replaces `old` by `new` in the record's keys.
    pub fn transform(
        &self,
        jinja: &Jinja,
        record: &mut Value,
        config: &Value,
        slice: &Value,
    ) -> Result<(), Error> {
        let context = context(
            config,
            &self.parameters,
            [("record", record.clone()), ("stream_slice", slice.clone())],
        );
        let old = python_str(&jinja.string(&self.old, &context)?);
        let new = python_str(&jinja.string(&self.new, &context)?);
        if let Value::Object(map) = record {
            *map = replace_map(std::mem::take(map), &old, &new);
        }
        Ok(())
    }
}

fn replace_map(map: Map<String, Value>, old: &str, new: &str) -> Map<String, Value> {
    map.into_iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Object(inner) => Value::Object(replace_map(inner, old, new)),
                other => other,
            };
            (key.replace(old, new), value)
        })
        .collect()
}
