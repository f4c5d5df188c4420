//! One record → one row of COPY text: the metadata columns, the user columns
//! in table order, then `_airbyte_meta` (last, because its changes are known
//! only once the values are written).
//!
//! A record's `data` is parsed once, straight into one slot per column; the
//! values are written from the raw JSON without allocating.

use std::collections::HashMap;
use std::fmt;

use airbyte_sdk::Error;
use airbyte_sdk::destination::RecordView;
use airbyte_sdk::protocol::{
    AirbyteRecordMessageMetaChange, ChangeReason, ChangeType, StreamDescriptor,
};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::table::Column;
use crate::types::{ColumnType, copy_escape, write_field};

/// Encodes the records of one stream as COPY text rows.
#[derive(Debug)]
pub struct RowEncoder {
    types: Vec<ColumnType>,
    index: ColumnIndex,
    /// The generation id column's text.
    generation: Vec<u8>,
    sync_id: Option<i64>,
    /// `_airbyte_meta` without changes, escaped.
    empty_meta: Vec<u8>,
    clock: Clock,
    ids: RawIds,
}

impl RowEncoder {
    /// An encoder for rows of `columns`.
    pub fn new(columns: &[Column], generation_id: Option<i64>, sync_id: Option<i64>) -> Self {
        let mut empty_meta = Vec::new();
        copy_escape(
            &serde_json::json!({"sync_id": sync_id, "changes": []}).to_string(),
            &mut empty_meta,
        );
        RowEncoder {
            types: columns.iter().map(|c| c.ty).collect(),
            index: ColumnIndex::new(columns.iter().map(|c| c.json.as_str())),
            generation: generation_id
                .map(|g| g.to_string().into_bytes())
                .unwrap_or_else(|| b"\\N".to_vec()),
            sync_id,
            empty_meta,
            clock: Clock::default(),
            ids: RawIds::new(),
        }
    }

    /// Appends one row per record to `out`.
    pub fn encode<'a>(
        &mut self,
        records: impl Iterator<Item = RecordView<'a>>,
        descriptor: &StreamDescriptor,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let mut slots: Vec<Option<&'a str>> = vec![None; self.types.len()];
        let mut failed: Vec<usize> = Vec::new();
        for record in records {
            self.ids.write(record.emitted_at(), out);
            out.push(b'\t');
            self.clock.write(record.emitted_at(), out);
            out.push(b'\t');
            out.extend_from_slice(&self.generation);
            slots.iter_mut().for_each(|s| *s = None);
            self.index.fill(record.data(), &mut slots).map_err(|e| {
                Error::system(format!(
                    "a record of `{descriptor}` has data that is not a JSON object"
                ))
                .with_source(e)
            })?;
            failed.clear();
            for (i, (ty, value)) in self.types.iter().zip(&slots).enumerate() {
                out.push(b'\t');
                if !write_field(*ty, *value, out) {
                    failed.push(i);
                }
            }
            out.push(b'\t');
            self.write_meta(&record, &failed, out)?;
            out.push(b'\n');
        }
        Ok(())
    }

    /// `_airbyte_meta`: the sync id, the source's changes and ours.
    fn write_meta(
        &self,
        record: &RecordView<'_>,
        failed: &[usize],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let source_changes = match record.meta_json() {
            None | Some("null") => Vec::new(),
            Some(_) => record.meta()?.and_then(|m| m.changes).unwrap_or_default(),
        };
        if source_changes.is_empty() && failed.is_empty() {
            out.extend_from_slice(&self.empty_meta);
            return Ok(());
        }
        let mut all = source_changes;
        all.extend(failed.iter().map(|&i| {
            AirbyteRecordMessageMetaChange::new(
                self.index.names[i].clone(),
                ChangeType::Nulled,
                ChangeReason::DestinationTypecastError,
            )
        }));
        copy_escape(
            &serde_json::json!({"sync_id": self.sync_id, "changes": all}).to_string(),
            out,
        );
        Ok(())
    }
}

/// Finds a property's column: first at the place after the previous
/// property's (records mostly list their fields in the same order), then
/// by hash.
#[derive(Debug)]
struct ColumnIndex {
    names: Vec<String>,
    by_name: HashMap<String, usize>,
}

impl ColumnIndex {
    fn new<'n>(names: impl Iterator<Item = &'n str>) -> Self {
        let names: Vec<String> = names.map(str::to_owned).collect();
        let by_name = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        ColumnIndex { names, by_name }
    }

    fn find(&self, key: &str, hint: &mut usize) -> Option<usize> {
        let i = match self.names.get(*hint) {
            Some(name) if name == key => *hint,
            _ => *self.by_name.get(key)?,
        };
        *hint = i + 1;
        Some(i)
    }

    /// Parses the JSON object `data`, putting each known property's raw value in its slot.
    fn fill<'de>(
        &self,
        data: &'de str,
        slots: &mut [Option<&'de str>],
    ) -> Result<(), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(data);
        Object { index: self, slots }.deserialize(&mut de)?;
        de.end()
    }
}

struct Object<'s, 'de> {
    index: &'s ColumnIndex,
    slots: &'s mut [Option<&'de str>],
}

impl<'de> DeserializeSeed<'de> for Object<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Object<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut hint = 0;
        while let Some(column) = map.next_key_seed(Key {
            index: self.index,
            hint: &mut hint,
        })? {
            match column {
                Some(i) => self.slots[i] = Some(map.next_value::<&'de RawValue>()?.get()),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A property name, looked up as it is read (escaped names included).
struct Key<'s> {
    index: &'s ColumnIndex,
    hint: &'s mut usize,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a property name")
    }
    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.index.find(key, self.hint))
    }
}

/// Time-ordered unique ids in the UUID layout: later records sort after earlier ones.
#[derive(Debug)]
struct RawIds {
    /// The process id, in the high bits, so concurrent loads do not collide.
    salt: u64,
}

static RAW_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl RawIds {
    fn new() -> Self {
        RawIds {
            salt: u64::from(std::process::id()) << 40,
        }
    }

    fn write(&self, ms: i64, out: &mut Vec<u8>) {
        let n = RAW_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed) ^ self.salt;
        let ms = ms.max(0) as u64;
        hex(ms >> 16, 8, out);
        out.push(b'-');
        hex(ms & 0xffff, 4, out);
        out.extend_from_slice(b"-7");
        hex((n >> 60) & 0xfff, 3, out);
        out.push(b'-');
        hex(0x8000 | ((n >> 48) & 0x3fff), 4, out);
        out.push(b'-');
        hex(n & 0xffff_ffff_ffff, 12, out);
    }
}

/// Appends `n` in lowercase hex, `width` digits.
fn hex(n: u64, width: u32, out: &mut Vec<u8>) {
    for shift in (0..width).rev() {
        out.push(b"0123456789abcdef"[((n >> (shift * 4)) & 0xf) as usize]);
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm+00` for ms since the epoch.
fn timestamp(ms: i64, out: &mut Vec<u8>) {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let text = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03}+00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    out.extend_from_slice(text.as_bytes());
}

/// Formats `ms` timestamps, reusing the date and time text within a second.
#[derive(Debug, Default)]
struct Clock {
    second: Option<i64>,
    text: Vec<u8>,
}

impl Clock {
    fn write(&mut self, ms: i64, out: &mut Vec<u8>) {
        let second = ms.div_euclid(1000);
        if self.second != Some(second) {
            self.text.clear();
            timestamp(second * 1000, &mut self.text);
            self.text.truncate(self.text.len() - ".000+00".len());
            self.second = Some(second);
        }
        out.extend_from_slice(&self.text);
        let millis = ms.rem_euclid(1000) as u32;
        out.extend_from_slice(&[
            b'.',
            b'0' + (millis / 100) as u8,
            b'0' + (millis / 10 % 10) as u8,
            b'0' + (millis % 10) as u8,
        ]);
        out.extend_from_slice(b"+00");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airbyte_sdk::destination::Batch;

    fn column(json: &str, ty: ColumnType) -> Column {
        Column {
            json: json.to_owned(),
            sql: json.to_owned(),
            ty,
        }
    }

    #[test]
    fn timestamps_and_raw_ids() {
        let mut out = Vec::new();
        timestamp(1_700_000_000_123, &mut out);
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "2023-11-14 22:13:20.123+00"
        );
        let ids = RawIds::new();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        ids.write(5, &mut a);
        ids.write(5, &mut b);
        assert!(a < b, "later ids sort after earlier ones");
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn rows_in_column_order_whatever_the_field_order() {
        let columns = [
            column("id", ColumnType::BigInt),
            column("name", ColumnType::Text),
            column("n\"q", ColumnType::Text),
        ];
        let mut encoder = RowEncoder::new(&columns, Some(3), Some(9));
        let mut batch = Batch::new(0, StreamDescriptor::new("s"));
        for data in [
            r#"{"id":1,"name":"a","n\"q":"x"}"#,
            r#"{"n\u0022q":"y","extra":{"deep":[1,2]},"name":"b\tc","id":"2"}"#,
            r#"{"id":"three"}"#,
        ] {
            batch
                .push_line(&format!(
                    r#"{{"type":"RECORD","record":{{"stream":"s","data":{data},"emitted_at":1700000000123}}}}"#
                ))
                .expect("record");
        }
        let mut out = Vec::new();
        encoder
            .encode(batch.iter(), &StreamDescriptor::new("s"), &mut out)
            .expect("encode");
        let text = String::from_utf8(out).expect("utf8");
        let rows: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split('\t').skip(1).collect())
            .collect();
        assert_eq!(
            rows[0],
            [
                "2023-11-14 22:13:20.123+00",
                "3",
                "1",
                "a",
                "x",
                r#"{"changes":[],"sync_id":9}"#
            ]
        );
        assert_eq!(rows[1][2..5], ["2", "b\\tc", "y"]);
        assert_eq!(rows[2][2..5], ["\\N", "\\N", "\\N"]);
        assert_eq!(
            rows[2][5],
            r#"{"changes":[{"change":"NULLED","field":"id","reason":"DESTINATION_TYPECAST_ERROR"}],"sync_id":9}"#
        );
    }

    #[test]
    fn data_that_is_not_an_object_is_an_error() {
        let index = ColumnIndex::new(["a"].into_iter());
        let mut slots = [None];
        assert!(index.fill(r#"{"a":1} x"#, &mut slots).is_err());
        assert!(index.fill(r#"[1]"#, &mut slots).is_err());
    }
}
