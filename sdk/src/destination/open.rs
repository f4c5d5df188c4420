//! The records received but not yet submitted: one open batch per stream.
//!
//! Every record gets a sequence number in arrival order, across streams. An
//! open batch remembers the number and the time of its first record: the
//! oldest open batch is both the one that holds the oldest unwritten record
//! and the first to reach the age limit.

use std::time::Instant;

use airbyte_protocol::{ConfiguredAirbyteCatalog, RecordRef};

use super::{Batch, BatchLimits};

/// One stream's open batch.
struct Open {
    batch: Batch,
    /// The sequence number of the batch's first record (when it has one).
    from: u64,
    /// When the batch's first record came (when it has one).
    since: Instant,
    /// Records received since this stream's last state (for `destinationStats`).
    since_state: u64,
    /// The states (and the bytes of their lines) received before the batch's first record.
    states_before: (u64, u64),
}

/// The open batches of every configured stream.
pub(super) struct OpenBatches {
    streams: Vec<Open>,
    /// The sequence number of the next record.
    next: u64,
    /// The stream whose open batch is the oldest, if any is not empty.
    oldest: Option<usize>,
    /// The states (and the bytes of their lines) received so far.
    states: (u64, u64),
    limits: BatchLimits,
}

impl OpenBatches {
    pub(super) fn new(catalog: &ConfiguredAirbyteCatalog, limits: BatchLimits) -> Self {
        let now = Instant::now();
        OpenBatches {
            streams: catalog
                .streams
                .iter()
                .enumerate()
                .map(|(i, configured)| Open {
                    batch: Batch::new(i, configured.stream.descriptor()),
                    from: 0,
                    since: now,
                    since_state: 0,
                    states_before: (0, 0),
                })
                .collect(),
            next: 0,
            oldest: None,
            states: (0, 0),
            limits,
        }
    }

    /// Adds a record of stream `i` read from `line`; returns whether its
    /// batch reached the record or byte limit.
    pub(super) fn push(&mut self, i: usize, line: &str, record: &RecordRef<'_>) -> bool {
        let open = &mut self.streams[i];
        if open.batch.is_empty() {
            // The clock is read once per batch, not per record.
            open.from = self.next;
            open.since = Instant::now();
            open.states_before = self.states;
            // Any batch already open is older than this one.
            self.oldest.get_or_insert(i);
        }
        self.next += 1;
        open.since_state += 1;
        open.batch.push(line, record);
        open.batch.len() >= self.limits.records || open.batch.bytes >= self.limits.bytes
    }

    /// The sequence number of the next record: a state that arrives now
    /// covers the records numbered below it.
    pub(super) fn next_seq(&self) -> u64 {
        self.next
    }

    /// Takes stream `i`'s open batch, with its first record's number, if it has records.
    pub(super) fn take(&mut self, i: usize) -> Option<(Batch, u64)> {
        let open = &mut self.streams[i];
        if open.batch.is_empty() {
            return None;
        }
        let taken = (open.batch.take(), open.from);
        if self.oldest == Some(i) {
            self.oldest = self
                .streams
                .iter()
                .enumerate()
                .filter(|(_, o)| !o.batch.is_empty())
                .min_by_key(|(_, o)| o.from)
                .map(|(j, _)| j);
        }
        Some(taken)
    }

    /// The number of the oldest unsubmitted record of stream `stream`
    /// (of any stream if `None`).
    pub(super) fn oldest_seq(&self, stream: Option<usize>) -> Option<u64> {
        let i = stream.or(self.oldest)?;
        let open = &self.streams[i];
        (!open.batch.is_empty()).then_some(open.from)
    }

    /// When the oldest open batch reaches the age limit.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.oldest.map(|i| self.streams[i].since + self.limits.age)
    }

    /// The streams whose open batch is at least `age` old at `now`.
    pub(super) fn aged(&self, now: Instant) -> Vec<usize> {
        let age = self.limits.age;
        self.streams
            .iter()
            .enumerate()
            .filter(|(_, o)| !o.batch.is_empty() && now.saturating_duration_since(o.since) >= age)
            .map(|(i, _)| i)
            .collect()
    }

    /// The records received since the last state of stream `stream` (of every
    /// stream if `None`), counted from now on anew.
    pub(super) fn take_count(&mut self, stream: Option<usize>) -> u64 {
        match stream {
            Some(i) => std::mem::take(&mut self.streams[i].since_state),
            None => self
                .streams
                .iter_mut()
                .map(|o| std::mem::take(&mut o.since_state))
                .sum(),
        }
    }

    /// Notes a state of `bytes` bytes (see [`Self::states_waiting`]).
    pub(super) fn note_state(&mut self, bytes: usize) {
        self.states.0 += 1;
        self.states.1 += bytes as u64;
    }

    /// Whether the states received since the oldest open batch's first
    /// record (the states that wait for an open batch) reach the state or
    /// byte limit.
    pub(super) fn too_many_states(&self) -> bool {
        let Some(i) = self.oldest else { return false };
        let before = self.streams[i].states_before;
        let (count, bytes) = (self.states.0 - before.0, self.states.1 - before.1);
        count >= self.limits.states as u64 || bytes >= self.limits.bytes as u64
    }

    /// The number of configured streams.
    pub(super) fn len(&self) -> usize {
        self.streams.len()
    }
}
