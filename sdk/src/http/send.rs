//! `HttpClient::send`: attempts, the status table, retries and their errors.

use reqwest::{Method, Request, Url};
use tokio::time::Instant;

use super::backoff::RetryContext;
use super::client::{HttpClient, IntoRequest, RetryEvent};
use super::redact::{Detail, Redactor, error_of};
use super::response::HttpResponse;
use super::status::{Action, Resolution};
use crate::error::Error;

/// What one attempt came back with.
type Attempt = Result<HttpResponse, reqwest::Error>;

impl HttpClient {
    /// Sends the request: authenticates it, waits for the client's limits,
    /// reads the whole response, and does what the status table says:
    /// hands back a success or an ignored response, fails, or retries
    /// (waiting `Retry-After` or the backoff) until the retry policy is
    /// spent, then fails with "API rate limit exceeded." (for a rate limit)
    /// or "Exhausted available request attempts…" and the last status.
    ///
    /// A request whose body is a stream cannot be cloned, so it is sent
    /// once and a retry of it is an error.
    pub async fn send(&self, request: impl IntoRequest) -> Result<HttpResponse, Error> {
        let mut template = Some(request.into_request()?);
        let started = Instant::now();
        let policy = &self.inner.retry;
        let mut retry = 0_u32;
        loop {
            let mut request = match template.as_ref().and_then(Request::try_clone) {
                Some(clone) => clone,
                None => template.take().ok_or_else(|| {
                    Error::system("a request with a streaming body cannot be retried")
                })?,
            };
            self.inner.limits.admit().await?;
            if let Some(auth) = &self.inner.authenticator {
                auth.apply(&mut request).await?;
            }
            let method = request.method().clone();
            let url = request.url().clone();
            let attempt = {
                let _permit = self.inner.limits.permit().await?;
                self.attempt(request).await
            };
            let resolution = match &attempt {
                Ok(response) => self.inner.statuses.resolve(response.status().as_u16()),
                Err(_) => self.inner.statuses.transport(),
            };
            let action = match (&attempt, resolution.action) {
                // A transport error has no response to hand back.
                (Err(_), Action::Success | Action::Ignore) => Action::Fail,
                (_, action) => action,
            };
            let attempt = match (attempt, action) {
                (Ok(response), Action::Success) => return Ok(response),
                (Ok(response), Action::Ignore) => {
                    tracing::info!(
                        "Ignoring the response to the '{method}' request to '{}' (status code '{}')",
                        self.redactor().url(&url),
                        response.status().as_u16()
                    );
                    return Ok(response.into_ignored());
                }
                (attempt, _) => attempt,
            };
            let what = Sent {
                method: &method,
                url: &url,
                attempt: &attempt,
                resolution,
                redactor: self.redactor(),
            };
            if !action.retries() {
                return Err(what.failed());
            }
            retry += 1;
            let (status, headers) = match &attempt {
                Ok(r) => (Some(r.status().as_u16()), Some(r.headers())),
                Err(_) => (None, None),
            };
            let context = RetryContext {
                retry,
                status,
                headers,
            };
            let wait = policy.scaled(policy.wait(&context));
            let deadline = policy.scaled(policy.max_time);
            if retry > policy.max_retries || started.elapsed() + wait > deadline {
                let error = what.exhausted(action, retry);
                tracing::warn!("{error} ({retry} attempts)");
                return Err(error);
            }
            tracing::info!(
                "{}; retry {retry} of {} in {wait:?}",
                what.describe(),
                policy.max_retries
            );
            if let Some(observer) = &self.inner.on_retry {
                observer(&RetryEvent {
                    retry,
                    wait,
                    action,
                    status,
                });
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends the request once, for a caller with its own retry rules (a
    /// manifest's error handlers): authenticated, within the client's
    /// limits and timeouts, the whole body read, but neither the status
    /// table nor retries applied. Any status is a response; a transport
    /// failure is a [`TransportFailure`] saying what kind it was.
    pub async fn send_once(
        &self,
        request: impl IntoRequest,
    ) -> Result<Result<HttpResponse, TransportFailure>, Error> {
        let mut request = request.into_request()?;
        self.inner.limits.admit().await?;
        if let Some(auth) = &self.inner.authenticator {
            auth.apply(&mut request).await?;
        }
        let attempt = {
            let _permit = self.inner.limits.permit().await?;
            self.attempt(request).await
        };
        Ok(attempt.map_err(|e| TransportFailure {
            kind: TransportKind::of(&e),
            message: self.redactor().text(&transport_error(&e)),
        }))
    }

    /// Sends once and reads the whole body.
    async fn attempt(&self, request: Request) -> Attempt {
        let response = self.inner.client.execute(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let url = response.url().clone();
        let body = response.bytes().await?;
        Ok(HttpResponse::new(status, headers, url, body))
    }
}

/// One attempt, described for logs and errors (secrets masked).
struct Sent<'a> {
    method: &'a Method,
    url: &'a Url,
    attempt: &'a Attempt,
    resolution: &'a Resolution,
    redactor: Redactor,
}

impl Sent<'_> {
    fn request(&self) -> String {
        format!(
            "'{}' request to '{}'",
            self.method,
            self.redactor.url(self.url)
        )
    }

    /// What happened, in one line.
    fn describe(&self) -> String {
        match self.attempt {
            Ok(response) => format!(
                "{} failed with status code '{}'",
                self.request(),
                response.status().as_u16()
            ),
            Err(e) => format!(
                "{} failed: {}",
                self.request(),
                self.redactor.text(&transport_error(e))
            ),
        }
    }

    /// The detail for the internal message: the response body excerpt too.
    fn detail(&self) -> Detail {
        match self.attempt {
            Ok(response) => Detail::new(format!(
                "{}. Response (body): '{}'",
                self.describe(),
                self.redactor.body(response.body())
            )),
            Err(_) => Detail::new(self.describe()),
        }
    }

    /// The user's message: the table's, or the description.
    fn message(&self) -> String {
        match (&self.resolution.message, self.attempt) {
            (Some(message), Err(e)) => format!("{message} {}", capitalized(&transport_error(e))),
            (Some(message), Ok(_)) => message.clone(),
            (None, _) => self.describe(),
        }
    }

    fn failed(&self) -> Error {
        let failure = self.resolution.failure_type;
        error_of(failure, self.redactor.text(&self.message())).with_source(self.detail())
    }

    fn exhausted(&self, action: Action, attempts: u32) -> Error {
        let rate_limited = action == Action::RateLimited
            || matches!(self.attempt, Ok(r) if r.status().as_u16() == 429);
        if rate_limited {
            let detail = Detail::new(format!(
                "Rate limit retry budget exhausted after {attempts} attempts. Last: {}",
                self.describe()
            ));
            return Error::transient("API rate limit exceeded.").with_source(detail);
        }
        let message = format!(
            "Exhausted available request attempts. Please see logs for more details. Exception: {}",
            self.message()
        );
        error_of(self.resolution.failure_type, self.redactor.text(&message))
            .with_source(self.detail())
    }
}

/// A request that got no response (see [`HttpClient::send_once`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFailure {
    /// What kind of failure.
    pub kind: TransportKind,
    /// What happened, in words (secrets masked).
    pub message: String,
}

/// The kinds of [`TransportFailure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Connecting took longer than the connect timeout.
    ConnectTimeout,
    /// The server sent nothing for longer than the read timeout.
    ReadTimeout,
    /// The connection was refused, reset or could not be made.
    Connect,
    /// The body broke off or could not be decoded.
    Body,
    /// Too many redirects.
    Redirect,
    /// Anything else.
    Other,
}

impl TransportKind {
    fn of(e: &reqwest::Error) -> TransportKind {
        if e.is_connect() && e.is_timeout() {
            TransportKind::ConnectTimeout
        } else if e.is_timeout() {
            TransportKind::ReadTimeout
        } else if e.is_connect() {
            TransportKind::Connect
        } else if e.is_body() || e.is_decode() {
            TransportKind::Body
        } else if e.is_redirect() {
            TransportKind::Redirect
        } else {
            TransportKind::Other
        }
    }
}

/// What kind of transport error it was, in words.
fn transport_error(e: &reqwest::Error) -> String {
    let kind = match TransportKind::of(e) {
        TransportKind::ConnectTimeout => "connecting timed out",
        TransportKind::ReadTimeout => "timed out waiting for the server",
        TransportKind::Connect => "could not connect",
        TransportKind::Body => "reading the response body failed",
        TransportKind::Redirect => "too many redirects",
        TransportKind::Other => "the request failed",
    };
    let mut text = kind.to_owned();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
