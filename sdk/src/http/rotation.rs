//! Token rotation: a refresh that returns a new refresh token must reach
//! the platform as a CONTROL message of type `CONNECTOR_CONFIG` carrying the
//! whole updated config, or the next sync starts from a spent token.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use airbyte_protocol::{AirbyteControlMessage, AirbyteMessage, JsonObject};
use serde_json::Value;

use crate::emit::now_ms;
use crate::error::Error;
use crate::secret::Secret;
use crate::source::{SourceOutput, StreamOutput};
use crate::value::Range;
use crate::value::temporal::{self, Timestamp};

/// What a token refresh produced.
#[derive(Debug, Clone)]
pub struct TokenRefresh {
    /// The new access token.
    pub access_token: Secret,
    /// When it expires.
    pub expires_at: SystemTime,
    /// The refresh token to use next: the one the server returned, or the
    /// one in use if it returned none.
    pub refresh_token: Secret,
    /// Whether the server returned a refresh token different from the one used.
    pub rotated: bool,
}

/// Told of every refresh (so a rotated refresh token can be stored).
pub trait RefreshHandler: Send + Sync {
    /// Called after each refresh, before the new token is used; an error
    /// fails the request that needed the token.
    fn refreshed(&self, refresh: &TokenRefresh) -> Result<(), Error>;
}

impl<F: Fn(&TokenRefresh) -> Result<(), Error> + Send + Sync> RefreshHandler for F {
    fn refreshed(&self, refresh: &TokenRefresh) -> Result<(), Error> {
        self(refresh)
    }
}

/// The CONTROL message that asks the platform to store `config` (the whole
/// config, as the connector read it, with the updated fields).
///
/// ```
/// use airbyte_sdk::http::connector_config_message;
/// use airbyte_sdk::serde_json::json;
///
/// let message = connector_config_message(&json!({"credentials": {"refresh_token": "new"}})).unwrap();
/// let line = airbyte_sdk::serde_json::to_string(&message).unwrap();
/// assert!(line.starts_with(r#"{"type":"CONTROL","control":{"type":"CONNECTOR_CONFIG","#), "{line}");
/// assert!(line.contains(r#""connectorConfig":{"config":{"credentials":{"refresh_token":"new"}}}"#), "{line}");
/// ```
pub fn connector_config_message(config: &Value) -> Result<AirbyteMessage, Error> {
    let config = JsonObject::from_serialize(config)
        .map_err(|e| Error::system("a connector config must be a JSON object").with_source(e))?;
    Ok(AirbyteControlMessage::connector_config(now_ms() as f64, config).into())
}

/// Keeps the connector's config up to date with each refresh and queues
/// the CONTROL message that stores it: the refresh token (and, unless
/// turned off, the access token and its expiry) are written at JSON
/// pointers into the config, and a message is queued whenever that changed
/// the config. Give it to the OAuth authenticator as its
/// [`RefreshHandler`], and emit what it queued after each request with
/// [`ConfigRotation::emit`].
///
/// The pointers default to the CDK's: `/credentials/refresh_token`,
/// `/credentials/access_token`, `/credentials/token_expiry_date`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use airbyte_sdk::http::{ConfigRotation, RefreshHandler, TokenRefresh};
/// use airbyte_sdk::serde_json::json;
/// use airbyte_sdk::Secret;
///
/// let rotation = ConfigRotation::new(json!({"credentials": {"refresh_token": "old"}, "start": "2024"}))
///     .access_token_at(None)
///     .expiry_at(None);
/// assert_eq!(rotation.refresh_token().as_deref(), Some("old"));
/// let refresh = |token: &str| TokenRefresh {
///     access_token: Secret::new("a"),
///     expires_at: UNIX_EPOCH + Duration::from_secs(3600),
///     refresh_token: Secret::new(token),
///     rotated: token != "old",
/// };
/// rotation.refreshed(&refresh("old")).unwrap();
/// assert!(rotation.take_messages().is_empty()); // nothing changed
/// rotation.refreshed(&refresh("new")).unwrap();
/// let messages = rotation.take_messages();
/// assert_eq!(messages.len(), 1);
/// let config = messages[0].control.as_ref().unwrap().connector_config.as_ref().unwrap();
/// assert_eq!(config.config.as_str(), r#"{"credentials":{"refresh_token":"new"},"start":"2024"}"#);
/// ```
pub struct ConfigRotation {
    config: Mutex<Value>,
    refresh_token_at: String,
    access_token_at: Option<String>,
    expiry_at: Option<String>,
    pending: Mutex<Vec<AirbyteMessage>>,
}

/// Shows the pointers, never the config (it holds secrets).
impl std::fmt::Debug for ConfigRotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigRotation")
            .field("refresh_token_at", &self.refresh_token_at)
            .field("access_token_at", &self.access_token_at)
            .field("expiry_at", &self.expiry_at)
            .finish_non_exhaustive()
    }
}

impl ConfigRotation {
    /// Tracks `config` (the whole config the connector read).
    pub fn new(config: Value) -> Self {
        ConfigRotation {
            config: Mutex::new(config),
            refresh_token_at: "/credentials/refresh_token".to_owned(),
            access_token_at: Some("/credentials/access_token".to_owned()),
            expiry_at: Some("/credentials/token_expiry_date".to_owned()),
            pending: Mutex::new(Vec::new()),
        }
    }

    /// Where the refresh token lives (a JSON pointer).
    #[must_use]
    pub fn refresh_token_at(mut self, pointer: &str) -> Self {
        self.refresh_token_at = pointer.to_owned();
        self
    }

    /// Where the access token is stored, or `None` not to store it.
    #[must_use]
    pub fn access_token_at(mut self, pointer: Option<&str>) -> Self {
        self.access_token_at = pointer.map(str::to_owned);
        self
    }

    /// Where the access token's expiry (RFC 3339) is stored, or `None`.
    #[must_use]
    pub fn expiry_at(mut self, pointer: Option<&str>) -> Self {
        self.expiry_at = pointer.map(str::to_owned);
        self
    }

    fn with_config<T>(&self, f: impl FnOnce(&mut Value) -> T) -> Result<T, Error> {
        let mut config = self
            .config
            .lock()
            .map_err(|_| Error::system("the config rotation was poisoned by a panic"))?;
        Ok(f(&mut config))
    }

    fn string_at(&self, pointer: Option<&str>) -> Option<String> {
        let pointer = pointer?;
        self.with_config(|c| {
            c.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .ok()
        .flatten()
        .filter(|s| !s.is_empty())
    }

    /// The config as it is now.
    pub fn config(&self) -> Result<Value, Error> {
        self.with_config(|c| c.clone())
    }

    /// The refresh token in the config.
    pub fn refresh_token(&self) -> Option<String> {
        self.string_at(Some(&self.refresh_token_at))
    }

    /// The access token in the config, with its expiry, if both are stored
    /// (to start with them instead of refreshing at once).
    pub fn access_token(&self) -> Option<(String, SystemTime)> {
        let token = self.string_at(self.access_token_at.as_deref())?;
        let expiry = self.string_at(self.expiry_at.as_deref())?;
        Some((token, parse_expiry(&expiry)?))
    }

    /// The CONTROL messages queued since the last call.
    pub fn take_messages(&self) -> Vec<AirbyteMessage> {
        self.pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }

    /// Emits the queued messages through a stream's output (they are
    /// flushed with the stream's next state).
    pub fn emit(&self, out: &mut StreamOutput) -> Result<(), Error> {
        self.take_messages()
            .into_iter()
            .try_for_each(|m| out.message(m))
    }

    /// Emits the queued messages through a source's output, and flushes.
    pub fn emit_to_source(&self, out: &SourceOutput) -> Result<(), Error> {
        self.take_messages()
            .into_iter()
            .try_for_each(|m| out.emitter.message_flush(m))
    }
}

impl RefreshHandler for ConfigRotation {
    fn refreshed(&self, refresh: &TokenRefresh) -> Result<(), Error> {
        let mut updates = vec![(
            self.refresh_token_at.as_str(),
            Value::from(refresh.refresh_token.expose()),
        )];
        if let Some(at) = &self.access_token_at {
            updates.push((at, Value::from(refresh.access_token.expose())));
        }
        if let Some(at) = &self.expiry_at {
            updates.push((at, Value::from(format_expiry(refresh.expires_at))));
        }
        let message = self.with_config(|config| {
            let before = config.clone();
            for (pointer, value) in updates {
                set_pointer(config, pointer, value)?;
            }
            if *config == before {
                Ok(None)
            } else {
                connector_config_message(config).map(Some)
            }
        })??;
        if let Some(message) = message {
            self.pending
                .lock()
                .map_err(|_| Error::system("the config rotation was poisoned by a panic"))?
                .push(message);
        }
        Ok(())
    }
}

/// An expiry as RFC 3339 in UTC, to the second.
fn format_expiry(at: SystemTime) -> String {
    let seconds = match at.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    Timestamp { seconds, nanos: 0 }.rfc3339(0).to_string()
}

/// An expiry read back (RFC 3339; a date alone is its midnight).
fn parse_expiry(text: &str) -> Option<SystemTime> {
    let t = temporal::timestamp_tz(text, &Range::POSTGRES)?;
    let secs = std::time::Duration::from_secs(u64::try_from(t.seconds).ok()?);
    Some(UNIX_EPOCH + secs + std::time::Duration::from_nanos(u64::from(t.nanos)))
}

/// Sets the value at a JSON pointer, creating objects on the way.
fn set_pointer(root: &mut Value, pointer: &str, value: Value) -> Result<(), Error> {
    if pointer.is_empty() {
        return Err(Error::system("a config pointer must name a field"));
    }
    let Some(path) = pointer.strip_prefix('/') else {
        return Err(Error::system(format!(
            "`{pointer}` is not a JSON pointer (it must start with `/`)"
        )));
    };
    let keys: Vec<String> = path
        .split('/')
        .map(|k| k.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut node = root;
    for (i, key) in keys.iter().enumerate() {
        if node.is_null() {
            *node = Value::Object(Default::default());
        }
        let Some(object) = node.as_object_mut() else {
            return Err(Error::system(format!(
                "the config at `{pointer}` is not inside an object"
            )));
        };
        if i + 1 == keys.len() {
            object.insert(key.clone(), value);
            return Ok(());
        }
        node = object.entry(key.clone()).or_insert(Value::Null);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_create_objects() -> Result<(), Error> {
        let mut config = serde_json::json!({"a": 1});
        set_pointer(&mut config, "/credentials/x~1y", Value::from("v"))?;
        assert_eq!(
            config,
            serde_json::json!({"a": 1, "credentials": {"x/y": "v"}})
        );
        assert!(set_pointer(&mut config, "/a/b", Value::Null).is_err());
        assert!(set_pointer(&mut config, "a", Value::Null).is_err());
        Ok(())
    }

    #[test]
    fn expiry_round_trips() {
        let at = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        assert_eq!(format_expiry(at), "2023-11-14T22:13:20Z");
        assert_eq!(parse_expiry(&format_expiry(at)), Some(at));
    }
}
