//! `FlattenFields` (the whole record one level deep, keys joined with `.`)
//! and `DpathFlattenFields` (one mapping of the record lifted to its top).

use serde_json::{Map, Value};

use super::dpath::{self, DeleteError, Glob};
use crate::error::Error;
use crate::incremental::{boolean, context, expect_component, parameters, string, string_items};
use crate::interpolation::{Jinja, python_str, truthy};

/// `FlattenFields`: nested keys become `parent.key` when the key is
/// already taken (or once a list was flattened), list items `parent.i`.
/// The CDK's names depend on its key order; keys are sorted here, so
/// names agree for records whose keys come sorted.
///
/// ```
/// use serde_json::json;
/// let mut record = json!({"a": {"b": 1, "c": {"d": 2}}, "e": 3});
/// source_http::transform::flatten_fields(&mut record, true);
/// assert_eq!(record, json!({"b": 1, "d": 2, "e": 3}));
/// // Once a list is flattened, every later key keeps its parents' names.
/// let mut record = json!({"a": {"b": 1, "c": {"d": 2}}, "e": [3]});
/// source_http::transform::flatten_fields(&mut record, true);
/// assert_eq!(record, json!({"a.b": 1, "a.c.d": 2, "e.0": 3}));
/// ```
pub fn flatten_fields(record: &mut Value, flatten_lists: bool) {
    let Value::Object(_) = record else { return };
    let mut stack = vec![(std::mem::take(record), "_".to_owned())];
    let mut out = Map::new();
    let mut with_parent = false;
    while let Some((current, parent)) = stack.pop() {
        match current {
            Value::Object(map) => {
                for (key, value) in map {
                    let name = if with_parent || out.contains_key(&key) {
                        format!("{parent}.{key}")
                    } else {
                        key
                    };
                    stack.push((value, name));
                }
            }
            Value::Array(items) if flatten_lists => {
                for (i, item) in items.into_iter().enumerate() {
                    with_parent = true;
                    stack.push((item, format!("{parent}.{i}")));
                }
            }
            other => {
                out.insert(parent, other);
            }
        }
    }
    *record = Value::Object(out);
}

/// A `DpathFlattenFields` transformation.
#[derive(Debug, Clone, PartialEq)]
pub struct DpathFlattenFields {
    /// The path of the mapping to lift, each segment a template.
    pub field_path: Vec<String>,
    /// Whether the mapping is removed from where it was.
    pub delete_origin_value: bool,
    /// Whether the mapping replaces the whole record.
    pub replace_record: bool,
    /// `key_transformation.prefix` and `.suffix` (templates).
    pub key_transformation: Option<(Option<String>, Option<String>)>,
    /// The `parameters` of the templates.
    pub parameters: Map<String, Value>,
}

impl DpathFlattenFields {
    /// From a `DpathFlattenFields` mapping.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::transform::DpathFlattenFields;
    /// let flatten = DpathFlattenFields::from_manifest(&json!({"type": "DpathFlattenFields",
    ///     "field_path": ["data"], "delete_origin_value": true})).unwrap();
    /// let mut record = json!({"id": 1, "data": {"a": 2}});
    /// flatten.transform(&Jinja::new(), &mut record, &json!({})).unwrap();
    /// assert_eq!(record, json!({"id": 1, "a": 2}));
    /// ```
    pub fn from_manifest(value: &Value) -> Result<DpathFlattenFields, Error> {
        let map = expect_component(value, &["DpathFlattenFields"])?;
        let field_path = match map.get("field_path") {
            Some(path) => string_items(path, "field_path")?,
            None => {
                return Err(Error::Manifest(
                    "DpathFlattenFields requires a list `field_path`".into(),
                ));
            }
        };
        let key_transformation = match map.get("key_transformation") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let t = expect_component(v, &["KeyTransformation"])?;
                Some((string(t, "prefix")?, string(t, "suffix")?))
            }
        };
        Ok(DpathFlattenFields {
            field_path,
            delete_origin_value: boolean(map, "delete_origin_value")?.unwrap_or(false),
            replace_record: boolean(map, "replace_record")?.unwrap_or(false),
            key_transformation,
            parameters: parameters(map),
        })
    }

    /// Lifts the mapping at `field_path` into the record (unless one of its
    /// keys is taken), or makes it the record.
    pub fn transform(
        &self,
        jinja: &Jinja,
        record: &mut Value,
        config: &Value,
    ) -> Result<(), Error> {
        let ctx = context(config, &self.parameters, []);
        let path: Vec<Glob> = self
            .field_path
            .iter()
            .map(|segment| jinja.string(segment, &ctx).map(|v| Glob::from_value(&v)))
            .collect::<Result<_, _>>()?;
        let star = path.iter().any(|g| matches!(g, Glob::Text(t) if t == "*"));
        let extracted = if star {
            dpath::values(record, &path)?.into_iter().next()
        } else {
            dpath::get(record, &path)?.cloned()
        };
        let Some(Value::Object(mut extracted)) = extracted else {
            return Ok(());
        };
        if let Some((prefix, suffix)) = &self.key_transformation {
            let affix = |template: &Option<String>| -> Result<String, Error> {
                // An affix that renders falsy (`""`, `0`) is left out.
                match template {
                    Some(t) => {
                        let value = jinja.string(t, &ctx)?;
                        Ok(if truthy(&value) {
                            python_str(&value)
                        } else {
                            String::new()
                        })
                    }
                    None => Ok(String::new()),
                }
            };
            let (prefix, suffix) = (affix(prefix)?, affix(suffix)?);
            extracted = extracted
                .into_iter()
                .map(|(k, v)| (format!("{prefix}{k}{suffix}"), v))
                .collect();
        }
        let Value::Object(map) = record else {
            return Ok(());
        };
        if self.replace_record && !extracted.is_empty() {
            *map = extracted;
            return Ok(());
        }
        if extracted.keys().any(|k| map.contains_key(k)) {
            return Ok(());
        }
        if self.delete_origin_value {
            match dpath::delete(record, &path, None) {
                Ok(_) | Err(DeleteError::NotFound) => {}
                Err(DeleteError::Failed(e)) => return Err(e),
            }
        }
        if let Value::Object(map) = record {
            map.extend(extracted);
        }
        Ok(())
    }
}
