//! `check_spec_rules`: a clean hand-written spec passes, and every CAT rule is
//! shown to catch a spec broken in exactly its way (and only its rule fires).

use std::collections::BTreeSet;

use airbyte_sdk::spec::{
    RULES, SpecViolation, check_spec_rules, normalize_connection_specification,
};
use serde_json::{Value, json};

/// A spec that uses every convention legitimately, including the corner cases
/// the rules must accept.
fn clean_spec() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Clean Spec",
        "type": "object",
        "required": ["host", "credentials"],
        "additionalProperties": true,
        "groups": [{"id": "db", "title": "Database"}, {"id": "auth"}],
        "properties": {
            "host": {"type": "string", "order": 0, "group": "db"},
            // Same order as `host`, other group: allowed.
            "username": {"type": "string", "order": 0, "group": "auth"},
            "password": {"type": "string", "order": 1, "group": "auth", "airbyte_secret": true},
            // Not an exact secret name: no marking needed.
            "ca_certificate_path": {"type": "string"},
            // A secret name that cannot hold a secret and is not marked.
            "token": {"type": "boolean"},
            // `[T, "null"]` is allowed.
            "port": {"type": ["integer", "null"], "order": 1, "group": "db"},
            // A property *named* like a forbidden keyword is fine.
            "not": {"type": "string"},
            "schemas": {"type": "array", "items": {"type": "string"}},
            "levels": {"type": "array", "items": {"enum": ["info", "debug"]}},
            "untyped_list": {"type": "array"},
            "mode": {"type": "string", "enum": ["a", "b", "c"]},
            "nested": {
                "type": "object",
                "additionalProperties": true,
                "properties": {"inner": {"type": "string", "order": 0}},
            },
            "credentials": {
                "type": "object",
                "display_type": "radio",
                "oneOf": [
                    {
                        "title": "Key",
                        "type": "object",
                        "required": ["auth_type", "key"],
                        "properties": {
                            "auth_type": {"type": "string", "const": "key", "default": "key"},
                            "key": {"type": "string", "airbyte_secret": true},
                        },
                    },
                    {
                        "title": "OAuth",
                        "type": "object",
                        "properties": {
                            "auth_type": {"type": "string", "const": "oauth", "enum": ["oauth"]},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string", "airbyte_secret": true},
                        },
                    },
                ],
            },
        },
    })
}

/// The clean spec with one change applied.
fn broken(change: impl FnOnce(&mut Value)) -> Value {
    let mut spec = clean_spec();
    change(&mut spec);
    spec
}

fn describe(violations: &[SpecViolation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts that `spec` breaks `rule` at `path`, and no other rule.
fn assert_breaks(spec: &Value, rule: &str, path: &str) -> Vec<SpecViolation> {
    let violations = check_spec_rules(spec);
    assert!(
        violations.iter().any(|v| v.rule == rule && v.path == path),
        "expected {rule} at {path}, got:\n{}",
        describe(&violations)
    );
    assert!(
        violations.iter().all(|v| v.rule == rule),
        "only {rule} should fire, got:\n{}",
        describe(&violations)
    );
    violations
}

#[test]
fn clean_spec_passes() {
    let violations = check_spec_rules(&clean_spec());
    assert!(violations.is_empty(), "{}", describe(&violations));
}

#[test]
fn empty_root_object_passes() {
    assert!(check_spec_rules(&json!({"type": "object"})).is_empty());
    assert!(check_spec_rules(&json!({"type": "object", "properties": {}})).is_empty());
}

#[test]
fn enum_usage() {
    let spec = broken(|s| s["properties"]["mode"]["enum"] = json!(["a", "b", "a"]));
    let violations = assert_breaks(&spec, "test_enum_usage", "/properties/mode/enum");
    assert_eq!(violations.len(), 1);
    // Values compare as Python compares them in CAT: 1 == 1.0.
    let spec = broken(|s| s["properties"]["mode"]["enum"] = json!([1, 2, 1.0]));
    assert_breaks(&spec, "test_enum_usage", "/properties/mode/enum");
}

#[test]
fn oneof_parent_must_be_an_object() {
    let spec = broken(|s| {
        s["properties"]["credentials"]
            .as_object_mut()
            .expect("object")
            .remove("type");
    });
    assert_breaks(&spec, "test_oneof_usage", "/properties/credentials");
}

#[test]
fn oneof_options_need_properties() {
    let spec = broken(|s| s["properties"]["credentials"]["oneOf"][1] = json!({"title": "Bare"}));
    assert_breaks(&spec, "test_oneof_usage", "/properties/credentials/oneOf/1");
}

#[test]
fn oneof_options_need_a_common_property() {
    let spec = broken(|s| {
        s["properties"]["credentials"]["oneOf"][1]["properties"] =
            json!({"other": {"type": "string", "const": "x"}});
    });
    assert_breaks(&spec, "test_oneof_usage", "/properties/credentials/oneOf");
}

#[test]
fn oneof_needs_exactly_one_const_discriminator() {
    // None: the common property has no const in one option.
    let spec = broken(|s| {
        s["properties"]["credentials"]["oneOf"][1]["properties"]["auth_type"] =
            json!({"type": "string"});
    });
    assert_breaks(&spec, "test_oneof_usage", "/properties/credentials/oneOf");
    // Two.
    let spec = broken(|s| {
        for option in 0..2 {
            s["properties"]["credentials"]["oneOf"][option]["properties"]["kind"] =
                json!({"type": "string", "const": "k"});
        }
    });
    assert_breaks(&spec, "test_oneof_usage", "/properties/credentials/oneOf");
}

#[test]
fn oneof_discriminator_default_and_enum_must_equal_const() {
    let spec = broken(|s| {
        s["properties"]["credentials"]["oneOf"][0]["properties"]["auth_type"]["default"] =
            json!("oauth");
    });
    assert_breaks(
        &spec,
        "test_oneof_usage",
        "/properties/credentials/oneOf/0/properties/auth_type",
    );
    let spec = broken(|s| {
        s["properties"]["credentials"]["oneOf"][1]["properties"]["auth_type"]["enum"] =
            json!(["oauth", "key"]);
    });
    assert_breaks(
        &spec,
        "test_oneof_usage",
        "/properties/credentials/oneOf/1/properties/auth_type",
    );
}

#[test]
fn secret_names_must_be_marked() {
    let spec = broken(|s| {
        s["properties"]["password"]
            .as_object_mut()
            .expect("object")
            .remove("airbyte_secret");
    });
    assert_breaks(
        &spec,
        "test_secret_is_properly_marked",
        "/properties/password",
    );
    // Case-insensitive, and inside oneOf options.
    let spec = broken(|s| {
        s["properties"]["credentials"]["oneOf"][1]["properties"]["Client_Secret"] =
            json!({"type": "string"});
    });
    assert_breaks(
        &spec,
        "test_secret_is_properly_marked",
        "/properties/credentials/oneOf/1/properties/Client_Secret",
    );
    // A generic object can hold a secret too (and is an empty object).
    let spec =
        broken(|s| s["properties"]["nested"]["properties"]["token"] = json!({"type": "integer"}));
    assert_breaks(
        &spec,
        "test_secret_is_properly_marked",
        "/properties/nested/properties/token",
    );
}

#[test]
fn non_secret_types_must_not_be_marked() {
    let spec = broken(|s| s["properties"]["token"]["airbyte_secret"] = json!(true));
    assert_breaks(&spec, "test_secret_is_properly_marked", "/properties/token");
    let spec = broken(|s| {
        s["properties"]["secret"] =
            json!({"type": "string", "const": "fixed", "airbyte_secret": true});
    });
    assert_breaks(
        &spec,
        "test_secret_is_properly_marked",
        "/properties/secret",
    );
}

#[test]
fn property_type_is_not_array() {
    let spec = broken(|s| s["properties"]["port"]["type"] = json!(["integer", "string"]));
    assert_breaks(
        &spec,
        "test_property_type_is_not_array",
        "/properties/port/type",
    );
    let spec = broken(|s| s["properties"]["port"]["type"] = json!(["null", "integer"]));
    assert_breaks(
        &spec,
        "test_property_type_is_not_array",
        "/properties/port/type",
    );
    let spec = broken(|s| s["properties"]["port"]["type"] = json!(["integer", "null", "string"]));
    assert_breaks(
        &spec,
        "test_property_type_is_not_array",
        "/properties/port/type",
    );
}

#[test]
fn object_not_empty() {
    let spec = broken(|s| s["properties"]["nested"]["properties"] = json!({}));
    assert_breaks(&spec, "test_object_not_empty", "/properties/nested");
    let spec = broken(|s| s["properties"]["map"] = json!({"type": ["object", "null"]}));
    assert_breaks(&spec, "test_object_not_empty", "/properties/map");
}

#[test]
fn array_type() {
    let spec = broken(|s| s["properties"]["schemas"]["items"] = json!([{"type": "string"}]));
    assert_breaks(&spec, "test_array_type", "/properties/schemas/items");
    let spec = broken(|s| s["properties"]["schemas"]["items"] = json!({"type": "boolean"}));
    assert_breaks(&spec, "test_array_type", "/properties/schemas/items");
    let spec =
        broken(|s| s["properties"]["schemas"]["items"] = json!({"type": ["string", "null"]}));
    assert_breaks(&spec, "test_array_type", "/properties/schemas/items");
}

#[test]
fn forbidden_complex_types() {
    for keyword in [
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
    ] {
        let spec = broken(|s| s["properties"]["host"][keyword] = json!({}));
        let violations = check_spec_rules(&spec);
        let path = format!("/properties/host/{keyword}");
        assert!(
            violations
                .iter()
                .any(|v| v.rule == "test_forbidden_complex_types" && v.path == path),
            "{keyword}: {}",
            describe(&violations)
        );
    }
    let spec = broken(|s| s["allOf"] = json!([{"required": ["host"]}]));
    assert_breaks(&spec, "test_forbidden_complex_types", "/allOf");
}

#[test]
fn duplicate_order() {
    let spec = broken(|s| s["properties"]["password"]["order"] = json!(0));
    let violations = assert_breaks(&spec, "test_duplicate_order", "/properties");
    assert!(
        violations[0].message.contains("`password`"),
        "{}",
        violations[0]
    );
    // Without a group, in a nested object.
    let spec = broken(|s| {
        s["properties"]["nested"]["properties"]["other"] = json!({"type": "string", "order": 0})
    });
    assert_breaks(
        &spec,
        "test_duplicate_order",
        "/properties/nested/properties",
    );
}

#[test]
fn nested_group() {
    let spec = broken(|s| s["properties"]["nested"]["properties"]["inner"]["group"] = json!("db"));
    assert_breaks(
        &spec,
        "test_nested_group",
        "/properties/nested/properties/inner/group",
    );
    let spec = broken(|s| {
        s["properties"]["credentials"]["oneOf"][0]["properties"]["key"]["group"] = json!("auth");
    });
    assert_breaks(
        &spec,
        "test_nested_group",
        "/properties/credentials/oneOf/0/properties/key/group",
    );
}

#[test]
fn display_type() {
    let spec = broken(|s| s["properties"]["host"]["display_type"] = json!("dropdown"));
    assert_breaks(&spec, "test_display_type", "/properties/host/display_type");
    let spec = broken(|s| s["properties"]["credentials"]["display_type"] = json!("tabs"));
    assert_breaks(
        &spec,
        "test_display_type",
        "/properties/credentials/display_type",
    );
}

#[test]
fn defined_refs() {
    let spec = broken(|s| s["properties"]["host"] = json!({"$ref": "#/definitions/Host"}));
    assert_breaks(
        &spec,
        "test_defined_refs_exist_in_json_spec_file",
        "/properties/host/$ref",
    );
}

#[test]
fn additional_properties_is_true() {
    let spec = broken(|s| s["additionalProperties"] = json!(false));
    assert_breaks(
        &spec,
        "test_additional_properties_is_true",
        "/additionalProperties",
    );
    let spec =
        broken(|s| s["properties"]["nested"]["additionalProperties"] = json!({"type": "string"}));
    assert_breaks(
        &spec,
        "test_additional_properties_is_true",
        "/properties/nested/additionalProperties",
    );
}

/// Every rule in `RULES` is exercised by at least one broken spec above (this
/// list mirrors them), so none of them is a check that can never fail.
#[test]
fn every_rule_can_fail() {
    let broken_specs = [
        broken(|s| s["properties"]["mode"]["enum"] = json!(["a", "a"])),
        broken(|s| s["properties"]["credentials"]["type"] = json!("string")),
        broken(|s| s["properties"]["token"]["airbyte_secret"] = json!(true)),
        broken(|s| s["properties"]["port"]["type"] = json!(["integer", "string"])),
        broken(|s| s["properties"]["nested"]["properties"] = json!({})),
        broken(|s| s["properties"]["schemas"]["items"] = json!({"type": "boolean"})),
        broken(|s| s["properties"]["host"]["if"] = json!({})),
        broken(|s| s["properties"]["password"]["order"] = json!(0)),
        broken(|s| s["properties"]["nested"]["properties"]["inner"]["group"] = json!("db")),
        broken(|s| s["properties"]["host"]["display_type"] = json!("radio")),
        broken(|s| s["properties"]["host"]["$ref"] = json!("#/definitions/Host")),
        broken(|s| s["additionalProperties"] = json!(false)),
    ];
    let fired: BTreeSet<&str> = broken_specs
        .iter()
        .flat_map(check_spec_rules)
        .map(|v| v.rule)
        .collect();
    let all: BTreeSet<&str> = RULES.iter().copied().collect();
    assert_eq!(fired, all);
}

#[test]
fn violation_display_and_json_pointer_escaping() {
    let spec = json!({
        "type": "object",
        "properties": {"a/b~c": {"type": "object"}},
    });
    let violations = check_spec_rules(&spec);
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].path, "/properties/a~1b~0c");
    assert_eq!(
        violations[0].to_string(),
        format!(
            "test_object_not_empty at /properties/a~1b~0c: {}",
            violations[0].message
        )
    );
    let root = check_spec_rules(&json!({"type": "object", "additionalProperties": false}));
    assert!(
        root[0]
            .to_string()
            .starts_with("test_additional_properties_is_true at /additionalProperties: ")
    );
}

/// What schemars writes for awkward Rust shapes, and what normalization makes
/// of it.
#[test]
fn normalization_repairs_schemars_output() {
    let mut spec = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Config",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "opt_int": {"type": ["integer", "null"], "format": "int64", "description": "o"},
            "opt_level": {"type": ["string", "null"], "enum": ["a", "b", null]},
            "opt_struct": {
                "description": "field doc",
                "anyOf": [
                    {"description": "type doc", "type": "object",
                     "properties": {"a": {"type": "integer", "format": "uint32"}}},
                    {"type": "null"},
                ],
            },
            "documented_unit_enum": {"oneOf": [
                {"type": "string", "const": "A", "description": "A!"},
                {"type": "string", "const": "B", "description": "B!"},
            ]},
            "tagged": {"oneOf": [
                {"type": "object", "properties": {"kind": {"const": "x"}}},
                {"properties": {"kind": {"const": "y"}, "n": {"type": "number", "format": "double"}}},
            ]},
            "merged": {"allOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"properties": {"b": {"type": "string"}}, "required": ["b"]},
            ]},
        },
    });
    assert!(!check_spec_rules(&spec).is_empty());
    normalize_connection_specification(&mut spec);
    let again = spec.clone();
    normalize_connection_specification(&mut spec);
    assert_eq!(spec, again, "normalization is idempotent");
    let violations = check_spec_rules(&spec);
    assert!(violations.is_empty(), "{}", describe(&violations));

    let props = &spec["properties"];
    assert_eq!(spec["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(spec["additionalProperties"], true);
    assert_eq!(
        props["opt_int"],
        json!({"type": "integer", "description": "o"})
    );
    assert_eq!(
        props["opt_level"],
        json!({"type": "string", "enum": ["a", "b"]})
    );
    assert_eq!(props["opt_struct"]["description"], "field doc");
    assert_eq!(props["opt_struct"]["type"], "object");
    assert_eq!(
        props["opt_struct"]["properties"]["a"],
        json!({"type": "integer"})
    );
    assert_eq!(
        props["documented_unit_enum"],
        json!({"type": "string", "enum": ["A", "B"]})
    );
    assert_eq!(props["tagged"]["type"], "object");
    assert_eq!(props["tagged"]["oneOf"][1]["type"], "object");
    assert_eq!(props["tagged"]["oneOf"][1]["title"], "y");
    assert_eq!(
        props["tagged"]["oneOf"][1]["properties"]["kind"]["type"],
        "string"
    );
    assert_eq!(
        props["tagged"]["oneOf"][1]["properties"]["n"],
        json!({"type": "number"})
    );
    assert_eq!(props["merged"]["required"], json!(["a", "b"]));
    assert_eq!(
        props["merged"]["properties"]["b"],
        json!({"type": "string"})
    );
}
