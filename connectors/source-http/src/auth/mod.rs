//! A manifest's authenticator, as the options it adds to each request.
//!
//! - `NoAuth` (or none): nothing.
//! - `ApiKeyAuthenticator`: `str()` of the rendered `api_token`, put where
//!   its `inject_into` option says (or in the deprecated `header`).
//! - `BearerAuthenticator`: `Authorization: Bearer <token>`.
//! - `BasicHttpAuthenticator`: `Authorization: Basic base64(user:password)`.
//! - `SelectiveAuthenticator`: the one of its `authenticators` that the
//!   config value at `authenticator_selection_path` names.
//!
//! - `OAuthAuthenticator` ([`OAuth`]) and `SessionTokenAuthenticator`
//!   ([`SessionToken`]): options that change during the sync (a refreshed
//!   access token, a new session token), one instance shared by every
//!   stream ([`shared_instance`]).
//!
//! A static authenticator's templates are rendered with `config` and the
//! component's `parameters`, once, when the stream is built. Every secret
//! an authenticator sends or obtains is masked in everything printed.

mod dates;
mod oauth;
mod refresh;
mod retry;
mod session;
mod shared;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::interpolation::{Jinja, python_str};
use crate::requester::{InjectInto, RequestOption, RequestOptions};

pub use dates::{expiry_text, parse_expiry};
pub use oauth::OAuth;
pub use refresh::find_field;
pub use retry::{Auth, RefreshAttempt};
pub use session::SessionToken;
pub(crate) use shared::has_control_messages;
pub use shared::{shared_instance, take_control_messages};

/// The authenticators whose options do not change during a sync.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticAuth {
    /// What each request gets.
    pub options: RequestOptions,
    /// The secret values it sends, masked in errors.
    pub secrets: Vec<String>,
}

impl StaticAuth {
    /// Builds the authenticator of a requester (`None`: no authenticator).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::auth::StaticAuth;
    /// use source_http::interpolation::Jinja;
    /// let config = json!({"key": "k-1", "user": "u", "pass": "p"});
    /// let jinja = Jinja::new();
    /// let bearer = json!({"type": "BearerAuthenticator", "api_token": "{{ config.key }}"});
    /// let auth = StaticAuth::from_manifest(Some(&bearer), &jinja, &config).unwrap();
    /// assert_eq!(auth.options.headers["Authorization"], "Bearer k-1");
    /// let basic = json!({"type": "BasicHttpAuthenticator", "username": "{{ config.user }}", "password": "{{ config.pass }}"});
    /// let auth = StaticAuth::from_manifest(Some(&basic), &jinja, &config).unwrap();
    /// assert_eq!(auth.options.headers["Authorization"], "Basic dTpw");
    /// let key = json!({"type": "ApiKeyAuthenticator", "api_token": "Token {{ config.key }}",
    ///     "inject_into": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "api_key"}});
    /// let auth = StaticAuth::from_manifest(Some(&key), &jinja, &config).unwrap();
    /// assert_eq!(auth.options.params["api_key"], "Token k-1");
    /// ```
    pub fn from_manifest(
        auth: Option<&Value>,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<Self, Error> {
        let Some(auth) = auth.filter(|a| !a.is_null()) else {
            return Ok(StaticAuth::default());
        };
        let kind = auth.get("type").and_then(Value::as_str).unwrap_or("");
        let render = |field: &str, default: Option<&str>| -> Result<String, Error> {
            let template = match auth.get(field) {
                Some(Value::String(t)) => t.as_str(),
                Some(other) => return Ok(python_str(other)),
                None => {
                    default.ok_or_else(|| Error::Manifest(format!("{kind} has no `{field}`")))?
                }
            };
            let context = template_context(auth, config);
            Ok(python_str(&jinja.string(template, &context)?))
        };
        let mut out = StaticAuth::default();
        match kind {
            "NoAuth" => {}
            "BearerAuthenticator" => {
                let token = render("api_token", None)?;
                out.options.headers.insert(
                    "Authorization".into(),
                    Value::String(format!("Bearer {token}")),
                );
                out.secrets.push(token);
            }
            "BasicHttpAuthenticator" => {
                let user = render("username", None)?;
                let password = render("password", Some(""))?;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                out.options.headers.insert(
                    "Authorization".into(),
                    Value::String(format!("Basic {encoded}")),
                );
                out.secrets.extend([password, encoded]);
            }
            "ApiKeyAuthenticator" => {
                let token = render("api_token", None)?;
                let option = match (auth.get("inject_into"), auth.get("header")) {
                    (Some(option), None) => RequestOption::from_manifest(option)?,
                    (None, Some(Value::String(header))) => {
                        RequestOption::from_manifest(&serde_json::json!({
                            "type": "RequestOption", "inject_into": "header", "field_name": header
                        }))?
                    }
                    _ => {
                        return Err(Error::Manifest(
                            "ApiKeyAuthenticator needs exactly one of `inject_into` and `header`"
                                .into(),
                        ));
                    }
                };
                out.options = inject_token(&option, token.clone(), jinja, config)?;
                out.secrets.push(token);
            }
            "SelectiveAuthenticator" => {
                return StaticAuth::from_manifest(Some(selected(auth, config)?), jinja, config);
            }
            "" => return Err(Error::Manifest("an authenticator has no type".into())),
            other => {
                return Err(Error::Manifest(format!(
                    "the authenticator `{other}` is not supported (NoAuth, ApiKeyAuthenticator, BearerAuthenticator, BasicHttpAuthenticator, OAuthAuthenticator, SessionTokenAuthenticator, SelectiveAuthenticator are)"
                )));
            }
        }
        out.secrets.retain(|s| !s.is_empty());
        Ok(out)
    }
}

/// What an authenticator's templates see: `config` and its `parameters`.
pub(crate) fn template_context(auth: &Value, config: &Value) -> Map<String, Value> {
    let mut context = Map::new();
    context.insert("config".into(), config.clone());
    context.insert(
        "parameters".into(),
        auth.get("$parameters")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
    );
    context
}

/// The options that carry `token` where `option` says.
pub(crate) fn inject_token(
    option: &RequestOption,
    token: String,
    jinja: &Jinja,
    config: &Value,
) -> Result<RequestOptions, Error> {
    let mut options = RequestOptions::default();
    let target = match option.inject_into {
        InjectInto::RequestParameter => &mut options.params,
        InjectInto::Header => &mut options.headers,
        InjectInto::BodyData => &mut options.body_data,
        InjectInto::BodyJson => &mut options.body_json,
    };
    option.inject(target, Value::String(token), jinja, config)?;
    Ok(options)
}

/// `SelectiveAuthenticator`: `authenticators[str(config at path)]`.
fn selected<'a>(auth: &'a Value, config: &Value) -> Result<&'a Value, Error> {
    let Some(Value::Array(path)) = auth.get("authenticator_selection_path") else {
        return Err(Error::Manifest(
            "SelectiveAuthenticator has no `authenticator_selection_path` list".into(),
        ));
    };
    let mut at = config;
    for key in path {
        let key = key.as_str().unwrap_or_default();
        at = at.get(key).ok_or_else(|| {
            Error::Manifest(format!(
                "The path from `authenticator_selection_path` is not found in the config: {key}"
            ))
        })?;
    }
    let name = match at {
        Value::String(s) => s.clone(),
        other => python_str(other),
    };
    auth.get("authenticators")
        .and_then(|a| a.get(&name))
        .ok_or_else(|| Error::Manifest(format!("The authenticator `{name}` is not found.")))
}
