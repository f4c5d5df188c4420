//! The CDK's clamping strategies (`clamping.target`: `DAY`, `WEEK`,
//! `MONTH`): window bounds snapped to the start of a day, a week starting
//! on a given weekday, or a month, on the datetime's own clock.

use super::duration::{add_micros, days_in_month};
use crate::datetime::DateTime;
use crate::error::Error;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A clamping target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clamping {
    /// No clamping (`NoClamping`).
    None,
    /// `DayClampingStrategy`.
    Day,
    /// `WeekClampingStrategy` with the week's first weekday (Monday = 0).
    Week(u32),
    /// `MonthClampingStrategy`.
    Month,
}

impl Clamping {
    /// The strategy for a rendered `target` and its `target_details.weekday`.
    ///
    /// ```
    /// use source_http::incremental::Clamping;
    /// assert_eq!(Clamping::from_target("WEEK", Some("TUESDAY")).unwrap(), Clamping::Week(1));
    /// assert!(Clamping::from_target("YEAR", None).is_err());
    /// ```
    pub fn from_target(target: &str, weekday: Option<&str>) -> Result<Clamping, Error> {
        const DAYS: [&str; 7] = [
            "MONDAY",
            "TUESDAY",
            "WEDNESDAY",
            "THURSDAY",
            "FRIDAY",
            "SATURDAY",
            "SUNDAY",
        ];
        match target {
            "DAY" => Ok(Clamping::Day),
            "MONTH" => Ok(Clamping::Month),
            "WEEK" => {
                let weekday = weekday.ok_or_else(|| {
                    Error::Manifest(
                        "Given WEEK clamping, weekday needs to be provided as target_details"
                            .into(),
                    )
                })?;
                DAYS.iter()
                    .position(|d| *d == weekday)
                    .map(|i| Clamping::Week(i as u32))
                    .ok_or_else(|| Error::Manifest(format!("Unknown weekday {weekday}")))
            }
            other => Err(Error::Manifest(format!(
                "Invalid clamping target {other}, expected DAY, WEEK, MONTH"
            ))),
        }
    }

    /// The bound snapped: up (`ceiling`) as the window bounds are, or down
    /// as the end of the sync is.
    pub fn clamp(self, value: DateTime, ceiling: bool) -> Result<DateTime, Error> {
        let overflow = |_| Error::Read("date value out of range while clamping".into());
        let local = value.micros + i64::from(value.offset) * 1_000_000;
        let midnight = DateTime {
            micros: value.micros - local.rem_euclid(MICROS_PER_DAY),
            offset: value.offset,
        };
        match self {
            Clamping::None => Ok(value),
            Clamping::Day => {
                if ceiling && midnight != value {
                    add_micros(midnight, MICROS_PER_DAY).map_err(overflow)
                } else {
                    Ok(midnight)
                }
            }
            Clamping::Month => {
                let c = value.civil();
                if c.day == 1 {
                    return Ok(midnight);
                }
                let days_back = i64::from(c.day) - 1;
                let first = add_micros(midnight, -days_back * MICROS_PER_DAY).map_err(overflow)?;
                if ceiling {
                    let length = i64::from(days_in_month(c.year, c.month));
                    add_micros(first, length * MICROS_PER_DAY).map_err(overflow)
                } else {
                    Ok(first)
                }
            }
            Clamping::Week(day) => {
                let weekday = (value.civil().days + 3).rem_euclid(7);
                let day = i64::from(day);
                let diff = if weekday > day {
                    7 - (weekday - day)
                } else {
                    (weekday - day).abs()
                };
                let delta = if ceiling || diff == 0 { diff } else { diff - 7 };
                add_micros(midnight, delta * MICROS_PER_DAY).map_err(overflow)
            }
        }
    }
}
