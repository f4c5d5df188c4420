//! The machinery shared by every protocol object: lossless unknown keys and
//! the `wire_struct!` macro that writes the `Serialize`/`Deserialize` pair.
//!
//! serde's `#[serde(flatten)]` would keep unknown keys, but it buffers them
//! through an intermediate representation that turns big numbers into `f64`
//! and cannot hold a [`RawValue`]. The generated impls below instead visit
//! the JSON object directly: known keys go to typed fields, every other key
//! is kept as raw JSON text in [`Extra`], and written back unchanged.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::value::RawValue;

use crate::raw::RawJson;

/// The properties of a protocol object that this crate does not know,
/// kept in arrival order as raw JSON so they are written back byte for byte.
///
/// The platform relies on this: it adds an integer `id` to every STATE it
/// sends a destination and reads it back from the echo.
///
/// ```
/// use airbyte_protocol::AirbyteStateMessage;
///
/// let state: AirbyteStateMessage =
///     serde_json::from_str(r#"{"type":"STREAM","id":42,"x":{"big":1e400}}"#).unwrap();
/// assert_eq!(state.extra.get("id").map(|v| v.as_str()), Some("42"));
/// assert_eq!(state.extra.get_as::<i64>("id").unwrap(), Some(42));
/// assert_eq!(
///     serde_json::to_string(&state).unwrap(),
///     r#"{"type":"STREAM","id":42,"x":{"big":1e400}}"#
/// );
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Extra(Vec<(String, RawJson)>);

impl Extra {
    /// No unknown properties.
    pub const fn new() -> Self {
        Extra(Vec::new())
    }

    /// Whether there are no unknown properties.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many unknown properties there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The raw JSON of property `key`, if present.
    pub fn get(&self, key: &str) -> Option<&RawJson> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Property `key` parsed as `T`; `Ok(None)` if absent.
    pub fn get_as<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, serde_json::Error> {
        self.get(key).map(RawJson::parse).transpose()
    }

    /// Sets property `key`, replacing an earlier value in place.
    pub fn insert(&mut self, key: impl Into<String>, value: RawJson) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// Removes property `key` and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<RawJson> {
        let pos = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(pos).1)
    }

    /// The properties in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawJson)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    #[doc(hidden)]
    pub fn __push(&mut self, key: Key<'_>, value: Box<RawValue>) {
        self.insert(key.into_owned(), RawJson::from(value));
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, v.as_str())))
            .finish()
    }
}

/// An object key, borrowed from the input when it has no escapes.
#[doc(hidden)]
pub enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    #[doc(hidden)]
    pub fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    fn into_owned(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Declares a protocol object with typed fields for the keys the schema
/// names (`req` for required, `opt` for optional) and an `extra` field that
/// keeps every other key. Optional fields are omitted when `None` and accept
/// `null` on input.
macro_rules! wire_struct {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $(
                $(#[$fattr:meta])*
                $key:literal => $kind:ident $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $(
                $(#[$fattr])*
                pub $field: wire_struct!(@ty $kind $ty),
            )*
            /// Properties not in the schema, kept and written back unchanged.
            pub extra: $crate::wire::Extra,
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                $( wire_struct!(@ser $kind map, $key, &self.$field); )*
                for (key, value) in self.extra.iter() {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct WireVisitor;
                impl<'de> ::serde::de::Visitor<'de> for WireVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("an object (", stringify!($name), ")"))
                    }
                    #[allow(non_snake_case)]
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut access: A) -> Result<$name, A::Error> {
                        $( let mut $field: Option<$ty> = None; )*
                        let mut extra = $crate::wire::Extra::new();
                        while let Some(key) = access.next_key::<$crate::wire::Key<'de>>()? {
                            match key.as_str() {
                                $( $key => { $field = wire_struct!(@de $kind access, $ty); } )*
                                _ => {
                                    let value: Box<::serde_json::value::RawValue> = access.next_value()?;
                                    extra.__push(key, value);
                                }
                            }
                        }
                        Ok($name {
                            $( $field: wire_struct!(@finish $kind $field, $key), )*
                            extra,
                        })
                    }
                }
                deserializer.deserialize_map(WireVisitor)
            }
        }
    };
    (@ty req $ty:ty) => { $ty };
    (@ty opt $ty:ty) => { Option<$ty> };
    (@ser req $map:ident, $key:literal, $value:expr) => { $map.serialize_entry($key, $value)?; };
    (@ser opt $map:ident, $key:literal, $value:expr) => {
        if let Some(value) = $value { $map.serialize_entry($key, value)?; }
    };
    (@de req $access:ident, $ty:ty) => { Some($access.next_value::<$ty>()?) };
    (@de opt $access:ident, $ty:ty) => { $access.next_value::<Option<$ty>>()? };
    (@finish req $field:ident, $key:literal) => {
        $field.ok_or_else(|| <A::Error as ::serde::de::Error>::missing_field($key))?
    };
    (@finish opt $field:ident, $key:literal) => { $field };
}

pub(crate) use wire_struct;
