//! `dynamic_streams`: `DynamicDeclarativeStream`s, whose
//! `components_resolver` turns a `stream_template` into streams, as
//! airbyte-cdk 7.39.1's `ConcurrentDeclarativeSource._dynamic_stream_configs`
//! does.
//!
//! - `HttpComponentsResolver`: each record of its `retriever` (read slice
//!   by slice) is a `components_values`, with its `stream_slice`.
//! - `ConfigComponentsResolver`: each combination of the config's lists
//!   under its `stream_config`s' `configs_pointer` (plus `default_values`)
//!   is one; a mapping may have a `condition`, values that read as YAML
//!   are parsed, and `create_or_update` creates a missing path.
//!
//! Each mapping is rendered and set in a copy of the template where its
//! path exists (`dpath.set`); the stream then gets its types and
//! parameters again, `type: DeclarativeStream` if it has none, and
//! `dynamic_stream_name` (the definition's `name`, else
//! `dynamic_stream_<index>`). Names must be text and unique.

mod mapping;
mod records;

pub use mapping::{ComponentMapping, create, parse_yaml_if_possible, set_existing};
pub use records::RecordReader;

use std::collections::HashSet;

use airbyte_sdk::protocol::FailureType;
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::interpolation::{Jinja, python_str, truthy};
use crate::manifest::parameters::propagate_component;
use crate::requester::options::py_type;
use crate::transform::ValueType;
use crate::transform::dpath::{self, Glob};

/// The streams the manifest's `dynamic_streams` generate for `config`, in
/// order, each with its `dynamic_stream_name`.
///
/// ```
/// use serde_json::json;
/// use source_http::dynamic::{RecordReader, resolve_streams};
/// let manifest = json!({"dynamic_streams": [{
///     "type": "DynamicDeclarativeStream", "name": "by_config",
///     "stream_template": {"type": "DeclarativeStream", "name": "", "retriever": {}},
///     "components_resolver": {
///         "type": "ConfigComponentsResolver",
///         "stream_config": {"type": "StreamConfig", "configs_pointer": ["tables"]},
///         "components_mapping": [{"type": "ComponentMappingDefinition",
///             "field_path": ["name"], "value": "{{ components_values.name }}"}],
///     },
/// }]});
/// let config = json!({"tables": [{"name": "a"}, {"name": "b"}]});
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let streams = rt.block_on(resolve_streams(&manifest, &config, &RecordReader::default())).unwrap();
/// assert_eq!(streams.len(), 2);
/// assert_eq!(streams[1]["name"], "b");
/// assert_eq!(streams[1]["dynamic_stream_name"], "by_config");
/// ```
pub async fn resolve_streams(
    manifest: &Value,
    config: &Value,
    reader: &RecordReader,
) -> Result<Vec<Value>, Error> {
    let definitions = match manifest.get("dynamic_streams") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(Error::Manifest(
                "the manifest's `dynamic_streams` is not a list".into(),
            ));
        }
    };
    let jinja = Jinja::new();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (index, definition) in definitions.iter().enumerate() {
        let resolver = match definition.get("components_resolver") {
            Some(r @ Value::Object(m)) if !m.is_empty() => r,
            _ => {
                return Err(Error::Manifest(format!(
                    "Missing 'components_resolver' in dynamic definition: {}",
                    python_str(definition)
                )));
            }
        };
        let template = definition.get("stream_template").ok_or_else(|| {
            Error::Manifest(format!(
                "dynamic stream definition {index} has no `stream_template`"
            ))
        })?;
        let kind = resolver.get("type").and_then(Value::as_str);
        let generated = match kind {
            Some("HttpComponentsResolver") => {
                let name = definition
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("__http_components_resolver");
                http_streams(resolver, template, name, config, &jinja, reader).await?
            }
            Some("ConfigComponentsResolver") => config_streams(resolver, template, config, &jinja)?,
            Some(other) => {
                return Err(Error::Manifest(format!(
                    "the components resolver `{other}` is not supported (HttpComponentsResolver \
                     and ConfigComponentsResolver are)"
                )));
            }
            None => {
                return Err(Error::Manifest(format!(
                    "Missing 'type' in components resolver configuration: {}",
                    python_str(resolver)
                )));
            }
        };
        let use_parent = definition.get("use_parent_parameters").is_none_or(truthy);
        let group = match definition.get("name").and_then(Value::as_str) {
            Some(name) => name.to_owned(),
            None => format!("dynamic_stream_{index}"),
        };
        for stream in generated {
            let mut stream = propagate_component(&stream, use_parent);
            let Value::Object(map) = &mut stream else {
                return Err(Error::Manifest("a generated stream is no mapping".into()));
            };
            map.entry("type")
                .or_insert_with(|| Value::String("DeclarativeStream".into()));
            map.insert("dynamic_stream_name".into(), Value::String(group.clone()));
            let name = match map.get("name") {
                Some(Value::String(name)) => name.clone(),
                other => {
                    // The CDK's ValueError: a system error.
                    let other = other.unwrap_or(&Value::Null);
                    return Err(Error::Read(format!(
                        "Expected stream name {} to be a string, got <class '{}'>.",
                        python_str(other),
                        py_type(other)
                    )));
                }
            };
            if !seen.insert(name.clone()) {
                return Err(duplicate(&name, kind == Some("ConfigComponentsResolver")));
            }
            out.push(stream);
        }
    }
    Ok(out)
}

fn duplicate(name: &str, from_config: bool) -> Error {
    let (message, failure_type) = if from_config {
        (
            format!(
                "Dynamic streams list contains a duplicate name: {name}. Please check your configuration."
            ),
            FailureType::ConfigError,
        )
    } else {
        (
            format!(
                "Dynamic streams list contains a duplicate name: {name}. Please contact Airbyte Support."
            ),
            FailureType::SystemError,
        )
    };
    Error::Traced {
        internal_message: message.clone(),
        message,
        failure_type,
    }
}

fn parameters(component: &Value) -> Value {
    component
        .get("$parameters")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// `HttpComponentsResolver.resolve_components`.
async fn http_streams(
    resolver: &Value,
    template: &Value,
    name: &str,
    config: &Value,
    jinja: &Jinja,
    reader: &RecordReader,
) -> Result<Vec<Value>, Error> {
    let mappings = ComponentMapping::list(resolver)?;
    if mappings.iter().any(|m| m.condition.is_some()) {
        return Err(Error::Manifest(
            "`condition` is only supported for `ConfigComponentsResolver`".into(),
        ));
    }
    let retriever = resolver
        .get("retriever")
        .ok_or_else(|| Error::Manifest("an HttpComponentsResolver has no `retriever`".into()))?;
    let records = reader.read(retriever, name, config, None).await?;
    let mut out = Vec::with_capacity(records.len());
    for (record, slice) in records {
        let mut updated = template.clone();
        let mut context = Map::new();
        context.insert("config".into(), config.clone());
        context.insert("components_values".into(), record);
        context.insert("stream_slice".into(), slice);
        context.insert("stream_template_config".into(), template.clone());
        for mapping in &mappings {
            if let Some((path, value)) = mapping.render(jinja, &context)? {
                set_existing(&mut updated, &path, &value);
            }
        }
        out.push(updated);
    }
    Ok(out)
}

/// `ConfigComponentsResolver._stream_config`: every combination of the
/// configs found under each `stream_config`.
fn config_combinations(
    resolver: &Value,
    config: &Value,
    jinja: &Jinja,
) -> Result<Vec<Value>, Error> {
    let stream_configs: Vec<&Value> = match resolver.get("stream_config") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => {
            return Err(Error::Manifest(
                "a ConfigComponentsResolver has no `stream_config`".into(),
            ));
        }
    };
    let mut context = Map::new();
    context.insert("config".into(), config.clone());
    context.insert("parameters".into(), parameters(resolver));
    let mut lists: Vec<Vec<Value>> = Vec::new();
    for stream_config in stream_configs {
        let pointer = match stream_config.get("configs_pointer") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(Error::Manifest(
                    "a StreamConfig has no `configs_pointer` list".into(),
                ));
            }
        };
        let path = pointer
            .iter()
            .map(|node| match node {
                Value::String(s) => jinja.string(s, &context).map(|v| Glob::from_value(&v)),
                other => Ok(Glob::from_value(other)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut items = match dpath::get(config, &path)? {
            Some(Value::Array(items)) => items.clone(),
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        };
        if let Some(Value::Array(defaults)) = stream_config.get("default_values") {
            items.extend(defaults.iter().cloned());
        }
        lists.push(items);
    }
    let mut combos: Vec<Vec<(usize, &Value)>> = vec![Vec::new()];
    for list in &lists {
        combos = combos
            .into_iter()
            .flat_map(|combo| {
                list.iter().enumerate().map(move |(i, item)| {
                    let mut next = combo.clone();
                    next.push((i, item));
                    next
                })
            })
            .collect();
    }
    Ok(combos
        .into_iter()
        .map(|combo| {
            let mut merged = Map::new();
            for (config_index, (element_index, element)) in combo.into_iter().enumerate() {
                match element {
                    Value::Object(map) => merged.extend(map.clone()),
                    other => {
                        merged
                            .entry(format!("source_config_{config_index}"))
                            .or_insert_with(|| json!([element_index, other]));
                    }
                }
            }
            Value::Object(merged)
        })
        .collect())
}

/// `ConfigComponentsResolver.resolve_components`.
fn config_streams(
    resolver: &Value,
    template: &Value,
    config: &Value,
    jinja: &Jinja,
) -> Result<Vec<Value>, Error> {
    let mappings = ComponentMapping::list(resolver)?;
    let mut out = Vec::new();
    for values in config_combinations(resolver, config, jinja)? {
        let mut updated = template.clone();
        let mut context = Map::new();
        context.insert("config".into(), config.clone());
        context.insert("components_values".into(), values);
        context.insert("stream_template_config".into(), template.clone());
        for mapping in &mappings {
            let Some((path, value)) = mapping.render(jinja, &context)? else {
                continue;
            };
            let keep_text = value.is_string() && mapping.value_type == Some(ValueType::String);
            let value = if keep_text {
                value
            } else {
                parse_yaml_if_possible(value)
            };
            let updated_count = set_existing(&mut updated, &path, &value);
            if truthy(&value) && updated_count == 0 && mapping.create_or_update {
                create(&mut updated, &path, value)?;
            }
        }
        out.push(updated);
    }
    Ok(out)
}
