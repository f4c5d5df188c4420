//! The handles a source emits through.

use std::sync::Arc;
use std::time::Instant;

use airbyte_protocol::{
    AirbyteEstimateTraceMessage, AirbyteMessage, AirbyteStateMessage, AirbyteStateStats,
    AirbyteStreamStatus, AirbyteTraceMessage, JsonObject, StreamDescriptor,
};
use serde::Serialize;

use super::cursor::CheckpointPolicy;
use crate::emit::{Emitter, now_ms};
use crate::error::Error;

/// The output of a whole `read`: hands out per-stream outputs and emits
/// GLOBAL state (for CDC sources that override [`Source::read`](super::Source::read)).
#[derive(Clone)]
pub struct SourceOutput {
    pub(crate) emitter: Arc<Emitter>,
    pub(crate) policy: CheckpointPolicy,
}

impl SourceOutput {
    /// The output for one stream.
    pub fn stream(&self, descriptor: StreamDescriptor) -> StreamOutput {
        StreamOutput {
            emitter: self.emitter.clone(),
            descriptor,
            since_checkpoint: 0,
            total: 0,
            running: false,
            checkpoints: 0,
            last_checkpoint: Instant::now(),
            policy: self.policy,
        }
    }

    /// Emits a state message as is (set `sourceStats` yourself), and flushes.
    pub fn state(&self, state: AirbyteStateMessage) -> Result<(), Error> {
        self.emitter.message_flush(state.into())
    }

    /// Emits a stream status.
    pub fn status(
        &self,
        stream: &StreamDescriptor,
        status: AirbyteStreamStatus,
    ) -> Result<(), Error> {
        self.emitter.status(stream, status)
    }
}

/// Emits the records, checkpoints and estimates of one stream.
///
/// Every STATE it emits carries `sourceStats.recordCount`: the records
/// emitted since the stream's previous state. The first record or state
/// emits the RUNNING status.
pub struct StreamOutput {
    emitter: Arc<Emitter>,
    descriptor: StreamDescriptor,
    since_checkpoint: u64,
    total: u64,
    running: bool,
    checkpoints: u64,
    last_checkpoint: Instant,
    policy: CheckpointPolicy,
}

impl StreamOutput {
    /// The stream.
    pub fn descriptor(&self) -> &StreamDescriptor {
        &self.descriptor
    }

    pub(crate) fn ensure_running(&mut self) -> Result<(), Error> {
        if !self.running {
            self.running = true;
            self.emitter
                .status(&self.descriptor, AirbyteStreamStatus::Running)?;
        }
        Ok(())
    }

    /// Emits one record, serialized straight into the output buffer.
    pub fn record<T: Serialize + ?Sized>(&mut self, data: &T) -> Result<(), Error> {
        self.ensure_running()?;
        self.emitter.record(
            &self.descriptor.name,
            self.descriptor.namespace.as_deref(),
            data,
            now_ms(),
        )?;
        self.since_checkpoint += 1;
        self.total += 1;
        Ok(())
    }

    /// Emits one record whose `data` object `write_data` writes straight into
    /// the output buffer (it must append exactly one JSON object). The fastest
    /// path: database sources write column values with no intermediate value.
    pub fn record_with<F: FnOnce(&mut Vec<u8>) -> std::io::Result<()>>(
        &mut self,
        write_data: F,
    ) -> Result<(), Error> {
        self.ensure_running()?;
        self.emitter.record_with(
            &self.descriptor.name,
            self.descriptor.namespace.as_deref(),
            now_ms(),
            write_data,
        )?;
        self.since_checkpoint += 1;
        self.total += 1;
        Ok(())
    }

    /// Emits one record whose data is already JSON text (an object).
    pub fn record_json(&mut self, data: &serde_json::value::RawValue) -> Result<(), Error> {
        self.record(data)
    }

    /// Emits a STREAM state for this stream with the records counted since the last one, and flushes.
    pub fn checkpoint(&mut self, stream_state: JsonObject) -> Result<(), Error> {
        self.ensure_running()?;
        let mut state = AirbyteStateMessage::stream(self.descriptor.clone(), stream_state);
        state.source_stats = Some(AirbyteStateStats::records(self.since_checkpoint));
        self.emitter.message_flush(state.into())?;
        self.since_checkpoint = 0;
        self.checkpoints += 1;
        self.last_checkpoint = Instant::now();
        Ok(())
    }

    /// Serializes `stream_state` (which must serialize to an object) and checkpoints it.
    pub fn checkpoint_value<T: Serialize + ?Sized>(
        &mut self,
        stream_state: &T,
    ) -> Result<(), Error> {
        let blob = JsonObject::from_serialize(stream_state).map_err(|e| {
            Error::system("a stream state must serialize to a JSON object").with_source(e)
        })?;
        self.checkpoint(blob)
    }

    /// Whether the checkpoint policy says it is time for a state
    /// (enough records, or enough time, since the last one).
    pub fn should_checkpoint(&self) -> bool {
        self.policy
            .is_due(self.since_checkpoint, self.last_checkpoint.elapsed())
    }

    /// Records emitted since the last state.
    pub fn records_since_checkpoint(&self) -> u64 {
        self.since_checkpoint
    }

    /// Records emitted in total.
    pub fn records(&self) -> u64 {
        self.total
    }

    /// States emitted.
    pub fn checkpoints(&self) -> u64 {
        self.checkpoints
    }

    /// Emits a per-stream estimate of rows and bytes.
    pub fn estimate(&mut self, rows: Option<i64>, bytes: Option<i64>) -> Result<(), Error> {
        let mut estimate =
            AirbyteEstimateTraceMessage::stream(self.descriptor.name.clone(), rows, bytes);
        estimate.namespace = self.descriptor.namespace.clone();
        self.emitter
            .message(AirbyteTraceMessage::estimate(now_ms() as f64, estimate).into())
    }

    /// Emits any message (for what the other methods do not cover).
    pub fn message(&mut self, message: AirbyteMessage) -> Result<(), Error> {
        self.emitter.message(message)
    }
}
