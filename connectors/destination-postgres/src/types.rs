//! Airbyte types → PostgreSQL column types, and JSON values → COPY text,
//! with typecast failures turned into NULL plus a change entry.

use serde_json::Value;

/// The column type of a stream property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `varchar` (text).
    Text,
    /// `bigint`.
    BigInt,
    /// `decimal(38, 9)`.
    Decimal,
    /// `numeric`.
    Numeric,
    /// `boolean`.
    Boolean,
    /// `date`.
    Date,
    /// `timestamp`.
    Timestamp,
    /// `timestamptz`.
    TimestampTz,
    /// `time`.
    Time,
    /// `timetz`.
    TimeTz,
    /// `jsonb`: objects, arrays, unions.
    Jsonb,
}

impl ColumnType {
    /// The type of a property's JSON Schema.
    pub fn of(schema: &Value, unconstrained_number: bool) -> ColumnType {
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect(),
            _ => vec![],
        };
        let airbyte_type = schema.get("airbyte_type").and_then(Value::as_str);
        let format = schema.get("format").and_then(Value::as_str);
        match (types.as_slice(), airbyte_type, format) {
            (["integer"], _, _) | (["number"], Some("integer"), _) => ColumnType::BigInt,
            (["number"], _, _) if unconstrained_number => ColumnType::Numeric,
            (["number"], _, _) => ColumnType::Decimal,
            (["boolean"], _, _) => ColumnType::Boolean,
            (["string"], Some("timestamp_without_timezone"), _) => ColumnType::Timestamp,
            (["string"], _, Some("date-time")) => ColumnType::TimestampTz,
            (["string"], _, Some("date")) => ColumnType::Date,
            (["string"], Some("time_with_timezone"), _) => ColumnType::TimeTz,
            (["string"], _, Some("time")) => ColumnType::Time,
            (["string"], _, _) => ColumnType::Text,
            _ => ColumnType::Jsonb,
        }
    }

    /// The SQL type name.
    pub fn sql(self) -> &'static str {
        match self {
            ColumnType::Text => "varchar",
            ColumnType::BigInt => "bigint",
            ColumnType::Decimal => "decimal(38, 9)",
            ColumnType::Numeric => "numeric",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
            ColumnType::TimestampTz => "timestamptz",
            ColumnType::Time => "time",
            ColumnType::TimeTz => "timetz",
            ColumnType::Jsonb => "jsonb",
        }
    }

    /// The type from `format_type()` of an existing column.
    pub fn from_sql(name: &str) -> Option<ColumnType> {
        Some(match name {
            "character varying" | "text" | "varchar" => ColumnType::Text,
            "bigint" => ColumnType::BigInt,
            "numeric(38,9)" => ColumnType::Decimal,
            "numeric" => ColumnType::Numeric,
            "boolean" => ColumnType::Boolean,
            "date" => ColumnType::Date,
            "timestamp without time zone" => ColumnType::Timestamp,
            "timestamp with time zone" => ColumnType::TimestampTz,
            "time without time zone" => ColumnType::Time,
            "time with time zone" => ColumnType::TimeTz,
            "jsonb" => ColumnType::Jsonb,
            _ => return None,
        })
    }
}

/// Appends `text` to a COPY text row, escaped (spans without special bytes are copied whole).
pub fn copy_escape(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(offset) = bytes[start..]
        .iter()
        .position(|&b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        let i = start + offset;
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(match bytes[i] {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            _ => b"\\r",
        });
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Writes the COPY field for a raw JSON value in a column of type `ty`.
/// Returns false when the value cannot be cast (NULL was written instead).
pub fn write_field(ty: ColumnType, raw: Option<&str>, out: &mut Vec<u8>) -> bool {
    let Some(raw) = raw.filter(|r| *r != "null") else {
        out.extend_from_slice(b"\\N");
        return true;
    };
    let ok = match ty {
        ColumnType::Jsonb => {
            copy_escape(raw, out);
            true
        }
        ColumnType::BigInt => match integer_text(raw) {
            Some(t) => {
                out.extend_from_slice(t.as_bytes());
                true
            }
            None => false,
        },
        ColumnType::Decimal | ColumnType::Numeric => match decimal_text(raw) {
            // decimal(38, 9) holds 29 digits before the point.
            Some(t) if ty == ColumnType::Numeric || integer_digits(t) <= 29 => {
                out.extend_from_slice(t.as_bytes());
                true
            }
            _ => false,
        },
        ColumnType::Boolean => match raw {
            "true" | "\"true\"" => {
                out.extend_from_slice(b"t");
                true
            }
            "false" | "\"false\"" => {
                out.extend_from_slice(b"f");
                true
            }
            _ => false,
        },
        ColumnType::Text => match raw.as_bytes()[0] {
            b'"' => string_field(raw, out),
            // Numbers and booleans cast to text; objects and arrays do not.
            b'{' | b'[' => false,
            _ => {
                copy_escape(raw, out);
                true
            }
        },
        ColumnType::Date
        | ColumnType::Timestamp
        | ColumnType::TimestampTz
        | ColumnType::Time
        | ColumnType::TimeTz => {
            let text = match unquoted(raw) {
                Some(t) => std::borrow::Cow::Borrowed(t),
                // A temporal value with escapes is odd, but decoded all the same.
                None => match serde_json::from_str::<String>(raw) {
                    Ok(s) => std::borrow::Cow::Owned(s),
                    Err(_) => return null(out),
                },
            };
            match temporal(ty, &text) {
                Some(t) => {
                    // Checked: digits, signs, colons, `T`, `Z`, spaces and `BC` only.
                    out.extend_from_slice(t.as_bytes());
                    true
                }
                None => false,
            }
        }
    };
    if !ok {
        out.extend_from_slice(b"\\N");
    }
    ok
}

/// Writes NULL for a value that cannot be cast.
fn null(out: &mut Vec<u8>) -> bool {
    out.extend_from_slice(b"\\N");
    false
}

/// The text of a JSON string without escapes, or None.
fn unquoted(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then_some(inner)
}

/// Writes a JSON string as COPY text, decoding its escapes; false for a
/// lone surrogate (not text PostgreSQL can store).
fn string_field(raw: &str, out: &mut Vec<u8>) -> bool {
    let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return false;
    };
    let start = out.len();
    let mut rest = inner;
    while let Some(i) = rest.find('\\') {
        copy_escape(&rest[..i], out);
        let esc = rest.as_bytes().get(i + 1).copied();
        rest = &rest[(i + 2).min(rest.len())..];
        let decoded: &[u8] = match esc {
            Some(b'"') => b"\"",
            Some(b'\\') => b"\\\\",
            Some(b'/') => b"/",
            Some(b'b') => b"\x08",
            Some(b'f') => b"\x0c",
            Some(b'n') => b"\\n",
            Some(b'r') => b"\\r",
            Some(b't') => b"\\t",
            Some(b'u') => {
                let Some((c, used)) = unicode_escape(rest) else {
                    out.truncate(start);
                    return false;
                };
                rest = &rest[used..];
                let mut buf = [0u8; 4];
                copy_escape(c.encode_utf8(&mut buf), out);
                continue;
            }
            _ => {
                out.truncate(start);
                return false;
            }
        };
        out.extend_from_slice(decoded);
    }
    copy_escape(rest, out);
    true
}

/// The character of `XXXX` (after `\\u`), with a following low surrogate
/// when it is a high one; and how many bytes it took.
fn unicode_escape(rest: &str) -> Option<(char, usize)> {
    let unit = |s: &str| s.get(..4).and_then(|h| u16::from_str_radix(h, 16).ok());
    let first = unit(rest)?;
    match first {
        0xD800..=0xDBFF => {
            let low = unit(rest.get(4..)?.strip_prefix("\\u")?)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            let c = 0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
            Some((char::from_u32(c)?, 10))
        }
        0xDC00..=0xDFFF => None,
        _ => Some((char::from_u32(u32::from(first))?, 4)),
    }
}

/// A JSON integer (or a string holding one) that fits a bigint, as written.
fn integer_text(raw: &str) -> Option<&str> {
    let t = unquoted(raw).unwrap_or(raw);
    t.parse::<i64>().is_ok().then_some(t)
}

/// A JSON number (or a string holding one), exactly as written; NaN and infinities are not numbers.
fn decimal_text(raw: &str) -> Option<&str> {
    let t = unquoted(raw).unwrap_or(raw);
    let body = t.strip_prefix('-').unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    let exp_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    (digits_ok && exp_ok).then_some(t)
}

fn integer_digits(t: &str) -> usize {
    if t.contains(['e', 'E']) {
        // Rare: let the exponent count, conservatively by parsing as f64.
        return t
            .parse::<f64>()
            .map(|v| v.abs().log10().floor().max(0.0) as usize + 1)
            .unwrap_or(usize::MAX);
    }
    let body = t.trim_start_matches('-');
    body.split('.')
        .next()
        .unwrap_or("")
        .trim_start_matches('0')
        .len()
}

/// A temporal string in a form PostgreSQL accepts for `ty`, or None.
fn temporal(ty: ColumnType, s: &str) -> Option<&str> {
    let infinite = ["infinity", "-infinity"]
        .into_iter()
        .find(|i| s.eq_ignore_ascii_case(i));
    if let Some(infinite) = infinite {
        return matches!(
            ty,
            ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampTz
        )
        .then_some(infinite);
    }
    let b = s.strip_suffix(" BC").unwrap_or(s).as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let date_ok = |b: &[u8]| {
        b.len() >= 10
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
    };
    let time_ok = |t: &[u8]| {
        t.len() >= 8
            && t[..2].iter().all(u8::is_ascii_digit)
            && t[2] == b':'
            && t[3..5].iter().all(u8::is_ascii_digit)
            && t[5] == b':'
            && t[6..8].iter().all(u8::is_ascii_digit)
    };
    let zone_ok = |z: &[u8]| {
        z.is_empty()
            || z == b"Z"
            || z == b"z"
            || (matches!(z.first(), Some(b'+' | b'-'))
                && z[1..].iter().all(|c| c.is_ascii_digit() || *c == b':')
                && z.len() <= 9)
    };
    // The time part: HH:MM:SS[.fraction][zone]
    let split_time = |t: &[u8]| -> Option<(usize, bool)> {
        if !time_ok(t) {
            return None;
        }
        let mut i = 8;
        if t.get(i) == Some(&b'.') {
            i += 1;
            while t.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        Some((i, zone_ok(&t[i..])))
    };
    let valid = match ty {
        ColumnType::Date => b.len() == 10 && date_ok(b),
        ColumnType::Timestamp | ColumnType::TimestampTz => {
            date_ok(b)
                && (b.len() == 10
                    || (matches!(b[10], b'T' | b't' | b' ')
                        && split_time(&b[11..]).is_some_and(|(_, z)| z)))
        }
        ColumnType::Time | ColumnType::TimeTz => split_time(b).is_some_and(|(_, z)| z),
        _ => false,
    };
    valid.then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(ty: ColumnType, json: &str) -> (bool, String) {
        let mut out = Vec::new();
        let ok = write_field(ty, Some(json), &mut out);
        (ok, String::from_utf8(out).expect("utf8"))
    }

    #[test]
    fn strings_are_decoded_then_escaped_for_copy() {
        let cases = [
            (r#""plain Ærø""#, "plain Ærø"),
            (r#""q\"uote \\ back\/slash""#, r#"q"uote \\ back/slash"#),
            (
                r#""line\nbreak\ttab\rcr\b\f""#,
                "line\\nbreak\\ttab\\rcr\u{8}\u{c}",
            ),
            (r#""\u00c6r\u00f8 \ud83d\ude00""#, "Ærø 😀"),
            (r#""\u0009""#, r"\t"),
        ];
        for (json, copy) in cases {
            assert_eq!(
                field(ColumnType::Text, json),
                (true, copy.to_owned()),
                "{json}"
            );
            let decoded: String = serde_json::from_str(json).expect("json");
            let mut escaped = Vec::new();
            copy_escape(&decoded, &mut escaped);
            assert_eq!(String::from_utf8(escaped).expect("utf8"), copy, "{json}");
        }
        // A lone surrogate is not text: NULL, and a typecast change.
        assert_eq!(
            field(ColumnType::Text, r#""a\ud800b""#),
            (false, "\\N".into())
        );
        assert_eq!(
            field(ColumnType::Text, r#""\udc00""#),
            (false, "\\N".into())
        );
    }

    #[test]
    fn casts_and_failures() {
        assert_eq!(field(ColumnType::BigInt, "42"), (true, "42".into()));
        assert_eq!(field(ColumnType::BigInt, "\"42\""), (true, "42".into()));
        assert_eq!(
            field(ColumnType::BigInt, "\"forty\""),
            (false, "\\N".into())
        );
        assert_eq!(field(ColumnType::BigInt, "1.5"), (false, "\\N".into()));
        assert_eq!(
            field(
                ColumnType::Numeric,
                "12345678901234567890123456789012345678.123456789"
            ),
            (
                true,
                "12345678901234567890123456789012345678.123456789".into()
            )
        );
        assert_eq!(
            field(
                ColumnType::Decimal,
                "12345678901234567890123456789012345678.1"
            ),
            (false, "\\N".into())
        );
        assert_eq!(
            field(ColumnType::Text, "\"tab\\there\""),
            (true, "tab\\there".into())
        );
        assert_eq!(field(ColumnType::Text, "{\"a\":1}"), (false, "\\N".into()));
        assert_eq!(field(ColumnType::Text, "12"), (true, "12".into()));
        assert_eq!(
            field(ColumnType::TimestampTz, "\"2024-01-01T10:00:00.5+02:00\""),
            (true, "2024-01-01T10:00:00.5+02:00".into())
        );
        assert_eq!(
            field(ColumnType::TimestampTz, "\"yesterday\""),
            (false, "\\N".into())
        );
        assert_eq!(
            field(ColumnType::Date, "\"2024-13\""),
            (false, "\\N".into())
        );
        assert_eq!(
            field(ColumnType::Date, "\"Infinity\""),
            (true, "infinity".into())
        );
        assert_eq!(
            field(ColumnType::Jsonb, "[1,{\"b\":\"x\\ty\"}]"),
            (true, "[1,{\"b\":\"x\\\\ty\"}]".into())
        );
        assert_eq!(field(ColumnType::Boolean, "true"), (true, "t".into()));
        assert_eq!(
            field(ColumnType::Date, "\"2024-01-02 BC\""),
            (true, "2024-01-02 BC".into())
        );
        assert_eq!(
            field(ColumnType::Time, "\"infinity\""),
            (false, "\\N".into())
        );
        assert_eq!(field(ColumnType::Boolean, "1"), (false, "\\N".into()));
    }
}
