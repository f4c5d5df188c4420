//! The proleptic Gregorian calendar, with astronomical years (year 0 is
//! 1 BC, year -1 is 2 BC), counted in days since 1970-01-01.
//!
//! The conversions are Howard Hinnant's `days_from_civil` and
//! `civil_from_days`: exact for every `i64` year a date can be stored with,
//! branch-light and `const`.
//!
//! ```
//! use airbyte_sdk::value::calendar;
//!
//! assert!(calendar::is_leap_year(2024) && !calendar::is_leap_year(1900) && calendar::is_leap_year(2000));
//! assert_eq!(calendar::days_in_month(2024, 2), 29);
//! assert_eq!(calendar::date_to_days(2024, 2, 30), None);
//! let days = calendar::date_to_days(2000, 1, 1).unwrap();
//! assert_eq!(days, 10_957);
//! assert_eq!(calendar::civil_from_days(days), (2000, 1, 1));
//! ```

/// Seconds in a day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// Nanoseconds in a day.
pub const NANOS_PER_DAY: i64 = SECONDS_PER_DAY * 1_000_000_000;

/// Whether `year` (astronomical: 0 is 1 BC) has a February 29.
#[inline]
pub const fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// The days in `month` (1 to 12) of `year`; 0 for a month that does not exist.
#[inline]
pub const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        _ => 0,
    }
}

/// Whether `year-month-day` is a day of the calendar.
#[inline]
pub const fn is_valid_date(year: i64, month: u32, day: u32) -> bool {
    // Every month has 28 days: most dates need no more.
    (day >= 1 && day <= 28 && month >= 1 && month <= 12)
        || (day >= 1 && day <= days_in_month(year, month))
}

/// Days since 1970-01-01 of `year-month-day`, if it is a day of the calendar
/// (`2024-02-30` is not).
#[inline]
pub const fn date_to_days(year: i64, month: u32, day: u32) -> Option<i64> {
    if is_valid_date(year, month, day) {
        Some(days_from_civil(year, month, day))
    } else {
        None
    }
}

/// Days since 1970-01-01 of `year-month-day`, not checked: `day` may run
/// past the month's end (`2024-02-30` is `2024-03-01`). Use
/// [`date_to_days`] for text from outside.
#[inline]
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (month as i64, day as i64);
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `(year, month, day)` of `days` since 1970-01-01.
#[inline]
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_years() {
        for (year, leap) in [
            (2024, true),
            (2023, false),
            (2000, true),
            (1900, false),
            (2100, false),
            (2400, true),
            (0, true),
            (-1, false),
            (-4, true),
            (-100, false),
            (-400, true),
        ] {
            assert_eq!(is_leap_year(year), leap, "{year}");
            assert_eq!(days_in_month(year, 2), if leap { 29 } else { 28 });
        }
    }

    #[test]
    fn months() {
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        for (i, len) in lengths.iter().enumerate() {
            assert_eq!(days_in_month(2023, i as u32 + 1), *len);
        }
        assert_eq!(days_in_month(2023, 0), 0);
        assert_eq!(days_in_month(2023, 13), 0);
        assert!(!is_valid_date(2024, 2, 30));
        assert!(!is_valid_date(2024, 4, 31));
        assert!(!is_valid_date(2024, 1, 0));
        assert!(is_valid_date(2024, 2, 29));
    }

    #[test]
    fn known_days() {
        assert_eq!(date_to_days(1970, 1, 1), Some(0));
        assert_eq!(date_to_days(2000, 1, 1), Some(10_957));
        assert_eq!(date_to_days(2000, 3, 1), Some(10_957 + 60));
        assert_eq!(date_to_days(2024, 2, 29), Some(19_782));
        // PostgreSQL's first day, 4714-11-24 BC, is Julian day 0.
        assert_eq!(date_to_days(-4713, 11, 24), Some(-2_440_588));
        assert_eq!(date_to_days(0, 1, 1), Some(-719_528));
        assert_eq!(days_from_civil(2024, 2, 30), days_from_civil(2024, 3, 1));
    }

    #[test]
    fn round_trips_over_eras() {
        let mut days = days_from_civil(-4713, 11, 24);
        let end = days_from_civil(294_277, 1, 1);
        // A prime step visits every day of the month and every month over the range.
        while days < end {
            let (y, m, d) = civil_from_days(days);
            assert!(is_valid_date(y, m, d), "{days}: {y}-{m}-{d}");
            assert_eq!(days_from_civil(y, m, d), days);
            days += 997;
        }
        for days in -800_000..-700_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(date_to_days(y, m, d), Some(days));
        }
    }
}
