//! The HTTP kit (feature `http`): what a source over an HTTP API needs, in
//! parts that a source written as Rust traits and the declarative-manifest
//! engine share.
//!
//! - [`HttpClient`]: reqwest with rustls (ring provider, Mozilla's roots),
//!   connect and read timeouts (a stalled server is an error, never a
//!   hang), a bound on requests in flight, a request budget and a minimum
//!   interval; [`HttpClient::send`] runs the status table and retries;
//! - [`StatusTable`]: the status → [`Action`] table as data, with failure
//!   types; the default is the Airbyte Python CDK's `DEFAULT_ERROR_MAPPING`;
//! - [`RetryPolicy`], [`Backoff`]: exponential (1, 2, 4, 8, 16 s) or
//!   constant backoff, `Retry-After` honoured and capped, a time budget, a
//!   time scale for tests;
//! - [`Authenticator`]: [`ApiKey`], [`Bearer`], [`Basic`] and [`OAuth2`]
//!   (refresh token, with rotation: [`ConfigRotation`] turns a new refresh
//!   token into the CONTROL message that updates the config);
//! - [`Paginator`]: [`CursorPaginator`] (body or `Link` header),
//!   [`OffsetPaginator`], [`PagePaginator`], stop conditions, and a
//!   [`TokenGuard`] that makes a repeated next-page token an error.
//!
//! Errors never show a secret: the authenticator's values are masked in
//! URLs and response bodies, and request headers are never printed.
//!
//! ```
//! use std::time::Duration;
//! use airbyte_sdk::http::{ApiKey, HttpClient, OffsetPaginator, RetryPolicy, read_pages};
//!
//! async fn read_items(api_key: &str, out: &mut Vec<airbyte_sdk::serde_json::Value>) -> airbyte_sdk::Result<()> {
//!     let client = HttpClient::builder()
//!         .authenticator(ApiKey::header("X-Api-Key", api_key)?)
//!         .max_in_flight(2)
//!         .build()?;
//!     let mut pages = OffsetPaginator::new(100);
//!     read_pages(&client, &mut pages, || client.get("https://api.example.com/items"), |_, body| {
//!         let items = body["items"].as_array().cloned().unwrap_or_default();
//!         let n = items.len();
//!         out.extend(items);
//!         Ok(n)
//!     })
//!     .await?;
//!     Ok(())
//! }
//! # let _ = read_items;
//! ```

mod auth;
mod backoff;
mod client;
mod limits;
mod link;
mod numbered;
mod oauth;
mod paginate;
mod query;
mod redact;
mod response;
mod rotation;
mod send;
mod status;
mod tls;

/// The reqwest this kit is built with (requests, headers, URLs).
pub use reqwest;

pub use auth::{ApiKey, Authenticator, Basic, Bearer};
pub use backoff::{Backoff, RetryContext, RetryPolicy, WaitFn, parse_retry_after, retry_after};
pub use client::{HttpClient, HttpClientBuilder, IntoRequest, RetryEvent, RetryObserver};
pub use link::{Link, next_link, parse_link_header};
pub use numbered::{OffsetPaginator, PagePaginator};
pub use oauth::{OAuth2, OAuth2Builder};
pub use paginate::{
    CursorFrom, CursorPaginator, Page, Paginator, StopWhen, TokenGuard, TokenTo, read_pages,
};
pub use query::set_query_param;
pub use response::HttpResponse;
pub use rotation::{ConfigRotation, RefreshHandler, TokenRefresh, connector_config_message};
pub use send::{TransportFailure, TransportKind};
pub use status::{Action, Resolution, StatusTable};
