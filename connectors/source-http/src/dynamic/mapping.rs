//! `ComponentMappingDefinition`: a value rendered from a resolver's
//! `components_values`, set in a copy of the stream template.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::interpolation::{Jinja, python_str, truthy};
use crate::manifest::yaml;
use crate::transform::dpath::{Glob, fnmatch, new as dpath_new};
use crate::transform::{ValueType, eval_typed};

/// One mapping of a resolver's `components_mapping`.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentMapping {
    /// `field_path`: templates of the path's segments.
    pub field_path: Vec<String>,
    /// `value`: the template of the value.
    pub value: String,
    /// `value_type`: the type the value's literal must have.
    pub value_type: Option<ValueType>,
    /// `condition` (`ConfigComponentsResolver` only).
    pub condition: Option<String>,
    /// `create_or_update` (`ConfigComponentsResolver` only): create the
    /// path when it is absent.
    pub create_or_update: bool,
    /// Its `$parameters`.
    pub parameters: Map<String, Value>,
}

impl ComponentMapping {
    /// Reads the `components_mapping` list of a resolver.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::dynamic::ComponentMapping;
    /// let list = ComponentMapping::list(&json!({"components_mapping": [
    ///     {"type": "ComponentMappingDefinition", "field_path": ["name"], "value": "{{ components_values.name }}"}
    /// ]})).unwrap();
    /// assert_eq!(list[0].field_path, ["name"]);
    /// ```
    pub fn list(resolver: &Value) -> Result<Vec<ComponentMapping>, Error> {
        let Some(Value::Array(items)) = resolver.get("components_mapping") else {
            return Err(Error::Manifest(
                "a components resolver has no `components_mapping` list".into(),
            ));
        };
        items.iter().map(ComponentMapping::from_manifest).collect()
    }

    fn from_manifest(value: &Value) -> Result<ComponentMapping, Error> {
        let bad = |what: &str| {
            Error::Manifest(format!(
                "a ComponentMappingDefinition {what}: {}",
                python_str(value)
            ))
        };
        let field_path = match value.get("field_path") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => python_str(other),
                })
                .collect(),
            _ => return Err(bad("needs a non-empty `field_path` list")),
        };
        let value_text = match value.get("value") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(bad(
                    "needs a string or InterpolatedString for `value` (Expected a string or InterpolatedString for value in mapping)",
                ));
            }
        };
        let value_type = match value.get("value_type") {
            Some(Value::String(t)) => Some(ValueType::from_name(t)?),
            None | Some(Value::Null) => None,
            Some(_) => return Err(bad("has a `value_type` that is no type name")),
        };
        Ok(ComponentMapping {
            field_path,
            value: value_text,
            value_type,
            condition: value
                .get("condition")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            create_or_update: value.get("create_or_update").is_some_and(truthy),
            parameters: value
                .get("$parameters")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// The context of its templates: `context` plus its `parameters`.
    fn context(&self, context: &Map<String, Value>) -> Map<String, Value> {
        let mut out = context.clone();
        out.insert("parameters".into(), Value::Object(self.parameters.clone()));
        out
    }

    /// Renders the value and the path; `None` when `condition` is false.
    pub fn render(
        &self,
        jinja: &Jinja,
        context: &Map<String, Value>,
    ) -> Result<Option<(Vec<Glob>, Value)>, Error> {
        let context = self.context(context);
        if let Some(condition) = &self.condition
            && !jinja.boolean(condition, &context)?
        {
            return Ok(None);
        }
        let value = eval_typed(jinja, &self.value, &context, self.value_type)?;
        let path = self
            .field_path
            .iter()
            .map(|segment| {
                jinja
                    .string(segment, &context)
                    .map(|v| Glob::from_value(&v))
            })
            .collect::<Result<_, _>>()?;
        Ok(Some((path, value)))
    }
}

/// `dpath.set(doc, path, value)`: replaces every existing value the glob
/// matches; the count replaced.
///
/// ```
/// use serde_json::json;
/// use source_http::dynamic::set_existing;
/// use source_http::transform::dpath::Glob;
/// let mut doc = json!({"a": {"b": 1}, "l": [1, 2]});
/// assert_eq!(set_existing(&mut doc, &[Glob::Text("a".into()), Glob::Text("b".into())], &json!(2)), 1);
/// assert_eq!(set_existing(&mut doc, &[Glob::Text("l".into()), Glob::Text("*".into())], &json!(0)), 2);
/// assert_eq!(set_existing(&mut doc, &[Glob::Text("nope".into())], &json!(3)), 0);
/// assert_eq!(doc, json!({"a": {"b": 2}, "l": [0, 0]}));
/// ```
pub fn set_existing(node: &mut Value, path: &[Glob], value: &Value) -> usize {
    let Some((first, rest)) = path.split_first() else {
        *node = value.clone();
        return 1;
    };
    let mut count = 0;
    match node {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if matches!(first, Glob::Text(pattern) if fnmatch(key, pattern)) {
                    count += set_existing(child, rest, value);
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                let hit = match first {
                    Glob::Int(i) => usize::try_from(*i).is_ok_and(|i| i == index),
                    Glob::Text(t) => match t.parse::<usize>() {
                        Ok(i) => i == index,
                        Err(_) => fnmatch(&index.to_string(), t),
                    },
                    Glob::Never => false,
                };
                if hit {
                    count += set_existing(child, rest, value);
                }
            }
        }
        _ => {}
    }
    count
}

/// `dpath.new(doc, path, value)` for a `create_or_update` mapping.
pub fn create(doc: &mut Value, path: &[Glob], value: Value) -> Result<(), Error> {
    let keys: Vec<String> = path
        .iter()
        .map(|g| match g {
            Glob::Text(t) => t.clone(),
            Glob::Int(i) => i.to_string(),
            Glob::Never => String::new(),
        })
        .collect();
    dpath_new(doc, &keys, value)
}

/// `ConfigComponentsResolver._parse_yaml_if_possible`: text read as YAML
/// when it is YAML, else kept.
pub fn parse_yaml_if_possible(value: Value) -> Value {
    match &value {
        Value::String(text) => yaml::parse(text).unwrap_or(value),
        _ => value,
    }
}
