//! Implicit component types and `$parameters`, propagated as
//! `airbyte-cdk`'s component transformer does.
//!
//! Walking the resolved manifest depth-first from the root
//! (`DeclarativeSource`):
//!
//! 1. A mapping without `type` gets the default type of the field it sits
//!    in (`DeclarativeStream.retriever` → `SimpleRetriever`, …; see
//!    [`default_type`]), or, if it has a `class_name`, the matching custom
//!    type.
//! 2. Its effective parameters are its parent's overlaid with its own
//!    `$parameters` (its own win, unless `use_parent_parameters`).
//! 3. A JSON schema (`type: object` or `[null, object]`) is left alone; a
//!    mapping that has no type is not a component (only its typed
//!    children are walked).
//! 4. Every effective parameter fills the field of the same name when that
//!    field is absent or falsy (`""`, `0`, `false`, `[]`, `{}`, `null`).
//! 5. Children are walked with the effective parameters, minus the one
//!    named like the field being descended into (put back afterwards only
//!    if truthy: the CDK loses a falsy one there).
//! 6. The effective parameters are stored back as `$parameters` (the
//!    `parameters` of interpolation).

use serde_json::{Map, Value};

use crate::interpolation::truthy;

/// Propagates types and parameters through a resolved manifest, whose
/// root becomes a `DeclarativeSource`.
///
/// ```
/// use serde_json::json;
/// let manifest = json!({
///     "streams": [{
///         "$parameters": {"name": "users", "path": "/users"},
///         "retriever": {"requester": {"url_base": "https://api"}},
///     }],
/// });
/// let out = source_http::manifest::parameters::propagate(&manifest);
/// let stream = &out["streams"][0];
/// assert_eq!(stream["type"], "DeclarativeStream");
/// assert_eq!(stream["name"], "users");
/// assert_eq!(stream["retriever"]["type"], "SimpleRetriever");
/// assert_eq!(stream["retriever"]["requester"]["type"], "HttpRequester");
/// assert_eq!(stream["retriever"]["requester"]["path"], "/users");
/// ```
pub fn propagate(manifest: &Value) -> Value {
    let mut root = manifest.clone();
    if let Value::Object(map) = &mut root {
        map.entry("type")
            .or_insert_with(|| Value::String("DeclarativeSource".into()));
    }
    match root {
        Value::Object(map) => Value::Object(component("", map, &Map::new(), false)),
        other => other,
    }
}

/// Propagates types and parameters through one component on its own, as
/// the CDK does for each stream a dynamic stream's resolver generates
/// (`propagate_types_and_parameters("", stream, {}, use_parent_parameters)`).
///
/// ```
/// use serde_json::json;
/// let stream = json!({"type": "DeclarativeStream", "$parameters": {"path": "/t"},
///     "retriever": {"type": "SimpleRetriever", "requester": {"type": "HttpRequester"}}});
/// let out = source_http::manifest::parameters::propagate_component(&stream, true);
/// assert_eq!(out["retriever"]["requester"]["path"], "/t");
/// ```
pub fn propagate_component(component_value: &Value, use_parent: bool) -> Value {
    match component_value {
        Value::Object(map) => Value::Object(component("", map.clone(), &Map::new(), use_parent)),
        other => other.clone(),
    }
}

/// The type a mapping without one gets in field `field` of a component of
/// type `parent` (`DeclarativeStream.retriever`).
pub fn default_type(parent_field: &str) -> Option<&'static str> {
    Some(match parent_field {
        "CompositeErrorHandler.error_handlers" => "DefaultErrorHandler",
        "CursorPagination.decoder" => "JsonDecoder",
        "DatetimeBasedCursor.end_datetime" | "DatetimeBasedCursor.start_datetime" => {
            "MinMaxDatetime"
        }
        "DatetimeBasedCursor.end_time_option" | "DatetimeBasedCursor.start_time_option" => {
            "RequestOption"
        }
        "DeclarativeSource.check" => "CheckStream",
        "DeclarativeSource.spec" => "Spec",
        "DeclarativeSource.streams" => "DeclarativeStream",
        "DeclarativeStream.retriever" => "SimpleRetriever",
        "DeclarativeStream.schema_loader" => "JsonFileSchemaLoader",
        "DynamicDeclarativeStream.stream_template" => "DeclarativeStream",
        "DynamicDeclarativeStream.components_resolver" => "ConfigComponentResolver",
        "HttpComponentsResolver.retriever" => "SimpleRetriever",
        "HttpComponentsResolver.components_mapping"
        | "ConfigComponentsResolver.components_mapping" => "ComponentMappingDefinition",
        "ConfigComponentsResolver.stream_config" => "StreamConfig",
        "DefaultErrorHandler.response_filters" => "HttpResponseFilter",
        "DefaultPaginator.decoder" | "DpathExtractor.decoder" => "JsonDecoder",
        "DefaultPaginator.page_size_option"
        | "ListPartitionRouter.request_option"
        | "ParentStreamConfig.request_option" => "RequestOption",
        "DpathExtractor.record_expander" => "RecordExpander",
        "HttpRequester.error_handler" => "DefaultErrorHandler",
        "ParentStreamConfig.stream" | "StreamGroup.streams" => "DeclarativeStream",
        "RecordSelector.extractor" => "DpathExtractor",
        "RecordSelector.record_filter" => "RecordFilter",
        "SimpleRetriever.paginator" => "NoPagination",
        "SimpleRetriever.record_selector" => "RecordSelector",
        "SimpleRetriever.requester" => "HttpRequester",
        "SubstreamPartitionRouter.parent_stream_configs"
        | "CustomPartitionRouter.parent_stream_configs" => "ParentStreamConfig",
        "AddFields.fields" => "AddedFieldDefinition",
        "DynamicSchemaLoader.retriever" => "SimpleRetriever",
        "SchemaTypeIdentifier.types_map" => "TypesMap",
        _ => return None,
    })
}

/// The custom type a mapping with `class_name` and no `type` gets.
fn custom_type(parent_field: &str) -> Option<&'static str> {
    Some(match parent_field {
        "CompositeErrorHandler.backoff_strategies" | "DefaultErrorHandler.backoff_strategies" => {
            "CustomBackoffStrategy"
        }
        "DeclarativeStream.retriever" => "CustomRetriever",
        "DeclarativeStream.transformations" => "CustomTransformation",
        "DefaultPaginator.pagination_strategy" => "CustomPaginationStrategy",
        "HttpRequester.authenticator" => "CustomAuthenticator",
        "HttpRequester.error_handler" => "CustomErrorHandler",
        "RecordSelector.extractor" => "CustomRecordExtractor",
        "SimpleRetriever.partition_router" => "CustomPartitionRouter",
        _ => return None,
    })
}

/// Fields whose value is a mapping of named components of one type.
fn named_components_type(parent_field: &str) -> Option<&'static str> {
    (parent_field == "DeclarativeSource.stream_groups").then_some("StreamGroup")
}

fn is_json_schema_object(map: &Map<String, Value>) -> bool {
    match map.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.as_slice() == [Value::from("null"), Value::from("object")],
        _ => false,
    }
}

/// One mapping in field `parent_field` (`Type.field`), with the parameters above it.
fn component(
    parent_field: &str,
    mut map: Map<String, Value>,
    parent_parameters: &Map<String, Value>,
    use_parent: bool,
) -> Map<String, Value> {
    if !map.contains_key("type") {
        let found = if map.contains_key("class_name") {
            custom_type(parent_field)
        } else {
            default_type(parent_field)
        };
        if let Some(found) = found {
            map.insert("type".into(), Value::String(found.into()));
        }
    }
    let own = match map.remove("$parameters") {
        Some(Value::Object(own)) => own,
        _ => Map::new(),
    };
    let mut parameters = if use_parent {
        let mut p = own;
        p.extend(parent_parameters.clone());
        p
    } else {
        let mut p = parent_parameters.clone();
        p.extend(own);
        p
    };
    if is_json_schema_object(&map) {
        return map;
    }
    let Some(own_type) = map.get("type").and_then(Value::as_str).map(str::to_owned) else {
        // Not a component: only typed children inherit the parameters.
        for value in map.values_mut() {
            if let Value::Object(child) = value
                && child.get("type").is_some_and(truthy)
            {
                let taken = std::mem::take(child);
                *child = component(parent_field, taken, &parameters, use_parent);
            }
        }
        return map;
    };
    for (key, value) in &parameters {
        let fill = map.get(key).is_none_or(|v| !truthy(v));
        if fill {
            map.insert(key.clone(), value.clone());
        }
    }
    let use_parent = use_parent || map.get("use_parent_parameters").is_some_and(truthy);
    let keys: Vec<String> = map.keys().cloned().collect();
    for field in keys {
        let identifier = format!("{own_type}.{field}");
        // A parameter named like the field is not passed into it (no
        // cycles); only mappings and lists are descended into, so only
        // they withhold it (a falsy one is lost there, as in the CDK).
        let descends = matches!(map.get(&field), Some(Value::Object(_) | Value::Array(_)));
        let withheld = if descends {
            parameters.remove(&field)
        } else {
            None
        };
        if let Some(value) = map.get_mut(&field) {
            match value {
                Value::Object(child) => {
                    let taken = std::mem::take(child);
                    *child = match named_components_type(&identifier) {
                        Some(named) => taken
                            .into_iter()
                            .map(|(name, v)| match v {
                                Value::Object(mut c) => {
                                    c.entry("type")
                                        .or_insert_with(|| Value::String(named.into()));
                                    (
                                        name,
                                        Value::Object(component(
                                            &identifier,
                                            c,
                                            &parameters,
                                            use_parent,
                                        )),
                                    )
                                }
                                other => (name, other),
                            })
                            .collect(),
                        None => component(&identifier, taken, &parameters, use_parent),
                    };
                }
                Value::Array(items) => {
                    for item in items.iter_mut() {
                        if let Value::Object(child) = item {
                            let taken = std::mem::take(child);
                            *child = component(&identifier, taken, &parameters, use_parent);
                        }
                    }
                }
                _ => {}
            }
        }
        // Put back, unless falsy: the CDK drops a falsy one here.
        if let Some(value) = withheld.filter(truthy) {
            parameters.insert(field, value);
        }
    }
    if !parameters.is_empty() {
        map.insert("$parameters".into(), Value::Object(parameters));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn own_values_win_unless_falsy() {
        let manifest = json!({"streams": [{
            "$parameters": {"name": "p", "primary_key": "id"},
            "name": "",
            "primary_key": "own",
        }]});
        let out = propagate(&manifest);
        assert_eq!(out["streams"][0]["name"], "p", "an empty name is falsy");
        assert_eq!(out["streams"][0]["primary_key"], "own");
        assert_eq!(
            out["streams"][0]["$parameters"],
            json!({"name": "p", "primary_key": "id"})
        );
    }

    #[test]
    fn deeper_parameters_win_and_a_field_does_not_receive_its_namesake() {
        let manifest = json!({"streams": [{
            "$parameters": {"path": "/outer", "retriever": "not a component"},
            "retriever": {"requester": {"$parameters": {"path": "/inner"}}},
        }]});
        let out = propagate(&manifest);
        let retriever = &out["streams"][0]["retriever"];
        assert_eq!(retriever["type"], "SimpleRetriever");
        assert_eq!(retriever["requester"]["path"], "/inner");
        assert!(
            retriever["$parameters"].get("retriever").is_none(),
            "withheld from its own field: {retriever}"
        );
        assert!(
            retriever["requester"]["$parameters"]
                .get("retriever")
                .is_none(),
            "nor anywhere below it"
        );
        assert_eq!(
            out["streams"][0]["$parameters"]["retriever"], "not a component",
            "kept where it was set"
        );
    }

    #[test]
    fn schemas_are_left_alone_and_custom_components_get_their_type() {
        let manifest = json!({"streams": [{
            "$parameters": {"name": "s"},
            "schema_loader": {"type": "InlineSchemaLoader", "schema": {"type": "object", "properties": {"name": {"type": "string"}}}},
            "retriever": {"class_name": "source_x.components.Retriever"},
        }]});
        let out = propagate(&manifest);
        let stream = &out["streams"][0];
        assert_eq!(
            stream["schema_loader"]["schema"],
            json!({"type": "object", "properties": {"name": {"type": "string"}}})
        );
        assert_eq!(stream["schema_loader"]["name"], "s");
        assert_eq!(stream["retriever"]["type"], "CustomRetriever");
    }

    #[test]
    fn untyped_mappings_pass_parameters_to_typed_children_only() {
        let manifest = json!({"streams": [{
            "$parameters": {"name": "s"},
            "retriever": {"requester": {"request_parameters": {
                "plain": "x",
                "props": {"type": "QueryProperties", "property_list": ["a"]},
            }}},
        }]});
        let out = propagate(&manifest);
        let params = &out["streams"][0]["retriever"]["requester"]["request_parameters"];
        assert!(params.get("name").is_none(), "not a component: {params}");
        assert_eq!(params["props"]["name"], "s");
        assert_eq!(params["plain"], "x");
    }
}
