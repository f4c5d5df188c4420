//! A config value that never shows itself.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret string: its `Debug` and `Display` print `**********`, and its
/// JSON Schema is marked `airbyte_secret`, so the platform masks it too.
///
/// ```
/// use airbyte_sdk::Secret;
/// let password: Secret = serde_json::from_str(r#""hunter2""#).unwrap();
/// assert_eq!(format!("{password:?} {password}"), "Secret(**********) **********");
/// assert_eq!(password.expose(), "hunter2");
/// let schema = schemars::schema_for!(Secret);
/// assert_eq!(schema.get("airbyte_secret"), Some(&serde_json::json!(true)));
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself: use it only where it is needed (a connection string).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", crate::mask::MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::mask::MASK)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// Serializes the real value: configs are written back to the platform (CONTROL messages).
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl schemars::JsonSchema for Secret {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Secret")
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "airbyte_secret": true })
    }
}
