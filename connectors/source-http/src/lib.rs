//! `source-http`: Airbyte's declarative YAML manifests, run natively.
//!
//! This is the start of the engine (issue 12): [`manifest`] loads a
//! manifest the way `airbyte-cdk` 7.39.1 does before it builds components:
//! YAML 1.1 ([`manifest::yaml`]), references ([`manifest::refs`]), then
//! types and `$parameters` ([`manifest::parameters`]). [`interpolation`]
//! holds the rules that type a rendered value: Python's `str()`, the
//! literal evaluation and the truth of conditions. [`datetime`] reads and
//! writes datetimes as the CDK's `DatetimeParser` does.

pub mod auth;
pub mod datetime;
pub mod decoder;
pub mod dynamic;
pub mod engine;
mod error;
pub mod interpolation;
pub mod manifest;
pub mod records;
pub mod retriever;
pub mod schema;
pub mod source;
pub mod stream;

pub use error::Error;
pub mod error_handler;
pub mod incremental;
pub mod paginator;
pub mod partition;
pub mod requester;
pub mod transform;
