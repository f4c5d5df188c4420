//! What a response (or a transport error) resolves to: the CDK's
//! `ResponseAction`, `ErrorResolution`, `DEFAULT_ERROR_MAPPING` and its
//! fallback.
//!
//! | status / error | action | failure type |
//! |---|---|---|
//! | 400, 404, 405 | FAIL | system_error |
//! | 401, 403 | FAIL | config_error |
//! | 408, 500, 502, 503, 504 | RETRY | transient_error |
//! | 429 | RATE_LIMITED | transient_error |
//! | other 4xx/5xx | RETRY | system_error ("Response was not ok: …") |
//! | `InvalidSchema` | FAIL | config_error |
//! | `InvalidURL`, a bare `RequestException` | RETRY | transient_error |
//! | any other transport error (timeouts, connection errors) | RETRY | system_error ("ConnectionError: …") |
//!
//! The mapping is looked up by the exception's exact class, so a
//! `ConnectionError` or a `ReadTimeout` is not a `RequestException` here.

use airbyte_sdk::protocol::FailureType;

/// What to do with a response (`ResponseAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseAction {
    /// Records are read from it.
    Success,
    /// The request is retried.
    Retry,
    /// The stream fails.
    Fail,
    /// No records; pagination of the slice ends.
    Ignore,
    /// The slice restarts from its first page.
    ResetPagination,
    /// Retried, after a `RATE_LIMITED` stream status.
    RateLimited,
    /// The OAuth token is refreshed, then the request retried.
    RefreshTokenThenRetry,
    /// The page is requested again with a smaller page size.
    ReducePageSize,
    /// The slice's window is split.
    SplitRequestWindow,
}

impl ResponseAction {
    /// The manifest's name (`RETRY`).
    pub fn name(self) -> &'static str {
        match self {
            ResponseAction::Success => "SUCCESS",
            ResponseAction::Retry => "RETRY",
            ResponseAction::Fail => "FAIL",
            ResponseAction::Ignore => "IGNORE",
            ResponseAction::ResetPagination => "RESET_PAGINATION",
            ResponseAction::RateLimited => "RATE_LIMITED",
            ResponseAction::RefreshTokenThenRetry => "REFRESH_TOKEN_THEN_RETRY",
            ResponseAction::ReducePageSize => "REDUCE_PAGE_SIZE",
            ResponseAction::SplitRequestWindow => "SPLIT_REQUEST_WINDOW",
        }
    }

    /// The action of a manifest name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "SUCCESS" => ResponseAction::Success,
            "RETRY" => ResponseAction::Retry,
            "FAIL" => ResponseAction::Fail,
            "IGNORE" => ResponseAction::Ignore,
            "RESET_PAGINATION" => ResponseAction::ResetPagination,
            "RATE_LIMITED" => ResponseAction::RateLimited,
            "REFRESH_TOKEN_THEN_RETRY" => ResponseAction::RefreshTokenThenRetry,
            "REDUCE_PAGE_SIZE" => ResponseAction::ReducePageSize,
            "SPLIT_REQUEST_WINDOW" => ResponseAction::SplitRequestWindow,
            _ => return None,
        })
    }

    /// Whether the request is sent again (`RETRY`, `RATE_LIMITED`,
    /// `REFRESH_TOKEN_THEN_RETRY`).
    pub fn retries(self) -> bool {
        matches!(
            self,
            ResponseAction::Retry
                | ResponseAction::RateLimited
                | ResponseAction::RefreshTokenThenRetry
        )
    }
}

/// `ErrorResolution`: the action, the failure type and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// What to do.
    pub action: ResponseAction,
    /// The failure type when it fails (none for a success).
    pub failure_type: Option<FailureType>,
    /// The message (the user-facing one of a failure).
    pub message: Option<String>,
}

impl Resolution {
    /// `SUCCESS_RESOLUTION`.
    pub fn success() -> Self {
        Resolution {
            action: ResponseAction::Success,
            failure_type: None,
            message: None,
        }
    }

    fn new(action: ResponseAction, failure_type: FailureType, message: &str) -> Self {
        Resolution {
            action,
            failure_type: Some(failure_type),
            message: Some(message.to_owned()),
        }
    }
}

/// The class of a transport error, as requests names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// `InvalidSchema`: no adapter for the URL's scheme.
    InvalidSchema,
    /// `InvalidURL`.
    InvalidUrl,
    /// A bare `RequestException`.
    RequestException,
    /// `ConnectionError` (refused, reset, DNS).
    ConnectionError,
    /// `ConnectTimeout`.
    ConnectTimeout,
    /// `ReadTimeout`.
    ReadTimeout,
    /// `ChunkedEncodingError`.
    ChunkedEncodingError,
    /// `SSLError`.
    SslError,
    /// `TooManyRedirects`.
    TooManyRedirects,
    /// `ContentDecodingError`.
    ContentDecodingError,
    /// Another class, by name.
    Other(String),
}

impl TransportErrorKind {
    /// The Python class name.
    pub fn class_name(&self) -> &str {
        match self {
            TransportErrorKind::InvalidSchema => "InvalidSchema",
            TransportErrorKind::InvalidUrl => "InvalidURL",
            TransportErrorKind::RequestException => "RequestException",
            TransportErrorKind::ConnectionError => "ConnectionError",
            TransportErrorKind::ConnectTimeout => "ConnectTimeout",
            TransportErrorKind::ReadTimeout => "ReadTimeout",
            TransportErrorKind::ChunkedEncodingError => "ChunkedEncodingError",
            TransportErrorKind::SslError => "SSLError",
            TransportErrorKind::TooManyRedirects => "TooManyRedirects",
            TransportErrorKind::ContentDecodingError => "ContentDecodingError",
            TransportErrorKind::Other(name) => name,
        }
    }
}

/// A request that got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// Its class.
    pub kind: TransportErrorKind,
    /// `str()` of the exception.
    pub message: String,
}

/// `DEFAULT_ERROR_MAPPING[status]`.
pub fn default_for_status(status: u16) -> Option<Resolution> {
    use FailureType::{ConfigError, SystemError, TransientError};
    use ResponseAction::{Fail, RateLimited, Retry};
    let (action, failure, message) = match status {
        400 => (
            Fail,
            SystemError,
            "HTTP Status Code: 400. Error: Bad request. Please check your request parameters.",
        ),
        401 => (
            Fail,
            ConfigError,
            "HTTP Status Code: 401. Error: Unauthorized. Please ensure you are authenticated correctly.",
        ),
        403 => (
            Fail,
            ConfigError,
            "HTTP Status Code: 403. Error: Forbidden. You don't have permission to access this resource.",
        ),
        404 => (
            Fail,
            SystemError,
            "HTTP Status Code: 404. Error: Not found. The requested resource was not found on the server.",
        ),
        405 => (
            Fail,
            SystemError,
            "HTTP Status Code: 405. Error: Method not allowed. Please check your request method.",
        ),
        408 => (
            Retry,
            TransientError,
            "HTTP Status Code: 408. Error: Request timeout.",
        ),
        429 => (
            RateLimited,
            TransientError,
            "HTTP Status Code: 429. Error: Too many requests.",
        ),
        500 => (
            Retry,
            TransientError,
            "HTTP Status Code: 500. Error: Internal server error.",
        ),
        502 => (
            Retry,
            TransientError,
            "HTTP Status Code: 502. Error: Bad gateway.",
        ),
        503 => (
            Retry,
            TransientError,
            "HTTP Status Code: 503. Error: Service unavailable.",
        ),
        504 => (
            Retry,
            TransientError,
            "HTTP Status Code: 504. Error: Gateway timeout.",
        ),
        _ => return None,
    };
    Some(Resolution::new(action, failure, message))
}

/// `DEFAULT_ERROR_MAPPING[type(exception)]` (the exact class).
pub fn default_for_transport(kind: &TransportErrorKind) -> Option<Resolution> {
    use FailureType::{ConfigError, TransientError};
    use ResponseAction::{Fail, Retry};
    Some(match kind {
        TransportErrorKind::InvalidSchema => Resolution::new(
            Fail,
            ConfigError,
            "Invalid Protocol Schema: The endpoint that data is being requested from is using an invalid or insecure. Exception: requests.exceptions.InvalidSchema",
        ),
        TransportErrorKind::InvalidUrl => Resolution::new(
            Retry,
            TransientError,
            "Invalid URL specified or DNS error occurred: The endpoint that data is being requested from is not a valid URL. Exception: requests.exceptions.InvalidURL",
        ),
        TransportErrorKind::RequestException => Resolution::new(
            Retry,
            TransientError,
            "An exception occurred when making the request. Exception: requests.exceptions.RequestException",
        ),
        _ => return None,
    })
}

/// `requests`' `HTTPError` text for a 4xx / 5xx response.
pub fn http_error_text(status: u16, reason: &str, url: &str) -> Option<String> {
    let kind = match status {
        400..=499 => "Client",
        500..=599 => "Server",
        _ => return None,
    };
    Some(format!("{status} {kind} Error: {reason} for url: {url}"))
}

/// `create_fallback_error_resolution` for a response: RETRY, system_error.
pub fn fallback_for_response(status: u16, reason: &str, url: &str, text: &str) -> Resolution {
    let message = match http_error_text(status, reason, url) {
        Some(error) => format!("Response was not ok: `{error}`. Response content is: {text}"),
        None => format!("Unexpected response with HTTP status {status}"),
    };
    Resolution::new(ResponseAction::Retry, FailureType::SystemError, &message)
}

/// `create_fallback_error_resolution` for a transport error.
pub fn fallback_for_transport(error: &TransportError) -> Resolution {
    Resolution::new(
        ResponseAction::Retry,
        FailureType::SystemError,
        &format!("{}: {}", error.kind.class_name(), error.message),
    )
}
