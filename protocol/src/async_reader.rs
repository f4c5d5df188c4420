//! The async line reader, over `tokio::io::AsyncBufRead` (feature `tokio`).

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::error::Error;
use crate::message::AirbyteMessage;
use crate::reader::{DEFAULT_MAX_LINE_BYTES, Envelope, Framed, LineFramer, RawLine};

/// Reads Airbyte messages one per line from an async source, with the same
/// rules as [`MessageReader`](crate::MessageReader).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use airbyte_protocol::{AsyncMessageReader, MessageType};
///
/// let input: &[u8] = b"{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"hi\"}}\n";
/// let mut reader = AsyncMessageReader::new(input);
/// let msg = reader.next_message().await.unwrap().unwrap();
/// assert_eq!(msg.r#type, MessageType::Log);
/// assert!(reader.next_message().await.is_none());
/// # });
/// ```
#[derive(Debug)]
pub struct AsyncMessageReader<R> {
    inner: R,
    framer: LineFramer,
}

impl<R: AsyncBufRead + Unpin> AsyncMessageReader<R> {
    /// A reader with the default line limit.
    pub fn new(inner: R) -> Self {
        AsyncMessageReader {
            inner,
            framer: LineFramer::new(DEFAULT_MAX_LINE_BYTES),
        }
    }

    /// Sets the longest line accepted.
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.framer = LineFramer::new(max);
        self
    }

    /// The number of the last line read.
    pub fn line_number(&self) -> u64 {
        self.framer.line_no
    }

    /// The next non-blank line, without parsing it.
    pub async fn next_line(&mut self) -> Option<Result<RawLine<'_>, Error>> {
        loop {
            loop {
                let avail = match self.inner.fill_buf().await {
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
    pub async fn next_message(&mut self) -> Option<Result<AirbyteMessage, Error>> {
        Some(self.next_line().await?.and_then(|line| line.parse()))
    }

    /// The next message's envelope.
    pub async fn next_envelope(&mut self) -> Option<Result<Envelope<'_>, Error>> {
        Some(self.next_line().await?.and_then(|line| line.envelope()))
    }
}
