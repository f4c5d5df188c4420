//! The data path: the source's stdout to the destination's stdin.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufReader;

use airbyte_protocol::{
    AirbyteStateType, AirbyteTraceMessage, Error as ProtocolError, MessageReader, MessageType,
    MessageWriter, RawJson, TraceType,
};

use super::echo::{Scope, Sent};
use super::run::Shared;
use super::stream_key;
use super::validate::{Validators, Verdict};
use crate::connector::{Reader, Writer};

/// Why the forwarding stopped.
pub(crate) enum End {
    /// The source closed its stdout.
    SourceDone,
    /// A record was invalid under `--validation fail`.
    Invalid(String),
    /// The destination stopped reading its stdin.
    DestinationGone(std::io::Error),
    /// The source's stdout could not be read.
    ReadFailed(String),
}

/// The end of the forwarding, and the destination's stdin: still open, so
/// that the caller decides whether the destination may commit (close it) or
/// not (kill the destination first).
pub(crate) struct Forwarded {
    pub(crate) end: End,
    pub(crate) input: MessageWriter<Writer>,
}

/// Records of each stream forwarded since that stream's last state, and
/// since the last GLOBAL (or LEGACY) state.
#[derive(Default)]
struct Since {
    stream: HashMap<String, u64>,
    global: HashMap<String, u64>,
}

/// Forwards RECORD, STATE (with an `id`) and TRACE STREAM_STATUS lines of
/// the source to the destination; shows the rest on stderr.
pub(crate) fn forward(
    source: Reader,
    destination: Writer,
    shared: &Shared,
    mut validators: Validators,
) -> Forwarded {
    let mut input = MessageWriter::new(destination);
    let end = forward_lines(source, &mut input, shared, &mut validators);
    let end = match end {
        End::SourceDone => match input.flush() {
            Ok(()) => End::SourceDone,
            Err(e) => End::DestinationGone(e),
        },
        other => other,
    };
    Forwarded { end, input }
}

fn forward_lines(
    source: Reader,
    input: &mut MessageWriter<Writer>,
    shared: &Shared,
    validators: &mut Validators,
) -> End {
    let mut reader = MessageReader::new(BufReader::with_capacity(256 * 1024, source));
    let mut since = Since::default();
    let mut next_id: u64 = 1;
    while let Some(line) = reader.next_line() {
        let line = match line {
            Ok(line) => line,
            Err(ProtocolError::Io { source, .. }) => return End::ReadFailed(source.to_string()),
            Err(e) => {
                shared
                    .console
                    .line(&format!("[source] skipped a line: {e}"));
                continue;
            }
        };
        let Some(envelope) = shared.console.envelope("source", &line) else {
            continue;
        };
        let sent = match envelope.kind {
            MessageType::Record => {
                let Some(record) = &envelope.record else {
                    continue;
                };
                let key: Cow<'_, str> = match &record.namespace {
                    Some(ns) => Cow::Owned(stream_key(Some(ns), &record.stream)),
                    None => Cow::Borrowed(&record.stream),
                };
                let verdict = validators.check(&key, record.data, &shared.console);
                if let Verdict::Stop(message) = verdict {
                    shared.tally.emitted(&key, true);
                    return End::Invalid(message);
                }
                if shared
                    .tally
                    .emitted(&key, matches!(verdict, Verdict::Invalid))
                {
                    shared.console.line(&format!("warning: the source emitted records of stream `{key}`, which is not in the catalog"));
                }
                count(&mut since.stream, &key);
                count(&mut since.global, &key);
                input.write_raw_line(envelope.line)
            }
            MessageType::State => {
                let mut message = match line.parse() {
                    Ok(message) => message,
                    Err(e) => {
                        shared.fail(format!("the source emitted an invalid STATE message: {e}"));
                        continue;
                    }
                };
                let Some(state) = message.state.as_mut() else {
                    continue;
                };
                let id = next_id;
                next_id += 1;
                let (scope, counts) = match (state.effective_type(), &state.stream) {
                    (AirbyteStateType::Stream, Some(s)) => {
                        let d = &s.stream_descriptor;
                        let key = stream_key(d.namespace.as_deref(), &d.name);
                        let n = since.stream.remove(&key).unwrap_or(0);
                        (Scope::Stream(key.clone()), vec![(key, n)])
                    }
                    _ => {
                        since.stream.clear();
                        (Scope::All, since.global.drain().collect())
                    }
                };
                match RawJson::from_string(id.to_string()) {
                    Ok(raw) => state.extra.insert("id", raw),
                    Err(_) => continue,
                }
                shared.sent(id, Sent { scope, counts });
                input.write(&message).and_then(|()| input.flush())
            }
            MessageType::Trace if is_stream_status(envelope.payload.map(|p| p.get())) => {
                input.write_raw_line(envelope.line)
            }
            _ => {
                if let Some(error) = shared.console.message("source", &envelope) {
                    shared.fail(format!("the source reported an error: {error}"));
                }
                Ok(())
            }
        };
        if let Err(e) = sent {
            return End::DestinationGone(e);
        }
    }
    End::SourceDone
}

/// One more record of `key`, allocating only for a stream's first record.
fn count(counts: &mut HashMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

/// Whether a TRACE payload is a STREAM_STATUS (which the platform forwards).
fn is_stream_status(payload: Option<&str>) -> bool {
    payload
        .and_then(|p| serde_json::from_str::<AirbyteTraceMessage>(p).ok())
        .is_some_and(|t| t.r#type == TraceType::StreamStatus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stream_status_traces_are_forwarded() {
        let status = r#"{"type":"STREAM_STATUS","emitted_at":1.0,"stream_status":{"stream_descriptor":{"name":"a"},"status":"COMPLETE"}}"#;
        let error = r#"{"type":"ERROR","emitted_at":1.0,"error":{"message":"boom"}}"#;
        assert!(is_stream_status(Some(status)));
        assert!(!is_stream_status(Some(error)));
        assert!(!is_stream_status(None));
    }
}
