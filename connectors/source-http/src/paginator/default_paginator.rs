//! `DefaultPaginator` and `NoPagination`: the options a page's request
//! gets, its path, and the token of the next page.
//!
//! - `page_size_option` is injected on every request, the first
//!   included (a falsy page size is not injected), and is allowed only
//!   when the strategy has a page size.
//! - `page_token_option` is injected only when the token is not `None`;
//!   a `RequestPath` token (truthy) replaces the path, `str()`'d.
//! - A falsy next token ends pagination; `NoPagination` always ends.

use std::collections::HashSet;

use airbyte_sdk::protocol::FailureType;
use serde_json::{Map, Value};

use super::strategy::{Page, PageReads, Strategy};
use crate::error::Error;
use crate::interpolation::{Jinja, python_str, truthy};
use crate::requester::{
    InjectInto, PageTokenOption, Piece, RequestOption, RequestOptions, combine, field,
    read_component, type_of,
};

/// A `DefaultPaginator`.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultPaginator {
    /// `pagination_strategy`.
    pub strategy: Strategy,
    /// `page_size_option`.
    pub page_size_option: Option<RequestOption>,
    /// `page_token_option`.
    pub page_token_option: Option<PageTokenOption>,
}

/// A retriever's paginator.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Paginator {
    /// `NoPagination` (the default): one page.
    #[default]
    None,
    /// `DefaultPaginator`.
    Default(DefaultPaginator),
}

impl Paginator {
    /// Builds one from its manifest mapping (`DefaultPaginator` or
    /// `NoPagination`); `None` (no `paginator`) is `NoPagination`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::paginator::Paginator;
    /// let (jinja, config) = (Jinja::new(), json!({}));
    /// let error = Paginator::from_manifest(Some(&json!({"type": "DefaultPaginator",
    ///     "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ response.next }}"},
    ///     "page_size_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "limit"}})),
    ///     &jinja, &config).unwrap_err();
    /// assert!(error.to_string().contains("page_size_option cannot be set if the pagination strategy does not have a page_size"));
    /// ```
    pub fn from_manifest(
        value: Option<&Value>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Self, Error> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Ok(Paginator::None);
        };
        let map = read_component(value, &["DefaultPaginator", "NoPagination"], "a paginator")?;
        if type_of(map) == "NoPagination" {
            return Ok(Paginator::None);
        }
        let strategy_value = field(map, "pagination_strategy").ok_or_else(|| {
            Error::Manifest(
                "DefaultPaginator has no `pagination_strategy`, which it requires".into(),
            )
        })?;
        let strategy = Strategy::from_manifest(strategy_value, jinja, config)?;
        let page_size_option = field(map, "page_size_option")
            .map(RequestOption::from_manifest)
            .transpose()?;
        let page_token_option = field(map, "page_token_option")
            .map(PageTokenOption::from_manifest)
            .transpose()?;
        if page_size_option.is_some() && strategy.page_size(jinja, config)?.is_none_or(|s| s == 0) {
            return Err(Error::Manifest(
                "page_size_option cannot be set if the pagination strategy does not have a page_size"
                    .into(),
            ));
        }
        // `_validate_component_request_option_paths`: the two options may
        // not collide, tried with dummy values.
        if let (Some(size), Some(PageTokenOption::Option(token))) =
            (&page_size_option, &page_token_option)
            && size.inject_into == token.inject_into
        {
            let mut pieces = Vec::new();
            for (i, option) in [size, token].into_iter().enumerate() {
                let mut target = Map::new();
                option.inject(
                    &mut target,
                    Value::String(format!("dummy_value_{i}")),
                    jinja,
                    config,
                )?;
                pieces.push(Some(Piece::Map(target)));
            }
            combine(&pieces, size.inject_into == InjectInto::BodyJson)
                .map_err(|e| Error::Manifest(e.to_string()))?;
        }
        Ok(Paginator::Default(DefaultPaginator {
            strategy,
            page_size_option,
            page_token_option,
        }))
    }

    /// The token of the first page (`get_initial_token`).
    pub fn initial_token(&self) -> Option<Value> {
        match self {
            Paginator::None => None,
            Paginator::Default(p) => p.strategy.initial_token(),
        }
    }

    /// The page size the paginator asks for.
    pub fn page_size(&self, jinja: &Jinja, config: &Value) -> Result<Option<i64>, Error> {
        match self {
            Paginator::None => Ok(None),
            Paginator::Default(p) => p.strategy.page_size(jinja, config),
        }
    }

    /// The path of the page with `token` (`path`): the token, `str()`'d,
    /// for a `RequestPath` and a truthy token.
    pub fn path(&self, token: Option<&Value>) -> Option<String> {
        match (self, token) {
            (Paginator::Default(p), Some(t)) if truthy(t) => {
                matches!(p.page_token_option, Some(PageTokenOption::Path)).then(|| python_str(t))
            }
            _ => None,
        }
    }

    /// The options of the page with `token` (`get_request_params`,
    /// `…_headers`, `…_body_data`, `…_body_json`).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::paginator::Paginator;
    /// let (jinja, config) = (Jinja::new(), json!({}));
    /// let paginator = Paginator::from_manifest(Some(&json!({"type": "DefaultPaginator",
    ///     "pagination_strategy": {"type": "OffsetIncrement", "page_size": 50},
    ///     "page_size_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "limit"},
    ///     "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "offset"}})),
    ///     &jinja, &config).unwrap();
    /// let first = paginator.request_options(None, &jinja, &config).unwrap();
    /// assert_eq!(first.params, *json!({"limit": 50}).as_object().unwrap());
    /// let next = paginator.request_options(Some(&json!(100)), &jinja, &config).unwrap();
    /// assert_eq!(next.params, *json!({"limit": 50, "offset": 100}).as_object().unwrap());
    /// ```
    pub fn request_options(
        &self,
        token: Option<&Value>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<RequestOptions, Error> {
        let mut options = RequestOptions::default();
        let Paginator::Default(p) = self else {
            return Ok(options);
        };
        for inject_into in [
            InjectInto::Header,
            InjectInto::RequestParameter,
            InjectInto::BodyData,
            InjectInto::BodyJson,
        ] {
            let target = match inject_into {
                InjectInto::RequestParameter => &mut options.params,
                InjectInto::Header => &mut options.headers,
                InjectInto::BodyData => &mut options.body_data,
                InjectInto::BodyJson => &mut options.body_json,
            };
            if let (Some(PageTokenOption::Option(option)), Some(token)) =
                (&p.page_token_option, token.filter(|t| !t.is_null()))
                && option.inject_into == inject_into
            {
                option.inject(target, token.clone(), jinja, config)?;
            }
            if let Some(option) = &p.page_size_option
                && option.inject_into == inject_into
                && let Some(size) = p.strategy.page_size(jinja, config)?.filter(|s| *s != 0)
            {
                option.inject(target, Value::from(size), jinja, config)?;
            }
        }
        Ok(options)
    }

    /// The token of the page after `page`, or `None` when pagination
    /// ends (`next_page_token`, without its `{"next_page_token": …}`
    /// wrapping); `last` is the token `page` was requested with.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::paginator::{Page, Paginator};
    /// use source_http::requester::HttpResponse;
    /// let (jinja, config) = (Jinja::new(), json!({}));
    /// let paginator = Paginator::from_manifest(Some(&json!({"type": "DefaultPaginator",
    ///     "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ headers.link.next.url }}",
    ///         "stop_condition": "{{ 'next' not in headers.link }}"},
    ///     "page_token_option": {"type": "RequestPath"}})), &jinja, &config).unwrap();
    /// let headers = vec![("Link".to_string(), "<https://a.io/u?page=2>; rel=\"next\"".to_string())];
    /// let response = HttpResponse { status: 200, reason: "OK", url: "https://a.io/u", headers: &headers, body: b"[]" };
    /// let body = std::sync::Arc::new(json!({}));
    /// let page = Page { response: &response, body: &body, emitted: 0, extracted: None, last_record: None, stream_slice: None };
    /// let token = paginator.next_page_token(&page, None, &jinja, &config).unwrap();
    /// assert_eq!(token, Some(json!("https://a.io/u?page=2")));
    /// assert_eq!(paginator.path(token.as_ref()).as_deref(), Some("https://a.io/u?page=2"));
    /// ```
    pub fn next_page_token(
        &self,
        page: &Page<'_>,
        last: Option<&Value>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Option<Value>, Error> {
        match self {
            Paginator::None => Ok(None),
            Paginator::Default(p) => Ok(p
                .strategy
                .next_token(page, last, jinja, config)?
                .filter(truthy)),
        }
    }

    /// What [`Paginator::next_page_token`] reads of a page besides the
    /// records' count.
    pub fn page_reads(&self) -> PageReads {
        match self {
            Paginator::None => PageReads::Nothing,
            Paginator::Default(p) => p.strategy.page_reads(),
        }
    }
}

/// The tokens a slice has been paginated with, so that a token coming
/// back ends the slice with an error instead of an endless loop.
///
/// The CDK has no such guard: a `CursorPagination` whose `cursor_value`
/// renders the same token again requests the same page forever. Here a
/// repeated token is a system error. A retriever restarting the slice
/// (`RESET_PAGINATION`) starts a new guard.
#[derive(Debug, Clone, Default)]
pub struct TokenGuard {
    seen: HashSet<String>,
}

impl TokenGuard {
    /// A guard for a new slice.
    pub fn new() -> Self {
        TokenGuard::default()
    }

    /// Records the token of the next page; an error when the slice had it
    /// already.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::paginator::TokenGuard;
    /// let mut guard = TokenGuard::new();
    /// assert!(guard.check(&json!("abc")).is_ok());
    /// assert!(guard.check(&json!("def")).is_ok());
    /// assert!(guard.check(&json!("abc")).unwrap_err().to_string().contains("again"));
    /// ```
    pub fn check(&mut self, token: &Value) -> Result<(), Error> {
        if self.seen.insert(token.to_string()) {
            return Ok(());
        }
        let text = python_str(token);
        Err(Error::Traced {
            message: format!(
                "The paginator gave the next-page token {text:?} again for this slice: pagination would never end."
            ),
            internal_message: format!(
                "Pagination stopped: the next-page token {text:?} was already requested for this slice (the Python CDK would request the same page forever)."
            ),
            failure_type: FailureType::SystemError,
        })
    }
}
