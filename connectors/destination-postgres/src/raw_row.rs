//! One record → one row of binary COPY into a raw table: the columns of
//! the SDK's raw layout ([`RAW_COLUMNS`]), in its order, with `data` as
//! jsonb, untyped, and `_airbyte_loaded_at` NULL.

use airbyte_postgres_common::ident;
use airbyte_sdk::Error;
use airbyte_sdk::destination::{AirbyteMeta, RAW_COLUMNS, RawIds, RecordView, StreamPlan};
use airbyte_sdk::protocol::{StreamDescriptor, columns};

use crate::value;

/// A column of the raw layout.
#[derive(Debug, Clone, Copy)]
enum Field {
    RawId,
    ExtractedAt,
    LoadedAt,
    Data,
    Meta,
    Generation,
}

/// Encodes the records of one stream as raw-table rows.
#[derive(Debug)]
pub struct RawRowEncoder {
    fields: Vec<Field>,
    generation: Vec<u8>,
    meta: AirbyteMeta,
    /// The `_airbyte_meta` field without changes.
    empty_meta: Vec<u8>,
    ids: RawIds,
}

impl RawRowEncoder {
    /// An encoder for the stream of `plan`.
    pub fn new(plan: &StreamPlan) -> Result<Self, Error> {
        let fields = RAW_COLUMNS
            .iter()
            .map(|c| match c.name {
                columns::RAW_ID => Ok(Field::RawId),
                columns::EXTRACTED_AT => Ok(Field::ExtractedAt),
                columns::LOADED_AT => Ok(Field::LoadedAt),
                columns::DATA => Ok(Field::Data),
                columns::META => Ok(Field::Meta),
                columns::GENERATION_ID => Ok(Field::Generation),
                other => Err(Error::system(format!(
                    "the raw table layout has a column `{other}` this destination cannot write"
                ))),
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let meta = AirbyteMeta::new(plan.sync_id);
        let mut empty_meta = Vec::new();
        value::jsonb_field(meta.empty(), &mut empty_meta);
        Ok(RawRowEncoder {
            fields,
            generation: value::generation_field(plan.generation_id),
            meta,
            empty_meta,
            ids: RawIds::new(),
        })
    }

    /// Appends one row per record to `out`.
    pub fn encode<'a>(
        &mut self,
        records: impl Iterator<Item = RecordView<'a>>,
        descriptor: &StreamDescriptor,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let count = i16::try_from(self.fields.len()).unwrap_or(i16::MAX);
        for record in records {
            out.extend_from_slice(&count.to_be_bytes());
            for field in &self.fields {
                match field {
                    Field::RawId => value::raw_id_field(&self.ids, record.emitted_at(), out),
                    Field::ExtractedAt => value::extracted_at_field(record.emitted_at(), out),
                    Field::LoadedAt => value::null(out),
                    Field::Data => {
                        let data = record.data();
                        if !data.trim_start().starts_with('{') {
                            return Err(Error::system(format!(
                                "a record of `{descriptor}` has data that is not a JSON object"
                            )));
                        }
                        value::jsonb_field(data, out);
                    }
                    Field::Meta => match self.meta.of(&record, [])? {
                        Some(meta) => value::jsonb_field(&meta, out),
                        None => out.extend_from_slice(&self.empty_meta),
                    },
                    Field::Generation => out.extend_from_slice(&self.generation),
                }
            }
        }
        Ok(())
    }
}

/// The raw columns, quoted, in the order [`RawRowEncoder`] writes them.
pub fn copy_columns() -> String {
    RAW_COLUMNS
        .iter()
        .map(|c| ident(c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::tests::{text, tuples};
    use airbyte_sdk::destination::Batch;
    use airbyte_sdk::protocol::ConfiguredAirbyteStream;

    #[test]
    fn raw_rows_keep_data_whole_and_untyped() {
        let configured: ConfiguredAirbyteStream = serde_json::from_str(
            r#"{"stream":{"name":"s","json_schema":{"properties":{"id":{"type":"integer"}}},"supported_sync_modes":["full_refresh"]},"sync_mode":"full_refresh","destination_sync_mode":"append","generation_id":4,"sync_id":12}"#,
        )
        .expect("stream");
        let mut encoder = RawRowEncoder::new(&StreamPlan::new(0, &configured)).expect("encoder");
        let mut batch = Batch::new(0, StreamDescriptor::new("s"));
        for (data, meta) in [
            (r#"{"id":"not an integer","x\u0000":[1,{"y":null}]}"#, ""),
            (
                r#"{"id":2}"#,
                r#","meta":{"changes":[{"field":"id","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}]}"#,
            ),
        ] {
            batch
                .push_line(&format!(
                    r#"{{"type":"RECORD","record":{{"stream":"s","data":{data},"emitted_at":946684800001{meta}}}}}"#
                ))
                .expect("record");
        }
        let mut out = Vec::new();
        encoder
            .encode(batch.iter(), &batch.descriptor, &mut out)
            .expect("encode");
        let rows = tuples(&out);
        assert_eq!(rows.len(), 2);
        for row in &rows {
            assert_eq!(row.len(), 6, "the raw layout");
            assert_eq!(row[0].as_ref().map(Vec::len), Some(36), "raw id");
            assert_eq!(
                row[1],
                Some(1000i64.to_be_bytes().to_vec()),
                "µs since 2000"
            );
            assert_eq!(row[2], None, "_airbyte_loaded_at");
            assert_eq!(row[5], Some(4i64.to_be_bytes().to_vec()), "generation");
        }
        // jsonb: version 1, then the text as sent, mended (no NUL).
        assert_eq!(
            text(&rows[0][3]),
            "\u{1}{\"id\":\"not an integer\",\"x\":[1,{\"y\":null}]}"
        );
        assert_eq!(text(&rows[0][4]), "\u{1}{\"changes\":[],\"sync_id\":12}");
        assert!(text(&rows[1][4]).contains("SOURCE_FIELD_SIZE_LIMITATION"));
        assert!(
            !text(&rows[1][4]).contains("NULLED"),
            "no typing in raw mode"
        );
        assert_eq!(
            copy_columns(),
            r#""_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_loaded_at", "_airbyte_data", "_airbyte_meta", "_airbyte_generation_id""#
        );
    }
}
