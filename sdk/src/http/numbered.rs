//! Numbered pages: an offset that grows by the records read, or a page
//! number that grows by one; a short or empty page is the last.

use std::sync::Arc;

use reqwest::Request;

use super::paginate::{Page, Paginator, StopWhen};
use super::query::set_query_param;
use crate::error::Error;

/// What both numbered paginators are: a number and a size as query
/// parameters, and how the number grows.
#[derive(Clone)]
struct Counter {
    number_param: String,
    size_param: String,
    size: Option<u64>,
    /// Whether the size parameter is written first (`limit=…&offset=…`).
    size_first: bool,
    /// Whether the number grows by the records read (an offset) or by one.
    by_records: bool,
    start: u64,
    current: u64,
    stop: Option<StopWhen>,
}

impl Counter {
    fn params(&self) -> [Option<(&str, u64)>; 2] {
        let number = Some((self.number_param.as_str(), self.current));
        let size = self.size.map(|s| (self.size_param.as_str(), s));
        if self.size_first {
            [size, number]
        } else {
            [number, size]
        }
    }

    fn apply(&self, request: &mut Request) {
        for (name, value) in self.params().into_iter().flatten() {
            set_query_param(request.url_mut(), name, &value.to_string());
        }
    }

    /// Moves to the next page unless this one is the last: fewer records
    /// than the size, none at all, or the caller's condition.
    fn advance(&mut self, page: &Page<'_>) -> bool {
        let records = page.records as u64;
        let last = records == 0
            || self.size.is_some_and(|s| records < s)
            || self.stop.as_ref().is_some_and(|f| f(page));
        if !last {
            self.current += if self.by_records { records } else { 1 };
        }
        !last
    }

    fn start_at(&mut self, number: u64) {
        self.start = number;
        self.current = number;
    }

    fn fmt(&self, name: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(name)
            .field("size", &self.size)
            .field("next", &self.current)
            .finish_non_exhaustive()
    }
}

/// The `Paginator`, `Debug` and `stop_when` of a paginator over a `Counter`.
macro_rules! counter_paginator {
    ($name:ident) => {
        impl Paginator for $name {
            fn apply(&self, request: &mut Request) -> Result<(), Error> {
                self.0.apply(request);
                Ok(())
            }

            fn advance(&mut self, page: &Page<'_>) -> Result<bool, Error> {
                Ok(self.0.advance(page))
            }

            fn reset(&mut self) {
                self.0.current = self.0.start;
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(stringify!($name), f)
            }
        }

        impl $name {
            /// Also stops when `stop` says so.
            #[must_use]
            pub fn stop_when(
                mut self,
                stop: impl Fn(&Page<'_>) -> bool + Send + Sync + 'static,
            ) -> Self {
                self.0.stop = Some(Arc::new(stop));
                self
            }
        }
    };
}

/// `limit` and `offset` query parameters: the offset grows by the records
/// of each page; a page with fewer than `limit` records (or none) is the last.
///
/// ```
/// use airbyte_sdk::http::{HttpResponse, OffsetPaginator, Page, Paginator};
/// use airbyte_sdk::http::reqwest::{Method, Request, StatusCode, Url, header::HeaderMap};
/// use airbyte_sdk::serde_json::Value;
///
/// let url = Url::parse("http://127.0.0.1/items").unwrap();
/// let response = HttpResponse::new(StatusCode::OK, HeaderMap::new(), url.clone(), "");
/// let page = |records| Page { response: &response, body: &Value::Null, records };
/// let mut pages = OffsetPaginator::new(50);
/// assert!(pages.advance(&page(50)).unwrap());
/// let mut request = Request::new(Method::GET, url);
/// pages.apply(&mut request).unwrap();
/// assert_eq!(request.url().query(), Some("limit=50&offset=50"));
/// assert!(!pages.advance(&page(49)).unwrap());
/// ```
#[derive(Clone)]
pub struct OffsetPaginator(Counter);

counter_paginator!(OffsetPaginator);

impl OffsetPaginator {
    /// Pages of `limit` records, from offset 0, as `limit` and `offset`.
    pub fn new(limit: u64) -> Self {
        OffsetPaginator(Counter {
            number_param: "offset".to_owned(),
            size_param: "limit".to_owned(),
            size: Some(limit),
            size_first: true,
            by_records: true,
            start: 0,
            current: 0,
            stop: None,
        })
    }

    /// The query parameters' names.
    #[must_use]
    pub fn params(mut self, limit: impl Into<String>, offset: impl Into<String>) -> Self {
        self.0.size_param = limit.into();
        self.0.number_param = offset.into();
        self
    }

    /// Starts at this offset (and goes back to it on reset).
    #[must_use]
    pub fn start_at(mut self, offset: u64) -> Self {
        self.0.start_at(offset);
        self
    }

    /// The offset of the next request.
    pub fn offset(&self) -> u64 {
        self.0.current
    }
}

/// A page number (and optionally a page size) as query parameters: the
/// number grows by one; a page with fewer records than the size (or none)
/// is the last.
///
/// ```
/// use airbyte_sdk::http::{HttpResponse, PagePaginator, Page, Paginator};
/// use airbyte_sdk::http::reqwest::{Method, Request, StatusCode, Url, header::HeaderMap};
/// use airbyte_sdk::serde_json::Value;
///
/// let url = Url::parse("http://127.0.0.1/items").unwrap();
/// let response = HttpResponse::new(StatusCode::OK, HeaderMap::new(), url.clone(), "");
/// let page = |records| Page { response: &response, body: &Value::Null, records };
/// let mut pages = PagePaginator::new(Some(2)).start_at(1).params("p", "size");
/// let mut request = Request::new(Method::GET, url.clone());
/// pages.apply(&mut request).unwrap();
/// assert_eq!(request.url().query(), Some("p=1&size=2"));
/// assert!(pages.advance(&page(2)).unwrap());
/// assert_eq!(pages.page(), 2);
/// assert!(!pages.advance(&page(0)).unwrap());
/// ```
#[derive(Clone)]
pub struct PagePaginator(Counter);

counter_paginator!(PagePaginator);

impl PagePaginator {
    /// Pages from number 0 (as the CDK's `start_from_page`), as `page` and
    /// `page_size` (the size is sent only if there is one).
    pub fn new(size: Option<u64>) -> Self {
        PagePaginator(Counter {
            number_param: "page".to_owned(),
            size_param: "page_size".to_owned(),
            size,
            size_first: false,
            by_records: false,
            start: 0,
            current: 0,
            stop: None,
        })
    }

    /// The query parameters' names.
    #[must_use]
    pub fn params(mut self, page: impl Into<String>, size: impl Into<String>) -> Self {
        self.0.number_param = page.into();
        self.0.size_param = size.into();
        self
    }

    /// The first page's number (and the one reset goes back to).
    #[must_use]
    pub fn start_at(mut self, page: u64) -> Self {
        self.0.start_at(page);
        self
    }

    /// The number of the next request's page.
    pub fn page(&self) -> u64 {
        self.0.current
    }
}
