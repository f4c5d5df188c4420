//! A response read whole: status, headers, final URL and body.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::error::Error;

/// A response whose body has been read (so a body that stalls or breaks is
/// retried like any transport error), and whether the status table said to
/// ignore it.
///
/// ```
/// use airbyte_sdk::http::HttpResponse;
/// use airbyte_sdk::http::reqwest::{StatusCode, Url, header::HeaderMap};
///
/// let url = Url::parse("http://127.0.0.1/items").unwrap();
/// let response = HttpResponse::new(StatusCode::OK, HeaderMap::new(), url, r#"{"items":[1,2]}"#);
/// let body: airbyte_sdk::serde_json::Value = response.json().unwrap();
/// assert_eq!(body["items"][1], 2);
/// assert!(!response.is_ignored());
/// ```
#[derive(Debug, Clone)]
pub struct HttpResponse {
    status: StatusCode,
    headers: HeaderMap,
    url: Url,
    body: Bytes,
    ignored: bool,
}

impl HttpResponse {
    /// A response (for tests of code that reads responses, and for callers
    /// that fetch their own).
    pub fn new(status: StatusCode, headers: HeaderMap, url: Url, body: impl Into<Bytes>) -> Self {
        HttpResponse {
            status,
            headers,
            url,
            body: body.into(),
            ignored: false,
        }
    }

    pub(crate) fn into_ignored(mut self) -> Self {
        self.ignored = true;
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value, if it is present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The URL the response came from (after redirects).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON; a body that is not is a system error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::system(format!(
                "The response (HTTP {}) is not the JSON expected: {e}",
                self.status.as_u16()
            ))
        })
    }

    /// Whether the status table said to ignore this response (the caller
    /// reads no records from it).
    pub fn is_ignored(&self) -> bool {
        self.ignored
    }
}
