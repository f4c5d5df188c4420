//! OAuth 2.0 with a refresh token: the access token is refreshed when it
//! has expired, and a rotated refresh token is handed to a
//! [`RefreshHandler`] (which stores it in the config).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::Request;
use reqwest::header::AUTHORIZATION;
use serde_json::Value;

use super::auth::{Authenticator, set_secret_header};
use super::backoff::RetryPolicy;
use super::client::{HttpClient, HttpClientBuilder};
use super::redact::{Detail, Redactor};
use super::response::HttpResponse;
use super::rotation::{RefreshHandler, TokenRefresh};
use super::status::{Resolution, StatusTable};
use crate::error::Error;
use crate::secret::Secret;

/// An access token's life when the token endpoint does not say (the CDK's).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// How deep the token fields are looked for in the endpoint's answer.
const MAX_DEPTH: usize = 5;

/// The token endpoint's table: 429 and 5xx retry, transport errors retry,
/// other 4xx are handed back to be read (`invalid_grant`).
fn token_endpoint_statuses() -> StatusTable {
    use airbyte_protocol::FailureType::TransientError;
    StatusTable::empty()
        .with_range(400..=499, Resolution::ignore())
        .with(429, Resolution::rate_limited())
        .with_range(500..=599, Resolution::retry(TransientError))
}

/// The token in use and when it expires.
#[derive(Debug)]
struct Tokens {
    access_token: Option<Secret>,
    expires_at: SystemTime,
    refresh_token: Secret,
}

/// What a refresh request is made of, and how its answer is read.
struct Settings {
    endpoint: String,
    client_id: String,
    client_secret: Secret,
    scopes: Vec<String>,
    params: Vec<(String, String)>,
    access_token_name: String,
    expires_in_name: String,
    refresh_token_name: String,
    margin: Duration,
}

/// Builds an [`OAuth2`].
pub struct OAuth2Builder {
    settings: Settings,
    refresh_token: Secret,
    access_token: Option<(Secret, SystemTime)>,
    http: HttpClientBuilder,
    handler: Option<Arc<dyn RefreshHandler>>,
}

impl std::fmt::Debug for OAuth2Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Builder")
            .field("endpoint", &self.settings.endpoint)
            .field("client_id", &self.settings.client_id)
            .finish_non_exhaustive()
    }
}

impl OAuth2Builder {
    /// Starts with this access token, valid until `expires_at` (one stored
    /// in the config by an earlier sync), instead of refreshing at once.
    #[must_use]
    pub fn access_token(mut self, token: impl Into<String>, expires_at: SystemTime) -> Self {
        self.access_token = Some((Secret::new(token), expires_at));
        self
    }

    /// The scopes sent with the refresh (as repeated `scopes` fields, like the CDK).
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.settings.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// An extra field of the refresh request's form (the standard ones win).
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.params.push((name.into(), value.into()));
        self
    }

    /// The names of the answer's fields: `access_token`, `expires_in`
    /// (seconds, a number or numeric text) and `refresh_token`. They are
    /// looked for at any depth up to 5, as the CDK does.
    #[must_use]
    pub fn field_names(
        mut self,
        access_token: &str,
        expires_in: &str,
        refresh_token: &str,
    ) -> Self {
        self.settings.access_token_name = access_token.to_owned();
        self.settings.expires_in_name = expires_in.to_owned();
        self.settings.refresh_token_name = refresh_token.to_owned();
        self
    }

    /// Refreshes this long before the expiry (default 0, as the CDK).
    #[must_use]
    pub fn expiry_margin(mut self, margin: Duration) -> Self {
        self.settings.margin = margin;
        self
    }

    /// The client for the token endpoint (timeouts, retry policy, roots);
    /// its status table and authenticator are replaced.
    #[must_use]
    pub fn http(mut self, builder: HttpClientBuilder) -> Self {
        self.http = builder;
        self
    }

    /// Told of every refresh: give an `Arc<`[`ConfigRotation`](super::ConfigRotation)`>`
    /// to store a rotated refresh token in the config, or a closure.
    #[must_use]
    pub fn on_refresh(mut self, handler: Arc<dyn RefreshHandler>) -> Self {
        self.handler = Some(handler);
        self
    }

    /// The authenticator.
    pub fn build(self) -> Result<OAuth2, Error> {
        let (access_token, expires_at) = match self.access_token {
            Some((token, at)) => (Some(token), at),
            None => (None, SystemTime::UNIX_EPOCH),
        };
        let secrets = Arc::new(Mutex::new(
            [&self.settings.client_secret, &self.refresh_token]
                .into_iter()
                .chain(access_token.as_ref())
                .map(|s| s.expose().to_owned())
                .collect(),
        ));
        // The token endpoint's client masks the same secrets, as they rotate.
        let mut http = self.http.statuses(token_endpoint_statuses());
        http.authenticator = Some(Arc::new(SecretsOnly(secrets.clone())));
        let http = http.build()?;
        Ok(OAuth2 {
            settings: self.settings,
            http,
            handler: self.handler,
            tokens: tokio::sync::Mutex::new(Tokens {
                access_token,
                expires_at,
                refresh_token: self.refresh_token,
            }),
            secrets,
        })
    }
}

/// OAuth 2.0 refresh-token authentication (`Authorization: Bearer`).
///
/// When the access token has expired (or there is none yet), the next
/// request first POSTs a form (`grant_type=refresh_token`, `client_id`,
/// `client_secret`, `refresh_token`) to the token endpoint, retrying 429,
/// 5xx and transport errors; it reads `access_token`, `expires_in` and an
/// optional new `refresh_token`. One refresh runs at a time, so a
/// single-use refresh token is never spent twice. A 4xx with
/// `"error": "invalid_grant"` is a config error ("Refresh token is invalid
/// or expired"), other 4xx config errors too. Every token and the client
/// secret are masked in errors.
///
/// ```
/// use airbyte_sdk::http::{ConfigRotation, HttpClient, OAuth2};
/// use airbyte_sdk::serde_json::json;
/// use std::sync::Arc;
///
/// let config = json!({"credentials": {"client_id": "id", "client_secret": "s", "refresh_token": "r1"}});
/// let rotation = Arc::new(ConfigRotation::new(config));
/// let oauth = OAuth2::builder("https://auth.example.com/token", "id", "s", rotation.refresh_token().unwrap())
///     .on_refresh(rotation.clone())
///     .build()
///     .unwrap();
/// let client = HttpClient::builder().authenticator(Arc::new(oauth)).build().unwrap();
/// // ... client.send(...) refreshes on first use; then emit what `rotation` queued.
/// # drop(client);
/// ```
pub struct OAuth2 {
    settings: Settings,
    http: HttpClient,
    handler: Option<Arc<dyn RefreshHandler>>,
    tokens: tokio::sync::Mutex<Tokens>,
    secrets: Arc<Mutex<Vec<String>>>,
}

/// Adds nothing to requests; names the OAuth secrets for the token client to mask.
struct SecretsOnly(Arc<Mutex<Vec<String>>>);

#[async_trait::async_trait]
impl Authenticator for SecretsOnly {
    async fn apply(&self, _request: &mut Request) -> Result<(), Error> {
        Ok(())
    }

    fn secrets(&self) -> Vec<String> {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl std::fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2")
            .field("endpoint", &self.settings.endpoint)
            .field("client_id", &self.settings.client_id)
            .finish_non_exhaustive()
    }
}

impl OAuth2 {
    /// A builder for the token endpoint's URL and the credentials.
    pub fn builder(
        token_endpoint: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> OAuth2Builder {
        OAuth2Builder {
            settings: Settings {
                endpoint: token_endpoint.into(),
                client_id: client_id.into(),
                client_secret: Secret::new(client_secret),
                scopes: Vec::new(),
                params: Vec::new(),
                access_token_name: "access_token".to_owned(),
                expires_in_name: "expires_in".to_owned(),
                refresh_token_name: "refresh_token".to_owned(),
                margin: Duration::ZERO,
            },
            refresh_token: Secret::new(refresh_token),
            access_token: None,
            http: HttpClient::builder().retry(RetryPolicy {
                max_time: Duration::from_secs(300),
                ..RetryPolicy::default()
            }),
            handler: None,
        }
    }

    /// A valid access token, refreshed first if it has expired.
    pub async fn access_token(&self) -> Result<Secret, Error> {
        let mut tokens = self.tokens.lock().await;
        match &tokens.access_token {
            Some(token) if SystemTime::now() + self.settings.margin < tokens.expires_at => {
                Ok(token.clone())
            }
            _ => Ok(self.refresh_locked(&mut tokens).await?.access_token),
        }
    }

    /// Refreshes now, whether or not the token has expired.
    pub async fn refresh(&self) -> Result<TokenRefresh, Error> {
        let mut tokens = self.tokens.lock().await;
        self.refresh_locked(&mut tokens).await
    }

    /// The refresh token in use.
    pub async fn refresh_token(&self) -> Secret {
        self.tokens.lock().await.refresh_token.clone()
    }

    fn remember_secret(&self, secret: &Secret) {
        if let Ok(mut secrets) = self.secrets.lock() {
            secrets.push(secret.expose().to_owned());
        }
    }

    fn redactor(&self) -> Redactor {
        Redactor::new(self.secrets())
    }

    async fn refresh_locked(&self, tokens: &mut Tokens) -> Result<TokenRefresh, Error> {
        let mut form: Vec<(String, String)> = vec![
            ("grant_type".into(), "refresh_token".into()),
            ("client_id".into(), self.settings.client_id.clone()),
            (
                "client_secret".into(),
                self.settings.client_secret.expose().into(),
            ),
            ("refresh_token".into(), tokens.refresh_token.expose().into()),
        ];
        form.extend(
            self.settings
                .scopes
                .iter()
                .map(|s| ("scopes".into(), s.clone())),
        );
        for (name, value) in &self.settings.params {
            if !form.iter().any(|(n, _)| n == name) {
                form.push((name.clone(), value.clone()));
            }
        }
        let request = self.http.post(&self.settings.endpoint).form(&form);
        let response = self.http.send(request).await.map_err(|e| {
            let message = format!("The OAuth access token refresh request failed: {e}");
            match e.failure_type() {
                airbyte_protocol::FailureType::TransientError => Error::transient(message),
                _ => Error::system(message),
            }
            .with_source(e)
        })?;
        if response.is_ignored() {
            return Err(self.rejected(&response));
        }
        let body: Value = response.json()?;
        let access_token = match find(&body, &self.settings.access_token_name, 0) {
            Some(Value::String(token)) if !token.is_empty() => Secret::new(token.clone()),
            _ => {
                return Err(Error::system(format!(
                    "Token refresh API response was missing access token {}",
                    self.settings.access_token_name
                )));
            }
        };
        let lifetime = match find(&body, &self.settings.expires_in_name, 0) {
            None | Some(Value::Null) => DEFAULT_LIFETIME,
            Some(value) => seconds(value).ok_or_else(|| {
                Error::system(format!(
                    "Invalid {} value: {value}. Expected a number of seconds.",
                    self.settings.expires_in_name
                ))
            })?,
        };
        let new_refresh = match find(&body, &self.settings.refresh_token_name, 0) {
            Some(Value::String(token)) if !token.is_empty() => Some(Secret::new(token.clone())),
            _ => None,
        };
        self.remember_secret(&access_token);
        let rotated = new_refresh
            .as_ref()
            .is_some_and(|new| new.expose() != tokens.refresh_token.expose());
        if let Some(new) = new_refresh {
            self.remember_secret(&new);
            tokens.refresh_token = new;
        }
        let refresh = TokenRefresh {
            access_token: access_token.clone(),
            expires_at: SystemTime::now() + lifetime,
            refresh_token: tokens.refresh_token.clone(),
            rotated,
        };
        // Stored first: a handler that fails must not leave the old token in use.
        tokens.access_token = Some(access_token);
        tokens.expires_at = refresh.expires_at;
        tracing::info!(
            "Refreshed the OAuth access token{}",
            if rotated {
                " (a new refresh token was issued)"
            } else {
                ""
            }
        );
        if let Some(handler) = &self.handler {
            handler.refreshed(&refresh)?;
        }
        Ok(refresh)
    }

    /// The error for a 4xx from the token endpoint.
    fn rejected(&self, response: &HttpResponse) -> Error {
        let status = response.status().as_u16();
        let body: Option<Value> = serde_json::from_slice(response.body()).ok();
        let code = body
            .as_ref()
            .and_then(|b| b.get("error"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let redactor = self.redactor();
        let detail = Detail::new(format!(
            "The OAuth token endpoint answered HTTP {status}: {}",
            redactor.body(response.body())
        ));
        let message = match code.as_deref() {
            Some("invalid_grant") => "Refresh token is invalid or expired. Re-authenticate this \
                 source's credentials in its connection settings (the OAuth provider answered \
                 invalid_grant)."
                .to_owned(),
            Some(code) => redactor.text(&format!(
                "The OAuth token endpoint rejected the refresh request (HTTP {status}, error \
                 {code}). Check the client id, client secret and refresh token."
            )),
            None => format!(
                "The OAuth token endpoint rejected the refresh request (HTTP {status}). Check \
                 the client id, client secret and refresh token."
            ),
        };
        Error::config(message).with_source(detail)
    }
}

#[async_trait::async_trait]
impl Authenticator for OAuth2 {
    async fn apply(&self, request: &mut Request) -> Result<(), Error> {
        let token = self.access_token().await?;
        set_secret_header(
            request,
            AUTHORIZATION,
            &format!("Bearer {}", token.expose()),
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.secrets.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// A field of the answer, at the top or nested (objects and arrays) up to
/// [`MAX_DEPTH`] levels down, as the CDK looks for it.
fn find<'a>(value: &'a Value, name: &str, depth: usize) -> Option<&'a Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    match value {
        Value::Object(map) => map.get(name).or_else(|| {
            map.values()
                .find_map(|v| find(v, name, depth + 1).filter(|v| !v.is_null()))
        }),
        Value::Array(items) => items
            .iter()
            .find_map(|v| find(v, name, depth + 1).filter(|v| !v.is_null())),
        _ => None,
    }
}

/// Seconds from a number or numeric text (fractions dropped, as the CDK's `int(float(v))`).
fn seconds(value: &Value) -> Option<Duration> {
    let secs = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs(secs as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_nested() {
        let body =
            serde_json::json!({"data": [{"token": {"access_token": "a", "expires_in": "60.5"}}]});
        assert_eq!(find(&body, "access_token", 0), Some(&Value::from("a")));
        let expires = find(&body, "expires_in", 0).and_then(seconds);
        assert_eq!(expires, Some(Duration::from_secs(60)));
        assert_eq!(find(&body, "refresh_token", 0), None);
        assert_eq!(seconds(&Value::from(-1)), None);
    }

    #[test]
    fn token_endpoint_table() {
        use super::super::status::Action;
        let table = token_endpoint_statuses();
        assert_eq!(table.resolve(400).action, Action::Ignore);
        assert_eq!(table.resolve(401).action, Action::Ignore);
        assert_eq!(table.resolve(429).action, Action::RateLimited);
        assert_eq!(table.resolve(503).action, Action::Retry);
        assert_eq!(table.resolve(200).action, Action::Success);
    }
}
