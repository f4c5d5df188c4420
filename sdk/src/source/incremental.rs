//! Cursor-incremental reads: where to start, and when a state is safe.
//!
//! A read in cursor order may checkpoint only between two cursor values:
//! a state at value `v` claims every record at `v` was read. Records equal
//! to the saved cursor are a problem the next sync must solve: reading
//! `> saved` loses the ones that arrived since with the same value, reading
//! `>= saved` re-reads the old ones forever. The state therefore also
//! counts the records at its cursor; the next sync re-reads the ties only
//! when there are now more of them than it counted.

use std::ops::Bound;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::stream::{Records, Stream};
use crate::error::Error;

/// A cursor state: the cursor value reached, how many records had it, and
/// (`extra`) whatever else the connector keeps beside them, flattened.
///
/// ```
/// use airbyte_sdk::source::CursorState;
///
/// let state: CursorState<String> = airbyte_sdk::serde_json::from_str(
///     r#"{"cursor": "2024-01-01", "cursor_record_count": 2, "cursor_field": ["day"], "version": 2}"#,
/// ).unwrap();
/// assert_eq!(state.cursor.as_deref(), Some("2024-01-01"));
/// assert_eq!(state.extra["version"], 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "C: Deserialize<'de>"))]
pub struct CursorState<C> {
    /// The cursor's path.
    #[serde(default)]
    pub cursor_field: Vec<String>,
    /// The last cursor value read (`None`: no record had one yet).
    pub cursor: Option<C>,
    /// How many records had exactly that value.
    #[serde(default)]
    pub cursor_record_count: u64,
    /// Other keys of the state, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where an incremental read starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start<C> {
    /// From the beginning, records without a cursor value included (the first sync).
    Everything,
    /// From this bound on, in cursor order.
    From(Bound<C>),
}

/// The cursor algorithm of an incremental read, for any cursor type `C`.
///
/// 1. Make it from the saved state: [`Incremental::new`].
/// 2. Say how many records have the saved value now, if the source can
///    count them ([`Incremental::ties`]); unknown means "re-read them".
/// 3. Read from [`Incremental::start`], in cursor order (records without a
///    value first, on the first sync only), calling
///    [`Incremental::observe`] before emitting each record: when it
///    returns a position, checkpoint it, then emit the record.
/// 4. Checkpoint [`Incremental::finish`].
///
/// ```
/// use std::ops::Bound;
/// use airbyte_sdk::source::{Incremental, Start};
///
/// // Saved: cursor 20, reached by 2 records. Now 3 records have 20.
/// let mut inc = Incremental::new(Some(20), 2);
/// inc.ties(Some(3));
/// assert_eq!(inc.start(), Start::From(Bound::Included(20)));
/// let mut states = vec![];
/// for value in [20, 20, 20, 30, 30, 40] {
///     // A state is due at every record here (`due` = the checkpoint policy).
///     if let Some(position) = inc.observe(Some(&value), true) {
///         states.push(position);
///     }
/// }
/// states.push(inc.finish());
/// // Only at value boundaries, each with its record count.
/// assert_eq!(states, [(Some(20), 3), (Some(30), 2), (Some(40), 1)]);
///
/// // No more ties than counted: start after the saved value.
/// let mut inc = Incremental::new(Some(40), 1);
/// inc.ties(Some(1));
/// assert_eq!(inc.start(), Start::From(Bound::Excluded(40)));
/// assert_eq!(inc.finish(), (Some(40), 1), "nothing new: the same position");
/// ```
#[derive(Debug, Clone)]
pub struct Incremental<C> {
    saved: Option<C>,
    saved_count: u64,
    reread: bool,
    lookback: Option<C>,
    current: Option<C>,
    count: u64,
    pending: bool,
}

impl<C: Clone + PartialEq> Incremental<C> {
    /// From the saved cursor and its record count (`None`: the first sync).
    pub fn new(saved: Option<C>, saved_count: u64) -> Self {
        Incremental {
            current: saved.clone(),
            count: saved_count,
            saved,
            saved_count,
            reread: false,
            lookback: None,
            pending: false,
        }
    }

    /// From a saved [`CursorState`].
    pub fn from_state(state: Option<&CursorState<C>>) -> Self {
        match state {
            Some(s) => Incremental::new(s.cursor.clone(), s.cursor_record_count),
            None => Incremental::new(None, 0),
        }
    }

    /// The saved cursor, if any.
    pub fn saved(&self) -> Option<&C> {
        self.saved.as_ref()
    }

    /// How many records have the saved value now (`None` if the source
    /// cannot tell): more than the state counted, or unknown, re-reads them.
    pub fn ties(&mut self, now: Option<u64>) {
        if self.saved.is_none() {
            return;
        }
        self.reread = now.is_none_or(|n| n > self.saved_count);
        if self.reread {
            // They are counted afresh.
            self.current = None;
            self.count = 0;
        }
    }

    /// Starts `lookback` before the saved cursor instead (`shift` moves a
    /// value back, e.g. an hour for timestamps): late records inside the
    /// window are read again, so the destination must deduplicate.
    ///
    /// ```
    /// use std::ops::Bound;
    /// use airbyte_sdk::source::{Incremental, Start};
    /// let inc = Incremental::new(Some(100), 1).lookback(|v| v - 10);
    /// assert_eq!(inc.start(), Start::From(Bound::Included(90)));
    /// ```
    pub fn lookback(mut self, shift: impl FnOnce(&C) -> C) -> Self {
        if let Some(saved) = &self.saved {
            self.lookback = Some(shift(saved));
            self.current = None;
            self.count = 0;
        }
        self
    }

    /// Where the read starts.
    pub fn start(&self) -> Start<C> {
        match (&self.lookback, &self.saved) {
            (Some(from), _) => Start::From(Bound::Included(from.clone())),
            (None, None) => Start::Everything,
            (None, Some(saved)) if self.reread => Start::From(Bound::Included(saved.clone())),
            (None, Some(saved)) => Start::From(Bound::Excluded(saved.clone())),
        }
    }

    /// Whether a value is inside the read, for sources that filter records
    /// themselves: `None` (no cursor value) only on the first sync.
    ///
    /// ```
    /// use airbyte_sdk::source::Incremental;
    /// let mut inc = Incremental::new(Some(5), 1);
    /// inc.ties(Some(1));
    /// assert!(!inc.includes(Some(&5)) && inc.includes(Some(&6)) && !inc.includes(None));
    /// assert!(Incremental::<i32>::new(None, 0).includes(None));
    /// ```
    pub fn includes(&self, value: Option<&C>) -> bool
    where
        C: PartialOrd,
    {
        match (self.start(), value) {
            (Start::Everything, _) => true,
            (_, None) => false,
            (Start::From(Bound::Included(from)), Some(v)) => *v >= from,
            (Start::From(Bound::Excluded(from)), Some(v)) => *v > from,
            (Start::From(Bound::Unbounded), Some(_)) => true,
        }
    }

    /// Notes the next record's cursor value, before it is emitted; `due`
    /// says whether a state is wanted (the checkpoint policy). Returns the
    /// position to checkpoint now, if one is due and the value changed:
    /// every record at the previous value is then read. A state wanted
    /// inside a run of equal values waits for the run's end.
    pub fn observe(&mut self, value: Option<&C>, due: bool) -> Option<(Option<C>, u64)> {
        // Records without a value come first, and only on the first sync.
        let value = value?;
        let mut checkpoint = None;
        if self.current.as_ref() == Some(value) {
            self.count += 1;
        } else {
            if self.pending {
                checkpoint = Some((self.current.clone(), self.count));
                self.pending = false;
            }
            self.current = Some(value.clone());
            self.count = 1;
        }
        // A state emitted now satisfies `due` (its counts start again).
        if checkpoint.is_none() {
            self.pending = self.pending || due;
        }
        checkpoint
    }

    /// The position after the last record: the final state.
    pub fn finish(&self) -> (Option<C>, u64) {
        (self.current.clone(), self.count)
    }

    /// The final state as a [`CursorState`] for `cursor_field`, with `extra` keys.
    pub fn finish_state(
        &self,
        cursor_field: &[String],
        extra: Map<String, Value>,
    ) -> CursorState<C> {
        let (cursor, cursor_record_count) = self.finish();
        CursorState {
            cursor_field: cursor_field.to_vec(),
            cursor,
            cursor_record_count,
            extra,
        }
    }
}

/// For typed streams whose state is a [`CursorState`]: the algorithm
/// applied to records as they are emitted (in cursor order).
///
/// ```
/// use airbyte_sdk::source::{CursorState, Incremental, Records, Stream};
///
/// #[airbyte_sdk::record]
/// pub struct Event { id: i64, seq: i64 }
///
/// pub struct Events(Vec<i64>);
///
/// impl Stream for Events {
///     type Record = Event;
///     type State = CursorState<i64>;
///     const CURSOR: Option<&str> = Some("seq");
///
///     async fn read(&self, state: Option<Self::State>, out: &mut Records<'_, Self>) -> airbyte_sdk::Result<()> {
///         let mut cursor = Incremental::from_state(state.as_ref());
///         for &seq in &self.0 {
///             // Emitted only if after the saved cursor; checkpointed between values.
///             cursor.emit(out, Some(&seq), &Event { id: seq * 10, seq })?;
///         }
///         cursor.checkpoint(out)
///     }
/// }
/// ```
impl<C> Incremental<C>
where
    C: Clone + PartialOrd + Serialize + for<'de> Deserialize<'de> + Send + Sync + 'static,
{
    /// Emits `record`, whose cursor value is `cursor`, if it is inside the
    /// read; a state due by the checkpoint policy is emitted before it, at
    /// a value boundary. Returns whether the record was emitted.
    pub fn emit<S: Stream<State = CursorState<C>>>(
        &mut self,
        out: &mut Records<'_, S>,
        cursor: Option<&C>,
        record: &S::Record,
    ) -> Result<bool, Error> {
        if !self.includes(cursor) {
            return Ok(false);
        }
        if let Some((value, count)) = self.observe(cursor, out.should_checkpoint()) {
            out.checkpoint(&typed_state::<S, C>(value, count))?;
        }
        out.record(record)?;
        Ok(true)
    }

    /// Emits the final state.
    pub fn checkpoint<S: Stream<State = CursorState<C>>>(
        &self,
        out: &mut Records<'_, S>,
    ) -> Result<(), Error> {
        let (value, count) = self.finish();
        out.checkpoint(&typed_state::<S, C>(value, count))
    }
}

fn typed_state<S: Stream, C>(cursor: Option<C>, cursor_record_count: u64) -> CursorState<C> {
    CursorState {
        cursor_field: S::CURSOR.iter().map(|c| (*c).to_owned()).collect(),
        cursor,
        cursor_record_count,
        extra: Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sync_reads_everything_and_counts_ties() {
        let mut inc = Incremental::<i32>::new(None, 0);
        inc.ties(Some(7));
        assert_eq!(inc.start(), Start::Everything);
        assert_eq!(inc.observe(None, true), None, "no value: no position");
        assert_eq!(inc.observe(Some(&1), true), None);
        assert_eq!(
            inc.observe(Some(&1), true),
            None,
            "a tie is never a boundary"
        );
        assert_eq!(inc.observe(Some(&2), false), Some((Some(1), 2)));
        assert_eq!(inc.observe(Some(&3), false), None, "not due");
        assert_eq!(inc.finish(), (Some(3), 1));
    }

    #[test]
    fn unknown_ties_are_reread_and_nothing_read_keeps_the_position() {
        let mut inc = Incremental::new(Some("b".to_owned()), 4);
        inc.ties(None);
        assert_eq!(inc.start(), Start::From(Bound::Included("b".to_owned())));
        assert_eq!(inc.finish(), (None, 0), "a re-read counts afresh");
        let mut same = Incremental::new(Some("b".to_owned()), 4);
        same.ties(Some(4));
        assert_eq!(same.finish(), (Some("b".to_owned()), 4));
    }

    #[test]
    fn a_state_round_trips_with_its_extra_keys() {
        let mut extra = Map::new();
        extra.insert("state_type".into(), Value::from("cursor_based"));
        let inc = Incremental::new(Some(9_i64), 1);
        let state = inc.finish_state(&["n".to_owned()], extra);
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"cursor_field": ["n"], "cursor": 9, "cursor_record_count": 1, "state_type": "cursor_based"})
        );
        let back: CursorState<i64> = serde_json::from_value(json).unwrap();
        assert_eq!(Incremental::from_state(Some(&back)).saved(), Some(&9));
    }
}
