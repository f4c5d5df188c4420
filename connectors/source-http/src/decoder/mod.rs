//! Decoders: what a response body holds, as the extractor and the
//! paginator read it (`SimpleRetriever.decoder`, an `AsyncRetriever`'s
//! `decoder` and `download_decoder`).
//!
//! - `JsonDecoder` (the default) is [`crate::records::decode_json`]: a
//!   body that is no JSON is `{}`.
//! - `JsonlDecoder`, `CsvDecoder` and `GzipDecoder` are the CDK's
//!   `CompositeRawDecoder` over a parser ([`Parser`]); they read the body
//!   as a stream, so a paginator sees `{}` for each of their pages.
//! - `IterableDecoder` makes each line `{"record": line}`.
//! - `XmlDecoder`, `ZipfileDecoder`, `JsonItemsDecoder` and custom
//!   decoders are refused with a config error.

mod csv;
mod raw;

pub use csv::{CsvParser, Encoding};
pub use raw::Parser;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::records::decode_json;
use crate::requester::HttpResponse;

/// A decoder of response bodies.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Decoder {
    /// `JsonDecoder`.
    #[default]
    Json,
    /// A `CompositeRawDecoder` (`JsonlDecoder`, `CsvDecoder`, `GzipDecoder`).
    Raw(Parser),
    /// `IterableDecoder`.
    Iterable,
}

impl Decoder {
    /// Builds one from its manifest mapping; `None` is `JsonDecoder`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::decoder::{CsvParser, Decoder, Parser};
    /// let gzip = json!({"type": "GzipDecoder", "decoder": {"type": "CsvDecoder", "delimiter": "\\t"}});
    /// let csv = CsvParser { delimiter: '\t', ..CsvParser::default() };
    /// assert_eq!(Decoder::from_manifest(Some(&gzip)).unwrap(), Decoder::Raw(Parser::Gzip(Box::new(Parser::Csv(csv)))));
    /// assert_eq!(Decoder::from_manifest(None).unwrap(), Decoder::Json);
    /// assert!(Decoder::from_manifest(Some(&json!({"type": "XmlDecoder"}))).is_err());
    /// ```
    pub fn from_manifest(value: Option<&Value>) -> Result<Decoder, Error> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Ok(Decoder::Json);
        };
        match decoder_type(value)? {
            "JsonDecoder" => Ok(Decoder::Json),
            "IterableDecoder" => Ok(Decoder::Iterable),
            _ => Parser::from_manifest(value).map(Decoder::Raw),
        }
    }

    /// The bodies of a response (the items of a JSON list, the lines of
    /// JSON Lines, the rows of a CSV file...).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::decoder::{Decoder, Parser};
    /// use source_http::requester::HttpResponse;
    /// let response = HttpResponse { status: 200, reason: "OK", url: "", headers: &[], body: b"{\"a\": 1}\nnope\n[2]\n" };
    /// let bodies = Decoder::Raw(Parser::JsonLines).decode(&response).unwrap();
    /// assert_eq!(bodies, vec![json!({"a": 1}), json!([2])]);
    /// let lines = Decoder::Iterable.decode(&HttpResponse { body: b"x\r\ny", ..response }).unwrap();
    /// assert_eq!(lines, vec![json!({"record": "x"}), json!({"record": "y"})]);
    /// ```
    pub fn decode(&self, response: &HttpResponse<'_>) -> Result<Vec<Value>, Error> {
        match self {
            Decoder::Json => Ok(decode_json(response.body)),
            Decoder::Raw(parser) => parser.parse(response.body),
            Decoder::Iterable => raw::iterable_lines(response.body),
        }
    }

    /// The bodies of a page, led by the one its paginator reads: for a
    /// decoder that streams the response (all but `JsonDecoder`), an
    /// added `{}` (the CDK's `PaginationDecoderDecorator`), which yields
    /// no record.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::decoder::{Decoder, Parser};
    /// use source_http::requester::HttpResponse;
    /// let response = HttpResponse { status: 200, reason: "OK", url: "", headers: &[], body: b"{\"next\": 2}" };
    /// assert_eq!(Decoder::Json.page_bodies(&response).unwrap(), vec![json!({"next": 2})]);
    /// let jsonl = Decoder::Raw(Parser::JsonLines).page_bodies(&response).unwrap();
    /// assert_eq!(jsonl, vec![json!({}), json!({"next": 2})]);
    /// ```
    pub fn page_bodies(&self, response: &HttpResponse<'_>) -> Result<Vec<Value>, Error> {
        if let Decoder::Json = self {
            return Ok(decode_json(response.body));
        }
        let mut bodies = vec![Value::Object(Map::new())];
        bodies.extend(self.decode(response)?);
        Ok(bodies)
    }

    /// Whether a `DefaultPaginator` may read this decoder's responses (the
    /// CDK's `_is_supported_decoder_for_pagination`): JSON, or JSON under
    /// gzip; otherwise the config error the CDK raises.
    ///
    /// ```
    /// use source_http::decoder::{Decoder, Parser};
    /// assert!(Decoder::Raw(Parser::Gzip(Box::new(Parser::Json))).check_pagination().is_ok());
    /// assert!(Decoder::Iterable.check_pagination().is_err());
    /// ```
    pub fn check_pagination(&self) -> Result<(), Error> {
        let supported = match self {
            Decoder::Json => true,
            Decoder::Raw(Parser::Json) => true,
            Decoder::Raw(Parser::Gzip(inner)) => matches!(**inner, Parser::Json),
            _ => false,
        };
        if supported {
            return Ok(());
        }
        Err(Error::Manifest(format!(
            "Specified decoder of {} is not supported for pagination.Please set as `JsonDecoder`, \
             `XmlDecoder`, or a `CompositeRawDecoder` with an inner_parser of `JsonParser` or \
             `GzipParser` instead.If using `GzipParser`, please ensure that the lowest level \
             inner_parser is a `JsonParser`.",
            self.name()
        )))
    }

    /// The decoder's manifest type.
    fn name(&self) -> &'static str {
        match self {
            Decoder::Json => "JsonDecoder",
            Decoder::Raw(parser) => parser.name(),
            Decoder::Iterable => "IterableDecoder",
        }
    }
}

/// A decoder mapping's `type`, refusing the decoders source-http lacks.
fn decoder_type(value: &Value) -> Result<&str, Error> {
    match value.get("type").and_then(Value::as_str) {
        Some(
            t @ ("JsonDecoder" | "IterableDecoder" | "JsonlDecoder" | "CsvDecoder" | "GzipDecoder"),
        ) => Ok(t),
        Some(other) => Err(Error::Manifest(format!(
            "the decoder `{other}` is not supported by source-http yet (JsonDecoder, \
             JsonlDecoder, CsvDecoder, GzipDecoder and IterableDecoder are)"
        ))),
        None => Err(Error::Manifest("a decoder has no type".into())),
    }
}
