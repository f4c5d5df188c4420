//! What a store accepts as a date, a time or a timestamp: its first and last
//! days, its instants, and its rules for `24:00:00`, leap seconds, offsets,
//! `BC` and fractions. The parsers in [`temporal`](super::temporal) take one.

use super::calendar::{SECONDS_PER_DAY, days_from_civil};

/// The limits a temporal value is parsed against.
///
/// ```
/// use airbyte_sdk::value::{Range, temporal};
///
/// // PostgreSQL: 24:00:00 is the end of the day; Snowflake: no such time.
/// assert!(temporal::time("24:00:00", &Range::POSTGRES).is_some());
/// assert!(temporal::time("24:00:00", &Range::SNOWFLAKE).is_none());
/// // A store with a narrower range is a struct update away.
/// let y2k = Range { last_day: 10_957, ..Range::SNOWFLAKE };
/// assert!(temporal::date("2000-01-02", &y2k).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first date, in days since 1970-01-01.
    pub first_day: i64,
    /// The last date, in days since 1970-01-01.
    pub last_day: i64,
    /// The first timestamp, in seconds since 1970-01-01T00:00:00 (UTC for a
    /// timestamp with time zone, the wall clock for one without).
    pub first_instant: i64,
    /// The end of timestamps (excluded), in seconds like `first_instant`.
    pub end_instant: i64,
    /// Whether the year `0000` is accepted (as 1 BC, as ISO 8601 counts).
    pub year_zero: bool,
    /// Whether a ` BC` suffix is accepted (`0001-01-01 BC` is year 0).
    pub bc: bool,
    /// Whether `24:00:00` is a time (the end of the day; in a timestamp,
    /// midnight of the next day).
    pub end_of_day: bool,
    /// Whether a second `60` is accepted: it is the first second of the
    /// next minute (`23:59:60` is `24:00:00`), as PostgreSQL normalises it.
    pub leap_second: bool,
    /// The largest hour of a UTC offset (`±HH[:MM[:SS]]`, minutes and
    /// seconds below 60).
    pub max_offset_hours: u8,
    /// Fraction digits kept, 0 to 9.
    pub fraction_digits: u8,
    /// How the digits past them round.
    pub fraction_rounding: Rounding,
}

/// How a fraction of a second is rounded to a range's digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Exactly, half up on the first digit dropped: `.0000005` is 1 µs.
    HalfUp,
    /// As PostgreSQL: the fraction read as the nearest double, scaled and
    /// rounded half to even (`rint(strtod(..) * 1e6)`): `.0000005` is 0 µs,
    /// `.0000015` 2 µs, `.1234565` 123456 µs.
    Double,
}

impl Range {
    /// PostgreSQL's `date`, `time[tz]` and `timestamp[tz]`: dates from
    /// 4714-11-24 BC to 5874897-12-31, timestamps from 4714-11-24 BC to
    /// before 294277-01-01 (checked in UTC for `timestamptz`), no year
    /// `0000` (1 BC is `0001 BC`), `24:00:00`, a leap second normalised,
    /// offsets up to ±15:59:59, microseconds rounded as its `rint` does.
    pub const POSTGRES: Range = Range {
        first_day: days_from_civil(-4713, 11, 24),
        last_day: days_from_civil(5_874_897, 12, 31),
        first_instant: days_from_civil(-4713, 11, 24) * SECONDS_PER_DAY,
        end_instant: days_from_civil(294_277, 1, 1) * SECONDS_PER_DAY,
        year_zero: false,
        bc: true,
        end_of_day: true,
        leap_second: true,
        max_offset_hours: 15,
        fraction_digits: 6,
        fraction_rounding: Rounding::Double,
    };

    /// Snowflake's `DATE`, `TIME` and `TIMESTAMP_*`: years 0000 to 9999
    /// (Snowflake recommends 1582 to 9999 and accepts some years beyond),
    /// no `BC`, times from 00:00:00 to 23:59:59.999999999 (so neither
    /// `24:00:00` nor a leap second), offsets up to ±23:59 (RFC 3339's),
    /// nanoseconds.
    pub const SNOWFLAKE: Range = Range {
        first_day: days_from_civil(0, 1, 1),
        last_day: days_from_civil(9999, 12, 31),
        first_instant: days_from_civil(0, 1, 1) * SECONDS_PER_DAY,
        end_instant: days_from_civil(10_000, 1, 1) * SECONDS_PER_DAY,
        year_zero: true,
        bc: false,
        end_of_day: false,
        leap_second: false,
        max_offset_hours: 23,
        fraction_digits: 9,
        fraction_rounding: Rounding::HalfUp,
    };

    /// Cursor values: whatever PostgreSQL or Snowflake accepts, to the
    /// nanosecond, so that cursors from either compare as instants: every
    /// date of [`POSTGRES`](Self::POSTGRES) and year `0000`, with any time
    /// and offset (a date cursor may lie past the last timestamp).
    pub const CURSOR: Range = Range {
        first_instant: (Range::POSTGRES.first_day - 1) * SECONDS_PER_DAY,
        end_instant: (Range::POSTGRES.last_day + 2) * SECONDS_PER_DAY,
        year_zero: true,
        max_offset_hours: 23,
        fraction_digits: 9,
        fraction_rounding: Rounding::HalfUp,
        ..Range::POSTGRES
    };
}
