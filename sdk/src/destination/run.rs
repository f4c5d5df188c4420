//! The `write` loop: batches, commits, and state echo after commit.
//!
//! Records go into one open batch per stream. A batch is submitted when it
//! reaches its record, byte or age limit, when its stream completes, when
//! too many states wait for the open batches, and at the end of input; a
//! STATE never forces one. One batch is written at a time, in a task of its
//! own, while the loop goes on reading and parsing the next one. A STATE is
//! queued until every record before it of the streams it covers has
//! committed, then echoed, in arrival order. A timer fires the age limit
//! even when the input is quiet.

use std::time::Instant;

use airbyte_protocol::{
    AirbyteStateMessage, AirbyteStateStats, AirbyteStateType, AirbyteStreamStatus,
    AsyncMessageReader, ConfiguredAirbyteCatalog, Error as ProtocolError, LogLevel, MessageType,
    RawLine, StreamDescriptor,
};
use serde_json::value::RawValue;
use tokio::io::AsyncBufRead;

use super::open::OpenBatches;
use super::pipeline::{Joined, Pipeline};
use super::states::{StateQueue, Waiting};
use super::stream_index::StreamIndex;
use super::{BatchLimits, StreamWriter};
use crate::emit::Emitter;
use crate::error::Error;

/// How often, in records, a busy input checks the age limit (the timer
/// fires only while the input is quiet).
const AGE_CHECK_RECORDS: u64 = 1024;

/// Reads messages from `input` until EOF, writing batches through `writer`
/// and echoing states after their records are committed.
pub(crate) async fn write<W: StreamWriter + 'static>(
    writer: W,
    catalog: &ConfiguredAirbyteCatalog,
    limits: BatchLimits,
    input: impl AsyncBufRead + Unpin,
    emitter: &Emitter,
) -> Result<(), Error> {
    let mut loader = Loader {
        pipe: Pipeline::new(writer),
        open: OpenBatches::new(catalog, limits),
        states: StateQueue::default(),
        index: StreamIndex::new(catalog),
        emitter,
    };
    if let Err(e) = loader.read(input).await {
        // Bad input: what came before it is still written, so that the states
        // it completes are echoed. After a failed write, nothing more is.
        if !loader.pipe.failed() {
            let _ = loader.flush_all().await;
        }
        let _ = loader.settle().await;
        return Err(e);
    }
    loader.flush_all().await?;
    loader.settle().await?;
    let closed = loader.pipe.writer().await?.close().await;
    if closed.is_err() {
        loader.pipe.fail();
    }
    closed
}

/// What woke the read loop.
enum Event<'a, W> {
    Written(Joined<W>),
    Line(Option<Result<RawLine<'a>, ProtocolError>>),
    Aged,
}

/// The write loop's state: open batches, the write in flight, waiting states.
struct Loader<'e, W> {
    pipe: Pipeline<W>,
    open: OpenBatches,
    states: StateQueue,
    index: StreamIndex,
    emitter: &'e Emitter,
}

impl<W: StreamWriter + 'static> Loader<'_, W> {
    async fn read(&mut self, input: impl AsyncBufRead + Unpin) -> Result<(), Error> {
        let mut reader = AsyncMessageReader::new(input);
        let timer = tokio::time::sleep(std::time::Duration::ZERO);
        tokio::pin!(timer);
        let mut armed: Option<Instant> = None;
        loop {
            // The timer is set for the oldest open batch's age limit.
            let deadline = self.open.deadline();
            if deadline != armed {
                if let Some(at) = deadline {
                    timer.as_mut().reset(at.into());
                }
                armed = deadline;
            }
            // While a write is in flight, also wait for it: its states are echoed as soon as
            // it commits, even if the source sends nothing more until it sees them.
            let event = tokio::select! {
                biased;
                joined = self.pipe.finished() => Event::Written(joined),
                line = reader.next_line() => Event::Line(line),
                () = &mut timer, if armed.is_some() => Event::Aged,
            };
            match event {
                Event::Written(joined) => {
                    self.pipe.done(joined)?;
                    self.echo_ready()?;
                }
                Event::Aged => {
                    // Never earlier than the deadline, so the oldest batch always goes.
                    let now = armed.map_or_else(Instant::now, |at| Instant::now().max(at));
                    self.flush_aged(now).await?;
                }
                Event::Line(None) => return Ok(()),
                // A line over the size limit, or an I/O error, fails the sync: its data cannot be written.
                Event::Line(Some(line)) => self.line(line?).await?,
            }
        }
    }

    async fn line(&mut self, line: RawLine<'_>) -> Result<(), Error> {
        // Records, the bulk of the input, are routed by their envelope alone.
        let envelope = match line.envelope() {
            Ok(envelope) => envelope,
            // A line that is not JSON at all is a log line, as the platform treats it.
            Err(ProtocolError::NotJson { .. }) if !line.as_bytes().starts_with(b"{") => {
                return self.emitter.log(
                    LogLevel::Info,
                    format!(
                        "non-JSON input line {}: {}",
                        line.number(),
                        line.to_string_lossy()
                    ),
                );
            }
            Err(e) => return Err(invalid(e)),
        };
        if let Some(record) = &envelope.record {
            let Some(i) = self
                .index
                .get(&record.stream, record.namespace.as_deref())?
            else {
                return Err(Error::system(format!(
                    "received a record for stream `{}` which is not in the configured catalog",
                    StreamDescriptor {
                        name: record.stream.to_string(),
                        namespace: record.namespace.as_deref().map(str::to_owned),
                        extra: Default::default()
                    }
                )));
            };
            if self.open.push(i, envelope.text(), record) {
                self.flush(i).await?;
            } else if self.open.next_seq().is_multiple_of(AGE_CHECK_RECORDS)
                && self.open.deadline().is_some_and(|at| Instant::now() >= at)
            {
                self.flush_aged(Instant::now()).await?;
            }
            return Ok(());
        }
        if envelope.kind == MessageType::State {
            return self.state(envelope.text(), envelope.payload).await;
        }
        let message = line.parse().map_err(invalid)?;
        match message.r#type {
            MessageType::Record | MessageType::State => {}
            MessageType::Trace => {
                let status = message
                    .trace
                    .as_ref()
                    .and_then(|t| t.stream_status.as_ref());
                if let Some(status) = status.filter(|s| s.status == AirbyteStreamStatus::Complete) {
                    let d = &status.stream_descriptor;
                    if let Some(i) = self.index.get(&d.name, d.namespace.as_deref())? {
                        self.flush(i).await?;
                        self.settle().await?;
                        let completed = self.pipe.writer().await?.stream_complete(i).await;
                        if completed.is_err() {
                            self.pipe.fail();
                        }
                        completed?;
                    }
                }
            }
            _ => {
                tracing::debug!("ignoring a {} message on stdin", message.r#type);
            }
        }
        Ok(())
    }

    /// Queues a STATE behind the records before it. `text` is its line and
    /// `payload` its `state` object, within it: the echo is the line with
    /// that object re-serialized with `destinationStats` (every other byte,
    /// unknown envelope keys included, kept as it came). Only the state is
    /// parsed, not a whole message.
    async fn state(&mut self, text: &str, payload: Option<&RawValue>) -> Result<(), Error> {
        let (echo, covers) = match payload {
            Some(payload) => self.echo_of(text, payload)?,
            // Not a valid state, but echoed as it came, once everything before it is written.
            None => (text.as_bytes().into(), None),
        };
        self.open.note_state(text.len());
        self.states.push(Waiting {
            covers,
            upto: self.open.next_seq(),
            echo,
        });
        self.echo_ready()?;
        // Memory stays bounded whatever the state rate.
        if self.open.too_many_states() {
            self.flush_all().await?;
        }
        Ok(())
    }

    /// The echo of the state `payload` within `text`, and the stream it covers.
    fn echo_of(
        &mut self,
        text: &str,
        payload: &RawValue,
    ) -> Result<(Box<[u8]>, Option<usize>), Error> {
        let mut state: AirbyteStateMessage = serde_json::from_str(payload.get()).map_err(|e| {
            Error::system("the destination received an invalid STATE").with_source(e)
        })?;
        // `None`: a GLOBAL or LEGACY state; `Some(None)`: a stream not in the catalog.
        let stream = match (state.effective_type(), &state.stream) {
            (AirbyteStateType::Stream, Some(s)) => Some(self.index.get(
                &s.stream_descriptor.name,
                s.stream_descriptor.namespace.as_deref(),
            )?),
            _ => None,
        };
        let count = match stream {
            None => self.open.take_count(None),
            Some(Some(i)) => self.open.take_count(Some(i)),
            Some(None) => 0,
        };
        state
            .destination_stats
            .get_or_insert_with(AirbyteStateStats::default)
            .record_count = Some(count as f64);
        // The payload borrows from the line: its place in it.
        let start = (payload.get().as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
        let end = start.wrapping_add(payload.get().len());
        if text.get(start..end) != Some(payload.get()) {
            return Err(Error::system("a state's payload is not within its line"));
        }
        let mut echo = Vec::with_capacity(text.len() + 48);
        echo.extend_from_slice(&text.as_bytes()[..start]);
        serde_json::to_writer(&mut echo, &state)
            .map_err(|e| Error::system("cannot serialize a state").with_source(e))?;
        echo.extend_from_slice(&text.as_bytes()[end..]);
        // A state of an unknown stream waits for every stream.
        Ok((echo.into_boxed_slice(), stream.flatten()))
    }

    /// Submits stream `i`'s open batch, if it has records.
    async fn flush(&mut self, i: usize) -> Result<(), Error> {
        if let Some((batch, from)) = self.open.take(i) {
            self.pipe.submit(batch, from).await?;
            // Submitting waited for the previous write: its states may go.
            self.echo_ready()?;
        }
        Ok(())
    }

    async fn flush_all(&mut self) -> Result<(), Error> {
        for i in 0..self.open.len() {
            self.flush(i).await?;
        }
        Ok(())
    }

    /// Submits the open batches that are at least as old as the age limit at `now`.
    async fn flush_aged(&mut self, now: Instant) -> Result<(), Error> {
        for i in self.open.aged(now) {
            self.flush(i).await?;
        }
        Ok(())
    }

    /// Waits for the write in flight, then echoes the states it completed.
    async fn settle(&mut self) -> Result<(), Error> {
        self.pipe.settle().await?;
        self.echo_ready()
    }

    /// Echoes the queued states whose records have all committed, in order.
    fn echo_ready(&mut self) -> Result<(), Error> {
        let mut echoed = false;
        while let Some(front) = self.states.front() {
            let (covers, upto) = (front.covers, front.upto);
            let oldest = [self.pipe.oldest_seq(covers), self.open.oldest_seq(covers)]
                .into_iter()
                .flatten()
                .min();
            if oldest.is_some_and(|seq| seq < upto) {
                break;
            }
            if let Some(echo) = self.states.pop() {
                self.emitter.raw_line(&echo)?;
                echoed = true;
            }
        }
        if echoed {
            self.emitter.flush()?;
        }
        Ok(())
    }
}

/// A line that is JSON but not a valid message fails the sync.
fn invalid(e: ProtocolError) -> Error {
    Error::system("the destination received an invalid message").with_source(e)
}
