//! The `connectionSpecification` rules of the Airbyte Connector Acceptance
//! Tests (CAT `TestSpec`, `test_core.py`) that can be checked on the schema
//! alone.
//!
//! Each rule is named after the CAT test that enforces it, and mirrors how that
//! test searches the schema: most CAT tests look for a key anywhere in the JSON
//! (`dpath` globs such as `**/type`), not only at schema positions, and so do
//! these checks. Where CAT would crash (for instance on a `type` that is an
//! object), the check skips the node instead.
//!
//! Not covered, because they need more than the schema: `test_config_match_spec`
//! and `test_match_expected` (need a config or a spec file),
//! `test_oauth_flow_parameters` and `test_oauth_is_default_method` (need
//! `advanced_auth`), `test_backward_compatibility` (needs the previous
//! version), the image tests, and `test_date_pattern`/`test_date_format`, which
//! only warn.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// Names of the rules [`check_spec_rules`] checks, in the order it checks them.
///
/// # Example
///
/// ```
/// assert!(airbyte_sdk::spec::RULES.contains(&"test_oneof_usage"));
/// ```
pub const RULES: &[&str] = &[
    "test_enum_usage",
    "test_oneof_usage",
    "test_secret_is_properly_marked",
    "test_property_type_is_not_array",
    "test_object_not_empty",
    "test_array_type",
    "test_forbidden_complex_types",
    "test_duplicate_order",
    "test_nested_group",
    "test_display_type",
    "test_defined_refs_exist_in_json_spec_file",
    "test_additional_properties_is_true",
];

/// Property names that CAT treats as secrets (compared case-insensitively,
/// whole name only: `ca_certificate` is not one, `certificate` is).
///
/// # Example
///
/// ```
/// use airbyte_sdk::spec::SECRET_PROPERTY_NAMES;
/// assert!(SECRET_PROPERTY_NAMES.contains(&"password"));
/// assert!(!SECRET_PROPERTY_NAMES.contains(&"ca_certificate"));
/// ```
pub const SECRET_PROPERTY_NAMES: &[&str] = &[
    "client_token",
    "access_token",
    "api_token",
    "token",
    "secret",
    "client_secret",
    "password",
    "key",
    "service_account_info",
    "service_account",
    "tenant_id",
    "certificate",
    "jwt",
    "credentials",
    "app_id",
    "appid",
    "refresh_token",
];

/// Keywords that CAT's `test_forbidden_complex_types` rejects (except as
/// property names).
///
/// # Example
///
/// ```
/// assert!(airbyte_sdk::spec::FORBIDDEN_KEYWORDS.contains(&"anyOf"));
/// ```
pub const FORBIDDEN_KEYWORDS: &[&str] = &[
    "not",
    "anyOf",
    "patternProperties",
    "prefixItems",
    "allOf",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
];

/// Path parts that CAT skips when it looks for the name of a property.
const RESERVED_PATH_PARTS: &[&str] = &[
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "properties",
    "items",
    "type",
    "prefixItems",
];

/// One broken rule.
///
/// # Example
///
/// ```
/// use airbyte_sdk::spec::SpecViolation;
///
/// let violation = SpecViolation {
///     rule: "test_enum_usage",
///     path: "/properties/mode/enum".to_owned(),
///     message: "duplicate value \"a\"".to_owned(),
/// };
/// assert_eq!(
///     violation.to_string(),
///     "test_enum_usage at /properties/mode/enum: duplicate value \"a\""
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecViolation {
    /// The CAT test that would fail, e.g. `"test_oneof_usage"` (one of [`RULES`]).
    pub rule: &'static str,
    /// JSON pointer (RFC 6901) into the `connectionSpecification` of the
    /// offending node; `""` is the root.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for SpecViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{} at {}: {}", self.rule, path, self.message)
    }
}

/// Checks a `connectionSpecification` against every CAT `TestSpec` rule that
/// can be checked on the schema alone (see [`RULES`]) and returns what is
/// broken, in rule order; an empty vector means the spec passes.
///
/// # Example
///
/// ```
/// use airbyte_sdk::spec::check_spec_rules;
/// use serde_json::json;
///
/// let spec = json!({
///     "type": "object",
///     "properties": {
///         "password": {"type": "string"},
///         "host": {"type": "string", "order": 0},
///         "port": {"type": "integer", "order": 0},
///     },
/// });
/// let rules: Vec<&str> = check_spec_rules(&spec).iter().map(|v| v.rule).collect();
/// assert_eq!(rules, ["test_secret_is_properly_marked", "test_duplicate_order"]);
///
/// let fixed = json!({
///     "type": "object",
///     "properties": {
///         "password": {"type": "string", "airbyte_secret": true},
///         "host": {"type": "string", "order": 0},
///         "port": {"type": "integer", "order": 1},
///     },
/// });
/// assert!(check_spec_rules(&fixed).is_empty());
/// ```
pub fn check_spec_rules(connection_specification: &Value) -> Vec<SpecViolation> {
    let mut objects = Vec::new();
    collect_objects(connection_specification, &mut Vec::new(), &mut objects);
    let mut out = Vec::new();
    let checks: [Check; 12] = [
        enum_usage,
        oneof_usage,
        secret_is_properly_marked,
        property_type_is_not_array,
        object_not_empty,
        array_type,
        forbidden_complex_types,
        duplicate_order,
        nested_group,
        display_type,
        no_refs,
        additional_properties_is_true,
    ];
    for check in checks {
        check(&objects, &mut out);
    }
    out
}

/// One rule: reads every object of the spec, appends what is broken.
type Check = fn(&[Obj<'_>], &mut Vec<SpecViolation>);

/// A JSON object somewhere in the spec, with its path.
struct Obj<'a> {
    path: Vec<String>,
    map: &'a Map<String, Value>,
}

impl Obj<'_> {
    /// JSON pointer of this object, or of its `key` when given.
    fn pointer(&self, key: Option<&str>) -> String {
        self.path
            .iter()
            .map(String::as_str)
            .chain(key)
            .map(|part| format!("/{}", part.replace('~', "~0").replace('/', "~1")))
            .collect()
    }

    /// Whether this object is a `properties` map (its keys are names).
    fn is_properties_map(&self) -> bool {
        self.path.last().is_some_and(|p| p == "properties")
    }

    /// Whether this object lies inside the root's `properties`.
    fn under_root_properties(&self) -> bool {
        self.path.len() >= 2 && self.path[0] == "properties"
    }

    /// `type` as a string, if it is one.
    fn type_str(&self) -> Option<&str> {
        self.map.get("type").and_then(Value::as_str)
    }
}

/// Every JSON object in `value`, depth first, with its path.
fn collect_objects<'a>(value: &'a Value, path: &mut Vec<String>, out: &mut Vec<Obj<'a>>) {
    match value {
        Value::Object(map) => {
            out.push(Obj {
                path: path.clone(),
                map,
            });
            for (key, child) in map {
                path.push(key.clone());
                collect_objects(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(index.to_string());
                collect_objects(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Python truthiness, as CAT's `bool(...)` and `any([...])` see it.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// A key under which values compare the way Python's `==` compares them
/// (`1 == 1.0 == True`).
fn python_key(value: &Value) -> String {
    match value {
        Value::Bool(b) => format!("n:{}", f64::from(u8::from(*b))),
        Value::Number(n) => match n.as_f64() {
            Some(f) => format!("n:{f}"),
            None => format!("n:{n}"),
        },
        Value::String(s) => format!("s:{s}"),
        other => format!("j:{other}"),
    }
}

fn violation(out: &mut Vec<SpecViolation>, rule: &'static str, path: String, message: String) {
    out.push(SpecViolation {
        rule,
        path,
        message,
    });
}

/// `test_enum_usage`: no duplicate values in an `enum`.
fn enum_usage(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects {
        let Some(Value::Array(values)) = obj.map.get("enum") else {
            continue;
        };
        let mut seen: Vec<String> = Vec::new();
        let mut reported: Vec<String> = Vec::new();
        for value in values {
            let key = python_key(value);
            if seen.contains(&key) && !reported.contains(&key) {
                violation(
                    out,
                    "test_enum_usage",
                    obj.pointer(Some("enum")),
                    format!(
                        "enum lists must not contain duplicates; {value} appears more than once"
                    ),
                );
                reported.push(key.clone());
            }
            seen.push(key);
        }
    }
}

/// `test_oneof_usage`: a `oneOf` (or `anyOf`) sits in a `type: object` schema,
/// every option has `properties`, exactly one common property has a `const`
/// in every option, and its `default`/`enum` agree with the const.
fn oneof_usage(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    const RULE: &str = "test_oneof_usage";
    for obj in objects {
        for keyword in ["oneOf", "anyOf"] {
            let Some(options) = obj.map.get(keyword) else {
                continue;
            };
            let path = obj.pointer(Some(keyword));
            if obj.type_str() != Some("object") {
                violation(
                    out,
                    RULE,
                    obj.pointer(None),
                    format!("the schema holding `{keyword}` must have `\"type\": \"object\"`"),
                );
            }
            let Some(options) = options.as_array() else {
                violation(
                    out,
                    RULE,
                    path,
                    format!("`{keyword}` must be an array of objects"),
                );
                continue;
            };
            let mut all_properties = Vec::new();
            for (index, option) in options.iter().enumerate() {
                match option.get("properties").and_then(Value::as_object) {
                    Some(properties) => all_properties.push(properties),
                    None => violation(
                        out,
                        RULE,
                        format!("{path}/{index}"),
                        format!(
                            "every option of `{keyword}` must be an object schema with `properties`"
                        ),
                    ),
                }
            }
            if all_properties.len() != options.len() || options.is_empty() {
                continue;
            }
            let common: Vec<&String> = all_properties[0]
                .keys()
                .filter(|name| all_properties.iter().all(|p| p.contains_key(name.as_str())))
                .collect();
            if common.is_empty() {
                violation(
                    out,
                    RULE,
                    path,
                    "the options share no property; they need one \
                    common property with a `const` (e.g. `\"mode\": {\"const\": \"...\"}`)"
                        .to_owned(),
                );
                continue;
            }
            let with_const: Vec<&String> = common
                .into_iter()
                .filter(|name| {
                    all_properties.iter().all(|p| {
                        p.get(name.as_str())
                            .and_then(Value::as_object)
                            .is_some_and(|s| s.contains_key("const"))
                    })
                })
                .collect();
            let [discriminator] = with_const.as_slice() else {
                violation(
                    out,
                    RULE,
                    path,
                    format!(
                        "exactly one property common to all options must have a `const` in every \
                     option; found {}: {:?}",
                        with_const.len(),
                        with_const
                    ),
                );
                continue;
            };
            for (index, properties) in all_properties.iter().enumerate() {
                let Some(property) = properties.get(discriminator.as_str()) else {
                    continue;
                };
                let constant = property.get("const");
                if let Some(default) = property.get("default")
                    && Some(default) != constant
                {
                    violation(
                        out,
                        RULE,
                        format!("{path}/{index}/properties/{discriminator}"),
                        "`default` of the discriminator must equal its `const`; \
                         prefer `const` alone"
                            .to_owned(),
                    );
                }
                if let Some(values) = property.get("enum")
                    && values
                        .as_array()
                        .is_none_or(|v| v.len() != 1 || v.first() != constant)
                {
                    violation(
                        out,
                        RULE,
                        format!("{path}/{index}/properties/{discriminator}"),
                        "`enum` of the discriminator must be a single value equal to its \
                         `const`; prefer `const` alone"
                            .to_owned(),
                    );
                }
            }
        }
    }
}

/// Whether CAT thinks a property can hold a secret (`_property_can_store_secret`).
fn can_store_secret(prop: &Map<String, Value>) -> bool {
    const UNSECURE: &[&str] = &["string", "integer", "number"];
    let type_ = prop.get("type");
    let is = |name: &str| type_.and_then(Value::as_str) == Some(name);
    let generic_object = is("object")
        && !["properties", "anyOf", "oneOf", "allOf"]
            .iter()
            .any(|k| truthy(prop.get(*k)));
    let generic_array =
        is("array") && !truthy(prop.get("items")) && !truthy(prop.get("prefixItems"));
    let scalar = match type_ {
        Some(Value::String(t)) => UNSECURE.contains(&t.as_str()),
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| UNSECURE.contains(&t))),
        _ => false,
    };
    (scalar || generic_object || generic_array) && !truthy(prop.get("const"))
}

/// `test_secret_is_properly_marked`: fields with a secret name that can hold a
/// secret have `airbyte_secret: true`; fields that cannot are not marked.
fn secret_is_properly_marked(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    const RULE: &str = "test_secret_is_properly_marked";
    for obj in objects {
        if !obj.under_root_properties()
            || !matches!(
                obj.map.get("type"),
                Some(Value::String(_) | Value::Array(_))
            )
        {
            continue;
        }
        let Some(name) = obj.path[1..].iter().rev().find(|part| {
            !part.chars().all(|c| c.is_ascii_digit())
                && !RESERVED_PATH_PARTS.contains(&part.as_str())
        }) else {
            continue;
        };
        if !SECRET_PROPERTY_NAMES.contains(&name.to_lowercase().as_str()) {
            continue;
        }
        let marked = truthy(obj.map.get("airbyte_secret"));
        let can_store = can_store_secret(obj.map);
        if marked && !can_store {
            violation(
                out,
                RULE,
                obj.pointer(None),
                format!(
                    "`{name}` is marked `airbyte_secret` but cannot hold a secret (a boolean, a \
                 described object or array, or a const); remove the marking"
                ),
            );
        } else if !marked && can_store {
            violation(
                out,
                RULE,
                obj.pointer(None),
                format!(
                    "`{name}` has a secret's name and can hold one, so it needs \
                 `\"airbyte_secret\": true` (`#[airbyte(secret)]`)"
                ),
            );
        }
    }
}

/// `test_property_type_is_not_array`: a property's `type` array is `[T]` or
/// `[T, "null"]`.
fn property_type_is_not_array(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects {
        let n = obj.path.len();
        let Some(Value::Array(types)) = obj.map.get("type") else {
            continue;
        };
        if n < 2 || obj.path[n - 2] != "properties" {
            continue;
        }
        let ok = types.len() == 1 || (types.len() == 2 && types[1] == "null");
        if !ok {
            violation(
                out,
                "test_property_type_is_not_array",
                obj.pointer(Some("type")),
                format!(
                    "a property's type must be one type, optionally followed by \"null\" \
                 (e.g. [\"string\", \"null\"]); found {}",
                    Value::Array(types.clone())
                ),
            );
        }
    }
}

/// `test_object_not_empty`: every object schema but the root has non-empty
/// `properties` or a `oneOf`.
fn object_not_empty(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects {
        if obj.path.is_empty() {
            continue;
        }
        let is_object = match obj.map.get("type") {
            Some(Value::String(t)) => t == "object",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
            _ => false,
        };
        let has_properties = obj
            .map
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty());
        if is_object && !has_properties && !obj.map.contains_key("oneOf") {
            violation(
                out,
                "test_object_not_empty",
                obj.pointer(None),
                "an object needs `properties` or a `oneOf`, or the UI cannot show it \
                 (maps such as `HashMap` fields are not supported)"
                    .to_owned(),
            );
        }
    }
}

/// `test_array_type`: an array's `items` is one schema of type object, string,
/// number or integer, or an enum.
fn array_type(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects {
        if obj.type_str() != Some("array") {
            continue;
        }
        let message = match obj.map.get("items") {
            None => continue,
            Some(Value::Array(_)) => {
                "`items` must be a single schema, not a list (tuples are not supported)"
            }
            Some(Value::Object(items)) => {
                let kind = items.get("type").and_then(Value::as_str);
                if matches!(kind, Some("object" | "string" | "number" | "integer"))
                    || items.contains_key("enum")
                {
                    continue;
                }
                "`items` must have type object, string, number or integer, or be an enum"
            }
            Some(_) => "`items` must be a schema object",
        };
        violation(
            out,
            "test_array_type",
            obj.pointer(Some("items")),
            message.to_owned(),
        );
    }
}

/// `test_forbidden_complex_types`: none of [`FORBIDDEN_KEYWORDS`], except as
/// property names.
fn forbidden_complex_types(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects.iter().filter(|o| !o.is_properties_map()) {
        for keyword in FORBIDDEN_KEYWORDS {
            if obj.map.contains_key(*keyword) {
                violation(
                    out,
                    "test_forbidden_complex_types",
                    obj.pointer(Some(keyword)),
                    format!("`{keyword}` is not supported by the Airbyte UI"),
                );
            }
        }
    }
}

/// `test_duplicate_order`: no two properties of an object share an `order`
/// within the same `group`.
fn duplicate_order(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects {
        let Some(Value::Object(properties)) = obj.map.get("properties") else {
            continue;
        };
        if obj.type_str() != Some("object") {
            continue;
        }
        let mut used: BTreeMap<(String, String), &str> = BTreeMap::new();
        for (name, property) in properties {
            let Some(order) = property.get("order") else {
                continue;
            };
            let group = property.get("group").map(python_key).unwrap_or_default();
            if let Some(first) = used.insert((group, python_key(order)), name) {
                let in_group = match property.get("group") {
                    Some(g) => format!(" in group {g}"),
                    None => String::new(),
                };
                violation(
                    out,
                    "test_duplicate_order",
                    obj.pointer(Some("properties")),
                    format!("`{first}` and `{name}` both have order {order}{in_group}"),
                );
            }
        }
    }
}

/// `test_nested_group`: `group` only on top-level properties.
fn nested_group(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects {
        if obj.path.first().is_none_or(|p| p != "properties")
            || obj.is_properties_map()
            || !obj.map.contains_key("group")
            || obj.path.len() == 2
        {
            continue;
        }
        violation(
            out,
            "test_nested_group",
            obj.pointer(Some("group")),
            "`group` is only allowed on top-level properties".to_owned(),
        );
    }
}

/// `test_display_type`: `display_type` only on a field with a `oneOf`, and
/// only `dropdown` or `radio`.
fn display_type(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects {
        let Some(value) = obj.map.get("display_type") else {
            continue;
        };
        if obj.path.first().is_none_or(|p| p != "properties") || obj.is_properties_map() {
            continue;
        }
        let path = obj.pointer(Some("display_type"));
        if !obj.map.contains_key("oneOf") {
            violation(
                out,
                "test_display_type",
                path.clone(),
                "`display_type` is only allowed on fields that have a `oneOf`".to_owned(),
            );
        }
        if value != "dropdown" && value != "radio" {
            violation(
                out,
                "test_display_type",
                path,
                format!("`display_type` must be \"dropdown\" or \"radio\", not {value}"),
            );
        }
    }
}

/// `test_defined_refs_exist_in_json_spec_file`: no `$ref` at all.
fn no_refs(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects.iter().filter(|o| o.map.contains_key("$ref")) {
        violation(
            out,
            "test_defined_refs_exist_in_json_spec_file",
            obj.pointer(Some("$ref")),
            "the spec must not contain `$ref`; inline the referenced schema".to_owned(),
        );
    }
}

/// `test_additional_properties_is_true`: every `additionalProperties` is `true`.
fn additional_properties_is_true(objects: &[Obj<'_>], out: &mut Vec<SpecViolation>) {
    for obj in objects {
        match obj.map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => {}
            Some(other) => violation(
                out,
                "test_additional_properties_is_true",
                obj.pointer(Some("additionalProperties")),
                format!(
                    "`additionalProperties` must be `true` when present (found {other}), so that \
                     removing a field later does not break existing configs"
                ),
            ),
        }
    }
}
