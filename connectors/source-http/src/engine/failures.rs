//! The streams that failed in a read, as the CDK's concurrent read reports
//! them: each stream's error trace when it fails (before its INCOMPLETE
//! status), the other streams read on, and the sync ends with one closing
//! trace that names no stream, a config error "During the sync, the
//! following streams did not sync successfully: ..." (the platform relies
//! on the non-zero exit; the individual traces are the actionable ones).

use std::sync::Mutex;

use airbyte_sdk::protocol::{AirbyteErrorTraceMessage, AirbyteTraceMessage};
use airbyte_sdk::source::StreamOutput;

use crate::interpolation::string_repr;

/// The failures of one read, in the order they happened.
#[derive(Debug, Default)]
pub struct StreamFailures {
    failed: Mutex<Vec<(String, String)>>,
}

impl StreamFailures {
    /// Reports `error`, the failure of the stream of `out`: its error trace
    /// now, and its part of the closing trace.
    pub fn fail(
        &self,
        out: &mut StreamOutput,
        error: &airbyte_sdk::Error,
    ) -> airbyte_sdk::Result<()> {
        let internal = error
            .internal_message()
            .unwrap_or_else(|| error.to_string());
        let mut trace = AirbyteErrorTraceMessage::new(error.to_string(), error.failure_type());
        trace.internal_message = Some(internal.clone());
        trace.stack_trace = Some(format!("{error:?}"));
        trace.stream_descriptor = Some(out.descriptor().clone());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as f64)
            .unwrap_or(0.0);
        out.message(AirbyteTraceMessage::error(now, trace).into())?;
        let name = out.descriptor().name.clone();
        self.failed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((name, internal));
        Ok(())
    }

    /// The closing error, if a stream failed; else `result` as it is.
    ///
    /// ```
    /// use source_http::engine::StreamFailures;
    /// let failures = StreamFailures::default();
    /// assert!(failures.close(Ok(())).is_ok());
    /// ```
    pub fn close(&self, result: airbyte_sdk::Result<()>) -> airbyte_sdk::Result<()> {
        let failed = self
            .failed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if failed.is_empty() {
            return result;
        }
        let streams: Vec<String> = failed
            .iter()
            .map(|(name, internal)| {
                let mut repr = String::new();
                string_repr(internal, &mut repr);
                format!("{name}: AirbyteTracedException({repr})")
            })
            .collect();
        Err(airbyte_sdk::Error::config(format!(
            "During the sync, the following streams did not sync successfully: {}",
            streams.join(", ")
        ))
        .with_source(std::io::Error::other("Concurrent read failure")))
    }
}
