//! Airbyte types → PostgreSQL column types.

use serde_json::Value;

/// The column type of a stream property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `varchar` (text).
    Text,
    /// `bigint`.
    BigInt,
    /// `decimal(38, 9)`.
    Decimal,
    /// `numeric`.
    Numeric,
    /// `boolean`.
    Boolean,
    /// `date`.
    Date,
    /// `timestamp`.
    Timestamp,
    /// `timestamptz`.
    TimestampTz,
    /// `time`.
    Time,
    /// `timetz`.
    TimeTz,
    /// `jsonb`: objects, arrays, unions.
    Jsonb,
}

impl ColumnType {
    /// The type of a property's JSON Schema.
    pub fn of(schema: &Value, unconstrained_number: bool) -> ColumnType {
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
            (["integer"], _, _) | (["number"], Some("integer"), _) => ColumnType::BigInt,
            (["number"], _, _) if unconstrained_number => ColumnType::Numeric,
            (["number"], _, _) => ColumnType::Decimal,
            (["boolean"], _, _) => ColumnType::Boolean,
            (["string"], Some("timestamp_without_timezone"), _) => ColumnType::Timestamp,
            (["string"], _, Some("date-time")) => ColumnType::TimestampTz,
            (["string"], _, Some("date")) => ColumnType::Date,
            (["string"], Some("time_with_timezone"), _) => ColumnType::TimeTz,
            (["string"], _, Some("time")) => ColumnType::Time,
            (["string"], _, _) => ColumnType::Text,
            _ => ColumnType::Jsonb,
        }
    }

    /// The SQL type name.
    pub fn sql(self) -> &'static str {
        match self {
            ColumnType::Text => "varchar",
            ColumnType::BigInt => "bigint",
            ColumnType::Decimal => "decimal(38, 9)",
            ColumnType::Numeric => "numeric",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
            ColumnType::TimestampTz => "timestamptz",
            ColumnType::Time => "time",
            ColumnType::TimeTz => "timetz",
            ColumnType::Jsonb => "jsonb",
        }
    }

    /// The type from `format_type()` of an existing column.
    pub fn from_sql(name: &str) -> Option<ColumnType> {
        Some(match name {
            "character varying" | "text" | "varchar" => ColumnType::Text,
            "bigint" => ColumnType::BigInt,
            "numeric(38,9)" => ColumnType::Decimal,
            "numeric" => ColumnType::Numeric,
            "boolean" => ColumnType::Boolean,
            "date" => ColumnType::Date,
            "timestamp without time zone" => ColumnType::Timestamp,
            "timestamp with time zone" => ColumnType::TimestampTz,
            "time without time zone" => ColumnType::Time,
            "time with time zone" => ColumnType::TimeTz,
            "jsonb" => ColumnType::Jsonb,
            _ => return None,
        })
    }
}
