//! `CsvDecoder{encoding, delimiter, set_values_to_none}`: Python's
//! `csv.DictReader` (the `excel` dialect, not strict) over the body
//! decoded with universal newlines.
//!
//! - The first row names the fields; every later non-empty row is a
//!   record of text values. A short row's missing fields are `null`; a
//!   long row's extra values are a list under the key `null`.
//! - Quoted fields may hold the delimiter, newlines and doubled quotes; a
//!   quote inside an unquoted field is kept as it is.

use serde_json::{Map, Value};

use crate::error::Error;

/// A text encoding Python's codecs name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// `utf-8` (a byte-order mark is kept, as `\u{feff}`).
    #[default]
    Utf8,
    /// `utf-8-sig`: a leading byte-order mark is dropped.
    Utf8Sig,
    /// `latin-1` (`iso-8859-1`): each byte is a character.
    Latin1,
    /// `ascii`.
    Ascii,
}

impl Encoding {
    /// The encoding Python's `codecs.lookup` finds under `name`.
    ///
    /// ```
    /// use source_http::decoder::Encoding;
    /// assert_eq!(Encoding::from_name("UTF_8").unwrap(), Encoding::Utf8);
    /// assert_eq!(Encoding::from_name("ISO-8859-1").unwrap(), Encoding::Latin1);
    /// assert!(Encoding::from_name("ebcdic").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Encoding, Error> {
        let normal = name.trim().to_ascii_lowercase().replace('_', "-");
        match normal.as_str() {
            "utf-8" | "utf8" | "u8" | "utf" => Ok(Encoding::Utf8),
            "utf-8-sig" | "utf8-sig" => Ok(Encoding::Utf8Sig),
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "8859" | "l1" | "latin" => {
                Ok(Encoding::Latin1)
            }
            "ascii" | "us-ascii" | "646" => Ok(Encoding::Ascii),
            _ => Err(Error::Manifest(format!(
                "the CsvDecoder encoding `{name}` is not supported by source-http yet \
                 (utf-8, utf-8-sig, latin-1 and ascii are)"
            ))),
        }
    }

    /// `bytes.decode(encoding)` (strict).
    fn decode(self, data: &[u8]) -> Result<String, Error> {
        let failed = |name: &str| Error::Request {
            kind: "UnicodeDecodeError".into(),
            message: format!("'{name}' codec can't decode the response"),
        };
        match self {
            Encoding::Utf8 => String::from_utf8(data.to_vec()).map_err(|_| failed("utf-8")),
            Encoding::Utf8Sig => {
                let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
                String::from_utf8(data.to_vec()).map_err(|_| failed("utf-8"))
            }
            Encoding::Latin1 => Ok(data.iter().map(|b| char::from(*b)).collect()),
            Encoding::Ascii if data.is_ascii() => Ok(data.iter().map(|b| char::from(*b)).collect()),
            Encoding::Ascii => Err(failed("ascii")),
        }
    }
}

/// The CDK's `CsvParser`.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvParser {
    /// `encoding` (default `utf-8`).
    pub encoding: Encoding,
    /// `delimiter` (default `,`; `\t` and other backslash escapes are
    /// unescaped).
    pub delimiter: char,
    /// `set_values_to_none`: values that become `null`.
    pub set_values_to_none: Vec<String>,
}

impl Default for CsvParser {
    fn default() -> Self {
        CsvParser {
            encoding: Encoding::Utf8,
            delimiter: ',',
            set_values_to_none: Vec::new(),
        }
    }
}

impl CsvParser {
    /// Builds one from a `CsvDecoder` mapping.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::decoder::CsvParser;
    /// let parser = CsvParser::from_manifest(&json!({"type": "CsvDecoder", "delimiter": ";"})).unwrap();
    /// assert_eq!(parser.delimiter, ';');
    /// assert!(CsvParser::from_manifest(&json!({"type": "CsvDecoder", "delimiter": ";;"})).is_err());
    /// ```
    pub fn from_manifest(value: &Value) -> Result<CsvParser, Error> {
        let encoding = match value.get("encoding") {
            Some(Value::String(name)) => Encoding::from_name(name)?,
            _ => Encoding::Utf8,
        };
        let delimiter = match value.get("delimiter") {
            Some(Value::String(d)) => {
                let text = if d.starts_with('\\') {
                    unicode_escape(d)
                } else {
                    d.clone()
                };
                let mut chars = text.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => c,
                    _ => {
                        return Err(Error::Manifest(format!(
                            "the CsvDecoder delimiter {d:?} is not one character (\"delimiter\" \
                             must be a 1-character string)"
                        )));
                    }
                }
            }
            _ => ',',
        };
        let set_values_to_none = match value.get("set_values_to_none") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        Ok(CsvParser {
            encoding,
            delimiter,
            set_values_to_none,
        })
    }

    /// The records of a CSV body.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::decoder::CsvParser;
    /// let body = b"id,name\r\n1,\"Ann, \"\"A\"\"\"\n\n2\n";
    /// let records = CsvParser::default().parse(body).unwrap();
    /// assert_eq!(records, vec![json!({"id": "1", "name": "Ann, \"A\""}), json!({"id": "2", "name": null})]);
    /// ```
    pub fn parse(&self, data: &[u8]) -> Result<Vec<Value>, Error> {
        let text = self.encoding.decode(data)?;
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut rows = rows(&text, self.delimiter).into_iter();
        let Some(fields) = rows.next() else {
            return Ok(Vec::new());
        };
        let mut records = Vec::new();
        for row in rows.filter(|r| !r.is_empty()) {
            let mut record = Map::new();
            for (name, value) in fields.iter().zip(&row) {
                record.insert(name.clone(), self.value(value));
            }
            if row.len() > fields.len() {
                let extra = row[fields.len()..]
                    .iter()
                    .map(|v| Value::String(v.clone()))
                    .collect();
                record.insert("null".into(), Value::Array(extra));
            }
            for name in fields.iter().skip(row.len()) {
                record.insert(name.clone(), Value::Null);
            }
            records.push(Value::Object(record));
        }
        Ok(records)
    }

    fn value(&self, value: &str) -> Value {
        if self.set_values_to_none.iter().any(|v| v == value) {
            Value::Null
        } else {
            Value::String(value.to_owned())
        }
    }
}

/// Where the reader is within a row.
#[derive(Clone, Copy, PartialEq)]
enum State {
    StartRecord,
    StartField,
    InField,
    InQuoted,
    QuoteInQuoted,
}

/// The rows of `text` (newlines already `\n`), as `csv.reader` reads
/// them; an empty line is an empty row.
fn rows(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let mut state = State::StartRecord;
    for c in text.chars() {
        state = match (state, c) {
            (State::StartRecord, '\n') => {
                rows.push(Vec::new());
                State::StartRecord
            }
            (State::InQuoted, '"') => State::QuoteInQuoted,
            (State::InQuoted, c) => {
                field.push(c);
                State::InQuoted
            }
            (State::QuoteInQuoted, '"') => {
                field.push('"');
                State::InQuoted
            }
            (State::StartRecord | State::StartField, '"') => State::InQuoted,
            (_, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                State::StartRecord
            }
            (_, c) if c == delimiter => {
                row.push(std::mem::take(&mut field));
                State::StartField
            }
            (_, c) => {
                field.push(c);
                State::InField
            }
        };
    }
    if state != State::StartRecord {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Python's `codecs.decode(text, "unicode_escape")` for the escapes a
/// delimiter uses (`\t`, `\n`, `\\`, `\xHH`, `\uHHHH`).
fn unicode_escape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>, n: usize| {
            let digits: String = chars.take(n).collect();
            u32::from_str_radix(&digits, 16)
                .ok()
                .and_then(char::from_u32)
        };
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('x') => out.extend(hex(&mut chars, 2)),
            Some('u') => out.extend(hex(&mut chars, 4)),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
