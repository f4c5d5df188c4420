//! Resolving a response as the CDK's error handlers do, as pure
//! functions of the response (or the transport error): what to do
//! ([`Resolution`]), how many retries, how long to wait ([`Retrier`]),
//! and the errors and messages of a failed request.
//!
//! - [`resolution`]: the actions, the default mapping and its fallback.
//! - [`filter`]: `HttpResponseFilter` and the error-message search.
//! - [`backoff`]: the backoff strategies.
//! - [`handler`]: `DefaultErrorHandler` and `CompositeErrorHandler`.
//! - [`retry`]: the retry loops of `HttpClient`, and the final errors.

pub mod backoff;
pub mod filter;
pub mod handler;
pub mod resolution;
pub mod retry;

pub use backoff::{BackoffStrategy, MaxWait};
pub use filter::{HttpResponseFilter, parse_error_message};
pub use handler::{
    DEFAULT_MAX_RETRIES, DefaultErrorHandler, ErrorHandler, MAX_TIME_SECONDS, Outcome,
};
pub use resolution::{
    Resolution, ResponseAction, TransportError, TransportErrorKind, default_for_status,
    default_for_transport, http_error_text,
};
pub use retry::{
    Failure, Retrier, Retry, exhausted_error, fail_error, ignore_message, user_wait_log,
};
