//! Dates and times as sources write them (ISO 8601 with `T` or a space, an
//! optional fraction, `Z` or a numeric offset, an optional ` BC`) turned into
//! PostgreSQL's binary values, with the server's own range rules: a value
//! PostgreSQL would reject is `None` here, so it becomes NULL plus a change
//! instead of failing the load.
//!
//! A timestamptz or timetz without an offset is taken as UTC (Airbyte's
//! convention), not as the session's time zone.

/// Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_DAYS: i64 = 10_957;
const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;
/// The first day PostgreSQL dates and timestamps can hold, 4714-11-24 BC
/// (Julian day 0), in days since 1970-01-01.
const MIN_DAYS: i64 = -2_440_588;

/// A `date`: days since 2000-01-01 (`i32::MAX`/`MIN` for ±infinity).
pub fn date(s: &str) -> Option<i32> {
    if let Some(inf) = infinity(s) {
        return Some(if inf { i32::MAX } else { i32::MIN });
    }
    let (body, bc) = era(s);
    if body.len() != 10 {
        return None;
    }
    let days = civil_days(body.as_bytes(), bc)?;
    i32::try_from(days - PG_EPOCH_DAYS).ok()
}

/// A `timestamp` (`zoned`: `timestamptz`, in UTC): microseconds since 2000-01-01
/// (`i64::MAX`/`MIN` for ±infinity). A `timestamp` ignores an offset, as PostgreSQL does.
pub fn timestamp(s: &str, zoned: bool) -> Option<i64> {
    if let Some(inf) = infinity(s) {
        return Some(if inf { i64::MAX } else { i64::MIN });
    }
    let (body, bc) = era(s);
    let b = body.as_bytes();
    let days = civil_days(b.get(..10)?, bc)?;
    let (micros, offset) = match b.len() {
        10 => (0, 0),
        _ if matches!(b[10], b'T' | b't' | b' ') => {
            let time = time_of_day(&b[11..])?;
            (time.micros, if zoned { time.offset } else { 0 })
        }
        _ => return None,
    };
    let utc = (days - PG_EPOCH_DAYS) * MICROS_PER_DAY + micros - offset * MICROS_PER_SECOND;
    // Below 4714-11-24 BC (in UTC) is out of PostgreSQL's range.
    (utc >= (MIN_DAYS - PG_EPOCH_DAYS) * MICROS_PER_DAY).then_some(utc)
}

/// A `time`: microseconds since midnight (an offset is ignored, as PostgreSQL does).
pub fn time(s: &str) -> Option<i64> {
    Some(time_of_day(s.as_bytes())?.micros)
}

/// A `timetz`: microseconds since midnight, and the zone in seconds *west* of UTC
/// (PostgreSQL's sign); no offset means UTC.
pub fn timetz(s: &str) -> Option<(i64, i32)> {
    let t = time_of_day(s.as_bytes())?;
    Some((t.micros, i32::try_from(-t.offset).ok()?))
}

/// `Some(true)` for infinity, `Some(false)` for -infinity.
fn infinity(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("infinity") || s.eq_ignore_ascii_case("+infinity") {
        Some(true)
    } else if s.eq_ignore_ascii_case("-infinity") {
        Some(false)
    } else {
        None
    }
}

/// The text without a trailing ` BC`, and whether it had one.
fn era(s: &str) -> (&str, bool) {
    match s.strip_suffix(" BC").or_else(|| s.strip_suffix(" bc")) {
        Some(body) => (body, true),
        None => (s, false),
    }
}

/// Digits as a number, all of them digits.
fn number(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

/// Days since 1970-01-01 of `YYYY-MM-DD` (year 1 BC is year 0, as in ISO 8601).
fn civil_days(b: &[u8], bc: bool) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = number(&b[..4])?;
    let (month, day) = (number(&b[5..7])?, number(&b[8..10])?);
    if year == 0 && bc {
        return None;
    }
    let year = if bc { 1 - year } else { year };
    if year == 0 && !bc {
        // PostgreSQL has no year 0 in AD notation.
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    (days >= MIN_DAYS).then_some(days)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year.rem_euclid(4) == 0
            && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0) =>
        {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's days_from_civil, proleptic Gregorian, astronomical years.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

struct TimeOfDay {
    micros: i64,
    /// Seconds east of UTC.
    offset: i64,
}

/// `HH:MM:SS[.fraction][zone]`: up to 24:00:00, a leap second 60 allowed,
/// the fraction rounded to microseconds.
fn time_of_day(b: &[u8]) -> Option<TimeOfDay> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (number(&b[..2])?, number(&b[3..5])?, number(&b[6..8])?);
    let mut i = 8;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = &b[start..i];
        if digits.is_empty() {
            return None;
        }
        let kept = &digits[..digits.len().min(6)];
        frac = number(kept)? * 10_i64.pow(6 - kept.len() as u32);
        // The seventh digit rounds, as PostgreSQL rounds to microseconds.
        if digits.get(6).is_some_and(|d| *d >= b'5') {
            frac += 1;
        }
    }
    if h > 24 || m > 59 || s > 60 {
        return None;
    }
    let micros = ((h * 60 + m) * 60 + s) * MICROS_PER_SECOND + frac;
    if micros > MICROS_PER_DAY {
        return None;
    }
    Some(TimeOfDay {
        micros,
        offset: zone(&b[i..])?,
    })
}

/// `""`, `Z`, or `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS`: seconds east of UTC.
fn zone(z: &[u8]) -> Option<i64> {
    if z.is_empty() || z == b"Z" || z == b"z" {
        return Some(0);
    }
    let sign = match z[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let z = &z[1..];
    let (h, m, s) = match (z.len(), z.get(2)) {
        (2, _) => (number(z)?, 0, 0),
        (4, _) => (number(&z[..2])?, number(&z[2..])?, 0),
        (5, Some(b':')) => (number(&z[..2])?, number(&z[3..])?, 0),
        (8, Some(b':')) if z[5] == b':' => (number(&z[..2])?, number(&z[3..5])?, number(&z[6..])?),
        _ => return None,
    };
    // PostgreSQL accepts offsets up to 15:59:59.
    if h > 15 || m > 59 || s > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = MICROS_PER_DAY;

    #[test]
    fn dates() {
        assert_eq!(date("2000-01-01"), Some(0));
        assert_eq!(date("2000-03-01"), Some(60), "2000 is a leap year");
        assert_eq!(date("1970-01-01"), Some(-10_957));
        assert_eq!(date("2024-02-29"), Some(8825));
        assert_eq!(date("2023-02-29"), None);
        assert_eq!(date("2024-04-31"), None);
        assert_eq!(date("2024-13-01"), None);
        assert_eq!(date("2024-00-10"), None);
        assert_eq!(date("0000-01-01"), None);
        assert_eq!(date("0001-01-01 BC"), Some(-730_485));
        assert_eq!(date("4714-11-24 BC"), Some(-2_451_545));
        assert_eq!(date("4714-11-23 BC"), None, "before PostgreSQL's first day");
        assert_eq!(date("Infinity"), Some(i32::MAX));
        assert_eq!(date("-infinity"), Some(i32::MIN));
        assert_eq!(date("2024-01-01T00:00:00Z"), None);
        assert_eq!(date("24-1-1"), None);
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("2000-01-01T00:00:00Z", true), Some(0));
        assert_eq!(timestamp("2000-01-01", true), Some(0));
        assert_eq!(
            timestamp("2000-01-02 00:00:01.5", true),
            Some(DAY + 1_500_000)
        );
        assert_eq!(timestamp("2000-01-01T02:00:00+02:00", true), Some(0));
        assert_eq!(timestamp("2000-01-01T02:00:00+0200", true), Some(0));
        assert_eq!(timestamp("2000-01-01T02:00:00+02", true), Some(0));
        assert_eq!(
            timestamp("2000-01-01T02:00:00+02", false),
            Some(2 * 3600 * MICROS_PER_SECOND),
            "timestamp without time zone ignores the offset"
        );
        assert_eq!(timestamp("2000-01-01T00:00:00.0000005Z", true), Some(1));
        assert_eq!(
            timestamp("2000-01-01T00:00:00.1234564Z", true),
            Some(123_456)
        );
        assert_eq!(timestamp("1999-12-31T24:00:00Z", true), Some(0));
        assert_eq!(timestamp("1999-12-31T23:59:60Z", true), Some(0));
        assert_eq!(timestamp("2000-01-01T25:00:00Z", true), None);
        assert_eq!(timestamp("2000-01-01T10:60:00Z", true), None);
        assert_eq!(timestamp("2000-01-01T10:00:00+16:00", true), None);
        assert_eq!(timestamp("2000-01-01T10:00:00 UTC", true), None);
        assert_eq!(timestamp("2000-01-01T10:00", true), None);
        assert_eq!(timestamp("yesterday", true), None);
        assert_eq!(timestamp("infinity", true), Some(i64::MAX));
    }

    #[test]
    fn times() {
        assert_eq!(time("00:00:00"), Some(0));
        assert_eq!(time("24:00:00"), Some(DAY));
        assert_eq!(time("24:00:01"), None);
        assert_eq!(time("10:00:00+05:30"), Some(36_000 * MICROS_PER_SECOND));
        assert_eq!(
            timetz("10:00:00+05:30"),
            Some((36_000 * MICROS_PER_SECOND, -19_800))
        );
        assert_eq!(timetz("10:00:00"), Some((36_000 * MICROS_PER_SECOND, 0)));
        assert_eq!(time("infinity"), None);
    }
}
