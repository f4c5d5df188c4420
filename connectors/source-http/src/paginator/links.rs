//! The `Link` header (RFC 8288) as python-requests parses it
//! (`parse_header_links`, `Response.links`), and the `headers` a
//! paginator's templates see: the response headers with `link` replaced
//! by the parsed links, `{rel: {url, rel, …params}}`.
//!
//! requests' parser is loose, and this one is the same: links are split
//! at `,` followed by `<`; a parameter is `key=value` with spaces and
//! quotes stripped from both; a parameter with no `=` or two of them
//! ends the link's parameters. A link is keyed by its `rel`, else by its
//! URL; a later link with the same key replaces an earlier one.

use serde_json::{Map, Value};

use crate::requester::HttpResponse;

const QUOTES: &[char] = &[' ', '\'', '"'];

/// `requests.utils.parse_header_links(value)`: each link's `url` and
/// parameters.
///
/// ```
/// use source_http::paginator::parse_header_links;
/// let links = parse_header_links(r#"<https://a.io/p?page=2>; rel="next", <https://a.io/p?page=9>; rel="last""#);
/// assert_eq!(links.len(), 2);
/// assert_eq!(links[0]["url"], "https://a.io/p?page=2");
/// assert_eq!(links[1]["rel"], "last");
/// ```
pub fn parse_header_links(value: &str) -> Vec<Map<String, Value>> {
    let value = value.trim_matches(QUOTES);
    if value.is_empty() {
        return Vec::new();
    }
    let mut links = Vec::new();
    for part in split_links(value) {
        let (url, params) = part.split_once(';').unwrap_or((part, ""));
        let mut link = Map::new();
        link.insert(
            "url".into(),
            Value::String(url.trim_matches(&['<', '>', ' ', '\'', '"'][..]).to_owned()),
        );
        for param in params.split(';') {
            let mut pieces = param.split('=');
            let (Some(key), Some(val), None) = (pieces.next(), pieces.next(), pieces.next()) else {
                break;
            };
            link.insert(
                key.trim_matches(QUOTES).to_owned(),
                Value::String(val.trim_matches(QUOTES).to_owned()),
            );
        }
        links.push(link);
    }
    links
}

/// `re.split(", *<", value)`: the `<` of each later link is consumed.
fn split_links(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b',' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'<' {
                parts.push(&value[start..i]);
                start = j + 1;
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    parts.push(&value[start..]);
    parts
}

/// `response.links`: the links of the `Link` header by `rel` (else URL).
///
/// ```
/// use source_http::paginator::links;
/// use source_http::requester::HttpResponse;
/// let headers = vec![("Link".to_string(), r#"<https://a.io/p?page=2>; rel="next""#.to_string())];
/// let response = HttpResponse { status: 200, reason: "OK", url: "", headers: &headers, body: b"{}" };
/// assert_eq!(links(&response)["next"]["url"], "https://a.io/p?page=2");
/// ```
pub fn links(response: &HttpResponse<'_>) -> Map<String, Value> {
    let mut resolved = Map::new();
    if let Some(header) = response.header("link").filter(|h| !h.is_empty()) {
        for link in parse_header_links(&header) {
            let key = match link.get("rel") {
                Some(Value::String(rel)) if !rel.is_empty() => Some(rel.clone()),
                _ => link.get("url").and_then(Value::as_str).map(str::to_owned),
            };
            if let Some(key) = key {
                resolved.insert(key, Value::Object(link));
            }
        }
    }
    resolved
}

/// The `headers` of a paginator's templates: `dict(response.headers)`
/// with `link` set to [`links`] (the header as received stays under its
/// own spelling, `Link`, when that is not `link`).
pub fn pagination_headers(response: &HttpResponse<'_>) -> Map<String, Value> {
    let mut headers = response.headers_map();
    headers.insert("link".into(), Value::Object(links(response)));
    headers
}
