//! `DefaultErrorHandler` and `CompositeErrorHandler`: a response (or a
//! transport error) resolved to a [`Resolution`], the number of retries
//! allowed and the user-defined wait.
//!
//! `DefaultErrorHandler.interpret_response`:
//! 1. its `response_filters` in order (for 2xx responses too): the first
//!    that matches wins;
//! 2. a response that is `ok` (no 4xx / 5xx) is a success;
//! 3. `DEFAULT_ERROR_MAPPING`, else the fallback (RETRY, system_error).
//!
//! `CompositeErrorHandler`: its handlers in order; the first SUCCESS,
//! RETRY, IGNORE, RESET_PAGINATION, REDUCE_PAGE_SIZE or
//! SPLIT_REQUEST_WINDOW wins, else the last handler's resolution.
//! `max_retries` is the first handler's; the backoff strategies are all
//! of the handlers' strategies, in order.

use serde_json::Value;

use super::backoff::BackoffStrategy;
use super::filter::HttpResponseFilter;
use super::resolution::{
    Resolution, ResponseAction, TransportError, default_for_status, default_for_transport,
    fallback_for_response, fallback_for_transport,
};
use crate::error::Error;
use crate::interpolation::{Jinja, python_str};
use crate::requester::{
    HttpResponse, NumberOrTemplate, config_only, field, opt_int_or_template, parameters,
    read_component, type_of,
};

/// What a request ended with.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// A response (any status).
    Response(&'a HttpResponse<'a>),
    /// No response.
    Transport(&'a TransportError),
}

/// The default number of retries.
pub const DEFAULT_MAX_RETRIES: i64 = 5;

/// The time retries may take (`max_time`), in seconds.
pub const MAX_TIME_SECONDS: f64 = 600.0;

/// A `DefaultErrorHandler`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DefaultErrorHandler {
    /// `response_filters`.
    pub response_filters: Vec<HttpResponseFilter>,
    /// `max_retries`, evaluated with the config when built (`None`: 5; a
    /// negative count allows one try).
    pub max_retries: Option<i64>,
    /// `backoff_strategies`.
    pub backoff_strategies: Vec<BackoffStrategy>,
}

/// An error handler.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorHandler {
    /// `DefaultErrorHandler`.
    Default(DefaultErrorHandler),
    /// `CompositeErrorHandler` (never empty).
    Composite(Vec<ErrorHandler>),
}

impl Default for ErrorHandler {
    /// The requester's handler when it has none: the default mapping.
    fn default() -> Self {
        ErrorHandler::Default(DefaultErrorHandler::default())
    }
}

fn max_retries(
    map: &serde_json::Map<String, Value>,
    jinja: &Jinja,
    config: &Value,
) -> Result<Option<i64>, Error> {
    let retries = match opt_int_or_template(map, "max_retries")? {
        None => return Ok(None),
        Some(NumberOrTemplate::Int(n)) => n,
        Some(NumberOrTemplate::Float(f)) => f as i64,
        Some(NumberOrTemplate::Template(t)) => {
            let context = config_only(config, &parameters(map));
            let evaluated = jinja.eval(&t, &context, Some("5"))?;
            let n = match &evaluated {
                Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
                Value::Bool(b) => Some(i64::from(*b)),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            n.ok_or_else(|| {
                let mut text = String::new();
                match &evaluated {
                    Value::String(s) => crate::interpolation::string_repr(s, &mut text),
                    other => text = python_str(other),
                }
                Error::Manifest(format!(
                    "DefaultErrorHandler.max_retries did not evaluate to an integer (got {text})"
                ))
            })?
        }
    };
    Ok(Some(retries))
}

impl ErrorHandler {
    /// Builds one from its manifest mapping (`DefaultErrorHandler` or
    /// `CompositeErrorHandler`), evaluating what the CDK evaluates when it
    /// builds it (`max_retries`, the backoff caps).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::error_handler::ErrorHandler;
    /// use source_http::interpolation::Jinja;
    /// let handler = ErrorHandler::from_manifest(&json!({"type": "CompositeErrorHandler", "error_handlers": [
    ///     {"type": "DefaultErrorHandler", "max_retries": "{{ config.retries }}"},
    ///     {"type": "DefaultErrorHandler", "max_retries": 9}]}), &Jinja::new(), &json!({"retries": "2"})).unwrap();
    /// assert_eq!(handler.max_retries(), 2);
    /// assert!(ErrorHandler::from_manifest(&json!({"type": "CompositeErrorHandler", "error_handlers": []}),
    ///     &Jinja::new(), &json!({})).is_err());
    /// ```
    pub fn from_manifest(value: &Value, jinja: &Jinja, config: &Value) -> Result<Self, Error> {
        let map = read_component(
            value,
            &["DefaultErrorHandler", "CompositeErrorHandler"],
            "an error handler",
        )?;
        if type_of(map) == "CompositeErrorHandler" {
            let handlers = match field(map, "error_handlers") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|h| ErrorHandler::from_manifest(h, jinja, config))
                    .collect::<Result<Vec<_>, _>>()?,
                _ => {
                    return Err(Error::Manifest(
                        "CompositeErrorHandler has no `error_handlers`, which it requires".into(),
                    ));
                }
            };
            if handlers.is_empty() {
                return Err(Error::Manifest(
                    "CompositeErrorHandler expects at least 1 underlying error handler".into(),
                ));
            }
            return Ok(ErrorHandler::Composite(handlers));
        }
        let list = |key: &str| -> Vec<Value> {
            field(map, key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let backoff_strategies = list("backoff_strategies")
            .iter()
            .map(|b| BackoffStrategy::from_manifest(b, jinja, config))
            .collect::<Result<Vec<_>, _>>()?;
        let response_filters = list("response_filters")
            .iter()
            .map(HttpResponseFilter::from_manifest)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ErrorHandler::Default(DefaultErrorHandler {
            response_filters,
            max_retries: max_retries(map, jinja, config)?,
            backoff_strategies,
        }))
    }

    /// How many times a request may be retried (`HttpClient._max_retries`;
    /// a negative count is as 0).
    pub fn max_retries(&self) -> i64 {
        match self {
            ErrorHandler::Default(h) => h.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            ErrorHandler::Composite(handlers) => handlers
                .first()
                .map_or(DEFAULT_MAX_RETRIES, ErrorHandler::max_retries),
        }
    }

    /// The strategies consulted for a wait, in order.
    pub fn backoff_strategies(&self) -> Vec<&BackoffStrategy> {
        match self {
            ErrorHandler::Default(h) => h.backoff_strategies.iter().collect(),
            ErrorHandler::Composite(handlers) => handlers
                .iter()
                .flat_map(ErrorHandler::backoff_strategies)
                .collect(),
        }
    }

    /// What the outcome of a request resolves to (`interpret_response`).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::error_handler::{ErrorHandler, Outcome, ResponseAction};
    /// use source_http::interpolation::Jinja;
    /// use source_http::requester::HttpResponse;
    /// let jinja = Jinja::new();
    /// let handler = ErrorHandler::from_manifest(&json!({"type": "DefaultErrorHandler", "response_filters": [
    ///     {"type": "HttpResponseFilter", "action": "IGNORE", "error_message_contains": "not enabled"}]}),
    ///     &jinja, &json!({})).unwrap();
    /// let body = br#"{"errors": [{"message": "This API is not enabled"}]}"#;
    /// let response = HttpResponse { status: 403, reason: "Forbidden", url: "https://a.io/x", headers: &[], body };
    /// let resolution = handler.resolve(Outcome::Response(&response), &jinja, &json!({})).unwrap();
    /// assert_eq!(resolution.action, ResponseAction::Ignore);
    /// let response = HttpResponse { status: 404, reason: "Not Found", url: "https://a.io/x", headers: &[], body: b"" };
    /// let resolution = handler.resolve(Outcome::Response(&response), &jinja, &json!({})).unwrap();
    /// assert_eq!(resolution.action, ResponseAction::Fail);
    /// assert!(resolution.message.unwrap().starts_with("HTTP Status Code: 404. Error: Not found."));
    /// ```
    pub fn resolve(
        &self,
        outcome: Outcome<'_>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Resolution, Error> {
        match self {
            ErrorHandler::Default(handler) => handler.resolve(outcome, jinja, config),
            ErrorHandler::Composite(handlers) => {
                let mut last = None;
                for handler in handlers {
                    let resolution = handler.resolve(outcome, jinja, config)?;
                    if matches!(
                        resolution.action,
                        ResponseAction::Success
                            | ResponseAction::Retry
                            | ResponseAction::Ignore
                            | ResponseAction::ResetPagination
                            | ResponseAction::ReducePageSize
                            | ResponseAction::SplitRequestWindow
                    ) {
                        return Ok(resolution);
                    }
                    last = Some(resolution);
                }
                Ok(last.unwrap_or_else(|| fallback(outcome)))
            }
        }
    }

    /// The wait the backoff strategies give before retry `attempt` (the
    /// number of times the request was sent): the first non-zero one, in
    /// seconds, without the CDK's extra second; `None` leaves the wait to
    /// the default exponential backoff. A strategy may refuse to wait
    /// (transient_error).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::error_handler::{ErrorHandler, Outcome, TransportError, TransportErrorKind};
    /// use source_http::interpolation::Jinja;
    /// use source_http::requester::HttpResponse;
    /// let jinja = Jinja::new();
    /// let handler = ErrorHandler::from_manifest(&json!({"type": "DefaultErrorHandler", "backoff_strategies": [
    ///     {"type": "WaitTimeFromHeader", "header": "Retry-After"},
    ///     {"type": "ExponentialBackoffStrategy", "factor": 2}]}), &jinja, &json!({})).unwrap();
    /// let headers = vec![("retry-after".to_string(), "7".to_string())];
    /// let response = HttpResponse { status: 429, reason: "", url: "", headers: &headers, body: b"" };
    /// assert_eq!(handler.wait(Outcome::Response(&response), 1, &jinja, &json!({}), 0.0).unwrap(), Some(7.0));
    /// let error = TransportError { kind: TransportErrorKind::ReadTimeout, message: "timed out".into() };
    /// assert_eq!(handler.wait(Outcome::Transport(&error), 3, &jinja, &json!({}), 0.0).unwrap(), Some(16.0));
    /// ```
    pub fn wait(
        &self,
        outcome: Outcome<'_>,
        attempt: u32,
        jinja: &Jinja,
        config: &Value,
        now: f64,
    ) -> Result<Option<f64>, Error> {
        let response = match outcome {
            Outcome::Response(r) => Some(r),
            Outcome::Transport(_) => None,
        };
        for strategy in self.backoff_strategies() {
            if let Some(wait) = strategy.backoff_time(response, attempt, jinja, config, now)?
                && wait != 0.0
            {
                return Ok(Some(wait));
            }
        }
        Ok(None)
    }
}

fn fallback(outcome: Outcome<'_>) -> Resolution {
    match outcome {
        Outcome::Response(r) => fallback_for_response(r.status, r.reason, r.url, &r.text()),
        Outcome::Transport(e) => fallback_for_transport(e),
    }
}

impl DefaultErrorHandler {
    /// `DefaultErrorHandler.interpret_response`.
    pub fn resolve(
        &self,
        outcome: Outcome<'_>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Resolution, Error> {
        match outcome {
            Outcome::Response(response) => {
                for filter in &self.response_filters {
                    if let Some(resolution) = filter.matches(response, jinja, config)? {
                        return Ok(resolution);
                    }
                }
                if response.ok() {
                    return Ok(Resolution::success());
                }
                Ok(default_for_status(response.status).unwrap_or_else(|| fallback(outcome)))
            }
            Outcome::Transport(error) => {
                Ok(default_for_transport(&error.kind).unwrap_or_else(|| fallback(outcome)))
            }
        }
    }
}
