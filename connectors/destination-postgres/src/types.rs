//! Airbyte types → PostgreSQL column types, and JSON values → COPY text,
//! with typecast failures turned into NULL plus a change entry.

use serde_json::Value;
use serde_json::value::RawValue;

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
pub fn write_field(ty: ColumnType, raw: Option<&RawValue>, out: &mut Vec<u8>) -> bool {
    let Some(raw) = raw.map(RawValue::get).filter(|r| *r != "null") else {
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
            Some(t) if ty == ColumnType::Numeric || integer_digits(&t) <= 29 => {
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
            // Most strings have no escapes: copy them straight.
            b'"' if !raw.contains('\\') => {
                copy_escape(&raw[1..raw.len() - 1], out);
                true
            }
            b'"' => match serde_json::from_str::<String>(raw) {
                Ok(s) => {
                    copy_escape(&s, out);
                    true
                }
                Err(_) => false,
            },
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
            match serde_json::from_str::<String>(raw)
                .ok()
                .and_then(|s| temporal(ty, &s))
            {
                Some(t) => {
                    copy_escape(&t, out);
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

/// A JSON integer (or a string holding one) that fits a bigint.
fn integer_text(raw: &str) -> Option<String> {
    let t = raw.trim_matches('"');
    t.parse::<i64>().ok().map(|v| v.to_string())
}

/// A JSON number (or a string holding one), exactly as written; NaN and infinities are not numbers.
fn decimal_text(raw: &str) -> Option<String> {
    let t = raw.trim_matches('"');
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
    (digits_ok && exp_ok).then(|| t.to_owned())
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
fn temporal(ty: ColumnType, s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    if matches!(lower.as_str(), "infinity" | "-infinity")
        && matches!(
            ty,
            ColumnType::Date | ColumnType::Timestamp | ColumnType::TimestampTz
        )
    {
        return Some(lower);
    }
    let (body, bc) = match s.strip_suffix(" BC") {
        Some(b) => (b, " BC"),
        None => (s, ""),
    };
    let b = body.as_bytes();
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
    valid.then(|| format!("{body}{bc}"))
}

/// The fields of a record's `data` object, appended to `out` (reused between
/// records), keys borrowed when they have no escapes.
pub fn fields<'a>(
    data: &'a str,
    out: &mut Vec<(std::borrow::Cow<'a, str>, &'a RawValue)>,
) -> Result<(), serde_json::Error> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
    use std::borrow::Cow;
    use std::fmt;

    struct Key<'a>(Cow<'a, str>);
    impl<'de> serde::Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Key<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a key")
                }
                fn visit_borrowed_str<E: serde::de::Error>(
                    self,
                    v: &'de str,
                ) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Borrowed(v)))
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(v.to_owned())))
                }
            }
            d.deserialize_str(V)
        }
    }
    struct Fields<'o, 'de>(&'o mut Vec<(Cow<'de, str>, &'de RawValue)>);
    impl<'de> Visitor<'de> for Fields<'_, 'de> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<Key<'de>>()? {
                self.0.push((key.0, map.next_value::<&RawValue>()?));
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Fields<'_, 'de> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    let mut de = serde_json::Deserializer::from_str(data);
    Fields(out).deserialize(&mut de)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(ty: ColumnType, json: &str) -> (bool, String) {
        let raw = RawValue::from_string(json.to_owned()).expect("json");
        let mut out = Vec::new();
        let ok = write_field(ty, Some(&raw), &mut out);
        (ok, String::from_utf8(out).expect("utf8"))
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
        assert_eq!(field(ColumnType::Boolean, "1"), (false, "\\N".into()));
    }
}
