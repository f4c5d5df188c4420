//! A response as the error handler and the paginator read it: what
//! `requests.Response` gives them (status, reason, final URL, headers,
//! body, `.json()`, `.text`, `.links`).

use serde_json::{Map, Value};

use super::url::{urlsplit, urlunsplit};

/// A received response.
#[derive(Debug, Clone, Copy)]
pub struct HttpResponse<'a> {
    /// The status code.
    pub status: u16,
    /// The reason phrase of the status line (`Not Found`).
    pub reason: &'a str,
    /// The URL the response came from (after redirects).
    pub url: &'a str,
    /// The headers in the order received (a name may repeat).
    pub headers: &'a [(String, String)],
    /// The body (decompressed).
    pub body: &'a [u8],
}

impl HttpResponse<'_> {
    /// `response.ok`: no 4xx or 5xx status.
    pub fn ok(&self) -> bool {
        !(400..600).contains(&self.status)
    }

    /// `response.headers.get(name)`: case-insensitive; repeated headers
    /// joined with `", "` as urllib3 joins them.
    ///
    /// ```
    /// use source_http::requester::HttpResponse;
    /// let headers = vec![("Retry-After".to_string(), "5".to_string()), ("x-a".into(), "1".into()), ("X-A".into(), "2".into())];
    /// let response = HttpResponse { status: 429, reason: "", url: "", headers: &headers, body: b"" };
    /// assert_eq!(response.header("retry-after").as_deref(), Some("5"));
    /// assert_eq!(response.header("x-a").as_deref(), Some("1, 2"));
    /// ```
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// `dict(response.headers)`: each name once, spelled as first
    /// received, repeated values joined with `", "`.
    pub fn headers_map(&self) -> Map<String, Value> {
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in self.headers {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name);
            }
        }
        names
            .into_iter()
            .filter_map(|n| self.header(n).map(|v| (n.to_owned(), Value::String(v))))
            .collect()
    }

    /// `response.json()`, or `None` when the body is no JSON.
    pub fn json(&self) -> Option<Value> {
        let body = self.body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(self.body);
        serde_json::from_slice(body).ok()
    }

    /// `response.text`: the body decoded with the charset of its
    /// `Content-Type`, Latin-1 for `text/*` without one, else UTF-8.
    pub fn text(&self) -> String {
        let content_type = self.header("content-type").unwrap_or_default();
        let charset = content_type
            .split(';')
            .skip(1)
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
            .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_ascii_lowercase());
        let latin1 = match charset.as_deref() {
            Some("iso-8859-1" | "latin-1" | "latin1") => true,
            Some(_) => false,
            None => content_type.to_ascii_lowercase().contains("text"),
        };
        if latin1 {
            self.body.iter().map(|b| *b as char).collect()
        } else {
            String::from_utf8_lossy(self.body).into_owned()
        }
    }

    /// The URL without query, fragment and user info (the error handler's
    /// `request_url`).
    pub fn request_url(&self) -> String {
        match urlsplit(self.url, "") {
            Ok(parts) if !self.url.is_empty() => {
                let host = parts
                    .netloc
                    .rsplit_once('@')
                    .map_or(parts.netloc.as_str(), |(_, h)| h);
                urlunsplit(&parts.scheme, host, &parts.path, "", "")
            }
            _ => String::new(),
        }
    }
}
