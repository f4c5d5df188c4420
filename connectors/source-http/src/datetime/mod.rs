//! Datetimes as the CDK's `DatetimeParser` reads and writes them: Python's
//! `strptime`/`strftime` semantics, plus the CDK's whole-format tokens
//! `%s`, `%s_as_float`, `%ms`, `%epoch_microseconds` and the `%_ms`
//! directive (3-digit milliseconds). Naive values are UTC.
//!
//! - [`format()`] is `strftime`;
//! - [`parse()`] is `strptime`, with Python's regex alternatives and backtracking.

mod format;
mod parse;

use airbyte_sdk::value::calendar::{civil_from_days, days_from_civil};

pub use format::{format, strftime};
pub use parse::{parse, strptime};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// An aware Python `datetime`: an instant in microseconds since
/// 1970-01-01T00:00:00Z and the fixed UTC offset it is shown in.
/// Ordered and compared by instant.
///
/// ```
/// use source_http::datetime::{self, DateTime};
/// let t = datetime::parse("2024-01-01T10:00:00+02:00", "%Y-%m-%dT%H:%M:%S%z").unwrap();
/// assert_eq!(t, DateTime::from_micros(1_704_096_000_000_000));
/// assert_eq!(datetime::format(&t, "%s").unwrap(), "1704096000");
/// assert_eq!(datetime::format(&t, "%Y-%m-%d %H:%M%z").unwrap(), "2024-01-01 10:00+0200");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DateTime {
    /// Microseconds since the epoch, UTC.
    pub micros: i64,
    /// Seconds east of UTC the value is shown in.
    pub offset: i32,
}

impl PartialEq for DateTime {
    fn eq(&self, other: &Self) -> bool {
        self.micros == other.micros
    }
}

impl Eq for DateTime {}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DateTime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.micros.cmp(&other.micros)
    }
}

/// The fields of a datetime on its own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// The year (1 to 9999).
    pub year: i64,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month.
    pub day: u32,
    /// The hour, 0 to 23.
    pub hour: u32,
    /// The minute.
    pub minute: u32,
    /// The second (never 60).
    pub second: u32,
    /// The microsecond.
    pub micro: u32,
    /// Days since 1970-01-01 of the date.
    pub days: i64,
}

impl DateTime {
    /// The instant `micros` after the epoch, in UTC.
    pub fn from_micros(micros: i64) -> Self {
        DateTime { micros, offset: 0 }
    }

    /// The datetime of these civil fields at `offset`; `None` if they are no
    /// real date or time (years 1 to 9999, as Python's).
    #[allow(clippy::too_many_arguments)]
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        micro: u32,
        offset: i32,
    ) -> Option<Self> {
        let valid = (1..=9999).contains(&year)
            && airbyte_sdk::value::calendar::is_valid_date(year, month, day)
            && hour < 24
            && minute < 60
            && second < 60
            && micro < 1_000_000;
        if !valid {
            return None;
        }
        let local = days_from_civil(year, month, day) * MICROS_PER_DAY
            + (i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
                * MICROS_PER_SECOND
            + i64::from(micro);
        Some(DateTime {
            micros: local - i64::from(offset) * MICROS_PER_SECOND,
            offset,
        })
    }

    /// Its fields on its own clock (UTC plus its offset).
    pub fn civil(&self) -> Civil {
        let local = self.micros + i64::from(self.offset) * MICROS_PER_SECOND;
        let days = local.div_euclid(MICROS_PER_DAY);
        let of_day = local.rem_euclid(MICROS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds = of_day / MICROS_PER_SECOND;
        Civil {
            year,
            month,
            day,
            hour: (seconds / 3600) as u32,
            minute: (seconds / 60 % 60) as u32,
            second: (seconds % 60) as u32,
            micro: (of_day % MICROS_PER_SECOND) as u32,
            days,
        }
    }

    /// Python's `dt.timestamp()`: seconds since the epoch, as a float.
    pub fn timestamp(&self) -> f64 {
        self.micros as f64 / 1e6
    }

    /// The same instant shown at another offset.
    pub fn at_offset(self, offset: i32) -> Self {
        DateTime { offset, ..self }
    }

    /// Python's `str(dt)`: `2024-01-01 10:00:00+00:00`, with `.ffffff`
    /// when there are microseconds.
    pub fn python_str(&self) -> String {
        let c = self.civil();
        let mut out = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        );
        if c.micro > 0 {
            out.push_str(&format!(".{:06}", c.micro));
        }
        out.push_str(&format::offset_text(self.offset, true));
        out
    }
}

/// An error of a datetime format or value, in Python's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatetimeError(pub String);

impl std::fmt::Display for DatetimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DatetimeError {}
