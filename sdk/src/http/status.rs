//! The status → action table: what the client does with each HTTP status
//! and with a transport error, as data.

use std::ops::RangeInclusive;

use airbyte_protocol::FailureType;

/// What the client does with a response (or a transport error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Hand the response to the caller.
    Success,
    /// Wait (backoff or `Retry-After`) and send the request again.
    Retry,
    /// Stop with an error of the resolution's failure type.
    Fail,
    /// Hand the response to the caller marked as ignored (no records).
    Ignore,
    /// Like [`Action::Retry`], and when the retries run out the error says
    /// the API's rate limit was exceeded.
    RateLimited,
}

impl Action {
    /// Whether the request is sent again.
    pub fn retries(self) -> bool {
        matches!(self, Action::Retry | Action::RateLimited)
    }
}

/// One row of the table: an action, the failure type of the error it may
/// end in, and the message the user sees (the CDK's `ErrorResolution`).
///
/// ```
/// use airbyte_sdk::http::{Action, Resolution};
/// use airbyte_sdk::protocol::FailureType;
///
/// let r = Resolution::fail(FailureType::ConfigError).with_message("Check the API key.");
/// assert_eq!(r.action, Action::Fail);
/// assert_eq!(r.message.as_deref(), Some("Check the API key."));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// What to do.
    pub action: Action,
    /// The failure type of the error this ends in (for `Fail`, and for
    /// `Retry`/`RateLimited` once the retries run out).
    pub failure_type: Option<FailureType>,
    /// The message the user sees; `None` lets the client describe the request.
    pub message: Option<String>,
}

impl Resolution {
    fn new(action: Action, failure_type: Option<FailureType>) -> Self {
        Resolution {
            action,
            failure_type,
            message: None,
        }
    }

    /// Hand the response to the caller.
    pub fn success() -> Self {
        Self::new(Action::Success, None)
    }

    /// Hand the response to the caller, marked as ignored.
    pub fn ignore() -> Self {
        Self::new(Action::Ignore, None)
    }

    /// Retry; when the retries run out, an error of `failure_type`.
    pub fn retry(failure_type: FailureType) -> Self {
        Self::new(Action::Retry, Some(failure_type))
    }

    /// Retry as a rate limit (a transient error when the retries run out).
    pub fn rate_limited() -> Self {
        Self::new(Action::RateLimited, Some(FailureType::TransientError))
    }

    /// Fail with an error of `failure_type`.
    pub fn fail(failure_type: FailureType) -> Self {
        Self::new(Action::Fail, Some(failure_type))
    }

    /// Sets the user-facing message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

/// Which statuses a rule covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Statuses {
    One(u16),
    Range(RangeInclusive<u16>),
}

impl Statuses {
    fn contains(&self, status: u16) -> bool {
        match self {
            Statuses::One(s) => *s == status,
            Statuses::Range(r) => r.contains(&status),
        }
    }
}

/// The table: rules from statuses (one or a range) to a [`Resolution`],
/// and the resolution of transport errors (timeouts, refused or reset
/// connections). The last rule that covers a status wins, so a rule the
/// caller adds overrides the defaults.
///
/// [`StatusTable::default`] is the Airbyte Python CDK's
/// `DEFAULT_ERROR_MAPPING`: below 400 success; 400, 404 and 405 fail with a
/// system error; 401 and 403 fail with a config error; 408, 500, 502, 503
/// and 504 retry (transient); 429 is a rate limit; any other status from
/// 400 retries with a system error; transport errors retry (transient).
///
/// ```
/// use airbyte_sdk::http::{Action, Resolution, StatusTable};
/// use airbyte_sdk::protocol::FailureType;
///
/// let table = StatusTable::default()
///     .with(404, Resolution::ignore())
///     .with_range(500..=599, Resolution::fail(FailureType::SystemError));
/// assert_eq!(table.resolve(200).action, Action::Success);
/// assert_eq!(table.resolve(404).action, Action::Ignore);
/// assert_eq!(table.resolve(503).action, Action::Fail);
/// assert_eq!(table.resolve(429).action, Action::RateLimited);
/// assert_eq!(table.resolve(401).failure_type, Some(FailureType::ConfigError));
/// assert_eq!(table.resolve(418).action, Action::Retry);
/// assert_eq!(table.transport().action, Action::Retry);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusTable {
    rules: Vec<(Statuses, Resolution)>,
    transport: Resolution,
}

/// The CDK's `DEFAULT_ERROR_MAPPING`, status by status.
const DEFAULTS: &[(u16, Action, FailureType, &str)] = &[
    (
        400,
        Action::Fail,
        FailureType::SystemError,
        "Bad request. Please check your request parameters.",
    ),
    (
        401,
        Action::Fail,
        FailureType::ConfigError,
        "Unauthorized. Please ensure you are authenticated correctly.",
    ),
    (
        403,
        Action::Fail,
        FailureType::ConfigError,
        "Forbidden. You don't have permission to access this resource.",
    ),
    (
        404,
        Action::Fail,
        FailureType::SystemError,
        "Not found. The requested resource was not found on the server.",
    ),
    (
        405,
        Action::Fail,
        FailureType::SystemError,
        "Method not allowed. Please check your request method.",
    ),
    (
        408,
        Action::Retry,
        FailureType::TransientError,
        "Request timeout.",
    ),
    (
        429,
        Action::RateLimited,
        FailureType::TransientError,
        "Too many requests.",
    ),
    (
        500,
        Action::Retry,
        FailureType::TransientError,
        "Internal server error.",
    ),
    (
        502,
        Action::Retry,
        FailureType::TransientError,
        "Bad gateway.",
    ),
    (
        503,
        Action::Retry,
        FailureType::TransientError,
        "Service unavailable.",
    ),
    (
        504,
        Action::Retry,
        FailureType::TransientError,
        "Gateway timeout.",
    ),
];

impl Default for StatusTable {
    fn default() -> Self {
        let mut table = StatusTable::empty()
            .with_range(400..=u16::MAX, Resolution::retry(FailureType::SystemError))
            .with_transport(
                Resolution::retry(FailureType::TransientError)
                    .with_message("An exception occurred when making the request."),
            );
        for &(status, action, failure_type, text) in DEFAULTS {
            let message = format!("HTTP Status Code: {status}. Error: {text}");
            let resolution = Resolution::new(action, Some(failure_type)).with_message(message);
            table = table.with(status, resolution);
        }
        table
    }
}

impl StatusTable {
    /// A table with no rules: every status below 400 succeeds and every
    /// other fails with a system error; transport errors retry (transient).
    pub fn empty() -> Self {
        StatusTable {
            rules: vec![
                (
                    Statuses::Range(0..=u16::MAX),
                    Resolution::fail(FailureType::SystemError),
                ),
                (Statuses::Range(0..=399), Resolution::success()),
            ],
            transport: Resolution::retry(FailureType::TransientError),
        }
    }

    /// Adds a rule for one status (it overrides earlier rules).
    #[must_use]
    pub fn with(mut self, status: u16, resolution: Resolution) -> Self {
        self.rules.push((Statuses::One(status), resolution));
        self
    }

    /// Adds a rule for a range of statuses (it overrides earlier rules).
    #[must_use]
    pub fn with_range(mut self, statuses: RangeInclusive<u16>, resolution: Resolution) -> Self {
        self.rules.push((Statuses::Range(statuses), resolution));
        self
    }

    /// Sets what a transport error (timeout, refused or reset connection)
    /// does. There is no response to hand back, so `Success` and `Ignore`
    /// act as `Fail` there.
    #[must_use]
    pub fn with_transport(mut self, resolution: Resolution) -> Self {
        self.transport = resolution;
        self
    }

    /// The resolution of a status: the last rule that covers it.
    pub fn resolve(&self, status: u16) -> &Resolution {
        self.rules
            .iter()
            .rev()
            .find(|(statuses, _)| statuses.contains(status))
            .map(|(_, resolution)| resolution)
            // `empty()` covers every status; a table is only built from it.
            .unwrap_or(&self.transport)
    }

    /// The resolution of a transport error.
    pub fn transport(&self) -> &Resolution {
        &self.transport
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_is_the_cdk_mapping() {
        let table = StatusTable::default();
        let cases = [
            (200, Action::Success, None),
            (302, Action::Success, None),
            (400, Action::Fail, Some(FailureType::SystemError)),
            (401, Action::Fail, Some(FailureType::ConfigError)),
            (403, Action::Fail, Some(FailureType::ConfigError)),
            (404, Action::Fail, Some(FailureType::SystemError)),
            (405, Action::Fail, Some(FailureType::SystemError)),
            (408, Action::Retry, Some(FailureType::TransientError)),
            (429, Action::RateLimited, Some(FailureType::TransientError)),
            (500, Action::Retry, Some(FailureType::TransientError)),
            (504, Action::Retry, Some(FailureType::TransientError)),
            (418, Action::Retry, Some(FailureType::SystemError)),
            (501, Action::Retry, Some(FailureType::SystemError)),
        ];
        for (status, action, failure) in cases {
            let r = table.resolve(status);
            assert_eq!((r.action, r.failure_type), (action, failure), "{status}");
        }
        assert_eq!(
            table.resolve(404).message.as_deref(),
            Some(
                "HTTP Status Code: 404. Error: Not found. The requested resource was not found on the server."
            )
        );
    }

    #[test]
    fn last_rule_wins() {
        let table = StatusTable::default()
            .with(503, Resolution::ignore())
            .with_range(500..=599, Resolution::fail(FailureType::SystemError));
        assert_eq!(table.resolve(503).action, Action::Fail);
        let table = StatusTable::empty().with(700, Resolution::success());
        assert_eq!(table.resolve(700).action, Action::Success);
        assert_eq!(table.resolve(600).action, Action::Fail);
    }
}
