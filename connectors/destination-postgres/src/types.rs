//! Logical Airbyte types ([`LogicalType`], read from the JSON Schema by the
//! SDK) → PostgreSQL column types, and back from `format_type()`.

use airbyte_sdk::destination::LogicalType;

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
    /// The column type of a logical type: a number is `decimal(38, 9)`, or
    /// `numeric` with `unconstrained_number`.
    pub fn of(ty: LogicalType, unconstrained_number: bool) -> ColumnType {
        match ty {
            LogicalType::String => ColumnType::Text,
            LogicalType::Integer => ColumnType::BigInt,
            LogicalType::Number if unconstrained_number => ColumnType::Numeric,
            LogicalType::Number => ColumnType::Decimal,
            LogicalType::Boolean => ColumnType::Boolean,
            LogicalType::Date => ColumnType::Date,
            LogicalType::TimestampWithTimezone => ColumnType::TimestampTz,
            LogicalType::TimestampWithoutTimezone => ColumnType::Timestamp,
            LogicalType::TimeWithTimezone => ColumnType::TimeTz,
            LogicalType::TimeWithoutTimezone => ColumnType::Time,
            LogicalType::Json => ColumnType::Jsonb,
        }
    }

    /// The column type a column is widened to ([`LogicalType::widen`]): a
    /// number is unconstrained `numeric`, which holds every `bigint` and
    /// every `decimal(38, 9)`.
    pub fn widened(ty: LogicalType) -> ColumnType {
        ColumnType::of(ty, true)
    }

    /// The logical type the column holds.
    pub fn logical(self) -> LogicalType {
        match self {
            ColumnType::Text => LogicalType::String,
            ColumnType::BigInt => LogicalType::Integer,
            ColumnType::Decimal | ColumnType::Numeric => LogicalType::Number,
            ColumnType::Boolean => LogicalType::Boolean,
            ColumnType::Date => LogicalType::Date,
            ColumnType::Timestamp => LogicalType::TimestampWithoutTimezone,
            ColumnType::TimestampTz => LogicalType::TimestampWithTimezone,
            ColumnType::Time => LogicalType::TimeWithoutTimezone,
            ColumnType::TimeTz => LogicalType::TimeWithTimezone,
            ColumnType::Jsonb => LogicalType::Json,
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

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ColumnType; 11] = [
        ColumnType::Text,
        ColumnType::BigInt,
        ColumnType::Decimal,
        ColumnType::Numeric,
        ColumnType::Boolean,
        ColumnType::Date,
        ColumnType::Timestamp,
        ColumnType::TimestampTz,
        ColumnType::Time,
        ColumnType::TimeTz,
        ColumnType::Jsonb,
    ];

    #[test]
    fn logical_types_round_trip_through_sql_names() {
        for ty in LogicalType::ALL {
            for unconstrained in [false, true] {
                let column = ColumnType::of(ty, unconstrained);
                assert_eq!(column.logical(), ty);
            }
        }
        assert_eq!(
            ColumnType::of(LogicalType::Number, false).sql(),
            "decimal(38, 9)"
        );
        assert_eq!(ColumnType::of(LogicalType::Number, true).sql(), "numeric");
        assert_eq!(
            ColumnType::widened(LogicalType::Number),
            ColumnType::Numeric
        );
        assert_eq!(ColumnType::widened(LogicalType::String), ColumnType::Text);
    }

    /// What `format_type()` prints for each type we create.
    #[test]
    fn format_type_names() {
        let printed = [
            "character varying",
            "bigint",
            "numeric(38,9)",
            "numeric",
            "boolean",
            "date",
            "timestamp without time zone",
            "timestamp with time zone",
            "time without time zone",
            "time with time zone",
            "jsonb",
        ];
        for (ty, name) in ALL.into_iter().zip(printed) {
            assert_eq!(ColumnType::from_sql(name), Some(ty), "{name}");
        }
        assert_eq!(ColumnType::from_sql("integer"), None);
        assert_eq!(ColumnType::from_sql("text[]"), None);
    }
}
