//! A request ready for a transport: method, URL, headers, body, as
//! `requests` would put them on the wire.

use serde_json::{Map, Value};

use super::prepare::{check_header, latin1, urlencode};
use crate::error::Error;
use crate::interpolation::{float_repr, json_string, python_str};

/// The request's method (the manifest schema allows these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET` (the default).
    Get,
    /// `POST`.
    Post,
}

impl HttpMethod {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body.
    None,
    /// A JSON body (sent as [`json_dumps`] writes it).
    Json(Value),
    /// A form body: decoded pairs, sent form-urlencoded.
    Form(Vec<(String, String)>),
    /// Text sent as it is (Latin-1 on the wire, as `http.client` sends it).
    Raw(String),
}

impl Body {
    /// The `Content-Type` requests adds when the headers have none.
    pub fn content_type(&self) -> Option<&'static str> {
        match self {
            Body::Json(_) => Some("application/json"),
            Body::Form(_) => Some("application/x-www-form-urlencoded"),
            Body::None | Body::Raw(_) => None,
        }
    }

    /// The bytes sent.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::requester::Body;
    /// assert_eq!(Body::Json(json!({"a": [1, 2.0, "é"]})).to_bytes().unwrap(), br#"{"a": [1, 2.0, "\u00e9"]}"#);
    /// assert_eq!(Body::Form(vec![("q".into(), "a b".into())]).to_bytes().unwrap(), b"q=a+b");
    /// ```
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        Ok(match self {
            Body::None => Vec::new(),
            Body::Json(v) => json_dumps(v).into_bytes(),
            Body::Form(pairs) => urlencode(pairs).into_bytes(),
            Body::Raw(text) => latin1(text, Some("body"))?,
        })
    }
}

/// A request, built: what a transport sends.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestParts {
    /// The method.
    pub method: HttpMethod,
    /// The URL as requests prepares it: normalised, with the query
    /// parameters appended (form-encoded) after the URL's own query.
    pub url: String,
    /// The query parameters appended to [`RequestParts::url`] (decoded),
    /// after deduplication against the URL's own query.
    pub query: Vec<(String, String)>,
    /// The headers, `Content-Type` included when the body sets one (no
    /// `Content-Length`, no default `User-Agent` / `Accept`). Values are
    /// sent as Latin-1 (each character one byte, checked when built).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

/// The form pairs of a mapping, as requests' `_encode_params` and
/// `urlencode(doseq=True)` make them: a list is a repeated key, `None`
/// items are dropped, other values `str()`'d (a mapping gives its keys).
pub fn form_pairs(map: &Map<String, Value>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (key, value) in map {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(m) => {
                // Iterating a mapping gives its keys.
                pairs.extend(m.keys().map(|k| (key.clone(), k.clone())));
                continue;
            }
            other => vec![other],
        };
        for item in items {
            match item {
                Value::Null => {}
                Value::Array(inner) => {
                    pairs.extend(inner.iter().map(|x| (key.clone(), python_str(x))));
                }
                Value::Object(inner) => {
                    pairs.extend(inner.keys().map(|k| (key.clone(), k.clone())));
                }
                other => pairs.push((key.clone(), python_str(other))),
            }
        }
    }
    pairs
}

/// Headers as requests holds them (a case-insensitive mapping: a second
/// spelling of a name replaces the first, in its place), each checked.
pub(crate) fn header_list(
    headers: &Map<String, Value>,
    body: &Body,
) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let value = python_str(value);
        check_header(name, &value)?;
        match out.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(slot) => *slot = (name.clone(), value),
            None => out.push((name.clone(), value)),
        }
    }
    if let Some(content_type) = body.content_type()
        && !out
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        out.push(("Content-Type".into(), content_type.into()));
    }
    for (_, value) in &out {
        latin1(value, None)?;
    }
    Ok(out)
}

/// Python's `json.dumps(value)`: `", "` and `": "` separators, non-ASCII
/// escaped as `\uXXXX`, floats as Python's `repr`.
///
/// ```
/// use serde_json::json;
/// use source_http::requester::json_dumps;
/// assert_eq!(json_dumps(&json!({"b": [1, 1.5, null, true], "a": "x\n\u{1F600}"})), r#"{"a": "x\n\ud83d\ude00", "b": [1, 1.5, null, true]}"#);
/// ```
pub fn json_dumps(value: &Value) -> String {
    let mut out = String::new();
    dump(value, &mut out);
    out
}

fn dump(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => out.push_str(&float_repr(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dump(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json_string(k, out);
                out.push_str(": ");
                dump(v, out);
            }
            out.push('}');
        }
    }
}
