//! How long to wait before a retry, and how many retries: exponential or
//! constant backoff, `Retry-After` honoured, capped waits and a time budget.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// What a wait is computed from: the retry's number and what the server said.
#[derive(Debug, Clone, Copy)]
pub struct RetryContext<'a> {
    /// The retry about to be made: 1 for the first.
    pub retry: u32,
    /// The status of the response retried, if there was one.
    pub status: Option<u16>,
    /// The headers of the response retried, if there was one.
    pub headers: Option<&'a HeaderMap>,
}

/// A wait computed by the caller from the response (for example from an
/// API's own rate-limit header); `None` falls back to the default
/// exponential backoff.
pub type WaitFn = Arc<dyn Fn(&RetryContext<'_>) -> Option<Duration> + Send + Sync>;

/// The backoff between attempts.
///
/// ```
/// use std::time::Duration;
/// use airbyte_sdk::http::Backoff;
///
/// let waits: Vec<u64> = (1..=5).map(|n| Backoff::default().base_wait(n).as_secs()).collect();
/// assert_eq!(waits, [1, 2, 4, 8, 16]);
/// assert_eq!(Backoff::Constant(Duration::from_millis(5)).base_wait(3), Duration::from_millis(5));
/// ```
#[derive(Clone)]
pub enum Backoff {
    /// `base × factor^(n-1)` before retry `n` (the CDK's: 1, 2, 4, 8, 16 s).
    Exponential {
        /// The first wait.
        base: Duration,
        /// The growth of each next wait.
        factor: f64,
    },
    /// The same wait before every retry.
    Constant(Duration),
    /// A wait the caller computes; `None` waits as the default exponential backoff.
    Custom(WaitFn),
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::Exponential {
            base: Duration::from_secs(1),
            factor: 2.0,
        }
    }
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backoff::Exponential { base, factor } => f
                .debug_struct("Exponential")
                .field("base", base)
                .field("factor", factor)
                .finish(),
            Backoff::Constant(wait) => f.debug_tuple("Constant").field(wait).finish(),
            Backoff::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl Backoff {
    /// The wait before retry `retry` (1 for the first), before any
    /// `Retry-After`, cap or time scale.
    pub fn base_wait(&self, retry: u32) -> Duration {
        match self {
            Backoff::Exponential { base, factor } => {
                let exponent = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
                seconds(base.as_secs_f64() * factor.powi(exponent))
            }
            Backoff::Constant(wait) => *wait,
            Backoff::Custom(_) => Backoff::default().base_wait(retry),
        }
    }

    fn wait(&self, context: &RetryContext<'_>) -> Duration {
        match self {
            Backoff::Custom(f) => f(context).unwrap_or_else(|| self.base_wait(context.retry)),
            _ => self.base_wait(context.retry),
        }
    }
}

/// A duration from seconds, saturating (never a panic on huge or odd values).
fn seconds(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

/// How often and how long a request is retried.
///
/// The default is the CDK's: at most 5 retries, waits of 1, 2, 4, 8 and
/// 16 s, at most 600 s in all; a `Retry-After` header (seconds or an HTTP
/// date) sets the wait instead, capped at `max_wait`.
///
/// ```
/// use std::time::Duration;
/// use airbyte_sdk::http::{Backoff, RetryPolicy};
///
/// // Tests run the same schedule a thousand times faster.
/// let fast = RetryPolicy { time_scale: 0.001, ..RetryPolicy::default() };
/// assert_eq!(fast.scaled(Duration::from_secs(2)), Duration::from_millis(2));
/// let constant = RetryPolicy { backoff: Backoff::Constant(Duration::from_millis(10)), max_retries: 2, ..RetryPolicy::default() };
/// assert_eq!(constant.max_retries, 2);
/// ```
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The most time from the first attempt to the last retry: a retry
    /// whose wait would end later is not made.
    pub max_time: Duration,
    /// The wait between attempts.
    pub backoff: Backoff,
    /// The longest single wait, whatever the backoff or `Retry-After` says.
    pub max_wait: Duration,
    /// Whether a `Retry-After` header sets the wait.
    pub honour_retry_after: bool,
    /// Every wait and `max_time` are multiplied by this (1.0 in
    /// production; tests make it small so they do not sleep for seconds).
    pub time_scale: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            max_time: Duration::from_secs(600),
            backoff: Backoff::default(),
            max_wait: Duration::from_secs(600),
            honour_retry_after: true,
            time_scale: 1.0,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The wait before a retry, unscaled: `Retry-After` if honoured and
    /// present, else the backoff; at most `max_wait`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use airbyte_sdk::http::{RetryContext, RetryPolicy};
    /// use airbyte_sdk::http::reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
    /// let policy = RetryPolicy::default();
    /// let ctx = RetryContext { retry: 1, status: Some(429), headers: Some(&headers) };
    /// assert_eq!(policy.wait(&ctx), Duration::from_secs(7));
    /// let capped = RetryPolicy { max_wait: Duration::from_secs(3), ..RetryPolicy::default() };
    /// assert_eq!(capped.wait(&ctx), Duration::from_secs(3));
    /// let ctx = RetryContext { retry: 3, status: Some(500), headers: None };
    /// assert_eq!(policy.wait(&ctx), Duration::from_secs(4));
    /// ```
    pub fn wait(&self, context: &RetryContext<'_>) -> Duration {
        let retry_after = match (self.honour_retry_after, context.headers) {
            (true, Some(headers)) => retry_after(headers, SystemTime::now()),
            _ => None,
        };
        retry_after
            .unwrap_or_else(|| self.backoff.wait(context))
            .min(self.max_wait)
    }

    /// `duration` times the time scale.
    pub fn scaled(&self, duration: Duration) -> Duration {
        seconds(duration.as_secs_f64() * self.time_scale)
    }
}

/// The wait a `Retry-After` header asks for, if it has a valid one.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// Parses a `Retry-After` value: delay seconds (`120`, fractions accepted)
/// or an HTTP date (a date in the past is no wait).
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use airbyte_sdk::http::parse_retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_767); // Sun, 06 Nov 1994 08:49:27 GMT
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::from_secs(10)));
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
/// assert_eq!(parse_retry_after("soon", now), None);
/// assert_eq!(parse_retry_after("-3", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !value.is_empty() {
        let secs: f64 = value.parse().ok()?;
        return Some(seconds(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_exponents_saturate() {
        let wait = Backoff::default().base_wait(u32::MAX);
        assert_eq!(wait, Duration::MAX);
        let policy = RetryPolicy::default();
        let ctx = RetryContext {
            retry: 200,
            status: None,
            headers: None,
        };
        assert_eq!(policy.wait(&ctx), Duration::from_secs(600));
    }

    #[test]
    fn custom_falls_back_to_exponential() {
        let backoff = Backoff::Custom(Arc::new(|ctx: &RetryContext<'_>| {
            (ctx.status == Some(503)).then_some(Duration::from_secs(9))
        }));
        let policy = RetryPolicy {
            backoff,
            ..RetryPolicy::default()
        };
        let ctx = |status| RetryContext {
            retry: 2,
            status: Some(status),
            headers: None,
        };
        assert_eq!(policy.wait(&ctx(503)), Duration::from_secs(9));
        assert_eq!(policy.wait(&ctx(500)), Duration::from_secs(2));
    }
}
