//! A requester's authenticator as the read loop uses it: the options of
//! each request, applied again on each retry, and the forced refresh of
//! `REFRESH_TOKEN_THEN_RETRY` (the CDK's `HttpClient._handle_error_resolution`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use airbyte_sdk::protocol::FailureType;
use serde_json::Value;

use super::oauth::OAuth;
use super::session::SessionToken;
use super::shared::shared_instance;
use super::{StaticAuth, selected};
use crate::error::Error;
use crate::interpolation::Jinja;
use crate::requester::{RequestOptions, RequestParts};

/// A requester's authenticator.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Options fixed when the stream is built.
    Static(StaticAuth),
    /// `OAuthAuthenticator`.
    OAuth(Arc<OAuth>),
    /// `SessionTokenAuthenticator`.
    Session(Arc<SessionToken>),
}

impl Default for Auth {
    fn default() -> Self {
        Auth::Static(StaticAuth::default())
    }
}

/// What `REFRESH_TOKEN_THEN_RETRY` did for one request so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RefreshAttempt {
    /// Nothing yet.
    #[default]
    None,
    /// A refresh was tried and failed (the retry uses the old token).
    Failed,
    /// The token was refreshed (or already replaced).
    Refreshed,
}

impl Auth {
    /// Builds the authenticator of a requester (`None`: no authenticator);
    /// OAuth and session-token ones are shared by every stream that builds
    /// the same mapping with the same config.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::auth::Auth;
    /// use source_http::interpolation::Jinja;
    /// let config = json!({"key": "k-1"});
    /// let bearer = json!({"type": "BearerAuthenticator", "api_token": "{{ config.key }}"});
    /// let auth = Auth::from_manifest(Some(&bearer), &Jinja::new(), &config).unwrap();
    /// assert!(matches!(auth, Auth::Static(_)));
    /// ```
    pub fn from_manifest(
        auth: Option<&Value>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Auth, Error> {
        let Some(mapping) = auth.filter(|a| !a.is_null()) else {
            return Ok(Auth::default());
        };
        match mapping.get("type").and_then(Value::as_str) {
            Some(kind @ "OAuthAuthenticator") => shared_instance(kind, mapping, config, || {
                OAuth::from_manifest(mapping, jinja, config)
            })
            .map(Auth::OAuth),
            Some(kind @ "SessionTokenAuthenticator") => {
                shared_instance(kind, mapping, config, || {
                    SessionToken::from_manifest(mapping, jinja, config)
                })
                .map(Auth::Session)
            }
            Some("SelectiveAuthenticator") => {
                Auth::from_manifest(Some(selected(mapping, config)?), jinja, config)
            }
            _ => StaticAuth::from_manifest(Some(mapping), jinja, config).map(Auth::Static),
        }
    }

    /// Whether its options never change.
    pub fn is_static(&self) -> bool {
        matches!(self, Auth::Static(_))
    }

    /// The options of the next request (a token refreshed or a login made
    /// first when needed).
    pub async fn options(&self) -> Result<RequestOptions, Error> {
        match self {
            Auth::Static(auth) => Ok(auth.options.clone()),
            Auth::OAuth(oauth) => {
                let token = oauth.access_token().await?;
                let mut options = RequestOptions::default();
                options.headers.insert(
                    "Authorization".into(),
                    Value::String(format!("Bearer {token}")),
                );
                Ok(options)
            }
            Auth::Session(session) => session.options().await,
        }
    }

    /// A retry's request: the authenticator's headers set again (as
    /// requests' `session.auth(request)` does before each retry).
    pub fn reapply<'a>(
        &'a self,
        parts: &'a mut RequestParts,
    ) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>> {
        // Boxed: a session token's login is a request of its own.
        Box::pin(async move {
            if self.is_static() {
                return Ok(());
            }
            for (name, value) in self.options().await?.headers {
                let value = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                match parts
                    .headers
                    .iter_mut()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&name))
                {
                    Some(header) => header.1 = value,
                    None => parts.headers.push((name, value)),
                }
            }
            Ok(())
        })
    }

    /// `REFRESH_TOKEN_THEN_RETRY` for `parts` (answered `status`): an
    /// OAuth token is refreshed once per request, unless another stream
    /// replaced it since; a second rejection fails. Other authenticators
    /// retry as for RETRY.
    pub async fn refresh_then_retry(
        &self,
        attempt: &mut RefreshAttempt,
        parts: &RequestParts,
        status: Option<u16>,
    ) -> Result<(), Error> {
        let Auth::OAuth(oauth) = self else {
            tracing::warn!(
                "REFRESH_TOKEN_THEN_RETRY action received but authenticator does not support token refresh. Proceeding with normal retry."
            );
            return Ok(());
        };
        let method = parts.method.as_str();
        let url = &parts.url;
        let status = status.map_or_else(
            || "an exception".to_owned(),
            |s| format!("status code '{s}'"),
        );
        let (message, failure_type, what) = match *attempt {
            RefreshAttempt::None => ("", FailureType::SystemError, ""),
            RefreshAttempt::Refreshed => (
                "Refreshed OAuth access token is rejected by the API.",
                FailureType::ConfigError,
                "again after the OAuth token was refreshed",
            ),
            RefreshAttempt::Failed => (
                "API rejects the current OAuth access token and the token refresh failed.",
                FailureType::TransientError,
                "and the OAuth token could not be refreshed",
            ),
        };
        if *attempt != RefreshAttempt::None {
            let internal_message = format!(
                "'{method}' request to '{url}' was rejected with {status} {what}; not refreshing again."
            );
            tracing::error!("{internal_message}");
            return Err(Error::Traced {
                message: message.into(),
                internal_message,
                failure_type,
            });
        }
        *attempt = RefreshAttempt::Failed;
        let sent = parts
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Authorization"))
            .map(|(_, v)| v.strip_prefix("Bearer ").unwrap_or(v))
            .unwrap_or_default();
        match oauth.refresh_unless_replaced(sent).await {
            Ok(()) => *attempt = RefreshAttempt::Refreshed,
            Err(e) if e.failure_type() == FailureType::ConfigError => return Err(e),
            Err(Error::Request { kind, message }) if kind == "HTTPError" => {
                let internal_message = format!(
                    "'{method}' request to '{url}' was rejected with {status} and the OAuth token endpoint rejected the refresh request: {message}"
                );
                tracing::error!("{internal_message}");
                return Err(Error::Traced {
                    message: "OAuth token refresh request is rejected by the token endpoint."
                        .into(),
                    internal_message,
                    failure_type: FailureType::ConfigError,
                });
            }
            Err(e) => tracing::warn!(
                "Failed to refresh OAuth token: {e}. Proceeding with retry using existing token."
            ),
        }
        Ok(())
    }
}
