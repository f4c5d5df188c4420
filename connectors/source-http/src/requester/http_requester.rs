//! `HttpRequester`: the URL of a request and the merging of every
//! source's options into one request, in the CDK's order (which decides
//! which error a broken request reports first).
//!
//! 1. The paginator's and the slicer's (partition routers', cursor's)
//!    options are merged, per part (`SimpleRetriever._get_request_options`);
//!    headers are `str()`'d.
//! 2. The URL: `url_base` + `path` (or a `RequestPath` token instead of
//!    `path`), or `url` when `url_base` is empty.
//! 3. The requester's own options, the authenticator's and the result of
//!    1 are merged, per part (`HttpRequester._get_request_options`):
//!    headers `str()`'d; a parameter that is a mapping raises.
//! 4. Parameters already in the URL with the same value are dropped; a
//!    JSON body and a data body together raise; the URL is prepared.

use serde_json::{Map, Value};

use super::component::{component, field, opt_text, parameters};
use super::context::RequestContext;
use super::merge::{Piece, RequestOptions, combine};
use super::parts::{Body, HttpMethod, RequestParts, form_pairs, header_list};
use super::prepare::prepare_url;
use super::provider::RequestOptionsProvider;
use super::url::{dedupe_query_params, join_url};
use crate::error::Error;
use crate::error_handler::ErrorHandler;
use crate::interpolation::{Jinja, python_str};

/// An `HttpRequester`.
#[derive(Debug, Clone)]
pub struct HttpRequester {
    /// `url` (a template; used when `url_base` is empty).
    pub url: String,
    /// `url_base` (a template).
    pub url_base: String,
    /// `path` (a template).
    pub path: String,
    /// `http_method`.
    pub method: HttpMethod,
    /// The requester's own options.
    pub options: RequestOptionsProvider,
    /// `error_handler` (a `DefaultErrorHandler` without filters when none).
    pub error_handler: ErrorHandler,
    /// `authenticator`, as the manifest gives it (built elsewhere).
    pub authenticator: Option<Value>,
    /// `connect_timeout_in_seconds`.
    pub connect_timeout: Option<f64>,
    /// `read_timeout_in_seconds`.
    pub read_timeout: Option<f64>,
    /// `$parameters`.
    pub parameters: Map<String, Value>,
}

/// What the other components put in a request: the paginator's options
/// and path for this page, the slicer's options for this slice, the
/// authenticator's options.
#[derive(Debug, Clone, Copy)]
pub struct RequestSources<'a> {
    /// The paginator's options for this page
    /// (`Paginator::request_options`).
    pub paginator: &'a RequestOptions,
    /// The paginator's path for this page (`Paginator::path`: the token
    /// of a `RequestPath`).
    pub paginator_path: Option<&'a str>,
    /// The partition routers' and the cursor's options for this slice. A
    /// retriever with `ignore_stream_slicer_parameters_on_paginated_requests`
    /// passes empty options for pages that have a token.
    pub slicer: &'a RequestOptions,
    /// The authenticator's options (its header, or its injected token).
    pub auth: &'a RequestOptions,
}

fn value_error(message: &str) -> Error {
    Error::Request {
        kind: "ValueError".into(),
        message: message.into(),
    }
}

fn map_piece(map: &Map<String, Value>) -> Option<Piece> {
    Some(Piece::Map(map.clone()))
}

/// The headers of a merge, `str()`'d (text raises).
fn headers_of(piece: Piece) -> Result<Map<String, Value>, Error> {
    match piece {
        Piece::Map(m) => Ok(m
            .into_iter()
            .map(|(k, v)| (k, Value::String(python_str(&v))))
            .collect()),
        _ => Err(value_error("Request headers cannot be a string")),
    }
}

fn map_of(piece: Piece, what: &str) -> Result<Map<String, Value>, Error> {
    match piece {
        Piece::Map(m) => Ok(m),
        _ => Err(value_error(&format!("{what} cannot be a string"))),
    }
}

impl HttpRequester {
    /// Builds one from its manifest mapping (`type: HttpRequester`); its
    /// error handler evaluates `max_retries` and caps with the config.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::requester::{HttpMethod, HttpRequester};
    /// let (jinja, config) = (Jinja::new(), json!({}));
    /// let requester = HttpRequester::from_manifest(&json!({
    ///     "type": "HttpRequester", "url_base": "https://api.example.com/v1", "path": "/users",
    ///     "http_method": "POST", "request_body_json": {"limit": "10"}
    /// }), &jinja, &config).unwrap();
    /// assert_eq!(requester.method, HttpMethod::Post);
    /// let put = json!({"type": "HttpRequester", "http_method": "PUT"});
    /// assert!(HttpRequester::from_manifest(&put, &jinja, &config).is_err());
    /// ```
    pub fn from_manifest(value: &Value, jinja: &Jinja, config: &Value) -> Result<Self, Error> {
        let map = component(value, &["HttpRequester"], "a requester")?;
        for unsupported in ["query_properties", "fetch_properties_from_endpoint"] {
            if field(map, unsupported).is_some() {
                return Err(Error::Manifest(format!(
                    "HttpRequester.{unsupported} is not supported by source-http yet"
                )));
            }
        }
        let method = match opt_text(map, "http_method")?.as_deref() {
            None | Some("GET") => HttpMethod::Get,
            Some("POST") => HttpMethod::Post,
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "HttpRequester.http_method must be GET or POST, not {other:?}"
                )));
            }
        };
        let error_handler = match field(map, "error_handler") {
            Some(handler) => ErrorHandler::from_manifest(handler, jinja, config)?,
            None => ErrorHandler::default(),
        };
        let timeout = |key: &str| -> Result<Option<f64>, Error> {
            field(map, key)
                .map(|v| {
                    super::component::as_float(v).ok_or_else(|| {
                        Error::Manifest(format!("HttpRequester.{key} must be a number"))
                    })
                })
                .transpose()
        };
        Ok(HttpRequester {
            url: opt_text(map, "url")?.unwrap_or_default(),
            url_base: opt_text(map, "url_base")?.unwrap_or_default(),
            path: opt_text(map, "path")?.unwrap_or_default(),
            method,
            options: RequestOptionsProvider::from_requester(map)?,
            error_handler,
            authenticator: field(map, "authenticator").cloned(),
            connect_timeout: timeout("connect_timeout_in_seconds")?,
            read_timeout: timeout("read_timeout_in_seconds")?,
            parameters: parameters(map),
        })
    }

    /// The request's URL, before requests prepares it (`_get_url`):
    /// `url_base` joined with `path`, or with `paginator_path` instead
    /// (unstripped); `url` when `url_base` is empty.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::requester::{HttpRequester, RequestContext};
    /// let config = json!({"v": "v2"});
    /// let jinja = Jinja::new();
    /// let requester = HttpRequester::from_manifest(&json!({
    ///     "type": "HttpRequester", "url_base": "https://api.io/{{ config.v }}", "path": "/users"}),
    ///     &jinja, &config).unwrap();
    /// let context = RequestContext::new(&config);
    /// assert_eq!(requester.request_url(&jinja, &context, None).unwrap(), "https://api.io/v2/users");
    /// assert_eq!(requester.request_url(&jinja, &context, Some("/next?p=2")).unwrap(), "https://api.io/next?p=2");
    /// ```
    pub fn request_url(
        &self,
        jinja: &Jinja,
        context: &RequestContext<'_>,
        paginator_path: Option<&str>,
    ) -> Result<String, Error> {
        let ctx = context.jinja(&self.parameters);
        let render = |template: &str| -> Result<String, Error> {
            Ok(python_str(&jinja.string(template, &ctx)?))
        };
        let url = render(&self.url)?;
        let url_base = render(&self.url_base)?;
        let path = match paginator_path.filter(|p| !p.is_empty()) {
            Some(p) => p.to_owned(),
            None => render(&self.path)?.trim_start_matches('/').to_owned(),
        };
        if !url_base.is_empty() {
            join_url(&url_base, &path)
        } else if !path.is_empty() {
            join_url(&url, &path)
        } else {
            Ok(url)
        }
    }

    /// The request for a page: every source's options merged, the URL
    /// prepared, the body encoded (`SimpleRetriever._fetch_next_page`,
    /// `HttpRequester.send_request` and requests' preparation).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::requester::{Body, HttpRequester, RequestContext, RequestOptions, RequestSources};
    /// let (jinja, config) = (Jinja::new(), json!({"limit": 50}));
    /// let requester = HttpRequester::from_manifest(&json!({
    ///     "type": "HttpRequester", "url_base": "https://api.io", "path": "/users?sort=id",
    ///     "request_parameters": {"limit": "{{ config.limit }}", "tags": "{{ ['a', 'b'] }}"},
    ///     "request_headers": {"X-Debug": "{{ True }}"}}), &jinja, &config).unwrap();
    /// let none = RequestOptions::default();
    /// let mut auth = RequestOptions::default();
    /// auth.headers.insert("Authorization".into(), json!("Bearer t"));
    /// let sources = RequestSources { paginator: &none, paginator_path: None, slicer: &none, auth: &auth };
    /// let parts = requester.build(&jinja, &RequestContext::new(&config), sources).unwrap();
    /// assert_eq!(parts.url, "https://api.io/users?sort=id&limit=50&tags=a&tags=b");
    /// assert!(parts.headers.contains(&("X-Debug".into(), "True".into())));
    /// assert_eq!(parts.body, Body::None);
    ///
    /// // A header the authenticator also sets collides.
    /// let requester = HttpRequester::from_manifest(&json!({"type": "HttpRequester",
    ///     "url_base": "https://api.io", "request_headers": {"Authorization": "x"}}), &jinja, &config).unwrap();
    /// let error = requester.build(&jinja, &RequestContext::new(&config), sources).unwrap_err();
    /// assert!(error.to_string().starts_with("Request body collision"));
    /// ```
    pub fn build(
        &self,
        jinja: &Jinja,
        context: &RequestContext<'_>,
        sources: RequestSources<'_>,
    ) -> Result<RequestParts, Error> {
        // SimpleRetriever: the paginator's options with the slicer's.
        let (pag, slicer) = (sources.paginator, sources.slicer);
        let extra_headers = headers_of(combine(
            &[map_piece(&pag.headers), map_piece(&slicer.headers)],
            false,
        )?)?;
        let extra_params = map_of(
            combine(&[map_piece(&pag.params), map_piece(&slicer.params)], false)?,
            "Request params",
        )?;
        let extra_data = combine(
            &[map_piece(&pag.body_data), map_piece(&slicer.body_data)],
            false,
        )?;
        let extra_json = map_of(
            combine(
                &[map_piece(&pag.body_json), map_piece(&slicer.body_json)],
                true,
            )?,
            "Request body json",
        )?;

        // HttpRequester.send_request.
        let url = self.request_url(jinja, context, sources.paginator_path)?;
        let ctx = context.jinja(&self.parameters);
        let auth = sources.auth;
        let headers = headers_of(combine(
            &[
                self.options.headers(jinja, &ctx)?,
                map_piece(&auth.headers),
                Some(Piece::Map(extra_headers)),
            ],
            false,
        )?)?;
        let params = map_of(
            combine(
                &[
                    Some(self.options.params(jinja, &ctx)?),
                    map_piece(&auth.params),
                    Some(Piece::Map(extra_params)),
                ],
                false,
            )?,
            "Request params",
        )?;
        if let Some((key, _)) = params.iter().find(|(_, v)| v.is_object()) {
            return Err(value_error(&format!(
                "Invalid value for `{key}` parameter. The values of request params cannot be an object."
            )));
        }
        let json = map_of(
            combine(
                &[
                    self.options.body_json(jinja, &ctx)?,
                    map_piece(&auth.body_json),
                    Some(Piece::Map(extra_json)),
                ],
                true,
            )?,
            "Request body json",
        )?;
        let data = combine(
            &[
                Some(self.options.body_data(jinja, &ctx)?),
                map_piece(&auth.body_data),
                Some(extra_data),
            ],
            false,
        )?;

        // HttpClient._create_prepared_request.
        let params = dedupe_query_params(&url, &params)?;
        let data_present = match &data {
            Piece::Map(m) => !m.is_empty(),
            Piece::Text(t) => !t.is_empty(),
            Piece::Other(_) => false,
        };
        let body = match (json.is_empty(), data) {
            (false, _) if data_present => {
                return Err(Error::Request {
                    kind: "RequestBodyException".into(),
                    message: "At the same time only one of the 'request_body_data' and 'request_body_json' functions can return data".into(),
                });
            }
            (false, _) => Body::Json(Value::Object(json)),
            (true, Piece::Map(m)) if !m.is_empty() => Body::Form(form_pairs(&m)),
            (true, Piece::Text(t)) if !t.is_empty() => Body::Raw(t),
            _ => Body::None,
        };
        let query = form_pairs(&params);
        let prepared = prepare_url(&url, &query)?;
        let headers = header_list(&headers, &body)?;
        body.to_bytes()?;
        Ok(RequestParts {
            method: self.method,
            url: prepared,
            query,
            headers,
            body,
        })
    }
}
