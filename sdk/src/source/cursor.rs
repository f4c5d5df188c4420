//! Cursor values compared by type, and when to checkpoint.

use std::cmp::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};

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
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum CursorValue {
    /// An integer.
    Integer(i128),
    /// An exact decimal, as text (`-12.340`).
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

    /// A timestamp (or a date) from RFC 3339 text, if it is one.
    pub fn timestamp(text: &str) -> Option<Self> {
        parse_instant(text).map(|_| CursorValue::Timestamp(text.to_owned()))
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
            (Integer(a), Decimal(b)) => cmp_decimal(&a.to_string(), b),
            (Decimal(a), Integer(b)) => cmp_decimal(a, &b.to_string()),
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

/// (negative, integer digits without leading zeros, fraction digits without trailing zeros)
fn parse_decimal(text: &str) -> Option<(bool, String, String)> {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int = int.trim_start_matches('0').to_owned();
    let frac = frac.trim_end_matches('0').to_owned();
    let zero = int.is_empty() && frac.is_empty();
    Some((neg && !zero, int, frac))
}

fn cmp_decimal(a: &str, b: &str) -> Ordering {
    let (Some(x), Some(y)) = (parse_decimal(a), parse_decimal(b)) else {
        return a.cmp(b);
    };
    let magnitude =
        x.1.len()
            .cmp(&y.1.len())
            .then_with(|| x.1.cmp(&y.1))
            .then_with(|| x.2.cmp(&y.2));
    match (x.0, y.0) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// An RFC 3339 timestamp or a date as (UTC seconds since year 0, nanoseconds).
fn parse_instant(text: &str) -> Option<(i64, u32)> {
    let b = text.as_bytes();
    let num = |s: &[u8]| -> Option<i64> { std::str::from_utf8(s).ok()?.parse().ok() };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(&b[..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let days = days_from_civil(y, m, d);
    let mut secs = days * 86_400;
    let mut nanos = 0u32;
    if b.len() > 10 {
        if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 {
            return None;
        }
        let (h, mi, s) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
        secs += h * 3600 + mi * 60 + s;
        let mut rest = &b[19..];
        if let Some(frac) = rest.strip_prefix(b".") {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            let digits = &frac[..n.min(9)];
            nanos = num(digits).unwrap_or(0) as u32 * 10u32.pow(9 - digits.len() as u32);
            rest = &frac[n..];
        }
        match rest {
            [] | [b'Z'] | [b'z'] => {}
            [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
                let offset = num(&[*oh1, *oh2])? * 3600 + num(&[*om1, *om2])? * 60;
                secs -= if *sign == b'+' { offset } else { -offset };
            }
            [sign @ (b'+' | b'-'), oh1, oh2] => {
                let offset = num(&[*oh1, *oh2])? * 3600;
                secs -= if *sign == b'+' { offset } else { -offset };
            }
            _ => return None,
        }
    }
    Some((secs, nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
