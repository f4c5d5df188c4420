//! The runtime cursor of a `DatetimeBasedCursor`: the CDK's
//! `ConcurrentCursor` with a `CustomFormatConcurrentStreamStateConverter`
//! (sequential state), as airbyte-cdk 7.39.1 runs it.
//!
//! - **State inside**: a list of intervals `{start, end,
//!   most_recent_cursor_value}` already synced. A first run starts with
//!   `[start, start]`; a legacy state `{cursor: v}` with `[start, max(v,
//!   start)]` (its other keys are kept); a concurrent state
//!   (`state_type: date-range`) with its own slices.
//! - **Windows**: the gap before the first interval, the gaps between
//!   intervals, then `[last end − lookback, end]`, each split by `step`
//!   (the last window ends exactly at the end; the others end one
//!   `cursor_granularity` before the next starts), never before `start`.
//! - **State out**: after each closed window, the window joins the
//!   intervals (merged when they touch, within one granularity or 1 ms),
//!   and the state is `{cursor_field: most recent value of the first
//!   interval, or its start}` in `datetime_format`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::clamping::Clamping;
use super::cursor::Clock;
use super::duration::{Gap, GapError};
use super::formats::{Formats, ParseFailure};
use super::min_max::MinMaxDatetime;
use crate::datetime::DateTime;
use crate::error::Error;
use crate::interpolation::Jinja;
use crate::partition::StreamSlice;

/// How the end of the windows is found each time it is needed.
#[derive(Clone)]
pub(crate) struct End {
    /// `end_datetime`, else now.
    pub datetime: Option<MinMaxDatetime>,
    /// The cursor's `datetime_format`, for an `end_datetime` without one.
    pub inherited_format: String,
    /// The config its templates see.
    pub config: Value,
    /// Now.
    pub clock: Clock,
    /// With clamping: the end floored, then this granularity subtracted.
    pub clamp: Option<(Clamping, Gap)>,
}

impl End {
    fn get(&self, jinja: &Jinja) -> Result<DateTime, Error> {
        let end = match &self.datetime {
            Some(datetime) => datetime.get_datetime(jinja, &self.config, &self.inherited_format)?,
            None => (self.clock)(),
        };
        match self.clamp {
            Some((clamping, granularity)) => {
                let floored = clamping.clamp(end, false)?;
                granularity.subtract_from(floored).map_err(gap_error)
            }
            None => Ok(end),
        }
    }
}

/// What the cursor is built with.
#[derive(Clone)]
pub(crate) struct Settings {
    pub cursor_field: String,
    pub boundary: (String, String),
    pub formats: Formats,
    pub start: DateTime,
    pub end: End,
    pub lookback: Option<Gap>,
    pub slice_range: Gap,
    pub granularity: Option<Gap>,
    pub clamping: Clamping,
    pub compare_strictly: bool,
}

/// One synced interval of the state.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    start: DateTime,
    end: DateTime,
    most_recent: Option<DateTime>,
}

/// A datetime cursor at run time. Built by
/// [`DatetimeBasedCursor::cursor`](super::DatetimeBasedCursor::cursor).
#[derive(Clone)]
pub struct ConcurrentCursor {
    s: Settings,
    /// The sync's start: the state's value, or `start` (`self.start`).
    sync_start: DateTime,
    intervals: Vec<Interval>,
    /// The legacy input state, whose other keys the output keeps.
    legacy: Option<Map<String, Value>>,
    most_recent: BTreeMap<String, DateTime>,
}

fn gap_error(e: GapError) -> Error {
    Error::Read(e.to_string())
}

fn later(a: DateTime, b: DateTime) -> DateTime {
    // Python's max(a, b): a unless b is greater.
    if b > a { b } else { a }
}

impl ConcurrentCursor {
    pub(crate) fn new(s: Settings, stream_state: &Value) -> Result<ConcurrentCursor, Error> {
        let empty = Map::new();
        let state = stream_state.as_object().unwrap_or(&empty);
        let concurrent = !state.is_empty()
            && matches!(
                state.get("state_type").and_then(Value::as_str),
                Some("date-range" | "integer")
            );
        let parse = |v: &Value| s.formats.parse(v).map_err(ParseFailure::into_error);
        let (sync_start, intervals, legacy) = if concurrent {
            let mut intervals = Vec::new();
            let slices = match state.get("slices") {
                Some(Value::Array(items)) => items.clone(),
                None => Vec::new(),
                Some(_) => return Err(Error::Read("the state's `slices` is no list".into())),
            };
            for slice in &slices {
                let field = |key: &str| {
                    slice.get(key).ok_or_else(|| {
                        Error::Read(format!("a slice of the state has no `{key}`: {slice}"))
                    })
                };
                intervals.push(Interval {
                    start: parse(field("start")?)?,
                    end: parse(field("end")?)?,
                    most_recent: match slice.get("most_recent_cursor_value") {
                        Some(v) => Some(parse(v)?),
                        None => None,
                    },
                });
            }
            let value = intervals.first().map(|i| i.most_recent.unwrap_or(i.end));
            (value.unwrap_or(s.start), intervals, None)
        } else {
            let previous = match state.get(&s.cursor_field) {
                Some(v) => Some(parse(v)?),
                None => None,
            };
            let sync_start = match previous {
                Some(p) if p >= s.start => p,
                _ => s.start,
            };
            let first = Interval {
                start: s.start,
                end: sync_start,
                most_recent: Some(sync_start),
            };
            (sync_start, vec![first], Some(state.clone()))
        };
        Ok(ConcurrentCursor {
            s,
            sync_start,
            intervals,
            legacy,
            most_recent: BTreeMap::new(),
        })
    }

    /// The records' key the cursor reads (`cursor_field`, rendered).
    pub fn cursor_field(&self) -> &str {
        &self.s.cursor_field
    }

    /// The keys of a window in `stream_interval` (`start_time`, `end_time`).
    pub fn boundary_fields(&self) -> (&str, &str) {
        (&self.s.boundary.0, &self.s.boundary.1)
    }

    /// The formats values are read and written with.
    pub fn formats(&self) -> &Formats {
        &self.s.formats
    }

    /// `increment`: one granularity, or a millisecond.
    fn increment(&self, dt: DateTime) -> Result<DateTime, Error> {
        self.s
            .granularity
            .unwrap_or(Gap::Delta(1000))
            .add_to(dt)
            .map_err(gap_error)
    }

    /// `merge_intervals`: sorted by (start, end), each joined to the last
    /// when it starts within one increment of its end.
    fn merged(&self, mut sorted: Vec<Interval>) -> Result<Vec<Interval>, Error> {
        sorted.sort_by_key(|i| (i.start, i.end));
        let mut merged: Vec<Interval> = Vec::with_capacity(sorted.len());
        for current in sorted {
            match merged.last_mut() {
                Some(last) if self.increment(last.end)? >= current.start => {
                    last.end = later(last.end, current.end);
                    last.most_recent = match (current.most_recent, last.most_recent) {
                        (Some(c), Some(l)) => Some(later(c, l)),
                        (c, l) => c.or(l),
                    };
                }
                _ => merged.push(current),
            }
        }
        Ok(merged)
    }

    fn merge(&mut self) -> Result<(), Error> {
        let intervals = std::mem::take(&mut self.intervals);
        self.intervals = self.merged(intervals)?;
        Ok(())
    }

    /// The windows to read (`stream_slices()`), each a slice whose
    /// `cursor_slice` holds the window's bounds in `datetime_format`.
    pub fn stream_slices(&mut self, jinja: &Jinja) -> Result<Vec<StreamSlice>, Error> {
        self.merge()?;
        let mut out = Vec::new();
        let Some(first) = self.intervals.first().copied() else {
            return Err(Error::Read("Expected at least one slice".into()));
        };
        if self.s.start < first.start {
            self.split(jinja, self.s.start, first.start, false, &mut out)?;
        }
        for pair in self.intervals.windows(2) {
            let lower = match self.s.granularity {
                Some(g) => g.add_to(pair[0].end).map_err(gap_error)?,
                None => pair[0].end,
            };
            self.split(jinja, lower, pair[1].start, false, &mut out)?;
        }
        let last = self.intervals[self.intervals.len() - 1].end;
        let lower = match self.s.lookback {
            Some(lookback) => lookback.subtract_from(last).map_err(gap_error)?,
            None => last,
        };
        let upper = self.s.end.get(jinja)?;
        self.split(jinja, lower, upper, true, &mut out)?;
        Ok(out)
    }

    fn window(&self, start: DateTime, end: DateTime) -> Result<StreamSlice, Error> {
        let mut cursor_slice = Map::new();
        cursor_slice.insert(
            self.s.boundary.0.clone(),
            Value::String(self.s.formats.format(&start)?),
        );
        cursor_slice.insert(
            self.s.boundary.1.clone(),
            Value::String(self.s.formats.format(&end)?),
        );
        Ok(StreamSlice::new(Map::new(), cursor_slice))
    }

    fn minus_granularity(&self, dt: DateTime) -> Result<DateTime, Error> {
        match self.s.granularity {
            Some(g) => g.subtract_from(dt).map_err(gap_error),
            None => Ok(dt),
        }
    }

    /// `_split_per_slice_range`.
    fn split(
        &self,
        jinja: &Jinja,
        lower: DateTime,
        upper: DateTime,
        upper_is_end: bool,
        out: &mut Vec<StreamSlice>,
    ) -> Result<(), Error> {
        let granular = self.s.granularity.is_some();
        if lower > upper || (lower == upper && !granular) {
            return Ok(());
        }
        let start = self.s.start;
        if upper < start {
            return Ok(());
        }
        let lower = self.s.clamping.clamp(later(lower, start), true)?;
        if lower > upper || (lower == upper && (self.s.compare_strictly || !upper_is_end)) {
            return Ok(());
        }
        let step = self.s.slice_range;
        let fits = !step.is_truthy() || self.upper_safely(jinja, lower, step)? >= upper;
        if fits {
            let clamped_upper = if upper_is_end && granular {
                upper
            } else {
                self.s.clamping.clamp(upper, true)?
            };
            let end = if granular && !upper_is_end {
                self.minus_granularity(clamped_upper)?
            } else {
                clamped_upper
            };
            out.push(self.window(lower, end)?);
            return Ok(());
        }
        let mut current_lower = lower;
        loop {
            let stepped = self.upper_safely(jinja, current_lower, step)?;
            let current_upper = if upper < stepped { upper } else { stepped };
            let clamped_upper = if current_upper != upper {
                self.s.clamping.clamp(current_upper, true)?
            } else {
                current_upper
            };
            let reached = current_upper >= upper || clamped_upper == upper;
            let clamped_lower = self.s.clamping.clamp(current_lower, true)?;
            if clamped_lower >= clamped_upper {
                break;
            }
            let end = if granular && (!upper_is_end || !reached) {
                self.minus_granularity(clamped_upper)?
            } else {
                clamped_upper
            };
            out.push(self.window(clamped_lower, end)?);
            current_lower = clamped_upper;
            if reached {
                break;
            }
        }
        Ok(())
    }

    /// `lower + step`, or the end when that overflows.
    fn upper_safely(&self, jinja: &Jinja, lower: DateTime, step: Gap) -> Result<DateTime, Error> {
        match step.add_to(lower) {
            Ok(dt) => Ok(dt),
            Err(GapError::Overflow) => self.s.end.get(jinja),
            Err(e) => Err(gap_error(e)),
        }
    }

    /// The record's cursor value: `None` when it has none or it reads as no
    /// datetime (the CDK skips it); an error where Python's `TypeError`
    /// fails the sync.
    pub(crate) fn value_of(&self, record: &Value) -> Result<Option<DateTime>, Error> {
        match record.get(&self.s.cursor_field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match self.s.formats.parse(v) {
                Ok(dt) => Ok(Some(dt)),
                Err(ParseFailure::Value(_)) => Ok(None),
                Err(ParseFailure::Type(m)) => Err(Error::Read(m)),
            },
        }
    }

    /// `observe(record)`: the most recent cursor value of the record's
    /// slice moves forward.
    pub fn observe(&mut self, slice: &StreamSlice, record: &Value) -> Result<(), Error> {
        if let Some(value) = self.value_of(record)? {
            let key = slice.key();
            match self.most_recent.get(&key) {
                Some(current) if *current >= value => {}
                _ => {
                    self.most_recent.insert(key, value);
                }
            }
        }
        Ok(())
    }

    /// `close_partition(slice)`: the window joins the synced intervals; the
    /// state to emit now.
    pub fn close_slice(&mut self, slice: &StreamSlice) -> Result<Value, Error> {
        let bound = |key: &str| -> Result<DateTime, Error> {
            let value = slice.get(key).ok_or_else(|| {
                Error::Read(format!(
                    "Partition is expected to have key `{key}` but could not be found"
                ))
            })?;
            self.s
                .formats
                .parse(value)
                .map_err(ParseFailure::into_error)
        };
        let interval = Interval {
            start: bound(&self.s.boundary.0)?,
            end: bound(&self.s.boundary.1)?,
            most_recent: self.most_recent.get(&slice.key()).copied(),
        };
        self.intervals.push(interval);
        self.merge()?;
        self.state()
    }

    /// The state: the legacy input's other keys, and `{cursor_field: the
    /// first interval's most recent value, else its start}`.
    pub fn state(&self) -> Result<Value, Error> {
        let merged = self.merged(self.intervals.clone())?;
        let first = merged.first().ok_or_else(|| {
            Error::Read("Expected at least one slice but there were none.".into())
        })?;
        let latest = first.most_recent.unwrap_or(first.start);
        let mut state = self.legacy.clone().unwrap_or_default();
        state.insert(
            self.s.cursor_field.clone(),
            Value::String(self.s.formats.format(&latest)?),
        );
        Ok(Value::Object(state))
    }

    /// The lowest cursor value a record may have to be synced: the sync's
    /// start, less the lookback window but never below the configured
    /// start (unless the state already is).
    pub fn lowest_to_sync(&self) -> DateTime {
        let Some(lookback) = self.s.lookback else {
            return self.sync_start;
        };
        match lookback.subtract_from(self.sync_start) {
            Ok(lower) => {
                let floor = if self.s.start < self.sync_start {
                    self.s.start
                } else {
                    self.sync_start
                };
                later(lower, floor)
            }
            Err(_) => self.sync_start,
        }
    }

    /// `should_be_synced(record)`: whether its cursor value lies in
    /// `[lowest_to_sync, end]`; true when it has none (or none readable).
    /// Client-side incremental streams keep only these records; data feeds
    /// stop paginating at the first page whose last record fails it.
    pub fn should_be_synced(&self, jinja: &Jinja, record: &Value) -> Result<bool, Error> {
        match self.value_of(record)? {
            None => Ok(true),
            Some(value) => Ok(self.lowest_to_sync() <= value && value <= self.s.end.get(jinja)?),
        }
    }
}
