//! Python's `ast.literal_eval`, as the CDK applies it to every rendered
//! template (the literal-evaluation rule): the text of a rendered value
//! becomes a number, a boolean, `None`, a string, a list or a mapping when
//! it is one written as a Python literal, and stays the text otherwise.
//!
//! - Leading spaces and tabs are ignored (`" 12"` is 12); other surrounding
//!   whitespace makes it no literal.
//! - Integers: decimal without leading zeros (`00123` is text), `0x`, `0o`,
//!   `0b`, underscores between digits; a sign (`-5`, `+5`, `--5`).
//! - Floats: `1.5`, `1e3`, `.5`, `5.`, `inf`-free (`inf` is a name, so text).
//! - Strings: '…', "…", with escapes, and implicit concatenation (`'a' 'b'`).
//! - `True`, `False`, `None`; lists, tuples (`1,2` is a tuple) and sets as
//!   JSON arrays; dicts as JSON objects (keys as Python's `str()`).
//! - Complex numbers (`1j`, `1+2j`) are rejected: the text stays.
//! - Anything else (`abc`, `1+2`, `true`, `2024-01-01`) is no literal.

use serde_json::{Map, Number, Value};

use super::python_str::python_str;

/// The value of `text` as a Python literal, or `None` when it is not one.
///
/// ```
/// use serde_json::json;
/// use source_http::interpolation::literal_eval;
/// assert_eq!(literal_eval(" 12"), Some(json!(12)));
/// assert_eq!(literal_eval("00123"), None);
/// assert_eq!(literal_eval("{'k': [1, 'a', None]}"), Some(json!({"k": [1, "a", null]})));
/// assert_eq!(literal_eval("1,2"), Some(json!([1, 2])));
/// assert_eq!(literal_eval("true"), None);
/// ```
pub fn literal_eval(text: &str) -> Option<Value> {
    let trimmed = text.trim_start_matches([' ', '\t']);
    let mut parser = Parser {
        s: trimmed.as_bytes(),
        text: trimmed,
        i: 0,
    };
    parser.skip_leading_lines()?;
    let value = parser.expression()?;
    parser.at_end().then_some(value)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Skips a `#` comment, up to the end of its line.
    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while !matches!(self.peek(), None | Some(b'\n' | b'\r')) {
                self.i += 1;
            }
        }
    }

    /// Spaces, tabs and a comment, on the current line.
    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\x0c')) {
            self.i += 1;
        }
        self.skip_comment();
    }

    /// Any whitespace and comments (inside brackets, lines do not matter).
    fn skip_all_space(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') => self.i += 1,
                Some(b'#') => self.skip_comment(),
                _ => return,
            }
        }
    }

    /// Blank and comment lines before the expression; its own line must
    /// not be indented (Python's IndentationError).
    fn skip_leading_lines(&mut self) -> Option<()> {
        loop {
            let line_start = self.i;
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\x0c')) {
                self.i += 1;
            }
            self.skip_comment();
            match self.peek() {
                Some(b'\n' | b'\r') => self.i += 1,
                None => return Some(()),
                Some(_) => {
                    let indent = &self.s[line_start..self.i];
                    // A form feed resets the indentation; spaces after a newline do not.
                    let indented = line_start > 0 && indent.iter().any(|&b| b != b'\x0c');
                    return (!indented).then_some(());
                }
            }
        }
    }

    /// Whether only whitespace, comments and newlines are left.
    fn at_end(&mut self) -> bool {
        self.skip_all_space();
        self.i == self.s.len()
    }

    /// A top-level expression: one value, or a bare tuple (`1, 2`).
    fn expression(&mut self) -> Option<Value> {
        self.skip_blanks();
        let first = self.value(false)?;
        self.skip_blanks();
        if self.peek() != Some(b',') {
            return Some(first);
        }
        let mut items = vec![first];
        while self.peek() == Some(b',') {
            self.i += 1;
            self.skip_blanks();
            if self.i == self.s.len() {
                break;
            }
            items.push(self.value(false)?);
            self.skip_blanks();
        }
        Some(Value::Array(items))
    }

    /// One value; `nested` lets newlines count as space (inside brackets).
    fn value(&mut self, nested: bool) -> Option<Value> {
        let space = |p: &mut Self| {
            if nested {
                p.skip_all_space()
            } else {
                p.skip_blanks()
            }
        };
        space(self);
        match self.peek()? {
            b'[' => self.sequence(b']', nested),
            b'(' => self.sequence(b')', nested),
            b'{' => self.braces(),
            b'\'' | b'"' => self.strings(nested),
            b'-' | b'+' => {
                let negative = self.peek() == Some(b'-');
                self.i += 1;
                // Only a number constant (in parentheses or not) takes a sign.
                match self.signed_operand()? {
                    Value::Number(n) if negative => negate(&n),
                    n @ Value::Number(_) => Some(n),
                    _ => None,
                }
            }
            b'0'..=b'9' | b'.' => self.number(),
            _ => self.prefixed_string_or_name(nested),
        }
    }

    /// The operand of a sign: a number, or one in parentheses.
    fn signed_operand(&mut self) -> Option<Value> {
        self.skip_blanks();
        match self.peek()? {
            b'(' => {
                self.i += 1;
                self.skip_all_space();
                let inner = self.signed_operand_nested()?;
                self.skip_all_space();
                (self.peek() == Some(b')')).then(|| self.i += 1)?;
                Some(inner)
            }
            b'0'..=b'9' | b'.' => self.number(),
            _ => None,
        }
    }

    fn signed_operand_nested(&mut self) -> Option<Value> {
        match self.peek()? {
            b'(' => self.signed_operand(),
            b'0'..=b'9' | b'.' => self.number(),
            _ => None,
        }
    }

    /// `u'…'` and `r'…'` are strings; `b'…'` (bytes) and `f'…'` are not
    /// kept as literals; any other word is `True`, `False`, `None` or nothing.
    fn prefixed_string_or_name(&mut self, nested: bool) -> Option<Value> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) && self.i - start < 2 {
            self.i += 1;
        }
        let prefix = self.text[start..self.i].to_ascii_lowercase();
        if matches!(self.peek(), Some(b'\'' | b'"')) && matches!(prefix.as_str(), "u" | "r") {
            self.i = start;
            return self.strings(nested);
        }
        self.i = start;
        self.name()
    }

    fn name(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.i += 1;
        }
        match &self.text[start..self.i] {
            "True" => Some(Value::Bool(true)),
            "False" => Some(Value::Bool(false)),
            "None" => Some(Value::Null),
            _ => None,
        }
    }

    fn sequence(&mut self, close: u8, _nested: bool) -> Option<Value> {
        let tuple = close == b')';
        self.i += 1;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            self.skip_all_space();
            if self.peek() == Some(close) {
                self.i += 1;
                break;
            }
            items.push(self.value(true)?);
            self.skip_all_space();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    trailing_comma = true;
                }
                c if c == close => {
                    self.i += 1;
                    trailing_comma = false;
                    break;
                }
                _ => return None,
            }
        }
        // `(1)` is 1; `(1,)` and `()` are tuples.
        if tuple && items.len() == 1 && !trailing_comma {
            return items.pop();
        }
        Some(Value::Array(items))
    }

    /// A dict or a set.
    fn braces(&mut self) -> Option<Value> {
        self.i += 1;
        self.skip_all_space();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Some(Value::Object(Map::new()));
        }
        let first = self.value(true)?;
        self.skip_all_space();
        if self.peek() == Some(b':') {
            let mut map = Map::new();
            let mut key = first;
            loop {
                // Unhashable keys (lists, dicts) are an error in Python.
                if key.is_array() || key.is_object() {
                    return None;
                }
                self.i += 1;
                let value = self.value(true)?;
                map.insert(key_text(&key), value);
                self.skip_all_space();
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.skip_all_space();
                        if self.peek() == Some(b'}') {
                            self.i += 1;
                            return Some(Value::Object(map));
                        }
                        key = self.value(true)?;
                        self.skip_all_space();
                        if self.peek() != Some(b':') {
                            return None;
                        }
                    }
                    b'}' => {
                        self.i += 1;
                        return Some(Value::Object(map));
                    }
                    _ => return None,
                }
            }
        }
        // A set: its items, in order, without repeats.
        let mut items = vec![first];
        loop {
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.skip_all_space();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        break;
                    }
                    let item = self.value(true)?;
                    if !items.contains(&item) {
                        items.push(item);
                    }
                    self.skip_all_space();
                }
                b'}' => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        if items.iter().any(|v| v.is_array() || v.is_object()) {
            return None;
        }
        Some(Value::Array(items))
    }

    /// One or more adjacent string literals (`'a' "b"` is `ab`), each with
    /// an optional `u` or `r` prefix.
    fn strings(&mut self, nested: bool) -> Option<Value> {
        let mut out = String::new();
        loop {
            let raw = match self.peek() {
                Some(b'\'' | b'"') => false,
                Some(b'u' | b'U') if matches!(self.s.get(self.i + 1), Some(b'\'' | b'"')) => {
                    self.i += 1;
                    false
                }
                Some(b'r' | b'R') if matches!(self.s.get(self.i + 1), Some(b'\'' | b'"')) => {
                    self.i += 1;
                    true
                }
                _ => break,
            };
            out.push_str(&self.string(raw)?);
            if nested {
                self.skip_all_space();
            } else {
                self.skip_blanks();
            }
        }
        Some(Value::String(out))
    }

    fn string(&mut self, raw: bool) -> Option<String> {
        let quote = self.peek()?;
        let triple = self.s[self.i..].starts_with(&[quote; 3]);
        self.i += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let c = rest.chars().next()?;
            if triple && self.s[self.i..].starts_with(&[quote; 3]) {
                self.i += 3;
                return Some(out);
            }
            if !triple && c as u32 == u32::from(quote) {
                self.i += 1;
                return Some(out);
            }
            if !triple && c == '\n' {
                return None;
            }
            self.i += c.len_utf8();
            if c != '\\' {
                out.push(c);
                continue;
            }
            let e = self.text[self.i..].chars().next()?;
            self.i += e.len_utf8();
            if raw {
                // A raw string keeps its backslashes; `\'` does not end it.
                out.push('\\');
                out.push(e);
                continue;
            }
            match e {
                '\n' => {}
                '\\' | '\'' | '"' => out.push(e),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'v' => out.push('\x0b'),
                '0'..='7' => {
                    let mut n = e.to_digit(8)?;
                    for _ in 0..2 {
                        match self.peek() {
                            Some(d @ b'0'..=b'7') => {
                                n = n * 8 + u32::from(d - b'0');
                                self.i += 1;
                            }
                            _ => break,
                        }
                    }
                    out.push(char::from_u32(n)?);
                }
                'x' => out.push(self.hex(2)?),
                'u' => out.push(self.hex(4)?),
                'U' => out.push(self.hex(8)?),
                // An unknown escape keeps its backslash.
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
    }

    fn hex(&mut self, n: usize) -> Option<char> {
        let digits = self.text.get(self.i..self.i + n)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i += n;
        char::from_u32(u32::from_str_radix(digits, 16).ok()?)
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.'))
            || (matches!(self.peek(), Some(b'+' | b'-'))
                && matches!(self.s.get(self.i.wrapping_sub(1)), Some(b'e' | b'E'))
                && !self.text[start..self.i].starts_with("0x"))
        {
            self.i += 1;
        }
        parse_number(&self.text[start..self.i])
    }
}

fn negate(n: &Number) -> Option<Value> {
    if let Some(i) = n.as_i64() {
        return Some(match i.checked_neg() {
            Some(v) => Value::from(v),
            None => Value::Number(Number::from_f64(-(i as f64))?),
        });
    }
    if let Some(u) = n.as_u64() {
        return Some(match i64::try_from(u) {
            Ok(v) => Value::from(-v),
            Err(_) if u == 1 << 63 => Value::from(i64::MIN),
            Err(_) => Value::Number(Number::from_f64(-(u as f64))?),
        });
    }
    Some(Value::Number(Number::from_f64(-n.as_f64()?)?))
}

/// A key as Python's `str()` writes it.
fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => python_str(other),
    }
}

/// A Python number token: ints (with prefixes and underscores) and floats.
fn parse_number(token: &str) -> Option<Value> {
    let underscores_ok = |s: &str| !s.starts_with('_') && !s.ends_with('_') && !s.contains("__");
    let lower = token.to_ascii_lowercase();
    if lower.ends_with('j') {
        return None; // complex: rejected
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            let digits = digits.strip_prefix('_').unwrap_or(digits);
            if digits.is_empty() || !underscores_ok(digits) {
                return None;
            }
            let n = u128::from_str_radix(&digits.replace('_', ""), radix).ok()?;
            return Some(int_value(n));
        }
    }
    if !underscores_ok(token) || token.contains("_.") || token.contains("._") {
        return None;
    }
    let clean = token.replace('_', "");
    let is_float = clean.contains(['.', 'e', 'E']);
    if !is_float {
        if !clean.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // A leading zero is a syntax error, except for zero itself.
        if clean.len() > 1 && clean.starts_with('0') && clean.bytes().any(|b| b != b'0') {
            return None;
        }
        if clean.len() > 1 && clean.starts_with('0') {
            return Some(Value::from(0));
        }
        let n: u128 = clean.parse().ok()?;
        return Some(int_value(n));
    }
    // Float: digits, at most one point, an optional exponent with digits.
    let (mantissa, exponent) = match clean.find(['e', 'E']) {
        Some(i) => (&clean[..i], Some(&clean[i + 1..])),
        None => (clean.as_str(), None),
    };
    let valid_mantissa = mantissa.matches('.').count() <= 1
        && mantissa.bytes().any(|b| b.is_ascii_digit())
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let valid_exponent = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    });
    if !valid_mantissa || !valid_exponent {
        return None;
    }
    let f: f64 = clean.parse().ok()?;
    // Python keeps inf for huge floats; JSON cannot, so it stays text.
    Number::from_f64(f).map(Value::Number)
}

fn int_value(n: u128) -> Value {
    match u64::try_from(n) {
        Ok(u) => Value::from(u),
        // Beyond 64 bits: a float, as JSON numbers go.
        Err(_) => Number::from_f64(n as f64).map_or(Value::Null, Value::Number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_table_of_the_reference() {
        let cases: &[(&str, Option<Value>)] = &[
            ("123", Some(json!(123))),
            (" 12", Some(json!(12))),
            ("\t12", Some(json!(12))),
            ("12 ", Some(json!(12))),
            ("\n12", Some(json!(12))),
            ("00123", None),
            ("000", Some(json!(0))),
            ("-5", Some(json!(-5))),
            ("0x1f", Some(json!(31))),
            ("1_000", Some(json!(1000))),
            ("1__000", None),
            ("1e3", Some(json!(1000.0))),
            ("1.50", Some(json!(1.5))),
            (".5", Some(json!(0.5))),
            ("5.", Some(json!(5.0))),
            ("True", Some(json!(true))),
            ("None", Some(json!(null))),
            ("true", None),
            ("null", None),
            ("['x', 'y']", Some(json!(["x", "y"]))),
            ("{'k': 1}", Some(json!({"k": 1}))),
            ("\"quoted\"", Some(json!("quoted"))),
            ("1,2", Some(json!([1, 2]))),
            ("2024-01-01", None),
            ("abc", None),
            ("1+2", None),
            ("1j", None),
            ("{\"x\": 1}", Some(json!({"x": 1}))),
            ("(1)", Some(json!(1))),
            ("(1,)", Some(json!([1]))),
            ("()", Some(json!([]))),
            ("{1, 2, 1}", Some(json!([1, 2]))),
            ("{1: 'a', None: 'b'}", Some(json!({"1": "a", "None": "b"}))),
            ("'a' 'b'", Some(json!("ab"))),
            ("'\\x41\\n'", Some(json!("A\n"))),
            ("--5", None),
            ("-True", None),
            ("-(5)", Some(json!(-5))),
            ("\n 12", None),
            ("# c\n12", Some(json!(12))),
            ("u'x'", Some(json!("x"))),
            ("r'a\\n'", Some(json!("a\\n"))),
            ("b'x'", None),
            ("[1, [2, {'a': (3,)}]]", Some(json!([1, [2, {"a": [3]}]]))),
            ("[1,\n 2]", Some(json!([1, 2]))),
            ("inf", None),
            ("1e400", None),
        ];
        for (text, want) in cases {
            assert_eq!(&literal_eval(text), want, "{text:?}");
        }
    }
}
