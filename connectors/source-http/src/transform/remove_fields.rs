//! `RemoveFields`: `dpath.delete` of each field pointer (globs allowed);
//! a pointer that matches nothing is skipped.

use serde_json::{Map, Value};

use super::dpath::{self, DeleteError, Glob};
use crate::error::Error;
use crate::incremental::{context, expect_component, string, string_items};
use crate::interpolation::Jinja;

/// A `RemoveFields` transformation.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoveFields {
    /// The pointers: paths of key globs.
    pub field_pointers: Vec<Vec<Glob>>,
    /// With a condition (ctx `property`: a leaf's value), dpath removes
    /// every leaf of the record the condition holds for, wherever it is:
    /// the pointers then only count how often that is done.
    pub condition: String,
}

impl RemoveFields {
    /// From a `RemoveFields` mapping.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::transform::RemoveFields;
    /// let remove = RemoveFields::from_manifest(&json!({"type": "RemoveFields",
    ///     "field_pointers": [["a", "*", "secret"], ["missing"]]})).unwrap();
    /// let mut record = json!({"a": [{"secret": 1, "k": 2}, {"secret": 3}], "b": 4});
    /// remove.transform(&Jinja::new(), &mut record, &json!({})).unwrap();
    /// assert_eq!(record, json!({"a": [{"k": 2}, {}], "b": 4}));
    /// ```
    pub fn from_manifest(value: &Value) -> Result<RemoveFields, Error> {
        let map = expect_component(value, &["RemoveFields"])?;
        let pointers = match map.get("field_pointers") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|pointer| {
                    string_items(pointer, "field_pointers")
                        .map(|segments| segments.into_iter().map(Glob::Text).collect())
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                return Err(Error::Manifest(
                    "RemoveFields requires a list `field_pointers`".into(),
                ));
            }
        };
        Ok(RemoveFields {
            field_pointers: pointers,
            condition: string(map, "condition")?.unwrap_or_default(),
        })
    }

    /// Removes the fields from `record`.
    pub fn transform(
        &self,
        jinja: &Jinja,
        record: &mut Value,
        config: &Value,
    ) -> Result<(), Error> {
        let parameters = Map::new();
        for pointer in &self.field_pointers {
            let mut condition = |property: &Value| {
                let context = context(config, &parameters, [("property", property.clone())]);
                jinja.boolean(&self.condition, &context)
            };
            let filter: Option<dpath::Filter<'_>> = if self.condition.is_empty() {
                None
            } else {
                Some(&mut condition)
            };
            match dpath::delete(record, pointer, filter) {
                Ok(_) | Err(DeleteError::NotFound) => {}
                Err(DeleteError::Failed(e)) => return Err(e),
            }
        }
        Ok(())
    }
}
