//! A manifest's `DeclarativeStream`, as discover sees it: its name, primary
//! key, schema and cursor field.

use airbyte_sdk::protocol::{AirbyteStream, JsonObject, SyncMode};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::interpolation::{Jinja, python_str};

/// What discover says of one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    /// The stream's name.
    pub name: String,
    /// Its primary key, as `[[field], ...]`.
    pub primary_key: Vec<Vec<String>>,
    /// Its JSON schema, as the schema loader gives it.
    pub json_schema: Value,
    /// The cursor field of its `incremental_sync`, if any.
    pub cursor_field: Option<String>,
}

impl StreamInfo {
    /// Reads a `DeclarativeStream` mapping (after [`manifest::load`](crate::manifest::load)).
    ///
    /// ```
    /// use serde_json::json;
    /// use source_http::interpolation::Jinja;
    /// use source_http::stream::StreamInfo;
    /// let stream = json!({
    ///     "type": "DeclarativeStream", "name": "events", "primary_key": "id",
    ///     "schema_loader": {"type": "InlineSchemaLoader", "schema": {"type": "object"}},
    ///     "incremental_sync": {"type": "DatetimeBasedCursor", "cursor_field": "{{ parameters.field }}", "$parameters": {"field": "created"}},
    /// });
    /// let config = json!({});
    /// let info = StreamInfo::from_manifest(&stream, &config, &Jinja::new()).unwrap();
    /// assert_eq!(info.primary_key, vec![vec!["id".to_owned()]]);
    /// assert_eq!(info.cursor_field.as_deref(), Some("created"));
    /// ```
    pub fn from_manifest(stream: &Value, config: &Value, jinja: &Jinja) -> Result<Self, Error> {
        let name = match stream.get("name") {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            _ => {
                return Err(Error::Manifest(
                    "a stream of the manifest has no `name`".into(),
                ));
            }
        };
        let json_schema = schema(stream.get("schema_loader"), &name)?;
        let cursor_field = match stream.get("incremental_sync") {
            Some(cursor @ Value::Object(_)) => Some(cursor_field(cursor, config, jinja, &name)?),
            _ => None,
        };
        Ok(StreamInfo {
            primary_key: primary_key(stream.get("primary_key"), &name)?,
            name,
            json_schema,
            cursor_field,
        })
    }

    /// The catalog entry, as `source-declarative-manifest` writes it.
    pub fn to_airbyte_stream(&self) -> Result<AirbyteStream, Error> {
        let schema = JsonObject::from_serialize(&self.json_schema)
            .map_err(|e| Error::Manifest(format!("the schema of `{}`: {e}", self.name)))?;
        let mut stream = AirbyteStream::new(self.name.clone(), schema, vec![SyncMode::FullRefresh]);
        if let Some(cursor) = &self.cursor_field {
            stream.supported_sync_modes.push(SyncMode::Incremental);
            stream.source_defined_cursor = Some(true);
            stream.default_cursor_field = Some(vec![cursor.clone()]);
        }
        if !self.primary_key.is_empty() {
            stream.source_defined_primary_key = Some(self.primary_key.clone());
        }
        stream.is_resumable = Some(self.cursor_field.is_some());
        stream.is_file_based = Some(false);
        Ok(stream)
    }
}

/// `primary_key`: `"id"`, `[a, b]` or `[[a], [b, c]]`; `""` or none for no key.
fn primary_key(key: Option<&Value>, stream: &str) -> Result<Vec<Vec<String>>, Error> {
    let bad = || {
        Error::Manifest(format!(
            "the primary key of stream `{stream}` is neither a field name nor a list of them"
        ))
    };
    match key {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(k)) if k.is_empty() => Ok(Vec::new()),
        Some(Value::String(k)) => Ok(vec![vec![k.clone()]]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(k) => Ok(vec![k.clone()]),
                Value::Array(path) => path
                    .iter()
                    .map(|p| p.as_str().map(str::to_owned).ok_or_else(bad))
                    .collect(),
                _ => Err(bad()),
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// The schema a stream's loader gives at discover time.
fn schema(loader: Option<&Value>, stream: &str) -> Result<Value, Error> {
    let Some(loader) = loader else {
        // `DefaultSchemaLoader`: a packaged file that a manifest run never has.
        return Ok(Value::Object(Map::new()));
    };
    match loader.get("type").and_then(Value::as_str) {
        Some("InlineSchemaLoader") => Ok(loader
            .get("schema")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()))),
        // The file would be in the connector's Python package: none here.
        Some("JsonFileSchemaLoader" | "DefaultSchemaLoader") => Ok(Value::Object(Map::new())),
        // Built from API records: the engine loads it before discover and
        // read (`schema::load_dynamic_schema`).
        Some("DynamicSchemaLoader") => Ok(Value::Object(Map::new())),
        Some(other) => Err(Error::Manifest(format!(
            "stream `{stream}`: the schema loader `{other}` is not supported (InlineSchemaLoader, JsonFileSchemaLoader, DynamicSchemaLoader are)"
        ))),
        None => Err(Error::Manifest(format!(
            "stream `{stream}`: the schema loader has no type"
        ))),
    }
}

/// The cursor field of an `incremental_sync`, rendered with the config and
/// the component's parameters.
fn cursor_field(
    cursor: &Value,
    config: &Value,
    jinja: &Jinja,
    stream: &str,
) -> Result<String, Error> {
    let Some(Value::String(template)) = cursor.get("cursor_field") else {
        return Err(Error::Manifest(format!(
            "stream `{stream}`: its incremental_sync has no `cursor_field`"
        )));
    };
    let mut context = Map::new();
    context.insert("config".into(), config.clone());
    context.insert(
        "parameters".into(),
        cursor
            .get("$parameters")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
    );
    Ok(match jinja.string(template, &context)? {
        Value::String(s) => s,
        other => python_str(&other),
    })
}
