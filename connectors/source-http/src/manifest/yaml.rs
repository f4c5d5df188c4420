//! YAML as Python's `yaml.safe_load` reads it (YAML 1.1), into JSON values.
//!
//! The manifest engine must see the values Airbyte's does, and PyYAML
//! resolves plain (unquoted) scalars by YAML 1.1's rules, not 1.2's:
//!
//! - booleans: `yes`/`no`/`on`/`off`/`true`/`false`, each in lower case,
//!   capitalised or upper case (`yEs` stays a string);
//! - integers: `0755` is octal, `0b101` binary, `0x1F` hex, `1_000` has
//!   underscores, `1:30` is sexagesimal (90);
//! - floats need a point (`1.5`, `1.5e+3`, `.5`); `1e5` is a string; `.inf`
//!   and `.nan` are kept as the strings Python prints (`inf`, `nan`), which
//!   JSON cannot hold;
//! - `~`, `null`, `Null`, `NULL` and an empty value are null;
//! - an unquoted date (`2024-01-01`) or timestamp is a Python `date` or
//!   `datetime`, kept as the text `str()` gives it (`2024-01-01`,
//!   `2024-01-01 10:00:00+00:00`);
//! - `<<` merges mappings (explicit keys win, then the first merged);
//! - anchors and aliases are expanded; unknown tags are an error, as
//!   `safe_load` refuses them.
//!
//! Mapping keys become strings as Python's `str()` writes them (`200`,
//! `True`, `None`).

use airbyte_sdk::value::calendar;
use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::error::Error;
use crate::interpolation::python_str;

/// Reads one YAML document (the first, if there are several).
///
/// ```
/// use source_http::manifest::yaml;
/// let v = yaml::parse("a: yes\nb: 0755\nc: '0755'\nd: 1e5\n").unwrap();
/// assert_eq!(v, serde_json::json!({"a": true, "b": 493, "c": "0755", "d": "1e5"}));
/// ```
pub fn parse(text: &str) -> Result<Value, Error> {
    let mut reader = Reader {
        parser: Parser::new_from_str(text),
        anchors: Vec::new(),
    };
    loop {
        let (event, mark) = reader.next()?;
        match event {
            Event::StreamStart | Event::DocumentStart | Event::Nothing => {}
            Event::StreamEnd => return Ok(Value::Null),
            event => return reader.node(event, mark),
        }
    }
}

struct Reader<'a> {
    parser: Parser<std::str::Chars<'a>>,
    /// Anchored nodes by id (ids start at 1).
    anchors: Vec<(usize, Value)>,
}

fn at(mark: &Marker) -> String {
    format!("line {}, column {}", mark.line(), mark.col() + 1)
}

impl Reader<'_> {
    fn next(&mut self) -> Result<(Event, Marker), Error> {
        self.parser.next_token().map_err(|e| {
            Error::Manifest(format!(
                "the manifest is not valid YAML: {} at {}",
                e.info(),
                at(e.marker())
            ))
        })
    }

    fn remember(&mut self, anchor: usize, value: &Value) {
        if anchor > 0 {
            self.anchors.push((anchor, value.clone()));
        }
    }

    fn node(&mut self, event: Event, mark: Marker) -> Result<Value, Error> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_ref(), &mark)?;
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::Alias(anchor) => self
                .anchors
                .iter()
                .rev()
                .find(|(id, _)| *id == anchor)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| Error::Manifest(format!("an unknown alias at {}", at(&mark)))),
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "seq", &mark)?;
                let mut items = Vec::new();
                loop {
                    let (event, mark) = self.next()?;
                    if event == Event::SequenceEnd {
                        break;
                    }
                    items.push(self.node(event, mark)?);
                }
                let value = Value::Array(items);
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "map", &mark)?;
                let value = Value::Object(self.mapping()?);
                self.remember(anchor, &value);
                Ok(value)
            }
            other => Err(Error::Manifest(format!(
                "unexpected YAML event {other:?} at {}",
                at(&mark)
            ))),
        }
    }

    /// The entries of a mapping, `<<` merges applied.
    fn mapping(&mut self) -> Result<Map<String, Value>, Error> {
        let mut own = Map::new();
        let mut merged: Vec<Map<String, Value>> = Vec::new();
        loop {
            let (event, mark) = self.next()?;
            if event == Event::MappingEnd {
                break;
            }
            let is_merge =
                matches!(&event, Event::Scalar(k, TScalarStyle::Plain, _, None) if k == "<<");
            let key = self.node(event, mark)?;
            let (event, value_mark) = self.next()?;
            let value = self.node(event, value_mark)?;
            if is_merge {
                match value {
                    Value::Object(map) => merged.push(map),
                    Value::Array(maps) => {
                        for map in maps {
                            match map {
                                Value::Object(map) => merged.push(map),
                                _ => return Err(merge_error(&mark)),
                            }
                        }
                    }
                    _ => return Err(merge_error(&mark)),
                }
                continue;
            }
            own.insert(key_text(&key, &mark)?, value);
        }
        // Explicit keys win; among merged mappings, the first wins.
        for map in merged {
            for (k, v) in map {
                own.entry(k).or_insert(v);
            }
        }
        Ok(own)
    }
}

fn merge_error(mark: &Marker) -> Error {
    Error::Manifest(format!(
        "a `<<` merge at {} needs a mapping or a list of mappings",
        at(mark)
    ))
}

/// A key as Python's `str()` writes it (`200`, `True`, `None`, `1.5`).
fn key_text(key: &Value, mark: &Marker) -> Result<String, Error> {
    if key.is_array() || key.is_object() {
        return Err(Error::Manifest(format!(
            "a mapping key at {} is a list or a mapping, which JSON cannot hold",
            at(mark)
        )));
    }
    Ok(python_str(key))
}

fn check_collection_tag(tag: Option<&Tag>, kind: &str, mark: &Marker) -> Result<(), Error> {
    match tag {
        None => Ok(()),
        Some(t) if t.handle == "!!" && t.suffix == kind => Ok(()),
        Some(t) if t.handle == "tag:yaml.org,2002:" && t.suffix == kind => Ok(()),
        Some(t) => Err(unknown_tag(t, mark)),
    }
}

fn unknown_tag(tag: &Tag, mark: &Marker) -> Error {
    Error::Manifest(format!(
        "the YAML tag {}{} at {} is not one a safe load accepts",
        tag.handle,
        tag.suffix,
        at(mark)
    ))
}

/// A scalar: quoted and block scalars are strings; plain ones resolve.
fn scalar(
    text: &str,
    style: TScalarStyle,
    tag: Option<&Tag>,
    mark: &Marker,
) -> Result<Value, Error> {
    // `!` (the non-specific tag) changes nothing: a plain scalar still resolves.
    let tag = tag.filter(|t| format!("{}{}", t.handle, t.suffix) != "!");
    if let Some(tag) = tag {
        let standard = tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:";
        return match (standard, tag.suffix.as_str()) {
            (true, "str") => Ok(Value::String(text.to_owned())),
            (true, "int") => int(text).ok_or_else(|| unknown_tag(tag, mark)),
            (true, "float") => float(text).ok_or_else(|| unknown_tag(tag, mark)),
            (true, "bool") => boolean(text)
                .map(Value::Bool)
                .ok_or_else(|| unknown_tag(tag, mark)),
            (true, "null") => Ok(Value::Null),
            // `!` forces a string (a non-specific tag on a scalar).
            _ if format!("{}{}", tag.handle, tag.suffix) == "!" => {
                Ok(Value::String(text.to_owned()))
            }
            _ => Err(unknown_tag(tag, mark)),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text.to_owned()));
    }
    resolve_plain(text).map_err(|why| {
        Error::Manifest(format!(
            "the manifest is not valid YAML: {text:?} at {} is {why}",
            at(mark)
        ))
    })
}

/// YAML 1.1's implicit types, in PyYAML's order. A plain scalar shaped
/// like a timestamp that is no real date or time is an error, as PyYAML
/// fails to build its `date`.
pub fn resolve_plain(text: &str) -> Result<Value, &'static str> {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = boolean(text) {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = int(text) {
        return Ok(n);
    }
    if let Some(f) = float(text) {
        return Ok(f);
    }
    match timestamp(text) {
        Some(Ok(t)) => Ok(Value::String(t)),
        Some(Err(why)) => Err(why),
        None => Ok(Value::String(text.to_owned())),
    }
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// Splits a sign off.
fn signed(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

fn number(negative: bool, magnitude: i128) -> Value {
    let n = if negative { -magnitude } else { magnitude };
    if let Ok(i) = i64::try_from(n) {
        Value::Number(i.into())
    } else if let Ok(u) = u64::try_from(n) {
        Value::Number(u.into())
    } else {
        // Beyond 64 bits: as Python prints it.
        Value::String(n.to_string())
    }
}

fn digits_in(text: &str, radix: u32) -> Option<i128> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() || !text.chars().all(|c| c == '_' || c.is_digit(radix)) {
        return None;
    }
    i128::from_str_radix(&clean, radix).ok()
}

/// PyYAML's int: binary, octal (a leading 0), decimal, hex, sexagesimal.
fn int(text: &str) -> Option<Value> {
    let (negative, body) = signed(text);
    if body.is_empty() {
        return None;
    }
    let magnitude = if let Some(bin) = body.strip_prefix("0b") {
        digits_in(bin, 2)?
    } else if let Some(hex) = body.strip_prefix("0x") {
        digits_in(hex, 16)?
    } else if body == "0" {
        0
    } else if let Some(oct) = body.strip_prefix('0') {
        digits_in(oct, 8)?
    } else if body.contains(':') {
        sexagesimal(body)?
    } else if body.as_bytes()[0].is_ascii_digit() {
        digits_in(body, 10)?
    } else {
        return None;
    };
    Some(number(negative, magnitude))
}

/// `190:20:30` (the first part `[1-9][0-9_]*`, the others 0 to 59).
fn sexagesimal(body: &str) -> Option<i128> {
    let mut parts = body.split(':');
    let first = parts.next()?;
    if !first.starts_with(|c: char| ('1'..='9').contains(&c)) {
        return None;
    }
    let mut value = digits_in(first, 10)?;
    for part in parts {
        let n = sixty(part)?;
        value = value.checked_mul(60)?.checked_add(i128::from(n))?;
    }
    Some(value)
}

/// A base-60 digit: `[0-5]?[0-9]`.
fn sixty(part: &str) -> Option<u8> {
    let b = part.as_bytes();
    let ok = match b.len() {
        1 => b[0].is_ascii_digit(),
        2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
        _ => false,
    };
    ok.then(|| part.parse().ok()).flatten()
}

/// PyYAML's float: a point is required; an exponent needs a sign; a
/// leading point takes no sign (`-.5` is a string).
fn float(text: &str) -> Option<Value> {
    let (negative, body) = signed(text);
    let has_sign = body.len() != text.len();
    match body {
        ".inf" | ".Inf" | ".INF" => {
            return Some(Value::String(if negative { "-inf" } else { "inf" }.into()));
        }
        ".nan" | ".NaN" | ".NAN" if !has_sign => return Some(Value::String("nan".into())),
        _ => {}
    }
    let starts_with_digit = |s: &str| s.starts_with(|c: char| c.is_ascii_digit());
    let value = if let Some(rest) = body.strip_prefix('.') {
        if has_sign || !starts_with_digit(rest) {
            return None;
        }
        decimal("0", rest)?
    } else if body.contains(':') {
        // `190:20:30.15`: the fraction belongs to the last part; summed
        // from the last part up, in floats, as PyYAML does.
        let (whole, fraction) = body.rsplit_once('.')?;
        let mut parts: Vec<&str> = whole.split(':').collect();
        let first = parts.remove(0);
        if !starts_with_digit(first) || !first.chars().all(|c| c.is_ascii_digit() || c == '_') {
            return None;
        }
        if !fraction.chars().all(|c| c.is_ascii_digit() || c == '_') {
            return None;
        }
        let mut digits = vec![digits_in(first, 10)? as f64];
        for part in parts {
            digits.push(f64::from(sixty(part)?));
        }
        // The last part with its fraction, read as one float (`30.15`).
        let last = digits.len() - 1;
        digits[last] = decimal(&format!("{}", digits[last] as u64), fraction)?;
        let (mut value, mut base) = (0.0, 1.0);
        for digit in digits.iter().rev() {
            value += digit * base;
            base *= 60.0;
        }
        value
    } else {
        let (int_part, rest) = body.split_once('.')?;
        if !starts_with_digit(int_part) || !int_part.chars().all(|c| c.is_ascii_digit() || c == '_')
        {
            return None;
        }
        decimal(int_part, rest)?
    };
    let value = if negative { -value } else { value };
    Some(Number::from_f64(value).map_or_else(|| Value::String(value.to_string()), Value::Number))
}

/// `int_part` `.` `rest`, where `rest` is `[0-9_]*` and an optional
/// `[eE][-+][0-9]+`.
fn decimal(int_part: &str, rest: &str) -> Option<f64> {
    let (fraction, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    if !fraction.chars().all(|c| c.is_ascii_digit() || c == '_') {
        return None;
    }
    let mut text = format!(
        "{}.{}0",
        int_part.replace('_', ""),
        fraction.replace('_', "")
    );
    if let Some(e) = exponent {
        let (sign, digits) = e.split_at(e.len().min(1));
        if !matches!(sign, "+" | "-")
            || digits.is_empty()
            || !digits.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        text.push('e');
        text.push_str(e);
    }
    text.parse().ok()
}

/// A YAML 1.1 timestamp, as Python's `str()` of the `date` or `datetime`
/// PyYAML builds: `2024-01-01`, `2024-01-01 10:00:00`,
/// `2024-01-01 10:00:00.500000+00:00`. `None` if it has not the shape of
/// one; an error if it has the shape but no real date or time.
fn timestamp(text: &str) -> Option<Result<String, &'static str>> {
    let shaped = shaped_timestamp(text)?;
    Some(shaped.ok_or("not a real date or time"))
}

/// `Some(None)`: the shape of a timestamp with values out of range.
fn shaped_timestamp(text: &str) -> Option<Option<String>> {
    let b = text.as_bytes();
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit())
    };
    let number = |s: &str| s.parse::<u32>().unwrap_or(u32::MAX);
    // The date alone: exactly YYYY-MM-DD.
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let (y, m, d) = (&text[..4], &text[5..7], &text[8..]);
        if digits(y, 4, 4) && digits(m, 2, 2) && digits(d, 2, 2) {
            return Some(valid_date(y, m, d).then(|| text.to_owned()));
        }
    }
    // YYYY-M[M]-D[D] (T|t|blanks) H[H]:MM:SS [.fraction] [blanks] [Z | ±H[H][:MM]]
    let split = text.find(['T', 't', ' ', '\t'])?;
    let (date, rest) = text.split_at(split);
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !digits(y, 4, 4) || !digits(m, 1, 2) || !digits(d, 1, 2) {
        return None;
    }
    let rest = match rest.strip_prefix(['T', 't']) {
        Some(r) => r,
        None => rest.trim_start_matches([' ', '\t']),
    };
    let clock_end = rest.find(['Z', '+', '-', ' ', '\t']).unwrap_or(rest.len());
    let (clock, zone) = (
        &rest[..clock_end],
        rest[clock_end..].trim_start_matches([' ', '\t']),
    );
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.split(':');
    let (h, mi, se) = (t.next()?, t.next()?, t.next()?);
    if t.next().is_some() || !digits(h, 1, 2) || !digits(mi, 2, 2) || !digits(se, 2, 2) {
        return None;
    }
    if !fraction.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let offset = match zone {
        "" => None,
        "Z" => Some("+00:00".to_owned()),
        z => {
            let (sign, body) = z.split_at(1);
            if !matches!(sign, "+" | "-") {
                return None;
            }
            let (oh, om) = body.split_once(':').unwrap_or((body, "00"));
            if !digits(oh, 1, 2) || !digits(om, 2, 2) {
                return None;
            }
            Some(format!("{sign}{:02}:{om}", number(oh)))
        }
    };
    // The shape matches: now the values must be real.
    let (hour, minute, second) = (number(h), number(mi), number(se));
    if !valid_date(y, m, d) || hour > 23 || minute > 59 || second > 59 {
        return Some(None);
    }
    if offset
        .as_deref()
        .is_some_and(|o| number(&o[1..3]) > 23 || number(&o[4..]) > 59)
    {
        return Some(None);
    }
    let micros: u32 = format!("{:0<6}", &fraction[..fraction.len().min(6)])
        .parse()
        .unwrap_or(0);
    let mut out = format!(
        "{y}-{:02}-{:02} {hour:02}:{minute:02}:{second:02}",
        number(m),
        number(d)
    );
    if micros > 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    if let Some(offset) = offset {
        out.push_str(&offset);
    }
    Some(Some(out))
}

/// A real date, by the SDK's one calendar (years 1 to 9999, as Python's `date`).
fn valid_date(year: &str, month: &str, day: &str) -> bool {
    let (Ok(y), Ok(m), Ok(d)) = (
        year.parse::<i64>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    (1..=9999).contains(&y) && calendar::is_valid_date(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_scalars_resolve_as_yaml_1_1() {
        let cases = [
            ("yes", json!(true)),
            ("Off", json!(false)),
            ("yEs", json!("yEs")),
            ("y", json!("y")),
            ("0755", json!(493)),
            ("08", json!("08")),
            ("0", json!(0)),
            ("-0b101", json!(-5)),
            ("0x1F", json!(31)),
            ("1_000", json!(1000)),
            ("1:30", json!(90)),
            ("190:20:30", json!(685_230)),
            ("190:20:30.15", json!(685_230.15)),
            ("-.5", json!("-.5")),
            ("1.5E-2", json!(0.015)),
            ("1.5", json!(1.5)),
            ("1.", json!(1.0)),
            (".5", json!(0.5)),
            ("1.5e+3", json!(1500.0)),
            ("1.5e3", json!("1.5e3")),
            ("1e5", json!("1e5")),
            (".inf", json!("inf")),
            ("-.inf", json!("-inf")),
            (".nan", json!("nan")),
            ("~", json!(null)),
            ("Null", json!(null)),
            ("2024-01-01", json!("2024-01-01")),
            ("2024-01-01T10:00:00Z", json!("2024-01-01 10:00:00+00:00")),
            (
                "2024-1-2 3:04:05.5 -05:00",
                json!("2024-01-02 03:04:05.500000-05:00"),
            ),
            ("2024-01-01T10:00:00", json!("2024-01-01 10:00:00")),
            ("99999999999999999999999", json!("99999999999999999999999")),
            ("hello", json!("hello")),
        ];
        for (text, want) in cases {
            assert_eq!(resolve_plain(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn a_timestamp_shape_that_is_no_date_is_an_error_as_in_pyyaml() {
        for text in [
            "2024-02-30",
            "2023-02-29",
            "2024-01-01T24:00:00",
            "2024-13-01 10:00:00",
        ] {
            assert!(resolve_plain(text).is_err(), "{text}");
        }
        let e = parse("start: 2024-02-30\n").unwrap_err().to_string();
        assert!(e.contains("2024-02-30") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn quotes_blocks_and_tags() {
        let v = parse("a: 'yes'\nb: \"0755\"\nc: |\n  on\nd: !!str 12\ne: !!int '7'\nf: ! 12\n")
            .unwrap();
        assert_eq!(
            v,
            json!({"a": "yes", "b": "0755", "c": "on\n", "d": "12", "e": 7, "f": 12})
        );
        let e = parse("a: !python/object:os.system ls").unwrap_err();
        assert!(e.to_string().contains("python/object"), "{e}");
    }

    #[test]
    fn anchors_aliases_and_merges() {
        let text = "base: &b {x: 1, y: 2}\nother: &o {y: 9, z: 3}\nm:\n  <<: [*b, *o]\n  x: 0\nalias: *b\n";
        let v = parse(text).unwrap();
        assert_eq!(v["m"], json!({"x": 0, "y": 2, "z": 3}));
        assert_eq!(v["alias"], json!({"x": 1, "y": 2}));
    }

    #[test]
    fn keys_are_python_strings_and_errors_have_positions() {
        let v = parse("200: ok\ntrue: t\n~: n\n").unwrap();
        assert_eq!(v, json!({"200": "ok", "True": "t", "None": "n"}));
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.to_string().contains("line"), "{e}");
        assert_eq!(parse("").unwrap(), json!(null));
    }
}
