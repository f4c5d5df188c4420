//! GLOBAL state output, for sources that read every stream from one shared
//! position (CDC): the stream-status lifecycle of a whole read, and the
//! GLOBAL checkpoints.
//!
//! A source that overrides [`Source::read`](super::Source::read) for this:
//!
//! 1. opens the streams with [`SourceOutput::global_streams`] (each gets
//!    STARTED);
//! 2. keeps its position and the per-stream states in a [`GlobalState`],
//!    counting records and emitting a GLOBAL state when
//!    [`GlobalState::due`] says so (the source's checkpoint policy);
//! 3. runs its read inside [`catch_panic`], and hands the result to
//!    [`GlobalStreams::finish`]: every stream gets RUNNING (if it had no
//!    record) and COMPLETE, or INCOMPLETE and the error.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use airbyte_protocol::{
    AirbyteStateMessage, AirbyteStateStats, AirbyteStreamState, AirbyteStreamStatus, JsonObject,
    StreamDescriptor,
};
use futures_util::FutureExt;
use serde::Serialize;

use super::cursor::CheckpointPolicy;
use super::{SourceOutput, StreamOutput};
use crate::error::Error;
use crate::mask::panic_message;

impl SourceOutput {
    /// Opens the streams of a GLOBAL-state read: emits STARTED for each, and
    /// gives one [`StreamOutput`] per stream, in order.
    pub fn global_streams(&self, streams: Vec<StreamDescriptor>) -> Result<GlobalStreams, Error> {
        for d in &streams {
            self.status(d, AirbyteStreamStatus::Started)?;
        }
        Ok(GlobalStreams {
            outputs: streams.iter().map(|d| self.stream(d.clone())).collect(),
            out: self.clone(),
        })
    }
}

/// The streams of a GLOBAL-state read (see [`SourceOutput::global_streams`]).
pub struct GlobalStreams {
    outputs: Vec<StreamOutput>,
    out: SourceOutput,
}

impl GlobalStreams {
    /// The outputs of the streams, in the order they were opened.
    pub fn outputs(&mut self) -> &mut [StreamOutput] {
        &mut self.outputs
    }

    /// Ends the read: on success every stream is COMPLETE (RUNNING first if
    /// it had no record); on failure every stream is INCOMPLETE and the
    /// error is returned.
    pub fn finish(mut self, result: Result<(), Error>) -> Result<(), Error> {
        match result {
            Ok(()) => {
                for o in &mut self.outputs {
                    o.ensure_running()?;
                    self.out
                        .status(o.descriptor(), AirbyteStreamStatus::Complete)?;
                }
                Ok(())
            }
            Err(error) => {
                for o in &self.outputs {
                    self.out
                        .status(o.descriptor(), AirbyteStreamStatus::Incomplete)?;
                }
                Err(error)
            }
        }
    }
}

/// Runs `read`, turning a panic into a system error (a TRACE message and a
/// non-zero exit, not a crash): "the connector panicked while reading
/// `what`: …". The default `read` runs each stream in it.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use airbyte_sdk::source::catch_panic;
/// let error = catch_panic("the changes", async { panic!("boom") }).await.unwrap_err();
/// assert_eq!(error.to_string(), "the connector panicked while reading the changes: boom");
/// assert!(catch_panic("the changes", async { Ok(()) }).await.is_ok());
/// # });
/// ```
pub async fn catch_panic<F>(what: &str, read: F) -> Result<(), Error>
where
    F: Future<Output = Result<(), Error>>,
{
    match AssertUnwindSafe(read).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(Error::system(format!(
            "the connector panicked while reading {what}: {}",
            panic_message(&*panic)
        ))),
    }
}

/// A GLOBAL state in the making: the shared state `S` (the position, e.g.
/// a WAL offset), one optional state per stream, and the records counted
/// since the last one.
///
/// ```
/// use airbyte_sdk::protocol::StreamDescriptor;
/// use airbyte_sdk::serde_json::json;
/// use airbyte_sdk::source::GlobalState;
/// use airbyte_sdk::testkit::CapturedOutput;
///
/// let capture = CapturedOutput::new();
/// let streams = vec![(StreamDescriptor::new("a"), None)];
/// let mut state = GlobalState::new(capture.output(), json!({"lsn": 1}), streams);
/// state.count();
/// state.set_stream(0, json!({"state_type": "cdc"}));
/// *state.shared_mut() = json!({"lsn": 2});
/// state.emit().unwrap();
/// assert_eq!(state.emitted(), 1);
/// assert!(!state.pending());
/// let line = &capture.lines()[0];
/// assert!(line.contains(r#""type":"GLOBAL""#) && line.contains(r#""lsn":2"#) && line.contains(r#""recordCount":1.0"#));
/// ```
pub struct GlobalState<S> {
    out: SourceOutput,
    shared: S,
    streams: Vec<(StreamDescriptor, Option<serde_json::Value>)>,
    records: u64,
    last: Instant,
    policy: CheckpointPolicy,
    emitted: u64,
    dirty: bool,
}

impl<S: Serialize> GlobalState<S> {
    /// Starts from `shared`, with one entry per stream (its input state, if any).
    pub fn new(
        out: &SourceOutput,
        shared: S,
        streams: Vec<(StreamDescriptor, Option<serde_json::Value>)>,
    ) -> Self {
        GlobalState {
            out: out.clone(),
            shared,
            streams,
            records: 0,
            last: Instant::now(),
            policy: out.policy,
            emitted: 0,
            dirty: true,
        }
    }

    /// The shared state.
    pub fn shared(&self) -> &S {
        &self.shared
    }

    /// Changes the shared state (call only where every record before the
    /// new position was emitted).
    pub fn shared_mut(&mut self) -> &mut S {
        self.dirty = true;
        &mut self.shared
    }

    /// Sets the state of stream `index`.
    pub fn set_stream(&mut self, index: usize, state: serde_json::Value) {
        if let Some(entry) = self.streams.get_mut(index) {
            entry.1 = Some(state);
            self.dirty = true;
        }
    }

    /// Counts one emitted record.
    pub fn count(&mut self) {
        self.records += 1;
        self.dirty = true;
    }

    /// Whether the checkpoint policy asks for a state now.
    pub fn due(&self) -> bool {
        self.policy.is_due(self.records, self.last.elapsed())
    }

    /// Whether anything changed since the last state.
    pub fn pending(&self) -> bool {
        self.dirty
    }

    /// States emitted so far.
    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    /// Emits a GLOBAL state with the records counted since the previous one, and flushes.
    pub fn emit(&mut self) -> Result<(), Error> {
        let shared = to_object(&self.shared)?;
        let mut stream_states = Vec::with_capacity(self.streams.len());
        for (descriptor, state) in &self.streams {
            if let Some(state) = state {
                stream_states.push(AirbyteStreamState {
                    stream_descriptor: descriptor.clone(),
                    stream_state: Some(to_object(state)?),
                    extra: Default::default(),
                });
            }
        }
        let mut message = AirbyteStateMessage::global(Some(shared), stream_states);
        message.source_stats = Some(AirbyteStateStats::records(self.records));
        self.out.state(message)?;
        self.records = 0;
        self.last = Instant::now();
        self.emitted += 1;
        self.dirty = false;
        Ok(())
    }

    /// Emits the final state: if none was emitted yet, or anything changed since the last.
    pub fn finish(&mut self) -> Result<(), Error> {
        if self.emitted == 0 || self.dirty {
            self.emit()?;
        }
        Ok(())
    }
}

fn to_object<T: Serialize>(value: &T) -> Result<JsonObject, Error> {
    JsonObject::from_serialize(value)
        .map_err(|e| Error::system("a GLOBAL state part is not a JSON object").with_source(e))
}
