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

use super::secrets::{SECRET_PROPERTY_NAMES, can_store_secret, truthy};

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
    for (rule, check) in RULES.iter().zip(CHECKS) {
        let mut report = Report {
            rule,
            out: &mut out,
        };
        for obj in &objects {
            check(obj, &mut report);
        }
    }
    out
}

/// One rule: looks at one object of the spec, reports what is broken.
type Check = fn(&Obj<'_>, &mut Report<'_>);

/// The checks, in the order of [`RULES`].
const CHECKS: [Check; 12] = [
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
    defined_refs,
    additional_properties_is_true,
];

/// Where a check reports its violations.
struct Report<'v> {
    rule: &'static str,
    out: &'v mut Vec<SpecViolation>,
}

impl Report<'_> {
    fn add(&mut self, path: String, message: impl Into<String>) {
        self.out.push(SpecViolation {
            rule: self.rule,
            path,
            message: message.into(),
        });
    }
}

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

    /// Whether this object lies inside the root's `properties` map (or is it).
    fn in_root_properties(&self) -> bool {
        self.path.first().is_some_and(|p| p == "properties")
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

/// `test_enum_usage`: no duplicate values in an `enum`.
fn enum_usage(obj: &Obj<'_>, report: &mut Report<'_>) {
    let Some(Value::Array(values)) = obj.map.get("enum") else {
        return;
    };
    let mut seen: Vec<String> = Vec::new();
    let mut reported: Vec<String> = Vec::new();
    for value in values {
        let key = python_key(value);
        if seen.contains(&key) && !reported.contains(&key) {
            let message = format!("enum values must be unique; {value} appears more than once");
            report.add(obj.pointer(Some("enum")), message);
            reported.push(key.clone());
        }
        seen.push(key);
    }
}

/// `test_oneof_usage`: a `oneOf` (or `anyOf`) sits in a `type: object` schema,
/// every option has `properties`, exactly one common property has a `const`
/// in every option, and its `default`/`enum` agree with the const.
fn oneof_usage(obj: &Obj<'_>, report: &mut Report<'_>) {
    for keyword in ["oneOf", "anyOf"] {
        let Some(options) = obj.map.get(keyword) else {
            continue;
        };
        let path = obj.pointer(Some(keyword));
        if obj.type_str() != Some("object") {
            let message =
                format!("the schema holding `{keyword}` must have `\"type\": \"object\"`");
            report.add(obj.pointer(None), message);
        }
        let Some(options) = options.as_array() else {
            report.add(path, format!("`{keyword}` must be an array of objects"));
            continue;
        };
        let mut all_properties = Vec::new();
        for (index, option) in options.iter().enumerate() {
            match option.get("properties").and_then(Value::as_object) {
                Some(properties) => all_properties.push(properties),
                None => report.add(
                    format!("{path}/{index}"),
                    format!(
                        "every option of `{keyword}` must be an object schema with `properties`"
                    ),
                ),
            }
        }
        let Some(first) = all_properties.first() else {
            continue;
        };
        if all_properties.len() != options.len() {
            continue;
        }
        let common: Vec<&String> = first
            .keys()
            .filter(|name| all_properties.iter().all(|p| p.contains_key(name.as_str())))
            .collect();
        if common.is_empty() {
            report.add(
                path,
                "the options share no property; they need one common property with a `const` \
                 (e.g. `\"mode\": {\"const\": \"...\"}`)",
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
            let message = format!(
                "exactly one property common to all options must have a `const` in every \
                 option; found {}: {with_const:?}",
                with_const.len(),
            );
            report.add(path, message);
            continue;
        };
        for (index, properties) in all_properties.iter().enumerate() {
            let Some(property) = properties.get(discriminator.as_str()) else {
                continue;
            };
            let here = format!("{path}/{index}/properties/{discriminator}");
            let constant = property.get("const");
            if property.get("default").is_some_and(|d| Some(d) != constant) {
                let message = "`default` of the discriminator must equal its `const`; \
                               prefer `const` alone";
                report.add(here.clone(), message);
            }
            if property.get("enum").is_some_and(|values| {
                values
                    .as_array()
                    .is_none_or(|v| v.len() != 1 || v.first() != constant)
            }) {
                let message = "`enum` of the discriminator must be a single value equal to its \
                               `const`; prefer `const` alone";
                report.add(here, message);
            }
        }
    }
}

/// `test_secret_is_properly_marked`: fields with a secret name that can hold a
/// secret have `airbyte_secret: true`; fields that cannot are not marked. The
/// name of a schema is that of the nearest property it belongs to (looking
/// through `items`, `oneOf` and the like, as CAT does).
fn secret_is_properly_marked(obj: &Obj<'_>, report: &mut Report<'_>) {
    let typed = matches!(
        obj.map.get("type"),
        Some(Value::String(_) | Value::Array(_))
    );
    if !obj.in_root_properties() || obj.path.len() < 2 || !typed {
        return;
    }
    let Some(name) = obj.path[1..].iter().rev().find(|part| {
        !part.chars().all(|c| c.is_ascii_digit()) && !RESERVED_PATH_PARTS.contains(&part.as_str())
    }) else {
        return;
    };
    if !SECRET_PROPERTY_NAMES.contains(&name.to_lowercase().as_str()) {
        return;
    }
    let marked = truthy(obj.map.get("airbyte_secret"));
    let can_store = can_store_secret(obj.map);
    if marked && !can_store {
        let message = format!(
            "`{name}` is marked `airbyte_secret` but cannot hold a secret (a boolean, a \
             described object or array, or a const); remove the marking"
        );
        report.add(obj.pointer(None), message);
    } else if !marked && can_store {
        let message = format!(
            "`{name}` has a secret's name and can hold one, so it needs \
             `\"airbyte_secret\": true` (`#[airbyte(secret)]`)"
        );
        report.add(obj.pointer(None), message);
    }
}

/// `test_property_type_is_not_array`: a property's `type` array is `[T]` or
/// `[T, "null"]`.
fn property_type_is_not_array(obj: &Obj<'_>, report: &mut Report<'_>) {
    let Some(Value::Array(types)) = obj.map.get("type") else {
        return;
    };
    let n = obj.path.len();
    let is_property = n >= 2 && obj.path[n - 2] == "properties";
    let ok = types.len() == 1 || (types.len() == 2 && types[1] == "null");
    if is_property && !ok {
        let message = format!(
            "a property's type must be one type, optionally followed by \"null\" \
             (e.g. [\"string\", \"null\"]); found {}",
            Value::Array(types.clone())
        );
        report.add(obj.pointer(Some("type")), message);
    }
}

/// `test_object_not_empty`: every object schema but the root has non-empty
/// `properties` or a `oneOf`.
fn object_not_empty(obj: &Obj<'_>, report: &mut Report<'_>) {
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
    if !obj.path.is_empty() && is_object && !has_properties && !obj.map.contains_key("oneOf") {
        report.add(
            obj.pointer(None),
            "an object needs `properties` or a `oneOf`, or the UI cannot show it \
             (maps such as `HashMap` fields are not supported)",
        );
    }
}

/// `test_array_type`: an array's `items` is one schema of type object, string,
/// number or integer, or an enum.
fn array_type(obj: &Obj<'_>, report: &mut Report<'_>) {
    if obj.type_str() != Some("array") {
        return;
    }
    let message = match obj.map.get("items") {
        None => return,
        Some(Value::Array(_)) => {
            "`items` must be a single schema, not a list (tuples are not supported)"
        }
        Some(Value::Object(items)) => {
            let kind = items.get("type").and_then(Value::as_str);
            if matches!(kind, Some("object" | "string" | "number" | "integer"))
                || items.contains_key("enum")
            {
                return;
            }
            "`items` must have type object, string, number or integer, or be an enum"
        }
        Some(_) => "`items` must be a schema object",
    };
    report.add(obj.pointer(Some("items")), message);
}

/// `test_forbidden_complex_types`: none of [`FORBIDDEN_KEYWORDS`], except as
/// property names.
fn forbidden_complex_types(obj: &Obj<'_>, report: &mut Report<'_>) {
    if obj.is_properties_map() {
        return;
    }
    for keyword in FORBIDDEN_KEYWORDS
        .iter()
        .filter(|k| obj.map.contains_key(**k))
    {
        let message = format!("`{keyword}` is not supported by the Airbyte UI");
        report.add(obj.pointer(Some(keyword)), message);
    }
}

/// `test_duplicate_order`: no two properties of an object share an `order`
/// within the same `group`.
fn duplicate_order(obj: &Obj<'_>, report: &mut Report<'_>) {
    let Some(Value::Object(properties)) = obj.map.get("properties") else {
        return;
    };
    if obj.type_str() != Some("object") {
        return;
    }
    let mut used: BTreeMap<(String, String), &str> = BTreeMap::new();
    for (name, property) in properties {
        let Some(order) = property.get("order") else {
            continue;
        };
        let group = property.get("group");
        let key = (group.map(python_key).unwrap_or_default(), python_key(order));
        if let Some(first) = used.insert(key, name) {
            let in_group = group.map(|g| format!(" in group {g}")).unwrap_or_default();
            let message = format!("`{first}` and `{name}` both have order {order}{in_group}");
            report.add(obj.pointer(Some("properties")), message);
        }
    }
}

/// `test_nested_group`: `group` only on top-level properties.
fn nested_group(obj: &Obj<'_>, report: &mut Report<'_>) {
    let nested = obj.in_root_properties() && obj.path.len() != 2 && !obj.is_properties_map();
    if nested && obj.map.contains_key("group") {
        let message = "`group` is only allowed on top-level properties";
        report.add(obj.pointer(Some("group")), message);
    }
}

/// `test_display_type`: `display_type` only on a field with a `oneOf`, and
/// only `dropdown` or `radio`.
fn display_type(obj: &Obj<'_>, report: &mut Report<'_>) {
    let Some(value) = obj.map.get("display_type") else {
        return;
    };
    if !obj.in_root_properties() || obj.is_properties_map() {
        return;
    }
    let path = obj.pointer(Some("display_type"));
    if !obj.map.contains_key("oneOf") {
        let message = "`display_type` is only allowed on fields that have a `oneOf`";
        report.add(path.clone(), message);
    }
    if value != "dropdown" && value != "radio" {
        let message = format!("`display_type` must be \"dropdown\" or \"radio\", not {value}");
        report.add(path, message);
    }
}

/// `test_defined_refs_exist_in_json_spec_file`: no `$ref` at all.
fn defined_refs(obj: &Obj<'_>, report: &mut Report<'_>) {
    if obj.map.contains_key("$ref") {
        let message = "the spec must not contain `$ref`; inline the referenced schema";
        report.add(obj.pointer(Some("$ref")), message);
    }
}

/// `test_additional_properties_is_true`: every `additionalProperties` is `true`.
fn additional_properties_is_true(obj: &Obj<'_>, report: &mut Report<'_>) {
    match obj.map.get("additionalProperties") {
        None | Some(Value::Bool(true)) => {}
        Some(other) => {
            let message = format!(
                "`additionalProperties` must be `true` when present (found {other}), so that \
                 removing a field later does not break existing configs"
            );
            report.add(obj.pointer(Some("additionalProperties")), message);
        }
    }
}
