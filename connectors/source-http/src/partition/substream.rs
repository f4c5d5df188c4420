//! `SubstreamPartitionRouter`: one partition per record of the parent
//! streams, read by the caller through [`ParentStreams`].

use serde_json::{Map, Value};

use super::{ParentStreams, StreamSlice};
use crate::error::Error;
use crate::incremental::{
    boolean, eval_key, eval_string, expect_component, parameters, required_string,
};
use crate::interpolation::{Jinja, python_str, truthy};
use crate::transform::dpath::{self, Glob};

/// A `ParentStreamConfig`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentStreamConfig {
    /// The parent stream's definition (a `DeclarativeStream` mapping).
    pub stream: Value,
    /// Its `name`.
    pub stream_name: String,
    /// The record's key (a `/`-separated dpath glob), rendered.
    pub parent_key: Value,
    /// The partition's key for the value, rendered.
    pub partition_field: String,
    /// `request_option`.
    pub request_option: Option<Value>,
    /// `incremental_dependency`: the parent's state goes into
    /// `parent_state` and the parent is read incrementally.
    pub incremental_dependency: bool,
    /// `extra_fields`: paths, rendered.
    pub extra_fields: Vec<Vec<Value>>,
}

/// A `SubstreamPartitionRouter`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubstreamPartitionRouter {
    /// The parents, read one after the other.
    pub parent_stream_configs: Vec<ParentStreamConfig>,
}

impl SubstreamPartitionRouter {
    /// From a `SubstreamPartitionRouter` mapping, rendered with `config`.
    pub fn from_manifest(
        value: &Value,
        jinja: &Jinja,
        config: &Value,
    ) -> Result<SubstreamPartitionRouter, Error> {
        let map = expect_component(value, &["SubstreamPartitionRouter"])?;
        let configs = match map.get("parent_stream_configs") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|c| parent_config(c, jinja, config))
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                return Err(Error::Manifest(
                    "SubstreamPartitionRouter needs at least 1 parent stream".into(),
                ));
            }
        };
        Ok(SubstreamPartitionRouter {
            parent_stream_configs: configs,
        })
    }

    /// The partition of a parent record (`None`: skipped, as a record
    /// without the key, or with `null` there, is): `{partition_field:
    /// value, parent_slice: parent's partition}`, with the extra fields.
    ///
    /// ```
    /// use serde_json::{json, Map};
    /// use source_http::interpolation::Jinja;
    /// use source_http::partition::SubstreamPartitionRouter;
    /// let router = SubstreamPartitionRouter::from_manifest(&json!({
    ///     "type": "SubstreamPartitionRouter",
    ///     "parent_stream_configs": [{"type": "ParentStreamConfig", "parent_key": "meta/id",
    ///         "partition_field": "parent_id", "stream": {"type": "DeclarativeStream", "name": "users"},
    ///         "extra_fields": [["name"]]}],
    /// }), &Jinja::new(), &json!({})).unwrap();
    /// let slice = router.partition(0, &Map::new(), &json!({"meta": {"id": 7}, "name": "a"})).unwrap().unwrap();
    /// assert_eq!(slice.to_value(), json!({"parent_id": 7, "parent_slice": {}}));
    /// assert_eq!(slice.extra_fields, *json!({"name": "a"}).as_object().unwrap());
    /// assert!(router.partition(0, &Map::new(), &json!({"meta": {}})).unwrap().is_none());
    /// ```
    pub fn partition(
        &self,
        parent: usize,
        parent_partition: &Map<String, Value>,
        record: &Value,
    ) -> Result<Option<StreamSlice>, Error> {
        let config = self
            .parent_stream_configs
            .get(parent)
            .ok_or_else(|| Error::Read(format!("no parent stream config {parent}")))?;
        let glob = match &config.parent_key {
            Value::String(key) if key == "/" || key.is_empty() => Vec::new(),
            Value::String(key) => Glob::split(key),
            other => {
                return Err(Error::Manifest(format!(
                    "parent_key must render to a string, got {}",
                    python_str(other)
                )));
            }
        };
        let value = match dpath::get(record, &glob)? {
            None | Some(Value::Null) => return Ok(None),
            Some(value) => value.clone(),
        };
        let mut extra_fields = Map::new();
        for path in &config.extra_fields {
            let glob: Vec<Glob> = path.iter().map(Glob::from_value).collect();
            let name: Vec<String> = path.iter().map(python_str).collect();
            let found = dpath::get(record, &glob)?.cloned().unwrap_or(Value::Null);
            extra_fields.insert(name.join("."), found);
        }
        let mut partition = Map::new();
        partition.insert(config.partition_field.clone(), value);
        partition.insert(
            "parent_slice".into(),
            Value::Object(parent_partition.clone()),
        );
        Ok(Some(StreamSlice {
            partition,
            cursor_slice: Map::new(),
            extra_fields,
        }))
    }

    /// The next partition: records are pulled from the parents in order
    /// until one gives a partition. `parent` is where the reading is.
    pub(crate) fn next(
        &self,
        parent: &mut usize,
        parents: &mut dyn ParentStreams,
    ) -> Result<Option<StreamSlice>, Error> {
        while *parent < self.parent_stream_configs.len() {
            match parents.next_record(*parent)? {
                Some((parent_partition, record)) => {
                    if let Some(slice) = self.partition(*parent, &parent_partition, &record)? {
                        return Ok(Some(slice));
                    }
                }
                None => *parent += 1,
            }
        }
        Ok(None)
    }

    /// `get_stream_state()`: `{parent name: its state}` for each parent
    /// with `incremental_dependency`.
    pub fn stream_state(&self, parents: &dyn ParentStreams) -> Value {
        let mut state = Map::new();
        for (i, config) in self.parent_stream_configs.iter().enumerate() {
            if config.incremental_dependency {
                state.insert(config.stream_name.clone(), parents.state(i));
            }
        }
        Value::Object(state)
    }

    /// The request options of a slice: each parent's option with the
    /// slice's value at its partition field, when truthy.
    pub fn request_options(&self, slice: &StreamSlice) -> Vec<(Value, Value)> {
        if slice.is_empty() {
            return Vec::new();
        }
        self.parent_stream_configs
            .iter()
            .filter_map(|c| {
                let option = c.request_option.as_ref()?;
                let value = slice.get(&c.partition_field).filter(|v| truthy(v))?;
                Some((option.clone(), value.clone()))
            })
            .collect()
    }

    /// The input state of parent `parent`'s own cursor, taken from the
    /// child stream's input state as the CDK does for a parent with
    /// `incremental_dependency`: the child's `parent_state[name]`, else its
    /// global `state`, else (a legacy child state of one scalar value)
    /// `{parent_cursor_field: that value}`. `None`: the parent starts with
    /// no state.
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::partition::SubstreamPartitionRouter;
    /// let router = SubstreamPartitionRouter::from_manifest(&json!({
    ///     "type": "SubstreamPartitionRouter",
    ///     "parent_stream_configs": [{"type": "ParentStreamConfig", "parent_key": "id",
    ///         "partition_field": "pid", "incremental_dependency": true,
    ///         "stream": {"type": "DeclarativeStream", "name": "users"}}],
    /// }), &Jinja::new(), &json!({})).unwrap();
    /// let child = json!({"parent_state": {"users": {"updated": "2024"}}, "state": {"x": 1}});
    /// assert_eq!(router.parent_input_state(0, &child, None), Some(json!({"updated": "2024"})));
    /// assert_eq!(router.parent_input_state(0, &json!({"x": "1"}), Some("updated")), Some(json!({"updated": "1"})));
    /// ```
    pub fn parent_input_state(
        &self,
        parent: usize,
        child_state: &Value,
        parent_cursor_field: Option<&str>,
    ) -> Option<Value> {
        let config = self.parent_stream_configs.get(parent)?;
        let mut child = child_state.as_object()?.clone();
        child.remove("__ab_no_cursor_state_message");
        if !config.incremental_dependency || child.is_empty() {
            return None;
        }
        if let Some(Value::Object(parents)) = child.get("parent_state")
            && let Some(state) = parents.get(&config.stream_name)
        {
            return Some(state.clone());
        }
        if let Some(global) = child.get("state") {
            return Some(global.clone());
        }
        let values: Vec<&Value> = child.values().collect();
        match (values.as_slice(), parent_cursor_field) {
            ([value @ (Value::String(_) | Value::Number(_))], Some(field)) => {
                let mut state = Map::new();
                state.insert(field.to_owned(), (*value).clone());
                Some(Value::Object(state))
            }
            _ => None,
        }
    }
}

fn parent_config(
    value: &Value,
    jinja: &Jinja,
    config: &Value,
) -> Result<ParentStreamConfig, Error> {
    const NAME: &str = "ParentStreamConfig";
    let map = expect_component(value, &[NAME])?;
    let parameters = parameters(map);
    let stream = map
        .get("stream")
        .ok_or_else(|| Error::Manifest(format!("{NAME} requires `stream`")))?;
    let stream_map = expect_component(stream, &["DeclarativeStream"])?;
    if map.get("lazy_read_pointer").is_some_and(truthy) {
        return Err(Error::Manifest(
            "ParentStreamConfig.lazy_read_pointer is not supported by source-http yet".into(),
        ));
    }
    let extra_fields = match map.get("extra_fields") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(paths)) => paths
            .iter()
            .map(|path| match path {
                Value::Array(parts) => parts
                    .iter()
                    .map(|part| match part {
                        Value::String(t) => eval_string(jinja, t, config, &parameters),
                        other => Ok(Value::String(python_str(other))),
                    })
                    .collect::<Result<Vec<_>, _>>(),
                other => Err(Error::Manifest(format!(
                    "an extra_fields path is a list, not {}",
                    python_str(other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => {
            return Err(Error::Manifest(format!(
                "`extra_fields` must be a list, got {}",
                python_str(other)
            )));
        }
    };
    let request_option = match map.get("request_option") {
        None | Some(Value::Null) => None,
        Some(v) => Some(expect_component(v, &["RequestOption"]).map(|_| v.clone())?),
    };
    let parent_key = required_string(map, NAME, "parent_key")?;
    let partition_field = required_string(map, NAME, "partition_field")?;
    Ok(ParentStreamConfig {
        stream: stream.clone(),
        stream_name: stream_map.get("name").map(python_str).unwrap_or_default(),
        parent_key: eval_string(jinja, &parent_key, config, &parameters)?,
        partition_field: eval_key(jinja, &partition_field, config, &parameters)?,
        request_option,
        incremental_dependency: boolean(map, "incremental_dependency")?.unwrap_or(false),
        extra_fields,
    })
}
