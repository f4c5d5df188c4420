//! Sending a built request with the SDK's HTTP client, and retrying it as
//! the manifest's error handler says (the CDK's `HttpClient.send_request`).
//!
//! The client sends each attempt once ([`HttpClient::send_once`]): within
//! its timeouts (a stalled server is a `ReadTimeout`, never a hang) and
//! its bound on requests in flight. The timeouts are the requester's
//! `connect_timeout_in_seconds` and `read_timeout_in_seconds` ([`Timeouts`]);
//! where the manifest sets none, the SDK client's (30 s to connect, 2
//! minutes between two reads), where the CDK would wait forever. The error handler resolves each answer
//! or transport failure; [`Retrier`] decides the waits.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use airbyte_sdk::http::reqwest::{Method, Url, header::HeaderName, header::HeaderValue};
use airbyte_sdk::http::{HttpClient, RetryPolicy, TransportKind};
use airbyte_sdk::protocol::FailureType;
use serde_json::Value;

use crate::auth::{Auth, RefreshAttempt};
use crate::error::Error;
use crate::error_handler::{
    ErrorHandler, Failure, MAX_TIME_SECONDS, Outcome, ResponseAction, Retrier, Retry,
    TransportError, TransportErrorKind, exhausted_error, fail_error, ignore_message,
    parse_error_message, user_wait_log,
};
use crate::interpolation::Jinja;
use crate::requester::{HttpResponse, RequestParts};

/// A response, owned.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The status code.
    pub status: u16,
    /// Its reason phrase.
    pub reason: String,
    /// The final URL.
    pub url: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Fetched {
    /// The view the error handler and the paginator read.
    pub fn view(&self) -> HttpResponse<'_> {
        HttpResponse {
            status: self.status,
            reason: &self.reason,
            url: &self.url,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// What a request ended with.
#[derive(Debug)]
pub enum Answer {
    /// Records may be read from it.
    Success(Fetched),
    /// IGNOREd: no records, and pagination of the slice ends.
    Ignored,
    /// RESET_PAGINATION: the slice starts again from its first page.
    ResetPagination,
}

/// A requester's timeouts, in seconds (`connect_timeout_in_seconds`,
/// `read_timeout_in_seconds`); `None` keeps the client's default.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timeouts {
    /// The longest wait for a connection.
    pub connect: Option<f64>,
    /// The longest wait for the next bytes of the answer (not for the
    /// whole answer: a large body that keeps coming is read to its end).
    pub read: Option<f64>,
}

impl Timeouts {
    /// A timeout as a duration; one that is not a positive number of
    /// seconds is a config error (urllib3 refuses it too).
    fn duration(seconds: f64, key: &str) -> Result<Duration, Error> {
        match Duration::try_from_secs_f64(seconds) {
            Ok(d) if !d.is_zero() => Ok(d),
            _ => Err(Error::Manifest(format!(
                "HttpRequester.{key} must be a positive number of seconds, not {seconds}"
            ))),
        }
    }
}

/// The HTTP side of a sync: one client for every stream.
#[derive(Clone)]
pub struct Transport {
    client: HttpClient,
}

impl Transport {
    /// A client with `timeouts`, at most `in_flight` requests at once,
    /// masking `secrets` in its errors.
    ///
    /// ```
    /// use source_http::retriever::{Timeouts, Transport};
    /// let timeouts = Timeouts { connect: None, read: Some(2.5) };
    /// assert!(Transport::new(1, &[], timeouts).is_ok());
    /// let zero = Timeouts { connect: Some(0.0), read: None };
    /// assert!(Transport::new(1, &[], zero).is_err());
    /// ```
    pub fn new(
        in_flight: usize,
        secrets: &[String],
        timeouts: Timeouts,
    ) -> Result<Transport, Error> {
        let mut builder = HttpClient::builder()
            .max_in_flight(in_flight.max(1))
            .retry(RetryPolicy::none())
            .user_agent(concat!(
                "airbyte-rs-source-http/",
                env!("CARGO_PKG_VERSION")
            ));
        if let Some(seconds) = timeouts.connect {
            builder =
                builder.connect_timeout(Timeouts::duration(seconds, "connect_timeout_in_seconds")?);
        }
        if let Some(seconds) = timeouts.read {
            builder = builder.read_timeout(Timeouts::duration(seconds, "read_timeout_in_seconds")?);
        }
        for secret in secrets {
            builder = builder.secret(secret.clone());
        }
        let client = builder.build().map_err(|e| Error::Read(e.to_string()))?;
        Ok(Transport { client })
    }

    /// Sends `parts` until the error handler is satisfied: the answer, or
    /// the error the CDK raises (a FAIL, retries exhausted, a wait refused).
    /// `rate_limited` is called for each 429 or RATE_LIMITED answer, before
    /// its wait (or the error that ends the retries).
    pub async fn send(
        &self,
        parts: &RequestParts,
        handler: &ErrorHandler,
        jinja: &Jinja,
        config: &Value,
        rate_limited: &mut (dyn FnMut() -> Result<(), Error> + Send),
    ) -> Result<Answer, Error> {
        let auth = Auth::default();
        self.send_authed(parts, handler, jinja, config, rate_limited, &auth)
            .await
    }

    /// [`Transport::send`] for a request that `auth` authenticates: each
    /// retry carries its headers anew, and `REFRESH_TOKEN_THEN_RETRY`
    /// refreshes its OAuth token first.
    pub async fn send_authed(
        &self,
        first: &RequestParts,
        handler: &ErrorHandler,
        jinja: &Jinja,
        config: &Value,
        rate_limited: &mut (dyn FnMut() -> Result<(), Error> + Send),
        auth: &Auth,
    ) -> Result<Answer, Error> {
        let mut retrier = Retrier::new(handler.max_retries(), MAX_TIME_SECONDS);
        let mut refresh = RefreshAttempt::None;
        let mut again: Option<RequestParts> = None;
        let mut sent_once = false;
        loop {
            if std::mem::replace(&mut sent_once, true) && !auth.is_static() {
                let mut next = first.clone();
                auth.reapply(&mut next).await?;
                again = Some(next);
            }
            let parts = again.as_ref().unwrap_or(first);
            retrier.on_send(now());
            let attempt = self.send_once(parts).await?;
            let view;
            let outcome = match &attempt {
                Ok(fetched) => {
                    view = fetched.view();
                    Outcome::Response(&view)
                }
                Err(error) => Outcome::Transport(error),
            };
            let resolution = handler.resolve(outcome, jinja, config)?;
            let status = attempt.as_ref().ok().map(|f| f.status);
            let url = attempt
                .as_ref()
                .map(|f| f.url.clone())
                .unwrap_or_else(|_| parts.url.clone());
            match resolution.action {
                ResponseAction::Success => {
                    return match attempt {
                        Ok(fetched) => Ok(Answer::Success(fetched)),
                        Err(error) => Err(transport_failed(&error, parts)),
                    };
                }
                ResponseAction::Ignore => {
                    tracing::info!(
                        "{}",
                        ignore_message(
                            &resolution,
                            parts.method.as_str(),
                            &url,
                            status.unwrap_or(0)
                        )
                    );
                    return Ok(Answer::Ignored);
                }
                ResponseAction::ResetPagination => return Ok(Answer::ResetPagination),
                ResponseAction::Fail => {
                    let parsed = attempt
                        .as_ref()
                        .ok()
                        .and_then(|f| parse_error_message(&f.view()));
                    let details = match &attempt {
                        Ok(f) => format!("Response (body): {}", String::from_utf8_lossy(&f.body)),
                        Err(e) => e.message.clone(),
                    };
                    let parsed =
                        parsed.or_else(|| attempt.as_ref().err().map(|e| e.message.clone()));
                    return Err(fail_error(
                        &resolution,
                        parts.method.as_str(),
                        &url,
                        status,
                        parsed.as_deref(),
                        &details,
                    ));
                }
                ResponseAction::Retry
                | ResponseAction::RateLimited
                | ResponseAction::RefreshTokenThenRetry => {
                    if resolution.action == ResponseAction::RefreshTokenThenRetry {
                        auth.refresh_then_retry(&mut refresh, parts, status).await?;
                    }
                    // Each rate-limited answer is told before its wait is
                    // asked for, the last one too (as the CDK prints it).
                    if resolution.action == ResponseAction::RateLimited || status == Some(429) {
                        rate_limited()?;
                    }
                    let wait = handler.wait(outcome, retrier.sends(), jinja, config, now())?;
                    let failure = Failure::of(&resolution, wait);
                    match retrier.after_failure(failure) {
                        Retry::GiveUp => return Err(exhausted_error(&resolution, status, &url)),
                        Retry::Wait(seconds) => {
                            if let Failure::UserDefined(_) = failure {
                                tracing::info!("{}", user_wait_log(status, seconds));
                            } else {
                                tracing::info!(
                                    "Retrying. Sleeping for {seconds} seconds after {} from '{url}'",
                                    status.map_or_else(
                                        || "a transport error".to_owned(),
                                        |s| format!("status {s}")
                                    )
                                );
                            }
                            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
                        }
                    }
                }
                other => {
                    return Err(Error::Manifest(format!(
                        "the error handler's action {} is not supported",
                        other.name()
                    )));
                }
            }
        }
    }

    /// One attempt: a response, or the transport error it met.
    async fn send_once(
        &self,
        parts: &RequestParts,
    ) -> Result<Result<Fetched, TransportError>, Error> {
        let method = Method::from_bytes(parts.method.as_str().as_bytes())
            .map_err(|e| Error::Read(format!("the method {}: {e}", parts.method.as_str())))?;
        let url = match Url::parse(&parts.url) {
            Ok(url) => url,
            Err(e) => {
                return Ok(Err(TransportError {
                    kind: TransportErrorKind::InvalidUrl,
                    message: format!("Invalid URL '{}': {e}", parts.url),
                }));
            }
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Ok(Err(TransportError {
                kind: TransportErrorKind::InvalidSchema,
                message: format!("No connection adapters were found for '{}'", parts.url),
            }));
        }
        let mut request = self.client.request(method, url);
        for (name, value) in &parts.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| Error::Read(format!("the header name {name:?}: {e}")))?;
            let value = HeaderValue::from_bytes(value.as_bytes())
                .map_err(|e| Error::Read(format!("the value of header {name}: {e}")))?;
            request = request.header(name, value);
        }
        // The parts' headers already carry the body's Content-Type.
        let body = parts.body.to_bytes()?;
        if !body.is_empty() {
            request = request.body(body);
        }
        let sent = self
            .client
            .send_once(request)
            .await
            .map_err(|e| Error::Traced {
                message: e.to_string(),
                internal_message: e.to_string(),
                failure_type: e.failure_type(),
            })?;
        Ok(match sent {
            Ok(response) => Ok(Fetched {
                status: response.status().as_u16(),
                reason: response
                    .status()
                    .canonical_reason()
                    .unwrap_or("")
                    .to_owned(),
                url: response.url().to_string(),
                headers: response
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: response.body().to_vec(),
            }),
            Err(failure) => Err(TransportError {
                kind: match failure.kind {
                    TransportKind::ConnectTimeout => TransportErrorKind::ConnectTimeout,
                    TransportKind::ReadTimeout => TransportErrorKind::ReadTimeout,
                    TransportKind::Connect => TransportErrorKind::ConnectionError,
                    TransportKind::Body => TransportErrorKind::ChunkedEncodingError,
                    TransportKind::Redirect => TransportErrorKind::TooManyRedirects,
                    TransportKind::Other => TransportErrorKind::RequestException,
                },
                message: failure.message,
            }),
        })
    }
}

/// A transport error that a filter resolved as a success: there is no
/// response to read.
fn transport_failed(error: &TransportError, parts: &RequestParts) -> Error {
    Error::Traced {
        message: format!(
            "The request to {} got no response: {}",
            parts.url, error.message
        ),
        internal_message: error.message.clone(),
        failure_type: FailureType::TransientError,
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
