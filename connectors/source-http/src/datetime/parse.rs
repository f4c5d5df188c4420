//! `DatetimeParser.parse`: the CDK's whole-format tokens, `%_ms`, then
//! CPython's `strptime`, whose format becomes a case-insensitive regex:
//! each directive is an ordered alternation (`%d` is `3[01]|[12]\d|0[1-9]|
//! [1-9]| [1-9]`), whitespace matches one or more whitespace characters,
//! the first match wins (later directives make earlier ones backtrack),
//! and text left after it is an error.

use super::{DateTime, DatetimeError, MICROS_PER_SECOND};

/// Parses `text` with `format` as the CDK does; a naive result is UTC.
///
/// ```
/// use source_http::datetime::{parse, DateTime};
/// let t = parse("2024-1-2 3:04:05.5Z", "%Y-%m-%d %H:%M:%S.%f%z").unwrap();
/// assert_eq!(t, parse("2024-01-02T03:04:05.500000+00:00", "%Y-%m-%dT%H:%M:%S.%f%z").unwrap());
/// assert_eq!(parse("1704067200", "%s").unwrap(), DateTime::from_micros(1_704_067_200_000_000));
/// assert_eq!(parse("1704067200123", "%ms").unwrap().micros, 1_704_067_200_123_000);
/// assert!(parse("2024-02-30", "%Y-%m-%d").is_err());
/// assert!(parse("2024-01-01T00:00:00", "%Y-%m-%d").unwrap_err().to_string().contains("unconverted data remains"));
/// ```
pub fn parse(text: &str, format: &str) -> Result<DateTime, DatetimeError> {
    match format {
        "%s" => return seconds(python_int(text)?),
        "%s_as_float" => return float_seconds(text),
        "%epoch_microseconds" => return in_range(python_int(text)?),
        "%ms" => {
            return in_range(
                python_int(text)?
                    .checked_mul(1000)
                    .ok_or_else(|| overflow(text))?,
            );
        }
        _ => {}
    }
    let format = format.replace("%_ms", "%f");
    strptime(text, &format)
}

fn overflow(text: &str) -> DatetimeError {
    DatetimeError(format!("{text:?} is out of the range of datetimes"))
}

/// Python's `int(text)`: blanks around, a sign, underscores between digits.
fn python_int(text: &str) -> Result<i64, DatetimeError> {
    let bad = || DatetimeError(format!("invalid literal for int() with base 10: {text:?}"));
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return Err(bad());
    }
    let n: i64 = digits
        .replace('_', "")
        .parse()
        .map_err(|_| overflow(text))?;
    Ok(if negative { -n } else { n })
}

fn in_range(micros: i64) -> Result<DateTime, DatetimeError> {
    // Python's datetimes run from year 1 to 9999.
    const MIN: i64 = -62_135_596_800 * MICROS_PER_SECOND;
    const MAX: i64 = 253_402_300_800 * MICROS_PER_SECOND - 1;
    if (MIN..=MAX).contains(&micros) {
        Ok(DateTime::from_micros(micros))
    } else {
        Err(DatetimeError(format!(
            "the timestamp {micros} µs is out of the range of datetimes"
        )))
    }
}

fn seconds(s: i64) -> Result<DateTime, DatetimeError> {
    in_range(
        s.checked_mul(MICROS_PER_SECOND)
            .ok_or_else(|| overflow(&s.to_string()))?,
    )
}

/// `datetime.fromtimestamp(float(text), utc)`: microseconds rounded half to even.
fn float_seconds(text: &str) -> Result<DateTime, DatetimeError> {
    let t = text.trim().replace('_', "");
    let f: f64 = t
        .parse()
        .ok()
        .filter(|f: &f64| f.is_finite())
        .ok_or_else(|| DatetimeError(format!("could not convert string to float: {text:?}")))?;
    let whole = f.trunc();
    let mut micros = ((f - whole) * 1e6).round_ties_even() as i64;
    let mut secs = whole as i64;
    if micros >= MICROS_PER_SECOND {
        secs += 1;
        micros -= MICROS_PER_SECOND;
    } else if micros < 0 {
        secs -= 1;
        micros += MICROS_PER_SECOND;
    }
    in_range(secs * MICROS_PER_SECOND + micros)
}

#[derive(Debug, Clone, Copy)]
enum Token {
    Literal(char),
    Space,
    Directive(char),
}

fn tokens(format: &str) -> Result<Vec<Token>, DatetimeError> {
    let mut out = Vec::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            out.push(Token::Space);
        } else if c == '%' {
            let d = chars
                .next()
                .ok_or_else(|| DatetimeError(format!("stray % in format {format:?}")))?;
            if !"dfHIjmMSyYzZaAbBp%".contains(d) {
                return Err(DatetimeError(format!(
                    "'{d}' is a bad directive in format {format:?} (source-http reads %d %f %H %I %j %m %M %S %y %Y %z %Z %a %A %b %B %p)"
                )));
            }
            out.push(Token::Directive(d));
        } else {
            out.push(Token::Literal(c));
        }
    }
    Ok(out)
}

/// What each directive matched.
#[derive(Debug, Default, Clone)]
struct Found<'t> {
    fields: Vec<(char, &'t str)>,
}

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The lengths a directive may match at the start of `s`, in the order
/// CPython's regex tries them.
fn candidates(d: char, s: &str) -> Vec<usize> {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let within = |i: usize, lo: u8, hi: u8| b.get(i).is_some_and(|c| (lo..=hi).contains(c));
    let mut out = Vec::new();
    let mut alt = |ok: bool, len: usize| {
        if ok {
            out.push(len);
        }
    };
    match d {
        'd' => {
            alt(b.first() == Some(&b'3') && within(1, b'0', b'1'), 2);
            alt(within(0, b'1', b'2') && digit(1), 2);
            alt(b.first() == Some(&b'0') && within(1, b'1', b'9'), 2);
            alt(within(0, b'1', b'9'), 1);
            alt(b.first() == Some(&b' ') && within(1, b'1', b'9'), 2);
        }
        'f' => (1..=6).rev().for_each(|n| alt((0..n).all(digit), n)),
        'H' => {
            alt(b.first() == Some(&b'2') && within(1, b'0', b'3'), 2);
            alt(within(0, b'0', b'1') && digit(1), 2);
            alt(digit(0), 1);
        }
        'I' => {
            alt(b.first() == Some(&b'1') && within(1, b'0', b'2'), 2);
            alt(b.first() == Some(&b'0') && within(1, b'1', b'9'), 2);
            alt(within(0, b'1', b'9'), 1);
        }
        'j' => {
            alt(s.starts_with("36") && within(2, b'0', b'6'), 3);
            alt(
                b.first() == Some(&b'3') && within(1, b'0', b'5') && digit(2),
                3,
            );
            alt(within(0, b'1', b'2') && digit(1) && digit(2), 3);
            alt(
                b.first() == Some(&b'0') && within(1, b'1', b'9') && digit(2),
                3,
            );
            alt(s.starts_with("00") && within(2, b'1', b'9'), 3);
            alt(within(0, b'1', b'9') && digit(1), 2);
            alt(b.first() == Some(&b'0') && within(1, b'1', b'9'), 2);
            alt(within(0, b'1', b'9'), 1);
        }
        'm' => {
            alt(b.first() == Some(&b'1') && within(1, b'0', b'2'), 2);
            alt(b.first() == Some(&b'0') && within(1, b'1', b'9'), 2);
            alt(within(0, b'1', b'9'), 1);
        }
        'M' => {
            alt(within(0, b'0', b'5') && digit(1), 2);
            alt(digit(0), 1);
        }
        'S' => {
            alt(b.first() == Some(&b'6') && within(1, b'0', b'1'), 2);
            alt(within(0, b'0', b'5') && digit(1), 2);
            alt(digit(0), 1);
        }
        'y' => alt(digit(0) && digit(1), 2),
        'Y' => alt((0..4).all(digit), 4),
        'z' => {
            // [+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|Z (the Z is case-sensitive)
            if matches!(b.first(), Some(b'+' | b'-')) && digit(1) && digit(2) {
                let mut i = 3;
                if b.get(i) == Some(&b':') {
                    i += 1;
                }
                if within(i, b'0', b'5') && digit(i + 1) {
                    let base = i + 2;
                    let mut j = base;
                    if b.get(j) == Some(&b':') {
                        j += 1;
                    }
                    if within(j, b'0', b'5') && digit(j + 1) {
                        let secs = j + 2;
                        if b.get(secs) == Some(&b'.') {
                            let n = (1..=6).rev().find(|&n| (0..n).all(|k| digit(secs + 1 + k)));
                            if let Some(n) = n {
                                out.push(secs + 1 + n);
                            }
                        }
                        out.push(secs);
                    }
                    out.push(base);
                }
            }
            if b.first() == Some(&b'Z') {
                out.push(1);
            }
        }
        'Z' => {
            let lower = s.to_ascii_lowercase();
            for name in ["utc", "gmt"] {
                if lower.starts_with(name) {
                    out.push(3);
                }
            }
        }
        'a' | 'A' | 'b' | 'B' => {
            let names: Vec<String> = match d {
                'a' => DAY_NAMES.iter().map(|n| n[..3].to_owned()).collect(),
                'A' => DAY_NAMES.iter().map(|n| (*n).to_owned()).collect(),
                'b' => MONTH_NAMES.iter().map(|n| n[..3].to_owned()).collect(),
                _ => MONTH_NAMES.iter().map(|n| (*n).to_owned()).collect(),
            };
            let mut names = names;
            // CPython sorts the alternatives longest first.
            names.sort_by_key(|n| std::cmp::Reverse(n.len()));
            let lower = s.to_ascii_lowercase();
            for n in names {
                if lower.starts_with(&n) {
                    out.push(n.len());
                }
            }
        }
        'p' => {
            let lower = s.to_ascii_lowercase();
            if lower.starts_with("am") || lower.starts_with("pm") {
                out.push(2);
            }
        }
        '%' => alt(b.first() == Some(&b'%'), 1),
        _ => {}
    }
    out
}

/// The first match of `tokens` at the start of `s`: the end position.
fn matches<'t>(tokens: &[Token], s: &'t str, at: usize, found: &mut Found<'t>) -> Option<usize> {
    let Some((token, rest)) = tokens.split_first() else {
        return Some(at);
    };
    let here = &s[at..];
    match *token {
        Token::Literal(c) => {
            let next = here.chars().next()?;
            let same = next == c || next.to_lowercase().eq(c.to_lowercase());
            same.then(|| matches(rest, s, at + next.len_utf8(), found))?
        }
        Token::Space => {
            let width: usize = here
                .chars()
                .take_while(|c| c.is_whitespace())
                .map(char::len_utf8)
                .sum();
            // \s+ is greedy: the longest run first, then shorter ones.
            let mut len = width;
            while len > 0 {
                if !here.is_char_boundary(len) {
                    len -= 1;
                    continue;
                }
                if let Some(end) = matches(rest, s, at + len, found) {
                    return Some(end);
                }
                len -= 1;
            }
            None
        }
        Token::Directive(d) => {
            for len in candidates(d, here) {
                found.fields.push((d, &here[..len]));
                if let Some(end) = matches(rest, s, at + len, found) {
                    return Some(end);
                }
                found.fields.pop();
            }
            None
        }
    }
}

/// CPython's `datetime.strptime` alone (no CDK tokens); naive is UTC.
pub fn strptime(text: &str, format: &str) -> Result<DateTime, DatetimeError> {
    let tokens = tokens(format)?;
    let mut found = Found::default();
    let end = matches(&tokens, text, 0, &mut found).ok_or_else(|| {
        DatetimeError(format!(
            "time data {text:?} does not match format {format:?}"
        ))
    })?;
    if end != text.len() {
        return Err(DatetimeError(format!(
            "unconverted data remains: {}",
            &text[end..]
        )));
    }
    build(&found, text)
}

fn build(found: &Found<'_>, text: &str) -> Result<DateTime, DatetimeError> {
    let (mut year, mut month, mut day) = (1900_i64, 1_u32, 1_u32);
    let (mut hour, mut minute, mut second, mut micro) = (0_u32, 0_u32, 0_u32, 0_u32);
    let (mut offset, mut julian, mut pm, mut hour12) = (0_i32, None, None, None);
    let num = |v: &str| v.trim().parse::<u32>().unwrap_or(0);
    for &(d, v) in &found.fields {
        match d {
            'Y' => year = i64::from(num(v)),
            'y' => {
                let y = i64::from(num(v));
                year = if y <= 68 { 2000 + y } else { 1900 + y };
            }
            'm' => month = num(v),
            'b' | 'B' => {
                let lower = v.to_ascii_lowercase();
                month = MONTH_NAMES
                    .iter()
                    .position(|n| n.starts_with(&lower))
                    .unwrap_or(0) as u32
                    + 1;
            }
            'd' => day = num(v),
            'H' => hour = num(v),
            'I' => hour12 = Some(num(v)),
            'p' => pm = Some(v.eq_ignore_ascii_case("pm")),
            'M' => minute = num(v),
            'S' => second = num(v),
            'f' => micro = format!("{v:0<6}").parse().unwrap_or(0),
            'j' => julian = Some(i64::from(num(v))),
            'z' => offset = zone_offset(v)?,
            _ => {}
        }
    }
    if let Some(h) = hour12 {
        // %I alone is AM; with %p, 12 AM is 0 and 12 PM is 12.
        hour = match (h, pm.unwrap_or(false)) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    let invalid = || DatetimeError(format!("{text:?} is not a valid date or time"));
    if let Some(j) = julian {
        let first = airbyte_sdk::value::calendar::days_from_civil(year, 1, 1);
        let (y, m, d) = airbyte_sdk::value::calendar::civil_from_days(first + j - 1);
        (year, month, day) = (y, m, d);
    }
    DateTime::from_civil(year, month, day, hour, minute, second, micro, offset).ok_or_else(invalid)
}

/// The offset of a `%z` match: `Z`, `±HH[:]MM[[:]SS[.ffffff]]`.
fn zone_offset(z: &str) -> Result<i32, DatetimeError> {
    if z == "Z" {
        return Ok(0);
    }
    let sign = if z.starts_with('-') { -1 } else { 1 };
    let body = &z[1..];
    let colon = body.as_bytes().get(2) == Some(&b':');
    let clean: String = body.chars().filter(|&c| c != ':').collect();
    let seconds_sep = if colon {
        body.get(5..6)
    } else {
        body.get(4..5)
    };
    if body.len() > if colon { 5 } else { 4 } && (seconds_sep == Some(":")) != colon {
        return Err(DatetimeError(format!("Inconsistent use of : in {z}")));
    }
    let part = |r: std::ops::Range<usize>| {
        clean
            .get(r)
            .and_then(|p| p.parse::<i32>().ok())
            .unwrap_or(0)
    };
    let (h, m, s) = (part(0..2), part(2..4), part(4..6));
    Ok(sign * (h * 3600 + m * 60 + s))
}
