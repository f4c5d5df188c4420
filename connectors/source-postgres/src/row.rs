//! One row of `COPY ... TO STDOUT` (text format) → one JSON object, written
//! straight into the output buffer.

use crate::types::Kind;

/// A column: its JSON key (already escaped, with the colon) and its kind.
#[derive(Debug, Clone)]
pub struct Column {
    /// The column name.
    pub name: String,
    key: Vec<u8>,
    kind: Kind,
}

impl Column {
    /// A column called `name`, written as `kind`.
    pub fn new(name: &str, kind: Kind) -> Self {
        let mut key = serde_json::to_vec(name).unwrap_or_default();
        key.push(b':');
        Column {
            name: name.to_owned(),
            key,
            kind,
        }
    }
}

/// Splits a COPY text row (without its newline) into its raw fields.
pub fn fields(row: &[u8]) -> impl Iterator<Item = &[u8]> {
    row.split(|&b| b == b'\t')
}

/// Writes the JSON object for `row` into `out`. Returns an error message for a row
/// that does not have one field per column.
pub fn write_row(
    columns: &[Column],
    row: &[u8],
    extra: &[(&[u8], &[u8])],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let row = row.strip_suffix(b"\n").unwrap_or(row);
    out.push(b'{');
    let mut n = 0;
    for field in fields(row) {
        let Some(column) = columns.get(n) else {
            return Err(format!("COPY row has more than {} fields", columns.len()));
        };
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&column.key);
        write_value(&column.kind, field, out);
        n += 1;
    }
    if n != columns.len() {
        return Err(format!(
            "COPY row has {n} fields, {} expected",
            columns.len()
        ));
    }
    for (key, value) in extra {
        out.push(b',');
        out.extend_from_slice(key);
        out.extend_from_slice(value);
    }
    out.push(b'}');
    Ok(())
}

/// Writes one COPY text field as JSON.
pub fn write_value(kind: &Kind, field: &[u8], out: &mut Vec<u8>) {
    if field == b"\\N" {
        out.extend_from_slice(b"null");
        return;
    }
    match kind {
        Kind::Integer => out.extend_from_slice(field),
        Kind::Numeric | Kind::Float => {
            if field
                .first()
                .is_some_and(|b| b.is_ascii_digit() || *b == b'-')
                && !field.ends_with(b"Infinity")
            {
                out.extend_from_slice(field)
            } else {
                out.extend_from_slice(b"null") // NaN, Infinity
            }
        }
        Kind::Money => {
            let start = out.len();
            for &b in field {
                if b.is_ascii_digit() || b == b'.' || b == b'-' {
                    out.push(b);
                }
            }
            if out.len() == start {
                out.extend_from_slice(b"null");
            }
        }
        Kind::Boolean => out.extend_from_slice(if field == b"t" { b"true" } else { b"false" }),
        Kind::Date => match field {
            b"infinity" => out.extend_from_slice(b"\"Infinity\""),
            b"-infinity" => out.extend_from_slice(b"\"-Infinity\""),
            _ => json_string(field, out),
        },
        Kind::Timestamp | Kind::TimestampTz => match field {
            b"infinity" => out.extend_from_slice(b"\"Infinity\""),
            b"-infinity" => out.extend_from_slice(b"\"-Infinity\""),
            _ => {
                out.push(b'"');
                write_timestamp(field, matches!(kind, Kind::TimestampTz), out);
                out.push(b'"');
            }
        },
        Kind::TimeTz => {
            out.push(b'"');
            write_offset_time(field, out);
            out.push(b'"');
        }
        Kind::Text => json_string(field, out),
        Kind::Array(element) => {
            let text = unescape(field);
            let start = out.len();
            if write_array(element, &text, out).is_err() {
                // Not an array literal we understand (custom types): keep it as text.
                out.truncate(start);
                json_string(field, out);
            }
        }
    }
}

/// `2007-02-15 22:25:46.99+00` → `2007-02-15T22:25:46.99+00:00`; a ` BC` suffix is kept.
fn write_timestamp(field: &[u8], with_offset: bool, out: &mut Vec<u8>) {
    let (body, bc) = match field.strip_suffix(b" BC") {
        Some(b) => (b, true),
        None => (field, false),
    };
    // The space between date and time (the first one: years may have 5 digits) becomes `T`.
    match body.iter().position(|&b| b == b' ') {
        Some(space) => {
            out.extend_from_slice(&body[..space]);
            out.push(b'T');
            out.extend_from_slice(&body[space + 1..]);
        }
        None => out.extend_from_slice(body),
    }
    if with_offset {
        fix_offset(out);
    }
    if bc {
        out.extend_from_slice(b" BC");
    }
}

fn write_offset_time(field: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(field);
    fix_offset(out);
}

/// A trailing `+HH` or `-HH` offset becomes `+HH:MM`.
fn fix_offset(out: &mut Vec<u8>) {
    let n = out.len();
    if n >= 3
        && matches!(out[n - 3], b'+' | b'-')
        && out[n - 2].is_ascii_digit()
        && out[n - 1].is_ascii_digit()
    {
        out.extend_from_slice(b":00");
    }
}

/// Undoes COPY text escapes (`\t`, `\n`, `\\`, octal...).
pub fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b != b'\\' || i + 1 == field.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let next = field[i + 1];
        i += 2;
        match next {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                let mut digits = 1;
                while digits < 3 && i < field.len() && (b'0'..=b'7').contains(&field[i]) {
                    value = value * 8 + u32::from(field[i] - b'0');
                    i += 1;
                    digits += 1;
                }
                out.push(value as u8);
            }
            b'x' => {
                let mut value = 0u32;
                let mut digits = 0;
                while digits < 2 && i < field.len() && field[i].is_ascii_hexdigit() {
                    value = value * 16 + (field[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    digits += 1;
                }
                out.push(value as u8);
            }
            other => out.push(other),
        }
    }
    out
}

/// Writes a COPY text field as a JSON string: unescapes COPY, escapes JSON.
pub fn json_string(field: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    if field.contains(&b'\\') {
        escape_json(&unescape(field), out);
    } else {
        escape_json(field, out);
    }
    out.push(b'"');
}

/// JSON-escapes raw bytes (valid UTF-8 from the server) into `out`.
fn escape_json(bytes: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Writes a PostgreSQL array literal (`{1,2}`, `{"a b",NULL}`, `{{1,2},{3,4}}`) as a JSON array.
fn write_array(element: &Kind, text: &[u8], out: &mut Vec<u8>) -> Result<(), ()> {
    // Arrays with explicit bounds (`[0:1]={...}`) start with the bounds.
    let text = match text.iter().position(|&b| b == b'=') {
        Some(eq) if text.first() == Some(&b'[') => &text[eq + 1..],
        _ => text,
    };
    let mut pos = 0;
    parse_array(element, text, &mut pos, out)?;
    if pos == text.len() { Ok(()) } else { Err(()) }
}

fn parse_array(element: &Kind, text: &[u8], pos: &mut usize, out: &mut Vec<u8>) -> Result<(), ()> {
    if text.get(*pos) != Some(&b'{') {
        return Err(());
    }
    *pos += 1;
    out.push(b'[');
    let mut first = true;
    loop {
        match text.get(*pos) {
            None => return Err(()),
            Some(b'}') => {
                *pos += 1;
                out.push(b']');
                return Ok(());
            }
            Some(b',') if !first => *pos += 1,
            _ if first => {}
            _ => return Err(()),
        }
        if !first || text.get(*pos) != Some(&b'}') {
            if !first {
                out.push(b',');
            }
            match text.get(*pos) {
                Some(b'{') => parse_array(element, text, pos, out)?,
                Some(b'"') => {
                    *pos += 1;
                    let mut value = Vec::new();
                    loop {
                        match text.get(*pos) {
                            None => return Err(()),
                            Some(b'"') => {
                                *pos += 1;
                                break;
                            }
                            Some(b'\\') => {
                                value.push(*text.get(*pos + 1).ok_or(())?);
                                *pos += 2;
                            }
                            Some(&b) => {
                                value.push(b);
                                *pos += 1;
                            }
                        }
                    }
                    write_element(element, &value, out);
                }
                _ => {
                    let start = *pos;
                    while let Some(&b) = text.get(*pos) {
                        if b == b',' || b == b'}' {
                            break;
                        }
                        *pos += 1;
                    }
                    let value = &text[start..*pos];
                    if value == b"NULL" {
                        out.extend_from_slice(b"null");
                    } else {
                        write_element(element, value, out);
                    }
                }
            }
        }
        first = false;
    }
}

/// Writes a plain text value (not COPY-escaped, as pgoutput sends it) as JSON.
pub fn write_plain_value(kind: &Kind, value: &[u8], out: &mut Vec<u8>) {
    write_element(kind, value, out)
}

/// An array element is already unescaped: escape backslashes so `write_value` sees COPY text.
fn write_element(kind: &Kind, value: &[u8], out: &mut Vec<u8>) {
    if value.contains(&b'\\') {
        let mut escaped = Vec::with_capacity(value.len() + 4);
        for &b in value {
            if b == b'\\' {
                escaped.push(b'\\');
            }
            escaped.push(b);
        }
        write_value(kind, &escaped, out);
    } else {
        write_value(kind, value, out);
    }
}
