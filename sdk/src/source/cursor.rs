//! Cursor values compared by type, and when to checkpoint.

use std::cmp::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::value::temporal::{self, Timestamp};
use crate::value::{self, Range};

/// When a stream should emit a state: after `records` records or after
/// `interval`, whichever comes first.
///
/// ```
/// use std::time::Duration;
/// use airbyte_sdk::source::CheckpointPolicy;
/// let p = CheckpointPolicy { records: 1000, interval: Duration::from_secs(60) };
/// assert!(!p.is_due(10, Duration::from_secs(1)));
/// assert!(p.is_due(1000, Duration::from_secs(1)));
/// assert!(p.is_due(1, Duration::from_secs(61)));
/// assert!(!p.is_due(0, Duration::from_secs(61)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// Records between states.
    pub records: u64,
    /// Time between states.
    pub interval: Duration,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy {
            records: 10_000,
            interval: Duration::from_secs(60),
        }
    }
}

impl CheckpointPolicy {
    /// Whether a state is due after `records` records and `elapsed` time (never with no records).
    pub fn is_due(&self, records: u64, elapsed: Duration) -> bool {
        records > 0 && (records >= self.records || elapsed >= self.interval)
    }
}

/// A cursor value, compared by its type: integers and decimals numerically
/// (exactly, at any precision), timestamps as instants, text as text.
/// Decimals and instants are read by [`crate::value`]: one calendar, so
/// `2024-02-30` is no timestamp (it compares as text).
///
/// ```
/// use airbyte_sdk::source::CursorValue;
///
/// // "9" < "10" as numbers, though not as strings.
/// assert!(CursorValue::Integer(9) < CursorValue::Integer(10));
/// assert!(CursorValue::decimal("99999999999999999999.5").unwrap() > CursorValue::decimal("99999999999999999999.49").unwrap());
/// // The same instant in two offsets is equal.
/// let a = CursorValue::timestamp("2024-01-01T10:00:00+02:00").unwrap();
/// let b = CursorValue::timestamp("2024-01-01T08:00:00Z").unwrap();
/// assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
/// // A day that does not exist is not a timestamp.
/// assert!(CursorValue::timestamp("2024-02-30").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum CursorValue {
    /// An integer.
    Integer(i128),
    /// An exact decimal, as text (`-12.340`, `1.5e3`, `+.5`).
    Decimal(String),
    /// A timestamp or date, as RFC 3339 text; compared as an instant.
    Timestamp(String),
    /// Any other text.
    Text(String),
}

impl CursorValue {
    /// A decimal from its text, if it is one.
    pub fn decimal(text: &str) -> Option<Self> {
        parse_decimal(text).map(|_| CursorValue::Decimal(text.to_owned()))
    }

    /// A timestamp (or a date) from RFC 3339 text, if it is one: any date,
    /// time and offset that PostgreSQL or Snowflake accepts
    /// ([`Range::CURSOR`]), to the nanosecond.
    pub fn timestamp(text: &str) -> Option<Self> {
        parse_instant(text).map(|_| CursorValue::Timestamp(text.to_owned()))
    }

    /// A cursor from one JSON value's text (as a [`serde_json::value::RawValue`]
    /// holds it), typed so it compares by value at any precision: integers and
    /// decimals as numbers, timestamps as instants, other strings as text, and
    /// booleans, arrays and objects as their JSON text. `None` for `null`.
    ///
    /// ```
    /// use airbyte_sdk::source::CursorValue;
    /// assert_eq!(CursorValue::from_json("10").unwrap(), Some(CursorValue::Integer(10)));
    /// assert!(CursorValue::from_json("99999999999999999999999999999999999999999.5").unwrap().is_some());
    /// assert_eq!(CursorValue::from_json("\"abc\"").unwrap(), Some(CursorValue::Text("abc".into())));
    /// assert_eq!(CursorValue::from_json("null").unwrap(), None);
    /// ```
    pub fn from_json(text: &str) -> Result<Option<Self>, serde_json::Error> {
        let text = text.trim();
        Ok(match text.as_bytes().first() {
            None | Some(b'n') => None,
            Some(b'"') => {
                let s: String = serde_json::from_str(text)?;
                Some(CursorValue::timestamp(&s).unwrap_or(CursorValue::Text(s)))
            }
            Some(b'-' | b'0'..=b'9') => Some(match text.parse::<i128>() {
                Ok(n) => CursorValue::Integer(n),
                Err(_) => {
                    CursorValue::decimal(text).unwrap_or_else(|| CursorValue::Text(text.to_owned()))
                }
            }),
            Some(_) => Some(CursorValue::Text(text.to_owned())),
        })
    }
}

impl PartialOrd for CursorValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CursorValue {
    fn cmp(&self, other: &Self) -> Ordering {
        use CursorValue::*;
        match (self, other) {
            (Integer(a), Integer(b)) => a.cmp(b),
            (Integer(a), Decimal(b)) => cmp_integer_decimal(*a, b),
            (Decimal(a), Integer(b)) => cmp_integer_decimal(*b, a).reverse(),
            (Decimal(a), Decimal(b)) => cmp_decimal(a, b),
            (Timestamp(a), Timestamp(b)) => match (parse_instant(a), parse_instant(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => a.cmp(b),
            },
            (Text(a), Text(b)) => a.cmp(b),
            // Different kinds: a stable, arbitrary order by kind.
            _ => rank(self).cmp(&rank(other)),
        }
    }
}

fn rank(v: &CursorValue) -> u8 {
    match v {
        CursorValue::Integer(_) | CursorValue::Decimal(_) => 0,
        CursorValue::Timestamp(_) => 1,
        CursorValue::Text(_) => 2,
    }
}

/// A cursor decimal: JSON's grammar, or a database's (`+1`, `.5`, `5.`).
fn parse_decimal(text: &str) -> Option<value::Decimal<'_>> {
    value::Decimal::parse_text(text)
}

fn cmp_decimal(a: &str, b: &str) -> Ordering {
    match (parse_decimal(a), parse_decimal(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// An integer against a decimal's text, written on the stack.
fn cmp_integer_decimal(a: i128, b: &str) -> Ordering {
    let mut buf = [0u8; 40];
    match (parse_decimal(integer_text(a, &mut buf)), parse_decimal(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.to_string().as_str().cmp(b),
    }
}

/// The decimal digits of `n`, in `buf`.
fn integer_text(n: i128, buf: &mut [u8; 40]) -> &str {
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    // Only ASCII digits and a sign were written.
    std::str::from_utf8(&buf[i..]).unwrap_or_default()
}

/// A timestamp (or a date) as an instant, with the widest range: any value
/// PostgreSQL or Snowflake accepts, to the nanosecond; `2024-02-30` is none.
fn parse_instant(text: &str) -> Option<Timestamp> {
    temporal::timestamp_tz(text, &Range::CURSOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_render_exactly() {
        let mut buf = [0u8; 40];
        for n in [0, 7, -7, 10, i128::MAX, i128::MIN] {
            assert_eq!(integer_text(n, &mut buf), n.to_string());
        }
    }

    #[test]
    fn instants_follow_the_calendar() {
        assert!(parse_instant("2024-02-29T00:00:00Z").is_some());
        assert!(parse_instant("2024-02-30T00:00:00Z").is_none());
        assert!(parse_instant("2024-02-30").is_none());
        assert!(parse_instant("2023-02-29").is_none());
        assert_eq!(
            parse_instant("2024-02-29T23:59:60Z"),
            parse_instant("2024-03-01T00:00:00Z")
        );
        assert_eq!(
            parse_instant("2024-02-29T24:00:00Z"),
            parse_instant("2024-03-01")
        );
        assert!(parse_instant("2024-02-29T24:00:01Z").is_none());
        assert!(parse_instant("0000-01-01T00:00:00Z").is_some());
        assert_eq!(parse_instant("0001-01-01 BC"), parse_instant("0000-01-01"));
    }

    #[test]
    fn mixed_numbers_compare_numerically() {
        let cmp = |a: CursorValue, b: CursorValue| a.cmp(&b);
        let dec = |t: &str| CursorValue::decimal(t).expect(t);
        assert_eq!(
            cmp(CursorValue::Integer(10), dec("9.99")),
            Ordering::Greater
        );
        assert_eq!(cmp(dec("9.99"), CursorValue::Integer(10)), Ordering::Less);
        assert_eq!(
            cmp(CursorValue::Integer(-3), dec("-3.000")),
            Ordering::Equal
        );
        assert_eq!(cmp(dec("+.5"), dec("0.50")), Ordering::Equal);
        assert_eq!(cmp(dec("1e2"), CursorValue::Integer(100)), Ordering::Equal);
        assert_eq!(cmp(dec("-0"), dec("0.0")), Ordering::Equal);
        assert!(CursorValue::decimal("1.2.3").is_none());
    }
}
