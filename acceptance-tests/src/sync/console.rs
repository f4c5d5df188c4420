//! stderr: the connectors' logs and traces, warnings, and the progress line.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, PoisonError};

use airbyte_protocol::{
    AirbyteErrorTraceMessage, AirbyteLogMessage, AirbyteTraceMessage, Envelope, FailureType,
    LogLevel, MessageType, RawLine, TraceType,
};

/// The longest text shown for one line of a connector.
const MAX_SHOWN: usize = 2000;

/// Writes to stderr from any thread, keeping a `\r` progress line (on a
/// terminal) from mixing with other lines.
#[derive(Debug)]
pub(crate) struct Console {
    tty: bool,
    verbose: bool,
    /// Whether a `\r` progress line is on screen.
    progress_shown: Mutex<bool>,
}

impl Console {
    pub(crate) fn new(verbose: bool) -> Self {
        Console {
            tty: std::io::stderr().is_terminal(),
            verbose,
            progress_shown: Mutex::new(false),
        }
    }

    /// Whether stderr is a terminal.
    pub(crate) fn is_tty(&self) -> bool {
        self.tty
    }

    /// Whether every log is shown.
    pub(crate) fn verbose(&self) -> bool {
        self.verbose
    }

    /// Prints one line.
    pub(crate) fn line(&self, text: &str) {
        let mut shown = self
            .progress_shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut err = std::io::stderr().lock();
        if *shown {
            let _ = err.write_all(b"\r\x1b[K");
            *shown = false;
        }
        let _ = writeln!(err, "{text}");
    }

    /// Prints the progress line: rewritten in place on a terminal, a plain line otherwise.
    pub(crate) fn progress(&self, text: &str) {
        let mut shown = self
            .progress_shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[K{text}");
            let _ = err.flush();
            *shown = true;
        } else {
            let _ = writeln!(err, "{text}");
        }
    }

    /// Clears the progress line, if one is on screen.
    pub(crate) fn clear_progress(&self) {
        let mut shown = self
            .progress_shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *shown {
            let _ = std::io::stderr().lock().write_all(b"\r\x1b[K");
            *shown = false;
        }
    }

    /// The envelope of a line from `who`; a line that is not a message is
    /// shown (as a log line, or as invalid) and skipped.
    pub(crate) fn envelope<'a>(&self, who: &str, line: &RawLine<'a>) -> Option<Envelope<'a>> {
        match line.envelope() {
            Ok(envelope) => Some(envelope),
            Err(e) => {
                let reason = if line.as_bytes().starts_with(b"{") {
                    format!("not a protocol message ({e})")
                } else {
                    "log".to_owned()
                };
                self.raw_line(who, line.as_bytes(), &reason);
                None
            }
        }
    }

    /// A line that is not a protocol message (`who` is `source` or `destination`).
    pub(crate) fn raw_line(&self, who: &str, line: &[u8], reason: &str) {
        self.line(&format!(
            "[{who}] {reason}: {}",
            shorten(&String::from_utf8_lossy(line))
        ));
    }

    /// A LOG message: errors and warnings always, the rest with `--verbose`.
    pub(crate) fn log(&self, who: &str, log: &AirbyteLogMessage) {
        let important = matches!(
            log.level,
            LogLevel::Fatal | LogLevel::Error | LogLevel::Warn
        );
        if important || self.verbose {
            let level = serde_json::to_value(log.level)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            self.line(&format!("[{who}] {level} {}", shorten(&log.message)));
            if let (true, Some(stack)) = (self.verbose, &log.stack_trace) {
                self.line(&shorten(stack));
            }
        }
    }

    /// A message that is not data: LOG, TRACE (other than a forwarded
    /// STREAM_STATUS), CONTROL, … Returns the description of an error trace.
    pub(crate) fn message(&self, who: &str, envelope: &Envelope<'_>) -> Option<String> {
        let payload = envelope.payload.map(|p| p.get()).unwrap_or("{}");
        match envelope.kind {
            MessageType::Log => match serde_json::from_str::<AirbyteLogMessage>(payload) {
                Ok(log) => self.log(who, &log),
                Err(e) => self.raw_line(who, envelope.line, &format!("invalid LOG message ({e})")),
            },
            MessageType::Trace => match serde_json::from_str::<AirbyteTraceMessage>(payload) {
                Ok(trace) => return self.trace(who, &trace),
                Err(e) => {
                    self.raw_line(who, envelope.line, &format!("invalid TRACE message ({e})"))
                }
            },
            MessageType::Control => {
                self.line(&format!("[{who}] CONTROL message (a config update the platform would persist), not applied"));
            }
            kind => {
                if self.verbose {
                    self.line(&format!("[{who}] ignored a {kind} message"));
                }
            }
        }
        None
    }

    fn trace(&self, who: &str, trace: &AirbyteTraceMessage) -> Option<String> {
        match (trace.r#type, &trace.error) {
            (TraceType::Error, Some(error)) => {
                let text = describe_error(error);
                self.line(&format!("[{who}] ERROR {text}"));
                if let (true, Some(stack)) = (self.verbose, &error.stack_trace) {
                    self.line(&shorten(stack));
                }
                Some(text)
            }
            (TraceType::Error, None) => {
                self.line(&format!("[{who}] ERROR trace without an `error`"));
                Some("an error trace without details".to_owned())
            }
            (kind, _) => {
                if self.verbose {
                    self.line(&format!(
                        "[{who}] {kind:?} trace: {}",
                        serde_json::to_string(trace).unwrap_or_default()
                    ));
                }
                None
            }
        }
    }
}

/// `message (failure_type, stream x)`, for an error trace.
pub(crate) fn describe_error(error: &AirbyteErrorTraceMessage) -> String {
    let mut details = Vec::new();
    if let Some(t) = error.failure_type {
        details.push(
            match t {
                FailureType::SystemError => "system_error",
                FailureType::ConfigError => "config_error",
                FailureType::TransientError => "transient_error",
            }
            .to_owned(),
        );
    }
    if let Some(d) = &error.stream_descriptor {
        details.push(format!("stream `{d}`"));
    }
    if details.is_empty() {
        error.message.clone()
    } else {
        format!("{} ({})", error.message, details.join(", "))
    }
}

/// At most [`MAX_SHOWN`] characters of `text`.
pub(crate) fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}
