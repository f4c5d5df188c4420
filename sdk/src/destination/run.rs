//! The `write` loop: batches, commits, and state echo after commit.
//!
//! One batch is written at a time, in a task of its own, while the loop goes
//! on reading and parsing the next one: the destination's database ingests
//! while the connector parses. A STATE is queued behind the writes submitted
//! before it and echoed only once they have all committed, in arrival order.

use std::collections::{HashMap, VecDeque};

use airbyte_protocol::{
    AirbyteMessage, AirbyteStateStats, AirbyteStateType, AirbyteStreamStatus, AsyncMessageReader,
    ConfiguredAirbyteCatalog, Error as ProtocolError, LogLevel, MessageType, StreamDescriptor,
};
use tokio::io::AsyncBufRead;
use tokio::task::JoinHandle;

use super::{Batch, BatchLimits, StreamWriter};
use crate::emit::Emitter;
use crate::error::Error;

struct Pending {
    batch: Batch,
    /// Records submitted since this stream's last state.
    since_state: u64,
}

/// Finds a stream's index by name and namespace without allocating.
///
/// A name with a namespace matches exactly. A name without one (PyAirbyte
/// sends cached records with none, while its catalog keeps the source's
/// namespace) matches the configured stream of that name without a
/// namespace, else the only configured stream of that name; if several have
/// it, it is ambiguous: a config error that lists them.
struct StreamIndex {
    by_name: HashMap<String, Vec<(Option<String>, usize)>>,
    /// The last stream found: records mostly come in runs of one stream.
    last: Option<(usize, String, Option<String>)>,
}

impl StreamIndex {
    fn new(catalog: &ConfiguredAirbyteCatalog) -> Self {
        let mut by_name: HashMap<String, Vec<(Option<String>, usize)>> = HashMap::new();
        for (i, configured) in catalog.streams.iter().enumerate() {
            let d = configured.stream.descriptor();
            by_name.entry(d.name).or_default().push((d.namespace, i));
        }
        StreamIndex {
            by_name,
            last: None,
        }
    }

    /// The index of stream `name` in `namespace`, `None` if the catalog does
    /// not have it, an error if `namespace` is `None` and the name is ambiguous.
    fn get(&mut self, name: &str, namespace: Option<&str>) -> Result<Option<usize>, Error> {
        if let Some((i, n, ns)) = &self.last
            && n == name
            && ns.as_deref() == namespace
        {
            return Ok(Some(*i));
        }
        let Some(candidates) = self.by_name.get(name) else {
            return Ok(None);
        };
        let i = match candidates.iter().find(|(ns, _)| ns.as_deref() == namespace) {
            Some((_, i)) => *i,
            None if namespace.is_some() => return Ok(None),
            None => match candidates.as_slice() {
                [(_, i)] => *i,
                [] => return Ok(None),
                many => {
                    let mut names: Vec<String> = many
                        .iter()
                        .map(|(ns, _)| match ns {
                            Some(ns) => format!("`{ns}.{name}`"),
                            None => format!("`{name}`"),
                        })
                        .collect();
                    names.sort();
                    return Err(Error::config(format!(
                        "stream `{name}` has no namespace and the configured catalog has {} streams of that name: {}; send its messages with a namespace",
                        many.len(),
                        names.join(", ")
                    )));
                }
            },
        };
        self.last = Some((i, name.to_owned(), namespace.map(str::to_owned)));
        Ok(Some(i))
    }
}

/// The writer, or the write in flight that will give it back.
struct Pipeline<W> {
    writer: Option<W>,
    in_flight: Option<JoinHandle<(W, Result<(), Error>)>>,
    /// Writes submitted so far; the number of the last one committed.
    submitted: u64,
    committed: u64,
    /// States waiting for the writes submitted before them: (barrier, message).
    states: VecDeque<(u64, AirbyteMessage)>,
}

impl<W: StreamWriter + 'static> Pipeline<W> {
    /// Waits for the write in flight, then echoes the states it unblocked.
    async fn settle(&mut self, emitter: &Emitter) -> Result<(), Error> {
        if let Some(task) = self.in_flight.take() {
            self.done(task.await, emitter)?;
        }
        self.echo_ready(emitter)
    }

    /// Takes back the writer from a finished write; echoes what it unblocked.
    fn done(
        &mut self,
        joined: Result<(W, Result<(), Error>), tokio::task::JoinError>,
        emitter: &Emitter,
    ) -> Result<(), Error> {
        let (writer, result) =
            joined.map_err(|e| Error::system(format!("the write task failed: {e}")))?;
        self.writer = Some(writer);
        result?;
        self.committed = self.submitted;
        self.echo_ready(emitter)
    }

    /// Echoes the queued states whose writes have all committed.
    fn echo_ready(&mut self, emitter: &Emitter) -> Result<(), Error> {
        while self
            .states
            .front()
            .is_some_and(|(barrier, _)| *barrier <= self.committed)
        {
            if let Some((_, state)) = self.states.pop_front() {
                emitter.message_flush(state)?;
            }
        }
        Ok(())
    }

    /// Starts writing `batch` once the previous write has committed.
    async fn submit(&mut self, batch: Batch, emitter: &Emitter) -> Result<(), Error> {
        self.settle(emitter).await?;
        let mut writer = self
            .writer
            .take()
            .ok_or_else(|| Error::system("the writer was lost after a failed write"))?;
        let descriptor = batch.descriptor.clone();
        self.submitted += 1;
        self.in_flight = Some(tokio::spawn(async move {
            let result = writer
                .write_batch(batch)
                .await
                .map_err(|e| match e.stream() {
                    Some(_) => e,
                    None => e.with_stream(descriptor),
                });
            (writer, result)
        }));
        Ok(())
    }

    /// The writer, once every write has committed.
    async fn writer(&mut self, emitter: &Emitter) -> Result<&mut W, Error> {
        self.settle(emitter).await?;
        self.writer
            .as_mut()
            .ok_or_else(|| Error::system("the writer was lost after a failed write"))
    }
}

/// Reads messages from `input` until EOF, writing batches through `writer`
/// and echoing states after their records are committed.
pub(crate) async fn write<W: StreamWriter + 'static>(
    writer: W,
    catalog: &ConfiguredAirbyteCatalog,
    limits: BatchLimits,
    input: impl AsyncBufRead + Unpin,
    emitter: &Emitter,
) -> Result<(), Error> {
    let mut index = StreamIndex::new(catalog);
    let mut streams: Vec<Pending> = catalog
        .streams
        .iter()
        .enumerate()
        .map(|(i, configured)| Pending {
            batch: Batch::new(i, configured.stream.descriptor()),
            since_state: 0,
        })
        .collect();
    let mut pipe = Pipeline {
        writer: Some(writer),
        in_flight: None,
        submitted: 0,
        committed: 0,
        states: VecDeque::new(),
    };
    let result = read_loop(&mut pipe, &mut streams, &mut index, limits, input, emitter).await;
    if result.is_err() {
        // Let a write in flight finish, so states it covers are still echoed.
        let _ = pipe.settle(emitter).await;
        return result;
    }
    for pending in streams.iter_mut() {
        if let Some(batch) = take(pending) {
            pipe.submit(batch, emitter).await?;
        }
    }
    pipe.writer(emitter).await?.close().await
}

async fn read_loop<W: StreamWriter + 'static>(
    pipe: &mut Pipeline<W>,
    streams: &mut [Pending],
    index: &mut StreamIndex,
    limits: BatchLimits,
    input: impl AsyncBufRead + Unpin,
    emitter: &Emitter,
) -> Result<(), Error> {
    let mut reader = AsyncMessageReader::new(input);
    loop {
        // While a write is in flight, also wait for it: its states are echoed as soon as
        // it commits, even if the source sends nothing more until it sees them.
        let line = match pipe.in_flight.as_mut() {
            Some(task) => tokio::select! {
                biased;
                joined = task => {
                    pipe.in_flight = None;
                    pipe.done(joined, emitter)?;
                    continue;
                }
                line = reader.next_line() => line,
            },
            None => reader.next_line().await,
        };
        let Some(line) = line else { break };
        // A line over the size limit, or an I/O error, fails the sync: its data cannot be written.
        let line = line?;
        // Records, the bulk of the input, are routed by their envelope alone.
        let envelope = match line.envelope() {
            Ok(envelope) => envelope,
            // A line that is not JSON at all is a log line, as the platform treats it.
            Err(ProtocolError::NotJson { .. }) if !line.as_bytes().starts_with(b"{") => {
                emitter.log(
                    LogLevel::Info,
                    format!(
                        "non-JSON input line {}: {}",
                        line.number(),
                        line.to_string_lossy()
                    ),
                )?;
                continue;
            }
            Err(e) => return Err(invalid(e)),
        };
        if let Some(record) = &envelope.record {
            let Some(i) = index.get(&record.stream, record.namespace.as_deref())? else {
                return Err(Error::system(format!(
                    "received a record for stream `{}` which is not in the configured catalog",
                    StreamDescriptor {
                        name: record.stream.to_string(),
                        namespace: record.namespace.as_deref().map(str::to_owned),
                        extra: Default::default()
                    }
                )));
            };
            let pending = &mut streams[i];
            pending.batch.push(envelope.text(), record);
            if (pending.batch.len() >= limits.records || pending.batch.bytes >= limits.bytes)
                && let Some(batch) = take(pending)
            {
                pipe.submit(batch, emitter).await?;
            }
            continue;
        }
        let message = line.parse().map_err(invalid)?;
        match message.r#type {
            MessageType::Record => {}
            MessageType::State => {
                // Every record before this state goes out first; the state waits for it.
                for pending in streams.iter_mut() {
                    if let Some(batch) = take(pending) {
                        pipe.submit(batch, emitter).await?;
                    }
                }
                let mut message = message;
                if let Some(state) = message.state.as_mut() {
                    let count = match (state.effective_type(), &state.stream) {
                        (AirbyteStateType::Stream, Some(s)) => index
                            .get(
                                &s.stream_descriptor.name,
                                s.stream_descriptor.namespace.as_deref(),
                            )?
                            .map(|i| std::mem::take(&mut streams[i].since_state))
                            .unwrap_or(0),
                        _ => streams
                            .iter_mut()
                            .map(|p| std::mem::take(&mut p.since_state))
                            .sum(),
                    };
                    let stats = state
                        .destination_stats
                        .get_or_insert_with(AirbyteStateStats::default);
                    stats.record_count = Some(count as f64);
                }
                pipe.states.push_back((pipe.submitted, message));
                pipe.echo_ready(emitter)?;
            }
            MessageType::Trace => {
                let status = message
                    .trace
                    .as_ref()
                    .and_then(|t| t.stream_status.as_ref());
                if let Some(status) = status.filter(|s| s.status == AirbyteStreamStatus::Complete) {
                    let d = &status.stream_descriptor;
                    if let Some(i) = index.get(&d.name, d.namespace.as_deref())? {
                        if let Some(batch) = take(&mut streams[i]) {
                            pipe.submit(batch, emitter).await?;
                        }
                        pipe.writer(emitter).await?.stream_complete(i).await?;
                    }
                }
            }
            _ => {
                tracing::debug!("ignoring a {} message on stdin", message.r#type);
            }
        }
    }
    Ok(())
}

/// The stream's pending records as a batch, counted as submitted since its last state.
fn take(pending: &mut Pending) -> Option<Batch> {
    if pending.batch.is_empty() {
        return None;
    }
    let batch = pending.batch.take();
    pending.since_state += batch.len() as u64;
    Some(batch)
}

/// A line that is JSON but not a valid message fails the sync.
fn invalid(e: ProtocolError) -> Error {
    Error::system("the destination received an invalid message").with_source(e)
}
