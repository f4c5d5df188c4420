//! Record transformations, as the CDK applies a stream's `transformations`:
//! in list order, each mutating the record in place.
//!
//! - [`AddFields`], [`RemoveFields`], [`KeysReplace`], [`DpathFlattenFields`];
//! - [`keys_to_lower`], [`keys_to_snake_case`], [`flatten_fields`];
//! - [`dpath`]: the path operations they share with the partition routers.

mod add_fields;
pub mod dpath;
mod flatten;
mod keys;
mod remove_fields;

pub(crate) use add_fields::eval_typed;
pub use add_fields::{AddFields, AddedField, ValueType};
pub use flatten::{DpathFlattenFields, flatten_fields};
pub use keys::{KeysReplace, keys_to_lower, keys_to_snake_case, snake_key};
pub use remove_fields::RemoveFields;

use serde_json::Value;

use crate::error::Error;
use crate::incremental::{boolean, expect_component};
use crate::interpolation::{Jinja, python_str};

/// One transformation of a stream's `transformations`.
#[derive(Debug, Clone, PartialEq)]
pub enum Transformation {
    /// `AddFields`.
    AddFields(AddFields),
    /// `RemoveFields`.
    RemoveFields(RemoveFields),
    /// `KeysToLower`.
    KeysToLower,
    /// `KeysToSnakeCase`.
    KeysToSnakeCase,
    /// `KeysReplace`.
    KeysReplace(KeysReplace),
    /// `FlattenFields` with its `flatten_lists`.
    FlattenFields(bool),
    /// `DpathFlattenFields`.
    DpathFlattenFields(DpathFlattenFields),
}

impl Transformation {
    /// A transformation from its mapping; an unknown type is refused.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::transform::Transformation;
    /// assert_eq!(Transformation::from_manifest(&json!({"type": "KeysToLower"})).unwrap(), Transformation::KeysToLower);
    /// assert!(Transformation::from_manifest(&json!({"type": "CustomTransformation"})).is_err());
    /// ```
    pub fn from_manifest(value: &Value) -> Result<Transformation, Error> {
        const TYPES: [&str; 7] = [
            "AddFields",
            "RemoveFields",
            "KeysToLower",
            "KeysToSnakeCase",
            "KeysReplace",
            "FlattenFields",
            "DpathFlattenFields",
        ];
        let map = expect_component(value, &TYPES).map_err(|e| {
            Error::Manifest(format!(
                "{e} (source-http has the transformations {})",
                TYPES.join(", ")
            ))
        })?;
        Ok(match map.get("type").and_then(Value::as_str) {
            Some("AddFields") => Transformation::AddFields(AddFields::from_manifest(value)?),
            Some("RemoveFields") => {
                Transformation::RemoveFields(RemoveFields::from_manifest(value)?)
            }
            Some("KeysToLower") => Transformation::KeysToLower,
            Some("KeysToSnakeCase") => Transformation::KeysToSnakeCase,
            Some("KeysReplace") => Transformation::KeysReplace(KeysReplace::from_manifest(value)?),
            Some("FlattenFields") => {
                Transformation::FlattenFields(boolean(map, "flatten_lists")?.unwrap_or(true))
            }
            _ => Transformation::DpathFlattenFields(DpathFlattenFields::from_manifest(value)?),
        })
    }

    /// A stream's `transformations` list (absent: none).
    pub fn list_from_manifest(value: Option<&Value>) -> Result<Vec<Transformation>, Error> {
        match value {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items.iter().map(Transformation::from_manifest).collect(),
            Some(other) => Err(Error::Manifest(format!(
                "`transformations` must be a list, got {}",
                python_str(other)
            ))),
        }
    }

    /// Applies the transformation to `record` (`slice`: the stream slice's
    /// mapping, or null).
    pub fn apply(
        &self,
        jinja: &Jinja,
        record: &mut Value,
        config: &Value,
        slice: &Value,
    ) -> Result<(), Error> {
        match self {
            Transformation::AddFields(t) => t.transform(jinja, record, config, slice),
            Transformation::RemoveFields(t) => t.transform(jinja, record, config),
            Transformation::KeysToLower => {
                keys_to_lower(record);
                Ok(())
            }
            Transformation::KeysToSnakeCase => {
                keys_to_snake_case(record);
                Ok(())
            }
            Transformation::KeysReplace(t) => t.transform(jinja, record, config, slice),
            Transformation::FlattenFields(lists) => {
                flatten_fields(record, *lists);
                Ok(())
            }
            Transformation::DpathFlattenFields(t) => t.transform(jinja, record, config),
        }
    }
}

/// Applies `transformations` in order.
///
/// ```
/// use serde_json::json;
/// use source_http::interpolation::Jinja;
/// use source_http::transform::{apply_all, Transformation};
/// let list = Transformation::list_from_manifest(Some(&json!([
///     {"type": "KeysToSnakeCase"},
///     {"type": "RemoveFields", "field_pointers": [["user_id"]]},
/// ]))).unwrap();
/// let mut record = json!({"UserId": 1, "Name": "x"});
/// apply_all(&list, &Jinja::new(), &mut record, &json!({}), &json!(null)).unwrap();
/// assert_eq!(record, json!({"name": "x"}));
/// ```
pub fn apply_all(
    transformations: &[Transformation],
    jinja: &Jinja,
    record: &mut Value,
    config: &Value,
    slice: &Value,
) -> Result<(), Error> {
    transformations
        .iter()
        .try_for_each(|t| t.apply(jinja, record, config, slice))
}
