//! `HttpResponseFilter`: a response filter of a `DefaultErrorHandler`, and
//! the CDK's `JsonErrorMessageParser` it matches `error_message_contains`
//! against.
//!
//! - A filter matches a response (never a transport error) when its
//!   status is in `http_codes`, else when `predicate` holds (context:
//!   `response` the JSON body or `{}`, `headers`, `request_url`,
//!   `config` **None**), else when the parsed error message contains
//!   `error_message_contains`.
//! - A filter without `action` never matches.
//! - The filter's `failure_type` applies to `FAIL` only; otherwise the
//!   default mapping's failure type for the status, or system_error.
//! - The message is `error_message` rendered (context: `config`,
//!   `response`, `headers`, `request_url`), or the default mapping's.

use airbyte_sdk::protocol::FailureType;
use serde_json::{Map, Value};

use super::resolution::{Resolution, ResponseAction, default_for_status};
use crate::error::Error;
use crate::interpolation::{Jinja, python_str, truthy};
use crate::requester::{HttpResponse, field, opt_text, parameters, read_component};

/// An `HttpResponseFilter`.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponseFilter {
    /// `action` (`None`: the filter never matches).
    pub action: Option<ResponseAction>,
    /// `failure_type` (for `FAIL`).
    pub failure_type: Option<FailureType>,
    /// `http_codes`.
    pub http_codes: Vec<u16>,
    /// `error_message_contains` (empty: unused).
    pub error_message_contains: String,
    /// `predicate` (empty: unused).
    pub predicate: String,
    /// `error_message` (a template; empty: the default message).
    pub error_message: String,
    /// `$parameters`.
    pub parameters: Map<String, Value>,
}

/// A failure type by its manifest name.
pub(crate) fn parse_failure_type(name: &str) -> Option<FailureType> {
    Some(match name {
        "system_error" => FailureType::SystemError,
        "config_error" => FailureType::ConfigError,
        "transient_error" => FailureType::TransientError,
        _ => return None,
    })
}

impl HttpResponseFilter {
    /// Builds one from its manifest mapping (`type: HttpResponseFilter`).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::error_handler::{HttpResponseFilter, ResponseAction};
    /// let filter = HttpResponseFilter::from_manifest(&json!({
    ///     "type": "HttpResponseFilter", "action": "IGNORE", "http_codes": [404]})).unwrap();
    /// assert_eq!(filter.action, Some(ResponseAction::Ignore));
    /// assert!(HttpResponseFilter::from_manifest(&json!({"type": "HttpResponseFilter", "action": "SKIP"})).is_err());
    /// ```
    pub fn from_manifest(value: &Value) -> Result<Self, Error> {
        let map = read_component(value, &["HttpResponseFilter"], "a response filter")?;
        let action = match opt_text(map, "action")? {
            Some(name) => Some(ResponseAction::parse(&name).ok_or_else(|| {
                Error::Manifest(format!(
                    "HttpResponseFilter.action {name:?} is no response action"
                ))
            })?),
            None => None,
        };
        let failure_type = match opt_text(map, "failure_type")? {
            Some(name) => Some(parse_failure_type(&name).ok_or_else(|| {
                Error::Manifest(format!(
                    "HttpResponseFilter.failure_type {name:?} is not system_error, config_error or transient_error"
                ))
            })?),
            None => None,
        };
        let http_codes = match field(map, "http_codes") {
            None => Vec::new(),
            Some(Value::Array(codes)) => codes
                .iter()
                .map(|c| {
                    crate::requester::as_int(c)
                        .and_then(|n| u16::try_from(n).ok())
                        .ok_or_else(|| {
                            Error::Manifest(format!(
                                "HttpResponseFilter.http_codes must be integers, not {}",
                                python_str(c)
                            ))
                        })
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "HttpResponseFilter.http_codes must be a list, not {}",
                    python_str(other)
                )));
            }
        };
        Ok(HttpResponseFilter {
            action,
            failure_type,
            http_codes,
            error_message_contains: opt_text(map, "error_message_contains")?.unwrap_or_default(),
            predicate: opt_text(map, "predicate")?.unwrap_or_default(),
            error_message: opt_text(map, "error_message")?.unwrap_or_default(),
            parameters: parameters(map),
        })
    }

    fn context(&self, response: &HttpResponse<'_>, config: &Value) -> Map<String, Value> {
        let mut context = Map::new();
        context.insert("config".into(), config.clone());
        context.insert("parameters".into(), Value::Object(self.parameters.clone()));
        context.insert(
            "response".into(),
            response.json().unwrap_or_else(|| Value::Object(Map::new())),
        );
        context.insert("headers".into(), Value::Object(response.headers_map()));
        context.insert("request_url".into(), Value::String(response.request_url()));
        context
    }

    /// `HttpResponseFilter.matches`: the resolution when the filter
    /// matches the response.
    pub fn matches(
        &self,
        response: &HttpResponse<'_>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Option<Resolution>, Error> {
        let Some(action) = self.action else {
            return Ok(None);
        };
        let matched = self.http_codes.contains(&response.status)
            || self.predicate_holds(response, jinja)?
            || self.contains_error_message(response);
        if !matched {
            return Ok(None);
        }
        let default = default_for_status(response.status);
        let rendered = jinja.string(&self.error_message, &self.context(response, config))?;
        let message = if truthy(&rendered) {
            python_str(&rendered)
        } else {
            default
                .as_ref()
                .and_then(|d| d.message.clone())
                .unwrap_or_default()
        };
        let failure_type = match (self.failure_type, action) {
            (Some(f), ResponseAction::Fail) => f,
            _ => default
                .and_then(|d| d.failure_type)
                .unwrap_or(FailureType::SystemError),
        };
        Ok(Some(Resolution {
            action,
            failure_type: Some(failure_type),
            message: Some(message),
        }))
    }

    fn predicate_holds(&self, response: &HttpResponse<'_>, jinja: &Jinja) -> Result<bool, Error> {
        if self.predicate.is_empty() {
            return Ok(false);
        }
        jinja.boolean(&self.predicate, &self.context(response, &Value::Null))
    }

    fn contains_error_message(&self, response: &HttpResponse<'_>) -> bool {
        !self.error_message_contains.is_empty()
            && parse_error_message(response)
                .is_some_and(|m| !m.is_empty() && m.contains(&self.error_message_contains))
    }
}

/// `JsonErrorMessageParser.parse_response_error_message`: the message of
/// an error body, found under `message`, `messages`, `error`, `errors`,
/// `failures`, `failure`, `detail`, `err`, `error_message`, `msg`,
/// `reason` or `status_message` (the first truthy one), at any depth; a
/// list's messages joined with `", "`; the raw text of a body that is no
/// JSON.
///
/// ```
/// use source_http::error_handler::parse_error_message;
/// use source_http::requester::HttpResponse;
/// let body = br#"{"error": {"errors": [{"msg": "bad date"}, {"message": "too big"}, {"code": 3}]}}"#;
/// let response = HttpResponse { status: 400, reason: "", url: "", headers: &[], body };
/// assert_eq!(parse_error_message(&response).as_deref(), Some("bad date, too big"));
/// let response = HttpResponse { status: 502, reason: "", url: "", headers: &[], body: b"<html>Bad gateway</html>" };
/// assert_eq!(parse_error_message(&response).as_deref(), Some("<html>Bad gateway</html>"));
/// ```
pub fn parse_error_message(response: &HttpResponse<'_>) -> Option<String> {
    match response.json() {
        Some(body) => error_in(&body),
        None => String::from_utf8(response.body.to_vec()).ok(),
    }
}

const MESSAGE_KEYS: [&str; 12] = [
    "message",
    "messages",
    "error",
    "errors",
    "failures",
    "failure",
    "detail",
    "err",
    "error_message",
    "msg",
    "reason",
    "status_message",
];

fn error_in(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(error_in)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Value::Object(map) => {
            // `a or b or …`: the first truthy value, else the last one.
            let found = MESSAGE_KEYS
                .iter()
                .filter_map(|k| map.get(*k))
                .find(|v| truthy(v))
                .or_else(|| map.get("status_message"))?;
            error_in(found)
        }
        _ => None,
    }
}
