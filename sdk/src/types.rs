//! Record field types that carry Airbyte's `format` and `airbyte_type` into
//! a typed stream's schema (see [`Stream`](crate::source::Stream)): use them
//! as fields of a `#[airbyte_sdk::record]` struct.
//!
//! | type | JSON Schema | JSON value |
//! |---|---|---|
//! | [`TimestampTz`] | `string`, `date-time`, `timestamp_with_timezone` | `"2024-01-01T10:00:00Z"` |
//! | [`TimestampNtz`] | `string`, `date-time`, `timestamp_without_timezone` | `"2024-01-01T10:00:00"` |
//! | [`Date`] | `string`, `date` | `"2024-01-01"` |
//! | [`TimeTz`] | `string`, `time`, `time_with_timezone` | `"10:00:00+02:00"` |
//! | [`TimeNtz`] | `string`, `time`, `time_without_timezone` | `"10:00:00"` |
//! | [`Decimal`] | `number` | `12.50`, exactly these digits |
//!
//! Each is checked when it is made (by [`crate::value`]: one calendar, so
//! `2024-02-30` is no date), keeps its text, and compares by value: two
//! timestamps at the same instant in different offsets are equal, `1.50`
//! equals `1.5`. A state may hold them too: they deserialize from the same
//! JSON.
//!
//! ```
//! use airbyte_sdk::types::{Date, Decimal, TimestampTz};
//!
//! let a = TimestampTz::parse("2024-01-01T10:00:00+02:00").unwrap();
//! assert_eq!(a, TimestampTz::parse("2024-01-01T08:00:00Z").unwrap());
//! assert_eq!(TimestampTz::from_unix(1_704_103_200, 0).to_string(), "2024-01-01T10:00:00Z");
//! assert!(Date::parse("2024-02-30").is_err());
//! assert_eq!(Decimal::new(1250, 2).to_string(), "12.50");
//! assert!(Decimal::parse("9").unwrap() < Decimal::parse("10").unwrap());
//! // They serialize as Airbyte expects: strings, and numbers with their digits.
//! let json = airbyte_sdk::serde_json::to_string(&(a, Decimal::new(1250, 2))).unwrap();
//! assert_eq!(json, r#"["2024-01-01T10:00:00+02:00",12.50]"#);
//! ```

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;
use crate::value::calendar::civil_from_days;
use crate::value::temporal::{self, Timestamp};
use crate::value::{self, Range};

/// Shared impls of a text-backed value: `Display`, `as_str`, string serde,
/// a `JsonSchema` with the given keywords, and order by `key()`.
macro_rules! text_value {
    ($ty:ident, $what:literal, $schema:tt) => {
        impl $ty {
            /// The value as its text.
            pub fn as_str(&self) -> &str {
                &self.text
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($ty), self.text)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = Error;
            fn from_str(text: &str) -> Result<Self, Error> {
                Self::parse(text)
            }
        }

        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.key() == other.key()
            }
        }

        impl Eq for $ty {}

        impl PartialOrd for $ty {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $ty {
            fn cmp(&self, other: &Self) -> Ordering {
                self.key().cmp(&other.key())
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.text)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = Cow::<str>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

fn invalid(what: &str, text: &str) -> Error {
    Error::system(format!("{text:?} is not {what}"))
}

/// Fraction digits that write `nanos` exactly: 0, 3, 6 or 9.
fn digits_for(nanos: u32) -> u8 {
    match nanos {
        0 => 0,
        n if n % 1_000_000 == 0 => 3,
        n if n % 1000 == 0 => 6,
        _ => 9,
    }
}

/// `text` read by `parse` (a parser of [`temporal`]), or the error naming `what`.
fn read_value<T>(
    text: &str,
    parse: fn(&str, &Range) -> Option<T>,
    what: &str,
) -> Result<(String, T), Error> {
    let at = parse(text, &Range::CURSOR).ok_or_else(|| invalid(what, text))?;
    Ok((text.to_owned(), at))
}

/// The instant `seconds` and `nanos` after the epoch, and its RFC 3339 text in UTC.
fn unix_timestamp(seconds: i64, nanos: u32) -> (String, Timestamp) {
    let at = Timestamp {
        seconds: seconds + i64::from(nanos / 1_000_000_000),
        nanos: nanos % 1_000_000_000,
    };
    (at.rfc3339(digits_for(at.nanos)).to_string(), at)
}

/// A timestamp with time zone: an instant, written in RFC 3339 with an offset.
#[derive(Clone)]
pub struct TimestampTz {
    text: String,
    at: Timestamp,
}

impl TimestampTz {
    /// Reads RFC 3339 text (no offset means UTC; a date alone is its midnight).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let (text, at) = read_value(text, temporal::timestamp_tz, "a timestamp with time zone")?;
        Ok(TimestampTz { text, at })
    }

    /// The instant `seconds` and `nanos` after 1970-01-01T00:00:00Z, in UTC.
    pub fn from_unix(seconds: i64, nanos: u32) -> Self {
        let (text, at) = unix_timestamp(seconds, nanos);
        TimestampTz { text, at }
    }

    /// The instant.
    pub fn instant(&self) -> Timestamp {
        self.at
    }

    fn key(&self) -> Timestamp {
        self.at
    }
}

text_value!(TimestampTz, "a timestamp with time zone", {
    "type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"
});

/// A timestamp without time zone: a wall-clock date and time.
#[derive(Clone)]
pub struct TimestampNtz {
    text: String,
    at: Timestamp,
}

impl TimestampNtz {
    /// Reads `YYYY-MM-DDTHH:MM:SS[.f]` (an offset is checked and ignored).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let (text, at) = read_value(
            text,
            temporal::timestamp_ntz,
            "a timestamp without time zone",
        )?;
        Ok(TimestampNtz { text, at })
    }

    /// The wall clock `seconds` and `nanos` after 1970-01-01T00:00:00.
    ///
    /// ```
    /// use airbyte_sdk::types::TimestampNtz;
    /// assert_eq!(TimestampNtz::from_unix(86_400, 500_000_000).as_str(), "1970-01-02T00:00:00.500");
    /// ```
    pub fn from_unix(seconds: i64, nanos: u32) -> Self {
        let (zoned, at) = unix_timestamp(seconds, nanos);
        let text = match zoned.strip_suffix("Z BC") {
            Some(bc) => format!("{bc} BC"),
            None => zoned.trim_end_matches('Z').to_owned(),
        };
        TimestampNtz { text, at }
    }

    /// The wall clock, as seconds since 1970-01-01T00:00:00.
    pub fn wall_clock(&self) -> Timestamp {
        self.at
    }

    fn key(&self) -> Timestamp {
        self.at
    }
}

text_value!(TimestampNtz, "a timestamp without time zone", {
    "type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"
});

/// A calendar date.
#[derive(Clone)]
pub struct Date {
    text: String,
    days: i64,
}

impl Date {
    /// Reads `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let (text, days) = read_value(text, temporal::date, "a date")?;
        Ok(Date { text, days })
    }

    /// The date `days` after 1970-01-01 (in years 1 to 9999).
    ///
    /// ```
    /// use airbyte_sdk::types::Date;
    /// assert_eq!(Date::from_days(19_782).unwrap().as_str(), "2024-02-29");
    /// assert!(Date::from_days(i64::MAX).is_err());
    /// ```
    pub fn from_days(days: i64) -> Result<Self, Error> {
        let (year, month, day) = civil_from_days(days);
        if !(1..=9999).contains(&year) {
            return Err(Error::system(format!(
                "day {days} since 1970-01-01 is outside the years 1 to 9999"
            )));
        }
        Ok(Date {
            text: format!("{year:04}-{month:02}-{day:02}"),
            days,
        })
    }

    /// Days since 1970-01-01.
    pub fn days(&self) -> i64 {
        self.days
    }

    fn key(&self) -> i64 {
        self.days
    }
}

text_value!(Date, "a date", { "type": "string", "format": "date" });

/// A time of day with a UTC offset.
#[derive(Clone)]
pub struct TimeTz {
    text: String,
    time: temporal::TimeOfDay,
}

impl TimeTz {
    /// Reads `HH:MM:SS[.f]±HH:MM` (no offset means UTC).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let (text, time) = read_value(text, temporal::time, "a time with time zone")?;
        Ok(TimeTz { text, time })
    }

    /// The time and its offset.
    pub fn time(&self) -> temporal::TimeOfDay {
        self.time
    }

    /// Ordered as UTC times of day.
    fn key(&self) -> i64 {
        self.time.nanos - i64::from(self.time.offset) * 1_000_000_000
    }
}

text_value!(TimeTz, "a time with time zone", {
    "type": "string", "format": "time", "airbyte_type": "time_with_timezone"
});

/// A time of day without time zone.
#[derive(Clone)]
pub struct TimeNtz {
    text: String,
    time: temporal::TimeOfDay,
}

impl TimeNtz {
    /// Reads `HH:MM:SS[.f]`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let (text, time) = read_value(text, temporal::time, "a time without time zone")?;
        Ok(TimeNtz { text, time })
    }

    /// Nanoseconds since midnight.
    pub fn nanos(&self) -> i64 {
        self.time.nanos
    }

    fn key(&self) -> i64 {
        self.time.nanos
    }
}

text_value!(TimeNtz, "a time without time zone", {
    "type": "string", "format": "time", "airbyte_type": "time_without_timezone"
});

/// An exact decimal number: written as a JSON number with exactly its
/// digits (never through a float), compared by value.
#[derive(Clone)]
pub struct Decimal {
    text: String,
}

impl Decimal {
    /// Reads a number in JSON's grammar (`-12.50`, `1e-3`), or as databases
    /// print them (`+.5`, `5.`): the text is normalised to JSON's grammar.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if value::Decimal::parse(text).is_some() {
            return Ok(Decimal {
                text: text.to_owned(),
            });
        }
        if value::Decimal::parse_text(text).is_none() {
            return Err(invalid("a decimal number", text));
        }
        let unsigned = text.strip_prefix('+').unwrap_or(text);
        let (sign, digits) = match unsigned.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", unsigned),
        };
        let (mantissa, exponent) = match digits.find(['e', 'E']) {
            Some(i) => digits.split_at(i),
            None => (digits, ""),
        };
        let mantissa = match mantissa.split_once('.') {
            Some((int, frac)) => {
                let int = if int.is_empty() { "0" } else { int };
                if frac.is_empty() {
                    int.to_owned()
                } else {
                    format!("{int}.{frac}")
                }
            }
            None => mantissa.to_owned(),
        };
        Ok(Decimal {
            text: format!("{sign}{mantissa}{exponent}"),
        })
    }

    /// `mantissa × 10^-scale`: `Decimal::new(1250, 2)` is `12.50`.
    pub fn new(mantissa: i128, scale: u32) -> Self {
        let digits = mantissa.unsigned_abs().to_string();
        let sign = if mantissa < 0 { "-" } else { "" };
        let scale = scale as usize;
        let text = if scale == 0 {
            format!("{sign}{digits}")
        } else if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            format!("{sign}{int}.{frac}")
        } else {
            format!("{sign}0.{digits:0>scale$}")
        };
        Decimal { text }
    }

    fn key(&self) -> value::Decimal<'_> {
        value::Decimal::parse(&self.text).expect("a Decimal holds a JSON number")
    }
}

impl From<i64> for Decimal {
    fn from(n: i64) -> Self {
        Decimal::new(i128::from(n), 0)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.text)
    }
}

impl Decimal {
    /// The number as its text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A JSON number with exactly these digits (serde_json writes a RawValue as is).
        let raw = serde_json::value::RawValue::from_string(self.text.clone())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A number (its exact text) or a string holding one.
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        let text = if text.starts_with('"') {
            serde_json::from_str::<String>(text).map_err(serde::de::Error::custom)?
        } else {
            text.to_owned()
        };
        Decimal::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Decimal {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Decimal".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_and_normalised() {
        assert_eq!(Decimal::new(-5, 3).as_str(), "-0.005");
        assert_eq!(Decimal::new(0, 2).as_str(), "0.00");
        assert_eq!(Decimal::parse("+.5").unwrap().as_str(), "0.5");
        assert_eq!(Decimal::parse("-5.e3").unwrap().as_str(), "-5e3");
        assert!(Decimal::parse("1,5").is_err());
        let big = "123456789012345678901234567890.123456789";
        let json = serde_json::to_string(&Decimal::parse(big).unwrap()).unwrap();
        assert_eq!(json, big);
        let back: Decimal = serde_json::from_str(big).unwrap();
        assert_eq!(back.as_str(), big);
        let quoted: Decimal = serde_json::from_str("\"1.50\"").unwrap();
        assert_eq!(quoted, Decimal::parse("1.5").unwrap());
    }

    #[test]
    fn temporals_check_the_calendar_and_compare_by_value() {
        assert!(TimestampTz::parse("2024-02-30T00:00:00Z").is_err());
        assert!(TimeNtz::parse("24:00:01").is_err());
        assert_eq!(
            TimeTz::parse("10:00:00+02:00").unwrap(),
            TimeTz::parse("08:00:00Z").unwrap()
        );
        assert!(Date::parse("2024-01-09").unwrap() < Date::parse("2024-01-10").unwrap());
        assert_eq!(
            TimestampTz::from_unix(0, 1_000).as_str(),
            "1970-01-01T00:00:00.000001Z"
        );
        let bad: Result<TimestampTz, _> = serde_json::from_str("\"yesterday\"");
        assert!(bad.unwrap_err().to_string().contains("yesterday"));
    }

    #[test]
    fn schemas_carry_airbyte_types() {
        let mut generator = schemars::generate::SchemaSettings::draft07().into_generator();
        let schema = TimestampNtz::json_schema(&mut generator);
        assert_eq!(
            schema.get("airbyte_type").and_then(|v| v.as_str()),
            Some("timestamp_without_timezone")
        );
        let schema = Decimal::json_schema(&mut generator);
        assert_eq!(schema.get("type").and_then(|v| v.as_str()), Some("number"));
    }
}
