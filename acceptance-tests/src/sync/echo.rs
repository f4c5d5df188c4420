//! The destination's stdout: echoed states (checked, counted, persisted),
//! logs and errors.

use crate::connector::Reader;
use std::collections::BTreeMap;
use std::io::BufReader;

use airbyte_protocol::{AirbyteMessage, Error as ProtocolError, MessageReader, MessageType};

use super::run::Shared;
use super::state::StateStore;

/// What a state covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A STREAM state of this stream.
    Stream(String),
    /// A GLOBAL (or LEGACY) state: every stream.
    All,
}

/// A state forwarded to the destination: what it covers, and the records
/// per stream forwarded since the previous state of the same scope.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) scope: Scope,
    pub(crate) counts: Vec<(String, u64)>,
}

/// The states forwarded and not yet echoed, by `id`.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    sent: BTreeMap<u64, Sent>,
}

impl Ledger {
    pub(crate) fn insert(&mut self, id: u64, sent: Sent) {
        self.sent.insert(id, sent);
    }

    /// The echo of state `id`: the records it commits per stream, including
    /// those of earlier states of the same scope that the destination did
    /// not echo (a later state of a stream implies the earlier ones).
    /// `None` if `id` was never sent (or was echoed already).
    pub(crate) fn echoed(&mut self, id: u64) -> Option<Vec<(String, u64)>> {
        let scope = self.sent.get(&id)?.scope.clone();
        let ids: Vec<u64> = self
            .sent
            .range(..=id)
            .filter(|(_, s)| s.scope == scope)
            .map(|(&i, _)| i)
            .collect();
        let mut counts: Vec<(String, u64)> = Vec::new();
        for i in ids {
            for (key, n) in self.sent.remove(&i).map(|s| s.counts).unwrap_or_default() {
                match counts.iter_mut().find(|(k, _)| *k == key) {
                    Some(entry) => entry.1 += n,
                    None => counts.push((key, n)),
                }
            }
        }
        Some(counts)
    }
}

/// Reads the destination's stdout to its end.
pub(crate) fn read_destination(output: Reader, shared: &Shared, store: &mut StateStore) {
    let mut reader = MessageReader::new(BufReader::new(output));
    let mut last_id: u64 = 0;
    while let Some(line) = reader.next_line() {
        let line = match line {
            Ok(line) => line,
            Err(ProtocolError::Io { source, .. }) => {
                shared.fail(format!("cannot read the destination's output: {source}"));
                return;
            }
            Err(e) => {
                shared
                    .console
                    .line(&format!("[destination] skipped a line: {e}"));
                continue;
            }
        };
        let Some(envelope) = shared.console.envelope("destination", &line) else {
            continue;
        };
        match envelope.kind {
            MessageType::State => match line.parse() {
                Ok(message) => echoed(message, &mut last_id, shared, store),
                Err(e) => shared.fail(format!(
                    "the destination echoed an invalid STATE message: {e}"
                )),
            },
            MessageType::Record => {
                shared
                    .console
                    .line("warning: the destination printed a RECORD message; ignored");
            }
            _ => {
                if let Some(error) = shared.console.message("destination", &envelope) {
                    shared.fail(format!("the destination reported an error: {error}"));
                }
            }
        }
    }
}

/// One echoed state: its `id` must follow the previous one; its records
/// become committed, and it replaces its stream's state in the file.
fn echoed(message: AirbyteMessage, last_id: &mut u64, shared: &Shared, store: &mut StateStore) {
    let Some(mut state) = message.state else {
        return;
    };
    // An integer; `7.0` is accepted from destinations that re-serialize numbers as floats.
    let id = match state.extra.get_as::<f64>("id") {
        Ok(Some(id)) if id >= 1.0 && id.fract() == 0.0 && id < 9.0e15 => id as u64,
        _ => {
            shared.fail(
                "the destination echoed a STATE without the integer `id` the runner added: it must echo states with every unknown key (protocol reference §2.5)"
                    .to_owned(),
            );
            return;
        }
    };
    if id <= *last_id {
        shared.fail(format!("the destination echoed state {id} after state {last_id}: states must come back in the order they were sent"));
        return;
    }
    *last_id = id;
    let Some(counts) = shared.echoed(id) else {
        shared.fail(format!(
            "the destination echoed a state with id {id}, which the runner never sent"
        ));
        return;
    };
    let forwarded: u64 = counts.iter().map(|(_, n)| n).sum();
    for (key, n) in &counts {
        shared.tally.committed(key, *n);
    }
    if let Some(reported) = state
        .destination_stats
        .as_ref()
        .and_then(|s| s.record_count)
        && reported != forwarded as f64
    {
        let streams: Vec<&str> = counts.iter().map(|(k, _)| k.as_str()).collect();
        shared.console.line(&format!(
            "warning: the destination's state {id} ({}) says destinationStats.recordCount {reported}, but the runner forwarded {forwarded} records for it",
            streams.join(", ")
        ));
    }
    state.extra.remove("id");
    if let Err(e) = store.commit(state) {
        shared.fail(format!("cannot save the state: {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echo_commits_the_skipped_states_of_its_scope() {
        let mut ledger = Ledger::default();
        let sent = |scope: Scope, key: &str, n: u64| Sent {
            scope,
            counts: vec![(key.to_owned(), n)],
        };
        ledger.insert(1, sent(Scope::Stream("a".into()), "a", 3));
        ledger.insert(2, sent(Scope::Stream("b".into()), "b", 4));
        ledger.insert(3, sent(Scope::Stream("a".into()), "a", 5));
        assert_eq!(ledger.echoed(3), Some(vec![("a".to_owned(), 8)]));
        assert_eq!(ledger.echoed(1), None);
        assert_eq!(ledger.echoed(2), Some(vec![("b".to_owned(), 4)]));
    }
}
