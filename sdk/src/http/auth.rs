//! Authenticators: what a request carries to prove who sends it.

use std::sync::Arc;

use base64::Engine as _;
use reqwest::Request;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use super::query::set_query_param;
use crate::error::Error;
use crate::secret::Secret;

/// Adds credentials to each request the client sends (every attempt: a
/// token refreshed between retries is picked up).
///
/// `secrets` names the values no error or log may show; the client masks
/// them in every message it builds.
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync {
    /// Adds the credentials to `request` (a header, a query parameter).
    async fn apply(&self, request: &mut Request) -> Result<(), Error>;

    /// The secret values this authenticator puts on requests.
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

#[async_trait::async_trait]
impl<A: Authenticator + ?Sized> Authenticator for Arc<A> {
    async fn apply(&self, request: &mut Request) -> Result<(), Error> {
        (**self).apply(request).await
    }

    fn secrets(&self) -> Vec<String> {
        (**self).secrets()
    }
}

/// Sets a header that `Debug` output never shows.
pub(crate) fn set_secret_header(
    request: &mut Request,
    name: HeaderName,
    value: &str,
) -> Result<(), Error> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        Error::config(format!(
            "the credential for the {name} header is not a valid header value"
        ))
    })?;
    value.set_sensitive(true);
    request.headers_mut().insert(name, value);
    Ok(())
}

/// Where an API key goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Placement {
    Header(HeaderName),
    Query(String),
}

/// An API key in a header or a query parameter, with an optional prefix
/// (`Token `, `Bearer `).
///
/// ```
/// use airbyte_sdk::http::{ApiKey, Authenticator};
/// use airbyte_sdk::http::reqwest::{Method, Request, Url};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let url = Url::parse("http://127.0.0.1/items?page=2").unwrap();
/// let mut request = Request::new(Method::GET, url.clone());
/// ApiKey::header("X-Api-Key", "k3y").unwrap().with_prefix("Token ").apply(&mut request).await.unwrap();
/// assert_eq!(request.headers()["x-api-key"], "Token k3y");
///
/// let mut request = Request::new(Method::GET, url);
/// ApiKey::query("api_key", "k3y").apply(&mut request).await.unwrap();
/// assert_eq!(request.url().query(), Some("page=2&api_key=k3y"));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ApiKey {
    placement: Placement,
    prefix: String,
    key: Secret,
}

impl ApiKey {
    /// The key in header `name`; an invalid header name is a config error.
    pub fn header(name: &str, key: impl Into<String>) -> Result<Self, Error> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::config(format!("`{name}` is not a valid HTTP header name")))?;
        Ok(ApiKey {
            placement: Placement::Header(name),
            prefix: String::new(),
            key: Secret::new(key),
        })
    }

    /// The key in query parameter `name`.
    pub fn query(name: impl Into<String>, key: impl Into<String>) -> Self {
        ApiKey {
            placement: Placement::Query(name.into()),
            prefix: String::new(),
            key: Secret::new(key),
        }
    }

    /// Puts `prefix` before the key.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }
}

#[async_trait::async_trait]
impl Authenticator for ApiKey {
    async fn apply(&self, request: &mut Request) -> Result<(), Error> {
        let value = format!("{}{}", self.prefix, self.key.expose());
        match &self.placement {
            Placement::Header(name) => set_secret_header(request, name.clone(), &value),
            Placement::Query(name) => {
                set_query_param(request.url_mut(), name, &value);
                Ok(())
            }
        }
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.key.expose().to_owned()]
    }
}

/// `Authorization: Bearer <token>`.
///
/// ```
/// use airbyte_sdk::http::{Authenticator, Bearer};
/// use airbyte_sdk::http::reqwest::{Method, Request, Url};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut request = Request::new(Method::GET, Url::parse("http://127.0.0.1/").unwrap());
/// Bearer::new("t0ken").apply(&mut request).await.unwrap();
/// assert_eq!(request.headers()["authorization"], "Bearer t0ken");
/// assert!(!format!("{:?}", request.headers()).contains("t0ken"));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Bearer {
    token: Secret,
}

impl Bearer {
    /// A bearer token.
    pub fn new(token: impl Into<String>) -> Self {
        Bearer {
            token: Secret::new(token),
        }
    }
}

#[async_trait::async_trait]
impl Authenticator for Bearer {
    async fn apply(&self, request: &mut Request) -> Result<(), Error> {
        set_secret_header(
            request,
            AUTHORIZATION,
            &format!("Bearer {}", self.token.expose()),
        )
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.token.expose().to_owned()]
    }
}

/// `Authorization: Basic base64(username:password)`.
///
/// ```
/// use airbyte_sdk::http::{Authenticator, Basic};
/// use airbyte_sdk::http::reqwest::{Method, Request, Url};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut request = Request::new(Method::GET, Url::parse("http://127.0.0.1/").unwrap());
/// Basic::new("Aladdin", "open sesame").apply(&mut request).await.unwrap();
/// assert_eq!(request.headers()["authorization"], "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Basic {
    username: String,
    password: Secret,
}

impl Basic {
    /// A username and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Basic {
            username: username.into(),
            password: Secret::new(password),
        }
    }

    fn encoded(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.username,
            self.password.expose()
        ))
    }
}

#[async_trait::async_trait]
impl Authenticator for Basic {
    async fn apply(&self, request: &mut Request) -> Result<(), Error> {
        set_secret_header(request, AUTHORIZATION, &format!("Basic {}", self.encoded()))
    }

    fn secrets(&self) -> Vec<String> {
        vec![self.password.expose().to_owned(), self.encoded()]
    }
}
