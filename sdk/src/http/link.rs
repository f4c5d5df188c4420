//! The `Link` header (RFC 8288): `<uri>; rel="next"; title="…", <uri>; …`.

use reqwest::Url;
use reqwest::header::{HeaderMap, LINK};

/// One link of a `Link` header: its target and parameters (names lowercased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target URI reference, as written (maybe relative).
    pub target: String,
    /// The parameters in order, names lowercased, values unquoted.
    pub params: Vec<(String, String)>,
}

impl Link {
    /// The first value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the link's `rel` (a space-separated list) has `rel`, ignoring case.
    pub fn has_rel(&self, rel: &str) -> bool {
        self.param("rel").is_some_and(|rels| {
            rels.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case(rel))
        })
    }
}

/// The links of a `Link` header value; malformed links are skipped.
///
/// ```
/// use airbyte_sdk::http::parse_link_header;
///
/// let links = parse_link_header(r#"<https://api.example.com/items?page=2>; rel="next", <https://api.example.com/items?page=9>; rel="last"; title="a, b""#);
/// assert_eq!(links.len(), 2);
/// assert!(links[0].has_rel("NEXT"));
/// assert_eq!(links[0].target, "https://api.example.com/items?page=2");
/// assert_eq!(links[1].param("title"), Some("a, b"));
/// assert!(parse_link_header("no links here").is_empty());
/// ```
pub fn parse_link_header(value: &str) -> Vec<Link> {
    let mut parser = Parser {
        s: value.as_bytes(),
        i: 0,
    };
    let mut links = Vec::new();
    loop {
        parser.skip(|b| b.is_ascii_whitespace() || b == b',');
        match parser.peek() {
            None => return links,
            Some(b'<') => {
                parser.i += 1;
                let target = parser.take_until(|b| b == b'>');
                if parser.peek() != Some(b'>') {
                    return links;
                }
                parser.i += 1;
                let params = parser.params();
                links.push(Link { target, params });
            }
            Some(_) => parser.skip_to_next_link(),
        }
    }
}

/// The `rel="next"` target of the response's `Link` headers, resolved
/// against the URL the response came from.
///
/// ```
/// use airbyte_sdk::http::next_link;
/// use airbyte_sdk::http::reqwest::{Url, header::{HeaderMap, HeaderValue, LINK}};
///
/// let mut headers = HeaderMap::new();
/// headers.append(LINK, HeaderValue::from_static(r#"</items?page=1>; rel="prev""#));
/// headers.append(LINK, HeaderValue::from_static(r#"</items?page=3>; rel="next""#));
/// let base = Url::parse("https://api.example.com/v1/items?page=2").unwrap();
/// assert_eq!(next_link(&headers, &base).unwrap().as_str(), "https://api.example.com/items?page=3");
/// ```
pub fn next_link(headers: &HeaderMap, base: &Url) -> Option<Url> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_link_header)
        .find(|link| link.has_rel("next"))
        .and_then(|link| base.join(&link.target).ok())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip(&mut self, f: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
    }

    fn take_until(&mut self, stop: impl Fn(u8) -> bool) -> String {
        let start = self.i;
        while self.peek().is_some_and(|b| !stop(b)) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// `; name[=value]` pairs until the next link or the end.
    fn params(&mut self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        loop {
            self.skip(|b| b == b' ' || b == b'\t');
            if self.peek() != Some(b';') {
                self.skip_to_next_link();
                return params;
            }
            self.i += 1;
            self.skip(|b| b == b' ' || b == b'\t');
            let name = self.take_until(|b| matches!(b, b'=' | b';' | b',' | b' ' | b'\t'));
            self.skip(|b| b == b' ' || b == b'\t');
            let value = if self.peek() == Some(b'=') {
                self.i += 1;
                self.skip(|b| b == b' ' || b == b'\t');
                if self.peek() == Some(b'"') {
                    self.quoted()
                } else {
                    self.take_until(|b| matches!(b, b';' | b',' | b' ' | b'\t'))
                }
            } else {
                String::new()
            };
            // `rel*=` (RFC 8187) is read as `rel`.
            let name = name.trim_end_matches('*').to_ascii_lowercase();
            if !name.is_empty() {
                params.push((name, value));
            }
        }
    }

    /// A quoted string, its `\` escapes undone.
    fn quoted(&mut self) -> String {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(next) = self.peek() {
                        out.push(next);
                        self.i += 1;
                    }
                }
                _ => out.push(b),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Past the next `,` that is not inside quotes (or to the end).
    fn skip_to_next_link(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b',' => return,
                b'"' => {
                    self.quoted();
                }
                _ => self.i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_but_valid_links() {
        let links = parse_link_header(
            "<a>;rel=next;title=\"x\\\"y\" , <b> ; REL = \"prev start\", junk, <c>; rel*=UTF-8''next, <d>; flag",
        );
        let targets: Vec<&str> = links.iter().map(|l| l.target.as_str()).collect();
        assert_eq!(targets, ["a", "b", "c", "d"]);
        assert!(links[0].has_rel("next"));
        assert_eq!(links[0].param("title"), Some("x\"y"));
        assert!(links[1].has_rel("start") && links[1].has_rel("prev"));
        assert_eq!(links[3].param("flag"), Some(""));
    }

    #[test]
    fn commas_inside_targets_do_not_split() {
        let links = parse_link_header("<https://x/items?ids=1,2,3>; rel=\"next\"");
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].target, "https://x/items?ids=1,2,3");
    }

    #[test]
    fn unterminated_input_ends_cleanly() {
        assert!(parse_link_header("<https://x").is_empty());
        assert_eq!(parse_link_header("<a>; title=\"open").len(), 1);
    }
}
