//! The CDC state: its shapes, reading it back, and the position of the
//! GLOBAL checkpoints (which the SDK's [`GlobalState`] emits).
//!
//! One GLOBAL state message per checkpoint:
//!
//! ```json
//! {"type":"GLOBAL","global":{
//!   "shared_state":{"version":1,"state_type":"cdc_lsn","lsn":23896935,"lsn_text":"0/16CA367"},
//!   "stream_states":[
//!     {"stream_descriptor":{"name":"a","namespace":"public"},"stream_state":{"version":1,"state_type":"cdc"}},
//!     {"stream_descriptor":{"name":"b","namespace":"public"},
//!      "stream_state":{"version":1,"state_type":"snapshot","pk_name":["id"],"pk_val":["41"]}}]},
//!  "sourceStats":{"recordCount":12.0}}
//! ```
//!
//! - `shared_state.lsn` (a number; `lsn_text` is the same in PostgreSQL's
//!   `X/Y` notation, for people) is where the next sync resumes the slot:
//!   every transaction that committed before it was emitted. It is what the
//!   next sync acknowledges to the server (`pg_replication_slot_advance`).
//! - Each stream's `stream_state` is `cdc` once its initial snapshot is done;
//!   `snapshot` while the snapshot runs (resumed after the last primary key
//!   emitted); `complete` for full refresh streams that were read to the end.
//!   A stream without a state gets a snapshot.

use std::collections::HashMap;

use airbyte_sdk::Error;
use airbyte_sdk::protocol::{JsonObject, StreamDescriptor};
use airbyte_sdk::source::{GlobalState, InputState};
use airbyte_sdk::value::temporal::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// `X/Y` (hexadecimal halves), as PostgreSQL prints an LSN.
pub fn lsn_text(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

/// Parses `X/Y`.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.trim().split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// Microseconds since 2000-01-01 UTC (PostgreSQL's epoch) → RFC 3339 UTC
/// with microseconds, by the SDK's calendar.
pub fn pg_time_rfc3339(micros: i64) -> String {
    const PG_EPOCH_UNIX_SECS: i64 = 946_684_800;
    Timestamp {
        seconds: micros.div_euclid(1_000_000) + PG_EPOCH_UNIX_SECS,
        nanos: micros.rem_euclid(1_000_000) as u32 * 1000,
    }
    .rfc3339(6)
    .to_string()
}

/// Where a stream starts, from its input state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamStart {
    /// The snapshot is done: only changes.
    Done,
    /// The snapshot resumes after this primary key.
    Resume(Vec<String>),
    /// From the beginning.
    Fresh,
}

/// The input GLOBAL state, read back.
#[derive(Debug, Default)]
pub struct CdcInput {
    /// The saved LSN, if any.
    pub lsn: Option<u64>,
    streams: HashMap<(String, Option<String>), Map<String, Value>>,
}

impl CdcInput {
    /// Reads the GLOBAL state of `--state`. A STREAM or LEGACY state (from
    /// another replication method) holds no position: a fresh start.
    pub fn parse(state: &InputState) -> Result<CdcInput, Error> {
        let Some(global) = state.global() else {
            if !state.is_empty() {
                airbyte_sdk::tracing::warn!(
                    "the input state is not a GLOBAL (CDC) state: every stream starts with a snapshot"
                );
            }
            return Ok(CdcInput::default());
        };
        let shared = global
            .shared_state
            .as_ref()
            .map(JsonObject::to_map)
            .unwrap_or_default();
        let lsn = shared_lsn(&shared);
        if lsn.is_none() && !shared.is_empty() {
            return Err(Error::config(format!(
                "the state's shared_state has no LSN this connector understands ({}): reset the connection's state",
                Value::Object(shared)
            )));
        }
        let mut streams = HashMap::new();
        for s in &global.stream_states {
            if let Some(blob) = &s.stream_state {
                streams.insert(
                    (
                        s.stream_descriptor.name.clone(),
                        s.stream_descriptor.namespace.clone(),
                    ),
                    blob.to_map(),
                );
            }
        }
        Ok(CdcInput { lsn, streams })
    }

    /// The raw input state of a stream.
    pub fn stream(&self, d: &StreamDescriptor) -> Option<&Map<String, Value>> {
        self.streams.get(&(d.name.clone(), d.namespace.clone()))
    }

    /// Where stream `d` starts. `pk` is its primary key; `cdc` says whether it is
    /// read incrementally (a full refresh is never `Done`).
    pub fn start(&self, d: &StreamDescriptor, pk: &[String], cdc: bool) -> StreamStart {
        let Some(state) = self.stream(d) else {
            return StreamStart::Fresh;
        };
        match state.get("state_type").and_then(Value::as_str) {
            Some("snapshot") => {
                let names: Option<Vec<String>> = state
                    .get("pk_name")
                    .and_then(|v| serde_json::from_value(v.clone()).ok());
                let values: Option<Vec<String>> = state
                    .get("pk_val")
                    .and_then(|v| serde_json::from_value(v.clone()).ok());
                match (names, values) {
                    (Some(n), Some(v)) if n == pk && v.len() == pk.len() && !pk.is_empty() => {
                        StreamStart::Resume(v)
                    }
                    _ => StreamStart::Fresh,
                }
            }
            Some("cdc") if cdc => StreamStart::Done,
            // Airbyte's Java source: a finished stream is a cursor state without a state_type.
            None if cdc
                && state.contains_key("stream_name")
                && state.contains_key("cursor_field") =>
            {
                StreamStart::Done
            }
            _ => StreamStart::Fresh,
        }
    }
}

/// The LSN of a shared state: ours, or the Debezium offset of Airbyte's Java
/// source (`{"state": {"[...]": "{\"lsn_commit\": N, ...}"}}`).
fn shared_lsn(shared: &Map<String, Value>) -> Option<u64> {
    if let Some(lsn) = shared.get("lsn").and_then(Value::as_u64) {
        return Some(lsn);
    }
    if let Some(lsn) = shared
        .get("lsn_text")
        .and_then(Value::as_str)
        .and_then(parse_lsn)
    {
        return Some(lsn);
    }
    let offsets = shared.get("state")?.as_object()?;
    offsets.values().filter_map(Value::as_str).find_map(|text| {
        let offset: Value = serde_json::from_str(text).ok()?;
        offset
            .get("lsn_commit")
            .or_else(|| offset.get("lsn"))
            .and_then(Value::as_u64)
    })
}

/// The stream state of a stream whose snapshot is done.
pub fn cdc_done() -> Value {
    json!({"version": 1, "state_type": "cdc"})
}

/// The stream state of a snapshot in progress, after the row with key `pk_val`.
pub fn snapshot_progress(pk_name: &[String], pk_val: &[String]) -> Value {
    json!({"version": 1, "state_type": "snapshot", "pk_name": pk_name, "pk_val": pk_val})
}

/// The stream state of a full refresh read to the end.
pub fn full_refresh_done() -> Value {
    json!({"version": 1, "state_type": "complete"})
}

/// The shared state: where the slot resumes. Written as
/// `{"version":1,"state_type":"cdc_lsn","lsn":N,"lsn_text":"X/Y"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Every transaction that committed before it was emitted.
    pub lsn: u64,
}

impl Serialize for Position {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        json!({"version": 1, "state_type": "cdc_lsn", "lsn": self.lsn, "lsn_text": lsn_text(self.lsn)})
            .serialize(serializer)
    }
}

/// The GLOBAL states of a CDC read: the SDK's [`GlobalState`] around a [`Position`].
pub type Checkpointer = GlobalState<Position>;

/// The position moves, never backwards, at transaction boundaries.
pub trait Advance {
    /// The LSN the next state will carry.
    fn lsn(&self) -> u64;
    /// Moves the position to `lsn` if it is ahead: call only at a transaction boundary.
    fn advance(&mut self, lsn: u64);
}

impl Advance for Checkpointer {
    fn lsn(&self) -> u64 {
        self.shared().lsn
    }

    fn advance(&mut self, lsn: u64) {
        if lsn > self.shared().lsn {
            self.shared_mut().lsn = lsn;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsn_round_trip() {
        assert_eq!(lsn_text(23_896_935), "0/16CA367");
        assert_eq!(parse_lsn("0/16CA367"), Some(23_896_935));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(lsn_text((0x16 << 32) | 0xB374_D848), "16/B374D848");
        assert_eq!(parse_lsn("nope"), None);
    }

    #[test]
    fn times() {
        assert_eq!(pg_time_rfc3339(0), "2000-01-01T00:00:00.000000Z");
        assert_eq!(pg_time_rfc3339(-1), "1999-12-31T23:59:59.999999Z");
        // 2024-02-29 12:34:56.789012 UTC
        let unix = 1_709_210_096_i64;
        assert_eq!(
            pg_time_rfc3339((unix - 946_684_800) * 1_000_000 + 789_012),
            "2024-02-29T12:34:56.789012Z"
        );
    }

    /// The SDK's calendar edge cases: every UTC instant PostgreSQL accepts,
    /// written as a commit time here, reads back as the same instant, to
    /// the SDK's parser and to its cursor comparison.
    #[test]
    fn commit_times_agree_with_the_sdk_calendar() {
        use airbyte_sdk::source::CursorValue;
        use airbyte_sdk::value::Range;
        use airbyte_sdk::value::cases::{CASES, Kind};
        use airbyte_sdk::value::temporal;
        let mut checked = 0;
        for case in CASES.iter().filter(|c| c.kind == Kind::TimestampTz) {
            let Some(nanos) = case.postgres else { continue };
            let micros = i64::try_from(nanos / 1000 - 946_684_800_000_000).expect("in range");
            let text = pg_time_rfc3339(micros);
            let back = temporal::timestamp_tz(&text, &Range::POSTGRES).expect(&text);
            assert_eq!(back.nanos_since_epoch(), nanos, "{} as {text}", case.text);
            let written = CursorValue::timestamp(&text).expect("a cursor");
            let original = CursorValue::timestamp(case.text).expect("a cursor");
            let exact = temporal::timestamp_tz(case.text, &Range::CURSOR).expect("cursor range");
            if exact.nanos_since_epoch() == nanos {
                assert_eq!(
                    original.cmp(&written),
                    std::cmp::Ordering::Equal,
                    "{} vs {text}",
                    case.text
                );
            }
            checked += 1;
        }
        assert!(checked >= 10, "{checked}");
        assert_eq!(
            pg_time_rfc3339(-211_813_488_000_000_000),
            "4714-11-24T00:00:00.000000Z BC"
        );
    }

    fn input(json: Value) -> CdcInput {
        CdcInput::parse(&InputState::from_json(json).expect("state")).expect("cdc state")
    }

    #[test]
    fn reads_ours_and_java_shapes() {
        let ours = input(json!([{"type": "GLOBAL", "global": {
        "shared_state": {"version": 1, "lsn": 42, "lsn_text": "0/2A"},
        "stream_states": [
            {"stream_descriptor": {"name": "a", "namespace": "public"}, "stream_state": {"version": 1, "state_type": "cdc"}},
            {"stream_descriptor": {"name": "b", "namespace": "public"}, "stream_state": {"state_type": "snapshot", "pk_name": ["id"], "pk_val": ["7"]}},
            {"stream_descriptor": {"name": "c", "namespace": "public"}, "stream_state": {"state_type": "complete"}}
        ]}}]));
        assert_eq!(ours.lsn, Some(42));
        let d = |n: &str| StreamDescriptor::new(n).with_namespace("public");
        let id = ["id".to_owned()];
        assert_eq!(ours.start(&d("a"), &id, true), StreamStart::Done);
        assert_eq!(
            ours.start(&d("a"), &id, false),
            StreamStart::Fresh,
            "a full refresh reads everything"
        );
        assert_eq!(
            ours.start(&d("b"), &id, true),
            StreamStart::Resume(vec!["7".into()])
        );
        assert_eq!(
            ours.start(&d("b"), &["other".to_owned()], true),
            StreamStart::Fresh,
            "another key: start over"
        );
        assert_eq!(
            ours.start(&d("c"), &id, true),
            StreamStart::Fresh,
            "was full refresh, now CDC: snapshot"
        );
        assert_eq!(ours.start(&d("new"), &id, true), StreamStart::Fresh);

        let java = input(json!([{"type": "GLOBAL", "global": {
            "shared_state": {"state": {"[\"db\",{\"server\":\"db\"}]": "{\"transaction_id\":null,\"lsn\":23896935,\"lsn_commit\":23896900,\"txId\":505}"}},
            "stream_states": [{"stream_descriptor": {"name": "a", "namespace": "public"},
                               "stream_state": {"stream_name": "a", "stream_namespace": "public", "cursor_field": [], "cursor": null}}]}}]));
        assert_eq!(java.lsn, Some(23_896_900));
        assert_eq!(java.start(&d("a"), &id, true), StreamStart::Done);

        assert_eq!(input(json!([])).lsn, None);
        let stream = input(
            json!([{"type": "STREAM", "stream": {"stream_descriptor": {"name": "a"}, "stream_state": {"cursor": 1}}}]),
        );
        assert_eq!(stream.lsn, None);
        let bad = InputState::from_json(json!([{"type": "GLOBAL", "global": {"shared_state": {"what": 1}, "stream_states": []}}])).expect("state");
        assert!(CdcInput::parse(&bad).is_err());
    }
}
