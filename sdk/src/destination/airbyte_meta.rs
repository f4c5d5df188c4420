//! `_airbyte_meta`: the sync id and what was changed in a record.

use airbyte_protocol::{AirbyteRecordMessageMetaChange, ChangeReason, ChangeType};

use super::RecordView;
use crate::error::Error;

/// Builds the `_airbyte_meta` of each record of one stream:
/// `{"changes":[…],"sync_id":…}`, where `changes` are the source's own
/// (`record.meta.changes`) followed by one
/// `{"field", "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"}`
/// per value the destination could not cast to its column's type.
///
/// A record without changes gets [`Self::empty`], built once: most records
/// cost nothing here.
///
/// ```
/// use airbyte_sdk::destination::{AirbyteMeta, Batch};
/// use airbyte_sdk::protocol::StreamDescriptor;
///
/// let meta = AirbyteMeta::new(Some(9));
/// assert_eq!(meta.empty(), r#"{"changes":[],"sync_id":9}"#);
///
/// let mut batch = Batch::new(0, StreamDescriptor::new("s"));
/// batch.push_line(r#"{"type":"RECORD","record":{"stream":"s","data":{"n":"x"},"emitted_at":1}}"#)?;
/// let record = batch.iter().next().unwrap();
/// assert_eq!(meta.of(&record, [])?, None, "no change: use `empty()`");
/// assert_eq!(
///     meta.of(&record, ["n"])?.as_deref(),
///     Some(r#"{"changes":[{"change":"NULLED","field":"n","reason":"DESTINATION_TYPECAST_ERROR"}],"sync_id":9}"#)
/// );
/// # Ok::<(), airbyte_sdk::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AirbyteMeta {
    sync_id: Option<i64>,
    empty: String,
}

impl AirbyteMeta {
    /// The meta of the records of a sync `sync_id` (the configured stream's).
    pub fn new(sync_id: Option<i64>) -> Self {
        AirbyteMeta {
            sync_id,
            empty: serde_json::json!({"sync_id": sync_id, "changes": []}).to_string(),
        }
    }

    /// The meta of a record without changes.
    pub fn empty(&self) -> &str {
        &self.empty
    }

    /// The meta of `record` whose fields `nulled` could not be cast (and
    /// were written as NULL), or `None` when there is no change at all: then
    /// it is [`Self::empty`].
    pub fn of<'n>(
        &self,
        record: &RecordView<'_>,
        nulled: impl IntoIterator<Item = &'n str>,
    ) -> Result<Option<String>, Error> {
        let mut changes = match record.meta_json() {
            None | Some("null") => Vec::new(),
            Some(_) => record.meta()?.and_then(|m| m.changes).unwrap_or_default(),
        };
        changes.extend(nulled.into_iter().map(|field| {
            AirbyteRecordMessageMetaChange::new(
                field,
                ChangeType::Nulled,
                ChangeReason::DestinationTypecastError,
            )
        }));
        if changes.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            serde_json::json!({"sync_id": self.sync_id, "changes": changes}).to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::Batch;
    use airbyte_protocol::StreamDescriptor;
    use serde_json::{Value, json};

    fn batch(records: &[&str]) -> Batch {
        let mut batch = Batch::new(0, StreamDescriptor::new("s"));
        for record in records {
            batch
                .push_line(&format!(
                    r#"{{"type":"RECORD","record":{{"stream":"s","data":{{}},"emitted_at":1{record}}}}}"#
                ))
                .expect("record");
        }
        batch
    }

    #[test]
    fn source_changes_come_first_then_ours() {
        let meta = AirbyteMeta::new(None);
        assert_eq!(meta.empty(), r#"{"changes":[],"sync_id":null}"#);
        let b = batch(&[
            r#","meta":{"changes":[{"field":"big","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}]}"#,
            r#","meta":null"#,
            r#","meta":{}"#,
            "",
        ]);
        let records: Vec<_> = b.iter().collect();
        let with_source: Value = serde_json::from_str(
            &meta
                .of(&records[0], ["a", "b"])
                .expect("meta")
                .expect("changed"),
        )
        .expect("json");
        assert_eq!(
            with_source,
            json!({"sync_id": null, "changes": [
                {"field": "big", "change": "TRUNCATED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"},
                {"field": "a", "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"},
                {"field": "b", "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"},
            ]})
        );
        let source_only = meta.of(&records[0], []).expect("meta").expect("changed");
        assert!(source_only.contains("TRUNCATED") && !source_only.contains("NULLED"));
        for record in &records[1..] {
            assert_eq!(meta.of(record, []).expect("meta"), None);
        }
    }
}
