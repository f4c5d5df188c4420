//! The names Airbyte gives its own columns: the `_airbyte_*` metadata
//! columns destinations add to every table, and the `_ab_cdc_*` columns CDC
//! sources add to every record. Use these instead of spelling them.
//!
//! ```
//! use airbyte_protocol::columns;
//!
//! assert_eq!(columns::RAW_ID, "_airbyte_raw_id");
//! assert_eq!(columns::FINAL_TABLE_META, [columns::RAW_ID, columns::EXTRACTED_AT, columns::META, columns::GENERATION_ID]);
//! assert!(columns::is_airbyte_meta("_airbyte_meta") && !columns::is_airbyte_meta("_ab_cdc_lsn"));
//! ```

/// A record's unique id (a UUID), set by the destination.
pub const RAW_ID: &str = "_airbyte_raw_id";
/// When the source read the record: its `emitted_at`.
pub const EXTRACTED_AT: &str = "_airbyte_extracted_at";
/// When typing and deduping processed a raw row (raw tables only).
pub const LOADED_AT: &str = "_airbyte_loaded_at";
/// `{"sync_id": …, "changes": […]}`: the sync and what was changed in the record.
pub const META: &str = "_airbyte_meta";
/// The generation of the sync that wrote the row.
pub const GENERATION_ID: &str = "_airbyte_generation_id";
/// The record's `data` as JSON (raw tables only).
pub const DATA: &str = "_airbyte_data";

/// The metadata columns of a final (typed) table, in the order destinations create them.
pub const FINAL_TABLE_META: [&str; 4] = [RAW_ID, EXTRACTED_AT, META, GENERATION_ID];
/// The metadata columns of a raw table, before [`DATA`].
pub const RAW_TABLE_META: [&str; 5] = [RAW_ID, EXTRACTED_AT, LOADED_AT, META, GENERATION_ID];

/// The suffix of the table an overwrite fills before it replaces the final one.
pub const TMP_TABLE_SUFFIX: &str = "_airbyte_tmp";

/// The log position of a CDC change (PostgreSQL: the LSN, a number).
pub const CDC_LSN: &str = "_ab_cdc_lsn";
/// When a CDC change was committed.
pub const CDC_UPDATED_AT: &str = "_ab_cdc_updated_at";
/// When a CDC delete was committed; `null` for other changes.
pub const CDC_DELETED_AT: &str = "_ab_cdc_deleted_at";
/// A monotonically increasing cursor of CDC changes (MySQL, SQL Server, MongoDB).
pub const CDC_CURSOR: &str = "_ab_cdc_cursor";

/// The CDC columns a PostgreSQL CDC source adds to each record, in order.
pub const CDC_POSTGRES: [&str; 3] = [CDC_LSN, CDC_UPDATED_AT, CDC_DELETED_AT];

/// Whether `name` is one of the `_airbyte_*` metadata columns.
pub fn is_airbyte_meta(name: &str) -> bool {
    RAW_TABLE_META.contains(&name) || name == DATA
}
