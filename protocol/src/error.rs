//! The one error type of this crate.

use std::io;

use crate::message::MessageType;
use crate::trace::FailureType;

/// Everything that can go wrong reading or writing protocol messages.
///
/// Line errors (all but [`Error::Io`]) concern one line only: the reader
/// stays usable and the next call reads the next line, so a caller can log
/// a bad line and go on, as the platform does with non-JSON output.
///
/// ```
/// use airbyte_protocol::{Error, MessageReader};
///
/// let mut reader = MessageReader::new(&b"{\"type\":\"RECORD\"\nnot json\n"[..]);
/// let err = reader.next_message().unwrap().unwrap_err();
/// assert_eq!(err.line(), Some(1));
/// assert!(matches!(err, Error::NotJson { .. }));
/// let err = reader.next_message().unwrap().unwrap_err();
/// assert_eq!(err.line(), Some(2));
/// assert!(reader.next_message().is_none());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing the underlying stream failed.
    #[error("I/O error after line {line}: {source}")]
    Io {
        /// The number of the last complete line before the error.
        line: u64,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A line is longer than the configured limit.
    #[error("line {line} is {len} bytes long, over the limit of {limit} bytes")]
    LineTooLong {
        /// The line number (1-based).
        line: u64,
        /// Its length in bytes.
        len: u64,
        /// The limit.
        limit: usize,
    },
    /// A line is not JSON (truncated, garbage, binary, invalid UTF-8).
    #[error("line {line} is not valid JSON ({reason}): {excerpt}")]
    NotJson {
        /// The line number (1-based).
        line: u64,
        /// What the JSON parser found, with the column.
        reason: String,
        /// The start of the line, printable.
        excerpt: String,
    },
    /// A line is JSON but not an Airbyte message (unknown `type`, wrong field types, missing fields).
    #[error("line {line} is not a valid Airbyte message ({reason}): {excerpt}")]
    InvalidMessage {
        /// The line number (1-based).
        line: u64,
        /// What is wrong, with the column.
        reason: String,
        /// The start of the line, printable.
        excerpt: String,
    },
    /// A message's `type` names a payload the message does not carry.
    #[error("{}message of type {kind} has no `{}` payload", line.map(|l| format!("line {l}: ")).unwrap_or_default(), kind.payload_key())]
    MissingPayload {
        /// The line number, when read from a stream.
        line: Option<u64>,
        /// The message type.
        kind: MessageType,
    },
    /// A value could not be serialized.
    #[error("could not serialize a message: {0}")]
    Serialize(#[source] serde_json::Error),
}

impl Error {
    /// The line the error is about, if it concerns one line.
    pub fn line(&self) -> Option<u64> {
        match self {
            Error::Io { .. } | Error::Serialize(_) => None,
            Error::LineTooLong { line, .. }
            | Error::NotJson { line, .. }
            | Error::InvalidMessage { line, .. } => Some(*line),
            Error::MissingPayload { line, .. } => *line,
        }
    }

    /// Whether only one line is bad, so reading can go on with the next.
    pub fn is_line_error(&self) -> bool {
        self.line().is_some()
    }

    /// The Airbyte failure type to report this error with.
    pub fn failure_type(&self) -> FailureType {
        match self {
            Error::Io { .. } => FailureType::TransientError,
            _ => FailureType::SystemError,
        }
    }

    pub(crate) fn from_json(line: u64, bytes: &[u8], err: serde_json::Error) -> Self {
        let reason = describe(&err);
        let excerpt = excerpt(bytes);
        match err.classify() {
            serde_json::error::Category::Data => Error::InvalidMessage {
                line,
                reason,
                excerpt,
            },
            _ => Error::NotJson {
                line,
                reason,
                excerpt,
            },
        }
    }
}

/// serde_json's message without its "at line 1" (we parse one line at a time).
fn describe(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let base = match text.rfind(" at line ") {
        Some(pos) => &text[..pos],
        None => &text,
    };
    if err.column() > 0 {
        format!("{base} at column {}", err.column())
    } else {
        base.to_owned()
    }
}

/// The first 80 characters of a line, with control characters escaped.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 80;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX * 4)]);
    let mut out = String::with_capacity(MAX + 8);
    for (n, c) in text.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
