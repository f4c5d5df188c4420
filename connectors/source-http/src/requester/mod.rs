//! Building a request as the CDK's `HttpRequester` does, as pure logic
//! (no HTTP): the URL ([`url`], with Python's `urljoin`), the options of
//! every source ([`options`], [`provider`], [`merge`]) merged with the
//! CDK's collision rules, and requests' preparation of the URL, headers
//! and body ([`prepare`]), into [`RequestParts`] a transport sends.

mod component;
mod context;
mod http_requester;
pub mod merge;
pub mod options;
mod parts;
pub mod prepare;
pub mod provider;
mod response;
pub mod url;

pub use component::NumberOrTemplate;
pub(crate) use component::{
    as_int, component as read_component, field, float_text, opt_bool, opt_float_or_template,
    opt_int, opt_int_or_template, opt_text, parameters, py_float, req_text, type_of,
};
pub(crate) use context::config_only;
pub use context::{RequestContext, token_mapping};
pub use http_requester::{HttpRequester, RequestSources};
pub use merge::{Piece, RequestOptions, combine};
pub use options::{Field, InjectInto, PageTokenOption, RequestOption};
pub use parts::{Body, HttpMethod, RequestParts, form_pairs, json_dumps};
pub use prepare::{check_header, prepare_url, quote, quote_plus, urlencode};
pub use provider::{RequestInput, RequestOptionsProvider};
pub use response::HttpResponse;
pub use url::{ParsedUrl, dedupe_query_params, join_url, urljoin, urlparse, urlsplit, urlunsplit};
