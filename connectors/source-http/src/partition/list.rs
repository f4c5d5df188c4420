//! `ListPartitionRouter`: one partition per value of a list.

use serde_json::{Map, Value};

use super::StreamSlice;
use crate::error::Error;
use crate::incremental::{eval_key, eval_string, expect_component, parameters, required_string};
use crate::interpolation::{Jinja, python_str, truthy};

/// A `ListPartitionRouter` with its values evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPartitionRouter {
    /// The values, as the CDK iterates them: a list's items (a manifest
    /// list's items are strings, as pydantic reads them; a template's keep
    /// their type), a rendered string's characters, a mapping's keys.
    pub values: Vec<Value>,
    /// The partition's key (`cursor_field` rendered).
    pub cursor_field: String,
    /// `request_option`: where the value is injected.
    pub request_option: Option<Value>,
}

impl ListPartitionRouter {
    /// From a `ListPartitionRouter` mapping, rendered with `config`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::partition::ListPartitionRouter;
    /// let router = ListPartitionRouter::from_manifest(
    ///     &json!({"type": "ListPartitionRouter", "cursor_field": "section", "values": "{{ config.ids }}"}),
    ///     &Jinja::new(), &json!({"ids": [1, 2]})).unwrap();
    /// let slices: Vec<_> = router.slices().iter().map(|s| s.to_value()).collect();
    /// assert_eq!(slices, vec![json!({"section": 1}), json!({"section": 2})]);
    /// ```
    pub fn from_manifest(
        value: &Value,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<ListPartitionRouter, Error> {
        const NAME: &str = "ListPartitionRouter";
        let map = expect_component(value, &[NAME])?;
        let parameters = parameters(map);
        let values = match map.get("values") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(_) => Ok(v.clone()),
                    Value::Number(_) | Value::Bool(_) => Ok(Value::String(python_str(v))),
                    other => Err(Error::Manifest(format!(
                        "ListPartitionRouter values are strings, not {}",
                        python_str(other)
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(Value::String(template)) => {
                iterate(eval_string(jinja, template, config, &parameters)?)?
            }
            _ => return Err(Error::Manifest(format!("{NAME} requires `values`"))),
        };
        let cursor_field = required_string(map, NAME, "cursor_field")?;
        let request_option = match map.get("request_option") {
            None | Some(Value::Null) => None,
            Some(v) => Some(expect_component(v, &["RequestOption"]).map(|_| v.clone())?),
        };
        Ok(ListPartitionRouter {
            values,
            cursor_field: eval_key(jinja, &cursor_field, config, &parameters)?,
            request_option,
        })
    }

    /// The partitions: `{cursor_field: value}` for each value.
    pub fn slices(&self) -> Vec<StreamSlice> {
        self.values
            .iter()
            .map(|v| {
                let mut partition = Map::new();
                partition.insert(self.cursor_field.clone(), v.clone());
                StreamSlice::new(partition, Map::new())
            })
            .collect()
    }

    /// The request option and the slice's value, when that value is truthy.
    pub fn request_options(&self, slice: &StreamSlice) -> Vec<(Value, Value)> {
        match (&self.request_option, slice.get(&self.cursor_field)) {
            (Some(option), Some(value)) if !slice.is_empty() && truthy(value) => {
                vec![(option.clone(), value.clone())]
            }
            _ => Vec::new(),
        }
    }
}

/// Python's `for v in value` over an evaluated `values` template.
fn iterate(value: Value) -> Result<Vec<Value>, Error> {
    match value {
        Value::Array(items) => Ok(items),
        Value::String(s) => Ok(s.chars().map(|c| Value::String(c.to_string())).collect()),
        Value::Object(map) => Ok(map.into_iter().map(|(k, _)| Value::String(k)).collect()),
        other => Err(Error::Manifest(format!(
            "ListPartitionRouter values must evaluate to a list, got {}",
            python_str(&other)
        ))),
    }
}
