//! Cursor values read and written as the CDK's
//! `CustomFormatConcurrentStreamStateConverter` does: each of
//! `cursor_datetime_formats` tried in order, then `datetime_format`; the
//! output in `datetime_format`.
//!
//! A JSON value is handed to `DatetimeParser.parse` as Python would: `%s`,
//! `%ms` and `%epoch_microseconds` take `int(value)` (a float is
//! truncated, `True` is 1), `%s_as_float` takes `float(value)`, and every
//! other format parses `str(value)`. `null`, a list or a mapping given to
//! `int()` is Python's `TypeError`, which the CDK does not catch.

use serde_json::Value;

use crate::datetime::{self, DateTime};
use crate::error::Error;
use crate::interpolation::{float_repr, python_str};

/// Why a value is no datetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseFailure {
    /// Python's `ValueError`: no format matches. The CDK skips such a value.
    Value(String),
    /// Python's `TypeError`: the value cannot even be converted. The CDK
    /// fails the sync.
    Type(String),
}

impl ParseFailure {
    /// The failure as the engine's error.
    pub fn into_error(self) -> Error {
        match self {
            ParseFailure::Value(m) | ParseFailure::Type(m) => Error::Read(m),
        }
    }
}

/// The formats of a datetime cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formats {
    /// `datetime_format`: window bounds and state are written in it.
    pub output: String,
    /// `cursor_datetime_formats` followed by `datetime_format`.
    pub inputs: Vec<String>,
}

impl Formats {
    /// The formats of a cursor with `datetime_format` and
    /// `cursor_datetime_formats`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::incremental::Formats;
    /// let formats = Formats::new("%Y-%m-%d", &["%s".to_owned()]);
    /// let t = formats.parse(&json!(1704153600)).unwrap();
    /// assert_eq!(formats.format(&t).unwrap(), "2024-01-02");
    /// assert_eq!(formats.parse(&json!("2024-01-03")).map(|t| t.micros).unwrap(), 1_704_240_000_000_000);
    /// assert!(formats.parse(&json!("yesterday")).is_err());
    /// ```
    pub fn new(datetime_format: &str, cursor_datetime_formats: &[String]) -> Formats {
        let mut inputs = cursor_datetime_formats.to_vec();
        inputs.push(datetime_format.to_owned());
        Formats {
            output: datetime_format.to_owned(),
            inputs,
        }
    }

    /// `parse_timestamp(value)`: the first input format that reads it.
    pub fn parse(&self, value: &Value) -> Result<DateTime, ParseFailure> {
        for format in &self.inputs {
            match parse_value(value, format) {
                Ok(dt) => return Ok(dt),
                Err(ParseFailure::Value(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Err(ParseFailure::Value(format!(
            "No format in {:?} matching {}",
            self.inputs,
            python_str(value)
        )))
    }

    /// `output_format(dt)`: the text in `datetime_format`.
    pub fn format(&self, dt: &DateTime) -> Result<String, Error> {
        datetime::format(dt, &self.output).map_err(|e| Error::Manifest(e.to_string()))
    }
}

/// `DatetimeParser().parse(value, format)` for a JSON value.
///
/// ```
/// use serde_json::json;
/// use source_http::incremental::{parse_value, ParseFailure};
/// assert_eq!(parse_value(&json!(1704067200.9), "%s").unwrap().micros, 1_704_067_200_000_000);
/// assert!(matches!(parse_value(&json!(null), "%s"), Err(ParseFailure::Type(_))));
/// assert!(matches!(parse_value(&json!(null), "%Y"), Err(ParseFailure::Value(_))));
/// ```
pub fn parse_value(value: &Value, format: &str) -> Result<DateTime, ParseFailure> {
    let integer = matches!(format, "%s" | "%ms" | "%epoch_microseconds");
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) if integer || format == "%s_as_float" => u8::from(*b).to_string(),
        Value::Number(n) if integer => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) if f.is_finite() => format!("{:.0}", f.trunc()),
            _ => {
                return Err(ParseFailure::Value(format!(
                    "cannot convert {n} to integer"
                )));
            }
        },
        Value::Number(n) if format == "%s_as_float" => match n.as_f64() {
            Some(f) => float_repr(f),
            None => n.to_string(),
        },
        Value::Null | Value::Array(_) | Value::Object(_) if integer || format == "%s_as_float" => {
            return Err(ParseFailure::Type(format!(
                "{} is no number a {format} cursor value can be read from",
                python_str(value)
            )));
        }
        other => python_str(other),
    };
    datetime::parse(&text, format).map_err(|e| ParseFailure::Value(e.to_string()))
}
