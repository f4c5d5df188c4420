//! What a destination does with each configured stream: its sync mode,
//! key, cursor, generations and columns, checked once for every destination.

use airbyte_protocol::{
    ConfiguredAirbyteCatalog, ConfiguredAirbyteStream, DestinationSyncMode, StreamDescriptor,
    columns,
};
use serde_json::Value;

use super::{DedupOrder, LogicalType};
use crate::error::Error;

/// One column of a stream: a property of its JSON Schema.
///
/// ```
/// use airbyte_sdk::destination::{LogicalType, PlanColumn};
///
/// let c = PlanColumn { name: "price".into(), ty: LogicalType::Number };
/// assert_eq!((c.name.as_str(), c.ty), ("price", LogicalType::Number));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanColumn {
    /// The property's name in the records' `data`.
    pub name: String,
    /// Its type.
    pub ty: LogicalType,
}

/// What a CDC delete (a record with `_ab_cdc_deleted_at` set) does in
/// `append_dedup` mode (a destination's `cdc_deletion_mode`).
///
/// ```
/// use airbyte_sdk::destination::{CdcDeletion, StreamPlan};
/// use airbyte_sdk::protocol::ConfiguredAirbyteStream;
///
/// let configured: ConfiguredAirbyteStream = airbyte_sdk::serde_json::from_str(
///     r#"{"stream":{"name":"s","json_schema":{"properties":{"id":{"type":"integer"},"_ab_cdc_deleted_at":{"type":"string"}}},"supported_sync_modes":["incremental"]},
///        "sync_mode":"incremental","destination_sync_mode":"append_dedup","primary_key":[["id"]]}"#,
/// )?;
/// let plan = StreamPlan::new(0, &configured);
/// assert!(plan.hard_deletes(CdcDeletion::Hard));
/// assert!(!plan.hard_deletes(CdcDeletion::Soft), "soft deletes keep the row");
/// # Ok::<(), airbyte_sdk::serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CdcDeletion {
    /// The row of the key is deleted.
    Hard,
    /// The row is kept, with `_ab_cdc_deleted_at` set.
    Soft,
}

/// How one configured stream is written, as the SDK hands it to
/// [`super::Destination::open`]: already checked against the destination's
/// supported sync modes, and an `append_dedup` stream has a primary key.
///
/// ```
/// use airbyte_sdk::destination::{LogicalType, StreamPlan};
/// use airbyte_sdk::protocol::{AirbyteStream, ConfiguredAirbyteStream, DestinationSyncMode, JsonObject, SyncMode};
///
/// let schema = JsonObject::from_string(
///     r#"{"properties":{"id":{"type":"integer"},"at":{"type":"string","format":"date-time"}}}"#.into(),
/// )?;
/// let mut configured = ConfiguredAirbyteStream::new(
///     AirbyteStream::new("users", schema, vec![SyncMode::Incremental]),
///     SyncMode::Incremental,
///     DestinationSyncMode::Append,
/// );
/// configured.generation_id = Some(4);
/// configured.minimum_generation_id = Some(4);
/// let plan = StreamPlan::new(0, &configured);
/// // A refresh that replaces every older generation truncates, even in append mode.
/// assert!(plan.truncates());
/// assert!(!plan.removes_old_generations());
/// let types: Vec<_> = plan.columns.iter().map(|c| (c.name.as_str(), c.ty)).collect();
/// assert_eq!(types, [("at", LogicalType::TimestampWithTimezone), ("id", LogicalType::Integer)]);
/// # Ok::<(), airbyte_sdk::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamPlan {
    /// The stream's index in the configured catalog (as in [`super::Batch::stream`]).
    pub index: usize,
    /// The stream.
    pub descriptor: StreamDescriptor,
    /// How to write it.
    pub mode: DestinationSyncMode,
    /// The primary key (the configured one, else the source's), as paths; may be empty.
    pub primary_key: Vec<Vec<String>>,
    /// The cursor (the configured one, else the source's default), as a path.
    pub cursor: Option<Vec<String>>,
    /// The generation this sync writes.
    pub generation_id: Option<i64>,
    /// Rows of older generations than this are removed (0: none are).
    pub minimum_generation_id: i64,
    /// The sync's id.
    pub sync_id: Option<i64>,
    /// The stream's columns, in the order of its JSON Schema's
    /// `properties`, without properties named like the metadata columns of
    /// a typed table (`_airbyte_raw_id`, ...), which the destination writes.
    pub columns: Vec<PlanColumn>,
    configured: ConfiguredAirbyteStream,
}

impl StreamPlan {
    /// The plan of `configured`, the `index`-th stream of its catalog (not
    /// checked: the SDK checks what it hands to `open` with
    /// [`Self::for_catalog`]).
    pub fn new(index: usize, configured: &ConfiguredAirbyteStream) -> Self {
        let schema = configured.stream.json_schema.as_raw().to_value();
        StreamPlan {
            index,
            descriptor: configured.stream.descriptor(),
            mode: configured.destination_sync_mode,
            primary_key: configured
                .effective_primary_key()
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            cursor: configured.effective_cursor_field().map(<[_]>::to_vec),
            generation_id: configured.generation_id,
            minimum_generation_id: configured.minimum_generation_id.unwrap_or(0),
            sync_id: configured.sync_id,
            columns: columns_of(&schema),
            configured: configured.clone(),
        }
    }

    /// The plans of every stream of `catalog`, checked: a sync mode that
    /// `supported` (the destination's `supported_destination_sync_modes`)
    /// does not list, and an `append_dedup` stream without a primary key,
    /// are config errors that name the stream. `None` accepts every mode.
    ///
    /// ```
    /// use airbyte_sdk::destination::StreamPlan;
    /// use airbyte_sdk::protocol::{ConfiguredAirbyteCatalog, DestinationSyncMode};
    ///
    /// let catalog: ConfiguredAirbyteCatalog = airbyte_sdk::serde_json::from_str(
    ///     r#"{"streams":[{"stream":{"name":"s","json_schema":{},"supported_sync_modes":["incremental"]},
    ///        "sync_mode":"incremental","destination_sync_mode":"append_dedup"}]}"#,
    /// )?;
    /// let err = StreamPlan::for_catalog(&catalog, None).unwrap_err();
    /// assert!(err.to_string().contains("stream `s` is append_dedup but has no primary key"));
    /// let err = StreamPlan::for_catalog(&catalog, Some(&[DestinationSyncMode::Append])).unwrap_err();
    /// assert!(err.to_string().contains("stream `s`: sync mode append_dedup is not supported"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_catalog(
        catalog: &ConfiguredAirbyteCatalog,
        supported: Option<&[DestinationSyncMode]>,
    ) -> Result<Vec<StreamPlan>, Error> {
        catalog
            .streams
            .iter()
            .enumerate()
            .map(|(i, configured)| {
                let plan = StreamPlan::new(i, configured);
                plan.check(supported)?;
                Ok(plan)
            })
            .collect()
    }

    fn check(&self, supported: Option<&[DestinationSyncMode]>) -> Result<(), Error> {
        let stream = &self.descriptor;
        let mode = mode_name(self.mode);
        if let Some(supported) = supported.filter(|s| !s.contains(&self.mode)) {
            let listed: Vec<&str> = supported.iter().map(|m| mode_name(*m)).collect();
            return Err(Error::config(format!(
                "stream `{stream}`: sync mode {mode} is not supported by this destination (it supports {}); choose another in the connection",
                listed.join(", ")
            ))
            .with_stream(stream.clone()));
        }
        if self.dedups() && self.primary_key.is_empty() {
            return Err(Error::config(format!(
                "stream `{stream}` is append_dedup but has no primary key: set one in the connection, or choose append or overwrite"
            ))
            .with_stream(stream.clone()));
        }
        Ok(())
    }

    /// The configured stream, as the catalog has it.
    pub fn configured(&self) -> &ConfiguredAirbyteStream {
        &self.configured
    }

    /// Whether this sync replaces the stream's data: an `overwrite`, or a
    /// refresh whose generation is the minimum kept (`generation_id ==
    /// minimum_generation_id > 0`). The rows are written aside and swapped
    /// in at the end, so readers never see a partial table.
    pub fn truncates(&self) -> bool {
        self.mode == DestinationSyncMode::Overwrite
            || self
                .generation_id
                .is_some_and(|g| g > 0 && g == self.minimum_generation_id)
    }

    /// Whether, at the end of the sync, rows of older generations (a
    /// generation NULL or below [`Self::minimum_generation_id`]) are deleted:
    /// when a minimum is set and the sync does not [truncate](Self::truncates).
    pub fn removes_old_generations(&self) -> bool {
        self.minimum_generation_id > 0 && !self.truncates()
    }

    /// Whether the stream keeps only the newest row per primary key.
    pub fn dedups(&self) -> bool {
        self.mode == DestinationSyncMode::AppendDedup
    }

    /// Whether a CDC delete removes its key's row: a dedup stream, in hard
    /// delete mode, with a `_ab_cdc_deleted_at` column.
    pub fn hard_deletes(&self, mode: CdcDeletion) -> bool {
        self.dedups()
            && mode == CdcDeletion::Hard
            && self
                .columns
                .iter()
                .any(|c| c.name == columns::CDC_DELETED_AT)
    }

    /// The order dedup keeps the newest version of a key by.
    pub fn dedup_order(&self) -> DedupOrder {
        DedupOrder::new(self.cursor.clone())
    }
}

/// The user columns of a stream's JSON Schema.
fn columns_of(schema: &Value) -> Vec<PlanColumn> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .filter(|(name, _)| !columns::FINAL_TABLE_META.contains(&name.as_str()))
        .map(|(name, prop)| PlanColumn {
            name: name.clone(),
            ty: LogicalType::of(prop),
        })
        .collect()
}

/// A sync mode as the protocol spells it.
fn mode_name(mode: DestinationSyncMode) -> &'static str {
    match mode {
        DestinationSyncMode::Append => "append",
        DestinationSyncMode::Overwrite => "overwrite",
        DestinationSyncMode::AppendDedup => "append_dedup",
        DestinationSyncMode::Update => "update",
        DestinationSyncMode::SoftDelete => "soft_delete",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airbyte_protocol::{AirbyteStream, JsonObject, SyncMode};

    fn configured(mode: DestinationSyncMode, schema: &str) -> ConfiguredAirbyteStream {
        let schema = JsonObject::from_string(schema.to_owned()).expect("schema");
        ConfiguredAirbyteStream::new(
            AirbyteStream::new("s", schema, vec![SyncMode::Incremental]),
            SyncMode::Incremental,
            mode,
        )
    }

    fn plan(
        mode: DestinationSyncMode,
        generation: Option<i64>,
        minimum: Option<i64>,
    ) -> StreamPlan {
        let mut c = configured(mode, "{}");
        c.generation_id = generation;
        c.minimum_generation_id = minimum;
        StreamPlan::new(0, &c)
    }

    #[test]
    fn the_truncate_rule() {
        use DestinationSyncMode::*;
        // (mode, generation_id, minimum_generation_id, truncates, removes old generations)
        let cases = [
            (Overwrite, None, None, true, false),
            (Overwrite, Some(3), Some(0), true, false),
            (Overwrite, Some(3), Some(2), true, false),
            (Append, None, None, false, false),
            (Append, Some(0), Some(0), false, false),
            (Append, Some(3), Some(3), true, false),
            (Append, Some(3), Some(2), false, true),
            (Append, Some(3), None, false, false),
            (Append, None, Some(2), false, true),
            (AppendDedup, Some(5), Some(5), true, false),
            (AppendDedup, Some(5), Some(1), false, true),
            (AppendDedup, Some(-1), Some(-1), false, false),
        ];
        for (mode, g, m, truncates, removes) in cases {
            let p = plan(mode, g, m);
            assert_eq!(p.truncates(), truncates, "{mode:?} {g:?} {m:?}");
            assert_eq!(p.removes_old_generations(), removes, "{mode:?} {g:?} {m:?}");
        }
        assert_eq!(plan(Append, None, Some(2)).minimum_generation_id, 2);
        assert_eq!(plan(Append, None, None).minimum_generation_id, 0);
    }

    #[test]
    fn the_hard_delete_decision() {
        use DestinationSyncMode::*;
        let cdc = r#"{"properties":{"id":{"type":"integer"},"_ab_cdc_deleted_at":{"type":["null","string"],"format":"date-time"}}}"#;
        let plain = r#"{"properties":{"id":{"type":"integer"}}}"#;
        let hard = |mode, schema| StreamPlan::new(0, &configured(mode, schema));
        assert!(hard(AppendDedup, cdc).hard_deletes(CdcDeletion::Hard));
        assert!(!hard(AppendDedup, cdc).hard_deletes(CdcDeletion::Soft));
        assert!(!hard(AppendDedup, plain).hard_deletes(CdcDeletion::Hard));
        assert!(!hard(Append, cdc).hard_deletes(CdcDeletion::Hard));
        assert!(!hard(Overwrite, cdc).hard_deletes(CdcDeletion::Hard));
    }

    #[test]
    fn keys_cursors_and_columns() {
        let schema = r#"{"properties":{"b":{"type":"number"},"a":{"type":"string"},"_airbyte_raw_id":{"type":"string"},"_airbyte_meta":{"type":"object"},"_airbyte_data":{"type":"object"}}}"#;
        let mut c = configured(DestinationSyncMode::AppendDedup, schema);
        c.stream.source_defined_primary_key = Some(vec![vec!["a".into()]]);
        c.stream.default_cursor_field = Some(vec!["b".into()]);
        c.sync_id = Some(77);
        let p = StreamPlan::new(3, &c);
        assert_eq!((p.index, p.sync_id), (3, Some(77)));
        assert_eq!(p.primary_key, [vec!["a".to_owned()]], "the source's key");
        assert_eq!(p.cursor, Some(vec!["b".to_owned()]), "the source's cursor");
        let names: Vec<&str> = p.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["_airbyte_data", "a", "b"],
            "final-table metadata columns are left out"
        );
        assert_eq!(p.columns[2].ty, LogicalType::Number);
        assert_eq!(p.dedup_order().cursor(), Some(&["b".to_owned()][..]));
        assert_eq!(p.configured().sync_id, Some(77));
        // The configured key and cursor win over the source's.
        c.primary_key = Some(vec![vec!["b".into()]]);
        c.cursor_field = Some(vec!["a".into()]);
        let p = StreamPlan::new(0, &c);
        assert_eq!(
            (p.primary_key[0][0].as_str(), p.cursor.as_deref()),
            ("b", Some(&["a".to_owned()][..]))
        );
        // An empty configured key falls back to the source's.
        c.primary_key = Some(vec![]);
        assert_eq!(StreamPlan::new(0, &c).primary_key, [vec!["a".to_owned()]]);
    }
}
