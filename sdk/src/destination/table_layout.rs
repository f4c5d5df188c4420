//! The layout of the tables a Destinations V2 destination writes: the
//! metadata columns of a typed (final) table, and the whole of a raw table
//! (Airbyte's "raw tables only" mode, `disable_type_dedupe`), with their
//! logical types. A destination spells the types in its own SQL.

use airbyte_protocol::columns;

use super::LogicalType;

/// A column the destination adds itself, and its type.
///
/// ```
/// use airbyte_sdk::destination::{FINAL_META_COLUMNS, LogicalType};
///
/// let names: Vec<&str> = FINAL_META_COLUMNS.iter().map(|c| c.name).collect();
/// assert_eq!(names, airbyte_sdk::protocol::columns::FINAL_TABLE_META);
/// assert_eq!(FINAL_META_COLUMNS[1].ty, LogicalType::TimestampWithTimezone);
/// assert!(!FINAL_META_COLUMNS[1].nullable);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetaColumn {
    /// Its name (one of [`airbyte_protocol::columns`]).
    pub name: &'static str,
    /// Its type.
    pub ty: LogicalType,
    /// Whether it may be NULL.
    pub nullable: bool,
}

const fn column(name: &'static str, ty: LogicalType, nullable: bool) -> MetaColumn {
    MetaColumn { name, ty, nullable }
}

/// The length of an `_airbyte_raw_id` (see [`super::RawIds`]): a raw table
/// declares the column with it (`varchar(36)`).
///
/// ```
/// use airbyte_sdk::destination::{RAW_ID_LENGTH, RawIds};
/// assert_eq!(RawIds::new().next(0).len(), RAW_ID_LENGTH as usize);
/// ```
pub const RAW_ID_LENGTH: u32 = 36;

/// The metadata columns of a typed table, in order, before the stream's own
/// columns: `_airbyte_raw_id`, `_airbyte_extracted_at`, `_airbyte_meta`,
/// `_airbyte_generation_id`.
///
/// ```
/// use airbyte_sdk::destination::{FINAL_META_COLUMNS, LogicalType};
/// assert_eq!(FINAL_META_COLUMNS[2].name, "_airbyte_meta");
/// assert_eq!((FINAL_META_COLUMNS[3].ty, FINAL_META_COLUMNS[3].nullable), (LogicalType::Integer, true));
/// ```
pub const FINAL_META_COLUMNS: [MetaColumn; 4] = [
    column(columns::RAW_ID, LogicalType::String, false),
    column(
        columns::EXTRACTED_AT,
        LogicalType::TimestampWithTimezone,
        false,
    ),
    column(columns::META, LogicalType::Json, false),
    column(columns::GENERATION_ID, LogicalType::Integer, true),
];

/// Every column of a raw table, in order: `_airbyte_raw_id`,
/// `_airbyte_extracted_at`, `_airbyte_loaded_at` (NULL until typing and
/// deduping processes the row), `_airbyte_data` (the record's `data` as
/// JSON), `_airbyte_meta`, `_airbyte_generation_id`.
///
/// ```
/// use airbyte_sdk::destination::{LogicalType, RAW_COLUMNS};
///
/// let data = RAW_COLUMNS.iter().find(|c| c.name == "_airbyte_data").unwrap();
/// assert_eq!((data.ty, data.nullable), (LogicalType::Json, false));
/// assert!(RAW_COLUMNS[2].nullable, "_airbyte_loaded_at");
/// ```
pub const RAW_COLUMNS: [MetaColumn; 6] = [
    column(columns::RAW_ID, LogicalType::String, false),
    column(
        columns::EXTRACTED_AT,
        LogicalType::TimestampWithTimezone,
        false,
    ),
    column(columns::LOADED_AT, LogicalType::TimestampWithTimezone, true),
    column(columns::DATA, LogicalType::Json, false),
    column(columns::META, LogicalType::Json, true),
    column(columns::GENERATION_ID, LogicalType::Integer, true),
];

/// The default schema (dataset) of raw tables: `airbyte_internal`.
///
/// ```
/// assert_eq!(airbyte_sdk::destination::DEFAULT_RAW_SCHEMA, "airbyte_internal");
/// ```
pub const DEFAULT_RAW_SCHEMA: &str = "airbyte_internal";

/// The name of a stream's raw table, before the store adjusts it (case,
/// length): `<namespace>_raw__stream_<name>`. The run of underscores is one
/// longer than the longest run in the namespace and name joined (at least two), so
/// two streams never share a raw table, as in Airbyte's destinations.
///
/// ```
/// use airbyte_sdk::destination::raw_table_name;
///
/// assert_eq!(raw_table_name("public", "users"), "public_raw__stream_users");
/// // `a__b` + `c` and `a` + `b__c` would otherwise collide.
/// assert_eq!(raw_table_name("a__b", "c"), "a__b_raw___stream_c");
/// assert_eq!(raw_table_name("a", "b__c"), "a_raw___stream_b__c");
/// ```
pub fn raw_table_name(namespace: &str, name: &str) -> String {
    // Runs are counted in the two joined, as Airbyte does.
    let longest_run = namespace
        .chars()
        .chain(name.chars())
        .fold((0usize, 0usize), |(run, longest), c| {
            let run = if c == '_' { run + 1 } else { 0 };
            (run, longest.max(run))
        })
        .1
        .max(1);
    format!(
        "{namespace}_raw{}stream_{name}",
        "_".repeat(longest_run + 1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_names_never_collide() {
        assert_eq!(raw_table_name("a", "b"), "a_raw__stream_b");
        assert_eq!(raw_table_name("", "b"), "_raw__stream_b");
        assert_eq!(
            raw_table_name("aaa_abab_bbb", "ccc"),
            "aaa_abab_bbb_raw__stream_ccc"
        );
        assert_eq!(
            raw_table_name("aaa", "bbb_abab_ccc"),
            "aaa_raw__stream_bbb_abab_ccc"
        );
        assert_eq!(raw_table_name("x___", "y"), "x____raw____stream_y");
        // A run across the namespace and the name counts whole.
        assert_eq!(raw_table_name("a_", "_b"), "a__raw___stream__b");
        assert_ne!(
            raw_table_name("a_raw__stream_b", "c"),
            raw_table_name("a", "b_raw__stream_c")
        );
        assert_eq!(
            raw_table_name("Public", "Ünïcode"),
            "Public_raw__stream_Ünïcode"
        );
    }

    #[test]
    fn layouts_name_airbyte_columns() {
        let final_names: Vec<&str> = FINAL_META_COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(final_names, columns::FINAL_TABLE_META);
        let raw: Vec<(&str, LogicalType, bool)> = RAW_COLUMNS
            .iter()
            .map(|c| (c.name, c.ty, c.nullable))
            .collect();
        assert_eq!(
            raw,
            [
                ("_airbyte_raw_id", LogicalType::String, false),
                (
                    "_airbyte_extracted_at",
                    LogicalType::TimestampWithTimezone,
                    false
                ),
                (
                    "_airbyte_loaded_at",
                    LogicalType::TimestampWithTimezone,
                    true
                ),
                ("_airbyte_data", LogicalType::Json, false),
                ("_airbyte_meta", LogicalType::Json, true),
                ("_airbyte_generation_id", LogicalType::Integer, true),
            ]
        );
        assert!(RAW_COLUMNS.iter().all(|c| columns::is_airbyte_meta(c.name)));
    }
}
