//! Error handling compared with airbyte-cdk (the `cdk` test venv): the
//! factory's `DefaultErrorHandler` / `CompositeErrorHandler` resolve the
//! same responses and transport errors to the same action, failure type
//! and message, with the same retry count and user-defined wait; and
//! `HttpClient.send_request`, answered by a scripted session on a fake
//! clock, sends as many times, sleeps as long and ends with the same
//! status or error as our [`Retrier`] loop.

mod against_python;
mod common;

use serde_json::{Value, json};
use source_http::Error;
use source_http::error_handler::{
    ErrorHandler, Failure, MAX_TIME_SECONDS, Outcome, Resolution, ResponseAction, Retrier, Retry,
    TransportError, TransportErrorKind, exhausted_error, fail_error,
};
use source_http::interpolation::Jinja;
use source_http::requester::HttpResponse;

/// The `time.time()` of the Python side.
const NOW: f64 = 1_700_000_000.0;

fn failure_name(f: Option<airbyte_sdk::protocol::FailureType>) -> Value {
    use airbyte_sdk::protocol::FailureType::*;
    match f {
        Some(SystemError) => json!("system_error"),
        Some(ConfigError) => json!("config_error"),
        Some(TransientError) => json!("transient_error"),
        None => Value::Null,
    }
}

fn error(e: Error) -> Value {
    against_python::error_answer(e)
}

fn kind(name: &str) -> TransportErrorKind {
    match name {
        "InvalidSchema" => TransportErrorKind::InvalidSchema,
        "InvalidURL" => TransportErrorKind::InvalidUrl,
        "RequestException" => TransportErrorKind::RequestException,
        "ConnectionError" => TransportErrorKind::ConnectionError,
        "ConnectTimeout" => TransportErrorKind::ConnectTimeout,
        "ReadTimeout" => TransportErrorKind::ReadTimeout,
        "ChunkedEncodingError" => TransportErrorKind::ChunkedEncodingError,
        "SSLError" => TransportErrorKind::SslError,
        "TooManyRedirects" => TransportErrorKind::TooManyRedirects,
        other => TransportErrorKind::Other(other.into()),
    }
}

/// An outcome's owned parts.
struct Owned {
    status: u16,
    reason: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    transport: Option<TransportError>,
}

impl Owned {
    fn of(o: &Value) -> Self {
        let transport = o.get("exception").map(|e| TransportError {
            kind: kind(e.as_str().unwrap_or_default()),
            message: o["message"].as_str().unwrap_or_default().into(),
        });
        Owned {
            status: o["status"].as_u64().unwrap_or(0) as u16,
            reason: o["reason"].as_str().unwrap_or_default().into(),
            url: o["url"].as_str().unwrap_or("https://api.io/x").into(),
            headers: serde_json::from_value(o["headers"].clone()).unwrap_or_default(),
            body: o["body"].as_str().unwrap_or_default().as_bytes().to_vec(),
            transport,
        }
    }

    fn response(&self) -> HttpResponse<'_> {
        HttpResponse {
            status: self.status,
            reason: &self.reason,
            url: &self.url,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

fn resolve(q: &Value, jinja: &Jinja) -> Result<Value, Error> {
    let config = &q["config"];
    let handler = ErrorHandler::from_manifest(&q["handler"], jinja, config)?;
    let owned = Owned::of(&q["outcome"]);
    let response = owned.response();
    let outcome = match &owned.transport {
        Some(t) => Outcome::Transport(t),
        None => Outcome::Response(&response),
    };
    let resolution = handler.resolve(outcome, jinja, config)?;
    let attempt = q["attempt"].as_u64().unwrap_or(1) as u32;
    let wait = handler.wait(outcome, attempt, jinja, config, NOW)?;
    Ok(json!({
        "action": resolution.action.name(),
        "failure_type": failure_name(resolution.failure_type),
        "message": resolution.message,
        "max_retries": handler.max_retries(),
        "wait": wait,
    }))
}

/// Our read loop around one request: resolve, wait, retry or end.
fn retry(q: &Value, jinja: &Jinja) -> Result<Value, Error> {
    let config = &q["config"];
    let handler = ErrorHandler::from_manifest(&q["handler"], jinja, config)?;
    let outcomes: Vec<Owned> = q["outcomes"]
        .as_array()
        .map(|a| a.iter().map(Owned::of).collect())
        .unwrap_or_default();
    let mut retrier = Retrier::new(handler.max_retries(), MAX_TIME_SECONDS);
    let (mut now, mut sleeps, mut sends) = (0.0, Vec::new(), 0usize);
    let ended = |sends: usize, sleeps: &[f64], end: Value| {
        let mut out = json!({"sends": sends, "sleeps": sleeps});
        if let (Some(out), Some(end)) = (out.as_object_mut(), end.as_object()) {
            out.extend(end.clone());
        }
        out
    };
    loop {
        let attempt = retrier.on_send(now);
        let owned = &outcomes[sends.min(outcomes.len() - 1)];
        sends += 1;
        let response = owned.response();
        let outcome = match &owned.transport {
            Some(t) => Outcome::Transport(t),
            None => Outcome::Response(&response),
        };
        let resolution: Resolution = handler.resolve(outcome, jinja, config)?;
        let status = owned.transport.is_none().then_some(owned.status);
        if resolution.action == ResponseAction::Fail {
            let parsed = match &owned.transport {
                Some(t) => Some(t.message.clone()),
                None => source_http::error_handler::parse_error_message(&response),
            };
            let e = fail_error(
                &resolution,
                "GET",
                "https://api.io/x",
                status,
                parsed.as_deref(),
                "",
            );
            return Ok(ended(sends, &sleeps, error(e)));
        }
        if !resolution.action.retries() {
            return Ok(ended(sends, &sleeps, json!({ "status": owned.status })));
        }
        let wait = match handler.wait(outcome, attempt, jinja, config, NOW) {
            Ok(w) => w,
            Err(e) => return Ok(ended(sends, &sleeps, error(e))),
        };
        match retrier.after_failure(Failure::of(&resolution, wait)) {
            Retry::Wait(w) => {
                if w != 0.0 {
                    sleeps.push(w);
                    now += w;
                }
            }
            Retry::GiveUp => {
                let e = exhausted_error(&resolution, status, "https://api.io/x");
                return Ok(ended(sends, &sleeps, error(e)));
            }
        }
    }
}

/// JSON numbers compared as numbers (Python sleeps `1` where we sleep `1.0`).
fn numeric(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64()),
        Value::Array(items) => Value::Array(items.iter().map(numeric).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), numeric(v))).collect()),
        other => other.clone(),
    }
}

/// Python's numbers as ours (a sleep of `1` is `1.0`); a message the CDK
/// rendered to a number (`{{ 404 }}`) as text, the only way it is used.
fn normalise(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("message").filter(|m| m.is_number()) {
        *m = Value::String(m.to_string());
    }
    numeric(&v)
}

fn compare(queries: &[Value], ours: impl Fn(&Value) -> Value) -> Vec<Value> {
    against_python::compare("resolve.py", queries, ours, normalise)
}

fn default(fields: Value) -> Value {
    let mut h = json!({"type": "DefaultErrorHandler"});
    if let (Some(h), Some(f)) = (h.as_object_mut(), fields.as_object()) {
        h.extend(f.clone());
    }
    h
}

fn filter(fields: Value) -> Value {
    let mut f = json!({"type": "HttpResponseFilter"});
    if let (Some(f), Some(x)) = (f.as_object_mut(), fields.as_object()) {
        f.extend(x.clone());
    }
    f
}

fn handlers() -> Vec<Value> {
    vec![
        default(json!({})),
        default(json!({"response_filters": [
            filter(json!({"action": "IGNORE", "http_codes": [404]})),
            filter(json!({"action": "FAIL", "http_codes": [403], "failure_type": "transient_error",
                "error_message": "Denied: {{ response.error }} {{ headers['X-Req'] }} {{ request_url }}"})),
            filter(json!({"action": "RATE_LIMITED", "predicate": "{{ 'rate' in (response.error or '') }}"})),
            filter(json!({"action": "IGNORE", "error_message_contains": "not enabled"})),
            filter(json!({"action": "RETRY", "http_codes": [200], "predicate": "{{ response.status == 'pending' }}"})),
        ]})),
        default(json!({"response_filters": [
            filter(json!({"http_codes": [404], "error_message": "no action"})),
            filter(json!({"action": "SUCCESS", "http_codes": [500]})),
            filter(json!({"action": "RESET_PAGINATION", "http_codes": [400]})),
            filter(json!({"action": "REFRESH_TOKEN_THEN_RETRY", "http_codes": [401], "failure_type": "config_error"})),
            filter(json!({"action": "FAIL", "predicate": "{{ config is none and response.fatal }}",
                "failure_type": "config_error", "error_message": "{{ config.word }}"})),
            filter(json!({"action": "FAIL", "http_codes": [422], "error_message": "{{ response.errors[0].msg }}"})),
            filter(json!({"action": "RETRY", "http_codes": [409], "error_message": "{{ 404 }}"})),
            filter(json!({"action": "FAIL", "http_codes": [410]})),
            filter(json!({"action": "IGNORE", "predicate": "{{ headers.get('X-Skip') == '1' }}"})),
        ]})),
        default(
            json!({"max_retries": "{{ config.retries }}", "backoff_strategies": [
            {"type": "WaitTimeFromHeader", "header": "Retry-After"},
            {"type": "ExponentialBackoffStrategy", "factor": "{{ config.factor }}"}]}),
        ),
        default(json!({"max_retries": 0, "backoff_strategies": [
            {"type": "WaitTimeFromHeader", "header": "{{ config.header }}", "regex": "([-+]?\\d+)"},
            {"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 7.5}]})),
        default(json!({"max_retries": -1, "backoff_strategies": [
            {"type": "WaitTimeFromHeader", "header": "Retry-After", "max_waiting_time_in_seconds": 60}]})),
        default(json!({"max_retries": "abc"})),
        default(json!({"max_retries": "{{ 2.9 }}", "backoff_strategies": [
            {"type": "WaitUntilTimeFromHeader", "header": "X-Reset", "min_wait": 5}]})),
        default(json!({"backoff_strategies": [
            {"type": "WaitUntilTimeFromHeader", "header": "X-Reset", "max_waiting_time_in_seconds": "{{ config.cap }}"},
            {"type": "ExponentialBackoffStrategy", "factor": 0}]})),
        default(json!({"backoff_strategies": [
            {"type": "WaitTimeFromResponse", "wait_time_in_seconds": "{{ response.retry_in }}"},
            {"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": "{{ config.missing }}"}]})),
        default(json!({"backoff_strategies": [
            {"type": "WaitTimeFromResponse", "wait_time_in_seconds": "{{ respnse.retry_in }}"}]})),
        default(json!({"backoff_strategies": [
            {"type": "WaitTimeFromHeader", "header": "Retry-After", "max_waiting_time_in_seconds": "{{ config.missing }}"}]})),
        default(
            json!({"backoff_strategies": [{"type": "ExponentialBackoffStrategy", "jitter_range_in_seconds": -1}]}),
        ),
        json!({"type": "CompositeErrorHandler", "error_handlers": [
            default(json!({"max_retries": 2, "response_filters": [
                filter(json!({"action": "FAIL", "http_codes": [404], "error_message": "first"})),
                filter(json!({"action": "IGNORE", "http_codes": [403]}))],
                "backoff_strategies": [{"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 3}]})),
            default(json!({"max_retries": 9, "response_filters": [
                filter(json!({"action": "RETRY", "http_codes": [404]})),
                filter(json!({"action": "FAIL", "http_codes": [500], "error_message": "second"}))],
                "backoff_strategies": [{"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 11}]}))]}),
        json!({"type": "CompositeErrorHandler", "error_handlers": [
            json!({"type": "CompositeErrorHandler", "error_handlers": [default(json!({"response_filters": [
                filter(json!({"action": "RATE_LIMITED", "http_codes": [503]}))]}))]}),
            default(json!({}))]}),
        json!({"type": "CompositeErrorHandler", "error_handlers": []}),
        json!({"type": "UnknownErrorHandler"}),
    ]
}

fn outcomes() -> Vec<Value> {
    let r = |status: u16, reason: &str, body: &str| json!({"status": status, "reason": reason, "body": body});
    let with_headers = |status: u16, headers: Value, body: &str| {
        let mut o = r(status, "", body);
        o["headers"] = headers;
        o
    };
    let mut out = vec![
        r(200, "OK", r#"{"data": []}"#),
        r(200, "OK", r#"{"status": "pending"}"#),
        r(201, "Created", ""),
        r(204, "No Content", ""),
        r(302, "Found", ""),
        r(400, "Bad Request", r#"{"message": "bad"}"#),
        r(
            400,
            "Bad Request",
            r#"{"fatal": true, "error": {"detail": [{"msg": "deep"}, 3]}}"#,
        ),
        r(401, "Unauthorized", ""),
        r(404, "Not Found", ""),
        r(405, "Method Not Allowed", "nope"),
        r(408, "Request Timeout", ""),
        r(409, "Conflict", r#"{"error": "x"}"#),
        r(410, "Gone", ""),
        r(
            422,
            "Unprocessable Entity",
            r#"{"errors": [{"msg": "first"}, {"message": "second"}]}"#,
        ),
        r(500, "Internal Server Error", "<html>oops</html>"),
        r(
            501,
            "Not Implemented",
            r#"{"message": "", "error": "", "status_message": ""}"#,
        ),
        r(502, "Bad Gateway", ""),
        r(503, "Service Unavailable", r#"[{"reason": "maintenance"}]"#),
        r(504, "Gateway Timeout", ""),
        r(599, "", ""),
        r(600, "", ""),
        r(
            403,
            "Forbidden",
            r#"{"errors": [{"message": "This API operation is not enabled"}]}"#,
        ),
        r(418, "I'm a teapot", r#"{"retry_in": "12.5"}"#),
    ];
    out.push(with_headers(
        403,
        json!([["X-Req", "r-1"]]),
        r#"{"error": "forbidden"}"#,
    ));
    out.push(with_headers(
        429,
        json!([["Retry-After", "7"]]),
        r#"{"error": "rate limited"}"#,
    ));
    out.push(with_headers(
        429,
        json!([["retry-after", "120 seconds"], ["X-Wait", "30s"]]),
        "",
    ));
    out.push(with_headers(
        429,
        json!([["Retry-After", "abc"]]),
        r#"{"retry_in": 4}"#,
    ));
    out.push(with_headers(
        429,
        json!([["X-Reset", format!("{}", NOW + 30.0)]]),
        "",
    ));
    out.push(with_headers(
        429,
        json!([["X-Reset", format!("{}", NOW - 30.0)]]),
        "",
    ));
    out.push(with_headers(
        503,
        json!([["Retry-After", "0"]]),
        r#"{"retry_in": -3}"#,
    ));
    out.push(with_headers(200, json!([["X-Skip", "1"]]), "{}"));
    for (class, message) in [
        ("ConnectionError", "Connection refused"),
        ("ReadTimeout", "Read timed out."),
        ("ConnectTimeout", "timed out"),
        (
            "InvalidSchema",
            "No connection adapters were found for 'ftp://x'",
        ),
        ("InvalidURL", "bad url"),
        ("RequestException", "generic"),
        ("ChunkedEncodingError", "broken"),
        ("SSLError", "certificate verify failed"),
        ("TooManyRedirects", "Exceeded 30 redirects."),
    ] {
        out.push(json!({"exception": class, "message": message}));
    }
    out
}

#[test]
fn resolutions_agree_with_the_cdk() {
    let config =
        json!({"retries": "3", "factor": 2, "header": "X-Wait", "cap": 10, "word": "configured"});
    let mut queries = Vec::new();
    for handler in handlers() {
        for outcome in outcomes() {
            for attempt in [1, 3] {
                queries.push(
                    json!({"kind": "resolve", "handler": handler, "config": config,
                    "outcome": outcome, "attempt": attempt}),
                );
            }
        }
    }
    let jinja = Jinja::new();
    let answers = compare(&queries, |q| resolve(q, &jinja).unwrap_or_else(error));
    for action in [
        "SUCCESS",
        "FAIL",
        "RETRY",
        "IGNORE",
        "RATE_LIMITED",
        "RESET_PAGINATION",
    ] {
        assert!(answers.iter().any(|a| a["action"] == action), "no {action}");
    }
}

#[test]
fn retries_agree_with_the_http_client() {
    let config = json!({"retries": "3", "factor": 2, "header": "X-Wait", "cap": 10});
    let s = |status: u16| json!({"status": status});
    let ra = |seconds: &str| json!({"status": 429, "headers": [["Retry-After", seconds]]});
    let conn = json!({"exception": "ConnectionError", "message": "refused"});
    let header_wait = default(
        json!({"backoff_strategies": [{"type": "WaitTimeFromHeader", "header": "Retry-After"}]}),
    );
    let cases = vec![
        (default(json!({})), vec![s(503)]),
        (default(json!({})), vec![s(429)]),
        (default(json!({})), vec![s(503), s(502), s(200)]),
        (default(json!({})), vec![s(404)]),
        (default(json!({})), vec![s(409)]),
        (default(json!({})), vec![conn.clone()]),
        (
            default(json!({})),
            vec![json!({"exception": "InvalidSchema", "message": "no adapter"})],
        ),
        (default(json!({"max_retries": 0})), vec![s(500)]),
        (default(json!({"max_retries": 20})), vec![s(500)]),
        (default(json!({"max_retries": 20})), vec![s(429)]),
        (header_wait.clone(), vec![ra("3")]),
        (header_wait.clone(), vec![ra("3"), s(503), s(429), s(200)]),
        (
            header_wait.clone(),
            vec![
                ra("1"),
                s(500),
                ra("1"),
                s(500),
                ra("1"),
                s(500),
                ra("1"),
                s(500),
                ra("1"),
                s(500),
                ra("1"),
                s(500),
                ra("1"),
                s(500),
            ],
        ),
        (
            header_wait.clone(),
            vec![
                ra("1"),
                s(429),
                ra("1"),
                s(429),
                ra("1"),
                s(429),
                ra("1"),
                s(429),
                ra("1"),
                s(429),
                ra("1"),
            ],
        ),
        (header_wait, vec![s(429), s(503), ra("2"), s(200)]),
        (
            default(
                json!({"backoff_strategies": [{"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 250}]}),
            ),
            vec![s(500)],
        ),
        (
            default(
                json!({"max_retries": 10, "backoff_strategies": [{"type": "ExponentialBackoffStrategy", "factor": 2}]}),
            ),
            vec![s(500)],
        ),
        (
            default(
                json!({"backoff_strategies": [{"type": "WaitTimeFromHeader", "header": "Retry-After", "max_waiting_time_in_seconds": 60}]}),
            ),
            vec![ra("5"), ra("120")],
        ),
        (
            default(
                json!({"response_filters": [filter(json!({"action": "IGNORE", "http_codes": [404]}))]}),
            ),
            vec![s(404)],
        ),
        (
            default(
                json!({"response_filters": [filter(json!({"action": "REFRESH_TOKEN_THEN_RETRY", "http_codes": [401]}))]}),
            ),
            vec![s(401), s(200)],
        ),
        (
            default(
                json!({"response_filters": [filter(json!({"action": "RATE_LIMITED", "http_codes": [503]}))]}),
            ),
            vec![s(503)],
        ),
        (
            default(
                json!({"response_filters": [filter(json!({"action": "RETRY", "http_codes": [429]}))]}),
            ),
            vec![s(429)],
        ),
        (
            default(
                json!({"response_filters": [filter(json!({"action": "FAIL", "http_codes": [500], "failure_type": "config_error", "error_message": "Stop: {{ response.msg }}"}))]}),
            ),
            vec![json!({"status": 500, "body": "{\"msg\": \"quota\"}"})],
        ),
        (
            json!({"type": "CompositeErrorHandler", "error_handlers": [
            default(json!({"max_retries": 2, "backoff_strategies": [{"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 3}]})),
            default(json!({"max_retries": 9, "backoff_strategies": [{"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 11}]}))]}),
            vec![s(500)],
        ),
        (
            default(json!({"max_retries": "{{ config.retries }}"})),
            vec![conn.clone(), s(503), conn],
        ),
    ];
    let queries: Vec<Value> = cases
        .into_iter()
        .map(|(handler, outcomes)| json!({"kind": "retry", "handler": handler, "config": config, "outcomes": outcomes}))
        .collect();
    let jinja = Jinja::new();
    compare(&queries, |q| retry(q, &jinja).unwrap_or_else(error));
}
