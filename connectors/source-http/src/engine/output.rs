//! A stream's records and states, written to the connector's output.
//!
//! As the CDK's message serializer does, a record's top-level fields whose
//! value is `null` are left out (nested `null`s stay).

use airbyte_sdk::protocol::{
    AirbyteMessage, AirbyteStreamStatus, AirbyteStreamStatusReason,
    AirbyteStreamStatusTraceMessage, AirbyteTraceMessage, JsonObject, StreamStatusReasonType,
};
use airbyte_sdk::source::StreamOutput;
use serde_json::Value;

use crate::error::Error;
use crate::partition::StreamSlice;
use crate::retriever::{Flow, Sink};

/// Writes to one stream's output.
pub struct OutputSink<'o> {
    out: &'o mut StreamOutput,
}

impl<'o> OutputSink<'o> {
    /// A sink over `out`.
    pub fn new(out: &'o mut StreamOutput) -> Self {
        OutputSink { out }
    }
}

fn write_error(e: airbyte_sdk::Error) -> Error {
    Error::Read(e.to_string())
}

impl OutputSink<'_> {
    /// Writes the CONTROL messages the authenticators queued (an updated
    /// config after a token refresh), before anything else is written.
    pub fn emit_control(&mut self) -> Result<(), Error> {
        if !crate::auth::has_control_messages() {
            return Ok(());
        }
        for message in crate::auth::take_control_messages() {
            self.out.message(message).map_err(write_error)?;
        }
        Ok(())
    }
}

impl Sink for OutputSink<'_> {
    fn record(&mut self, _: &StreamSlice, mut record: Value) -> Result<Flow, Error> {
        self.emit_control()?;
        if let Value::Object(map) = &mut record {
            map.retain(|_, v| !v.is_null());
        }
        self.out.record(&record).map_err(write_error)?;
        Ok(Flow::More)
    }

    fn state(&mut self, state: Value) -> Result<(), Error> {
        self.emit_control()?;
        let state = JsonObject::from_serialize(&state).map_err(|e| Error::Read(e.to_string()))?;
        self.out.checkpoint(state).map_err(write_error)
    }

    /// A RUNNING status with the reason RATE_LIMITED, as the CDK prints it.
    fn rate_limited(&mut self) -> Result<(), Error> {
        let mut status = AirbyteStreamStatusTraceMessage::new(
            self.out.descriptor().clone(),
            AirbyteStreamStatus::Running,
        );
        status.reasons = Some(vec![AirbyteStreamStatusReason {
            r#type: StreamStatusReasonType::RateLimited,
            rate_limited: None,
            extra: Default::default(),
        }]);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as f64)
            .unwrap_or(0.0);
        let message: AirbyteMessage = AirbyteTraceMessage::stream_status(now, status).into();
        self.out.message(message).map_err(write_error)
    }
}
