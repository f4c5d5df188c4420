//! JSON string escapes: decoding a string's text, and mending JSON text for
//! stores that refuse `\u0000` or a lone surrogate (PostgreSQL's text and
//! jsonb refuse both). Nothing is allocated but the output.
//!
//! A surrogate pair (`\ud83d\ude00`) is one character; a surrogate without
//! its pair, or a `\u` not followed by four hex digits, becomes U+FFFD; a
//! `\u0000` is dropped or kept as [`Nul`] says.
//!
//! ```
//! use airbyte_sdk::value::json_string::{self, Nul};
//!
//! let mut text = Vec::new();
//! json_string::unescape(r#""tab\there \ud83d\ude00 lone \ud800 nul\u0000""#, Nul::Drop, &mut text);
//! assert_eq!(String::from_utf8(text).unwrap(), "tab\there 😀 lone \u{fffd} nul");
//!
//! let mut json = Vec::new();
//! json_string::mend(r#"{"a":"x\u0000y","b":"\udc00"}"#, Nul::Drop, &mut json);
//! assert_eq!(json, br#"{"a":"xy","b":"\ufffd"}"#);
//! ```

/// What a `\u0000` escape becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nul {
    /// Removed (PostgreSQL text cannot hold it).
    Drop,
    /// Kept: a NUL character, or the escape in mended JSON.
    Keep,
}

/// Appends the text of the JSON string `raw` (with its quotes; without
/// them it is taken as the inside) to `out`, its escapes decoded.
///
/// ```
/// use airbyte_sdk::value::json_string::{self, Nul};
///
/// let mut out = Vec::new();
/// json_string::unescape(r#""q\"uote \\ back\/slash \u00c6""#, Nul::Keep, &mut out);
/// assert_eq!(out, "q\"uote \\ back/slash Æ".as_bytes());
/// ```
#[inline]
pub fn unescape(raw: &str, nul: Nul, out: &mut Vec<u8>) {
    decode(inside(raw), nul, |bytes| {
        out.extend_from_slice(bytes);
        true
    });
}

/// Like [`unescape`], into `buf`: the text, or `None` when it does not fit.
///
/// ```
/// use airbyte_sdk::value::json_string::{self, Nul};
///
/// let mut buf = [0u8; 8];
/// assert_eq!(json_string::unescape_into(r#""a\u002eb""#, Nul::Drop, &mut buf), Some("a.b"));
/// assert_eq!(json_string::unescape_into(r#""too long for it""#, Nul::Drop, &mut buf), None);
/// ```
pub fn unescape_into<'b>(raw: &str, nul: Nul, buf: &'b mut [u8]) -> Option<&'b str> {
    let mut len = 0;
    let fits = decode(inside(raw), nul, |bytes| {
        let Some(dest) = buf.get_mut(len..len + bytes.len()) else {
            return false;
        };
        dest.copy_from_slice(bytes);
        len += bytes.len();
        true
    });
    if !fits {
        return None;
    }
    std::str::from_utf8(&buf[..len]).ok()
}

/// Appends JSON text `json` to `out` with every `\u0000` escape dropped (or
/// kept) and every lone surrogate escape replaced by `\ufffd`; the rest,
/// other escapes included, byte for byte.
///
/// ```
/// use airbyte_sdk::value::json_string::{self, Nul};
///
/// let mut out = Vec::new();
/// json_string::mend(r#"["\ud800","\ud83d\ude00","\\u0000","\u0000"]"#, Nul::Keep, &mut out);
/// assert_eq!(out, br#"["\ufffd","\ud83d\ude00","\\u0000","\u0000"]"#);
/// ```
#[inline]
pub fn mend(json: &str, nul: Nul, out: &mut Vec<u8>) {
    if json.contains("\\u") {
        mend_escapes(json, nul, out);
    } else {
        out.extend_from_slice(json.as_bytes());
    }
}

/// [`mend`] for text with `\u` escapes.
fn mend_escapes(json: &str, nul: Nul, out: &mut Vec<u8>) {
    let b = json.as_bytes();
    let (mut i, mut copied) = (0, 0);
    // Backslashes occur only inside strings in valid JSON: each starts an escape.
    while let Some(offset) = json[i..].find('\\') {
        i += offset;
        if b.get(i + 1) != Some(&b'u') {
            // Skip the escaped character whole (one byte in valid JSON).
            i += 1 + json[i + 1..].chars().next().map_or(0, char::len_utf8);
            continue;
        }
        out.extend_from_slice(&b[copied..i]);
        i += 2;
        match unicode_escape(&json[i..]) {
            Escape::Char(_, used) => {
                out.extend_from_slice(&b[i - 2..i + used]);
                i += used;
            }
            Escape::Nul => {
                if nul == Nul::Keep {
                    out.extend_from_slice(br"\u0000");
                }
                i += 4;
            }
            Escape::Replaced(used) => {
                out.extend_from_slice(br"\ufffd");
                i += used;
            }
        }
        copied = i;
    }
    out.extend_from_slice(&b[copied..]);
}

/// The inside of a quoted JSON string.
fn inside(raw: &str) -> &str {
    let raw = raw.strip_prefix('"').unwrap_or(raw);
    raw.strip_suffix('"').unwrap_or(raw)
}

/// Gives `put` the decoded text of a string's inside, piece by piece, until
/// it returns false; whether it took everything.
#[inline]
fn decode(inner: &str, nul: Nul, mut put: impl FnMut(&[u8]) -> bool) -> bool {
    let mut rest = inner;
    let mut buf = [0u8; 4];
    while let Some(i) = rest.find('\\') {
        if !put(&rest.as_bytes()[..i]) {
            return false;
        }
        let after = &rest[i + 1..];
        let (decoded, used): (&[u8], usize) = match after.as_bytes().first() {
            Some(b'"') => (b"\"", 1),
            Some(b'\\') => (b"\\", 1),
            Some(b'/') => (b"/", 1),
            Some(b'b') => (b"\x08", 1),
            Some(b'f') => (b"\x0c", 1),
            Some(b'n') => (b"\n", 1),
            Some(b'r') => (b"\r", 1),
            Some(b't') => (b"\t", 1),
            Some(b'u') => match unicode_escape(&after[1..]) {
                Escape::Char(c, used) => (c.encode_utf8(&mut buf).as_bytes(), 1 + used),
                Escape::Nul if nul == Nul::Keep => (b"\0", 5),
                Escape::Nul => (b"", 5),
                Escape::Replaced(used) => ("\u{fffd}".as_bytes(), 1 + used),
            },
            // Not an escape (not valid JSON): the backslash goes, the character stays.
            _ => (b"", 0),
        };
        if !put(decoded) {
            return false;
        }
        rest = &after[used..];
    }
    put(rest.as_bytes())
}

/// What follows a `\u`.
enum Escape {
    /// A character, and the bytes its escape took after the `\u`: 4, or 10
    /// for a surrogate pair `XXXX\uYYYY`.
    Char(char, usize),
    /// `\u0000` (4 bytes after the `\u`).
    Nul,
    /// U+FFFD for a lone surrogate (4 bytes taken) or for a `\u` without
    /// four hex digits (none taken).
    Replaced(usize),
}

/// Four hex digits at the start of `s`.
fn hex4(s: &str) -> Option<u16> {
    let digits = s.as_bytes().get(..4)?;
    digits.iter().try_fold(0u16, |n, d| {
        let v = (*d as char).to_digit(16)?;
        Some(n << 4 | v as u16)
    })
}

/// The escape after a `\u`: `XXXX`, or a surrogate pair `XXXX\uYYYY`.
fn unicode_escape(rest: &str) -> Escape {
    let Some(first) = hex4(rest) else {
        return Escape::Replaced(0);
    };
    match first {
        0 => Escape::Nul,
        0xD800..=0xDBFF => {
            let low = match rest.get(4..6) {
                Some("\\u") => hex4(&rest[6..]).filter(|low| (0xDC00..=0xDFFF).contains(low)),
                _ => None,
            };
            match low {
                Some(low) => {
                    let c =
                        0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    char::from_u32(c).map_or(Escape::Replaced(4), |c| Escape::Char(c, 10))
                }
                None => Escape::Replaced(4),
            }
        }
        0xDC00..=0xDFFF => Escape::Replaced(4),
        _ => char::from_u32(u32::from(first)).map_or(Escape::Replaced(4), |c| Escape::Char(c, 4)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: &str, nul: Nul) -> String {
        let mut out = Vec::new();
        unescape(raw, nul, &mut out);
        String::from_utf8(out).expect("utf8")
    }

    fn mended(json: &str, nul: Nul) -> String {
        let mut out = Vec::new();
        mend(json, nul, &mut out);
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn strings_are_decoded_and_mended() {
        assert_eq!(text(r#""plain Ærø""#, Nul::Drop), "plain Ærø");
        assert_eq!(
            text(r#""q\"uote \\ back\/slash""#, Nul::Drop),
            r#"q"uote \ back/slash"#
        );
        assert_eq!(
            text(r#""a\nb\tc\rd\be\f""#, Nul::Drop),
            "a\nb\tc\rd\u{8}e\u{c}"
        );
        assert_eq!(text(r#""\u00c6r\u00f8 \ud83d\ude00""#, Nul::Drop), "Ærø 😀");
        assert_eq!(text(r#""\u00C6\uD83D\uDE00""#, Nul::Drop), "Æ😀");
        assert_eq!(text(r#""nul\u0000gone""#, Nul::Drop), "nulgone");
        assert_eq!(text(r#""nul\u0000kept""#, Nul::Keep), "nul\0kept");
        assert_eq!(
            text(r#""lone \ud800 and \udc00.""#, Nul::Drop),
            "lone \u{fffd} and \u{fffd}."
        );
        assert_eq!(
            text(r#""\ud800\u0041""#, Nul::Drop),
            "\u{fffd}A",
            "a high surrogate, then a letter"
        );
        assert_eq!(
            text(r#""\ud800\udbff\udc00""#, Nul::Drop),
            "\u{fffd}\u{10fc00}"
        );
        assert_eq!(text(r#""""#, Nul::Drop), "");
        assert_eq!(text("unquoted", Nul::Drop), "unquoted");
    }

    #[test]
    fn bad_escapes_never_panic() {
        for raw in [
            r#""\""#,
            r#""\"#,
            "\"\\é\"",
            r#""\u12""#,
            r#""\u+123""#,
            "\"\\u12é4\"",
            r#""\ud800\u""#,
            "\\",
            "\"",
            "",
        ] {
            // Both stay UTF-8 (the helpers check it) and never grow past a replacement per escape.
            assert!(text(raw, Nul::Drop).len() <= raw.len() * 3, "{raw}");
            assert!(mended(raw, Nul::Keep).len() <= raw.len() * 3, "{raw}");
        }
        assert_eq!(text(r#""\u12""#, Nul::Drop), "\u{fffd}12");
        assert_eq!(text(r#""\u+123""#, Nul::Drop), "\u{fffd}+123");
        assert_eq!(text("\"\\é\"", Nul::Drop), "é");
        assert_eq!(mended(r#""\uZZ""#, Nul::Drop), r#""\ufffdZZ""#);
    }

    #[test]
    fn json_is_mended_byte_for_byte() {
        assert_eq!(
            mended(r#"[1,{"b":"x\ty"}]"#, Nul::Drop),
            r#"[1,{"b":"x\ty"}]"#
        );
        assert_eq!(
            mended(r#"{"a":"x\u0000y","\u0000k":1}"#, Nul::Drop),
            r#"{"a":"xy","k":1}"#
        );
        assert_eq!(
            mended(r#"["\ud800","\ud83d\ude00","\\u0000"]"#, Nul::Drop),
            r#"["\ufffd","\ud83d\ude00","\\u0000"]"#
        );
        assert_eq!(mended(r#"["é\u00e9\\é"]"#, Nul::Drop), r#"["é\u00e9\\é"]"#);
    }

    #[test]
    fn into_a_buffer() {
        let mut buf = [0u8; 16];
        assert_eq!(
            unescape_into(r#""2000-01-01\u0054""#, Nul::Drop, &mut buf),
            Some("2000-01-01T")
        );
        let mut small = [0u8; 3];
        assert_eq!(
            unescape_into(r#""\u00c6\u00c6""#, Nul::Drop, &mut small),
            None,
            "a character does not fit"
        );
        assert_eq!(
            unescape_into(r#""\u00c6""#, Nul::Drop, &mut small),
            Some("Æ")
        );
    }
}
