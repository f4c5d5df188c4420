//! The instants the authenticators keep: now, `ab_datetime_parse` of a
//! configured or returned expiry, and `str()` of an `AirbyteDateTime`.

use crate::datetime::{self, DateTime};
use crate::error::Error;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// Now, in UTC.
pub(crate) fn now() -> DateTime {
    crate::incremental::system_clock()()
}

/// `now + seconds`.
pub(crate) fn after_seconds(seconds: i64) -> DateTime {
    DateTime::from_micros(
        now()
            .micros
            .saturating_add(seconds.saturating_mul(MICROS_PER_SECOND)),
    )
}

/// The CDK's `ab_datetime_parse` on the forms tokens use: epoch seconds
/// (digits), or ISO 8601 (`T` or space, optional fraction and offset;
/// naive is UTC). The result is in UTC.
///
/// ```
/// # use source_http::auth::parse_expiry;
/// assert_eq!(parse_expiry("1700000000").unwrap().micros, 1_700_000_000_000_000);
/// assert_eq!(parse_expiry("2023-11-14T22:13:20+00:00").unwrap().micros, 1_700_000_000_000_000);
/// assert_eq!(parse_expiry("2023-11-14 23:13:20.5+01:00").unwrap().micros, 1_700_000_000_500_000);
/// assert!(parse_expiry("soon").is_err());
/// ```
pub fn parse_expiry(text: &str) -> Result<DateTime, Error> {
    const FORMATS: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S.%f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S.%f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S.%f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d",
    ];
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text.parse().map_err(|_| invalid_expiry(text))?;
        return Ok(DateTime::from_micros(
            seconds.saturating_mul(MICROS_PER_SECOND),
        ));
    }
    let text = text
        .strip_suffix('Z')
        .map_or_else(|| text.to_owned(), |t| format!("{t}+00:00"));
    FORMATS
        .iter()
        .find_map(|f| datetime::parse(&text, f).ok())
        .map(|d| d.at_offset(0))
        .ok_or_else(|| invalid_expiry(&text))
}

fn invalid_expiry(text: &str) -> Error {
    Error::Request {
        kind: "ValueError".into(),
        message: format!(
            "Invalid token expiry date format: Could not parse datetime string: {text}"
        ),
    }
}

/// `str()` of an `AirbyteDateTime`: ISO 8601 with `T`, microseconds when
/// there are some, and the offset (`+00:00`).
///
/// ```
/// # use source_http::auth::expiry_text;
/// use source_http::datetime::DateTime;
/// assert_eq!(expiry_text(&DateTime::from_micros(1_700_000_000_000_000)), "2023-11-14T22:13:20+00:00");
/// assert_eq!(expiry_text(&DateTime::from_micros(1_700_000_000_000_001)), "2023-11-14T22:13:20.000001+00:00");
/// ```
pub fn expiry_text(at: &DateTime) -> String {
    let text = at.python_str();
    match text.split_once(' ') {
        Some((date, time)) => format!("{date}T{time}"),
        None => text,
    }
}
