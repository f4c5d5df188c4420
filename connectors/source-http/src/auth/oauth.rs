//! `OAuthAuthenticator`: `Authorization: Bearer <access token>`, the
//! token refreshed from a refresh token when it has expired (the CDK's
//! `DeclarativeOauth2Authenticator`), or, with `refresh_token_updater`,
//! with the tokens kept in the config and each refresh printed as a
//! CONTROL message carrying the updated config (its
//! `DeclarativeSingleUseRefreshTokenOauth2Authenticator`).
//!
//! The refresh request and the reading of its answer are in
//! [`refresh`](super::refresh).

use serde_json::{Map, Value};

use super::dates::{after_seconds, expiry_text, now, parse_expiry};
use super::refresh::{ErrorRule, RefreshForm, TokenClient, find};
use super::shared::{mask_secret, queue_control};
use crate::datetime::DateTime;
use crate::error::Error;
use crate::interpolation::{Jinja, python_str};

/// A day, in microseconds: the initial expiry is a day ago.
const DAY_MICROS: i64 = 86_400_000_000;

/// Where `refresh_token_updater` keeps the tokens in the config.
#[derive(Debug, Clone)]
struct Updater {
    access_token: Vec<String>,
    refresh_token: Vec<String>,
    expiry: Vec<String>,
}

/// The tokens in use.
struct Tokens {
    access_token: Option<String>,
    expires_at: DateTime,
    refresh_token: Option<String>,
    /// With an updater: the whole config, updated by each refresh.
    config: Value,
}

/// An `OAuthAuthenticator`, shared by every stream of a sync.
pub struct OAuth {
    client: TokenClient,
    access_token_name: String,
    expires_in_name: String,
    refresh_token_name: String,
    expiry_is_time: bool,
    updater: Option<Updater>,
    tokens: tokio::sync::Mutex<Tokens>,
}

/// Shows the names, never a token.
impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth")
            .field("access_token_name", &self.access_token_name)
            .field("updater", &self.updater.is_some())
            .finish_non_exhaustive()
    }
}

/// Renders the templates of one authenticator mapping.
struct Renderer<'a> {
    jinja: &'a Jinja,
    context: Map<String, Value>,
}

impl Renderer<'_> {
    fn value(&self, template: &Value) -> Result<Value, Error> {
        match template {
            Value::String(t) => self.jinja.string(t, &self.context),
            other => Ok(other.clone()),
        }
    }

    fn text(&self, template: &Value) -> Result<String, Error> {
        self.value(template).map(|v| match v {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => python_str(&other),
        })
    }
}

fn string_list(value: Option<&Value>, default: &[&str]) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| python_str(i), str::to_owned))
            .collect(),
        _ => default.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// dpath's `get` of a path of keys (`""` when it is missing).
fn config_at<'a>(config: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(config, |at, key| match at {
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => at.get(key),
    })
}

/// dpath's `new`: sets the value, making the mappings on the way.
fn set_config_at(config: &mut Value, path: &[String], value: Value) {
    let mut at = config;
    for key in path {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Value::Object(map) = at else { return };
        at = map.entry(key.clone()).or_insert(Value::Null);
    }
    *at = value;
}

impl OAuth {
    /// Builds it from its mapping (`type: OAuthAuthenticator`) for `config`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::auth::OAuth;
    /// use source_http::interpolation::Jinja;
    /// let config = json!({"id": "c-1", "secret": "s-1", "refresh": "r-1"});
    /// let mapping = json!({"type": "OAuthAuthenticator", "token_refresh_endpoint": "http://127.0.0.1:9/token",
    ///     "client_id": "{{ config.id }}", "client_secret": "{{ config.secret }}", "refresh_token": "{{ config.refresh }}"});
    /// assert!(OAuth::from_manifest(&mapping, &Jinja::new(), &config).is_ok());
    /// let no_secret = json!({"type": "OAuthAuthenticator", "client_id": "x", "refresh_token": "r"});
    /// assert!(OAuth::from_manifest(&no_secret, &Jinja::new(), &config).is_err());
    /// ```
    pub fn from_manifest(auth: &Value, jinja: &Jinja, config: &Value) -> Result<OAuth, Error> {
        let context = super::template_context(auth, config);
        let r = Renderer { jinja, context };
        let field = |name: &str| auth.get(name).filter(|v| !v.is_null());
        let name = |key: &str, default: &str| -> Result<String, Error> {
            field(key).map_or_else(|| Ok(default.to_owned()), |v| r.text(v))
        };
        if field("profile_assertion").is_some() || field("use_profile_assertion").is_some() {
            return Err(Error::Manifest(
                "OAuthAuthenticator: the profile assertion flow is not supported".into(),
            ));
        }
        let updater = field("refresh_token_updater").map(|u| Updater {
            access_token: string_list(
                u.get("access_token_config_path"),
                &["credentials", "access_token"],
            ),
            refresh_token: string_list(
                u.get("refresh_token_config_path"),
                &["credentials", "refresh_token"],
            ),
            expiry: string_list(
                u.get("token_expiry_date_config_path"),
                &["credentials", "token_expiry_date"],
            ),
        });
        let (Some(client_id), Some(client_secret)) = (field("client_id"), field("client_secret"))
        else {
            return Err(Error::Manifest(
                "OAuthAuthenticator configuration error: Both 'client_id' and 'client_secret' are required for the basic OAuth flow.".into(),
            ));
        };
        let mut client_id = r.text(client_id)?;
        let mut client_secret = r.text(client_secret)?;
        let grant_type = name("grant_type", "refresh_token")?;
        let mut refresh_token_name = name("refresh_token_name", "refresh_token")?;
        let mut refresh_token = field("refresh_token").map(|t| r.text(t)).transpose()?;
        let mut access_token = field("access_token_value")
            .map(|t| r.text(t))
            .transpose()?
            .filter(|t| !t.is_empty());
        let mut expires_at = match field("token_expiry_date") {
            _ if access_token.is_none() => DateTime::from_micros(i64::MIN / 2),
            Some(Value::Number(n)) => parse_expiry(&n.to_string())?,
            Some(template) => parse_expiry(&r.text(template)?)?,
            None => DateTime::from_micros(now().micros - DAY_MICROS),
        };
        if let Some(updater) = &updater {
            // The tokens and the client's credentials live in the config.
            let text = |path: &[String]| {
                config_at(config, path)
                    .map(|v| v.as_str().map_or_else(|| python_str(v), str::to_owned))
            };
            let credential = |key: &str| text(&["credentials".to_owned(), key.to_owned()]);
            client_id = credential("client_id").unwrap_or(client_id);
            client_secret = credential("client_secret").unwrap_or(client_secret);
            refresh_token_name = field("refresh_token_updater")
                .and_then(|u| u.get("refresh_token_name"))
                .and_then(Value::as_str)
                .unwrap_or("refresh_token")
                .to_owned();
            refresh_token = Some(text(&updater.refresh_token).unwrap_or_default());
            access_token = Some(text(&updater.access_token).unwrap_or_default());
            expires_at = match text(&updater.expiry).unwrap_or_default() {
                expiry if expiry.is_empty() => DateTime::from_micros(now().micros - DAY_MICROS),
                expiry => parse_expiry(&expiry)?,
            };
        }
        if grant_type == "refresh_token" && refresh_token.is_none() {
            return Err(Error::Manifest(
                "OAuthAuthenticator configuration error: A 'refresh_token' is required when the 'grant_type' is set to 'refresh_token'.".into(),
            ));
        }
        let mapping = |key: &str| -> Result<Vec<(String, Value)>, Error> {
            match field(key) {
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| Ok((r.text(&Value::String(k.clone()))?, r.value(v)?)))
                    .collect(),
                _ => Ok(Vec::new()),
            }
        };
        let endpoint = field("token_refresh_endpoint")
            .map(|e| r.text(e))
            .transpose()?;
        if endpoint.as_deref() == Some("") {
            return Err(Error::Manifest(
                "OAuthAuthenticator was unable to evaluate token_refresh_endpoint parameter".into(),
            ));
        }
        let form = RefreshForm {
            endpoint,
            grant_type: (name("grant_type_name", "grant_type")?, grant_type),
            client_id: (name("client_id_name", "client_id")?, client_id),
            client_secret: (name("client_secret_name", "client_secret")?, client_secret),
            refresh_token_name: refresh_token_name.clone(),
            scopes: string_list(field("scopes"), &[]),
            extra: mapping("refresh_request_body")?,
            headers: mapping("refresh_request_headers")?
                .into_iter()
                .map(|(k, v)| (k, python_str(&v)))
                .collect(),
            as_query: field("send_refresh_request_as_query_params")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        for secret in [
            Some(&form.client_secret.1),
            refresh_token.as_ref(),
            access_token.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            mask_secret(secret);
        }
        Ok(OAuth {
            client: TokenClient::new(form, error_rule(auth)?)?,
            access_token_name: name("access_token_name", "access_token")?,
            expires_in_name: name("expires_in_name", "expires_in")?,
            refresh_token_name,
            expiry_is_time: field("token_expiry_date_format").is_some(),
            updater,
            tokens: tokio::sync::Mutex::new(Tokens {
                access_token,
                expires_at,
                refresh_token,
                config: config.clone(),
            }),
        })
    }

    /// The access token, refreshed first if it has expired.
    pub async fn access_token(&self) -> Result<String, Error> {
        let mut tokens = self.tokens.lock().await;
        // Without an endpoint, the configured access token is the token.
        let access_token_flow = self.client.has_no_endpoint() && tokens.access_token.is_some();
        if !access_token_flow && now() > tokens.expires_at {
            self.refresh_locked(&mut tokens).await?;
        }
        Ok(tokens.access_token.clone().unwrap_or_default())
    }

    /// Refreshes now (`REFRESH_TOKEN_THEN_RETRY`), unless the token was
    /// replaced since `sent` was sent with it (another stream refreshed).
    pub async fn refresh_unless_replaced(&self, sent: &str) -> Result<(), Error> {
        let mut tokens = self.tokens.lock().await;
        if tokens.access_token.as_deref().unwrap_or_default() != sent {
            tracing::info!(
                "OAuth token was already replaced since this request was sent; retrying with the current token without refreshing again."
            );
            return Ok(());
        }
        self.refresh_locked(&mut tokens).await?;
        tracing::info!("Refreshed OAuth token due to REFRESH_TOKEN_THEN_RETRY response action");
        Ok(())
    }

    async fn refresh_locked(&self, tokens: &mut Tokens) -> Result<(), Error> {
        let body = self.client.refresh(tokens.refresh_token.as_deref()).await?;
        let access_token = match find(&body, &self.access_token_name, 0)? {
            Some(Value::String(t)) if !t.is_empty() => t.clone(),
            Some(v) if !v.is_null() && *v != false && *v != 0 => python_str(v),
            _ => {
                return Err(Error::Request {
                    kind: "Exception".into(),
                    message: format!(
                        "Token refresh API response was missing access token {}",
                        self.access_token_name
                    ),
                });
            }
        };
        mask_secret(&access_token);
        let expires_at = match find(&body, &self.expires_in_name, 0)? {
            Some(v) if !v.is_null() => self.expiry_of(v)?,
            _ if tokens.access_token.is_some() && now() <= tokens.expires_at => tokens.expires_at,
            _ => after_seconds(3600),
        };
        let new_refresh_token = match find(&body, &self.refresh_token_name, 0)? {
            Some(Value::Null) | None => None,
            Some(v) => Some(v.as_str().map_or_else(|| python_str(v), str::to_owned)),
        };
        tokens.access_token = Some(access_token.clone());
        tokens.expires_at = expires_at;
        let Some(updater) = &self.updater else {
            return Ok(());
        };
        let config = &mut tokens.config;
        set_config_at(config, &updater.access_token, Value::String(access_token));
        if let Some(new) = new_refresh_token {
            mask_secret(&new);
            set_config_at(config, &updater.refresh_token, Value::String(new.clone()));
            tokens.refresh_token = Some(new);
        }
        set_config_at(
            &mut tokens.config,
            &updater.expiry,
            Value::String(expiry_text(&expires_at)),
        );
        let message = airbyte_sdk::http::connector_config_message(&tokens.config)
            .map_err(|e| Error::Read(e.to_string()))?;
        queue_control(message)
    }

    /// An `expires_in` value: seconds from now, or (with
    /// `token_expiry_date_format`) the instant itself.
    fn expiry_of(&self, value: &Value) -> Result<DateTime, Error> {
        let text = value
            .as_str()
            .map_or_else(|| python_str(value), str::to_owned);
        if self.expiry_is_time {
            return parse_expiry(&text);
        }
        match text.trim().parse::<f64>() {
            Ok(seconds) if seconds.is_finite() => Ok(after_seconds(seconds.trunc() as i64)),
            _ => Err(Error::Request {
                kind: "ValueError".into(),
                message: format!(
                    "Invalid expires_in value: {text}. Expected number of seconds when no format specified."
                ),
            }),
        }
    }
}

/// The refresh-token error rule: on the authenticator, or (deprecated) on
/// its updater, else `(400,)`, `error`, `(invalid_grant, invalid_permissions)`.
fn error_rule(auth: &Value) -> Result<ErrorRule, Error> {
    fn defined(on: Option<&Value>) -> Option<&Value> {
        on.filter(|o| {
            [
                "refresh_token_error_status_codes",
                "refresh_token_error_key",
                "refresh_token_error_values",
            ]
            .iter()
            .any(|k| {
                o.get(*k).is_some_and(|v| {
                    !v.is_null() && *v != "" && v.as_array().is_none_or(|a| !a.is_empty())
                })
            })
        })
    }
    let outer = defined(Some(auth));
    let inner = defined(auth.get("refresh_token_updater"));
    let on = match (outer, inner) {
        (Some(_), Some(_)) => {
            return Err(Error::Manifest(
                "refresh_token_error should either be defined on the OAuthAuthenticatorModel or the RefreshTokenUpdaterModel, not both".into(),
            ));
        }
        (Some(on), None) | (None, Some(on)) => on,
        (None, None) => return Ok(ErrorRule::default()),
    };
    Ok(ErrorRule {
        codes: on
            .get("refresh_token_error_status_codes")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .filter_map(|c| c.as_u64())
                    .filter_map(|c| u16::try_from(c).ok())
                    .collect()
            })
            .unwrap_or_default(),
        key: on
            .get("refresh_token_error_key")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        values: string_list(on.get("refresh_token_error_values"), &[]),
    })
}
