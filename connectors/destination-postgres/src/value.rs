//! One JSON value → one field of a binary COPY row, cast to its column's type.
//!
//! Every value is checked here the way PostgreSQL would check it, so the
//! server never rejects a row: what cannot be cast is written as NULL and
//! reported (the caller adds the `DESTINATION_TYPECAST_ERROR` change).
//! Text PostgreSQL cannot store is mended, not dropped: a `\u0000` is
//! removed and a lone surrogate becomes U+FFFD, in text and jsonb alike
//! (the SDK's `json_string` does both).

use airbyte_sdk::destination::RawIds;
use airbyte_sdk::value::json_string::{self, Nul};

use crate::numeric;
use crate::temporal;
use crate::types::ColumnType;

/// The longest temporal text with escapes decoded here (on the stack):
/// longer ones are no date PostgreSQL reads in a form we accept.
const TEMPORAL_TEXT_MAX: usize = 128;

/// Appends the field (length, then bytes) for raw JSON `raw` in a column of
/// type `ty`. Returns false when the value cannot be cast: NULL was written.
pub fn field(ty: ColumnType, raw: Option<&str>, out: &mut Vec<u8>) -> bool {
    let Some(raw) = raw.filter(|r| *r != "null") else {
        null(out);
        return true;
    };
    framed(out, |out| match ty {
        ColumnType::Jsonb => {
            jsonb(raw, out);
            true
        }
        ColumnType::Text => match raw.as_bytes()[0] {
            b'"' => {
                string(raw, out);
                true
            }
            // Numbers and booleans cast to text; objects and arrays do not.
            b'{' | b'[' => false,
            _ => {
                out.extend_from_slice(raw.as_bytes());
                true
            }
        },
        ColumnType::BigInt => match unquoted(raw).parse::<i64>() {
            Ok(v) => {
                out.extend_from_slice(&v.to_be_bytes());
                true
            }
            Err(_) => false,
        },
        ColumnType::Decimal | ColumnType::Numeric => match numeric::parse(unquoted(raw)) {
            // decimal(38, 9) holds 29 digits before the point, once rounded to 9 after it.
            Some(d) if ty == ColumnType::Numeric || d.fits(38, 9) => {
                numeric::write_binary(&d, out);
                true
            }
            _ => false,
        },
        ColumnType::Boolean => match raw {
            "true" | "\"true\"" => {
                out.push(1);
                true
            }
            "false" | "\"false\"" => {
                out.push(0);
                true
            }
            _ => false,
        },
        ColumnType::Date => put(with_text(raw, temporal::date).map(i32::to_be_bytes), out),
        ColumnType::Timestamp => put(
            with_text(raw, |t| temporal::timestamp(t, false)).map(i64::to_be_bytes),
            out,
        ),
        ColumnType::TimestampTz => put(
            with_text(raw, |t| temporal::timestamp(t, true)).map(i64::to_be_bytes),
            out,
        ),
        ColumnType::Time => put(with_text(raw, temporal::time).map(i64::to_be_bytes), out),
        ColumnType::TimeTz => match with_text(raw, temporal::timetz) {
            Some((micros, zone)) => {
                out.extend_from_slice(&micros.to_be_bytes());
                out.extend_from_slice(&zone.to_be_bytes());
                true
            }
            None => false,
        },
    })
}

/// Appends a field whose bytes `write` appends: its length first, or NULL
/// when `write` returns false (what it wrote is dropped).
fn framed(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>) -> bool) -> bool {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    let ok = write(out);
    if ok {
        let len = i32::try_from(out.len() - at - 4).unwrap_or(i32::MAX);
        out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    } else {
        out.truncate(at);
        null(out);
    }
    ok
}

/// A NULL field.
pub fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i32).to_be_bytes());
}

/// Milliseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_MS: i64 = 946_684_800_000;

/// The `_airbyte_raw_id` field: a new id, 36 bytes of text.
pub fn raw_id_field(ids: &RawIds, emitted_at: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(&36i32.to_be_bytes());
    ids.write(emitted_at, out);
}

/// The `_airbyte_extracted_at` field: a timestamptz from `emitted_at` (ms since 1970).
pub fn extracted_at_field(emitted_at: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(&8i32.to_be_bytes());
    let micros = emitted_at.saturating_sub(PG_EPOCH_MS).saturating_mul(1000);
    out.extend_from_slice(&micros.to_be_bytes());
}

/// The `_airbyte_generation_id` field (a bigint, or NULL), encoded once per stream.
pub fn generation_field(generation_id: Option<i64>) -> Vec<u8> {
    let mut field = Vec::with_capacity(12);
    match generation_id {
        Some(g) => {
            field.extend_from_slice(&8i32.to_be_bytes());
            field.extend_from_slice(&g.to_be_bytes());
        }
        None => null(&mut field),
    }
    field
}

/// Appends a whole field of jsonb from JSON text we made ourselves.
pub fn jsonb_field(json: &str, out: &mut Vec<u8>) {
    framed(out, |out| {
        jsonb(json, out);
        true
    });
}

fn put<const N: usize>(bytes: Option<[u8; N]>, out: &mut Vec<u8>) -> bool {
    match bytes {
        Some(b) => {
            out.extend_from_slice(&b);
            true
        }
        None => false,
    }
}

/// The inside of a JSON string without escapes, or the raw text as is.
fn unquoted(raw: &str) -> &str {
    raw.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|inner| !inner.contains('\\'))
        .unwrap_or(raw)
}

/// Calls `parse` on a JSON string's text (decoded on the stack only when it
/// has escapes), or on another value as written; `None` when it is too long
/// to decode.
fn with_text<T>(raw: &str, parse: impl FnOnce(&str) -> Option<T>) -> Option<T> {
    // One scan for a backslash, as `unquoted` does.
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if inner.contains('\\') => {
            let mut buf = [0u8; TEMPORAL_TEXT_MAX];
            parse(json_string::unescape_into(raw, Nul::Drop, &mut buf)?)
        }
        Some(inner) => parse(inner),
        None => parse(raw),
    }
}

/// jsonb's binary form: version 1, then the JSON text, mended.
fn jsonb(raw: &str, out: &mut Vec<u8>) {
    out.push(1);
    json_string::mend(raw, Nul::Drop, out);
}

/// Appends a JSON string's text, its escapes decoded, mended.
fn string(raw: &str, out: &mut Vec<u8>) {
    json_string::unescape(raw, Nul::Drop, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field's bytes, or None for NULL; and whether the cast succeeded.
    fn cast(ty: ColumnType, json: &str) -> (bool, Option<Vec<u8>>) {
        let mut out = Vec::new();
        let ok = field(ty, Some(json), &mut out);
        let len = i32::from_be_bytes([out[0], out[1], out[2], out[3]]);
        let bytes = (len >= 0).then(|| out[4..].to_vec());
        if let Some(b) = &bytes {
            assert_eq!(b.len(), len as usize);
        }
        (ok, bytes)
    }

    fn text_of(json: &str) -> String {
        let (ok, bytes) = cast(ColumnType::Text, json);
        assert!(ok, "{json}");
        String::from_utf8(bytes.expect("not null")).expect("utf8")
    }

    #[test]
    fn strings_are_decoded_and_mended() {
        assert_eq!(text_of(r#""plain Ærø""#), "plain Ærø");
        assert_eq!(
            text_of(r#""q\"uote \\ back\/slash""#),
            r#"q"uote \ back/slash"#
        );
        assert_eq!(text_of(r#""a\nb\tc\rd\be\f""#), "a\nb\tc\rd\u{8}e\u{c}");
        assert_eq!(text_of(r#""\u00c6r\u00f8 \ud83d\ude00""#), "Ærø 😀");
        assert_eq!(text_of(r#""nul\u0000gone""#), "nulgone");
        assert_eq!(
            text_of(r#""lone \ud800 and \udc00.""#),
            "lone \u{fffd} and \u{fffd}."
        );
        assert_eq!(text_of("12.50"), "12.50");
        assert_eq!(text_of("true"), "true");
        assert_eq!(cast(ColumnType::Text, r#"{"a":1}"#), (false, None));
        assert_eq!(cast(ColumnType::Text, "null"), (true, None));
    }

    #[test]
    fn jsonb_is_versioned_and_mended() {
        let j = |json: &str| {
            let (ok, bytes) = cast(ColumnType::Jsonb, json);
            assert!(ok);
            let bytes = bytes.expect("not null");
            assert_eq!(bytes[0], 1, "jsonb binary version");
            String::from_utf8(bytes[1..].to_vec()).expect("utf8")
        };
        assert_eq!(j(r#"[1,{"b":"x\ty"}]"#), r#"[1,{"b":"x\ty"}]"#);
        assert_eq!(j(r#"{"a":"x\u0000y","\u0000k":1}"#), r#"{"a":"xy","k":1}"#);
        assert_eq!(
            j(r#"["\ud800","\ud83d\ude00","\\u0000"]"#),
            r#"["\ufffd","\ud83d\ude00","\\u0000"]"#
        );
    }

    #[test]
    fn scalars() {
        assert_eq!(
            cast(ColumnType::BigInt, "42"),
            (true, Some(42i64.to_be_bytes().to_vec()))
        );
        assert_eq!(
            cast(ColumnType::BigInt, "\"-7\""),
            (true, Some((-7i64).to_be_bytes().to_vec()))
        );
        assert_eq!(cast(ColumnType::BigInt, "1.5"), (false, None));
        assert_eq!(cast(ColumnType::BigInt, "\"forty\""), (false, None));
        assert_eq!(
            cast(ColumnType::BigInt, "9223372036854775808"),
            (false, None)
        );
        assert_eq!(cast(ColumnType::Boolean, "true"), (true, Some(vec![1])));
        assert_eq!(
            cast(ColumnType::Boolean, "\"false\""),
            (true, Some(vec![0]))
        );
        assert_eq!(cast(ColumnType::Boolean, "1"), (false, None));
        assert!(
            cast(
                ColumnType::Numeric,
                "12345678901234567890123456789012345678.123456789"
            )
            .0
        );
        assert!(
            !cast(
                ColumnType::Decimal,
                "12345678901234567890123456789012345678.1"
            )
            .0
        );
        assert!(cast(ColumnType::Decimal, "\"12.5\"").0);
        assert!(!cast(ColumnType::Decimal, "\"NaN\"").0);
        assert_eq!(
            cast(ColumnType::Date, "\"2000-01-02\""),
            (true, Some(1i32.to_be_bytes().to_vec()))
        );
        assert_eq!(cast(ColumnType::Date, "\"2024-02-30\""), (false, None));
        assert_eq!(
            cast(ColumnType::TimestampTz, "\"2000-01-01T00:00:01\\u002e5Z\""),
            (true, Some(1_500_000i64.to_be_bytes().to_vec())),
            "escapes in a temporal string are decoded"
        );
        assert_eq!(cast(ColumnType::TimestampTz, "12"), (false, None));
        assert_eq!(
            cast(ColumnType::TimeTz, "\"00:00:01-01:00\""),
            (
                true,
                Some([&1_000_000i64.to_be_bytes()[..], &3600i32.to_be_bytes()[..]].concat())
            )
        );
    }
}
