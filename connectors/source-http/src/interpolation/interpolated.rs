//! The CDK's interpolated fields on top of [`Jinja::eval`]:
//! `InterpolatedString` (an empty render gives the template itself),
//! `InterpolatedBoolean` (an empty render is `False`; then its table of
//! false values) and `InterpolatedMapping` (keys as text; only string
//! values rendered, an empty one giving `null`).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Jinja, ValidTypes, is_false_value, python_str};
use crate::error::Error;

impl Jinja {
    /// `InterpolatedString(template).eval(config, **context)`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// let context = json!({"config": {"n": "5"}});
    /// let context = context.as_object().unwrap();
    /// let jinja = Jinja::new();
    /// assert_eq!(jinja.string("{{ config.n }}", context).unwrap(), json!(5));
    /// assert_eq!(jinja.string("{{ config.missing }}", context).unwrap(), json!(""));
    /// ```
    pub fn string(&self, template: &str, context: &Map<String, Value>) -> Result<Value, Error> {
        self.eval(template, context, Some(template))
    }

    /// `InterpolatedBoolean(condition).eval(config, **context)`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// let context = json!({"config": {}, "response": {"next": null}});
    /// let context = context.as_object().unwrap();
    /// let jinja = Jinja::new();
    /// assert!(jinja.boolean("{{ not response.next }}", context).unwrap());
    /// assert!(!jinja.boolean("{{ response.next }}", context).unwrap());
    /// ```
    pub fn boolean(&self, condition: &str, context: &Map<String, Value>) -> Result<bool, Error> {
        let value = self.eval(condition, context, Some("False"))?;
        Ok(!is_false_value(&value))
    }

    /// [`Jinja::string`] with shared documents ([`Jinja::eval_shared`]).
    pub fn string_shared(
        &self,
        template: &str,
        context: &Map<String, Value>,
        shared: &[(&str, &Arc<Value>)],
    ) -> Result<Value, Error> {
        self.eval_shared(template, context, shared, Some(template), ValidTypes::Any)
    }

    /// [`Jinja::boolean`] with shared documents ([`Jinja::eval_shared`]).
    pub fn boolean_shared(
        &self,
        condition: &str,
        context: &Map<String, Value>,
        shared: &[(&str, &Arc<Value>)],
    ) -> Result<bool, Error> {
        let value = self.eval_shared(condition, context, shared, Some("False"), ValidTypes::Any)?;
        Ok(!is_false_value(&value))
    }

    /// `InterpolatedMapping(mapping).eval(config, valid_key_types=(str,),
    /// valid_value_types=values, **context)`.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::{Jinja, ValidTypes};
    /// let context = json!({"config": {"size": "100", "tags": "[1, 2]"}});
    /// let context = context.as_object().unwrap();
    /// let mapping = json!({"limit": "{{ config.size }}", "tags": "{{ config.tags }}", "none": "{{ config.nope }}", "n": 7});
    /// let out = Jinja::new().mapping(mapping.as_object().unwrap(), context, ValidTypes::StrOrList).unwrap();
    /// assert_eq!(out, *json!({"limit": "100", "tags": [1, 2], "none": null, "n": 7}).as_object().unwrap());
    /// ```
    pub fn mapping(
        &self,
        mapping: &Map<String, Value>,
        context: &Map<String, Value>,
        values: ValidTypes,
    ) -> Result<Map<String, Value>, Error> {
        let mut out = Map::new();
        for (key, value) in mapping {
            let key = match self.eval_as(key, context, None, ValidTypes::Str)? {
                Value::String(k) => k,
                other => python_str(&other),
            };
            let value = match value {
                Value::String(template) => self.eval_as(template, context, None, values)?,
                other => other.clone(),
            };
            out.insert(key, value);
        }
        Ok(out)
    }
}
