//! `tracing` events become Airbyte LOG messages on stdout.

use std::fmt::Write as _;
use std::sync::Arc;

use airbyte_protocol::LogLevel;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::emit::Emitter;

/// Writes each event as a LOG message through the run's emitter (which masks secrets).
pub(crate) struct LogLayer {
    emitter: Arc<Emitter>,
}

impl LogLayer {
    pub(crate) fn new(emitter: Arc<Emitter>) -> Self {
        LogLayer { emitter }
    }
}

struct MessageVisitor {
    message: String,
    fields: String,
}

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for LogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut visitor = MessageVisitor {
            message: String::new(),
            fields: String::new(),
        };
        event.record(&mut visitor);
        let level = match *event.metadata().level() {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        };
        visitor.message.push_str(&visitor.fields);
        // A failed write of a log line has nowhere better to go.
        let _ = self.emitter.log(level, visitor.message);
    }
}

/// The subscriber for one run: LOG messages, filtered by `AIRBYTE_LOG`
/// (`EnvFilter` syntax, default `info`; `debug` with `--debug`).
pub(crate) fn dispatch(emitter: Arc<Emitter>, debug: bool) -> tracing::Dispatch {
    use tracing_subscriber::prelude::*;
    let default = if debug { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AIRBYTE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing::Dispatch::new(
        tracing_subscriber::registry().with(LogLayer::new(emitter).with_filter(filter)),
    )
}
