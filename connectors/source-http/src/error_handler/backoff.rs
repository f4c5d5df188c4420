//! The backoff strategies of a `DefaultErrorHandler`: how long to wait
//! before a retry, or `None` to leave it to the next strategy (or the
//! default exponential wait).
//!
//! - `ExponentialBackoffStrategy`: `factor × 2^attempt` (`factor` 5 by
//!   default, and for a falsy factor), `attempt` being the number of
//!   times the request was sent (1 on the first retry).
//! - `ConstantBackoffStrategy`: `backoff_time_in_seconds`.
//! - `WaitTimeFromHeader`: the header's value as a float; with `regex`,
//!   the text its `re.match` matches (the whole match, not a group); no
//!   number gives `None`. A wait at or above `max_waiting_time_in_seconds`
//!   stops the stream (transient_error).
//! - `WaitUntilTimeFromHeader`: the header's epoch minus now, `min_wait`
//!   as the floor (or the wait when the header has no number).
//! - `WaitTimeFromResponse`: a template over `response`, `headers` and
//!   `config`; anything but a finite, non-negative number gives `None`.
//!
//! The caller adds the CDK's extra second to a strategy's wait.

use std::sync::atomic::{AtomicU64, Ordering};

use airbyte_sdk::protocol::FailureType;
use regex::Regex;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::interpolation::{Jinja, float_repr, python_str};
use crate::requester::{
    HttpResponse, NumberOrTemplate, config_only, float_text, opt_float_or_template, opt_text,
    parameters, py_float, read_component, req_text, type_of,
};

/// A cap on the wait (`max_waiting_time_in_seconds`), as a template.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxWait(pub String);

/// A backoff strategy.
#[derive(Debug, Clone, PartialEq)]
pub enum BackoffStrategy {
    /// `ExponentialBackoffStrategy`.
    Exponential {
        /// `factor` (a template).
        factor: String,
        /// `jitter_range_in_seconds`.
        jitter: Option<f64>,
        /// `$parameters`.
        parameters: Map<String, Value>,
    },
    /// `ConstantBackoffStrategy`.
    Constant {
        /// `backoff_time_in_seconds` (a template).
        seconds: String,
        /// `jitter_range_in_seconds`.
        jitter: Option<f64>,
        /// `$parameters`.
        parameters: Map<String, Value>,
    },
    /// `WaitTimeFromHeader`.
    WaitTimeFromHeader {
        /// `header` (a template).
        header: String,
        /// `regex` (a template).
        regex: Option<String>,
        /// `max_waiting_time_in_seconds`.
        max_wait: Option<MaxWait>,
        /// `$parameters`.
        parameters: Map<String, Value>,
    },
    /// `WaitUntilTimeFromHeader`.
    WaitUntilTimeFromHeader {
        /// `header` (a template).
        header: String,
        /// `min_wait` (a template; `"None"` when absent).
        min_wait: String,
        /// `regex` (a template).
        regex: Option<String>,
        /// `max_waiting_time_in_seconds`.
        max_wait: Option<MaxWait>,
        /// `$parameters`.
        parameters: Map<String, Value>,
    },
    /// `WaitTimeFromResponse`.
    WaitTimeFromResponse {
        /// `wait_time_in_seconds` (a template).
        wait_time: String,
        /// `max_waiting_time_in_seconds`.
        max_wait: Option<MaxWait>,
        /// `$parameters`.
        parameters: Map<String, Value>,
    },
}

fn traced(message: &str, internal_message: String, failure_type: FailureType) -> Error {
    Error::Traced {
        message: message.into(),
        internal_message,
        failure_type,
    }
}

/// Python's `float(value)` of a rendered value, or its error text.
pub(crate) fn to_float(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| "not a number".into()),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => {
            py_float(s).ok_or_else(|| format!("could not convert string to float: {}", repr(s)))
        }
        other => Err(format!(
            "float() argument must be a string or a real number, not '{}'",
            crate::requester::options::py_type(other)
        )),
    }
}

fn repr(text: &str) -> String {
    let mut out = String::new();
    crate::interpolation::string_repr(text, &mut out);
    out
}

fn float_error(message: String) -> Error {
    Error::Request {
        kind: "ValueError".into(),
        message,
    }
}

/// `random.uniform(low, high)` (not seeded as Python's; jitter is random).
fn uniform(low: f64, high: f64) -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ seed;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
    low + (high - low) * unit
}

impl MaxWait {
    fn of(number: Option<NumberOrTemplate>) -> Option<MaxWait> {
        number.map(|n| MaxWait(float_text(&n)))
    }

    /// `evaluate_max_waiting_time`: the cap in seconds.
    pub fn evaluate(&self, jinja: &Jinja, config: &Value) -> Result<f64, Error> {
        let failed = |reason: String| {
            traced(
                "The connector could not determine how long it is allowed to wait for a rate limit to clear. This is a problem with the connector rather than with your configuration.",
                format!(
                    "Failed to evaluate max_waiting_time_in_seconds {}: {reason}",
                    repr(&self.0)
                ),
                FailureType::SystemError,
            )
        };
        let value = jinja
            .string(&self.0, &config_only(config, &Map::new()))
            .map_err(|e| failed(e.to_string()))?;
        let seconds = to_float(&value).map_err(failed)?;
        if !seconds.is_finite() {
            return Err(failed(format!(
                "resolved to {}, which is not a finite number",
                float_repr(seconds)
            )));
        }
        Ok(seconds)
    }
}

fn too_long(wait: f64, max: f64) -> Error {
    traced(
        "The rate limit wait time is longer than the connector is allowed to wait.",
        format!(
            "Rate limit wait time {}s is greater than or equal to the maximum of {}s this stream is allowed to wait. Stopping the stream...",
            float_repr(wait),
            float_repr(max)
        ),
        FailureType::TransientError,
    )
}

/// The names a `WaitTimeFromResponse` template may use besides globals.
const RESPONSE_CONTEXT: [&str; 4] = ["config", "headers", "parameters", "response"];

/// The CDK's Jinja globals (macros and Jinja's own).
pub(crate) const JINJA_GLOBALS: &[&str] = &[
    "now_utc",
    "today_utc",
    "today_with_timezone",
    "timestamp",
    "max",
    "min",
    "day_delta",
    "duration",
    "format_datetime",
    "str_to_datetime",
    "sanitize_url",
    "camel_case_to_snake_case",
    "generate_uuid",
    "dict",
    "lipsum",
    "cycler",
    "joiner",
    "namespace",
];

/// The names a template reads that it does not set (globals excluded),
/// or `None` when it does not parse.
pub(crate) fn template_names(template: &str) -> Option<Vec<String>> {
    let env = minijinja::Environment::new();
    let compiled = env.template_from_str(template).ok()?;
    let mut names: Vec<String> = compiled
        .undeclared_variables(false)
        .into_iter()
        .filter(|n| !JINJA_GLOBALS.contains(&n.as_str()))
        .collect();
    names.sort();
    Some(names)
}

impl BackoffStrategy {
    /// Builds one from its manifest mapping; a cap that cannot be
    /// evaluated with the config fails here, as in the CDK.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::error_handler::BackoffStrategy;
    /// use source_http::interpolation::Jinja;
    /// let jinja = Jinja::new();
    /// let strategy = BackoffStrategy::from_manifest(&json!({"type": "WaitTimeFromHeader",
    ///     "header": "Retry-After", "max_waiting_time_in_seconds": "{{ config.cap }}"}), &jinja, &json!({"cap": 60})).unwrap();
    /// assert!(matches!(strategy, BackoffStrategy::WaitTimeFromHeader { .. }));
    /// assert!(BackoffStrategy::from_manifest(&json!({"type": "WaitTimeFromHeader",
    ///     "header": "Retry-After", "max_waiting_time_in_seconds": "{{ config.cap }}"}), &jinja, &json!({})).is_err());
    /// ```
    pub fn from_manifest(value: &Value, jinja: &Jinja, config: &Value) -> Result<Self, Error> {
        let map = read_component(
            value,
            &[
                "ExponentialBackoffStrategy",
                "ConstantBackoffStrategy",
                "WaitTimeFromHeader",
                "WaitUntilTimeFromHeader",
                "WaitTimeFromResponse",
            ],
            "a backoff strategy",
        )?;
        let parameters = parameters(map);
        let jitter = || -> Result<Option<f64>, Error> {
            let jitter = match opt_float_or_template(map, "jitter_range_in_seconds")? {
                None => None,
                Some(NumberOrTemplate::Float(f)) => Some(f),
                Some(NumberOrTemplate::Int(i)) => Some(i as f64),
                Some(NumberOrTemplate::Template(t)) => {
                    return Err(Error::Manifest(format!(
                        "{}.jitter_range_in_seconds must be a number, not {t:?}",
                        type_of(map)
                    )));
                }
            };
            if jitter.is_some_and(|j| j < 0.0) {
                return Err(Error::Manifest(
                    "jitter_range_in_seconds must be greater than or equal to 0".into(),
                ));
            }
            Ok(jitter)
        };
        let max_wait = MaxWait::of(opt_float_or_template(map, "max_waiting_time_in_seconds")?);
        if let Some(max) = &max_wait {
            max.evaluate(jinja, config)?;
        }
        Ok(match type_of(map) {
            "ExponentialBackoffStrategy" => {
                let factor = opt_float_or_template(map, "factor")?
                    .filter(|f| match f {
                        NumberOrTemplate::Float(x) => *x != 0.0,
                        NumberOrTemplate::Int(x) => *x != 0,
                        NumberOrTemplate::Template(t) => !t.is_empty(),
                    })
                    .unwrap_or(NumberOrTemplate::Float(5.0));
                BackoffStrategy::Exponential {
                    factor: float_text(&factor),
                    jitter: jitter()?,
                    parameters,
                }
            }
            "ConstantBackoffStrategy" => {
                let seconds = opt_float_or_template(map, "backoff_time_in_seconds")?
                    .ok_or_else(|| {
                        Error::Manifest(
                            "ConstantBackoffStrategy has no `backoff_time_in_seconds`, which it requires"
                                .into(),
                        )
                    })?;
                BackoffStrategy::Constant {
                    seconds: float_text(&seconds),
                    jitter: jitter()?,
                    parameters,
                }
            }
            "WaitTimeFromHeader" => BackoffStrategy::WaitTimeFromHeader {
                header: req_text(map, "header")?,
                regex: opt_text(map, "regex")?.filter(|r| !r.is_empty()),
                max_wait,
                parameters,
            },
            "WaitUntilTimeFromHeader" => BackoffStrategy::WaitUntilTimeFromHeader {
                header: req_text(map, "header")?,
                min_wait: opt_float_or_template(map, "min_wait")?
                    .map_or_else(|| "None".to_owned(), |m| float_text(&m)),
                regex: opt_text(map, "regex")?.filter(|r| !r.is_empty()),
                max_wait,
                parameters,
            },
            _ => {
                let wait_time = req_text(map, "wait_time_in_seconds")?;
                let names = template_names(&wait_time).unwrap_or_default();
                let undeclared: Vec<&String> = names
                    .iter()
                    .filter(|n| !RESPONSE_CONTEXT.contains(&n.as_str()))
                    .collect();
                if !undeclared.is_empty() {
                    let list = |names: &[&str]| {
                        format!(
                            "[{}]",
                            names.iter().map(|n| repr(n)).collect::<Vec<_>>().join(", ")
                        )
                    };
                    let undeclared: Vec<&str> = undeclared.iter().map(|s| s.as_str()).collect();
                    return Err(traced(
                        "The connector's rate limit wait time expression is invalid. This is a problem with the connector rather than with your configuration.",
                        format!(
                            "WaitTimeFromResponse `wait_time_in_seconds` {} uses undeclared variables {}; only {} are available.",
                            repr(&wait_time),
                            list(&undeclared),
                            list(&RESPONSE_CONTEXT)
                        ),
                        FailureType::SystemError,
                    ));
                }
                BackoffStrategy::WaitTimeFromResponse {
                    wait_time,
                    max_wait,
                    parameters,
                }
            }
        })
    }

    /// `backoff_time(response_or_exception, attempt_count)`: the wait in
    /// seconds (before the CDK's extra second), or `None`. `response` is
    /// `None` for a transport error; `attempt` is the number of times the
    /// request was sent; `now` is the Unix time in seconds.
    pub fn backoff_time(
        &self,
        response: Option<&HttpResponse<'_>>,
        attempt: u32,
        jinja: &Jinja,
        config: &Value,
        now: f64,
    ) -> Result<Option<f64>, Error> {
        let render = |template: &str, parameters: &Map<String, Value>| {
            jinja.string(template, &config_only(config, parameters))
        };
        let number = |template: &str, parameters: &Map<String, Value>| -> Result<f64, Error> {
            to_float(&render(template, parameters)?).map_err(float_error)
        };
        match self {
            BackoffStrategy::Exponential {
                factor,
                jitter,
                parameters,
            } => {
                let wait = number(factor, parameters)? * 2f64.powi(attempt as i32);
                Ok(Some(jittered(wait, *jitter)))
            }
            BackoffStrategy::Constant {
                seconds,
                jitter,
                parameters,
            } => Ok(Some(jittered(number(seconds, parameters)?, *jitter))),
            BackoffStrategy::WaitTimeFromHeader {
                header,
                regex,
                max_wait,
                parameters,
            } => {
                let name = python_str(&render(header, parameters)?);
                let regex = compile(
                    regex
                        .as_deref()
                        .map(|r| render(r, parameters))
                        .transpose()?,
                )?;
                let Some(response) = response else {
                    return Ok(None);
                };
                let value = header_number(response, &name, regex.as_ref());
                if let Some(max) = max_wait {
                    let max = max.evaluate(jinja, config)?;
                    if let Some(v) = value.filter(|v| *v != 0.0)
                        && v >= max
                    {
                        return Err(too_long(v, max));
                    }
                }
                Ok(value)
            }
            BackoffStrategy::WaitUntilTimeFromHeader {
                header,
                min_wait,
                regex,
                max_wait,
                parameters,
            } => {
                let name = python_str(&render(header, parameters)?);
                let regex = compile(
                    regex
                        .as_deref()
                        .map(|r| render(r, parameters))
                        .transpose()?,
                )?;
                let until = response.and_then(|r| header_number(r, &name, regex.as_ref()));
                let min_wait = render(min_wait, parameters)?;
                let capped = |wait: f64| -> Result<Option<f64>, Error> {
                    if let Some(max) = max_wait {
                        let max = max.evaluate(jinja, config)?;
                        if wait >= max {
                            return Err(too_long(wait, max));
                        }
                    }
                    Ok(Some(wait))
                };
                let min = crate::interpolation::truthy(&min_wait)
                    .then(|| to_float(&min_wait).map_err(float_error))
                    .transpose()?;
                match until.filter(|u| *u != 0.0) {
                    None => min.map_or(Ok(None), capped),
                    Some(until) => {
                        let wait = until - now;
                        match min {
                            Some(min) => capped(wait.max(min)),
                            None if wait < 0.0 => Ok(None),
                            None => capped(wait),
                        }
                    }
                }
            }
            BackoffStrategy::WaitTimeFromResponse {
                wait_time,
                max_wait,
                parameters,
            } => {
                let Some(response) = response else {
                    return Ok(None);
                };
                let mut context = config_only(config, parameters);
                context.insert(
                    "response".into(),
                    response.json().unwrap_or_else(|| Value::Object(Map::new())),
                );
                context.insert("headers".into(), Value::Object(response.headers_map()));
                let evaluated = match jinja.eval(wait_time, &context, Some(wait_time)) {
                    Ok(Value::String(s)) if s == *wait_time => return Ok(None),
                    Ok(v) => v,
                    Err(_) => return Ok(None),
                };
                let wait = match &evaluated {
                    Value::Null => return Ok(None),
                    Value::String(s) if s.trim().is_empty() => return Ok(None),
                    other => match to_float(other) {
                        Ok(w) => w,
                        Err(_) => return Ok(None),
                    },
                };
                if !wait.is_finite() || wait < 0.0 {
                    return Ok(None);
                }
                if let Some(max) = max_wait {
                    let max = max.evaluate(jinja, config)?;
                    if wait != 0.0 && wait >= max {
                        return Err(too_long(wait, max));
                    }
                }
                Ok(Some(wait))
            }
        }
    }
}

fn jittered(wait: f64, jitter: Option<f64>) -> f64 {
    match jitter {
        None => wait,
        Some(j) => uniform(wait, wait + j * 2.0),
    }
}

/// The rendered `regex`, compiled to match at the start (`re.match`).
fn compile(rendered: Option<Value>) -> Result<Option<Regex>, Error> {
    let Some(rendered) = rendered else {
        return Ok(None);
    };
    let pattern = python_str(&rendered);
    Regex::new(&format!("^(?:{pattern})"))
        .map(Some)
        .map_err(|e| Error::Request {
            kind: "error".into(),
            message: format!("the regex {pattern:?} is not supported: {e}"),
        })
}

/// `get_numeric_value_from_header`: the header's value (or the text the
/// regex matches at its start) as a float.
fn header_number(response: &HttpResponse<'_>, name: &str, regex: Option<&Regex>) -> Option<f64> {
    let value = response.header(name).filter(|v| !v.is_empty())?;
    let text = match regex.and_then(|re| re.find(&value)) {
        Some(m) => m.as_str().to_owned(),
        None => value,
    };
    py_float(&text)
}
