//! Per-partition state: the CDK's `ConcurrentPerPartitionCursor`, one
//! datetime cursor per partition of a partition router.
//!
//! The state is
//! `{use_global_cursor, states: [{partition, cursor}], state, lookback_window, parent_state}`:
//!
//! - `states` lists each partition's cursor state, in the order the
//!   partitions were first seen; a partition's keys are sorted (the CDK
//!   round-trips them through `json.dumps(sort_keys=True)`).
//! - `state` is the global cursor: the greatest value seen (values are
//!   compared as their formatted text, as the CDK does), set at the end of
//!   a sync that observed a record.
//! - `lookback_window` is the previous sync's duration in whole seconds,
//!   rounded up. A partition first seen starts from `state` less that.
//! - `parent_state` is the partition router's state (the parents' states
//!   with `incremental_dependency`), as of the partitions fully read.
//! - Above 10,000 partitions the cursor switches to the global cursor
//!   (`use_global_cursor: true`, no `states`); at most 25,000 cursors are
//!   kept.
//! - Mid-sync states are throttled to one per 600 s (by the clock), and
//!   a global cursor without parent state emits none mid-sync.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde_json::{Map, Value};

use super::concurrent::ConcurrentCursor;
use super::cursor::{Clock, DatetimeBasedCursor};
use super::formats::{Formats, ParseFailure};
use crate::error::Error;
use crate::interpolation::{Jinja, truthy};
use crate::partition::StreamSlice;

/// Partitions above which the cursor switches to the global cursor.
pub const SWITCH_TO_GLOBAL_LIMIT: usize = 10_000;
/// Cursors kept in memory at most.
pub const MAX_PARTITIONS: usize = 25_000;

/// A partition's cursor, in the order partitions were first seen.
struct Entry {
    partition: Map<String, Value>,
    cursor: ConcurrentCursor,
}

/// A datetime cursor per partition.
pub struct PerPartitionCursor {
    definition: DatetimeBasedCursor,
    config: Value,
    clock: Clock,
    cursor_field: String,
    formats: Formats,
    use_global_cursor: bool,
    global_cursor: Option<Map<String, Value>>,
    new_global_cursor: Option<Map<String, Value>>,
    lookback_window: i64,
    parent_state: Option<Value>,
    /// Partition key → entry; `order` gives the insertion order.
    cursors: BTreeMap<String, (u64, Entry)>,
    order: BTreeMap<u64, String>,
    next_order: u64,
    open_slices: BTreeMap<String, usize>,
    done_generating: BTreeSet<String>,
    processing: Vec<u64>,
    generated: u64,
    key_to_index: BTreeMap<String, u64>,
    parent_states: Vec<(String, Option<Value>, u64)>,
    partitions: usize,
    last_emission: f64,
    timer: Option<Instant>,
    synced_some_data: bool,
}

impl PerPartitionCursor {
    /// The cursor for `stream_state`: the per-partition shape, or a plain
    /// `{cursor_field: value}` applied to every partition as the global
    /// cursor. `use_global_cursor` is the CDK's for a
    /// `GroupingPartitionRouter` or `global_substream_cursor`.
    pub fn new(
        definition: &DatetimeBasedCursor,
        jinja: &Jinja,
        config: &Value,
        stream_state: &Value,
        clock: Clock,
        use_global_cursor: bool,
    ) -> Result<PerPartitionCursor, Error> {
        let mut cursor = PerPartitionCursor {
            definition: definition.clone(),
            config: config.clone(),
            clock,
            cursor_field: definition.cursor_key(jinja, config)?,
            formats: Formats::new(
                &definition.datetime_format,
                &definition.cursor_datetime_formats,
            ),
            use_global_cursor: use_global_cursor || definition.global_substream_cursor,
            global_cursor: Some(Map::new()),
            new_global_cursor: None,
            lookback_window: 0,
            parent_state: None,
            cursors: BTreeMap::new(),
            order: BTreeMap::new(),
            next_order: 0,
            open_slices: BTreeMap::new(),
            done_generating: BTreeSet::new(),
            processing: Vec::new(),
            generated: 0,
            key_to_index: BTreeMap::new(),
            parent_states: Vec::new(),
            partitions: 0,
            last_emission: 0.0,
            timer: None,
            synced_some_data: false,
        };
        cursor.set_initial_state(jinja, stream_state)?;
        Ok(cursor)
    }

    fn set_initial_state(&mut self, jinja: &Jinja, stream_state: &Value) -> Result<(), Error> {
        let Some(state) = stream_state.as_object().filter(|s| !s.is_empty()) else {
            return Ok(());
        };
        if !state.contains_key("states") && !state.contains_key("state") {
            self.set_global_state(state)?;
        } else {
            self.use_global_cursor = state.get("use_global_cursor").map(truthy).unwrap_or(false);
            self.lookback_window = match state.get("lookback_window") {
                None => 0,
                Some(v) => python_int(v)?,
            };
            if let Some(states) = state.get("states") {
                let states = states
                    .as_array()
                    .ok_or_else(|| Error::Read("the state's `states` is no list".into()))?;
                for entry in states {
                    let partition = entry
                        .get("partition")
                        .and_then(Value::as_object)
                        .ok_or_else(|| {
                            Error::Read(format!("a partition state has no `partition`: {entry}"))
                        })?;
                    let cursor_state = entry.get("cursor").ok_or_else(|| {
                        Error::Read(format!("a partition state has no `cursor`: {entry}"))
                    })?;
                    self.partitions += 1;
                    let cursor = self.create_cursor(jinja, cursor_state, 0)?;
                    self.insert(partition.clone(), cursor);
                }
            }
            if let Some(Value::Object(global)) = state.get("state") {
                self.set_global_state(global)?;
            }
        }
        if let Some(parent) = state.get("parent_state").filter(|p| truthy(p)) {
            self.parent_state = Some(parent.clone());
        }
        Ok(())
    }

    fn set_global_state(&mut self, state: &Map<String, Value>) -> Result<(), Error> {
        if let Some(value) = state.get(&self.cursor_field) {
            let parsed = self
                .formats
                .parse(value)
                .map_err(ParseFailure::into_error)?;
            let mut fixed = Map::new();
            fixed.insert(
                self.cursor_field.clone(),
                Value::String(self.formats.format(&parsed)?),
            );
            self.global_cursor = Some(fixed.clone());
            self.new_global_cursor = Some(fixed);
        }
        Ok(())
    }

    fn create_cursor(
        &self,
        jinja: &Jinja,
        state: &Value,
        lookback_seconds: i64,
    ) -> Result<ConcurrentCursor, Error> {
        self.definition.cursor(
            jinja,
            &self.config,
            state,
            self.clock.clone(),
            Some(lookback_seconds),
        )
    }

    /// A cursor starting from the global state (and its lookback).
    fn cursor_from_global(&self, jinja: &Jinja) -> Result<ConcurrentCursor, Error> {
        let global = self.global_cursor.clone().unwrap_or_default();
        let lookback = if global.is_empty() {
            0
        } else {
            self.lookback_window
        };
        self.create_cursor(jinja, &Value::Object(global), lookback)
    }

    fn insert(&mut self, partition: Map<String, Value>, cursor: ConcurrentCursor) {
        let key = Value::Object(partition.clone()).to_string();
        let order = match self.cursors.get(&key) {
            Some((order, _)) => *order,
            None => {
                let order = self.next_order;
                self.next_order += 1;
                self.order.insert(order, key.clone());
                order
            }
        };
        self.cursors
            .insert(key, (order, Entry { partition, cursor }));
    }

    fn remove(&mut self, key: &str) {
        if let Some((order, _)) = self.cursors.remove(key) {
            self.order.remove(&order);
        }
    }

    /// Starts the sync's timer (`stream_slices()` being called); the
    /// first [`PerPartitionCursor::generate_slices`] does it otherwise.
    pub fn start(&mut self) {
        if self.timer.is_none() {
            self.timer = Some(Instant::now());
        }
    }

    /// The windows of one partition of the router, each a slice with the
    /// partition, the window and the partition's extra fields; none when
    /// the partition was already generated in this sync.
    /// `parent_state` is the router's state once this partition was
    /// produced (see [`crate::partition::Partition`]).
    pub fn generate_slices(
        &mut self,
        jinja: &Jinja,
        partition: &StreamSlice,
        parent_state: Option<&Value>,
    ) -> Result<Vec<StreamSlice>, Error> {
        self.start();
        self.ensure_partition_limit();
        let key = partition.partition_key();
        if !self.cursors.contains_key(&key) {
            let cursor = self.cursor_from_global(jinja)?;
            self.partitions += 1;
            self.insert(partition.partition.clone(), cursor);
        }
        if self.open_slices.contains_key(&key) {
            return Ok(Vec::new());
        }
        self.open_slices.insert(key.clone(), 0);
        let seq = self.generated;
        self.generated += 1;
        self.processing.push(seq);
        self.key_to_index.insert(key.clone(), seq);
        let changed = self
            .parent_states
            .last()
            .is_none_or(|(_, state, _)| state.as_ref() != parent_state);
        if changed {
            let entry = (key.clone(), parent_state.cloned(), seq);
            match self.parent_states.iter_mut().find(|(k, _, _)| *k == key) {
                Some(existing) => *existing = entry,
                None => self.parent_states.push(entry),
            }
        }
        let windows = match self.cursors.get_mut(&key) {
            Some((_, entry)) => entry.cursor.stream_slices(jinja)?,
            None => Vec::new(),
        };
        let count = windows.len();
        if let Some(open) = self.open_slices.get_mut(&key) {
            *open = count;
        }
        if count > 0 {
            self.done_generating.insert(key);
        }
        Ok(windows
            .into_iter()
            .map(|window| StreamSlice {
                partition: partition.partition.clone(),
                cursor_slice: window.cursor_slice,
                extra_fields: partition.extra_fields.clone(),
            })
            .collect())
    }

    fn ensure_partition_limit(&mut self) {
        if !self.use_global_cursor && self.partitions > SWITCH_TO_GLOBAL_LIMIT {
            self.use_global_cursor = true;
        }
        while self.cursors.len() > MAX_PARTITIONS - 1 {
            let finished = self
                .order
                .values()
                .find(|k| !self.key_to_index.contains_key(*k))
                .cloned();
            let victim = finished.or_else(|| self.order.values().next().cloned());
            match victim {
                Some(key) => self.remove(&key),
                None => break,
            }
        }
    }

    /// `observe(record)` of a record read in `slice`.
    pub fn observe(&mut self, slice: &StreamSlice, record: &Value) -> Result<(), Error> {
        let Some(value) = record.get(&self.cursor_field).filter(|v| !v.is_null()) else {
            return Ok(());
        };
        let parsed = match self.formats.parse(value) {
            Ok(parsed) => parsed,
            Err(ParseFailure::Value(_)) => return Ok(()),
            Err(ParseFailure::Type(m)) => return Err(Error::Read(m)),
        };
        let text = self.formats.format(&parsed)?;
        self.synced_some_data = true;
        self.update_global_cursor(text);
        if !self.use_global_cursor {
            let key = slice.partition_key();
            let (_, entry) = self.cursors.get_mut(&key).ok_or_else(|| {
                Error::Read("Invalid state as stream slices that are emitted should refer to an existing cursor".into())
            })?;
            entry.cursor.observe(slice, record)?;
        }
        Ok(())
    }

    fn update_global_cursor(&mut self, value: String) {
        let newer = match self
            .new_global_cursor
            .as_ref()
            .and_then(|g| g.get(&self.cursor_field))
        {
            Some(Value::String(current)) => current.as_str() < value.as_str(),
            _ => true,
        };
        if newer {
            let mut global = Map::new();
            global.insert(self.cursor_field.clone(), Value::String(value));
            self.new_global_cursor = Some(global);
        }
    }

    /// `should_be_synced(record)`, by the cursor of the record's partition
    /// (or one from the global state).
    pub fn should_be_synced(
        &self,
        jinja: &Jinja,
        slice: &StreamSlice,
        record: &Value,
    ) -> Result<bool, Error> {
        if !self.use_global_cursor
            && let Some((_, entry)) = self.cursors.get(&slice.partition_key())
        {
            return entry.cursor.should_be_synced(jinja, record);
        }
        self.cursor_from_global(jinja)?
            .should_be_synced(jinja, record)
    }

    /// `close_partition(slice)`: the state to emit now, if any (throttled).
    pub fn close_slice(&mut self, slice: &StreamSlice) -> Result<Option<Value>, Error> {
        let key = slice.partition_key();
        let open = self.open_slices.get_mut(&key).ok_or_else(|| {
            Error::Read(format!(
                "the slice {} was not generated by this cursor",
                slice.to_value()
            ))
        })?;
        *open = open.saturating_sub(1);
        let finished = *open == 0 && self.done_generating.contains(&key);
        if !self.use_global_cursor {
            let (_, entry) = self.cursors.get_mut(&key).ok_or_else(|| {
                Error::Read("Invalid state as stream slices that are emitted should refer to an existing cursor".into())
            })?;
            let state = entry.cursor.close_slice(slice)?;
            if finished && let Some(Value::String(value)) = state.get(&self.cursor_field) {
                self.update_global_cursor(value.clone());
            }
        }
        if finished {
            self.open_slices.remove(&key);
            self.done_generating.remove(&key);
            if let Some(seq) = self.key_to_index.remove(&key) {
                self.processing.retain(|s| *s != seq);
            }
        }
        self.check_and_update_parent_state();
        self.emit(true)
    }

    fn check_and_update_parent_state(&mut self) {
        let mut last_closed = None;
        while let Some((_, state, seq)) = self.parent_states.first() {
            if self.processing.first().is_some_and(|first| first <= seq) {
                break;
            }
            last_closed = Some(state.clone());
            self.parent_states.remove(0);
        }
        if let Some(Some(state)) = last_closed {
            self.parent_state = Some(state);
        }
    }

    fn emit(&mut self, throttle: bool) -> Result<Option<Value>, Error> {
        if throttle {
            let now = (self.clock)().timestamp();
            if now - self.last_emission <= 600.0 {
                return Ok(None);
            }
            self.last_emission = now;
            if self.use_global_cursor && !self.parent_state.as_ref().is_some_and(truthy) {
                return Ok(None);
            }
        }
        self.state().map(Some)
    }

    /// The final state (`ensure_at_least_one_state_emitted`), given the
    /// partition router's state at the end of the sync.
    pub fn ensure_at_least_one_state_emitted(
        &mut self,
        router_state: Option<Value>,
    ) -> Result<Value, Error> {
        if self.open_slices.values().all(|open| *open == 0) {
            if self.synced_some_data {
                self.global_cursor = self.new_global_cursor.clone();
                let elapsed = self
                    .timer
                    .map(|t| t.elapsed().as_secs_f64())
                    .ok_or_else(|| {
                        Error::Read("Global substream cursor timer not started".into())
                    })?;
                self.lookback_window = elapsed.ceil() as i64;
            }
            self.parent_state = router_state;
        }
        self.state()
    }

    /// The per-partition state now.
    pub fn state(&self) -> Result<Value, Error> {
        let mut state = Map::new();
        state.insert(
            "use_global_cursor".into(),
            Value::Bool(self.use_global_cursor),
        );
        if !self.use_global_cursor {
            let mut states = Vec::new();
            for key in self.order.values() {
                if let Some((_, entry)) = self.cursors.get(key) {
                    let cursor = entry.cursor.state()?;
                    if truthy(&cursor) {
                        let mut item = Map::new();
                        item.insert("partition".into(), Value::Object(entry.partition.clone()));
                        item.insert("cursor".into(), cursor);
                        states.push(Value::Object(item));
                    }
                }
            }
            state.insert("states".into(), Value::Array(states));
        }
        if let Some(global) = self.global_cursor.as_ref().filter(|g| !g.is_empty()) {
            state.insert("state".into(), Value::Object(global.clone()));
        }
        state.insert("lookback_window".into(), Value::from(self.lookback_window));
        if let Some(parent) = &self.parent_state {
            state.insert("parent_state".into(), parent.clone());
        }
        Ok(Value::Object(state))
    }

    /// Whether the cursor uses the global cursor for every partition.
    pub fn uses_global_cursor(&self) -> bool {
        self.use_global_cursor
    }
}

/// Python's `int(value)` of a state's `lookback_window`.
fn python_int(value: &Value) -> Result<i64, Error> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .ok_or_else(|| Error::Read(format!("lookback_window {n} is no integer"))),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::String(s) => s
            .trim()
            .replace('_', "")
            .parse()
            .map_err(|_| Error::Read(format!("lookback_window {s:?} is no integer"))),
        other => Err(Error::Read(format!(
            "lookback_window {other} is no integer"
        ))),
    }
}
