//! ISO-8601 durations as the `isodate` package (the CDK's `parse_duration`)
//! reads them and adds them to datetimes.
//!
//! - `PnYnMnWnDTnHnMnS`, each part optional (at least one character after
//!   the `P`), an optional leading sign, `,` or `.` fractions.
//! - Without years or months the duration is a `timedelta` (a fixed
//!   number of microseconds); with them it is an `isodate.Duration`: the
//!   months are added on the calendar first (the day clipped to the month's
//!   length), then the rest.
//! - `P0D` is a zero `timedelta`, which Python holds false; a `Duration`
//!   (`P1M`) is always true.
//! - The alternative forms `PYYYY-MM-DDThh:mm:ss` and `PYYYYMMDDThhmmss`
//!   (a real date and time, as isodate reads them) are a duration of that
//!   many years, months, days...; their other forms (ordinal dates, weeks,
//!   fractions, zones) are refused.

use crate::datetime::DateTime;

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

/// The largest `timedelta`: 999,999,999 days and a day less a microsecond.
const MAX_DELTA_MICROS: f64 = 999_999_999.0 * MICROS_PER_DAY + 86_399_999_999.0;

/// A duration: what `isodate.parse_duration` returns, or `timedelta.max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gap {
    /// `datetime.timedelta.max`, the CDK's step when none is given: adding it
    /// to any datetime overflows.
    Max,
    /// A `timedelta`, in microseconds.
    Delta(i64),
    /// An `isodate.Duration`: calendar years and months (possibly
    /// fractional, which cannot be added to a date), then microseconds.
    Calendar {
        /// The years.
        years: f64,
        /// The months.
        months: f64,
        /// The rest, in microseconds.
        micros: i64,
    },
}

/// Why a duration could not be added or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GapError {
    /// Python's `OverflowError`: the result is out of the datetimes' range.
    Overflow,
    /// Python's `ValueError` (a fractional month, a date out of range) or
    /// `ISO8601Error` (text that is no duration).
    Invalid(String),
}

impl std::fmt::Display for GapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GapError::Overflow => f.write_str("date value out of range"),
            GapError::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for GapError {}

impl Gap {
    /// `isodate.parse_duration(text)`.
    ///
    /// ```
    /// use source_http::incremental::Gap;
    /// assert_eq!(Gap::parse("P1D").unwrap(), Gap::Delta(86_400_000_000));
    /// assert_eq!(Gap::parse("PT1.5S").unwrap(), Gap::Delta(1_500_000));
    /// assert_eq!(Gap::parse("-PT1S").unwrap(), Gap::Delta(-1_000_000));
    /// assert!(matches!(Gap::parse("P1M").unwrap(), Gap::Calendar { months, .. } if months == 1.0));
    /// assert!(Gap::parse("1 day").is_err() && Gap::parse("P").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Gap, GapError> {
        let invalid = || GapError::Invalid(format!("Unable to parse duration string {text:?}"));
        // Python's `$` also matches before one final newline.
        let body = text.strip_suffix('\n').unwrap_or(text);
        let (negative, body) = match body.as_bytes().first() {
            Some(b'-') => (true, &body[1..]),
            Some(b'+') => (false, &body[1..]),
            _ => (false, body),
        };
        let Some(rest) = body.strip_prefix('P') else {
            return Err(invalid());
        };
        if let Some(gap) = text.strip_prefix('P').and_then(alternative) {
            return Ok(gap);
        }
        // `P(?!\b)`: a word character must follow the `P`.
        if !rest
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            return Err(invalid());
        }
        let (date, time) = match rest.find('T') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let mut parts = [0.0_f64; 7]; // Y M W D H M S
        take_parts(date, &['Y', 'M', 'W', 'D'], &mut parts[..4]).ok_or_else(invalid)?;
        if let Some(time) = time {
            take_parts(time, &['H', 'M', 'S'], &mut parts[4..]).ok_or_else(invalid)?;
        }
        let [years, months, weeks, days, hours, minutes, seconds] = parts;
        let total = (weeks * 7.0 + days) * MICROS_PER_DAY
            + hours * 3_600_000_000.0
            + minutes * 60_000_000.0
            + seconds * 1_000_000.0;
        let micros = total.round_ties_even();
        if !micros.is_finite() || micros.abs() > MAX_DELTA_MICROS {
            return Err(GapError::Overflow);
        }
        let micros = micros as i64;
        let sign = if negative { -1.0 } else { 1.0 };
        Ok(if years == 0.0 && months == 0.0 {
            Gap::Delta(if negative { -micros } else { micros })
        } else {
            Gap::Calendar {
                years: sign * years,
                months: sign * months,
                micros: if negative { -micros } else { micros },
            }
        })
    }

    /// Python's truth of the duration: a zero `timedelta` is false.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Gap::Delta(0))
    }

    /// The negated duration.
    pub fn negated(self) -> Gap {
        match self {
            Gap::Max => Gap::Max,
            Gap::Delta(d) => Gap::Delta(-d),
            Gap::Calendar {
                years,
                months,
                micros,
            } => Gap::Calendar {
                years: -years,
                months: -months,
                micros: -micros,
            },
        }
    }

    /// `dt + self`.
    ///
    /// ```
    /// use source_http::datetime::{format, parse};
    /// use source_http::incremental::Gap;
    /// let jan31 = parse("2024-01-31", "%Y-%m-%d").unwrap();
    /// let feb = Gap::parse("P1M").unwrap().add_to(jan31).unwrap();
    /// assert_eq!(format(&feb, "%Y-%m-%d").unwrap(), "2024-02-29");
    /// assert!(Gap::Max.add_to(jan31).is_err());
    /// ```
    pub fn add_to(self, dt: DateTime) -> Result<DateTime, GapError> {
        match self {
            Gap::Max => Err(GapError::Overflow),
            Gap::Delta(d) => add_micros(dt, d),
            Gap::Calendar {
                years,
                months,
                micros,
            } => add_micros(add_months(dt, years, months)?, micros),
        }
    }

    /// `dt - self`.
    pub fn subtract_from(self, dt: DateTime) -> Result<DateTime, GapError> {
        match self {
            Gap::Max => Err(GapError::Overflow),
            Gap::Delta(d) => add_micros(dt, d.checked_neg().ok_or(GapError::Overflow)?),
            // isodate subtracts the months first, then the timedelta.
            Gap::Calendar { .. } => match self.negated() {
                Gap::Calendar {
                    years,
                    months,
                    micros,
                } => add_micros(add_months(dt, years, months)?, micros),
                _ => Err(GapError::Overflow),
            },
        }
    }
}

/// The alternative form: `YYYY-MM-DDThh:mm:ss` or `YYYYMMDDThhmmss` (only
/// when the designator form does not read, as isodate tries it second).
fn alternative(text: &str) -> Option<Gap> {
    let (date, time) = text.split_once('T')?;
    let digits = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = match date.len() {
        10 if date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-' => (
            digits(&date[..4])?,
            digits(&date[5..7])?,
            digits(&date[8..])?,
        ),
        8 => (
            digits(&date[..4])?,
            digits(&date[4..6])?,
            digits(&date[6..])?,
        ),
        _ => return None,
    };
    let (h, mi, s) = match time.len() {
        8 if time.as_bytes()[2] == b':' && time.as_bytes()[5] == b':' => (
            digits(&time[..2])?,
            digits(&time[3..5])?,
            digits(&time[6..])?,
        ),
        6 => (
            digits(&time[..2])?,
            digits(&time[2..4])?,
            digits(&time[4..])?,
        ),
        _ => return None,
    };
    let month = u32::try_from(m).ok()?;
    let day = u32::try_from(d).ok()?;
    let real = y >= 1
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(y, month)
        && h < 24
        && mi < 60
        && s < 60;
    real.then(|| Gap::Calendar {
        years: y as f64,
        months: m as f64,
        micros: ((d * 24 + h) * 60 + mi) * 60 * 1_000_000 + s * 1_000_000,
    })
}

/// Reads `n<unit>` parts in the order of `units`, each at most once.
fn take_parts(mut text: &str, units: &[char], out: &mut [f64]) -> Option<()> {
    let mut next_unit = 0;
    while !text.is_empty() {
        let digits = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(text.len());
        let number = &text[..digits];
        let unit = text[digits..].chars().next()?;
        let position = units[next_unit..].iter().position(|u| *u == unit)? + next_unit;
        out[position] = number_value(number)?;
        next_unit = position + 1;
        text = &text[digits + unit.len_utf8()..];
    }
    Some(())
}

/// `[0-9]+([,.][0-9]+)?` as a number.
fn number_value(text: &str) -> Option<f64> {
    let (whole, fraction) = match text.find([',', '.']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let normal = match fraction {
        Some(f) => format!("{whole}.{f}"),
        None => whole.to_owned(),
    };
    normal.parse().ok()
}

/// `dt + timedelta(microseconds=micros)`, in the range of datetimes (on the
/// value's own clock, as Python checks it).
pub(crate) fn add_micros(dt: DateTime, micros: i64) -> Result<DateTime, GapError> {
    let moved = DateTime {
        micros: dt.micros.checked_add(micros).ok_or(GapError::Overflow)?,
        offset: dt.offset,
    };
    let year = moved.civil().year;
    if (1..=9999).contains(&year) {
        Ok(moved)
    } else {
        Err(GapError::Overflow)
    }
}

/// isodate's calendar step: the month moved, the year carried, the day
/// clipped to the new month's length; the time of day kept.
fn add_months(dt: DateTime, years: f64, months: f64) -> Result<DateTime, GapError> {
    if years.fract() != 0.0 || months.fract() != 0.0 {
        return Err(GapError::Invalid(
            "fractional years or months not supported for date calculations".into(),
        ));
    }
    let c = dt.civil();
    let month0 = i64::from(c.month) - 1 + months as i64;
    let year = c.year + years as i64 + month0.div_euclid(12);
    let month = (month0.rem_euclid(12) + 1) as u32;
    let day = c.day.min(days_in_month(year, month));
    DateTime::from_civil(
        year, month, day, c.hour, c.minute, c.second, c.micro, dt.offset,
    )
    .ok_or_else(|| GapError::Invalid(format!("year {year} is out of range")))
}

/// The days of a month (isodate's `max_days_in_month`).
pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if year % 400 == 0 || (year % 100 != 0 && year % 4 == 0) => 29,
        _ => 28,
    }
}
