//! One record → one row of binary COPY: the metadata columns, the user
//! columns in table order, then `_airbyte_meta` (last, because its changes
//! are known only once the values are written).
//!
//! A record's `data` is parsed once, straight into one slot per column; the
//! values are encoded from the raw JSON without allocating. Binary COPY
//! spares the server parsing text (a quarter of its work, measured), and
//! every value is range-checked here so the server never rejects a row.

use std::collections::HashMap;
use std::fmt;

use airbyte_sdk::Error;
use airbyte_sdk::destination::{AirbyteMeta, RawIds, RecordView, StreamPlan};
use airbyte_sdk::protocol::StreamDescriptor;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::table::Column;
use crate::types::ColumnType;
use crate::value;

/// The start of a binary COPY stream: signature, flags, no header extension.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The end of a binary COPY stream.
pub const TRAILER: &[u8] = &(-1i16).to_be_bytes();

/// Encodes the records of one stream as binary COPY rows.
#[derive(Debug)]
pub struct RowEncoder {
    types: Vec<ColumnType>,
    index: ColumnIndex,
    /// The generation id field.
    generation: Vec<u8>,
    meta: AirbyteMeta,
    /// The `_airbyte_meta` field without changes.
    empty_meta: Vec<u8>,
    /// The tuple header: the number of fields.
    fields: [u8; 2],
    ids: RawIds,
}

impl RowEncoder {
    /// An encoder for rows of `columns` of the stream of `plan`.
    pub fn new(columns: &[Column], plan: &StreamPlan) -> Self {
        let meta = AirbyteMeta::new(plan.sync_id);
        let mut empty_meta = Vec::new();
        value::jsonb_field(meta.empty(), &mut empty_meta);
        let fields = i16::try_from(columns.len() + 4).unwrap_or(i16::MAX);
        RowEncoder {
            types: columns.iter().map(|c| c.ty).collect(),
            index: ColumnIndex::new(columns.iter().map(|c| c.json.as_str())),
            generation: value::generation_field(plan.generation_id),
            meta,
            empty_meta,
            fields: fields.to_be_bytes(),
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
            out.extend_from_slice(&self.fields);
            value::raw_id_field(&self.ids, record.emitted_at(), out);
            value::extracted_at_field(record.emitted_at(), out);
            out.extend_from_slice(&self.generation);
            slots.iter_mut().for_each(|s| *s = None);
            self.index.fill(record.data(), &mut slots).map_err(|e| {
                Error::system(format!(
                    "a record of `{descriptor}` has data that is not a JSON object"
                ))
                .with_source(e)
            })?;
            failed.clear();
            for (i, (ty, raw)) in self.types.iter().zip(&slots).enumerate() {
                if !value::field(*ty, *raw, out) {
                    failed.push(i);
                }
            }
            self.write_meta(&record, &failed, out)?;
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
        let nulled = failed.iter().map(|&i| self.index.names[i].as_str());
        match self.meta.of(record, nulled)? {
            Some(meta) => value::jsonb_field(&meta, out),
            None => out.extend_from_slice(&self.empty_meta),
        }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use airbyte_sdk::destination::Batch;
    use airbyte_sdk::protocol::ConfiguredAirbyteStream;

    fn column(json: &str, ty: ColumnType) -> Column {
        Column {
            json: json.to_owned(),
            sql: json.to_owned(),
            ty,
        }
    }

    /// The tuples of a binary COPY body: each field's bytes, or None for NULL.
    pub(crate) fn tuples(mut b: &[u8]) -> Vec<Vec<Option<Vec<u8>>>> {
        let mut rows = Vec::new();
        while !b.is_empty() {
            let n = i16::from_be_bytes([b[0], b[1]]);
            b = &b[2..];
            let mut row = Vec::new();
            for _ in 0..n {
                let len = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                b = &b[4..];
                if len < 0 {
                    row.push(None);
                } else {
                    row.push(Some(b[..len as usize].to_vec()));
                    b = &b[len as usize..];
                }
            }
            rows.push(row);
        }
        rows
    }

    pub(crate) fn text(field: &Option<Vec<u8>>) -> &str {
        std::str::from_utf8(field.as_deref().expect("not null")).expect("utf8")
    }

    #[test]
    fn rows_in_column_order_whatever_the_field_order() {
        let columns = [
            column("id", ColumnType::BigInt),
            column("name", ColumnType::Text),
            column("n\"q", ColumnType::Text),
        ];
        let mut configured: ConfiguredAirbyteStream = serde_json::from_str(
            r#"{"stream":{"name":"s","json_schema":{},"supported_sync_modes":["full_refresh"]},"sync_mode":"full_refresh","destination_sync_mode":"append","generation_id":3}"#,
        )
        .expect("stream");
        configured.sync_id = Some(9);
        let mut encoder = RowEncoder::new(&columns, &StreamPlan::new(0, &configured));
        let mut batch = Batch::new(0, StreamDescriptor::new("s"));
        for data in [
            r#"{"id":1,"name":"a","n\"q":"x"}"#,
            r#"{"n\u0022q":"y","extra":{"deep":[1,2]},"name":"b\tc","id":"2"}"#,
            r#"{"id":"three"}"#,
        ] {
            batch
                .push_line(&format!(
                    r#"{{"type":"RECORD","record":{{"stream":"s","data":{data},"emitted_at":946684800123}}}}"#
                ))
                .expect("record");
        }
        let mut out = Vec::new();
        encoder
            .encode(batch.iter(), &StreamDescriptor::new("s"), &mut out)
            .expect("encode");
        let rows = tuples(&out);
        assert_eq!(rows.len(), 3);
        for row in &rows {
            assert_eq!(
                row.len(),
                7,
                "raw id, extracted at, generation, 3 columns, meta"
            );
            assert_eq!(row[0].as_ref().map(Vec::len), Some(36));
            assert_eq!(
                row[1],
                Some(123_000i64.to_be_bytes().to_vec()),
                "µs since 2000"
            );
            assert_eq!(row[2], Some(3i64.to_be_bytes().to_vec()));
        }
        assert_eq!(rows[0][3], Some(1i64.to_be_bytes().to_vec()));
        assert_eq!((text(&rows[0][4]), text(&rows[0][5])), ("a", "x"));
        assert_eq!(text(&rows[0][6]), "\u{1}{\"changes\":[],\"sync_id\":9}");
        assert_eq!(rows[1][3], Some(2i64.to_be_bytes().to_vec()));
        assert_eq!((text(&rows[1][4]), text(&rows[1][5])), ("b\tc", "y"));
        assert_eq!(rows[2][3..6], [None, None, None]);
        assert_eq!(
            text(&rows[2][6]),
            "\u{1}{\"changes\":[{\"change\":\"NULLED\",\"field\":\"id\",\"reason\":\"DESTINATION_TYPECAST_ERROR\"}],\"sync_id\":9}"
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
