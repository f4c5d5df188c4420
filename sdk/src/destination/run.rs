//! The `write` loop: batches, commits, and state echo after commit.

use std::collections::HashMap;

use airbyte_protocol::{
    AirbyteStateStats, AirbyteStateType, AirbyteStreamStatus, AsyncMessageReader,
    ConfiguredAirbyteCatalog, Error as ProtocolError, LogLevel, MessageType, StreamDescriptor,
};
use tokio::io::AsyncBufRead;

use super::{Batch, BatchLimits, StreamWriter};
use crate::emit::Emitter;
use crate::error::Error;

type Key = (Option<String>, String);

struct Pending {
    descriptor: StreamDescriptor,
    batch: Vec<airbyte_protocol::AirbyteRecordMessage>,
    bytes: usize,
    /// Records written since this stream's last echoed state.
    committed_since_state: u64,
}

/// Reads messages from `input` until EOF, writing batches through `writer`
/// and echoing states after their records are committed.
pub(crate) async fn write<W: StreamWriter>(
    writer: &mut W,
    catalog: &ConfiguredAirbyteCatalog,
    limits: BatchLimits,
    input: impl AsyncBufRead + Unpin,
    emitter: &Emitter,
) -> Result<(), Error> {
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut streams: Vec<Pending> = Vec::new();
    for (i, configured) in catalog.streams.iter().enumerate() {
        let d = configured.stream.descriptor();
        index.insert((d.namespace.clone(), d.name.clone()), i);
        streams.push(Pending {
            descriptor: d,
            batch: Vec::new(),
            bytes: 0,
            committed_since_state: 0,
        });
    }
    let mut reader = AsyncMessageReader::new(input);
    while let Some(line) = reader.next_line().await {
        // A line over the size limit, or an I/O error, fails the sync: its data cannot be written.
        let line = line?;
        let bytes = line.as_bytes().len();
        let message = match line.parse() {
            Ok(message) => message,
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
            Err(e) => {
                return Err(
                    Error::system("the destination received an invalid message").with_source(e)
                );
            }
        };
        match message.r#type {
            MessageType::Record => {
                let Some(record) = message.record else {
                    continue;
                };
                let key = (record.namespace.clone(), record.stream.clone());
                let Some(&i) = index.get(&key) else {
                    return Err(Error::system(format!(
                        "received a record for stream `{}` which is not in the configured catalog",
                        StreamDescriptor {
                            name: key.1,
                            namespace: key.0,
                            extra: Default::default()
                        }
                    )));
                };
                let pending = &mut streams[i];
                pending.batch.push(record);
                pending.bytes += bytes;
                if pending.batch.len() >= limits.records || pending.bytes >= limits.bytes {
                    flush(writer, &mut streams[i], i).await?;
                }
            }
            MessageType::State => {
                // Every record before this state must be committed before it is echoed.
                for (i, pending) in streams.iter_mut().enumerate() {
                    flush(writer, pending, i).await?;
                }
                let mut message = message;
                if let Some(state) = message.state.as_mut() {
                    let count = match (state.effective_type(), &state.stream) {
                        (AirbyteStateType::Stream, Some(s)) => {
                            let key = (
                                s.stream_descriptor.namespace.clone(),
                                s.stream_descriptor.name.clone(),
                            );
                            index
                                .get(&key)
                                .map(|&i| std::mem::take(&mut streams[i].committed_since_state))
                                .unwrap_or(0)
                        }
                        _ => streams
                            .iter_mut()
                            .map(|p| std::mem::take(&mut p.committed_since_state))
                            .sum(),
                    };
                    let stats = state
                        .destination_stats
                        .get_or_insert_with(AirbyteStateStats::default);
                    stats.record_count = Some(count as f64);
                }
                emitter.message_flush(message)?;
            }
            MessageType::Trace => {
                let status = message
                    .trace
                    .as_ref()
                    .and_then(|t| t.stream_status.as_ref());
                if let Some(status) = status.filter(|s| s.status == AirbyteStreamStatus::Complete) {
                    let d = &status.stream_descriptor;
                    if let Some(&i) = index.get(&(d.namespace.clone(), d.name.clone())) {
                        flush(writer, &mut streams[i], i).await?;
                        writer.stream_complete(i).await?;
                    }
                }
            }
            _ => {
                tracing::debug!("ignoring a {} message on stdin", message.r#type);
            }
        }
    }
    for (i, pending) in streams.iter_mut().enumerate() {
        flush(writer, pending, i).await?;
    }
    writer.close().await
}

async fn flush<W: StreamWriter>(
    writer: &mut W,
    pending: &mut Pending,
    stream: usize,
) -> Result<(), Error> {
    if pending.batch.is_empty() {
        return Ok(());
    }
    let records = std::mem::take(&mut pending.batch);
    let count = records.len() as u64;
    let batch = Batch {
        stream,
        descriptor: pending.descriptor.clone(),
        records,
        bytes: std::mem::take(&mut pending.bytes),
    };
    writer
        .write_batch(batch)
        .await
        .map_err(|e| match e.stream() {
            Some(_) => e,
            None => e.with_stream(pending.descriptor.clone()),
        })?;
    pending.committed_since_state += count;
    Ok(())
}
