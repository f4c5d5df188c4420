//! The calendar's edge cases, with what PostgreSQL and Snowflake make of
//! each: `2024-02-30`, leap years, `24:00:00`, leap seconds, offsets,
//! rounding, and the first and last days and instants of each range.
//!
//! Every crate that parses temporal values tests itself against this one
//! table (the SDK's parsers and cursors, destination-postgres's encoding,
//! source-postgres's CDC state), and destination-postgres checks the
//! PostgreSQL column against the server's own casts.
//!
//! ```
//! use airbyte_sdk::value::cases::{CASES, Kind};
//! use airbyte_sdk::value::{Range, temporal};
//!
//! for case in CASES.iter().filter(|c| c.kind == Kind::Date) {
//!     let ours = temporal::date(case.text, &Range::POSTGRES).map(i128::from);
//!     assert_eq!(ours, case.postgres, "{}", case.text);
//! }
//! ```

use super::calendar::{NANOS_PER_DAY, days_from_civil};

/// What a case's text is parsed as, and the unit of its expected values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A date: days since 1970-01-01.
    Date,
    /// A time without time zone: nanoseconds since midnight (an offset is ignored).
    Time,
    /// A time with time zone: nanoseconds since midnight, local (the offset apart).
    TimeTz,
    /// A timestamp without time zone: nanoseconds since 1970-01-01T00:00:00, wall clock.
    Timestamp,
    /// A timestamp with time zone: nanoseconds since 1970-01-01T00:00:00 UTC.
    TimestampTz,
}

/// One edge case: its text and the value each range gives it (`None`: rejected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// How the text is parsed.
    pub kind: Kind,
    /// The value as a record carries it.
    pub text: &'static str,
    /// Its value with [`Range::POSTGRES`](super::Range::POSTGRES), in the kind's unit.
    pub postgres: Option<i128>,
    /// Its value with [`Range::SNOWFLAKE`](super::Range::SNOWFLAKE), in the kind's unit.
    pub snowflake: Option<i128>,
}

const fn day(y: i64, m: u32, d: u32) -> i128 {
    days_from_civil(y, m, d) as i128
}

const fn tod(h: i64, m: i64, s: i64, nanos: i64) -> i128 {
    (((h * 60 + m) * 60 + s) * 1_000_000_000 + nanos) as i128
}

#[allow(clippy::too_many_arguments)]
const fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64, nanos: i64) -> i128 {
    day(y, mo, d) * NANOS_PER_DAY as i128 + tod(h, mi, s, nanos)
}

const fn case(
    kind: Kind,
    text: &'static str,
    postgres: Option<i128>,
    snowflake: Option<i128>,
) -> Case {
    Case {
        kind,
        text,
        postgres,
        snowflake,
    }
}

use Kind::{Date, Time, TimeTz, Timestamp, TimestampTz};

const DAY: i128 = NANOS_PER_DAY as i128;

/// The table.
#[rustfmt::skip]
pub const CASES: &[Case] = &[
    // Leap years and days that do not exist.
    case(Date, "2024-02-29", Some(day(2024, 2, 29)), Some(day(2024, 2, 29))),
    case(Date, "2000-02-29", Some(day(2000, 2, 29)), Some(day(2000, 2, 29))),
    case(Date, "2023-02-29", None, None),
    case(Date, "1900-02-29", None, None),
    case(Date, "2024-02-30", None, None),
    case(Date, "2024-04-31", None, None),
    case(Date, "2024-13-01", None, None),
    // The ends of the ranges.
    case(Date, "0000-01-01", None, Some(day(0, 1, 1))),
    case(Date, "0001-01-01 BC", Some(day(0, 1, 1)), None),
    case(Date, "4714-11-24 BC", Some(day(-4713, 11, 24)), None),
    case(Date, "4714-11-23 BC", None, None),
    case(Date, "9999-12-31", Some(day(9999, 12, 31)), Some(day(9999, 12, 31))),
    case(Date, "10000-01-01", Some(day(10_000, 1, 1)), None),
    case(Date, "5874897-12-31", Some(day(5_874_897, 12, 31)), None),
    case(Date, "5874898-01-01", None, None),
    // 24:00:00, leap seconds, rounding.
    case(Time, "00:00:00", Some(0), Some(0)),
    case(Time, "24:00:00", Some(DAY), None),
    case(Time, "24:00:00.000001", None, None),
    case(Time, "23:59:60", Some(DAY), None),
    case(Time, "12:30:60", Some(tod(12, 31, 0, 0)), None),
    case(Time, "23:59:60.5", None, None),
    case(Time, "23:59:59.999999999", Some(DAY), Some(DAY - 1)),
    case(Time, "10:00:00.1234565", Some(tod(10, 0, 0, 123_456_000)), Some(tod(10, 0, 0, 123_456_500))),
    case(Time, "10:00:00.0000015", Some(tod(10, 0, 0, 2_000)), Some(tod(10, 0, 0, 1_500))),
    case(Time, "10:00:00+05:30", Some(tod(10, 0, 0, 0)), Some(tod(10, 0, 0, 0))),
    case(Time, "10:61:00", None, None),
    case(Time, "25:00:00", None, None),
    // Offsets.
    case(TimeTz, "10:00:00+15:59", Some(tod(10, 0, 0, 0)), Some(tod(10, 0, 0, 0))),
    case(TimeTz, "10:00:00-15:59:59", Some(tod(10, 0, 0, 0)), Some(tod(10, 0, 0, 0))),
    case(TimeTz, "10:00:00+16:00", None, Some(tod(10, 0, 0, 0))),
    case(TimeTz, "10:00:00+24:00", None, None),
    case(TimeTz, "24:00:00Z", Some(DAY), None),
    // Timestamps with time zone.
    case(TimestampTz, "2024-02-29T12:00:00Z", Some(at(2024, 2, 29, 12, 0, 0, 0)), Some(at(2024, 2, 29, 12, 0, 0, 0))),
    case(TimestampTz, "2024-02-30T00:00:00Z", None, None),
    case(TimestampTz, "2023-02-29T00:00:00Z", None, None),
    case(TimestampTz, "2024-02-29T23:59:60Z", Some(at(2024, 3, 1, 0, 0, 0, 0)), None),
    case(TimestampTz, "2024-12-31T24:00:00Z", Some(at(2025, 1, 1, 0, 0, 0, 0)), None),
    case(TimestampTz, "2024-12-31T24:00:00.5Z", None, None),
    case(TimestampTz, "1999-12-31T23:59:59.9999995Z", Some(at(2000, 1, 1, 0, 0, 0, 0)), Some(at(1999, 12, 31, 23, 59, 59, 999_999_500))),
    case(TimestampTz, "2000-01-01T00:00:00.0000005Z", Some(at(2000, 1, 1, 0, 0, 0, 0)), Some(at(2000, 1, 1, 0, 0, 0, 500))),
    case(TimestampTz, "2024-01-01T10:00:00+02:00", Some(at(2024, 1, 1, 8, 0, 0, 0)), Some(at(2024, 1, 1, 8, 0, 0, 0))),
    case(TimestampTz, "2024-01-01T10:00:00.123456789-08:00", Some(at(2024, 1, 1, 18, 0, 0, 123_457_000)), Some(at(2024, 1, 1, 18, 0, 0, 123_456_789))),
    case(TimestampTz, "2024-01-01T10:00:00+16:00", None, Some(at(2023, 12, 31, 18, 0, 0, 0))),
    case(TimestampTz, "2024-06-01", Some(at(2024, 6, 1, 0, 0, 0, 0)), Some(at(2024, 6, 1, 0, 0, 0, 0))),
    case(TimestampTz, "2024-06-01 12:00:00", Some(at(2024, 6, 1, 12, 0, 0, 0)), Some(at(2024, 6, 1, 12, 0, 0, 0))),
    case(TimestampTz, "4714-11-24 00:00:00+00 BC", Some(at(-4713, 11, 24, 0, 0, 0, 0)), None),
    case(TimestampTz, "4714-11-24 00:00:00+01 BC", None, None),
    case(TimestampTz, "4714-11-23 23:00:00-01 BC", Some(at(-4713, 11, 24, 0, 0, 0, 0)), None),
    case(TimestampTz, "4714-11-23 22:59:59-01 BC", None, None),
    case(TimestampTz, "0000-01-01T00:00:00Z", None, Some(at(0, 1, 1, 0, 0, 0, 0))),
    case(TimestampTz, "9999-12-31T23:59:59.999999999Z", Some(at(10_000, 1, 1, 0, 0, 0, 0)), Some(at(9999, 12, 31, 23, 59, 59, 999_999_999))),
    case(TimestampTz, "9999-12-31T23:00:00-05:00", Some(at(10_000, 1, 1, 4, 0, 0, 0)), None),
    case(TimestampTz, "10000-01-01T00:00:00Z", Some(at(10_000, 1, 1, 0, 0, 0, 0)), None),
    case(TimestampTz, "294276-12-31T23:59:59.999999Z", Some(at(294_276, 12, 31, 23, 59, 59, 999_999_000)), None),
    case(TimestampTz, "294277-01-01T00:00:00Z", None, None),
    case(TimestampTz, "294277-01-01T00:30:00+01:00", Some(at(294_276, 12, 31, 23, 30, 0, 0)), None),
    // Timestamps without time zone: an offset is checked, then ignored.
    case(Timestamp, "2024-01-01T10:00:00+02:00", Some(at(2024, 1, 1, 10, 0, 0, 0)), Some(at(2024, 1, 1, 10, 0, 0, 0))),
    case(Timestamp, "2024-01-01T10:00:00+16:00", None, Some(at(2024, 1, 1, 10, 0, 0, 0))),
    case(Timestamp, "2024-02-30 00:00:00", None, None),
    case(Timestamp, "2024-12-31 24:00:00", Some(at(2025, 1, 1, 0, 0, 0, 0)), None),
    case(Timestamp, "294276-12-31 23:59:59.999999", Some(at(294_276, 12, 31, 23, 59, 59, 999_999_000)), None),
    case(Timestamp, "294277-01-01T00:30:00+01:00", None, None),
];
