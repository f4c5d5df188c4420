//! How many times, and after which waits, a request is sent again: the
//! three nested `backoff` decorators of the CDK's `HttpClient`, as a
//! state machine; and the errors a request ends with.
//!
//! `HttpClient` wraps its send in three retry loops, outermost first:
//!
//! - **default** (`DefaultBackoffException`: a retryable resolution with
//!   no user-defined wait): waits 1, 2, 4, 8, 16… s, at most `max_tries`
//!   tries and `max_time` (600 s) — a wait is cut so the total stays
//!   within it;
//! - **rate limit** (`RateLimitBackoffException`: `RATE_LIMITED` with no
//!   user-defined wait): waits 1, 2, 4… s, at most `max_tries` tries;
//! - **user-defined** (`UserDefinedBackoffException`: a strategy gave a
//!   wait): waits that wait **+ 1 s**, at most `max_tries` tries and
//!   `max_time`.
//!
//! `max_tries` is `max_retries + 1`. Each loop counts its own tries, and
//! an inner loop starts afresh each time an outer one retries, so a
//! request whose kind of failure alternates can be sent more than
//! `max_tries` times, as in Python.

use airbyte_sdk::protocol::FailureType;

use super::resolution::{Resolution, ResponseAction};
use crate::error::Error;
use crate::interpolation::float_repr;

/// What to do after a retryable failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Retry {
    /// Send again after this many seconds.
    Wait(f64),
    /// No more tries: fail with [`exhausted_error`].
    GiveUp,
}

#[derive(Debug, Clone, Copy, Default)]
struct Loop {
    /// Tries of the current invocation (0: not invoked).
    tries: u32,
    /// When the current invocation started.
    start: f64,
    /// When its current try started (`None`: at the next send).
    top: Option<f64>,
    /// Waits taken (the exponent of the next exponential wait).
    waits: u32,
}

impl Loop {
    fn begin_try(&mut self, at: f64) {
        if self.tries == 0 {
            self.start = at;
        }
        if self.top.is_none() {
            self.top = Some(at);
            self.tries += 1;
        }
    }

    fn elapsed(&self) -> f64 {
        self.top.unwrap_or(self.start) - self.start
    }

    fn reset(&mut self) {
        *self = Loop::default();
    }
}

/// The retry state of one request (`HttpClient._send_with_retry`).
#[derive(Debug, Clone)]
pub struct Retrier {
    max_tries: u32,
    max_time: f64,
    sends: u32,
    default: Loop,
    rate_limit: Loop,
    user: Loop,
}

/// Why a try failed, as the CDK's backoff exceptions tell it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Failure {
    /// A strategy gave this wait (`UserDefinedBackoffException`).
    UserDefined(f64),
    /// `RATE_LIMITED` without a user-defined wait
    /// (`RateLimitBackoffException`).
    RateLimited,
    /// Any other retryable failure (`DefaultBackoffException`).
    Default,
}

impl Failure {
    /// The failure of a retryable resolution, given the strategies' wait
    /// ([`super::ErrorHandler::wait`]).
    pub fn of(resolution: &Resolution, wait: Option<f64>) -> Self {
        match wait {
            Some(w) if w != 0.0 => Failure::UserDefined(w),
            _ if resolution.action == ResponseAction::RateLimited => Failure::RateLimited,
            _ => Failure::Default,
        }
    }
}

impl Retrier {
    /// The state before the first send: `max_retries` from the error
    /// handler (`max(0, max_retries) + 1` tries), `max_time` in seconds
    /// (600).
    pub fn new(max_retries: i64, max_time: f64) -> Self {
        Retrier {
            max_tries: u32::try_from(max_retries.max(0))
                .unwrap_or(u32::MAX)
                .saturating_add(1),
            max_time,
            sends: 0,
            default: Loop::default(),
            rate_limit: Loop::default(),
            user: Loop::default(),
        }
    }

    /// Records a send starting at `at` (seconds on any monotonic clock);
    /// returns the request's attempt count (1 for the first send), which
    /// the backoff strategies get.
    pub fn on_send(&mut self, at: f64) -> u32 {
        self.default.begin_try(at);
        self.rate_limit.begin_try(at);
        self.user.begin_try(at);
        self.sends += 1;
        self.sends
    }

    /// How many times the request was sent.
    pub fn sends(&self) -> u32 {
        self.sends
    }

    /// After a retryable failure of the last send: wait, or give up.
    ///
    /// ```
    /// use source_http::error_handler::{Failure, Retrier, Retry};
    /// let mut retrier = Retrier::new(5, 600.0);
    /// let mut waits = Vec::new();
    /// let mut now = 0.0;
    /// loop {
    ///     retrier.on_send(now);
    ///     match retrier.after_failure(Failure::Default) {
    ///         Retry::Wait(w) => { waits.push(w); now += w; }
    ///         Retry::GiveUp => break,
    ///     }
    /// }
    /// assert_eq!(waits, [1.0, 2.0, 4.0, 8.0, 16.0]);
    /// assert_eq!(retrier.sends(), 6);
    ///
    /// let mut retrier = Retrier::new(2, 600.0);
    /// retrier.on_send(0.0);
    /// assert_eq!(retrier.after_failure(Failure::UserDefined(10.0)), Retry::Wait(11.0));
    /// ```
    pub fn after_failure(&mut self, failure: Failure) -> Retry {
        let max_tries = self.max_tries;
        let max_time = self.max_time;
        let step = match failure {
            Failure::UserDefined(wait) => {
                let l = &mut self.user;
                if l.tries >= max_tries || l.elapsed() >= max_time {
                    Retry::GiveUp
                } else {
                    l.waits += 1;
                    Retry::Wait(wait + 1.0)
                }
            }
            Failure::RateLimited => {
                self.user.reset();
                let l = &mut self.rate_limit;
                if l.tries >= max_tries {
                    Retry::GiveUp
                } else {
                    let wait = 2f64.powi(l.waits as i32);
                    l.waits += 1;
                    Retry::Wait(wait)
                }
            }
            Failure::Default => {
                self.user.reset();
                self.rate_limit.reset();
                let l = &mut self.default;
                let elapsed = l.elapsed();
                if l.tries >= max_tries || elapsed >= max_time {
                    Retry::GiveUp
                } else {
                    let wait = 2f64.powi(l.waits as i32).min(max_time - elapsed);
                    l.waits += 1;
                    Retry::Wait(wait.max(0.0))
                }
            }
        };
        // The loop that caught the failure starts a new try at the next
        // send (its inner loops, reset above, start afresh).
        match failure {
            Failure::UserDefined(_) => self.user.top = None,
            Failure::RateLimited => self.rate_limit.top = None,
            Failure::Default => self.default.top = None,
        }
        step
    }
}

/// The error a request ends with when its retries are exhausted, for its
/// last resolution and status: "API rate limit exceeded." (transient) for
/// a 429, else "Exhausted available request attempts…" with the
/// resolution's failure type.
///
/// ```
/// use source_http::error_handler::{default_for_status, exhausted_error};
/// let resolution = default_for_status(503).unwrap();
/// let error = exhausted_error(&resolution, Some(503), "https://a.io/x");
/// assert_eq!(error.to_string(), "Exhausted available request attempts. Please see logs for more details. Exception: HTTP Status Code: 503. Error: Service unavailable.");
/// ```
pub fn exhausted_error(resolution: &Resolution, status: Option<u16>, url: &str) -> Error {
    let message = backoff_message(resolution, url);
    if status == Some(429) {
        return Error::Traced {
            message: "API rate limit exceeded.".into(),
            internal_message: format!(
                "Rate limit retry budget exhausted. Last exception: {message}"
            ),
            failure_type: FailureType::TransientError,
        };
    }
    Error::Traced {
        message: format!(
            "Exhausted available request attempts. Please see logs for more details. Exception: {message}"
        ),
        internal_message: format!("Exhausted available request attempts. Exception: {message}"),
        failure_type: resolution.failure_type.unwrap_or(FailureType::SystemError),
    }
}

fn failure_name(failure_type: Option<FailureType>) -> &'static str {
    match failure_type {
        Some(FailureType::SystemError) => "FailureType.system_error",
        Some(FailureType::ConfigError) => "FailureType.config_error",
        Some(FailureType::TransientError) => "FailureType.transient_error",
        None => "None",
    }
}

/// The message of the CDK's backoff exception for a retried resolution.
fn backoff_message(resolution: &Resolution, url: &str) -> String {
    match resolution.message.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => m.to_owned(),
        None => format!(
            "Request to {url} failed with failure type {}, response action ResponseAction.{}.",
            failure_name(resolution.failure_type),
            resolution.action.name()
        ),
    }
}

/// The error of a `FAIL` resolution (`HttpClient._handle_error_resolution`):
/// the resolution's message for the user (else the internal one), and
/// `'GET' request to '<url>' failed with status code '404' and error
/// message: '<parsed>'. …` for the logs. `details` is the text after the
/// error message (`Request (body): …`), which the caller formats.
pub fn fail_error(
    resolution: &Resolution,
    method: &str,
    url: &str,
    status: Option<u16>,
    parsed_message: Option<&str>,
    details: &str,
) -> Error {
    let internal = match status {
        Some(status) => format!(
            "'{method}' request to '{url}' failed with status code '{status}' and error message: '{}'. {details}",
            parsed_message.unwrap_or("None")
        ),
        None => format!(
            "'{method}' request to '{url}' failed with exception: '{}'",
            parsed_message.unwrap_or_default()
        ),
    };
    Error::Traced {
        message: resolution
            .message
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| internal.clone()),
        internal_message: internal,
        failure_type: resolution.failure_type.unwrap_or(FailureType::SystemError),
    }
}

/// The log line of an `IGNORE`d response (its message, else the CDK's).
pub fn ignore_message(resolution: &Resolution, method: &str, url: &str, status: u16) -> String {
    resolution
        .message
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            format!(
                "Ignoring response for '{method}' request to '{url}' with response code '{status}'"
            )
        })
}

/// The CDK's log of a user-defined wait ("Retrying in 8.0 seconds").
pub fn user_wait_log(status: Option<u16>, wait_with_extra_second: f64) -> String {
    let seconds = float_repr(wait_with_extra_second);
    match status {
        Some(s) => format!(
            "UserDefinedBackoffException: Rate limit exceeded (HTTP {s}). Retrying in {seconds} seconds."
        ),
        None => format!(
            "UserDefinedBackoffException: Rate limit exceeded. Retrying in {seconds} seconds."
        ),
    }
}
