//! Dates and times as PostgreSQL's binary values. The parsing is the SDK's
//! (`airbyte_sdk::value::temporal`, with [`Range::POSTGRES`]: PostgreSQL's
//! own range rules), so a value the server would reject is `None` here and
//! becomes NULL plus a change instead of failing the load. What stays here
//! is PostgreSQL's: its epoch (2000-01-01), microseconds, `±infinity`, and
//! the sign of a `timetz` zone.
//!
//! A timestamptz or timetz without an offset is taken as UTC (Airbyte's
//! convention), not as the session's time zone.

use airbyte_sdk::value::{Range, temporal};

/// Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_DAYS: i64 = 10_957;
const PG_EPOCH_SECONDS: i64 = PG_EPOCH_DAYS * 86_400;
const MICROS_PER_SECOND: i64 = 1_000_000;
const PG: &Range = &Range::POSTGRES;

/// A `date`: days since 2000-01-01 (`i32::MAX`/`MIN` for ±infinity).
pub fn date(s: &str) -> Option<i32> {
    if let Some(inf) = infinity(s) {
        return Some(if inf { i32::MAX } else { i32::MIN });
    }
    i32::try_from(temporal::date(s, PG)? - PG_EPOCH_DAYS).ok()
}

/// A `timestamp` (`zoned`: `timestamptz`, in UTC): microseconds since 2000-01-01
/// (`i64::MAX`/`MIN` for ±infinity). A `timestamp` ignores an offset, as PostgreSQL does.
pub fn timestamp(s: &str, zoned: bool) -> Option<i64> {
    if let Some(inf) = infinity(s) {
        return Some(if inf { i64::MAX } else { i64::MIN });
    }
    let t = if zoned {
        temporal::timestamp_tz(s, PG)?
    } else {
        temporal::timestamp_ntz(s, PG)?
    };
    // Within PostgreSQL's range, microseconds since 2000 fit an i64.
    Some((t.seconds - PG_EPOCH_SECONDS) * MICROS_PER_SECOND + i64::from(t.nanos / 1000))
}

/// A `time`: microseconds since midnight (an offset is ignored, as PostgreSQL does).
pub fn time(s: &str) -> Option<i64> {
    Some(temporal::time(s, PG)?.nanos / 1000)
}

/// A `timetz`: microseconds since midnight, and the zone in seconds *west* of UTC
/// (PostgreSQL's sign); no offset means UTC.
pub fn timetz(s: &str) -> Option<(i64, i32)> {
    let t = temporal::time(s, PG)?;
    Some((t.nanos / 1000, -t.offset))
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

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400 * MICROS_PER_SECOND;

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
        // PostgreSQL rounds `rint(strtod(".0000005") * 1e6)`: 0 (measured on
        // PostgreSQL 15, and in the calendar test against the server), where
        // this parser used to round half up to 1.
        assert_eq!(timestamp("2000-01-01T00:00:00.0000005Z", true), Some(0));
        assert_eq!(timestamp("2000-01-01T00:00:00.0000015Z", true), Some(2));
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

    /// The SDK's table of calendar edge cases, through this encoding: what
    /// PostgreSQL's range gives each, and the instant a cursor reads.
    #[test]
    fn calendar_cases_encode_as_the_sdk_reads_them() {
        use airbyte_sdk::value::cases::{CASES, Kind};
        const NANOS_PER_MICRO: i128 = 1000;
        let since_1970 = |micros: i64| {
            (i128::from(micros) + i128::from(PG_EPOCH_SECONDS) * 1_000_000) * NANOS_PER_MICRO
        };
        for case in CASES {
            let ours = match case.kind {
                Kind::Date => date(case.text).map(|d| i128::from(d) + i128::from(PG_EPOCH_DAYS)),
                Kind::Time => time(case.text).map(|us| i128::from(us) * NANOS_PER_MICRO),
                Kind::TimeTz => timetz(case.text).map(|(us, _)| i128::from(us) * NANOS_PER_MICRO),
                Kind::Timestamp => timestamp(case.text, false).map(since_1970),
                Kind::TimestampTz => timestamp(case.text, true).map(since_1970),
            };
            assert_eq!(ours, case.postgres, "{:?} {}", case.kind, case.text);
            let instant = match (case.kind, ours) {
                (Kind::Date, Some(days)) => days * 86_400_000_000_000,
                (Kind::TimestampTz, Some(nanos)) => nanos,
                _ => continue,
            };
            let cursor = temporal::timestamp_tz(case.text, &Range::CURSOR)
                .expect("a cursor reads what PostgreSQL accepts")
                .nanos_since_epoch();
            // PostgreSQL keeps microseconds; the cursor, nanoseconds.
            assert!(
                (cursor - instant).abs() <= 500,
                "{}: {cursor} vs {instant}",
                case.text
            );
        }
        assert_eq!(
            timetz("10:00:00-15:59:59"),
            Some((36_000 * MICROS_PER_SECOND, 57_599))
        );
        assert_eq!(timetz("10:00:00+16:00"), None);
    }
}
