//! `DynamicSchemaLoader`: a JSON schema built from the first record of a
//! retriever, as airbyte-cdk 7.39.1's `dynamic_schema_loader.py` builds it.
//!
//! The record's `schema_pointer` holds a list of field definitions; each
//! gives its name at `key_pointer` and its type at `type_pointer` (default
//! `string`), which `types_mapping` may replace (the first `TypesMap`
//! whose `current_type` equals it and whose `condition`, over
//! `raw_schema`, holds). A type is one of the Airbyte types, a pair of
//! them (`oneOf`), or a `ComplexFieldType` (an array and its items). The
//! properties then go through `schema_filter` and `schema_transformations`.
//! The retriever reads one empty slice (its partition router is not
//! iterated), with no stream transformations.

use serde_json::{Map, Value, json};

use crate::dynamic::RecordReader;
use crate::error::Error;
use crate::interpolation::{Jinja, python_str};
use crate::transform::Transformation;
use crate::transform::dpath::{self, Glob};

/// `AIRBYTE_DATA_TYPES[name]`.
fn airbyte_type(name: &str) -> Result<Value, Error> {
    let nullable = |t: &str| json!({"type": ["null", t]});
    Ok(match name {
        "string" | "boolean" | "integer" | "number" | "array" | "object" => nullable(name),
        "date" => json!({"type": ["null", "string"], "format": "date"}),
        "timestamp_without_timezone" => json!({"type": ["null", "string"], "format": "date-time",
            "airbyte_type": "timestamp_without_timezone"}),
        "timestamp_with_timezone" => json!({"type": ["null", "string"], "format": "date-time"}),
        "time_without_timezone" => json!({"type": ["null", "string"], "format": "time",
            "airbyte_type": "time_without_timezone"}),
        "time_with_timezone" => json!({"type": ["null", "string"], "format": "time",
            "airbyte_type": "time_with_timezone"}),
        other => {
            return Err(Error::Manifest(format!(
                "Invalid Airbyte data type: {other}"
            )));
        }
    })
}

/// A `ComplexFieldType` (`{field_type, items}`) as a schema.
fn complex_type(complex: &Map<String, Value>) -> Result<Value, Error> {
    let field_type = complex
        .get("field_type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Manifest("a ComplexFieldType has no `field_type`".into()))?;
    let mut schema = airbyte_type(field_type)?;
    match complex.get("items") {
        None | Some(Value::Null) => {}
        Some(_) if field_type != "array" => {
            return Err(Error::Manifest(
                "'items' can only be used when 'field_type' is an array.".into(),
            ));
        }
        Some(Value::String(items)) => schema["items"] = airbyte_type(items)?,
        Some(Value::Object(items)) => schema["items"] = complex_type(items)?,
        Some(other) => {
            return Err(Error::Manifest(format!(
                "a ComplexFieldType's items is neither a type nor a ComplexFieldType: {}",
                python_str(other)
            )));
        }
    }
    Ok(schema)
}

/// The schema of a field's (mapped) type.
fn field_schema(field_type: &Value) -> Result<Value, Error> {
    match field_type {
        Value::Array(pair) if pair.len() == 2 && pair.iter().all(Value::is_string) => {
            let first = airbyte_type(pair[0].as_str().unwrap_or_default())?;
            let second = airbyte_type(pair[1].as_str().unwrap_or_default())?;
            Ok(json!({"oneOf": [first, second]}))
        }
        Value::String(name) => airbyte_type(name),
        Value::Object(complex) if complex.contains_key("field_type") => complex_type(complex),
        other => Err(Error::Manifest(format!(
            "Invalid data type. Available string or two items list of string. Got {}.",
            python_str(other)
        ))),
    }
}

/// A loader's pointer: each segment rendered with the config and the
/// loader's parameters.
fn pointer(
    value: Option<&Value>,
    jinja: &Jinja,
    context: &Map<String, Value>,
) -> Result<Option<Vec<Glob>>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.is_empty() => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => jinja.string(s, context).map(|v| Glob::from_value(&v)),
                other => Ok(Glob::from_value(other)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(Error::Manifest(format!(
            "a SchemaTypeIdentifier pointer is no list: {}",
            python_str(other)
        ))),
    }
}

/// Builds the schema of a `DynamicSchemaLoader` mapping for `config`.
pub async fn load_dynamic_schema(
    loader: &Value,
    config: &Value,
    reader: &RecordReader,
) -> Result<Value, Error> {
    let jinja = Jinja::new();
    let identifier = loader.get("schema_type_identifier").ok_or_else(|| {
        Error::Manifest("a DynamicSchemaLoader has no `schema_type_identifier`".into())
    })?;
    let mut retriever = loader
        .get("retriever")
        .cloned()
        .ok_or_else(|| Error::Manifest("a DynamicSchemaLoader has no `retriever`".into()))?;
    if let Value::Object(map) = &mut retriever {
        map.remove("partition_router");
    }
    let mut context = Map::new();
    context.insert("config".into(), config.clone());
    context.insert(
        "parameters".into(),
        identifier
            .get("$parameters")
            .or_else(|| loader.get("$parameters"))
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
    );
    let schema_pointer = pointer(identifier.get("schema_pointer"), &jinja, &context)?;
    let key_pointer = pointer(identifier.get("key_pointer"), &jinja, &context)?
        .ok_or_else(|| Error::Manifest("a SchemaTypeIdentifier has no `key_pointer`".into()))?;
    let type_pointer = pointer(identifier.get("type_pointer"), &jinja, &context)?;
    let types_mapping = match identifier.get("types_mapping") {
        Some(Value::Array(list)) => list.as_slice(),
        _ => &[],
    };
    let first = reader
        .read(&retriever, "dynamic_properties", config, Some(1))
        .await?
        .into_iter()
        .next()
        .map(|(record, _)| record);
    let raw_schema = match (&first, &schema_pointer) {
        (None, _) => Value::Array(Vec::new()),
        (Some(record), None) => record.clone(),
        (Some(record), Some(path)) => dpath::get(record, path)?.cloned().unwrap_or(Value::Null),
    };
    let definitions = match &raw_schema {
        Value::Array(items) => items.as_slice(),
        Value::Null => &[],
        other => {
            return Err(Error::Manifest(format!(
                "the schema_pointer of a DynamicSchemaLoader found no list of fields: {}",
                python_str(other)
            )));
        }
    };
    let mut properties = Map::new();
    for definition in definitions {
        let key = match dpath::get(definition, &key_pointer)? {
            Some(Value::String(key)) => key.clone(),
            other => {
                return Err(Error::Manifest(format!(
                    "Expected key to be a string. Got {}",
                    other.map_or_else(|| "None".to_owned(), python_str)
                )));
            }
        };
        let raw_type = match &type_pointer {
            Some(path) => dpath::get(definition, path)?
                .cloned()
                .unwrap_or_else(|| Value::String("string".into())),
            None => Value::String("string".into()),
        };
        let mut condition_context = Map::new();
        condition_context.insert("config".into(), config.clone());
        condition_context.insert("parameters".into(), Value::Object(Map::new()));
        condition_context.insert("raw_schema".into(), definition.clone());
        let mut mapped = raw_type.clone();
        for map in types_mapping {
            let condition = map
                .get("condition")
                .and_then(Value::as_str)
                .unwrap_or("True");
            if map.get("current_type") == Some(&raw_type)
                && jinja.boolean(condition, &condition_context)?
            {
                mapped = map.get("target_type").cloned().unwrap_or(Value::Null);
                break;
            }
        }
        properties.insert(key, field_schema(&mapped)?);
    }
    let mut properties = Value::Object(filter(loader, properties, config, &jinja)?);
    let transformations = Transformation::list_from_manifest(loader.get("schema_transformations"))?;
    for transformation in &transformations {
        transformation.apply(&jinja, &mut properties, config, &Value::Null)?;
    }
    Ok(json!({
        "$schema": "https://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": true,
        "properties": properties,
    }))
}

/// `schema_filter`: a `RecordFilter` over each `{key: schema}` pair.
fn filter(
    loader: &Value,
    properties: Map<String, Value>,
    config: &Value,
    jinja: &Jinja,
) -> Result<Map<String, Value>, Error> {
    let Some(filter) = loader.get("schema_filter").filter(|f| f.is_object()) else {
        return Ok(properties);
    };
    let condition = match filter.get("condition") {
        Some(Value::String(c)) if !c.is_empty() => c.clone(),
        _ => return Ok(properties),
    };
    let mut context = Map::new();
    context.insert("config".into(), config.clone());
    context.insert(
        "parameters".into(),
        filter
            .get("$parameters")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
    );
    context.insert("next_page_token".into(), Value::Null);
    let mut kept = Map::new();
    for (key, schema) in properties {
        let mut pair = Map::new();
        pair.insert(key.clone(), schema.clone());
        context.insert("record".into(), Value::Object(pair));
        if jinja.boolean(&condition, &context)? {
            kept.insert(key, schema);
        }
    }
    Ok(kept)
}
