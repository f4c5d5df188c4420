//! The parsers of the CDK's `CompositeRawDecoder` (`JsonParser`,
//! `JsonLineParser`, `CsvParser`, `GzipParser`) and `IterableDecoder`'s
//! lines.

use std::io::Read;

use airbyte_sdk::protocol::FailureType;
use serde_json::Value;

use super::csv::CsvParser;
use super::decoder_type;
use crate::error::Error;

/// A parser of a raw body.
#[derive(Debug, Clone, PartialEq)]
pub enum Parser {
    /// `JsonParser` (a `JsonDecoder` under a `GzipDecoder`): a body that
    /// is no JSON fails the read, where `JsonDecoder` gives `{}`.
    Json,
    /// `JsonLineParser` (`JsonlDecoder`): a line that is no JSON is
    /// skipped.
    JsonLines,
    /// `CsvParser` (`CsvDecoder`).
    Csv(CsvParser),
    /// `GzipParser` (`GzipDecoder`): gunzips a body that starts with the
    /// gzip magic bytes, passes any other through.
    Gzip(Box<Parser>),
}

impl Parser {
    /// The parser of a decoder mapping (`JsonlDecoder`, `CsvDecoder`,
    /// `GzipDecoder{decoder}`, or `JsonDecoder` inside a `GzipDecoder`).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::decoder::Parser;
    /// let gzip = json!({"type": "GzipDecoder", "decoder": {"type": "JsonlDecoder"}});
    /// assert_eq!(Parser::from_manifest(&gzip).unwrap(), Parser::Gzip(Box::new(Parser::JsonLines)));
    /// let bare = json!({"type": "GzipDecoder"});
    /// assert!(Parser::from_manifest(&bare).is_err());
    /// ```
    pub fn from_manifest(value: &Value) -> Result<Parser, Error> {
        match decoder_type(value)? {
            "JsonDecoder" => Ok(Parser::Json),
            "JsonlDecoder" => Ok(Parser::JsonLines),
            "CsvDecoder" => CsvParser::from_manifest(value).map(Parser::Csv),
            "GzipDecoder" => {
                let inner = value
                    .get("decoder")
                    .ok_or_else(|| Error::Manifest("a GzipDecoder has no `decoder`".into()))?;
                Ok(Parser::Gzip(Box::new(Parser::from_manifest(inner)?)))
            }
            other => Err(Error::Manifest(format!(
                "the decoder `{other}` cannot be nested in a GzipDecoder"
            ))),
        }
    }

    /// The bodies `data` holds.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::decoder::Parser;
    /// assert_eq!(Parser::Json.parse(b"[1, 2]").unwrap(), vec![json!(1), json!(2)]);
    /// assert!(Parser::Json.parse(b"oops").is_err());
    /// let gzip = Parser::Gzip(Box::new(Parser::JsonLines));
    /// assert_eq!(gzip.parse(b"{\"a\": 1}").unwrap(), vec![json!({"a": 1})]);
    /// assert!(gzip.parse(b"\x1f\x8bnot gzip").is_err());
    /// ```
    pub fn parse(&self, data: &[u8]) -> Result<Vec<Value>, Error> {
        match self {
            Parser::Json => parse_json(data),
            Parser::JsonLines => parse_json_lines(data),
            Parser::Csv(csv) => csv.parse(data),
            Parser::Gzip(inner) => match data {
                [0x1f, 0x8b, ..] => inner.parse(&gunzip(data)?),
                _ => inner.parse(data),
            },
        }
    }

    /// The decoder's manifest type.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Parser::Json => "JsonDecoder",
            Parser::JsonLines => "JsonlDecoder",
            Parser::Csv(_) => "CsvDecoder",
            Parser::Gzip(_) => "GzipDecoder",
        }
    }
}

/// `JsonParser`: the body's JSON, a list as its items; `null` and text
/// that is no JSON fail the read (a system error).
fn parse_json(data: &[u8]) -> Result<Vec<Value>, Error> {
    match std::str::from_utf8(data).map(serde_json::from_str::<Value>) {
        Ok(Ok(Value::Array(items))) => Ok(items),
        Ok(Ok(Value::Null)) | Ok(Err(_)) | Err(_) => Err(Error::Traced {
            message: "Response JSON data failed to be parsed. See logs for more information."
                .into(),
            internal_message: "Response JSON data failed to be parsed.".into(),
            failure_type: FailureType::SystemError,
        }),
        Ok(Ok(other)) => Ok(vec![other]),
    }
}

/// `JsonLineParser`: each `\n`-ended line's JSON; a line that is no JSON
/// (an empty one too) is skipped with a warning; bytes that are no UTF-8
/// fail the read.
fn parse_json_lines(data: &[u8]) -> Result<Vec<Value>, Error> {
    let mut bodies = Vec::new();
    for line in data.split_inclusive(|b| *b == b'\n') {
        let text = utf8(line)?;
        match serde_json::from_str::<Value>(text) {
            Ok(value) => bodies.push(value),
            Err(error) => {
                tracing::warn!("Cannot decode/parse line {text:?} as JSON, error: {error}");
            }
        }
    }
    Ok(bodies)
}

/// `IterableDecoder`: each line (split at `\n`, `\r` or `\r\n`, as
/// `bytes.splitlines` does) as `{"record": line}`.
pub(super) fn iterable_lines(data: &[u8]) -> Result<Vec<Value>, Error> {
    let mut records = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|b| *b == b'\n' || *b == b'\r')
            .unwrap_or(rest.len());
        let line = utf8(&rest[..end])?;
        records.push(serde_json::json!({ "record": line }));
        let skip = match rest.get(end..end + 2) {
            Some(b"\r\n") => 2,
            _ if end < rest.len() => 1,
            _ => 0,
        };
        rest = &rest[end + skip..];
    }
    Ok(records)
}

/// The text of UTF-8 bytes, or the read's failure (Python's
/// `UnicodeDecodeError`).
fn utf8(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|e| Error::Request {
        kind: "UnicodeDecodeError".into(),
        message: format!("'utf-8' codec can't decode the response: {e}"),
    })
}

/// The members of a gzip file, inflated; a corrupt or truncated file fails
/// the read (Python's `BadGzipFile`, `EOFError`).
fn gunzip(data: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(|e| Error::Request {
            kind: "BadGzipFile".into(),
            message: format!("the response is not a valid gzip file: {e}"),
        })?;
    Ok(out)
}
