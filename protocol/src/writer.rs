//! Writing messages one line at a time into a reused buffer.

use std::io::{self, Write};

use serde::Serialize;

use crate::message::AirbyteMessage;

/// Bytes buffered before the writer hands them to the inner writer.
const FLUSH_AT: usize = 64 * 1024;

/// Writes Airbyte messages, one compact JSON object per line.
///
/// Messages are serialized into one reused buffer that is handed to the inner
/// writer in large chunks; call [`MessageWriter::flush`] when the reader on
/// the other side must see everything so far (after a STATE, at the end).
///
/// ```
/// use airbyte_protocol::{AirbyteMessage, LogLevel, MessageWriter};
///
/// let mut out = MessageWriter::new(Vec::new());
/// out.write(&AirbyteMessage::log(LogLevel::Info, "start")).unwrap();
/// out.write_record("film", Some("public"), &serde_json::json!({"id": 1}), 1_700_000_000_000).unwrap();
/// let bytes = out.into_inner().unwrap();
/// assert_eq!(
///     String::from_utf8(bytes).unwrap(),
///     "{\"type\":\"LOG\",\"log\":{\"level\":\"INFO\",\"message\":\"start\"}}\n\
///      {\"type\":\"RECORD\",\"record\":{\"namespace\":\"public\",\"stream\":\"film\",\"data\":{\"id\":1},\"emitted_at\":1700000000000}}\n"
/// );
/// ```
#[derive(Debug)]
pub struct MessageWriter<W: Write> {
    inner: Option<W>,
    buf: Vec<u8>,
}

impl<W: Write> MessageWriter<W> {
    /// A writer over `inner`.
    pub fn new(inner: W) -> Self {
        MessageWriter {
            inner: Some(inner),
            buf: Vec::with_capacity(FLUSH_AT + 4096),
        }
    }

    /// Writes one message.
    pub fn write(&mut self, message: &AirbyteMessage) -> io::Result<()> {
        self.write_serialize(message)
    }

    /// Writes any value that serializes to one message object.
    pub fn write_serialize<T: Serialize + ?Sized>(&mut self, message: &T) -> io::Result<()> {
        let start = self.buf.len();
        if let Err(e) = serde_json::to_writer(&mut self.buf, message) {
            self.buf.truncate(start);
            return Err(e.into());
        }
        self.end_line()
    }

    /// Writes a RECORD straight from a serializable row, with no intermediate value.
    pub fn write_record<T: Serialize + ?Sized>(
        &mut self,
        stream: &str,
        namespace: Option<&str>,
        data: &T,
        emitted_at: i64,
    ) -> io::Result<()> {
        self.write_record_with(stream, namespace, emitted_at, |buf| {
            Ok(serde_json::to_writer(buf, data)?)
        })
    }

    /// Writes a RECORD whose `data` object `write_data` appends to the buffer
    /// itself (it must append exactly one JSON object): the fastest path, with
    /// no intermediate value at all.
    ///
    /// ```
    /// use airbyte_protocol::MessageWriter;
    /// let mut out = MessageWriter::new(Vec::new());
    /// out.write_record_with("t", None, 5, |buf| {
    ///     buf.extend_from_slice(br#"{"n":1.50}"#);
    ///     Ok(())
    /// })
    /// .unwrap();
    /// assert_eq!(
    ///     String::from_utf8(out.into_inner().unwrap()).unwrap(),
    ///     "{\"type\":\"RECORD\",\"record\":{\"stream\":\"t\",\"data\":{\"n\":1.50},\"emitted_at\":5}}\n"
    /// );
    /// ```
    pub fn write_record_with<F>(
        &mut self,
        stream: &str,
        namespace: Option<&str>,
        emitted_at: i64,
        write_data: F,
    ) -> io::Result<()>
    where
        F: FnOnce(&mut Vec<u8>) -> io::Result<()>,
    {
        let start = self.buf.len();
        let result = (|| -> io::Result<()> {
            self.buf
                .extend_from_slice(br#"{"type":"RECORD","record":{"#);
            if let Some(ns) = namespace {
                self.buf.extend_from_slice(br#""namespace":"#);
                serde_json::to_writer(&mut self.buf, ns)?;
                self.buf.push(b',');
            }
            self.buf.extend_from_slice(br#""stream":"#);
            serde_json::to_writer(&mut self.buf, stream)?;
            self.buf.extend_from_slice(br#","data":"#);
            write_data(&mut self.buf)?;
            write!(self.buf, r#","emitted_at":{emitted_at}}}}}"#)?;
            Ok(())
        })();
        if let Err(e) = result {
            self.buf.truncate(start);
            return Err(e);
        }
        self.end_line()
    }

    /// Writes a line that is already one serialized message (a `\n` is added if missing).
    pub fn write_raw_line(&mut self, line: &[u8]) -> io::Result<()> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        self.buf.extend_from_slice(line);
        self.end_line()
    }

    fn end_line(&mut self) -> io::Result<()> {
        self.buf.push(b'\n');
        if self.buf.len() >= FLUSH_AT {
            self.drain()?;
        }
        Ok(())
    }

    fn drain(&mut self) -> io::Result<()> {
        if let Some(inner) = self.inner.as_mut() {
            inner.write_all(&self.buf)?;
        }
        self.buf.clear();
        Ok(())
    }

    /// Hands everything buffered to the inner writer and flushes it.
    pub fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        match self.inner.as_mut() {
            Some(inner) => inner.flush(),
            None => Ok(()),
        }
    }

    /// Bytes written but not yet handed to the inner writer.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self
            .inner
            .take()
            .unwrap_or_else(|| unreachable!("inner is only taken here")))
    }
}

impl<W: Write> Drop for MessageWriter<W> {
    fn drop(&mut self) {
        // Like `BufWriter`: a last best-effort flush; call `flush` to see errors.
        if self.inner.is_some() {
            let _ = self.flush();
        }
    }
}
