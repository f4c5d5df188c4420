//! `IncrementingCountCursor`: a cursor over an ever-growing number, as the
//! CDK runs it (a `ConcurrentCursor` with an
//! `IncrementingCountStreamStateConverter`, sequential state).
//!
//! - One slice `{start: the state's value (or start_value), end: ∞}`; the
//!   end is written as `null` here (Python's `inf` is no JSON).
//! - The state is `{cursor_field: the greatest value seen}` (the legacy
//!   input's other keys kept), emitted when the slice closes after a
//!   truthy value was seen, and at the end.
//! - Values are compared as Python does: numbers with numbers, text with
//!   text; a number against text fails the sync.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::component::{component, eval_key, eval_string, parameters, required_string, string};
use crate::error::Error;
use crate::interpolation::{Jinja, python_str, truthy};
use crate::partition::StreamSlice;

/// An `IncrementingCountCursor` as the manifest gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncrementingCountCursor {
    /// `cursor_field`, a template.
    pub cursor_field: String,
    /// `start_value`, a template of an integer (default 0).
    pub start_value: Option<String>,
    /// `start_value_option`: a `RequestOption` for the slice's `start`.
    pub start_value_option: Option<Value>,
    /// The `parameters` of its templates.
    pub parameters: Map<String, Value>,
}

/// The runtime cursor of an [`IncrementingCountCursor`].
#[derive(Debug, Clone)]
pub struct CountingCursor {
    cursor_field: String,
    start: Value,
    sync_start: Value,
    /// (start, end, most recent) intervals.
    intervals: Vec<(Value, Value, Option<Value>)>,
    legacy: Option<Map<String, Value>>,
    most_recent: Option<Value>,
    closed: bool,
}

/// Python's `a < b` and `a == b` for cursor values.
fn compare(a: &Value, b: &Value) -> Result<Ordering, Error> {
    let number = |v: &Value| match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match (a, b, number(a), number(b)) {
        (_, _, Some(x), Some(y)) => x
            .partial_cmp(&y)
            .ok_or_else(|| Error::Read("cursor values cannot be compared".into())),
        (Value::String(x), Value::String(y), _, _) => Ok(x.cmp(y)),
        _ => Err(Error::Read(format!(
            "'<' not supported between {} and {}",
            python_str(a),
            python_str(b)
        ))),
    }
}

fn plus_one(v: &Value) -> Result<Value, Error> {
    match v {
        Value::Number(n) if n.is_i64() => {
            Ok(Value::from(n.as_i64().unwrap_or(0).saturating_add(1)))
        }
        Value::Number(n) => Ok(n
            .as_f64()
            .and_then(|f| serde_json::Number::from_f64(f + 1.0))
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        Value::Bool(b) => Ok(Value::from(i64::from(*b) + 1)),
        other => Err(Error::Read(format!(
            "can only concatenate str (not \"int\") to str: {}",
            python_str(other)
        ))),
    }
}

impl IncrementingCountCursor {
    /// From an `IncrementingCountCursor` mapping.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::incremental::IncrementingCountCursor;
    /// use source_http::interpolation::Jinja;
    /// let c = IncrementingCountCursor::from_manifest(&json!({
    ///     "type": "IncrementingCountCursor", "cursor_field": "id", "start_value": 10})).unwrap();
    /// let jinja = Jinja::new();
    /// let mut cursor = c.cursor(&jinja, &json!({}), &json!({"id": 42})).unwrap();
    /// let slices = cursor.stream_slices().unwrap();
    /// assert_eq!(slices[0].to_value(), json!({"start": 42, "end": null}));
    /// cursor.observe(&json!({"id": 50})).unwrap();
    /// assert_eq!(cursor.close_slice(&slices[0]).unwrap(), Some(json!({"id": 50})));
    /// ```
    pub fn from_manifest(value: &Value) -> Result<IncrementingCountCursor, Error> {
        const NAME: &str = "IncrementingCountCursor";
        let map = component(value, &[NAME])?;
        let start_value_option = match map.get("start_value_option") {
            None | Some(Value::Null) => None,
            Some(v) => Some(component(v, &["RequestOption"]).map(|_| v.clone())?),
        };
        Ok(IncrementingCountCursor {
            cursor_field: required_string(map, NAME, "cursor_field")?,
            start_value: string(map, "start_value")?,
            start_value_option,
            parameters: parameters(map),
        })
    }

    /// The runtime cursor for `stream_state`.
    pub fn cursor(
        &self,
        jinja: &Jinja,
        config: &Value,
        stream_state: &Value,
    ) -> Result<CountingCursor, Error> {
        let cursor_field = eval_key(jinja, &self.cursor_field, config, &self.parameters)?;
        let start = match &self.start_value {
            Some(template) => match eval_string(jinja, template, config, &self.parameters)? {
                Value::Number(n) if n.is_i64() => Value::Number(n),
                Value::Number(n) => Value::from(n.as_f64().map(f64::trunc).unwrap_or(0.0) as i64),
                Value::String(s) => s
                    .trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| Error::Manifest(format!("start_value {s:?} is no integer")))?,
                other => {
                    return Err(Error::Manifest(format!(
                        "start_value {} is no integer",
                        python_str(&other)
                    )));
                }
            },
            None => Value::from(0),
        };
        let empty = Map::new();
        let state = stream_state.as_object().unwrap_or(&empty);
        let concurrent = !state.is_empty()
            && matches!(
                state.get("state_type").and_then(Value::as_str),
                Some("integer" | "date-range")
            );
        let (sync_start, intervals, legacy) = if concurrent {
            let slices = state
                .get("slices")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let intervals: Vec<_> = slices
                .iter()
                .map(|s| {
                    let most = s.get("most_recent_cursor_value").cloned();
                    (s["start"].clone(), s["end"].clone(), most)
                })
                .collect();
            let value = intervals
                .first()
                .map(|(_, end, most)| most.clone().unwrap_or_else(|| end.clone()))
                .filter(truthy);
            (value.unwrap_or_else(|| start.clone()), intervals, None)
        } else {
            let sync_start = match state.get(&cursor_field) {
                Some(previous) if truthy(previous) && compare(previous, &start)?.is_ge() => {
                    previous.clone()
                }
                _ => start.clone(),
            };
            let first = (start.clone(), sync_start.clone(), Some(sync_start.clone()));
            (sync_start, vec![first], Some(state.clone()))
        };
        Ok(CountingCursor {
            cursor_field,
            start,
            sync_start,
            intervals,
            legacy,
            most_recent: None,
            closed: false,
        })
    }
}

impl CountingCursor {
    fn merged(&self) -> Result<Vec<(Value, Value, Option<Value>)>, Error> {
        let mut sorted = self.intervals.clone();
        let mut failure = None;
        sorted.sort_by(|a, b| {
            let order = compare(&a.0, &b.0).and_then(|o| {
                if o.is_eq() {
                    compare(&a.1, &b.1)
                } else {
                    Ok(o)
                }
            });
            order.unwrap_or_else(|e| {
                failure = Some(e);
                Ordering::Equal
            })
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let mut merged: Vec<(Value, Value, Option<Value>)> = Vec::new();
        for current in sorted {
            if let Some(last) = merged.last_mut()
                && compare(&plus_one(&last.1)?, &current.0)?.is_ge()
            {
                if compare(&current.1, &last.1)?.is_gt() {
                    last.1 = current.1.clone();
                }
                last.2 = match (current.2.filter(truthy), last.2.clone().filter(truthy)) {
                    (Some(c), Some(l)) => Some(if compare(&c, &l)?.is_gt() { c } else { l }),
                    (c, l) => c.or(l),
                };
                continue;
            }
            merged.push(current);
        }
        Ok(merged)
    }

    /// The one slice: `{start, end: null}`.
    pub fn stream_slices(&mut self) -> Result<Vec<StreamSlice>, Error> {
        self.intervals = self.merged()?;
        let last = self
            .intervals
            .last()
            .map(|(_, end, _)| end.clone())
            .ok_or_else(|| Error::Read("Expected at least one slice".into()))?;
        let lower = if truthy(&self.start) && compare(&self.start, &last)?.is_gt() {
            self.start.clone()
        } else {
            last
        };
        let mut cursor_slice = Map::new();
        cursor_slice.insert("start".into(), lower);
        cursor_slice.insert("end".into(), Value::Null);
        Ok(vec![StreamSlice::new(Map::new(), cursor_slice)])
    }

    /// A record read: the greatest value moves forward.
    pub fn observe(&mut self, record: &Value) -> Result<(), Error> {
        let Some(value) = record.get(&self.cursor_field).filter(|v| !v.is_null()) else {
            return Ok(());
        };
        let newer = match &self.most_recent {
            None => true,
            Some(current) => compare(current, value)?.is_lt(),
        };
        if newer {
            self.most_recent = Some(value.clone());
        }
        Ok(())
    }

    /// The slice closed: the state to emit, if a truthy value was seen.
    pub fn close_slice(&mut self, _slice: &StreamSlice) -> Result<Option<Value>, Error> {
        let Some(most) = self.most_recent.clone().filter(truthy) else {
            self.closed = true;
            return Ok(None);
        };
        if self.closed {
            return Err(Error::Read(
                "Given that slice_boundary_fields is not defined and that per-partition state is not supported, only one slice is expected.".into(),
            ));
        }
        self.intervals
            .push((self.sync_start.clone(), most.clone(), Some(most)));
        self.intervals = self.merged()?;
        self.closed = true;
        self.state().map(Some)
    }

    /// The state now.
    pub fn state(&self) -> Result<Value, Error> {
        let merged = self.merged()?;
        let (start, _, most) = merged
            .first()
            .ok_or_else(|| Error::Read("Expected at least one slice".into()))?;
        let latest = most.clone().filter(truthy).unwrap_or_else(|| start.clone());
        let mut state = self.legacy.clone().unwrap_or_default();
        state.insert(self.cursor_field.clone(), latest);
        Ok(Value::Object(state))
    }

    /// Whether a record's value is at least the sync's start.
    pub fn should_be_synced(&self, record: &Value) -> Result<bool, Error> {
        match record.get(&self.cursor_field).filter(|v| !v.is_null()) {
            None => Ok(true),
            Some(value) => Ok(compare(&self.sync_start, value)?.is_le()),
        }
    }
}
