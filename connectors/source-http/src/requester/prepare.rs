//! What `requests` does to a request before it is sent, so that the URL
//! and the headers a transport sends are the ones Python sends:
//!
//! - the URL is parsed and normalised as urllib3's `parse_url` does
//!   (scheme and host lowercased, `.` / `..` removed from the path,
//!   characters a URL may not hold percent-encoded), the query parameters
//!   are form-encoded (`quote_plus`) after the URL's own query, and the
//!   whole is re-quoted (`requote_uri`);
//! - header names and values are checked as `check_header_validity` does;
//! - text sent on the wire (header values, a plain-text body) must be
//!   Latin-1, as `http.client` encodes it.

use std::sync::LazyLock;

use regex::Regex;

use super::url::{repr, urlunsplit};
use crate::error::Error;

fn request_error(kind: &str, message: impl Into<String>) -> Error {
    Error::Request {
        kind: kind.into(),
        message: message.into(),
    }
}

const UNRESERVED: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-~";
const SUB_DELIMS: &str = "!$&'()*+,;=";

fn userinfo_char(c: u8) -> bool {
    UNRESERVED.as_bytes().contains(&c) || SUB_DELIMS.as_bytes().contains(&c) || c == b':'
}

fn path_char(c: u8) -> bool {
    userinfo_char(c) || c == b'@' || c == b'/'
}

fn query_char(c: u8) -> bool {
    path_char(c) || c == b'?'
}

/// `urllib.parse.quote(text, safe)`: UTF-8 bytes other than letters,
/// digits, `_.-~` and `safe` as `%XX`.
pub fn quote(text: &str, safe: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if UNRESERVED.as_bytes().contains(&b) || safe.as_bytes().contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `urllib.parse.quote_plus(text)`: [`quote`] with nothing safe, and a
/// space as `+`.
pub fn quote_plus(text: &str) -> String {
    quote(text, " ").replace(' ', "+")
}

/// `urlencode(pairs)`: `k=v` pairs joined by `&`, each side [`quote_plus`]d.
///
/// ```
/// use source_http::requester::urlencode;
/// let pairs = [("q".to_string(), "a b&c".to_string()), ("k/1".to_string(), "é".to_string())];
/// assert_eq!(urlencode(&pairs), "q=a+b%26c&k%2F1=%C3%A9");
/// ```
pub fn urlencode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// urllib3's `_encode_invalid_chars`: characters outside `allowed` as
/// `%XX`, existing `%xx` escapes upper-cased and kept when every `%` is
/// one.
fn encode_invalid_chars(component: &str, allowed: fn(u8) -> bool) -> String {
    if component
        .bytes()
        .all(|b| b != b'%' && b < 128 && allowed(b))
    {
        return component.to_owned();
    }
    static PERCENT: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new("%[a-fA-F0-9]{2}").ok());
    let mut escapes = 0;
    let upper = match PERCENT.as_ref() {
        Some(re) => re
            .replace_all(component, |c: &regex::Captures<'_>| {
                escapes += 1;
                c[0].to_ascii_uppercase()
            })
            .into_owned(),
        None => component.to_owned(),
    };
    let encoded = escapes == upper.bytes().filter(|b| *b == b'%').count();
    let mut out = String::with_capacity(upper.len());
    for b in upper.bytes() {
        if (encoded && b == b'%') || (b < 128 && allowed(b)) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// urllib3's `_remove_path_dot_segments` (RFC 3986 §5.2.4).
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "." => {}
            ".." => {
                output.pop();
            }
            other => output.push(other),
        }
    }
    if path.starts_with('/') && output.first().is_none_or(|s| !s.is_empty()) {
        output.insert(0, "");
    }
    if path.ends_with("/.") || path.ends_with("/..") {
        output.push("");
    }
    output.join("/")
}

/// The parts urllib3's `parse_url` gives.
struct Url {
    scheme: Option<String>,
    auth: Option<String>,
    host: Option<String>,
    port: Option<u32>,
    path: Option<String>,
    query: Option<String>,
    fragment: Option<String>,
}

static HOST_PORT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let hex = "[0-9A-Fa-f]{1,4}";
    let ipv4 = r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}";
    let ls32 = format!("(?:{hex}:{hex}|{ipv4})");
    let variations = [
        format!("(?:{hex}:){{6}}{ls32}"),
        format!("::(?:{hex}:){{5}}{ls32}"),
        format!("(?:{hex})?::(?:{hex}:){{4}}{ls32}"),
        format!("(?:(?:{hex}:)?{hex})?::(?:{hex}:){{3}}{ls32}"),
        format!("(?:(?:{hex}:){{0,2}}{hex})?::(?:{hex}:){{2}}{ls32}"),
        format!("(?:(?:{hex}:){{0,3}}{hex})?::{hex}:{ls32}"),
        format!("(?:(?:{hex}:){{0,4}}{hex})?::{ls32}"),
        format!("(?:(?:{hex}:){{0,5}}{hex})?::{hex}"),
        format!("(?:(?:{hex}:){{0,6}}{hex})?::"),
    ];
    let ipv6 = format!("(?:{})", variations.join("|"));
    let unreserved = r"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._\-~";
    let zone = format!("(?:%25|%)(?:[{unreserved}]|%[a-fA-F0-9]{{2}})+");
    let ipv6z = format!(r"\[{ipv6}(?:{zone})?\]");
    let reg_name = r"(?:[^\[\]%:/?#]|%[a-fA-F0-9]{2})*";
    Regex::new(&format!(
        "^({reg_name}|{ipv4}|{ipv6z})(?::0*?(|0|[1-9][0-9]{{0,4}}))?$"
    ))
    .ok()
});

static IPV4: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(?:0[xX][0-9a-fA-F]+|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]+|[0-9]+)){0,3}$").ok()
});

fn location_error(location: &str) -> Error {
    request_error("InvalidURL", format!("Failed to parse: {location}"))
}

fn invalid_host_char(text: &str) -> Option<char> {
    text.chars().find(|c| *c <= ' ' || *c == '\x7f')
}

/// urllib3's `parse_url` (2.x), for the URLs requests prepares.
fn parse_url(url: &str) -> Result<Url, Error> {
    if url.is_empty() {
        return Ok(Url {
            scheme: None,
            auth: None,
            host: None,
            port: None,
            path: None,
            query: None,
            fragment: None,
        });
    }
    let has_scheme = url.starts_with('/') || {
        let b = url.as_bytes();
        b[0].is_ascii_alphabetic() && {
            let run = b
                .iter()
                .skip(1)
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-'))
                .count();
            b.get(run + 1) == Some(&b':')
        }
    };
    let url = if has_scheme {
        url.to_owned()
    } else {
        format!("//{url}")
    };
    // _URI_RE: scheme, authority, path, query, fragment.
    let mut rest = url.as_str();
    let mut scheme = None;
    let b = rest.as_bytes();
    if b.first().is_some_and(u8::is_ascii_alphabetic) {
        let run = 1 + b
            .iter()
            .skip(1)
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
            .count();
        if b.get(run) == Some(&b':') {
            scheme = Some(rest[..run].to_ascii_lowercase());
            rest = &rest[run + 1..];
        }
    }
    let mut authority = None;
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['\\', '/', '?', '#']).unwrap_or(after.len());
        authority = Some(&after[..end]);
        rest = &after[end..];
    }
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((b, f)) => (b, Some(f.to_owned())),
        None => (rest, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (before_fragment.to_owned(), None),
    };
    let normalize = scheme
        .as_deref()
        .is_none_or(|s| s == "http" || s == "https");

    let (mut auth, mut host, mut port) = (None, None, None);
    if let Some(authority) = authority.filter(|a| !a.is_empty()) {
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let captures = HOST_PORT.as_ref().and_then(|re| re.captures(host_port));
        let Some(captures) = captures else {
            return Err(match invalid_host_char(host_port) {
                Some(c) => location_error(&format!(
                    "Host {} contains invalid character {}",
                    repr(host_port),
                    repr(&c.to_string())
                )),
                None => location_error(&format!("{} is not a valid host or port", repr(host_port))),
            });
        };
        host = captures.get(1).map(|m| m.as_str().to_owned());
        port = captures
            .get(2)
            .map(|m| m.as_str())
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        auth = user.filter(|u| !u.is_empty()).map(|u| {
            if normalize {
                encode_invalid_chars(u, userinfo_char)
            } else {
                u.to_owned()
            }
        });
    }
    let port = match port {
        Some(p) => match p.parse::<u32>() {
            Ok(n) if n <= 65535 => Some(n),
            _ => return Err(location_error(&url)),
        },
        None => None,
    };
    let host = match host.filter(|h| !h.is_empty()) {
        Some(h) => Some(normalize_host(&h, scheme.as_deref())?),
        None => None,
    };
    let mut path = if normalize && !path.is_empty() {
        encode_invalid_chars(&remove_dot_segments(&path), path_char)
    } else {
        path
    };
    let query = query.map(|q| {
        if normalize && !q.is_empty() {
            encode_invalid_chars(&q, query_char)
        } else {
            q
        }
    });
    let fragment = fragment.map(|f| {
        if normalize && !f.is_empty() {
            encode_invalid_chars(&f, query_char)
        } else {
            f
        }
    });
    let path = if path.is_empty() {
        if query.is_some() || fragment.is_some() {
            Some(String::new())
        } else {
            None
        }
    } else {
        Some(std::mem::take(&mut path))
    };
    Ok(Url {
        scheme,
        auth,
        host,
        port,
        path,
        query,
        fragment,
    })
}

/// urllib3's `_normalize_host` for ASCII hosts (an IDNA host is refused).
fn normalize_host(host: &str, scheme: Option<&str>) -> Result<String, Error> {
    if let Some(c) = invalid_host_char(host) {
        return Err(location_error(&format!(
            "Host {} contains invalid character {}",
            repr(host),
            repr(&c.to_string())
        )));
    }
    if !scheme.is_none_or(|s| s == "http" || s == "https") {
        return Ok(host.to_owned());
    }
    if host.starts_with('[') {
        return Ok(match host.find('%') {
            Some(i) => format!("{}{}", host[..i].to_lowercase(), &host[i..]),
            None => host.to_lowercase(),
        });
    }
    if IPV4.as_ref().is_some_and(|re| re.is_match(host)) {
        return Ok(host.to_owned());
    }
    if !host.is_ascii() {
        return Err(request_error(
            "InvalidURL",
            format!(
                "source-http does not support internationalised (IDNA) host names yet: {}",
                repr(host)
            ),
        ));
    }
    let mut host = host.to_owned();
    if host.contains('%') {
        let b = host.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                let pair = host
                    .get(i + 1..i + 3)
                    .filter(|p| p.len() == 2 && p.bytes().all(|c| c.is_ascii_hexdigit()));
                let Some(pair) = pair else {
                    return Err(location_error(&format!(
                        "{} is not a valid host",
                        repr(&host)
                    )));
                };
                let decoded = u8::from_str_radix(pair, 16).unwrap_or(0) as char;
                if UNRESERVED.contains(decoded) {
                    out.push(decoded);
                } else {
                    out.push('%');
                    out.push_str(&pair.to_ascii_uppercase());
                }
                i += 3;
            } else {
                out.push(b[i] as char);
                i += 1;
            }
        }
        host = out;
    }
    let lowered = host.to_ascii_lowercase();
    Ok(match PERCENT_ESCAPE.as_ref() {
        Some(re) => re
            .replace_all(&lowered, |c: &regex::Captures<'_>| {
                c[0].to_ascii_uppercase()
            })
            .into_owned(),
        None => lowered,
    })
}

static PERCENT_ESCAPE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new("%[a-fA-F0-9]{2}").ok());

/// requests' `requote_uri`: escapes of unreserved characters decoded,
/// then whatever a URI may not hold quoted (`%` kept, unless an escape is
/// no hex pair).
fn requote_uri(uri: &str) -> String {
    let safe_with_percent = "!#$%&'()*+,/:;=?@[]~";
    let safe_without_percent = "!#$&'()*+,/:;=?@[]~";
    let mut parts = uri.split('%');
    let mut out = parts.next().unwrap_or("").to_owned();
    for part in parts {
        let head: String = part.chars().take(2).collect();
        if head.chars().count() == 2 && head.chars().all(char::is_alphanumeric) {
            let Ok(byte) = u8::from_str_radix(&head, 16) else {
                return quote(uri, safe_without_percent);
            };
            let c = byte as char;
            if UNRESERVED.contains(c) {
                out.push(c);
                out.push_str(&part[2..]);
            } else {
                out.push('%');
                out.push_str(part);
            }
        } else {
            out.push('%');
            out.push_str(part);
        }
    }
    quote(&out, safe_with_percent)
}

/// The URL requests sends (`PreparedRequest.prepare_url`): `url`
/// normalised, with `params` (decoded key/value pairs) form-encoded after
/// its own query. A URL of another scheme than http(s) (`mailto:`) is
/// kept as it is and gets no parameters, as in requests.
///
/// ```
/// use source_http::requester::prepare_url;
/// let params = [("q".to_string(), "a b".to_string())];
/// assert_eq!(
///     prepare_url("HTTPS://API.Example.com/v1/./x/../users?x=1", &params).unwrap(),
///     "https://api.example.com/v1/users?x=1&q=a+b"
/// );
/// assert_eq!(prepare_url("https://a.io", &[]).unwrap(), "https://a.io/");
/// assert!(prepare_url("a.io/users", &[]).unwrap_err().to_string().contains("No scheme supplied"));
/// ```
pub fn prepare_url(url: &str, params: &[(String, String)]) -> Result<String, Error> {
    let url = url.trim_start();
    if url.contains(':') && !url.to_lowercase().starts_with("http") {
        return Ok(url.to_owned());
    }
    let parsed = parse_url(url)?;
    let Some(scheme) = parsed.scheme.filter(|s| !s.is_empty()) else {
        return Err(request_error(
            "MissingSchema",
            format!(
                "Invalid URL {}: No scheme supplied. Perhaps you meant https://{url}?",
                repr(url)
            ),
        ));
    };
    let Some(host) = parsed.host.filter(|h| !h.is_empty()) else {
        return Err(request_error(
            "InvalidURL",
            format!("Invalid URL {}: No host supplied", repr(url)),
        ));
    };
    if host.starts_with('*') || host.starts_with('.') {
        return Err(request_error("InvalidURL", "URL has an invalid label."));
    }
    let mut netloc = parsed.auth.map(|a| format!("{a}@")).unwrap_or_default();
    netloc.push_str(&host);
    if let Some(port) = parsed.port.filter(|p| *p != 0) {
        netloc.push_str(&format!(":{port}"));
    }
    let path = parsed
        .path
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/".into());
    let encoded = urlencode(params);
    let mut query = parsed.query.unwrap_or_default();
    if !encoded.is_empty() {
        query = if query.is_empty() {
            encoded
        } else {
            format!("{query}&{encoded}")
        };
    }
    let fragment = parsed.fragment.unwrap_or_default();
    Ok(requote_uri(&urlunsplit(
        &scheme, &netloc, &path, &query, &fragment,
    )))
}

/// Python's `str.isspace` for one character.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// requests' `check_header_validity`: a name without `:`, leading
/// whitespace or line breaks; a value without leading whitespace or line
/// breaks.
pub fn check_header(name: &str, value: &str) -> Result<(), Error> {
    let name_ok = name
        .chars()
        .next()
        .is_some_and(|c| c != ':' && !py_space(c))
        && !name.contains([':', '\r', '\n']);
    let value_ok = value.is_empty()
        || (value.chars().next().is_some_and(|c| !py_space(c)) && !value.contains(['\r', '\n']));
    for (ok, kind, part) in [(name_ok, "name", name), (value_ok, "value", value)] {
        if !ok {
            return Err(request_error(
                "InvalidHeader",
                format!(
                    "Invalid leading whitespace, reserved character(s), or return character(s) in header {kind}: {}",
                    repr(part)
                ),
            ));
        }
    }
    Ok(())
}

/// The Latin-1 bytes `http.client` sends for `text`, or its
/// `UnicodeEncodeError`; `what` names the text in the error (`body`).
pub fn latin1(text: &str, what: Option<&str>) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(text.len());
    for (position, c) in text.chars().enumerate() {
        let n = c as u32;
        if n > 255 {
            let escaped = if n > 0xFFFF {
                format!("\\U{n:08x}")
            } else {
                format!("\\u{n:04x}")
            };
            let reason = match what {
                Some(name) => {
                    let mut title = name.to_owned();
                    if let Some(first) = title.get_mut(0..1) {
                        first.make_ascii_uppercase();
                    }
                    format!(
                        "{title} ({}) is not valid Latin-1. Use {name}.encode('utf-8') if you want to send it encoded in UTF-8.",
                        repr(&c.to_string())
                    )
                }
                None => "ordinal not in range(256)".into(),
            };
            return Err(request_error(
                "UnicodeEncodeError",
                format!(
                    "'latin-1' codec can't encode character '{escaped}' in position {position}: {reason}"
                ),
            ));
        }
        out.push(n as u8);
    }
    Ok(out)
}
