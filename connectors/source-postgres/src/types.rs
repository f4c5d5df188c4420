//! PostgreSQL types → Airbyte JSON Schema, and how each value is written.

use airbyte_sdk::protocol::columns;
use serde_json::{Value, json};

/// How a column's text value becomes JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An integer, written as is.
    Integer,
    /// An exact decimal, written as is (NaN and ±Infinity become null).
    Numeric,
    /// A float (NaN and ±Infinity become null).
    Float,
    /// Money: the currency symbol and separators are stripped.
    Money,
    /// `t`/`f`.
    Boolean,
    /// A date: ±infinity becomes "Infinity"/"-Infinity".
    Date,
    /// A timestamp without time zone: ISO with `T`.
    Timestamp,
    /// A timestamp with time zone: ISO with `T` and a `+HH:MM` offset.
    TimestampTz,
    /// A time with time zone: a `+HH:MM` offset.
    TimeTz,
    /// Any other value, as a JSON string (json, jsonb, bytea hex, uuid, text...).
    Text,
    /// An array of elements of the given kind.
    Array(Box<Kind>),
}

/// One column as discovered.
#[derive(Debug, Clone)]
pub struct ColumnType {
    /// `pg_type.typname` of the column (of the base type for a domain).
    pub typname: String,
    /// For arrays, the element's `typname`.
    pub element: Option<String>,
    /// The declared scale of a numeric, if any.
    pub numeric_scale: Option<i32>,
    /// `pg_type.typtype` (`b` base, `e` enum, `c` composite, `r` range, `d` domain...).
    pub typtype: String,
}

impl ColumnType {
    /// How values of this column are written.
    pub fn kind(&self) -> Kind {
        match &self.element {
            Some(element) => Kind::Array(Box::new(scalar_kind(element, "b"))),
            None => scalar_kind(&self.typname, &self.typtype),
        }
    }

    /// The JSON Schema of this column.
    pub fn schema(&self, nullable: bool) -> Value {
        let mut schema = match &self.element {
            Some(element) => {
                json!({"type": "array", "items": scalar_schema(element, None, "b", true)})
            }
            None => scalar_schema(&self.typname, self.numeric_scale, &self.typtype, false),
        };
        if nullable && let Some(t) = schema.get("type").cloned() {
            schema["type"] = json!(["null", t]);
        }
        schema
    }

    /// Whether the column can serve as a cursor (ordered, comparable).
    pub fn is_cursor_candidate(&self) -> bool {
        self.element.is_none()
            && matches!(
                self.typname.as_str(),
                "int2"
                    | "int4"
                    | "int8"
                    | "numeric"
                    | "float4"
                    | "float8"
                    | "date"
                    | "timestamp"
                    | "timestamptz"
                    | "time"
                    | "timetz"
                    | "text"
                    | "varchar"
                    | "bpchar"
                    | "uuid"
                    | "oid"
                    | "money"
            )
    }
}

fn scalar_kind(typname: &str, typtype: &str) -> Kind {
    if typtype != "b" && typtype != "d" {
        return Kind::Text; // enums, composites, ranges
    }
    match typname {
        "int2" | "int4" | "int8" | "oid" => Kind::Integer,
        "numeric" => Kind::Numeric,
        "float4" | "float8" => Kind::Float,
        "money" => Kind::Money,
        "bool" => Kind::Boolean,
        "date" => Kind::Date,
        "timestamp" => Kind::Timestamp,
        "timestamptz" => Kind::TimestampTz,
        "timetz" => Kind::TimeTz,
        _ => Kind::Text,
    }
}

fn scalar_schema(typname: &str, scale: Option<i32>, typtype: &str, in_array: bool) -> Value {
    if typtype != "b" && typtype != "d" {
        return json!({"type": "string"});
    }
    match typname {
        "int2" | "int4" | "int8" => json!({"type": "number", "airbyte_type": "integer"}),
        "oid" if !in_array => json!({"type": "number", "airbyte_type": "integer"}),
        "oid" => json!({"type": "number"}),
        "numeric" if scale == Some(0) && !in_array => {
            json!({"type": "number", "airbyte_type": "integer"})
        }
        "numeric" | "float4" | "float8" | "money" => json!({"type": "number"}),
        "bool" => json!({"type": "boolean"}),
        "date" => json!({"type": "string", "format": "date"}),
        "time" => {
            json!({"type": "string", "format": "time", "airbyte_type": "time_without_timezone"})
        }
        "timetz" => {
            json!({"type": "string", "format": "time", "airbyte_type": "time_with_timezone"})
        }
        "timestamp" => {
            json!({"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"})
        }
        "timestamptz" => {
            json!({"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"})
        }
        _ => json!({"type": "string"}),
    }
}

/// The schemas of the CDC metadata columns.
pub fn cdc_columns() -> [(&'static str, Value); 3] {
    [
        (columns::CDC_LSN, json!({"type": ["null", "number"]})),
        (columns::CDC_UPDATED_AT, json!({"type": ["null", "string"]})),
        (columns::CDC_DELETED_AT, json!({"type": ["null", "string"]})),
    ]
}
