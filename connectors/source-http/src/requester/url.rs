//! Python's `urllib.parse` as `HttpRequester` uses it (CPython 3.11):
//! `urlsplit`, `urlparse`, `urlunsplit`, `urljoin` and `parse_qs`, and
//! the requester's own `_join_url` and `_dedupe_query_params` on top.
//!
//! - `urljoin(base, url)`: an absolute `url` (another scheme, or a netloc)
//!   wins; a `url` starting with `/` replaces the whole path; otherwise it
//!   replaces the last segment of the base path, and `.` / `..` segments
//!   are resolved (never above the root). An empty `url` gives `base`.
//! - `_join_url(url_base, path)`: an empty path gives `url_base` as it is;
//!   otherwise `url_base` gets a trailing `/` and is `urljoin`ed with the
//!   path.

use serde_json::Value;

use crate::error::Error;
use crate::interpolation::{python_str, string_repr};

/// The schemes `urljoin` resolves relative references for.
const USES_RELATIVE: &[&str] = &[
    "", "ftp", "http", "gopher", "nntp", "imap", "wais", "file", "https", "shttp", "mms",
    "prospero", "rtsp", "rtsps", "rtspu", "sftp", "svn", "svn+ssh", "ws", "wss",
];

/// The schemes that have a netloc.
const USES_NETLOC: &[&str] = &[
    "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
    "snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git",
    "git+ssh", "ws", "wss",
];

/// The schemes whose last path segment may carry `;params`.
const USES_PARAMS: &[&str] = &[
    "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps", "rtspu",
    "sip", "sips", "mms", "sftp", "tel",
];

/// A URL split as `urllib.parse.urlparse` splits it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedUrl {
    /// The scheme, lowercased (or the default given).
    pub scheme: String,
    /// `user:password@host:port`, as written.
    pub netloc: String,
    /// The path, as written.
    pub path: String,
    /// The `;params` of the last path segment.
    pub params: String,
    /// The query, without `?`.
    pub query: String,
    /// The fragment, without `#`.
    pub fragment: String,
}

fn invalid(message: &str) -> Error {
    Error::Request {
        kind: "ValueError".into(),
        message: message.into(),
    }
}

/// `urllib.parse.urlsplit(url, scheme)`: the parts of `url`, with `params`
/// left in the path. A bracketed host that is no IPv6 address is an error
/// (Python's `ValueError`).
///
/// ```
/// use source_http::requester::urlsplit;
/// let parts = urlsplit("HTTPS://api.example.com/v1/users?limit=5#top", "").unwrap();
/// assert_eq!(parts.scheme, "https");
/// assert_eq!(parts.netloc, "api.example.com");
/// assert_eq!(parts.path, "/v1/users");
/// assert_eq!(parts.query, "limit=5");
/// assert_eq!(parts.fragment, "top");
/// ```
pub fn urlsplit(url: &str, default_scheme: &str) -> Result<ParsedUrl, Error> {
    let strip = |c: char| c <= ' ';
    let mut url: String = url
        .trim_start_matches(strip)
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut scheme: String = default_scheme
        .trim_matches(strip)
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    if let Some(i) = url.find(':')
        && i > 0
        && url.as_bytes()[0].is_ascii_alphabetic()
        && url[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        scheme = url[..i].to_ascii_lowercase();
        url = url[i + 1..].to_owned();
    }
    let mut netloc = String::new();
    if url.starts_with("//") {
        let end = url[2..].find(['/', '?', '#']).map_or(url.len(), |i| i + 2);
        netloc = url[2..end].to_owned();
        url = url[end..].to_owned();
        if netloc.contains('[') != netloc.contains(']') {
            return Err(invalid("Invalid IPv6 URL"));
        }
        if netloc.contains('[') {
            let inside = netloc.split_once('[').map_or("", |(_, rest)| {
                rest.split_once(']').map_or(rest, |(h, _)| h)
            });
            check_bracketed_host(inside)?;
        }
    }
    let mut fragment = String::new();
    if let Some((before, after)) = url.split_once('#') {
        fragment = after.to_owned();
        url = before.to_owned();
    }
    let mut query = String::new();
    if let Some((before, after)) = url.split_once('?') {
        query = after.to_owned();
        url = before.to_owned();
    }
    Ok(ParsedUrl {
        scheme,
        netloc,
        path: url,
        params: String::new(),
        query,
        fragment,
    })
}

/// Python's `_check_bracketed_host`: an IPv6 address (or `vX.…`).
fn check_bracketed_host(host: &str) -> Result<(), Error> {
    if let Some(rest) = host.strip_prefix('v') {
        let ok = rest.split_once('.').is_some_and(|(hex, tail)| {
            !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) && !tail.is_empty()
        });
        return if ok {
            Ok(())
        } else {
            Err(invalid("IPvFuture address is invalid"))
        };
    }
    let address = host.split_once('%').map_or(host, |(a, _)| a);
    if address.parse::<std::net::Ipv6Addr>().is_ok() {
        Ok(())
    } else if address.parse::<std::net::Ipv4Addr>().is_ok() {
        Err(invalid("An IPv4 address cannot be in brackets"))
    } else {
        Err(invalid(&format!(
            "{} does not appear to be an IPv4 or IPv6 address",
            repr(host)
        )))
    }
}

/// Python's `repr()` of a string.
pub(crate) fn repr(text: &str) -> String {
    let mut out = String::new();
    string_repr(text, &mut out);
    out
}

/// `urllib.parse.urlparse(url, scheme)`: [`urlsplit`], then the `;params`
/// of the last path segment split off for the schemes that have them.
pub fn urlparse(url: &str, default_scheme: &str) -> Result<ParsedUrl, Error> {
    let mut parts = urlsplit(url, default_scheme)?;
    if USES_PARAMS.contains(&parts.scheme.as_str()) && parts.path.contains(';') {
        let from = parts.path.rfind('/').unwrap_or(0);
        if let Some(i) = parts.path[from..].find(';').map(|i| i + from) {
            parts.params = parts.path[i + 1..].to_owned();
            parts.path.truncate(i);
        }
    }
    Ok(parts)
}

/// `urllib.parse.urlunparse`: the parts put back together.
pub fn urlunparse(parts: &ParsedUrl) -> String {
    let mut path = parts.path.clone();
    if !parts.params.is_empty() {
        path = format!("{path};{}", parts.params);
    }
    urlunsplit(
        &parts.scheme,
        &parts.netloc,
        &path,
        &parts.query,
        &parts.fragment,
    )
}

/// `urllib.parse.urlunsplit`.
pub fn urlunsplit(scheme: &str, netloc: &str, path: &str, query: &str, fragment: &str) -> String {
    let mut url = path.to_owned();
    if !netloc.is_empty()
        || (!scheme.is_empty() && USES_NETLOC.contains(&scheme) && !url.starts_with("//"))
    {
        if !url.is_empty() && !url.starts_with('/') {
            url.insert(0, '/');
        }
        url = format!("//{netloc}{url}");
    }
    if !scheme.is_empty() {
        url = format!("{scheme}:{url}");
    }
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    if !fragment.is_empty() {
        url = format!("{url}#{fragment}");
    }
    url
}

/// `urllib.parse.urljoin(base, url)` (CPython 3.11).
///
/// ```
/// use source_http::requester::urljoin;
/// assert_eq!(urljoin("https://a.io/v1/", "users").unwrap(), "https://a.io/v1/users");
/// assert_eq!(urljoin("https://a.io/v1/", "/users").unwrap(), "https://a.io/users");
/// assert_eq!(urljoin("https://a.io/v1/x", "../y?z=1").unwrap(), "https://a.io/y?z=1");
/// assert_eq!(urljoin("https://a.io/v1/", "https://b.io/next").unwrap(), "https://b.io/next");
/// assert_eq!(urljoin("https://a.io/v1/", "//c.io/p").unwrap(), "https://c.io/p");
/// ```
pub fn urljoin(base: &str, url: &str) -> Result<String, Error> {
    if base.is_empty() {
        return Ok(url.to_owned());
    }
    if url.is_empty() {
        return Ok(base.to_owned());
    }
    let b = urlparse(base, "")?;
    let mut u = urlparse(url, &b.scheme)?;
    if u.scheme != b.scheme || !USES_RELATIVE.contains(&u.scheme.as_str()) {
        return Ok(url.to_owned());
    }
    if USES_NETLOC.contains(&u.scheme.as_str()) {
        if !u.netloc.is_empty() {
            return Ok(urlunparse(&u));
        }
        u.netloc = b.netloc.clone();
    }
    if u.path.is_empty() && u.params.is_empty() {
        u.path = b.path.clone();
        u.params = b.params.clone();
        if u.query.is_empty() {
            u.query = b.query.clone();
        }
        return Ok(urlunparse(&u));
    }
    let mut base_parts: Vec<&str> = b.path.split('/').collect();
    if base_parts.last().is_some_and(|last| !last.is_empty()) {
        base_parts.pop();
    }
    let segments: Vec<&str> = if u.path.starts_with('/') {
        u.path.split('/').collect()
    } else {
        let mut all: Vec<&str> = base_parts;
        all.extend(u.path.split('/'));
        // Empty segments between the first and the last are dropped.
        let n = all.len();
        all.iter()
            .enumerate()
            .filter(|(i, s)| *i == 0 || *i + 1 == n || !s.is_empty())
            .map(|(_, s)| *s)
            .collect()
    };
    let mut resolved: Vec<&str> = Vec::new();
    for segment in &segments {
        match *segment {
            ".." => {
                resolved.pop();
            }
            "." => {}
            other => resolved.push(other),
        }
    }
    if segments.last().is_some_and(|s| *s == "." || *s == "..") {
        resolved.push("");
    }
    let path = resolved.join("/");
    u.path = if path.is_empty() { "/".into() } else { path };
    Ok(urlunparse(&u))
}

/// `HttpRequester._join_url(url_base, path)`: `url_base` as it is for an
/// empty path; else `urljoin(url_base + "/", path)` (the `/` only when
/// `url_base` has none).
///
/// ```
/// use source_http::requester::join_url;
/// assert_eq!(join_url("https://a.io/v1", "users").unwrap(), "https://a.io/v1/users");
/// assert_eq!(join_url("https://a.io/v1", "").unwrap(), "https://a.io/v1");
/// assert_eq!(join_url("https://a.io/v1", "/next").unwrap(), "https://a.io/next");
/// ```
pub fn join_url(url_base: &str, path: &str) -> Result<String, Error> {
    if path.is_empty() {
        return Ok(url_base.to_owned());
    }
    if url_base.ends_with('/') {
        urljoin(url_base, path)
    } else {
        urljoin(&format!("{url_base}/"), path)
    }
}

/// `urllib.parse.unquote(text, errors="replace")`, with `+` as a space
/// first when `plus`.
pub fn unquote(text: &str, plus: bool) -> String {
    let text = if plus {
        text.replace('+', " ")
    } else {
        text.to_owned()
    };
    if !text.contains('%') {
        return text;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `parse_qs(query)` reduced to each key's first value, in the order the
/// keys first appear (blank values are skipped, as Python's default).
pub fn parse_qs_first(query: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for field in query.split('&') {
        let Some((name, value)) = field.split_once('=') else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let name = unquote(name, true);
        if !out.iter().any(|(k, _)| *k == name) {
            out.push((name, unquote(value, true)));
        }
    }
    out
}

/// `HttpClient._dedupe_query_params(url, params)`: the parameters, without
/// those whose key the URL's query already has with the same value (as
/// Python's `str()`; the URL's first value of the key counts). A key with
/// another value stays, so it is sent twice.
///
/// ```
/// use serde_json::{json, Map, Value};
/// use source_http::requester::dedupe_query_params;
/// let params: Map<String, Value> = json!({"a": 1, "b": "2", "c": "x"}).as_object().unwrap().clone();
/// let kept = dedupe_query_params("https://a.io/p?a=1&b=3", &params).unwrap();
/// assert_eq!(kept.keys().collect::<Vec<_>>(), ["b", "c"]);
/// ```
pub fn dedupe_query_params(
    url: &str,
    params: &serde_json::Map<String, Value>,
) -> Result<serde_json::Map<String, Value>, Error> {
    let query = urlparse(url, "")?.query;
    let existing = parse_qs_first(&query);
    Ok(params
        .iter()
        .filter(|(k, v)| {
            !existing
                .iter()
                .any(|(ek, ev)| ek == *k && python_str(v) == *ev)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}
