//! Which record of a primary key `append_dedup` keeps: the newest, by
//! cursor, then extraction time, then arrival.

use std::cmp::Ordering;
use std::collections::HashMap;

use airbyte_protocol::columns;
use serde_json::value::RawValue;

use crate::error::Error;
use crate::source::CursorValue;

/// The order of the versions of one primary key, newest first: the cursor
/// descending with NULLs (and missing cursors) last, then
/// `_airbyte_extracted_at` descending, then arrival (`_airbyte_raw_id`,
/// which increases with arrival) descending. Dedup keeps the first.
///
/// A SQL destination renders [`Self::keys`] into `ORDER BY` of a
/// `row_number()` window; a destination that dedups in memory compares
/// [`RecordVersion`]s, built by [`Self::version`].
///
/// ```
/// use airbyte_sdk::destination::{DedupOrder, OrderColumn};
///
/// let order = DedupOrder::new(Some(vec!["updated_at".to_owned()]));
/// let sql: Vec<String> = order
///     .keys()
///     .iter()
///     .map(|k| {
///         let column = match k.column {
///             OrderColumn::Cursor(path) => format!("\"{}\"", path[0]),
///             other => other.meta_column().unwrap_or_default().to_owned(),
///         };
///         format!("{column} DESC{}", if k.nulls_last { " NULLS LAST" } else { "" })
///     })
///     .collect();
/// assert_eq!(
///     sql.join(", "),
///     "\"updated_at\" DESC NULLS LAST, _airbyte_extracted_at DESC, _airbyte_raw_id DESC"
/// );
///
/// // In memory: 10 beats 9 (as numbers), whatever the arrival order.
/// let nine = order.version(r#"{"updated_at": 9}"#, 5, 0)?;
/// let ten = order.version(r#"{"updated_at": 10}"#, 1, 1)?;
/// assert!(ten > nine);
/// # Ok::<(), airbyte_sdk::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupOrder {
    cursor: Option<Vec<String>>,
}

/// One term of a [`DedupOrder`]: always descending.
///
/// ```
/// use airbyte_sdk::destination::{DedupOrder, OrderColumn};
///
/// let order = DedupOrder::new(None);
/// let keys = order.keys();
/// assert_eq!(keys[0].column, OrderColumn::ExtractedAt);
/// assert!(!keys[0].nulls_last, "only a cursor can be NULL");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderKey<'a> {
    /// What is compared.
    pub column: OrderColumn<'a>,
    /// Whether NULLs sort after every value (`DESC NULLS LAST`); only the
    /// cursor can be NULL.
    pub nulls_last: bool,
}

/// What an [`OrderKey`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderColumn<'a> {
    /// The cursor: its path in the record's `data`.
    Cursor(&'a [String]),
    /// `_airbyte_extracted_at`: the record's `emitted_at`.
    ExtractedAt,
    /// `_airbyte_raw_id`: the order of arrival.
    RawId,
}

impl OrderColumn<'_> {
    /// The metadata column compared, for [`OrderColumn::ExtractedAt`] and
    /// [`OrderColumn::RawId`]; `None` for the cursor (a user column).
    ///
    /// ```
    /// use airbyte_sdk::destination::OrderColumn;
    /// assert_eq!(OrderColumn::RawId.meta_column(), Some("_airbyte_raw_id"));
    /// assert_eq!(OrderColumn::Cursor(&["v".to_owned()]).meta_column(), None);
    /// ```
    pub fn meta_column(&self) -> Option<&'static str> {
        match self {
            OrderColumn::Cursor(_) => None,
            OrderColumn::ExtractedAt => Some(columns::EXTRACTED_AT),
            OrderColumn::RawId => Some(columns::RAW_ID),
        }
    }
}

impl DedupOrder {
    /// The order for a stream whose cursor is at `cursor` (a path in
    /// `data`; `None` or an empty path: no cursor).
    pub fn new(cursor: Option<Vec<String>>) -> Self {
        DedupOrder {
            cursor: cursor.filter(|c| !c.is_empty()),
        }
    }

    /// The cursor's path, if the stream has one.
    pub fn cursor(&self) -> Option<&[String]> {
        self.cursor.as_deref()
    }

    /// The terms, most significant first.
    pub fn keys(&self) -> Vec<OrderKey<'_>> {
        let mut keys = Vec::with_capacity(3);
        if let Some(path) = &self.cursor {
            keys.push(OrderKey {
                column: OrderColumn::Cursor(path),
                nulls_last: true,
            });
        }
        for column in [OrderColumn::ExtractedAt, OrderColumn::RawId] {
            keys.push(OrderKey {
                column,
                nulls_last: false,
            });
        }
        keys
    }

    /// The version of a record whose `data` is the JSON object text `data`,
    /// extracted at `extracted_at` (its `emitted_at`) and `arrival`-th to
    /// arrive. A cursor that is missing, `null`, or under a value that is
    /// not an object, is NULL. Invalid JSON is an error.
    pub fn version(
        &self,
        data: &str,
        extracted_at: i64,
        arrival: u64,
    ) -> Result<RecordVersion, Error> {
        let cursor = match &self.cursor {
            Some(path) => cursor_at(data, path)?,
            None => None,
        };
        Ok(RecordVersion {
            cursor,
            extracted_at,
            arrival,
        })
    }
}

/// The cursor at `path` in the JSON object `data`, typed (see [`CursorValue::from_json`]).
fn cursor_at(data: &str, path: &[String]) -> Result<Option<CursorValue>, Error> {
    let mut raw: &RawValue = serde_json::from_str(data)?;
    for key in path {
        // Owned keys: a key may have escapes.
        let Ok(object) = serde_json::from_str::<HashMap<String, &RawValue>>(raw.get()) else {
            return Ok(None);
        };
        match object.get(key.as_str()) {
            Some(value) => raw = value,
            None => return Ok(None),
        }
    }
    Ok(CursorValue::from_json(raw.get())?)
}

/// One version of a primary key, as [`DedupOrder`] orders them: the greater
/// is the newer, the one dedup keeps.
///
/// ```
/// use airbyte_sdk::destination::RecordVersion;
/// use airbyte_sdk::source::CursorValue;
///
/// let v = |cursor: Option<i128>, extracted_at, arrival| RecordVersion {
///     cursor: cursor.map(CursorValue::Integer),
///     extracted_at,
///     arrival,
/// };
/// assert!(v(Some(2), 1, 0) > v(Some(1), 9, 1), "the cursor first");
/// assert!(v(Some(1), 2, 0) > v(Some(1), 1, 1), "then the extraction time");
/// assert!(v(Some(1), 1, 1) > v(Some(1), 1, 0), "then the later arrival");
/// assert!(v(Some(-5), 1, 0) > v(None, 9, 1), "a NULL cursor loses");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVersion {
    /// The cursor, typed; `None` when NULL or missing.
    pub cursor: Option<CursorValue>,
    /// When it was extracted (`emitted_at`, ms since the epoch).
    pub extracted_at: i64,
    /// Its place in the order of arrival.
    pub arrival: u64,
}

impl PartialOrd for RecordVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RecordVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        // `None < Some`: a NULL cursor is older than any value.
        self.cursor
            .cmp(&other.cursor)
            .then(self.extracted_at.cmp(&other.extracted_at))
            .then(self.arrival.cmp(&other.arrival))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(path: &[&str]) -> DedupOrder {
        DedupOrder::new(Some(path.iter().map(|p| (*p).to_owned()).collect()))
    }

    /// The record kept among `(data, extracted_at)` versions, in arrival order.
    fn kept(order: &DedupOrder, versions: &[(&str, i64)]) -> usize {
        versions
            .iter()
            .enumerate()
            .map(|(i, (data, at))| (order.version(data, *at, i as u64).expect("version"), i))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, i)| i)
            .expect("some")
    }

    #[test]
    fn out_of_order_cursors_compare_by_value() {
        let o = order(&["v"]);
        // The newest cursor wins wherever it arrives.
        assert_eq!(kept(&o, &[(r#"{"v":10}"#, 1), (r#"{"v":9}"#, 2)]), 0);
        assert_eq!(kept(&o, &[(r#"{"v":9}"#, 2), (r#"{"v":10}"#, 1)]), 1);
        assert_eq!(
            kept(
                &o,
                &[
                    (r#"{"v":"2024-01-02T00:00:00Z"}"#, 1),
                    (r#"{"v":"2024-01-01T23:00:00-02:00"}"#, 2)
                ]
            ),
            1,
            "instants, not text"
        );
        assert_eq!(kept(&o, &[(r#"{"v":1.10}"#, 1), (r#"{"v":1.9}"#, 1)]), 1);
        assert_eq!(
            kept(
                &o,
                &[
                    (r#"{"v":100000000000000000000000000001}"#, 1),
                    (r#"{"v":1e29}"#, 9)
                ]
            ),
            0
        );
    }

    #[test]
    fn ties_on_the_cursor_go_to_the_later_extraction_then_the_later_arrival() {
        let o = order(&["v"]);
        assert_eq!(kept(&o, &[(r#"{"v":1}"#, 5), (r#"{"v":1}"#, 4)]), 0);
        assert_eq!(kept(&o, &[(r#"{"v":1}"#, 4), (r#"{"v":1.0}"#, 5)]), 1);
        assert_eq!(
            kept(&o, &[(r#"{"v":1}"#, 4), (r#"{"v":1}"#, 4)]),
            1,
            "arrival breaks the tie"
        );
        assert_eq!(
            kept(
                &o,
                &[(r#"{"v":1}"#, 4), (r#"{"v":1}"#, 4), (r#"{"v":0}"#, 9)]
            ),
            1
        );
        // Without a cursor: extraction time, then arrival.
        let none = DedupOrder::new(None);
        assert_eq!(kept(&none, &[(r#"{"v":9}"#, 2), (r#"{"v":1}"#, 3)]), 1);
        assert_eq!(kept(&none, &[(r#"{"v":9}"#, 3), (r#"{"v":1}"#, 3)]), 1);
        assert_eq!(
            DedupOrder::new(Some(vec![])),
            none,
            "an empty path is no cursor"
        );
    }

    #[test]
    fn null_and_missing_cursors_lose() {
        let o = order(&["v"]);
        assert_eq!(kept(&o, &[(r#"{"v":null}"#, 9), (r#"{"v":-1}"#, 1)]), 1);
        assert_eq!(kept(&o, &[(r#"{}"#, 9), (r#"{"v":"a"}"#, 1)]), 1);
        // Two NULLs: back to extraction time.
        assert_eq!(kept(&o, &[(r#"{"v":null}"#, 9), (r#"{}"#, 1)]), 0);
    }

    #[test]
    fn nested_cursors() {
        let o = order(&["a", "b"]);
        let v = |data: &str| o.version(data, 0, 0).expect("version").cursor;
        assert_eq!(v(r#"{"a":{"b":7}}"#), Some(CursorValue::Integer(7)));
        assert_eq!(
            v(r#"{"\u0061":{"b":7}}"#),
            Some(CursorValue::Integer(7)),
            "escaped keys"
        );
        assert_eq!(v(r#"{"a":[1]}"#), None);
        assert_eq!(v(r#"{"a":{"c":1}}"#), None);
        assert!(o.version("not json", 0, 0).is_err());
    }

    #[test]
    fn keys_for_sql() {
        let o = order(&["v"]);
        let keys = o.keys();
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[0].column, OrderColumn::Cursor(&["v".to_owned()]));
        assert!(keys[0].nulls_last && !keys[1].nulls_last && !keys[2].nulls_last);
        let meta: Vec<_> = keys.iter().map(|k| k.column.meta_column()).collect();
        assert_eq!(
            meta,
            [None, Some("_airbyte_extracted_at"), Some("_airbyte_raw_id")]
        );
        let none = DedupOrder::new(None);
        let without: Vec<_> = none.keys().iter().map(|k| k.column).collect();
        assert_eq!(without, [OrderColumn::ExtractedAt, OrderColumn::RawId]);
    }
}
