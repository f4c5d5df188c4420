//! Dates, times and timestamps as Airbyte records carry them, parsed
//! against a store's [`Range`], without allocating.
//!
//! The forms are RFC 3339 and the variants sources write:
//!
//! - a date: `YYYY-MM-DD` (4 to 7 year digits), then an optional ` BC`;
//! - a time: `HH:MM:SS`, an optional fraction `.d…` (any number of digits,
//!   rounded to the range's), an optional offset: `Z`, `z`, `±HH`, `±HHMM`,
//!   `±HH:MM` or `±HH:MM:SS`;
//! - a timestamp: a date, alone (midnight) or followed by `T`, `t` or a
//!   space and a time, then the optional ` BC`.
//!
//! `2024-02-30` is not a date in any range. A timestamp with time zone
//! without an offset is UTC (Airbyte's convention); a timestamp without
//! time zone checks an offset and ignores it, as PostgreSQL does.
//!
//! ```
//! use airbyte_sdk::value::{Range, temporal};
//!
//! let noon = temporal::timestamp_tz("2024-02-29T14:00:00+02:00", &Range::POSTGRES).unwrap();
//! assert_eq!(noon, temporal::timestamp_tz("2024-02-29 12:00:00Z", &Range::POSTGRES).unwrap());
//! assert_eq!(temporal::timestamp_tz("2024-02-30T12:00:00Z", &Range::POSTGRES), None);
//! // A leap second is the next minute's first, where the range allows it.
//! let leap = temporal::timestamp_tz("2024-02-29T23:59:60Z", &Range::POSTGRES).unwrap();
//! assert_eq!(leap, temporal::timestamp_tz("2024-03-01", &Range::POSTGRES).unwrap());
//! assert_eq!(temporal::timestamp_tz("2024-02-29T23:59:60Z", &Range::SNOWFLAKE), None);
//! ```

use std::fmt;

use super::calendar::{NANOS_PER_DAY, SECONDS_PER_DAY, civil_from_days, date_to_days};
use super::range::{Range, Rounding};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// An instant: seconds since 1970-01-01T00:00:00 and the nanoseconds after
/// them (UTC for a timestamp with time zone, the wall clock for one
/// without). Ordered in time.
///
/// ```
/// use airbyte_sdk::value::{Range, temporal};
///
/// let t = temporal::timestamp_tz("1970-01-01T00:00:01.5Z", &Range::SNOWFLAKE).unwrap();
/// assert_eq!((t.seconds, t.nanos), (1, 500_000_000));
/// assert_eq!(t.nanos_since_epoch(), 1_500_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00 (negative before).
    pub seconds: i64,
    /// Nanoseconds after `seconds`, below 1,000,000,000.
    pub nanos: u32,
}

impl Timestamp {
    /// Nanoseconds since 1970-01-01T00:00:00.
    pub const fn nanos_since_epoch(self) -> i128 {
        self.seconds as i128 * NANOS_PER_SECOND as i128 + self.nanos as i128
    }

    /// The instant as RFC 3339 text in UTC, with `fraction_digits` (0 to 9)
    /// digits of fraction, truncated; years before 1 are written with ` BC`,
    /// as [`timestamp_tz`] reads them back.
    ///
    /// ```
    /// use airbyte_sdk::value::{Range, temporal};
    ///
    /// let t = temporal::timestamp_tz("2024-02-29T12:59:60.25+01:00", &Range::POSTGRES).unwrap();
    /// assert_eq!(t.rfc3339(6).to_string(), "2024-02-29T12:00:00.250000Z");
    /// assert_eq!(t.rfc3339(0).to_string(), "2024-02-29T12:00:00Z");
    /// let bc = temporal::timestamp_tz("0044-03-15 12:00:00Z BC", &Range::POSTGRES).unwrap();
    /// assert_eq!(bc.rfc3339(0).to_string(), "0044-03-15T12:00:00Z BC");
    /// ```
    pub fn rfc3339(self, fraction_digits: u8) -> Rfc3339 {
        Rfc3339 {
            timestamp: self,
            fraction_digits: fraction_digits.min(9),
        }
    }
}

/// A [`Timestamp`] displayed as RFC 3339 (see [`Timestamp::rfc3339`]).
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339 {
    timestamp: Timestamp,
    fraction_digits: u8,
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Timestamp { seconds, nanos } = self.timestamp;
        let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
        let of_day = seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, bc) = if year < 1 {
            (1 - year, true)
        } else {
            (year, false)
        };
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        )?;
        if self.fraction_digits > 0 {
            let digits = u32::from(self.fraction_digits);
            let fraction = nanos / 10_u32.pow(9 - digits);
            write!(f, ".{fraction:0width$}", width = digits as usize)?;
        }
        f.write_str(if bc { "Z BC" } else { "Z" })
    }
}

/// A time of day and its offset.
///
/// ```
/// use airbyte_sdk::value::{Range, temporal};
///
/// let t = temporal::time("10:00:00.25-05:30", &Range::POSTGRES).unwrap();
/// assert_eq!(t.nanos, 36_000_250_000_000);
/// assert_eq!(t.offset, -19_800);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay {
    /// Nanoseconds since midnight, up to a whole day (`24:00:00`).
    pub nanos: i64,
    /// The UTC offset in seconds east of UTC; 0 when the text has none.
    pub offset: i32,
}

/// A date: days since 1970-01-01.
///
/// ```
/// use airbyte_sdk::value::{Range, temporal};
///
/// assert_eq!(temporal::date("2000-01-01", &Range::POSTGRES), Some(10_957));
/// assert_eq!(temporal::date("0001-01-01 BC", &Range::POSTGRES), Some(-719_528));
/// assert_eq!(temporal::date("0001-01-01 BC", &Range::SNOWFLAKE), None);
/// assert_eq!(temporal::date("2023-02-29", &Range::SNOWFLAKE), None);
/// ```
#[inline]
pub fn date(text: &str, range: &Range) -> Option<i64> {
    let (body, bc) = era(text.as_bytes(), range)?;
    match date_part(body, bc, range)? {
        (days, []) if range.first_day <= days && days <= range.last_day => Some(days),
        _ => None,
    }
}

/// A time of day (`HH:MM:SS[.fraction][offset]`), with its offset if it has one.
///
/// ```
/// use airbyte_sdk::value::{Range, temporal};
///
/// assert_eq!(temporal::time("24:00:00", &Range::POSTGRES).map(|t| t.nanos), Some(86_400_000_000_000));
/// assert_eq!(temporal::time("24:00:01", &Range::POSTGRES), None);
/// ```
#[inline]
pub fn time(text: &str, range: &Range) -> Option<TimeOfDay> {
    let clock = clock(text.as_bytes(), range)?;
    Some(TimeOfDay {
        nanos: clock.seconds * NANOS_PER_SECOND + clock.fraction,
        offset: clock.offset,
    })
}

/// A timestamp with time zone, as a UTC instant; no offset means UTC. A
/// date alone is its midnight.
///
/// ```
/// use airbyte_sdk::value::{Range, temporal};
///
/// let t = temporal::timestamp_tz("1970-01-02T01:00:00+01:00", &Range::POSTGRES).unwrap();
/// assert_eq!(t.seconds, 86_400);
/// ```
#[inline]
pub fn timestamp_tz(text: &str, range: &Range) -> Option<Timestamp> {
    timestamp(text, range, true)
}

/// A timestamp without time zone, as its wall clock: an offset is checked
/// and ignored.
///
/// ```
/// use airbyte_sdk::value::{Range, temporal};
///
/// let t = temporal::timestamp_ntz("1970-01-02T01:00:00+01:00", &Range::POSTGRES).unwrap();
/// assert_eq!(t.seconds, 90_000);
/// ```
#[inline]
pub fn timestamp_ntz(text: &str, range: &Range) -> Option<Timestamp> {
    timestamp(text, range, false)
}

#[inline]
fn timestamp(text: &str, range: &Range, zoned: bool) -> Option<Timestamp> {
    let (body, bc) = era(text.as_bytes(), range)?;
    let (days, rest) = date_part(body, bc, range)?;
    let mut time = match rest {
        [] => Clock {
            seconds: 0,
            fraction: 0,
            offset: 0,
        },
        [b'T' | b't' | b' ', time @ ..] => clock(time, range)?,
        _ => return None,
    };
    // A fraction rounded up to a whole second carries.
    if time.fraction == NANOS_PER_SECOND {
        time.seconds += 1;
        time.fraction = 0;
    }
    let mut seconds = days * SECONDS_PER_DAY + time.seconds;
    if zoned {
        seconds -= i64::from(time.offset);
    }
    // Only the instant is checked against the range, not the date before the
    // offset moves it: PostgreSQL reads `4714-11-23 23:00:00-01 BC`.
    // Nanoseconds are never negative: before the end means below its second.
    (range.first_instant <= seconds && seconds < range.end_instant).then_some(Timestamp {
        seconds,
        nanos: time.fraction as u32,
    })
}

/// A time of day as read: whole seconds, the fraction in nanoseconds (up
/// to a whole second, when it rounds up), the offset east of UTC.
struct Clock {
    seconds: i64,
    fraction: i64,
    offset: i32,
}

/// The text without a trailing ` BC`, and whether it had one (refused where
/// the range has no BC).
#[inline]
fn era<'t>(b: &'t [u8], range: &Range) -> Option<(&'t [u8], bool)> {
    match b.strip_suffix(b" BC").or_else(|| b.strip_suffix(b" bc")) {
        Some(body) if range.bc => Some((body, true)),
        Some(_) => None,
        None => Some((b, false)),
    }
}

/// Two digits as a number.
#[inline]
fn pair(a: u8, b: u8) -> Option<i64> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
    } else {
        None
    }
}

/// Digits as a number, all of them digits (at most 18, so it never overflows).
#[inline]
fn number(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

/// `YYYY-MM-DD` at the start of `b`: its days since 1970-01-01 (a day of
/// the calendar, not yet checked against the range), and what follows.
#[inline]
fn date_part<'t>(b: &'t [u8], bc: bool, range: &Range) -> Option<(i64, &'t [u8])> {
    let (year, rest) = match b {
        // Four digits, as RFC 3339 writes every year.
        [y1, y2, y3, y4, b'-', ..] => (pair(*y1, *y2)? * 100 + pair(*y3, *y4)?, &b[4..]),
        _ => {
            let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
            if !(5..=7).contains(&digits) {
                return None;
            }
            (number(&b[..digits])?, &b[digits..])
        }
    };
    let [b'-', m1, m2, b'-', d1, d2, rest @ ..] = rest else {
        return None;
    };
    let (month, day) = (pair(*m1, *m2)?, pair(*d1, *d2)?);
    let year = match (bc, year) {
        (true, 0) => return None,
        (true, _) => 1 - year,
        (false, 0) if !range.year_zero => return None,
        (false, _) => year,
    };
    Some((date_to_days(year, month as u32, day as u32)?, rest))
}

/// `HH:MM:SS[.fraction][offset]`, the whole of `b`.
#[inline]
fn clock(b: &[u8], range: &Range) -> Option<Clock> {
    let [h1, h2, b':', m1, m2, b':', s1, s2, rest @ ..] = b else {
        return None;
    };
    let (h, m, s) = (pair(*h1, *h2)?, pair(*m1, *m2)?, pair(*s1, *s2)?);
    let (fraction, zone) = match rest {
        [b'.', digits @ ..] => {
            let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            (fraction(&rest[..=n], range)?, &digits[n..])
        }
        _ => (0, rest),
    };
    let max_hour = if range.end_of_day { 24 } else { 23 };
    let max_second = if range.leap_second { 60 } else { 59 };
    if h > max_hour || m > 59 || s > max_second {
        return None;
    }
    let seconds = (h * 60 + m) * 60 + s;
    let nanos = seconds * NANOS_PER_SECOND + fraction;
    if nanos > NANOS_PER_DAY || (nanos == NANOS_PER_DAY && !range.end_of_day) {
        return None;
    }
    Some(Clock {
        seconds,
        fraction,
        offset: offset(zone, range.max_offset_hours)?,
    })
}

/// The nanoseconds of a fraction (`.` and digits), rounded to the range's
/// digits as it says.
#[inline]
fn fraction(dot_digits: &[u8], range: &Range) -> Option<i64> {
    let kept = range.fraction_digits.min(9);
    Some(match range.fraction_rounding {
        Rounding::HalfUp => fraction_half_up(&dot_digits[1..], kept),
        Rounding::Double => fraction_double(dot_digits, kept)?,
    })
}

/// `digits` rounded half up to `kept` digits, exactly.
fn fraction_half_up(digits: &[u8], kept: u8) -> i64 {
    let kept = usize::from(kept);
    let mut units = digits
        .iter()
        .take(kept)
        .fold(0, |n, d| n * 10 + i64::from(d - b'0'));
    // Missing digits are zeros.
    units *= 10_i64.pow(kept.saturating_sub(digits.len()) as u32);
    if digits.get(kept).is_some_and(|d| *d >= b'5') {
        units += 1;
    }
    units * 10_i64.pow(9 - kept as u32)
}

/// `.digits` as PostgreSQL rounds them: `rint(strtod(".digits") * 10^kept)`,
/// the nearest double scaled and rounded half to even.
fn fraction_double(dot_digits: &[u8], kept: u8) -> Option<i64> {
    // ASCII: always a str; Rust's parse is correctly rounded, as strtod is.
    let fraction: f64 = std::str::from_utf8(dot_digits).ok()?.parse().ok()?;
    let units = (fraction * 10_f64.powi(i32::from(kept))).round_ties_even() as i64;
    Some(units * 10_i64.pow(9 - u32::from(kept)))
}

/// `""`, `Z`, `z`, or `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS`: seconds east of UTC.
#[inline]
fn offset(z: &[u8], max_hours: u8) -> Option<i32> {
    let (sign, z) = match z {
        [] | [b'Z' | b'z'] => return Some(0),
        [b'+', z @ ..] => (1, z),
        [b'-', z @ ..] => (-1, z),
        _ => return None,
    };
    let (h, m, s) = match z {
        [h1, h2] => (pair(*h1, *h2)?, 0, 0),
        [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => (pair(*h1, *h2)?, pair(*m1, *m2)?, 0),
        [h1, h2, b':', m1, m2, b':', s1, s2] => (pair(*h1, *h2)?, pair(*m1, *m2)?, pair(*s1, *s2)?),
        _ => return None,
    };
    if h > i64::from(max_hours) || m > 59 || s > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::calendar::days_from_civil;

    const PG: &Range = &Range::POSTGRES;
    const SF: &Range = &Range::SNOWFLAKE;
    const SECOND: i64 = NANOS_PER_SECOND;
    /// Days from 1970-01-01 to 2000-01-01.
    const Y2K: i64 = 10_957;

    /// Microseconds since 2000-01-01, as the destination's tests counted.
    fn pg_micros(text: &str) -> Option<i64> {
        timestamp_tz(text, PG)
            .map(|t| (t.seconds - Y2K * 86_400) * 1_000_000 + i64::from(t.nanos) / 1000)
    }

    #[test]
    fn dates() {
        let d = |t: &str| date(t, PG).map(|days| days - Y2K);
        assert_eq!(d("2000-01-01"), Some(0));
        assert_eq!(d("2000-03-01"), Some(60), "2000 is a leap year");
        assert_eq!(d("1970-01-01"), Some(-10_957));
        assert_eq!(d("2024-02-29"), Some(8825));
        assert_eq!(d("2023-02-29"), None);
        assert_eq!(d("2024-02-30"), None);
        assert_eq!(d("2024-04-31"), None);
        assert_eq!(d("2024-13-01"), None);
        assert_eq!(d("2024-00-10"), None);
        assert_eq!(d("2024-01-00"), None);
        assert_eq!(
            d("0000-01-01"),
            None,
            "PostgreSQL has no year 0 in AD notation"
        );
        assert_eq!(d("0000-01-01 BC"), None);
        assert_eq!(d("0001-01-01 BC"), Some(-730_485));
        assert_eq!(d("4714-11-24 BC"), Some(-2_451_545));
        assert_eq!(d("4714-11-23 BC"), None, "before PostgreSQL's first day");
        assert_eq!(
            d("5874897-12-31"),
            Some(2_145_031_948),
            "Julian day 2147483493"
        );
        assert_eq!(d("5874898-01-01"), None, "after PostgreSQL's last day");
        assert_eq!(d("10000-01-01"), Some(days_from_civil(10_000, 1, 1) - Y2K));
        assert_eq!(d("2024-01-01T00:00:00Z"), None);
        assert_eq!(d("24-1-1"), None);
        assert_eq!(d("024-01-01"), None);
        assert_eq!(d("12345678-01-01"), None);
        assert_eq!(d("2024-1a-01"), None);
        assert_eq!(d(""), None);
        assert_eq!(date("0000-01-01", SF), Some(days_from_civil(0, 1, 1)));
        assert_eq!(date("9999-12-31", SF), Some(days_from_civil(9999, 12, 31)));
        assert_eq!(date("10000-01-01", SF), None);
    }

    #[test]
    fn timestamps() {
        const DAY: i64 = 86_400_000_000;
        assert_eq!(pg_micros("2000-01-01T00:00:00Z"), Some(0));
        assert_eq!(pg_micros("2000-01-01"), Some(0));
        assert_eq!(pg_micros("2000-01-02 00:00:01.5"), Some(DAY + 1_500_000));
        assert_eq!(pg_micros("2000-01-01T02:00:00+02:00"), Some(0));
        assert_eq!(pg_micros("2000-01-01T02:00:00+0200"), Some(0));
        assert_eq!(pg_micros("2000-01-01T02:00:00+02"), Some(0));
        assert_eq!(
            pg_micros("2000-01-01t02:00:00z"),
            Some(2 * 3600 * 1_000_000)
        );
        let ntz = timestamp_ntz("2000-01-01T02:00:00+02", PG).expect("ntz");
        assert_eq!(
            ntz.seconds - Y2K * 86_400,
            2 * 3600,
            "timestamp without time zone ignores the offset"
        );
        assert_eq!(
            timestamp_ntz("2000-01-01T02:00:00+16", PG),
            None,
            "but checks it"
        );
        assert_eq!(
            pg_micros("2000-01-01T00:00:00.0000005Z"),
            Some(0),
            "PostgreSQL's rint"
        );
        assert_eq!(pg_micros("2000-01-01T00:00:00.0000015Z"), Some(2));
        assert_eq!(pg_micros("2000-01-01T00:00:00.1234564Z"), Some(123_456));
        assert_eq!(pg_micros("1999-12-31T24:00:00Z"), Some(0));
        assert_eq!(pg_micros("1999-12-31T23:59:60Z"), Some(0));
        assert_eq!(pg_micros("1999-12-31T23:59:60.5Z"), None);
        assert_eq!(pg_micros("2000-01-01T25:00:00Z"), None);
        assert_eq!(pg_micros("2000-01-01T10:60:00Z"), None);
        assert_eq!(pg_micros("2000-01-01T10:00:00+16:00"), None);
        assert_eq!(pg_micros("2000-01-01T10:00:00 UTC"), None);
        assert_eq!(pg_micros("2000-01-01T10:00"), None);
        assert_eq!(pg_micros("2000-01-01X10:00:00"), None);
        assert_eq!(pg_micros("2000-01-01T10:00:00."), None);
        assert_eq!(pg_micros("yesterday"), None);
        assert_eq!(
            pg_micros("infinity"),
            None,
            "special values are the store's"
        );
        assert_eq!(
            pg_micros("4714-11-24 00:00:00+00 BC"),
            Some(-211_813_488_000_000_000)
        );
        assert_eq!(
            pg_micros("4714-11-24 00:00:00+01 BC"),
            None,
            "before the first instant in UTC"
        );
        assert_eq!(
            pg_micros("294276-12-31T23:59:59.999999Z"),
            Some(9_223_371_331_199_999_999)
        );
        assert_eq!(pg_micros("294277-01-01T00:00:00Z"), None);
        assert_eq!(
            pg_micros("294276-12-31T23:59:59.9999995Z"),
            None,
            "rounds past the end"
        );
        assert_eq!(
            timestamp_tz("2024-01-01T00:00:00Z BC", SF),
            None,
            "no BC in Snowflake"
        );
    }

    #[test]
    fn times() {
        let t = |s: &str| time(s, PG).map(|t| (t.nanos / 1000, t.offset));
        assert_eq!(t("00:00:00"), Some((0, 0)));
        assert_eq!(t("24:00:00"), Some((86_400_000_000, 0)));
        assert_eq!(t("24:00:00.0000004"), Some((86_400_000_000, 0)));
        assert_eq!(t("24:00:01"), None);
        assert_eq!(t("24:00:00.000001"), None);
        assert_eq!(t("23:59:60"), Some((86_400_000_000, 0)));
        assert_eq!(t("12:30:60"), Some((45_060_000_000, 0)));
        assert_eq!(
            t("23:59:59.9999999"),
            Some((86_400_000_000, 0)),
            "rounds to 24:00:00"
        );
        assert_eq!(t("10:00:00+05:30"), Some((36_000_000_000, 19_800)));
        assert_eq!(t("10:00:00-15:59:59"), Some((36_000_000_000, -57_599)));
        assert_eq!(t("10:00:00+16:00"), None);
        assert_eq!(t("10:00:00+05:60"), None);
        assert_eq!(t("10:00:00+5:30"), None);
        assert_eq!(t("10:00:61"), None);
        assert_eq!(t("1:00:00"), None);
        assert_eq!(t("infinity"), None);
        assert_eq!(time("24:00:00", SF), None);
        assert_eq!(time("23:59:60", SF), None);
        assert_eq!(
            time("23:59:59.999999999", SF).map(|t| t.nanos),
            Some(NANOS_PER_DAY - 1)
        );
        assert_eq!(time("23:59:59.9999999995", SF), None, "rounds to 24:00:00");
        assert_eq!(time("10:00:00+23:59", SF).map(|t| t.offset), Some(86_340));
        assert_eq!(time("10:00:00+24:00", SF), None);
    }

    #[test]
    fn rfc3339_round_trips() {
        for text in [
            "1970-01-01T00:00:00.000000000Z",
            "1969-12-31T23:59:59.999999999Z",
            "2024-02-29T12:34:56.789012345Z",
            "0001-01-01T00:00:00.000000000Z BC",
            "4714-11-24T00:00:00.000000000Z BC",
            "294276-12-31T23:59:59.999999000Z",
        ] {
            let t = timestamp_tz(text, &Range::CURSOR).expect(text);
            assert_eq!(t.rfc3339(9).to_string(), text);
        }
        let t = timestamp_tz("2000-01-01T00:00:00.123456789Z", SF).expect("ts");
        assert_eq!(t.rfc3339(3).to_string(), "2000-01-01T00:00:00.123Z");
        assert_eq!(t.rfc3339(12).to_string(), "2000-01-01T00:00:00.123456789Z");
    }

    #[test]
    fn fractions_round_as_postgresql() {
        let pg = |digits: &str| fraction(format!(".{digits}").as_bytes(), PG);
        // The nearest double, scaled, rounded half to even (measured on PostgreSQL 15).
        assert_eq!(pg("0000005"), Some(0));
        assert_eq!(pg("0000015"), Some(2_000));
        assert_eq!(pg("0000025"), Some(2_000));
        assert_eq!(pg("1234565"), Some(123_456_000));
        assert_eq!(pg("1234564"), Some(123_456_000));
        assert_eq!(pg("9999995"), Some(SECOND));
        assert_eq!(pg("5"), Some(500_000_000));
        assert_eq!(pg(&"1".repeat(400)), Some(111_111_000));
    }

    #[test]
    fn fractions_round_half_up() {
        let fraction = fraction_half_up;
        assert_eq!(fraction(b"5", 9), 500_000_000);
        assert_eq!(fraction(b"123456789", 9), 123_456_789);
        assert_eq!(fraction(b"1234567895", 9), 123_456_790);
        assert_eq!(fraction(b"1234565", 6), 123_457_000);
        assert_eq!(fraction(b"1234564", 6), 123_456_000);
        assert_eq!(fraction(b"9999995", 6), SECOND);
        assert_eq!(fraction(b"5", 0), SECOND);
        assert_eq!(fraction(b"4", 0), 0);
        assert_eq!(fraction(&[b'1'; 100], 9), 111_111_111);
    }
}
