//! Raw JSON carried through unchanged: record data, schemas, state blobs.

use std::fmt;

use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Any JSON value kept as its original text.
///
/// Numbers, key order and escapes pass through byte for byte, so a
/// 40-digit NUMERIC from PostgreSQL survives a parse and a write.
///
/// ```
/// use airbyte_protocol::RawJson;
///
/// let raw: RawJson = serde_json::from_str("1234567890123456789012345678901234567890.5").unwrap();
/// assert_eq!(raw.as_str(), "1234567890123456789012345678901234567890.5");
/// assert_eq!(serde_json::to_string(&raw).unwrap(), raw.as_str());
/// ```
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Wraps JSON text after checking that it is one valid JSON value.
    pub fn from_string(json: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(json).map(RawJson)
    }

    /// Serializes `value` once and keeps the text.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(RawJson)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// Parses the text as `T`, on demand.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }

    /// Parses the text into a [`serde_json::Value`] (numbers beyond `f64` lose precision).
    pub fn to_value(&self) -> serde_json::Value {
        // The text was validated when this value was built, so this cannot fail.
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }

    /// The inner [`RawValue`].
    pub fn as_raw_value(&self) -> &RawValue {
        &self.0
    }
}

impl From<Box<RawValue>> for RawJson {
    fn from(value: Box<RawValue>) -> Self {
        RawJson(value)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RawJson {}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(RawJson)
    }
}

/// A JSON object kept as its original text: record `data`, stream
/// `json_schema`, state blobs, `connectionSpecification`.
///
/// Deserializing anything but an object is an error, as the schema requires.
///
/// ```
/// use airbyte_protocol::JsonObject;
///
/// let obj = JsonObject::from_string(r#"{"id":1,"n":0.10}"#.to_owned()).unwrap();
/// #[derive(serde::Deserialize)]
/// struct Row { id: i64 }
/// assert_eq!(obj.parse::<Row>().unwrap().id, 1);
/// assert!(JsonObject::from_string("[1]".to_owned()).is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct JsonObject(RawJson);

impl JsonObject {
    /// Wraps JSON text after checking that it is one JSON object.
    pub fn from_string(json: String) -> Result<Self, serde_json::Error> {
        Self::check(RawJson::from_string(json)?)
    }

    /// Serializes `value`, which must serialize to an object.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        Self::check(RawJson::from_serialize(value)?)
    }

    /// An empty object, `{}`.
    pub fn empty() -> Self {
        JsonObject(RawJson(
            RawValue::from_string("{}".to_owned()).unwrap_or_else(|_| unreachable!()),
        ))
    }

    fn check(raw: RawJson) -> Result<Self, serde_json::Error> {
        if raw.as_str().trim_start().starts_with('{') {
            Ok(JsonObject(raw))
        } else {
            Err(de::Error::invalid_type(
                de::Unexpected::Other("a non-object JSON value"),
                &"a JSON object",
            ))
        }
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Parses the object as `T`, on demand.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        self.0.parse()
    }

    /// Parses the object into a JSON map (numbers beyond `f64` lose precision).
    pub fn to_map(&self) -> serde_json::Map<String, serde_json::Value> {
        self.parse().unwrap_or_default()
    }

    /// The raw JSON.
    pub fn as_raw(&self) -> &RawJson {
        &self.0
    }
}

impl Default for JsonObject {
    fn default() -> Self {
        JsonObject::empty()
    }
}

impl fmt::Debug for JsonObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for JsonObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<serde_json::Value> for JsonObject {
    type Error = serde_json::Error;
    fn try_from(value: serde_json::Value) -> Result<Self, Self::Error> {
        JsonObject::from_serialize(&value)
    }
}

impl TryFrom<RawJson> for JsonObject {
    type Error = serde_json::Error;
    fn try_from(value: RawJson) -> Result<Self, Self::Error> {
        JsonObject::check(value)
    }
}

impl Serialize for JsonObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawJson::deserialize(deserializer)?;
        JsonObject::check(raw).map_err(|_| {
            de::Error::invalid_type(
                de::Unexpected::Other("a non-object value"),
                &"a JSON object",
            )
        })
    }
}
