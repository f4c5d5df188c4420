//! Paginators: which page to ask for next, and when to stop. A next-page
//! token the API already returned for this stream (or slice) is an error,
//! never an endless loop.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Request, RequestBuilder, Url};
use serde_json::Value;

use super::client::{HttpClient, IntoRequest};
use super::link::next_link;
use super::query::set_query_param;
use super::response::HttpResponse;
use crate::error::Error;

/// A page just read: the response, its body as JSON (`null` if it was
/// empty or not JSON) and the number of records the API returned in it.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The response.
    pub response: &'a HttpResponse,
    /// The body, parsed.
    pub body: &'a Value,
    /// Records on the page (before any filtering of the connector's).
    pub records: usize,
}

/// A stop condition: `true` ends the pagination after this page.
pub type StopWhen = Arc<dyn Fn(&Page<'_>) -> bool + Send + Sync>;

/// Walks the pages of one stream (or slice).
pub trait Paginator: Send {
    /// Puts the current page on the request (a first cursor page adds nothing).
    fn apply(&self, request: &mut Request) -> Result<(), Error>;

    /// Reads the page just fetched: `Ok(true)` moves to the next page,
    /// `Ok(false)` is the end; a token seen before is an error.
    fn advance(&mut self, page: &Page<'_>) -> Result<bool, Error>;

    /// Back to the first page, for the next slice.
    fn reset(&mut self);
}

/// The tokens seen for one stream or slice: the same one twice is a system
/// error, as it would read the same pages forever.
///
/// ```
/// use airbyte_sdk::http::TokenGuard;
/// use airbyte_sdk::protocol::FailureType;
///
/// let mut guard = TokenGuard::default();
/// guard.check("abc").unwrap();
/// guard.check("abd").unwrap();
/// let err = guard.check("abc").unwrap_err();
/// assert_eq!(err.failure_type(), FailureType::SystemError);
/// assert!(err.to_string().contains("the same next-page token twice"), "{err}");
/// guard.reset();
/// guard.check("abc").unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct TokenGuard {
    seen: HashSet<String>,
}

impl TokenGuard {
    /// Records `token`; an error if it was seen before.
    pub fn check(&mut self, token: &str) -> Result<(), Error> {
        if self.seen.insert(token.to_owned()) {
            return Ok(());
        }
        let mut shown: String = token.chars().take(100).collect();
        if shown.len() < token.len() {
            shown.push('…');
        }
        Err(Error::system(format!(
            "The API returned the same next-page token twice ('{shown}') after {} pages: \
             stopping rather than reading the same pages forever.",
            self.seen.len()
        )))
    }

    /// Forgets every token (a new slice).
    pub fn reset(&mut self) {
        self.seen.clear();
    }
}

/// Where a cursor paginator finds the next page's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorFrom {
    /// The body, at a JSON pointer (`/meta/next_cursor`); `null`, `""` or
    /// no value ends the pagination.
    Body(String),
    /// The `Link` header's `rel="next"` URL.
    Link,
    /// A response header.
    Header(HeaderName),
}

/// Where a cursor paginator puts the token on the next request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenTo {
    /// A query parameter.
    Query(String),
    /// A request header.
    Header(HeaderName),
    /// The token is the next page's URL (resolved against the last one).
    Url,
}

/// The next page named by a token: from the body, a header or the `Link`
/// header.
///
/// ```
/// use airbyte_sdk::http::{CursorPaginator, HttpResponse, Page, Paginator};
/// use airbyte_sdk::http::reqwest::{Method, Request, StatusCode, Url, header::HeaderMap};
/// use airbyte_sdk::serde_json::json;
///
/// let url = Url::parse("http://127.0.0.1/items").unwrap();
/// let mut pages = CursorPaginator::body("/next", "cursor");
/// let response = HttpResponse::new(StatusCode::OK, HeaderMap::new(), url.clone(), "");
/// assert!(pages.advance(&Page { response: &response, body: &json!({"next": "c2"}), records: 10 }).unwrap());
/// let mut request = Request::new(Method::GET, url);
/// pages.apply(&mut request).unwrap();
/// assert_eq!(request.url().query(), Some("cursor=c2"));
/// assert!(!pages.advance(&Page { response: &response, body: &json!({"next": null}), records: 10 }).unwrap());
/// ```
#[derive(Clone)]
pub struct CursorPaginator {
    from: CursorFrom,
    to: TokenTo,
    next: Option<String>,
    guard: TokenGuard,
    stop: Option<StopWhen>,
}

impl std::fmt::Debug for CursorPaginator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorPaginator")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl CursorPaginator {
    /// A cursor read from `from` and put on requests at `to`.
    pub fn new(from: CursorFrom, to: TokenTo) -> Self {
        CursorPaginator {
            from,
            to,
            next: None,
            guard: TokenGuard::default(),
            stop: None,
        }
    }

    /// Follows the `Link` header's `rel="next"` URL.
    pub fn link_header() -> Self {
        Self::new(CursorFrom::Link, TokenTo::Url)
    }

    /// The token at a JSON pointer of the body, sent as query parameter `param`.
    pub fn body(pointer: impl Into<String>, param: impl Into<String>) -> Self {
        Self::new(
            CursorFrom::Body(pointer.into()),
            TokenTo::Query(param.into()),
        )
    }

    /// The next page's URL at a JSON pointer of the body.
    pub fn body_url(pointer: impl Into<String>) -> Self {
        Self::new(CursorFrom::Body(pointer.into()), TokenTo::Url)
    }

    /// Also stops when `stop` says so (checked before the token is read).
    #[must_use]
    pub fn stop_when(mut self, stop: impl Fn(&Page<'_>) -> bool + Send + Sync + 'static) -> Self {
        self.stop = Some(Arc::new(stop));
        self
    }

    /// The next token, if any.
    pub fn next_token(&self) -> Option<&str> {
        self.next.as_deref()
    }

    fn token(&self, page: &Page<'_>) -> Result<Option<String>, Error> {
        let token = match &self.from {
            CursorFrom::Link => {
                return Ok(
                    next_link(page.response.headers(), page.response.url()).map(String::from)
                );
            }
            CursorFrom::Header(name) => page.response.header(name.as_str()).map(str::to_owned),
            CursorFrom::Body(pointer) => match page.body.pointer(pointer) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(other) => {
                    return Err(Error::system(format!(
                        "the next-page token at `{pointer}` is {}, not text or a number",
                        kind(other)
                    )));
                }
            },
        };
        Ok(token.filter(|t| !t.is_empty()))
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "a boolean",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        _ => "a value",
    }
}

impl Paginator for CursorPaginator {
    fn apply(&self, request: &mut Request) -> Result<(), Error> {
        let Some(token) = &self.next else {
            return Ok(());
        };
        match &self.to {
            TokenTo::Query(param) => set_query_param(request.url_mut(), param, token),
            TokenTo::Header(name) => {
                let value = HeaderValue::from_str(token).map_err(|_| {
                    Error::system("the next-page token is not a valid header value")
                })?;
                request.headers_mut().insert(name.clone(), value);
            }
            TokenTo::Url => {
                let url = request.url().join(token).map_err(|e| {
                    Error::system(format!("the next-page URL is not a valid URL: {e}"))
                })?;
                *request.url_mut() = url;
            }
        }
        Ok(())
    }

    fn advance(&mut self, page: &Page<'_>) -> Result<bool, Error> {
        if self.stop.as_ref().is_some_and(|stop| stop(page)) {
            self.next = None;
            return Ok(false);
        }
        self.next = match self.token(page)? {
            Some(token) if self.to == TokenTo::Url => {
                // Relative next URLs are resolved against the page they came from.
                let url: Url = page.response.url().join(&token).map_err(|e| {
                    Error::system(format!("the next-page URL is not a valid URL: {e}"))
                })?;
                Some(url.into())
            }
            token => token,
        };
        match &self.next {
            Some(token) => self.guard.check(token).map(|()| true),
            None => Ok(false),
        }
    }

    fn reset(&mut self) {
        self.next = None;
        self.guard.reset();
    }
}

/// Reads every page: builds each request with `request`, lets the
/// paginator put the page on it, sends it, and hands the response and its
/// body (JSON, `null` if empty or not JSON) to `on_page`, which returns
/// the number of records the page had. An ignored response ends the pages.
/// Returns the number of pages read.
pub async fn read_pages<P: Paginator + ?Sized>(
    client: &HttpClient,
    paginator: &mut P,
    mut request: impl FnMut() -> RequestBuilder,
    mut on_page: impl FnMut(&HttpResponse, &Value) -> Result<usize, Error>,
) -> Result<u64, Error> {
    let mut pages = 0;
    loop {
        let mut next = request().into_request()?;
        paginator.apply(&mut next)?;
        let response = client.send(next).await?;
        if response.is_ignored() {
            return Ok(pages);
        }
        let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        let records = on_page(&response, &body)?;
        pages += 1;
        let page = Page {
            response: &response,
            body: &body,
            records,
        };
        if !paginator.advance(&page)? {
            return Ok(pages);
        }
    }
}
