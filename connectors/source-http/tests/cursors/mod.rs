//! What the cursor comparisons share: our cursors driven as
//! `tests/python/cursor.py` drives the CDK's, and the comparison.

#![allow(dead_code)]

use std::sync::Arc;

use serde_json::{Map, Value, json};
use source_http::Error;
use source_http::datetime::{self, DateTime};
use source_http::incremental::{
    Clock, DatetimeBasedCursor, Gap, GapError, PerPartitionCursor, StreamCursor,
};
use source_http::interpolation::Jinja;
use source_http::partition::{Partition, PartitionRouter, StreamSlice};

use super::reference;

/// "Now" in every query: 2024-03-10T12:34:56.789Z.
pub const NOW: i64 = 1_710_074_096_789_000;

/// `micros` formatted with `format`.
pub fn text(micros: i64, format: &str) -> String {
    datetime::format(&DateTime::from_micros(micros), format).expect("a format the tests use")
}

fn clock(q: &Value) -> Clock {
    let now = q["now"].as_i64().unwrap_or(0);
    Arc::new(move || DateTime::from_micros(now))
}

fn object(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// A cursor as the queries drive it.
trait Driven {
    fn observe(&mut self, slice: &StreamSlice, record: &Value) -> Result<(), Error>;
    fn close(&mut self, slice: &StreamSlice) -> Result<Option<Value>, Error>;
}

impl Driven for StreamCursor {
    fn observe(&mut self, slice: &StreamSlice, record: &Value) -> Result<(), Error> {
        StreamCursor::observe(self, slice, record)
    }
    fn close(&mut self, slice: &StreamSlice) -> Result<Option<Value>, Error> {
        self.close_slice(slice)
    }
}

impl Driven for PerPartitionCursor {
    fn observe(&mut self, slice: &StreamSlice, record: &Value) -> Result<(), Error> {
        PerPartitionCursor::observe(self, slice, record)
    }
    fn close(&mut self, slice: &StreamSlice) -> Result<Option<Value>, Error> {
        self.close_slice(slice)
    }
}

/// The query's reads: the records of each slice observed, the slices
/// closed in `close_order` (default: all, in order); the states emitted.
fn read_and_close(
    q: &Value,
    slices: &[StreamSlice],
    cursor: &mut dyn Driven,
) -> Result<Vec<Value>, Error> {
    let reads = q["reads"].as_array().cloned().unwrap_or_default();
    let order: Vec<usize> = match q["close_order"].as_array() {
        Some(order) => order
            .iter()
            .filter_map(Value::as_u64)
            .map(|i| i as usize)
            .collect(),
        None => (0..slices.len()).collect(),
    };
    let mut states = Vec::new();
    for i in order {
        let slice = slices
            .get(i)
            .ok_or_else(|| Error::Read("no such slice".into()))?;
        for record in reads.get(i).and_then(Value::as_array).into_iter().flatten() {
            cursor.observe(slice, record)?;
        }
        states.extend(cursor.close(slice)?);
    }
    Ok(states)
}

fn ours_single(q: &Value) -> Result<Value, Error> {
    let jinja = Jinja::new();
    let empty = json!({});
    let config = q.get("config").unwrap_or(&empty);
    let state = q.get("state").unwrap_or(&empty);
    let router = PartitionRouter::Single;
    let mut cursor =
        StreamCursor::new(Some(&q["cursor"]), &router, &jinja, config, state, clock(q))?;
    let partition = Partition {
        slice: StreamSlice::default(),
        parent_state: None,
    };
    let slices = cursor.slices(&jinja, &partition)?;
    let mut synced = Vec::new();
    for record in q["check"].as_array().into_iter().flatten() {
        synced.push(Value::Bool(cursor.should_be_synced(
            &jinja,
            &partition.slice,
            record,
        )?));
    }
    let states = read_and_close(q, &slices, &mut cursor)?;
    Ok(json!({
        "slices": slices.iter().map(StreamSlice::to_value).collect::<Vec<_>>(),
        "states": states,
        "final": cursor.final_state(None)?,
        "synced": synced,
    }))
}

fn ours_per_partition(q: &Value) -> Result<Value, Error> {
    let jinja = Jinja::new();
    let definition = DatetimeBasedCursor::from_manifest(&q["cursor"])?;
    let empty = json!({});
    let config = q.get("config").unwrap_or(&empty);
    let state = q.get("state").unwrap_or(&empty);
    let grouping = q["grouping"].as_bool().unwrap_or(false);
    let mut cursor =
        PerPartitionCursor::new(&definition, &jinja, config, state, clock(q), grouping)?;
    cursor.start();
    let mut slices = Vec::new();
    for p in q["partitions"].as_array().into_iter().flatten() {
        let partition = StreamSlice {
            partition: object(&p["partition"]),
            cursor_slice: Map::new(),
            extra_fields: object(&p["extra_fields"]),
        };
        let parent_state = p.get("parent_state").filter(|s| !s.is_null());
        slices.extend(cursor.generate_slices(&jinja, &partition, parent_state)?);
    }
    let mut synced = Vec::new();
    for item in q["check"].as_array().into_iter().flatten() {
        let index = item[0].as_u64().unwrap_or(0) as usize;
        let slice = slices
            .get(index)
            .ok_or_else(|| Error::Read("no such slice".into()))?;
        synced.push(Value::Bool(
            cursor.should_be_synced(&jinja, slice, &item[1])?,
        ));
    }
    let states = read_and_close(q, &slices, &mut cursor)?;
    let router_state = q.get("router_state").filter(|s| !s.is_null()).cloned();
    let last = cursor.ensure_at_least_one_state_emitted(router_state)?;
    let shown: Vec<Value> = slices
        .iter()
        .map(|s| {
            json!({"partition": s.partition, "cursor_slice": s.cursor_slice, "extra_fields": s.extra_fields})
        })
        .collect();
    Ok(json!({"slices": shown, "states": states, "final": last, "synced": synced}))
}

fn ours_duration(q: &Value) -> Result<Value, Error> {
    let gap = Gap::parse(q["duration"].as_str().unwrap_or_default())
        .map_err(|e| Error::Manifest(e.to_string()))?;
    let dt = DateTime {
        micros: q["micros"].as_i64().unwrap_or(0),
        offset: q["offset"].as_i64().unwrap_or(0) as i32,
    };
    let shown =
        |r: Result<DateTime, GapError>| r.map(|t| json!(t.micros)).unwrap_or(json!("error"));
    Ok(json!({
        "truthy": gap.is_truthy(),
        "added": shown(gap.add_to(dt)),
        "subtracted": shown(gap.subtract_from(dt)),
    }))
}

/// Our answer to a query of `cursor.py`.
pub fn ours(q: &Value) -> Value {
    let result = if q.get("duration").is_some() {
        ours_duration(q)
    } else if q["per_partition"].as_bool().unwrap_or(false) {
        ours_per_partition(q)
    } else {
        ours_single(q)
    };
    result.unwrap_or_else(|e| json!({"error": e.to_string()}))
}

/// Asserts that our answers are the CDK's for every query.
pub fn compare(queries: &[Value]) {
    reference::compare(
        "cursor.py",
        queries,
        2,
        ours,
        |q| format!("query {q}"),
        |_| {},
    );
}

/// [`compare`] for syncs long enough that the final `lookback_window`
/// (the sync's measured duration, in seconds rounded up) differs: any
/// positive value is taken as the same.
pub fn compare_timed(queries: &[Value]) {
    reference::compare(
        "cursor.py",
        queries,
        2,
        ours,
        |q| format!("query {q}"),
        |answer| {
            if let Some(lookback) = answer.pointer_mut("/final/lookback_window")
                && lookback.as_i64().is_some_and(|s| s > 0)
            {
                *lookback = json!("positive");
            }
        },
    );
}
