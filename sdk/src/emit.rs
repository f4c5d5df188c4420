//! The one writer of stdout: every message a connector prints goes through here.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use airbyte_protocol::{
    AirbyteErrorTraceMessage, AirbyteMessage, AirbyteStreamStatus, AirbyteStreamStatusTraceMessage,
    AirbyteTraceMessage, LogLevel, MessageType, MessageWriter, StreamDescriptor,
};
use serde::Serialize;

use crate::error::Error;
use crate::mask::Masker;

/// Milliseconds since the epoch, now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Serializes messages to the output, masking secrets in every text field
/// of LOG, TRACE and CONNECTION_STATUS messages.
pub(crate) struct Emitter {
    writer: Mutex<MessageWriter<Box<dyn Write + Send>>>,
    masker: Arc<Masker>,
}

impl Emitter {
    pub(crate) fn new(out: Box<dyn Write + Send>, masker: Arc<Masker>) -> Self {
        Emitter {
            writer: Mutex::new(MessageWriter::new(out)),
            masker,
        }
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut MessageWriter<Box<dyn Write + Send>>) -> std::io::Result<T>,
    ) -> Result<T, Error> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| Error::system("the output writer was poisoned by a panic"))?;
        Ok(f(&mut writer)?)
    }

    /// Writes one message, masking secrets in its text fields.
    pub(crate) fn message(&self, mut message: AirbyteMessage) -> Result<(), Error> {
        self.mask_message(&mut message);
        self.with_writer(|w| w.write(&message))
    }

    /// Writes one message and flushes.
    pub(crate) fn message_flush(&self, message: AirbyteMessage) -> Result<(), Error> {
        self.message(message)?;
        self.flush()
    }

    /// Writes a RECORD from a serializable row.
    pub(crate) fn record<T: Serialize + ?Sized>(
        &self,
        stream: &str,
        namespace: Option<&str>,
        data: &T,
        emitted_at: i64,
    ) -> Result<(), Error> {
        self.with_writer(|w| w.write_record(stream, namespace, data, emitted_at))
    }

    /// Writes a RECORD whose data `write_data` appends to the buffer.
    pub(crate) fn record_with<F: FnOnce(&mut Vec<u8>) -> std::io::Result<()>>(
        &self,
        stream: &str,
        namespace: Option<&str>,
        emitted_at: i64,
        write_data: F,
    ) -> Result<(), Error> {
        self.with_writer(|w| w.write_record_with(stream, namespace, emitted_at, write_data))
    }

    /// Writes a line that is already one serialized message, as it is (no masking:
    /// for STATE echoes, serialized when they arrived).
    pub(crate) fn raw_line(&self, line: &[u8]) -> Result<(), Error> {
        self.with_writer(|w| w.write_raw_line(line))
    }

    pub(crate) fn flush(&self) -> Result<(), Error> {
        self.with_writer(|w| w.flush())
    }

    pub(crate) fn log(&self, level: LogLevel, message: impl Into<String>) -> Result<(), Error> {
        self.message(AirbyteMessage::log(level, message))
    }

    pub(crate) fn status(
        &self,
        stream: &StreamDescriptor,
        status: AirbyteStreamStatus,
    ) -> Result<(), Error> {
        let trace = AirbyteTraceMessage::stream_status(
            now_ms() as f64,
            AirbyteStreamStatusTraceMessage::new(stream.clone(), status),
        );
        self.message(trace.into())
    }

    /// Writes an ERROR trace for `error` and flushes.
    pub(crate) fn error(&self, error: &Error) -> Result<(), Error> {
        let mut trace = AirbyteErrorTraceMessage::new(user_message(error), error.failure_type());
        trace.internal_message = Some(
            error
                .internal_message()
                .unwrap_or_else(|| error.to_string()),
        );
        trace.stack_trace = Some(format!("{error:?}"));
        trace.stream_descriptor = error.stream().cloned();
        self.message_flush(AirbyteTraceMessage::error(now_ms() as f64, trace).into())
    }

    fn mask_message(&self, message: &mut AirbyteMessage) {
        if self.masker.is_empty() {
            return;
        }
        let m = &self.masker;
        match message.r#type {
            MessageType::Log => {
                if let Some(log) = message.log.as_mut() {
                    m.mask_in_place(&mut log.message);
                    if let Some(st) = log.stack_trace.as_mut() {
                        m.mask_in_place(st);
                    }
                }
            }
            MessageType::Trace => {
                if let Some(error) = message.trace.as_mut().and_then(|t| t.error.as_mut()) {
                    m.mask_in_place(&mut error.message);
                    for text in [error.internal_message.as_mut(), error.stack_trace.as_mut()]
                        .into_iter()
                        .flatten()
                    {
                        m.mask_in_place(text);
                    }
                }
            }
            MessageType::ConnectionStatus => {
                if let Some(text) = message
                    .connection_status
                    .as_mut()
                    .and_then(|s| s.message.as_mut())
                {
                    m.mask_in_place(text);
                }
            }
            _ => {}
        }
    }
}

/// The message shown to the user for an error.
fn user_message(error: &Error) -> String {
    match error {
        Error::Config { .. } | Error::Transient { .. } | Error::System { .. } => error.to_string(),
        Error::Protocol(e) => format!("Invalid Airbyte message: {e}"),
        Error::Io(e) => format!("I/O error: {e}"),
    }
}
