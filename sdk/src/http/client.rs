//! The HTTP client: reqwest with rustls, timeouts, limits, the status
//! table and the retry policy.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{IntoUrl, Method, Request, RequestBuilder};

use super::auth::Authenticator;
use super::backoff::RetryPolicy;
use super::limits::Limits;
use super::redact::Redactor;
use super::status::{Action, StatusTable};
use crate::error::Error;

/// What the client tells a retry observer before it waits.
#[derive(Debug, Clone, Copy)]
pub struct RetryEvent {
    /// The retry about to be made: 1 for the first.
    pub retry: u32,
    /// How long the client waits first (already time-scaled).
    pub wait: Duration,
    /// Why: `Retry` or `RateLimited`.
    pub action: Action,
    /// The status retried, or `None` for a transport error.
    pub status: Option<u16>,
}

/// Called before each retry (to log it, count it or emit a rate-limited status).
pub type RetryObserver = Arc<dyn Fn(&RetryEvent) + Send + Sync>;

/// Builds an [`HttpClient`].
///
/// ```
/// use std::time::Duration;
/// use airbyte_sdk::http::{Bearer, HttpClient, RetryPolicy};
///
/// let client = HttpClient::builder()
///     .read_timeout(Duration::from_secs(30))
///     .max_in_flight(4)
///     .max_requests(10_000)
///     .min_interval(Duration::from_millis(100))
///     .retry(RetryPolicy { max_retries: 3, ..RetryPolicy::default() })
///     .authenticator(Bearer::new("t0ken"))
///     .build()
///     .unwrap();
/// assert_eq!(client.requests_sent(), 0);
/// ```
pub struct HttpClientBuilder {
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
    pub(crate) timeout: Option<Duration>,
    pub(crate) user_agent: String,
    pub(crate) max_in_flight: Option<usize>,
    pub(crate) max_requests: Option<u64>,
    pub(crate) min_interval: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) statuses: StatusTable,
    pub(crate) authenticator: Option<Arc<dyn Authenticator>>,
    pub(crate) secrets: Vec<String>,
    pub(crate) root_certificates: Vec<Vec<u8>>,
    pub(crate) on_retry: Option<RetryObserver>,
}

impl Default for HttpClientBuilder {
    fn default() -> Self {
        HttpClientBuilder {
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(120),
            timeout: None,
            user_agent: concat!("airbyte-sdk-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_in_flight: None,
            max_requests: None,
            min_interval: None,
            retry: RetryPolicy::default(),
            statuses: StatusTable::default(),
            authenticator: None,
            secrets: Vec::new(),
            root_certificates: Vec::new(),
            on_retry: None,
        }
    }
}

impl fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("timeout", &self.timeout)
            .field("max_in_flight", &self.max_in_flight)
            .field("max_requests", &self.max_requests)
            .field("min_interval", &self.min_interval)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl HttpClientBuilder {
    /// The longest wait for a connection (default 30 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest wait for the next byte, from the request sent to the
    /// last byte of the body (default 2 minutes): a stalled server is a
    /// transport error, never a hang.
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The longest time for a whole request, body included (default none).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The `User-Agent` header.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// At most `n` requests in flight at once, across clones of the client.
    #[must_use]
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = Some(n);
        self
    }

    /// At most `n` requests (retries included) in the client's life, a sync:
    /// the next one is a transient error.
    #[must_use]
    pub fn max_requests(mut self, n: u64) -> Self {
        self.max_requests = Some(n);
        self
    }

    /// At least `interval` between the starts of two requests.
    #[must_use]
    pub fn min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = Some(interval);
        self
    }

    /// At most `rate` requests a second (a minimum interval of `1/rate`).
    #[must_use]
    pub fn requests_per_second(self, rate: f64) -> Self {
        match Duration::try_from_secs_f64(1.0 / rate) {
            Ok(interval) if rate > 0.0 => self.min_interval(interval),
            _ => self,
        }
    }

    /// The retry policy (default: the CDK's, see [`RetryPolicy`]).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The status table (default: the CDK's, see [`StatusTable`]).
    #[must_use]
    pub fn statuses(mut self, table: StatusTable) -> Self {
        self.statuses = table;
        self
    }

    /// Authenticates every request.
    #[must_use]
    pub fn authenticator(mut self, authenticator: impl Authenticator + 'static) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// A value no error or log of the client may show (besides the
    /// authenticator's own secrets).
    #[must_use]
    pub fn secret(mut self, value: impl Into<String>) -> Self {
        self.secrets.push(value.into());
        self
    }

    /// Trusts the certificates of this PEM as roots, besides Mozilla's.
    #[must_use]
    pub fn root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Calls `observer` before each retry.
    #[must_use]
    pub fn on_retry(mut self, observer: impl Fn(&RetryEvent) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Arc::new(observer));
        self
    }

    /// The client; a bad root certificate is a config error.
    pub fn build(self) -> Result<HttpClient, Error> {
        let tls = super::tls::client_config(&self.root_certificates)?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .user_agent(self.user_agent);
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        let client = builder
            .build()
            .map_err(|e| Error::system("the HTTP client could not be built").with_source(e))?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                client,
                statuses: self.statuses,
                retry: self.retry,
                authenticator: self.authenticator,
                secrets: self.secrets,
                limits: Limits::new(self.max_in_flight, self.max_requests, self.min_interval),
                on_retry: self.on_retry,
            }),
        })
    }
}

pub(crate) struct Inner {
    pub(crate) client: reqwest::Client,
    pub(crate) statuses: StatusTable,
    pub(crate) retry: RetryPolicy,
    pub(crate) authenticator: Option<Arc<dyn Authenticator>>,
    pub(crate) secrets: Vec<String>,
    pub(crate) limits: Limits,
    pub(crate) on_retry: Option<RetryObserver>,
}

/// An HTTP client for connectors: each [`send`](HttpClient::send) runs the
/// [`StatusTable`] on the response and retries as the [`RetryPolicy`]
/// says, within the client's limits (requests in flight, a request budget,
/// a minimum interval), authenticated by its [`Authenticator`]. Clones
/// share the connection pool and the limits.
///
/// TLS is rustls on the ring provider with Mozilla's roots; `http://` URLs
/// work too. Errors carry the failure type of the table's row and never a
/// secret: the authenticator's values are masked in URLs and bodies, and
/// request headers are never shown.
///
/// ```
/// use airbyte_sdk::http::HttpClient;
///
/// let client = HttpClient::new().unwrap();
/// let request = client.get("http://127.0.0.1:9/items").query(&[("page", "1")]).build().unwrap();
/// assert_eq!(request.url().as_str(), "http://127.0.0.1:9/items?page=1");
/// ```
#[derive(Clone)]
pub struct HttpClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("retry", &self.inner.retry)
            .field("requests_sent", &self.requests_sent())
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A builder with the defaults.
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder::default()
    }

    /// A client with the defaults.
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// A request to build (headers, query, body), then [`send`](HttpClient::send).
    pub fn request(&self, method: Method, url: impl IntoUrl) -> RequestBuilder {
        self.inner.client.request(method, url)
    }

    /// A GET request to build.
    pub fn get(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A POST request to build.
    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// Requests sent so far by this client and its clones (retries included).
    pub fn requests_sent(&self) -> u64 {
        self.inner.limits.sent()
    }

    /// The status table.
    pub fn statuses(&self) -> &StatusTable {
        &self.inner.statuses
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The reqwest client underneath (no status table, retries or limits).
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// What masks this client's secrets (the authenticator's current ones too).
    pub(crate) fn redactor(&self) -> Redactor {
        let mut secrets = self.inner.secrets.clone();
        if let Some(auth) = &self.inner.authenticator {
            secrets.extend(auth.secrets());
        }
        Redactor::new(secrets)
    }
}

/// A request, or a builder of one, that [`HttpClient::send`] takes.
pub trait IntoRequest {
    /// The request; an invalid one (a bad URL or header) is a config error.
    fn into_request(self) -> Result<Request, Error>;
}

impl IntoRequest for Request {
    fn into_request(self) -> Result<Request, Error> {
        Ok(self)
    }
}

impl IntoRequest for RequestBuilder {
    fn into_request(self) -> Result<Request, Error> {
        self.build().map_err(|e| {
            let e = e.without_url();
            Error::config(format!("the HTTP request is not valid: {e}")).with_source(e)
        })
    }
}
