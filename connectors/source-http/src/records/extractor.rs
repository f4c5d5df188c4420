//! `JsonDecoder` and `DpathExtractor`: the records of a response body.
//!
//! - The body is JSON; a top-level list is several bodies; a body that is
//!   no JSON, or an empty one, is `{}` (so it yields no record).
//! - An empty `field_path` takes the body itself. A path without `*` is
//!   looked up key by key (list indexes as numbers); a missing step gives
//!   no record. With `*`, every key or index at that level matches, and
//!   the matches are collected in order.
//! - A list extracted yields each item; anything else truthy is one
//!   record; something falsy (`{}`, `[]`, `null`, `0`, `""`) yields none.
//!
//! The path's segments are templates, rendered with the config and
//! literal-evaluated as every template is: `"0"` becomes the integer 0,
//! which indexes a list but is no key of a mapping (JSON keys are text).

use serde_json::{Map, Value};

use crate::error::Error;
use crate::interpolation::{Jinja, truthy};

/// The bodies a JSON response holds (`JsonDecoder`).
///
/// ```
/// use serde_json::json;
/// use source_http::records::decode_json;
/// assert_eq!(decode_json(br#"[{"a": 1}, {"a": 2}]"#), vec![json!({"a": 1}), json!({"a": 2})]);
/// assert_eq!(decode_json(b"not json"), vec![json!({})]);
/// assert_eq!(decode_json(b"[]"), vec![json!({})]);
/// ```
pub fn decode_json(body: &[u8]) -> Vec<Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) if !items.is_empty() => items,
        Ok(Value::Array(_)) | Err(_) => vec![Value::Object(Map::new())],
        Ok(other) => vec![other],
    }
}

/// A `DpathExtractor` with its path templates.
#[derive(Debug, Clone)]
pub struct DpathExtractor {
    /// The path's segments, each a template.
    pub field_path: Vec<String>,
}

impl DpathExtractor {
    /// The records of a response body.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::records::DpathExtractor;
    /// let extractor = DpathExtractor { field_path: vec!["data".into(), "*".into(), "items".into()] };
    /// let body = br#"{"data": [{"items": [1, 2]}, {"items": [3]}, {"other": 4}]}"#;
    /// let records = extractor.extract(body, &Jinja::new(), &json!({})).unwrap();
    /// assert_eq!(records, vec![json!([1, 2]), json!([3])]);
    /// ```
    pub fn extract(&self, body: &[u8], jinja: &Jinja, config: &Value) -> Result<Vec<Value>, Error> {
        self.extract_bodies(&decode_json(body), jinja, config)
    }

    /// The records of bodies already decoded (see [`decode_json`]).
    pub fn extract_bodies(
        &self,
        bodies: &[Value],
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Vec<Value>, Error> {
        let path = self.path(jinja, config)?;
        let mut records = Vec::new();
        for body in bodies {
            if path.iter().any(|s| s.is("*")) {
                let mut found = Vec::new();
                glob(body, &path, &mut found);
                records.extend(found);
                continue;
            }
            match get(body, &path) {
                Some(Value::Array(items)) => records.extend(items.iter().cloned()),
                Some(other) if truthy(other) => records.push(other.clone()),
                _ => {}
            }
        }
        Ok(records)
    }

    /// [`DpathExtractor::extract_bodies`], moving the records out of the
    /// bodies instead of copying them (for a page whose body nothing reads
    /// afterwards).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::records::DpathExtractor;
    /// let extractor = DpathExtractor { field_path: vec!["data".into()] };
    /// let bodies = vec![json!({"data": [{"id": 1}, {"id": 2}], "next": null})];
    /// let (jinja, config) = (Jinja::new(), json!({}));
    /// let copied = extractor.extract_bodies(&bodies, &jinja, &config).unwrap();
    /// assert_eq!(extractor.extract_owned(bodies, &jinja, &config).unwrap(), copied);
    /// ```
    pub fn extract_owned(
        &self,
        mut bodies: Vec<Value>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Vec<Value>, Error> {
        let path = self.path(jinja, config)?;
        if path.iter().any(|s| s.is("*")) {
            return self.extract_bodies(&bodies, jinja, config);
        }
        let mut records = Vec::new();
        for body in &mut bodies {
            match get_mut(body, &path).map(std::mem::take) {
                Some(Value::Array(items)) => records.extend(items),
                Some(other) if truthy(&other) => records.push(other),
                _ => {}
            }
        }
        Ok(records)
    }

    /// The path's segments, rendered with the config.
    fn path(&self, jinja: &Jinja, config: &Value) -> Result<Vec<Segment>, Error> {
        let mut context = Map::new();
        context.insert("config".into(), config.clone());
        let mut path = Vec::with_capacity(self.field_path.len());
        for segment in &self.field_path {
            path.push(match jinja.eval(segment, &context, None)? {
                Value::String(s) => Segment::Key(s),
                Value::Number(n) if n.is_i64() || n.is_u64() => Segment::Index(n.as_i64()),
                _ => Segment::Other,
            });
        }
        if path.iter().any(|s| s.is("**")) {
            return Err(Error::Manifest(
                "a DpathExtractor field_path with `**` is not supported by source-http yet".into(),
            ));
        }
        Ok(path)
    }
}

/// A rendered path segment.
#[derive(Debug, Clone)]
enum Segment {
    /// Text: a key of a mapping (or, all digits, an index of a list).
    Key(String),
    /// An integer (`None` beyond 64 bits): an index of a list only.
    Index(Option<i64>),
    /// Anything else (a float, a boolean): matches nothing.
    Other,
}

impl Segment {
    fn is(&self, text: &str) -> bool {
        matches!(self, Segment::Key(k) if k == text)
    }
}

/// One step down: a key of a mapping, or an index of a list.
fn step<'v>(node: &'v Value, segment: &Segment) -> Option<&'v Value> {
    match (node, segment) {
        (Value::Object(map), Segment::Key(key)) => map.get(key),
        (Value::Array(items), Segment::Key(key)) => {
            key.parse::<usize>().ok().and_then(|i| items.get(i))
        }
        (Value::Array(items), Segment::Index(Some(i))) => {
            usize::try_from(*i).ok().and_then(|i| items.get(i))
        }
        _ => None,
    }
}

/// [`step`], for a mutable node.
fn step_mut<'v>(node: &'v mut Value, segment: &Segment) -> Option<&'v mut Value> {
    match (node, segment) {
        (Value::Object(map), Segment::Key(key)) => map.get_mut(key),
        (Value::Array(items), Segment::Key(key)) => {
            key.parse::<usize>().ok().and_then(|i| items.get_mut(i))
        }
        (Value::Array(items), Segment::Index(Some(i))) => {
            usize::try_from(*i).ok().and_then(|i| items.get_mut(i))
        }
        _ => None,
    }
}

fn get_mut<'v>(node: &'v mut Value, path: &[Segment]) -> Option<&'v mut Value> {
    path.iter()
        .try_fold(node, |node, segment| step_mut(node, segment))
}

fn get<'v>(node: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter()
        .try_fold(node, |node, segment| step(node, segment))
}

/// Every value matching `path`, where `*` matches any key or index.
fn glob(node: &Value, path: &[Segment], found: &mut Vec<Value>) {
    let Some((segment, rest)) = path.split_first() else {
        found.push(node.clone());
        return;
    };
    if segment.is("*") {
        match node {
            Value::Object(map) => map.values().for_each(|child| glob(child, rest, found)),
            Value::Array(items) => items.iter().for_each(|child| glob(child, rest, found)),
            _ => {}
        }
    } else if let Some(child) = step(node, segment) {
        glob(child, rest, found);
    }
}
