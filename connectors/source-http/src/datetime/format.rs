//! `DatetimeParser.format`: the CDK's whole-format tokens, `%_ms`, then
//! `strftime` as CPython on glibc writes it.

use super::{DateTime, DatetimeError};
use crate::interpolation::float_repr;

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Formats `dt` with `format` as the CDK does.
///
/// ```
/// use source_http::datetime::{format, DateTime};
/// let t = DateTime::from_micros(1_686_218_963_123_456);
/// assert_eq!(format(&t, "%ms").unwrap(), "1686218963123");
/// assert_eq!(format(&t, "%s_as_float").unwrap(), "1686218963.123456");
/// assert_eq!(format(&t, "%Y-%m-%dT%H:%M:%S.%_msZ").unwrap(), "2023-06-08T10:09:23.123Z");
/// assert_eq!(format(&t, "%a %d %b %Y").unwrap(), "Thu 08 Jun 2023");
/// ```
pub fn format(dt: &DateTime, format: &str) -> Result<String, DatetimeError> {
    match format {
        "%s" => return Ok((dt.timestamp().trunc() as i64).to_string()),
        "%s_as_float" => return Ok(float_repr(dt.timestamp())),
        "%epoch_microseconds" => return Ok(((dt.timestamp() * 1e6).trunc() as i64).to_string()),
        "%ms" => return Ok(((dt.timestamp() * 1000.0).trunc() as i64).to_string()),
        _ => {}
    }
    if format.contains("%_ms") {
        // As the CDK: format with %f, then put the milliseconds where the
        // microseconds' text is (every occurrence of it).
        let with_f = format.replace("%_ms", "%f");
        let micro = strftime(dt, "%f")?;
        let millis = format!("{:03}", dt.civil().micro / 1000);
        return Ok(strftime(dt, &with_f)?.replace(&micro, &millis));
    }
    strftime(dt, format)
}

/// `±HHMM` (`±HH:MM` with `colon`), with `:SS` when the offset has seconds.
pub fn offset_text(offset: i32, colon: bool) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    let sep = if colon { ":" } else { "" };
    let mut out = format!("{sign}{h:02}{sep}{m:02}");
    if s > 0 {
        out.push_str(&format!("{sep}{s:02}"));
    }
    out
}

/// Python's `strftime` on glibc, for the directives manifests use.
pub fn strftime(dt: &DateTime, format: &str) -> Result<String, DatetimeError> {
    let c = dt.civil();
    // 1970-01-01 was a Thursday (weekday 3, Monday = 0).
    let weekday = (c.days + 3).rem_euclid(7) as usize;
    let year_day = c.days - airbyte_sdk::value::calendar::days_from_civil(c.year, 1, 1) + 1;
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let Some(d) = chars.next() else {
            // A lone `%` at the end is written as is.
            out.push('%');
            break;
        };
        let hour12 = if c.hour.is_multiple_of(12) {
            12
        } else {
            c.hour % 12
        };
        match d {
            'Y' => out.push_str(&c.year.to_string()),
            'y' => out.push_str(&format!("{:02}", c.year % 100)),
            'm' => out.push_str(&format!("{:02}", c.month)),
            'd' => out.push_str(&format!("{:02}", c.day)),
            'e' => out.push_str(&format!("{:>2}", c.day)),
            'H' => out.push_str(&format!("{:02}", c.hour)),
            'I' => out.push_str(&format!("{hour12:02}")),
            'M' => out.push_str(&format!("{:02}", c.minute)),
            'S' => out.push_str(&format!("{:02}", c.second)),
            'f' => out.push_str(&format!("{:06}", c.micro)),
            'p' => out.push_str(if c.hour < 12 { "AM" } else { "PM" }),
            'j' => out.push_str(&format!("{year_day:03}")),
            'a' => out.push_str(&DAYS[weekday][..3]),
            'A' => out.push_str(DAYS[weekday]),
            'w' => out.push_str(&((weekday + 1) % 7).to_string()),
            'u' => out.push_str(&(weekday + 1).to_string()),
            'b' | 'h' => out.push_str(&MONTHS[c.month as usize - 1][..3]),
            'B' => out.push_str(MONTHS[c.month as usize - 1]),
            'z' => out.push_str(&offset_text(dt.offset, false)),
            // Python 3.11 (the CDK's) does not know `%:z`: glibc writes it as is.
            ':' => out.push_str("%:"),
            'Z' => out.push_str(&zone_name(dt.offset)),
            'F' => out.push_str(&format!("{}-{:02}-{:02}", c.year, c.month, c.day)),
            'T' => out.push_str(&format!("{:02}:{:02}:{:02}", c.hour, c.minute, c.second)),
            'R' => out.push_str(&format!("{:02}:{:02}", c.hour, c.minute)),
            'D' => out.push_str(&format!("{:02}/{:02}/{:02}", c.month, c.day, c.year % 100)),
            '%' => out.push('%'),
            other => {
                return Err(DatetimeError(format!(
                    "the datetime format {format:?} has the directive %{other}, which source-http does not write"
                )));
            }
        }
    }
    Ok(out)
}

/// `tzname()` of a fixed-offset zone as Python names it: `UTC`, `UTC+01:00`.
fn zone_name(offset: i32) -> String {
    if offset == 0 {
        "UTC".into()
    } else {
        format!("UTC{}", offset_text(offset, true))
    }
}
