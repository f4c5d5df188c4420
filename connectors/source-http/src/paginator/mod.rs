//! Pagination as the CDK's `DefaultPaginator` and `NoPagination` do it,
//! as pure logic: the options and path of a page's request, and the token
//! of the next page from the response.
//!
//! - [`strategy`]: `CursorPagination`, `OffsetIncrement`, `PageIncrement`.
//! - [`links`]: the `Link` header as python-requests parses it.
//! - [`default_paginator`]: the paginator, and a guard against a token
//!   that comes back.

pub mod default_paginator;
pub mod links;
pub mod strategy;

pub use default_paginator::{DefaultPaginator, Paginator, TokenGuard};
pub use links::{links, pagination_headers, parse_header_links};
pub use strategy::{Page, PageReads, Strategy};
