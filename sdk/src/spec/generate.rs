//! Turning a config type into an Airbyte `connectionSpecification`.
//!
//! [`connection_specification`] asks schemars for a draft-07 schema with every
//! subschema inlined, then [`normalize_connection_specification`] rewrites
//! what schemars emits into the subset of JSON Schema that the Airbyte UI
//! understands and that the acceptance tests (CAT `TestSpec`) accept.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// The `$schema` of every connection specification.
///
/// # Example
///
/// ```
/// /// A config without options.
/// #[airbyte_sdk::config]
/// pub struct Empty {}
///
/// let spec = airbyte_sdk::spec::connection_specification::<Empty>();
/// assert_eq!(spec["$schema"], airbyte_sdk::spec::DRAFT_07);
/// ```
pub const DRAFT_07: &str = "http://json-schema.org/draft-07/schema#";

/// Integer and float `format`s that schemars emits for Rust number types; they
/// are not JSON Schema formats and the Airbyte UI does not know them.
const NUMBER_FORMATS: &[&str] = &[
    "int", "int8", "int16", "int32", "int64", "int128", "uint", "uint8", "uint16", "uint32",
    "uint64", "uint128", "float", "double",
];

/// Keywords that CAT's `test_forbidden_complex_types` rejects and that the
/// normalization cannot rewrite into something else, so it drops them.
const DROPPED_KEYWORDS: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "prefixItems",
    "dependentSchemas",
    "dependentRequired",
];

/// The `connectionSpecification` of config type `C` (usually a type marked
/// `#[airbyte_sdk::config]`), ready to put in a `ConnectorSpecification`.
///
/// The schema is generated with `SchemaSettings::draft07()` and
/// `inline_subschemas = true`, then passed through
/// [`normalize_connection_specification`]. The root `title` defaults to the
/// type name.
///
/// # Example
///
/// ```
/// /// Settings of the example source.
/// #[airbyte_sdk::config]
/// pub struct Config {
///     /// API key of the account.
///     #[airbyte(secret, order = 0)]
///     pub api_key: String,
///     /// Page size, 1 to 1000.
///     #[airbyte(order = 1, default = 100)]
///     pub page_size: u32,
/// }
///
/// let spec = airbyte_sdk::spec::connection_specification::<Config>();
/// assert_eq!(spec["$schema"], "http://json-schema.org/draft-07/schema#");
/// assert_eq!(spec["title"], "Config");
/// assert_eq!(spec["properties"]["api_key"]["airbyte_secret"], true);
/// assert_eq!(spec["properties"]["page_size"]["default"], 100);
/// assert!(spec["properties"]["page_size"].get("format").is_none());
/// assert_eq!(spec["required"], serde_json::json!(["api_key"]));
/// ```
pub fn connection_specification<C: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let mut spec = settings
        .into_generator()
        .into_root_schema_for::<C>()
        .to_value();
    if let Some(root) = spec.as_object_mut() {
        root.entry("title")
            .or_insert_with(|| Value::String(C::schema_name().into_owned()));
    }
    normalize_connection_specification(&mut spec);
    spec
}

/// Rewrites a JSON Schema in place so that it follows the Airbyte
/// `connectionSpecification` conventions. It is idempotent, and it is what
/// [`connection_specification`] applies to the output of schemars. It:
///
/// - sets `$schema` to draft-07 and `type: object` at the root, and makes a
///   non-object root an empty object schema;
/// - turns `Option<T>`'s `type: ["T", "null"]` into `type: "T"` (dropping
///   `null` from any `enum`), and its `anyOf: [{..T..}, {"type": "null"}]`
///   into the plain schema of `T`, the field's own keywords winning;
/// - merges `allOf` members into their parent, renames any other `anyOf` to
///   `oneOf`, and drops the other keywords CAT forbids (`not`,
///   `if`/`then`/`else`, `patternProperties`, `prefixItems`,
///   `dependentSchemas`, `dependentRequired`);
/// - drops the integer and float `format`s of Rust types (`uint16`, `int64`,
///   `uint`, `double`, …);
/// - replaces every `additionalProperties` that is not `true` with `true`;
/// - turns a `oneOf` of bare `const`s (an enum of documented unit variants)
///   into a plain `enum`;
/// - for any other `oneOf`: gives the parent `type: object`, gives every
///   option `type: object` and `properties`, gives the discriminator (the one
///   property that has a `const` in every option) a `type`, and gives every
///   option without a `title` its discriminator value as title;
/// - removes `definitions`/`$defs` when no `$ref` is left.
///
/// # Example
///
/// ```
/// use airbyte_sdk::spec::normalize_connection_specification;
/// use serde_json::json;
///
/// let mut spec = json!({
///     "type": "object",
///     "additionalProperties": false,
///     "properties": {
///         "port": {"type": ["integer", "null"], "format": "uint16"},
///     },
/// });
/// normalize_connection_specification(&mut spec);
/// assert_eq!(spec, json!({
///     "$schema": "http://json-schema.org/draft-07/schema#",
///     "type": "object",
///     "additionalProperties": true,
///     "properties": {"port": {"type": "integer"}},
/// }));
/// ```
pub fn normalize_connection_specification(spec: &mut Value) {
    if !spec.is_object() {
        *spec = Value::Object(Map::new());
    }
    normalize_node(spec);
    let has_refs = contains_key(spec, "$ref");
    if let Some(root) = spec.as_object_mut() {
        root.insert("$schema".to_owned(), Value::String(DRAFT_07.to_owned()));
        root.entry("type")
            .or_insert_with(|| Value::String("object".to_owned()));
        if !has_refs {
            root.remove("definitions");
            root.remove("$defs");
        }
    }
}

/// Normalizes one schema and, recursively, its subschemas.
fn normalize_node(node: &mut Value) {
    let Some(obj) = node.as_object_mut() else {
        return;
    };
    // Local rewrites first: they can pull new keywords into `obj`.
    while unwrap_nullable(obj, "anyOf") || unwrap_nullable(obj, "oneOf") || merge_all_of(obj) {}
    if !obj.contains_key("oneOf")
        && let Some(any_of) = obj.remove("anyOf")
    {
        obj.insert("oneOf".to_owned(), any_of);
    }
    for keyword in DROPPED_KEYWORDS {
        obj.remove(*keyword);
    }
    strip_null_type(obj);
    drop_number_format(obj);
    if obj
        .get("additionalProperties")
        .is_some_and(|value| value != &Value::Bool(true))
    {
        obj.insert("additionalProperties".to_owned(), Value::Bool(true));
    }

    for keyword in ["properties", "definitions", "$defs"] {
        if let Some(Value::Object(children)) = obj.get_mut(keyword) {
            children.values_mut().for_each(normalize_node);
        }
    }
    for keyword in ["items", "oneOf", "anyOf"] {
        match obj.get_mut(keyword) {
            Some(Value::Array(children)) => children.iter_mut().for_each(normalize_node),
            Some(child @ Value::Object(_)) => normalize_node(child),
            _ => {}
        }
    }

    normalize_one_of(obj);
}

/// Whether `value` is exactly `{"type": "null"}`.
fn is_null_schema(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|o| o.len() == 1 && o.get("type") == Some(&Value::String("null".to_owned())))
}

/// `anyOf: [X, {"type": "null"}]` (schemars' `Option<X>`) becomes X merged into
/// `obj`, whose own keywords win. Returns whether anything changed.
fn unwrap_nullable(obj: &mut Map<String, Value>, keyword: &str) -> bool {
    let Some(Value::Array(options)) = obj.get_mut(keyword) else {
        return false;
    };
    if !options.iter().any(is_null_schema) {
        return false;
    }
    options.retain(|option| !is_null_schema(option));
    if options.len() != 1 {
        return true;
    }
    let Some(Value::Array(mut options)) = obj.remove(keyword) else {
        return true;
    };
    if let Some(Value::Object(inner)) = options.pop() {
        for (key, value) in inner {
            obj.entry(key).or_insert(value);
        }
    }
    true
}

/// Merges the members of `allOf` into `obj` (properties and required are
/// united; other keywords are taken when `obj` lacks them).
fn merge_all_of(obj: &mut Map<String, Value>) -> bool {
    let Some(Value::Array(members)) = obj.remove("allOf") else {
        return false;
    };
    for member in members {
        let Value::Object(member) = member else {
            continue;
        };
        for (key, value) in member {
            match (key.as_str(), obj.get_mut(&key), value) {
                ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                    for (name, schema) in theirs {
                        mine.entry(name).or_insert(schema);
                    }
                }
                ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                    for name in theirs {
                        if !mine.contains(&name) {
                            mine.push(name);
                        }
                    }
                }
                (_, Some(_), _) => {}
                (_, None, value) => {
                    obj.insert(key, value);
                }
            }
        }
    }
    true
}

/// `type: ["T", "null"]` becomes `type: "T"`, and `null` leaves any `enum`.
fn strip_null_type(obj: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = obj.get_mut("type") else {
        return;
    };
    let before = types.len();
    types.retain(|t| t != "null");
    if types.len() == before {
        return;
    }
    match types.len() {
        0 => {
            obj.insert("type".to_owned(), Value::String("null".to_owned()));
            return;
        }
        1 => {
            let only = types.remove(0);
            obj.insert("type".to_owned(), only);
        }
        _ => {}
    }
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}

/// Drops `format: uint16` and friends from integer and number schemas.
fn drop_number_format(obj: &mut Map<String, Value>) {
    let numeric = matches!(
        obj.get("type").and_then(Value::as_str),
        Some("integer" | "number")
    );
    let rust_format = obj
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| NUMBER_FORMATS.contains(&f));
    if numeric && rust_format {
        obj.remove("format");
    }
}

/// The JSON Schema type name of a `const` value.
fn json_type(value: &Value) -> Option<&'static str> {
    match value {
        Value::String(_) => Some("string"),
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
        Value::Number(_) => Some("number"),
        _ => None,
    }
}

/// Brings a `oneOf` in line with the Airbyte UI rules (see
/// [`normalize_connection_specification`]).
fn normalize_one_of(obj: &mut Map<String, Value>) {
    let Some(Value::Array(options)) = obj.get_mut("oneOf") else {
        return;
    };
    if options.is_empty() {
        return;
    }

    // A oneOf of bare consts (documented unit variants) is a plain enum.
    let consts: Option<Vec<Value>> = options
        .iter()
        .map(|option| {
            let option = option.as_object()?;
            if option.contains_key("properties") {
                return None;
            }
            option.get("const").cloned()
        })
        .collect();
    if let Some(consts) = consts {
        let types: Vec<Option<&str>> = consts.iter().map(json_type).collect();
        let common = types
            .first()
            .copied()
            .flatten()
            .filter(|first| types.iter().all(|t| *t == Some(*first)));
        obj.remove("oneOf");
        if let Some(common) = common {
            obj.insert("type".to_owned(), Value::String(common.to_owned()));
        }
        obj.insert("enum".to_owned(), Value::Array(consts));
        return;
    }

    for option in options.iter_mut() {
        if let Some(option) = option.as_object_mut() {
            option
                .entry("type")
                .or_insert_with(|| Value::String("object".to_owned()));
            option
                .entry("properties")
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    if let Some(discriminator) = discriminator(options) {
        for option in options.iter_mut() {
            let Some(option) = option.as_object_mut() else {
                continue;
            };
            let Some(Value::Object(property)) = option
                .get_mut("properties")
                .and_then(|p| p.get_mut(&discriminator))
            else {
                continue;
            };
            let constant = property.get("const").cloned().unwrap_or(Value::Null);
            if let Some(kind) = json_type(&constant) {
                property
                    .entry("type")
                    .or_insert_with(|| Value::String(kind.to_owned()));
            }
            if let Value::String(title) = constant {
                option.entry("title").or_insert(Value::String(title));
            }
        }
    }
    obj.insert("type".to_owned(), Value::String("object".to_owned()));
}

/// The one property present with a `const` in every option, if exactly one.
fn discriminator(options: &[Value]) -> Option<String> {
    let first = options.first()?.get("properties")?.as_object()?;
    let mut found = first.keys().filter(|name| {
        options.iter().all(|option| {
            option
                .get("properties")
                .and_then(|p| p.get(name.as_str()))
                .and_then(Value::as_object)
                .is_some_and(|property| property.contains_key("const"))
        })
    });
    let name = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(name.clone())
}

/// Whether `key` appears as an object key anywhere in `value`.
fn contains_key(value: &Value, key: &str) -> bool {
    match value {
        Value::Object(obj) => obj.contains_key(key) || obj.values().any(|v| contains_key(v, key)),
        Value::Array(values) => values.iter().any(|v| contains_key(v, key)),
        _ => false,
    }
}
