//! `SessionTokenAuthenticator`: a login request gives a session token
//! (read at `session_token_path`), which each request carries as a bearer
//! token or as an API key (`api_token`, default `{{ session_token }}`).
//! Without `expiration_duration` it logs in before every request, as the
//! CDK does; with one, the token is kept until it expires.

use serde_json::{Map, Value};

use super::dates::now;
use super::shared::mask_secret;
use super::{StaticAuth, inject_token};
use crate::datetime::DateTime;
use crate::error::Error;
use crate::incremental::Gap;
use crate::interpolation::{Jinja, python_str};
use crate::records::decode_json;
use crate::requester::{
    HttpRequester, RequestContext, RequestOption, RequestOptions, RequestSources,
};
use crate::retriever::{Answer, Timeouts, Transport};

/// How each request carries the token.
#[derive(Debug)]
enum Carry {
    Bearer,
    ApiKey {
        option: RequestOption,
        template: String,
    },
}

/// A `SessionTokenAuthenticator`, shared by every stream of a sync.
pub struct SessionToken {
    login: HttpRequester,
    login_auth: StaticAuth,
    path: Vec<String>,
    expiration: Option<Gap>,
    carry: Carry,
    parameters: Value,
    config: Value,
    jinja: Jinja,
    transport: Transport,
    token: tokio::sync::Mutex<Option<(Value, DateTime)>>,
}

/// Shows the login request, never a token.
impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionToken")
            .field("login", &self.login.path)
            .field("session_token_path", &self.path)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl SessionToken {
    /// Builds it from its mapping (`type: SessionTokenAuthenticator`).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::auth::SessionToken;
    /// use source_http::interpolation::Jinja;
    /// let mapping = json!({"type": "SessionTokenAuthenticator",
    ///     "login_requester": {"type": "HttpRequester", "url_base": "http://127.0.0.1:9", "path": "/login", "http_method": "POST"},
    ///     "session_token_path": ["token"], "expiration_duration": "PT1H",
    ///     "request_authentication": {"type": "Bearer"}});
    /// assert!(SessionToken::from_manifest(&mapping, &Jinja::new(), &json!({})).is_ok());
    /// let no_path = json!({"type": "SessionTokenAuthenticator", "login_requester": mapping["login_requester"]});
    /// assert!(SessionToken::from_manifest(&no_path, &Jinja::new(), &json!({})).is_err());
    /// ```
    pub fn from_manifest(
        auth: &Value,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<SessionToken, Error> {
        let missing =
            |what: &str| Error::Manifest(format!("SessionTokenAuthenticator has no `{what}`"));
        match auth
            .get("decoder")
            .and_then(|d| d.get("type"))
            .and_then(Value::as_str)
        {
            None | Some("JsonDecoder") => {}
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "SessionTokenAuthenticator: the decoder `{other}` is not supported (JsonDecoder is)"
                )));
            }
        }
        let login = HttpRequester::from_manifest(
            auth.get("login_requester")
                .ok_or_else(|| missing("login_requester"))?,
            jinja,
            config,
        )?;
        let login_auth = StaticAuth::from_manifest(login.authenticator.as_ref(), jinja, config)?;
        login_auth.secrets.iter().for_each(|s| mask_secret(s));
        let path = match auth.get("session_token_path") {
            Some(Value::Array(keys)) => keys
                .iter()
                .map(|k| k.as_str().map_or_else(|| python_str(k), str::to_owned))
                .collect(),
            _ => return Err(missing("session_token_path")),
        };
        let expiration = match auth.get("expiration_duration") {
            Some(Value::String(d)) if !d.is_empty() => Some(Gap::parse(d).map_err(|e| {
                Error::Manifest(format!(
                    "SessionTokenAuthenticator.expiration_duration: {e}"
                ))
            })?),
            _ => None,
        };
        let how = auth
            .get("request_authentication")
            .ok_or_else(|| missing("request_authentication"))?;
        let carry = match how.get("type").and_then(Value::as_str) {
            Some("Bearer") => Carry::Bearer,
            Some("ApiKey") => Carry::ApiKey {
                option: RequestOption::from_manifest(
                    how.get("inject_into")
                        .ok_or_else(|| missing("request_authentication.inject_into"))?,
                )?,
                template: how
                    .get("api_token")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                    .unwrap_or("{{ session_token }}")
                    .to_owned(),
            },
            other => {
                return Err(Error::Manifest(format!(
                    "SessionTokenAuthenticator: the request_authentication {} is not supported (ApiKey, Bearer are)",
                    other.unwrap_or("without a type")
                )));
            }
        };
        let timeouts = Timeouts {
            connect: login.connect_timeout,
            read: login.read_timeout,
        };
        Ok(SessionToken {
            transport: Transport::new(1, &login_auth.secrets, timeouts)?,
            login,
            login_auth,
            path,
            expiration,
            carry,
            parameters: auth
                .get("$parameters")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
            config: config.clone(),
            jinja: Jinja::new(),
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// What a request carries: the token, after a login if there is none
    /// valid (always, without `expiration_duration`).
    pub async fn options(&self) -> Result<RequestOptions, Error> {
        let token = self.token().await?;
        let mut options = RequestOptions::default();
        match &self.carry {
            Carry::Bearer => {
                options.headers.insert(
                    "Authorization".into(),
                    Value::String(format!("Bearer {}", text(&token))),
                );
            }
            Carry::ApiKey { option, template } => {
                let mut context = Map::new();
                context.insert("config".into(), self.config.clone());
                context.insert("parameters".into(), self.parameters.clone());
                context.insert("session_token".into(), token);
                let value = python_str(&self.jinja.string(template, &context)?);
                mask_secret(&value);
                options = inject_token(option, value, &self.jinja, &self.config)?;
            }
        }
        Ok(options)
    }

    async fn token(&self) -> Result<Value, Error> {
        let Some(expiration) = self.expiration else {
            return self.log_in().await;
        };
        let mut kept = self.token.lock().await;
        if let Some((token, expires_at)) = kept.as_ref()
            && *expires_at >= now()
        {
            return Ok(token.clone());
        }
        let token = self.log_in().await?;
        let expires_at = expiration
            .add_to(now())
            .map_err(|e| Error::Read(format!("the session token's expiry: {e}")))?;
        *kept = Some((token.clone(), expires_at));
        Ok(token)
    }

    /// The login request; the token in its answer.
    async fn log_in(&self) -> Result<Value, Error> {
        let none = RequestOptions::default();
        let context = RequestContext {
            config: &self.config,
            stream_slice: None,
            extra_fields: None,
            next_page_token: None,
        };
        let parts = self.login.build(
            &self.jinja,
            &context,
            RequestSources {
                paginator: &none,
                paginator_path: None,
                slicer: &none,
                auth: &self.login_auth.options,
            },
        )?;
        let answer = self
            .transport
            .send(
                &parts,
                &self.login.error_handler,
                &self.jinja,
                &self.config,
                &mut || Ok(()),
            )
            .await?;
        let Answer::Success(fetched) = answer else {
            return Err(Error::Request {
                kind: "ReadException".into(),
                message: "Failed to get session token, response got ignored by requester".into(),
            });
        };
        let body = decode_json(&fetched.body)
            .into_iter()
            .next()
            .unwrap_or(Value::Null);
        let token = self
            .path
            .iter()
            .try_fold(&body, |at, key| match at {
                Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => at.get(key),
            })
            .cloned()
            .ok_or_else(|| Error::Request {
                kind: "KeyError".into(),
                message: format!("'{}'", self.path.join("/")),
            })?;
        mask_secret(&text(&token));
        Ok(token)
    }
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| python_str(value), str::to_owned)
}
