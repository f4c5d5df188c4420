//! Reading messages one line at a time.

use std::borrow::Cow;
use std::io::{self, BufRead};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::Error;
use crate::message::{AirbyteMessage, MessageType};
use crate::record::AirbyteRecordMessageMeta;

/// The default longest line: 64 MiB (Airbyte Cloud's record limit is 20 MB).
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// Splits bytes into lines with a size limit; shared by the sync and async readers.
#[derive(Debug)]
pub(crate) struct LineFramer {
    pub(crate) buf: Vec<u8>,
    pub(crate) line_no: u64,
    max: usize,
    len: u64,
    overflow: bool,
    started: bool,
}

/// What the framer made of a line once complete.
pub(crate) enum Framed {
    /// A line is in `buf`.
    Line,
    /// An empty or blank line: read on.
    Blank,
    /// A line over the limit was skipped.
    TooLong(Error),
}

impl LineFramer {
    pub(crate) fn new(max: usize) -> Self {
        LineFramer {
            buf: Vec::new(),
            line_no: 0,
            max,
            len: 0,
            overflow: false,
            started: false,
        }
    }

    /// Takes bytes from `avail`; returns how many it used and whether a line is complete.
    pub(crate) fn feed(&mut self, avail: &[u8]) -> (usize, bool) {
        if !self.started {
            self.buf.clear();
            self.len = 0;
            self.overflow = false;
            self.started = true;
        }
        let (chunk, used, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (&avail[..i], i + 1, true),
            None => (avail, avail.len(), false),
        };
        self.len += chunk.len() as u64;
        if !self.overflow {
            if self.buf.len() + chunk.len() > self.max {
                self.overflow = true;
                self.buf = Vec::new();
            } else {
                self.buf.extend_from_slice(chunk);
            }
        }
        (used, done)
    }

    /// Whether a line was begun and not finished (to tell EOF from a last line without `\n`).
    pub(crate) fn in_line(&self) -> bool {
        self.started
    }

    /// Closes the current line.
    pub(crate) fn finish(&mut self) -> Framed {
        self.started = false;
        self.line_no += 1;
        if self.overflow {
            return Framed::TooLong(Error::LineTooLong {
                line: self.line_no,
                len: self.len,
                limit: self.max,
            });
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        if self.buf.iter().all(u8::is_ascii_whitespace) {
            Framed::Blank
        } else {
            Framed::Line
        }
    }
}

/// Reads Airbyte messages, one per line, from any [`BufRead`].
///
/// Blank lines are skipped and `\r\n` endings accepted. Each bad line is an
/// [`Error`] that names its line number; the next call reads on. Use
/// [`MessageReader::next_message`] for typed messages, or
/// [`MessageReader::next_envelope`] to route lines by type at full speed
/// without copying their payloads.
///
/// ```
/// use airbyte_protocol::{MessageReader, MessageType};
///
/// let input = b"{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hi\"}}\r\n\n\
///               {\"type\":\"RECORD\",\"record\":{\"stream\":\"s\",\"data\":{\"n\":1.50},\"emitted_at\":1}}\n";
/// let mut reader = MessageReader::new(&input[..]);
/// assert_eq!(reader.next_message().unwrap().unwrap().r#type, MessageType::Log);
/// let record = reader.next_message().unwrap().unwrap().record.unwrap();
/// assert_eq!(record.data.as_str(), r#"{"n":1.50}"#);
/// assert_eq!(reader.line_number(), 3);
/// assert!(reader.next_message().is_none());
/// ```
#[derive(Debug)]
pub struct MessageReader<R> {
    inner: R,
    framer: LineFramer,
}

impl<R: BufRead> MessageReader<R> {
    /// A reader with the default line limit ([`DEFAULT_MAX_LINE_BYTES`]).
    pub fn new(inner: R) -> Self {
        MessageReader {
            inner,
            framer: LineFramer::new(DEFAULT_MAX_LINE_BYTES),
        }
    }

    /// Sets the longest line accepted; longer lines give [`Error::LineTooLong`].
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.framer = LineFramer::new(max);
        self
    }

    /// The number of the last line read (1-based, blank lines counted).
    pub fn line_number(&self) -> u64 {
        self.framer.line_no
    }

    /// The next non-blank line, without parsing it.
    pub fn next_line(&mut self) -> Option<Result<RawLine<'_>, Error>> {
        loop {
            loop {
                let avail = match self.inner.fill_buf() {
                    Ok(avail) => avail,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(source) => {
                        return Some(Err(Error::Io {
                            line: self.framer.line_no,
                            source,
                        }));
                    }
                };
                if avail.is_empty() {
                    if !self.framer.in_line() {
                        return None;
                    }
                    break;
                }
                let (used, done) = self.framer.feed(avail);
                self.inner.consume(used);
                if done {
                    break;
                }
            }
            match self.framer.finish() {
                Framed::Blank => continue,
                Framed::TooLong(err) => return Some(Err(err)),
                Framed::Line => {
                    return Some(Ok(RawLine::new(self.framer.line_no, &self.framer.buf)));
                }
            }
        }
    }

    /// The next message, fully typed.
    pub fn next_message(&mut self) -> Option<Result<AirbyteMessage, Error>> {
        self.next_line().map(|line| line?.parse())
    }

    /// The next message's envelope: its type, borrowed payload and line.
    pub fn next_envelope(&mut self) -> Option<Result<Envelope<'_>, Error>> {
        self.next_line().map(|line| line?.envelope())
    }

    /// The inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: BufRead> Iterator for MessageReader<R> {
    type Item = Result<AirbyteMessage, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_message()
    }
}

/// One line of input, without its line ending.
///
/// ```
/// use airbyte_protocol::MessageReader;
/// let mut reader = MessageReader::new(&b"hello\n"[..]);
/// let line = reader.next_line().unwrap().unwrap();
/// assert_eq!((line.number(), line.as_bytes()), (1, &b"hello"[..]));
/// assert!(line.parse().is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RawLine<'a> {
    number: u64,
    bytes: &'a [u8],
}

impl<'a> RawLine<'a> {
    /// A line you already have, numbered `number` (1-based; 0 when unknown).
    ///
    /// ```
    /// use airbyte_protocol::{MessageType, RawLine};
    /// let line = RawLine::new(0, br#"{"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":1}}"#);
    /// assert_eq!(line.envelope().unwrap().kind, MessageType::Record);
    /// ```
    pub fn new(number: u64, bytes: &'a [u8]) -> Self {
        RawLine { number, bytes }
    }

    /// The line number (1-based).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The bytes of the line.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The line as text, with invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.bytes)
    }

    /// Parses the line as a typed message, requiring the payload its `type` names.
    pub fn parse(&self) -> Result<AirbyteMessage, Error> {
        let msg: AirbyteMessage = serde_json::from_slice(self.bytes)
            .map_err(|e| Error::from_json(self.number, self.bytes, e))?;
        if msg.has_payload() {
            Ok(msg)
        } else {
            Err(Error::MissingPayload {
                line: Some(self.number),
                kind: msg.r#type,
            })
        }
    }

    /// Parses only the envelope, borrowing everything from the line.
    pub fn envelope(&self) -> Result<Envelope<'a>, Error> {
        parse_envelope(self.number, self.bytes)
    }
}

pub(crate) fn parse_envelope(number: u64, bytes: &[u8]) -> Result<Envelope<'_>, Error> {
    // JSON is UTF-8: checked once for the whole line, skipped parts included.
    let text = std::str::from_utf8(bytes).map_err(|e| Error::NotJson {
        line: number,
        reason: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        excerpt: crate::error::excerpt(bytes),
    })?;
    let wire: EnvelopeWire<'_> =
        serde_json::from_str(text).map_err(|e| Error::from_json(number, bytes, e))?;
    let kind = wire.r#type;
    let payload = match kind {
        MessageType::Record => None,
        MessageType::State => wire.state,
        MessageType::Log => wire.log,
        MessageType::Spec => wire.spec,
        MessageType::ConnectionStatus => wire.connection_status,
        MessageType::Catalog => wire.catalog,
        MessageType::Trace => wire.trace,
        MessageType::Control => wire.control,
        MessageType::DestinationCatalog => wire.destination_catalog,
    };
    let present = match kind {
        MessageType::Record => wire.record.is_some(),
        _ => payload.is_some(),
    };
    if !present {
        return Err(Error::MissingPayload {
            line: Some(number),
            kind,
        });
    }
    let record = if kind == MessageType::Record {
        wire.record
    } else {
        None
    };
    if let Some(record) = &record {
        if !record.data.get().starts_with('{') {
            return Err(Error::InvalidMessage {
                line: number,
                reason: "record `data` must be a JSON object".to_owned(),
                excerpt: crate::error::excerpt(bytes),
            });
        }
        if let Some(meta) = record.meta {
            serde_json::from_str::<Option<AirbyteRecordMessageMeta>>(meta.get()).map_err(|e| {
                Error::InvalidMessage {
                    line: number,
                    reason: format!("record `meta` is invalid: {e}"),
                    excerpt: crate::error::excerpt(bytes),
                }
            })?;
        }
    }
    Ok(Envelope {
        kind,
        payload,
        record,
        line: bytes,
        text,
    })
}

/// A message read only as far as needed to route it: its type, its payload
/// as borrowed raw JSON, and for records the stream, namespace, data and meta.
///
/// The whole line is checked to be valid JSON (UTF-8 included), and a
/// record's `meta` to be well formed, but nothing is copied, so a
/// pipe that forwards messages can write [`Envelope::line`] back as is.
///
/// ```
/// use airbyte_protocol::{MessageReader, MessageType};
/// let mut reader = MessageReader::new(&br#"{"type":"RECORD","record":{"stream":"film","data":{"id":7},"emitted_at":1}}"#[..]);
/// let env = reader.next_envelope().unwrap().unwrap();
/// assert_eq!(env.kind, MessageType::Record);
/// let record = env.record.unwrap();
/// assert_eq!((&*record.stream, record.data.get()), ("film", r#"{"id":7}"#));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Envelope<'a> {
    /// The message type.
    pub kind: MessageType,
    /// The payload named by the type, as raw JSON (`None` for records,
    /// whose fields are in `record`).
    pub payload: Option<&'a RawValue>,
    /// For records, the routing fields.
    pub record: Option<RecordRef<'a>>,
    /// The whole line.
    pub line: &'a [u8],
    text: &'a str,
}

impl<'a> Envelope<'a> {
    /// The whole line as text (a valid envelope is valid UTF-8).
    ///
    /// ```
    /// use airbyte_protocol::RawLine;
    /// let line = r#"{"type":"LOG","log":{"level":"INFO","message":"Ærø"}}"#;
    /// let envelope = RawLine::new(1, line.as_bytes()).envelope().unwrap();
    /// assert_eq!(envelope.text(), line);
    /// // Invalid UTF-8 anywhere, even in a field the envelope skips, is not JSON.
    /// assert!(RawLine::new(1, b"{\"type\":\"LOG\",\"x\":\"\xff\"}").envelope().is_err());
    /// ```
    pub fn text(&self) -> &'a str {
        self.text
    }
}

/// The routing fields of a record, borrowed from its line.
///
/// ```
/// use airbyte_protocol::RecordRef;
/// let r: RecordRef = serde_json::from_str(r#"{"stream":"s","namespace":"n","data":{},"emitted_at":5}"#).unwrap();
/// assert_eq!((r.namespace.as_deref(), r.emitted_at), (Some("n"), 5));
/// assert!(r.meta.is_none());
/// ```
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct RecordRef<'a> {
    /// The stream.
    #[serde(borrow)]
    pub stream: Cow<'a, str>,
    /// The namespace.
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    /// The row, as raw JSON.
    #[serde(borrow)]
    pub data: &'a RawValue,
    /// When it was emitted, in ms.
    pub emitted_at: i64,
    /// The record's `meta` (changes made by the source), as raw JSON.
    #[serde(borrow, default)]
    pub meta: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct EnvelopeWire<'a> {
    r#type: MessageType,
    #[serde(borrow, default)]
    record: Option<RecordRef<'a>>,
    #[serde(borrow, default)]
    state: Option<&'a RawValue>,
    #[serde(borrow, default)]
    log: Option<&'a RawValue>,
    #[serde(borrow, default)]
    spec: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "connectionStatus")]
    connection_status: Option<&'a RawValue>,
    #[serde(borrow, default)]
    catalog: Option<&'a RawValue>,
    #[serde(borrow, default)]
    trace: Option<&'a RawValue>,
    #[serde(borrow, default)]
    control: Option<&'a RawValue>,
    #[serde(borrow, default)]
    destination_catalog: Option<&'a RawValue>,
}
