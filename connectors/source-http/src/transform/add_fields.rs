//! `AddFields`: values rendered from the record, the slice and the config,
//! set at their paths with `dpath.new`.

use serde_json::{Map, Value};

use super::dpath;
use crate::error::Error;
use crate::incremental::{
    context, expect_component, parameters, required_string, string, string_items,
};
use crate::interpolation::{Jinja, ValidTypes, python_str, typed};

/// An `AddedFieldDefinition`'s `value_type`: the Python type the value's
/// literal must have, else the rendered text is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// `string`: `str`.
    String,
    /// `number`: `float` (an integer literal is no float).
    Number,
    /// `integer`: `int` (a boolean is one, as in Python).
    Integer,
    /// `boolean`: `bool`.
    Boolean,
}

impl ValueType {
    /// The type named in a manifest (`string`, `number`, `integer`, `boolean`).
    pub fn from_name(name: &str) -> Result<ValueType, Error> {
        match name {
            "string" => Ok(ValueType::String),
            "number" => Ok(ValueType::Number),
            "integer" => Ok(ValueType::Integer),
            "boolean" => Ok(ValueType::Boolean),
            other => Err(Error::Manifest(format!(
                "value_type must be one of string, number, integer, boolean; got {other:?}"
            ))),
        }
    }

    fn admits(self, value: &Value) -> bool {
        match (self, value) {
            (ValueType::String, Value::String(_)) => true,
            (ValueType::Number, Value::Number(n)) => n.is_f64(),
            (ValueType::Integer, Value::Number(n)) => !n.is_f64(),
            (ValueType::Integer | ValueType::Boolean, Value::Bool(_)) => true,
            _ => false,
        }
    }
}

/// One field to add.
#[derive(Debug, Clone, PartialEq)]
pub struct AddedField {
    /// Where: a path of keys (digits index lists).
    pub path: Vec<String>,
    /// The value's template.
    pub value: String,
    /// The type its literal must have.
    pub value_type: Option<ValueType>,
    /// The `parameters` of its template.
    pub parameters: Map<String, Value>,
}

/// An `AddFields` transformation.
#[derive(Debug, Clone, PartialEq)]
pub struct AddFields {
    /// The fields, added in order.
    pub fields: Vec<AddedField>,
    /// The condition each field is added under (`""`: always).
    pub condition: String,
    /// The `parameters` of the condition.
    pub parameters: Map<String, Value>,
}

/// A marker no literal starts with, so that a render gives its text.
const MARK: char = '\u{1}';

impl AddFields {
    /// From an `AddFields` mapping.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::transform::AddFields;
    /// let add = AddFields::from_manifest(&json!({"type": "AddFields", "fields": [
    ///     {"type": "AddedFieldDefinition", "path": ["a", "b"], "value": "{{ record.id * 2 }}"},
    /// ]})).unwrap();
    /// assert_eq!(add.fields[0].path, ["a", "b"]);
    /// assert!(AddFields::from_manifest(&json!({"type": "AddFields"})).is_err());
    /// ```
    pub fn from_manifest(value: &Value) -> Result<AddFields, Error> {
        let map = expect_component(value, &["AddFields"])?;
        let fields = match map.get("fields") {
            Some(Value::Array(items)) => items
                .iter()
                .map(added_field)
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(Error::Manifest("AddFields requires a list `fields`".into())),
        };
        Ok(AddFields {
            fields,
            condition: string(map, "condition")?.unwrap_or_default(),
            parameters: parameters(map),
        })
    }

    /// Adds the fields to `record` (`slice`: the stream slice, or null).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::transform::AddFields;
    /// let add = AddFields::from_manifest(&json!({"type": "AddFields", "fields": [
    ///     {"type": "AddedFieldDefinition", "path": ["n"], "value": "5", "value_type": "number"},
    ///     {"type": "AddedFieldDefinition", "path": ["m", "x"], "value": "{{ record.id }}"},
    /// ]})).unwrap();
    /// let mut record = json!({"id": "7"});
    /// add.transform(&Jinja::new(), &mut record, &json!({}), &json!(null)).unwrap();
    /// assert_eq!(record, json!({"id": "7", "n": "5", "m": {"x": 7}}));
    /// ```
    pub fn transform(
        &self,
        jinja: &Jinja,
        record: &mut Value,
        config: &Value,
        slice: &Value,
    ) -> Result<(), Error> {
        for field in &self.fields {
            let extra = [("record", record.clone()), ("stream_slice", slice.clone())];
            let value = eval_typed(
                jinja,
                &field.value,
                &context(config, &field.parameters, extra.clone()),
                field.value_type,
            )?;
            if !self.condition.is_empty() {
                let path = Value::Array(field.path.iter().cloned().map(Value::String).collect());
                let condition_context = context(
                    config,
                    &self.parameters,
                    extra
                        .into_iter()
                        .chain([("value", value.clone()), ("path", path)]),
                );
                if !jinja.boolean(&self.condition, &condition_context)? {
                    continue;
                }
            }
            dpath::new(record, &field.path, value)?;
        }
        Ok(())
    }
}

fn added_field(value: &Value) -> Result<AddedField, Error> {
    const NAME: &str = "AddedFieldDefinition";
    let map = expect_component(value, &[NAME])?;
    let path = match map.get("path") {
        Some(path) => string_items(path, "path")?,
        None => Vec::new(),
    };
    if path.is_empty() {
        return Err(Error::Manifest(format!(
            "Expected a non-zero-length path for the AddFields transformation {}",
            python_str(value)
        )));
    }
    Ok(AddedField {
        path,
        value: required_string(map, NAME, "value")?,
        value_type: string(map, "value_type")?
            .map(|t| ValueType::from_name(&t))
            .transpose()?,
        parameters: parameters(map),
    })
}

/// `InterpolatedString(template).eval(config, valid_types=(type,))`: the
/// literal of the rendered text if it has the type, else the text.
pub(crate) fn eval_typed(
    jinja: &Jinja,
    template: &str,
    context: &Map<String, Value>,
    value_type: Option<ValueType>,
) -> Result<Value, Error> {
    let Some(value_type) = value_type else {
        return jinja.string(template, context);
    };
    // Rendered behind a marker, the text is never a literal: it comes back
    // whole, and is typed here.
    let marked = format!("{MARK}{template}");
    let rendered = jinja.eval_as(&marked, context, Some(&marked), ValidTypes::Str)?;
    let text = match &rendered {
        Value::String(s) => s.strip_prefix(MARK).unwrap_or(s),
        other => return Ok(other.clone()),
    };
    if text.is_empty() {
        return Ok(Value::String(String::new()));
    }
    let value = typed(text);
    Ok(if value_type.admits(&value) {
        value
    } else {
        Value::String(text.to_owned())
    })
}
