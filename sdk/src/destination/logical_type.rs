//! Airbyte's logical column types, read from a property's JSON Schema, and
//! the lattice a column widens along when a stream's type changes.
//!
//! A destination maps each logical type to its own SQL type (PostgreSQL's
//! `bigint`, Snowflake's `NUMBER(38,0)`); the typing rules live here once.

use serde_json::Value;

/// The type of a column, as Airbyte's type system names it.
///
/// ```
/// use airbyte_sdk::destination::LogicalType;
/// use airbyte_sdk::serde_json::json;
///
/// assert_eq!(LogicalType::of(&json!({"type": ["null", "integer"]})), LogicalType::Integer);
/// assert_eq!(LogicalType::of(&json!({"type": "number", "airbyte_type": "integer"})), LogicalType::Integer);
/// assert_eq!(
///     LogicalType::of(&json!({"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"})),
///     LogicalType::TimestampWithoutTimezone
/// );
/// assert_eq!(LogicalType::of(&json!({"oneOf": [{"type": "string"}, {"type": "integer"}]})), LogicalType::Json);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicalType {
    /// Text.
    String,
    /// A 64-bit integer.
    Integer,
    /// An exact decimal number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A calendar date.
    Date,
    /// An instant: a date and time with an offset (or UTC).
    TimestampWithTimezone,
    /// A wall-clock date and time, without an offset.
    TimestampWithoutTimezone,
    /// A time of day with an offset.
    TimeWithTimezone,
    /// A time of day without an offset.
    TimeWithoutTimezone,
    /// Any JSON: objects, arrays, unions and unknown types.
    Json,
}

impl LogicalType {
    /// Every logical type.
    pub const ALL: [LogicalType; 10] = [
        LogicalType::String,
        LogicalType::Integer,
        LogicalType::Number,
        LogicalType::Boolean,
        LogicalType::Date,
        LogicalType::TimestampWithTimezone,
        LogicalType::TimestampWithoutTimezone,
        LogicalType::TimeWithTimezone,
        LogicalType::TimeWithoutTimezone,
        LogicalType::Json,
    ];

    /// The type of a property from its JSON Schema: its `type` (without
    /// `"null"`), `airbyte_type` and `format`. A union of several types, an
    /// object, an array or a schema without a `type` is [`LogicalType::Json`].
    pub fn of(schema: &Value) -> LogicalType {
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect(),
            _ => vec![],
        };
        let airbyte_type = schema.get("airbyte_type").and_then(Value::as_str);
        let format = schema.get("format").and_then(Value::as_str);
        match (types.as_slice(), airbyte_type, format) {
            (["integer"], _, _) | (["number"], Some("integer"), _) => LogicalType::Integer,
            (["number"], _, _) => LogicalType::Number,
            (["boolean"], _, _) => LogicalType::Boolean,
            (["string"], Some("timestamp_without_timezone"), _) => {
                LogicalType::TimestampWithoutTimezone
            }
            (["string"], _, Some("date-time")) => LogicalType::TimestampWithTimezone,
            (["string"], _, Some("date")) => LogicalType::Date,
            (["string"], Some("time_with_timezone"), _) => LogicalType::TimeWithTimezone,
            (["string"], _, Some("time")) => LogicalType::TimeWithoutTimezone,
            (["string"], _, _) => LogicalType::String,
            _ => LogicalType::Json,
        }
    }

    /// The type a column takes when the stream's type for it changes:
    /// `existing` is the column's type in the store (`None`: a type no
    /// logical type maps to, such as one a user set by hand), `incoming`
    /// the stream's. The column is never narrowed, and never made to fail a
    /// load:
    ///
    /// - the same type stays;
    /// - a JSON column stays JSON, and any column becomes JSON for JSON;
    /// - a string column stays a string;
    /// - an integer and a number become a number;
    /// - any other pair becomes a string (every value casts to text).
    ///
    /// ```
    /// use airbyte_sdk::destination::LogicalType::{self, *};
    ///
    /// assert_eq!(LogicalType::widen(Some(Integer), Integer), Integer);
    /// assert_eq!(LogicalType::widen(Some(Integer), String), String);
    /// assert_eq!(LogicalType::widen(Some(Integer), Number), Number);
    /// assert_eq!(LogicalType::widen(Some(String), Json), Json);
    /// assert_eq!(LogicalType::widen(Some(Json), Boolean), Json);
    /// assert_eq!(LogicalType::widen(Some(Date), TimestampWithTimezone), String);
    /// assert_eq!(LogicalType::widen(None, Date), String);
    /// ```
    pub fn widen(existing: Option<LogicalType>, incoming: LogicalType) -> LogicalType {
        use LogicalType::*;
        match (existing, incoming) {
            (Some(a), b) if a == b => a,
            (Some(Json), _) | (_, Json) => Json,
            (Some(String), _) => String,
            (Some(Integer), Number) | (Some(Number), Integer) => Number,
            _ => String,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LogicalType::{self, *};
    use serde_json::json;

    #[test]
    fn types_of_json_schemas() {
        let cases = [
            (json!({"type": "string"}), String),
            (json!({"type": ["null", "string"]}), String),
            (
                json!({"type": "string", "contentEncoding": "base64"}),
                String,
            ),
            (json!({"type": "integer"}), Integer),
            (
                json!({"type": "number", "airbyte_type": "integer"}),
                Integer,
            ),
            (json!({"type": "number"}), Number),
            (json!({"type": "boolean"}), Boolean),
            (json!({"type": "string", "format": "date"}), Date),
            (
                json!({"type": "string", "format": "date-time"}),
                TimestampWithTimezone,
            ),
            (
                json!({"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"}),
                TimestampWithTimezone,
            ),
            (
                json!({"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"}),
                TimestampWithoutTimezone,
            ),
            (
                json!({"type": "string", "format": "time", "airbyte_type": "time_without_timezone"}),
                TimeWithoutTimezone,
            ),
            (
                json!({"type": "string", "format": "time"}),
                TimeWithoutTimezone,
            ),
            (
                json!({"type": "string", "format": "time", "airbyte_type": "time_with_timezone"}),
                TimeWithTimezone,
            ),
            (json!({"type": "object", "properties": {}}), Json),
            (json!({"type": "array", "items": {}}), Json),
            (json!({"type": ["string", "integer"]}), Json),
            (json!({"oneOf": [{"type": "string"}]}), Json),
            (json!({}), Json),
            (json!({"type": "null"}), Json),
        ];
        for (schema, ty) in cases {
            assert_eq!(LogicalType::of(&schema), ty, "{schema}");
        }
    }

    /// Every (existing, incoming) pair, against the table written out by hand.
    #[test]
    fn the_widening_lattice_for_every_pair() {
        const S: LogicalType = String;
        const J: LogicalType = Json;
        // Columns: the incoming type, in the order of `LogicalType::ALL`:
        // string, integer, number, boolean, date, timestamp tz, timestamp,
        // time tz, time, json.
        let table: [(Option<LogicalType>, [LogicalType; 10]); 11] = [
            (None, [S, S, S, S, S, S, S, S, S, J]),
            (Some(String), [S, S, S, S, S, S, S, S, S, J]),
            (Some(Integer), [S, Integer, Number, S, S, S, S, S, S, J]),
            (Some(Number), [S, Number, Number, S, S, S, S, S, S, J]),
            (Some(Boolean), [S, S, S, Boolean, S, S, S, S, S, J]),
            (Some(Date), [S, S, S, S, Date, S, S, S, S, J]),
            (
                Some(TimestampWithTimezone),
                [S, S, S, S, S, TimestampWithTimezone, S, S, S, J],
            ),
            (
                Some(TimestampWithoutTimezone),
                [S, S, S, S, S, S, TimestampWithoutTimezone, S, S, J],
            ),
            (
                Some(TimeWithTimezone),
                [S, S, S, S, S, S, S, TimeWithTimezone, S, J],
            ),
            (
                Some(TimeWithoutTimezone),
                [S, S, S, S, S, S, S, S, TimeWithoutTimezone, J],
            ),
            (Some(Json), [J; 10]),
        ];
        for (existing, row) in table {
            for (incoming, want) in LogicalType::ALL.into_iter().zip(row) {
                let widened = LogicalType::widen(existing, incoming);
                assert_eq!(widened, want, "{existing:?} + {incoming:?}");
                // Never narrower: once widened, the same incoming type keeps it.
                assert_eq!(LogicalType::widen(Some(widened), incoming), widened);
            }
        }
    }
}
