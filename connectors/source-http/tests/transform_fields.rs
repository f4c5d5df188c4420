//! Record transformations compared with the CDK's (the `cdk` test venv),
//! built from the same manifest mappings and applied to the same records:
//! `AddFields` (templates over the record, slice and config, `value_type`,
//! conditions, `dpath.new` paths), `RemoveFields` (globs, conditions),
//! `KeysToLower`, `KeysToSnakeCase`, `KeysReplace`, `FlattenFields`,
//! `DpathFlattenFields`, and lists of them.
//!
//! Records' keys are sorted in every query (serde_json sorts), so Python's
//! insertion order is the same as ours.

mod common;
mod reference;

use serde_json::{Map, Value, json};
use source_http::Error;
use source_http::interpolation::Jinja;
use source_http::partition::StreamSlice;
use source_http::transform::{Transformation, apply_all};

fn record() -> Value {
    json!({"id": "123", "name": "Alice", "nested": {"a": 1, "b": {"c": 2}, "id": 9},
           "list": [{"k": 1}, {"k": 2, "s": 3}, 1], "n": null, "flag": true, "num": 1.5,
           "data": {"x": 1, "y": {"z": 2}}})
}

fn snake_record() -> Value {
    json!({"CreatedAt": "x", "HTTPResponseCode": 200, "user id": 1, "Ünïcödé Key": 2, "2fa": 3,
           "a__b": 4, "__x__": 5, "already_snake": {"InnerKey": 6}, "list": [{"InnerList": 1}],
           "ABC123def": 7, "getHTTP2Response": 8, "日本語": 9, "x-y.z": 10, "-lead": 11, "trail-": 12})
}

fn slice() -> Value {
    json!({"partition": {"parent_id": 7, "parent_slice": {}},
           "cursor_slice": {"start_time": "2024-01-01", "end_time": "2024-01-02"}})
}

fn add(path: &[&str], value: &str, value_type: Option<&str>) -> Value {
    let mut field = json!({"type": "AddedFieldDefinition", "path": path, "value": value,
                           "$parameters": {"p": "param"}});
    if let Some(t) = value_type {
        field["value_type"] = json!(t);
    }
    json!({"type": "AddFields", "fields": [field]})
}

fn add_fields_cases() -> Vec<Value> {
    let mut cases = Vec::new();
    let values = [
        "{{ record.id }}",
        "{{ record['name'] }}",
        "{{ record.missing }}",
        "{{ record.missing.x }}",
        "{{ stream_slice.start_time }}",
        "{{ stream_interval.parent_id }}",
        "{{ stream_partition['parent_id'] }}",
        "{{ config.key }}",
        "{{ parameters.p }}",
        "{{ [1, 2] }}",
        "{{ {'a': 1} }}",
        "1,2",
        "5",
        "5.5",
        "True",
        "true",
        "None",
        "'quoted'",
        "static",
        "",
        "{{ record.num * 2 }}",
        "{{ record.flag }}",
    ];
    for value in values {
        for value_type in [
            None,
            Some("string"),
            Some("number"),
            Some("integer"),
            Some("boolean"),
        ] {
            cases.push(json!([add(&["added"], value, value_type)]));
        }
    }
    for path in [
        vec!["nested", "b", "d"],
        vec!["new", "deep", "x"],
        vec!["list", "0", "k"],
        vec!["list", "5"],
        vec!["list", "1"],
        vec!["name", "x"],
        vec!["n", "x"],
        vec!["list", "x"],
        vec!["new_list", "0", "a"],
        vec!["new_list", "2"],
        vec!["id"],
    ] {
        cases.push(json!([add(&path, "v", None)]));
    }
    for condition in [
        "{{ value > 100 }}",
        "{{ record.flag }}",
        "{{ path[0] == 'added' }}",
        "{{ value is none }}",
        "{{ not record.n }}",
        "{{ record.n }}",
    ] {
        let mut t = add(&["added"], "{{ record.id }}", None);
        t["condition"] = json!(condition);
        cases.push(json!([t]));
    }
    cases.push(json!([{"type": "AddFields", "fields": [
        {"type": "AddedFieldDefinition", "path": ["x"], "value": "1"},
        {"type": "AddedFieldDefinition", "path": ["y"], "value": "{{ record.x + 1 }}"},
    ]}]));
    cases.push(json!([{"type": "AddFields", "fields": [
        {"type": "AddedFieldDefinition", "path": [], "value": "1"}]}]));
    cases.push(json!([{"type": "AddFields", "fields": [
        {"type": "AddedFieldDefinition", "path": ["x"], "value": "1", "value_type": "date"}]}]));
    cases
}

fn remove(pointers: Value, condition: Option<&str>) -> Value {
    let mut t = json!({"type": "RemoveFields", "field_pointers": pointers});
    if let Some(c) = condition {
        t["condition"] = json!(c);
    }
    json!([t])
}

fn remove_fields_cases() -> Vec<Value> {
    let mut cases = Vec::new();
    for pointers in [
        json!([["id"]]),
        json!([["nested", "b", "c"]]),
        json!([["list", "*", "k"]]),
        json!([["list", "0"]]),
        json!([["list", "2"]]),
        json!([["list", "*"]]),
        json!([["**", "k"]]),
        json!([["**"]]),
        json!([["nested", "**"]]),
        json!([["nested", "*"]]),
        json!([["missing"]]),
        json!([["missing"], ["id"]]),
        json!([["n*"]]),
        json!([["?d"]]),
        json!([["list", "[01]", "s"]]),
        json!([["list", "[!0]", "k"]]),
        json!([["list", "01", "k"]]),
        json!([["**", "**"]]),
        json!([]),
    ] {
        cases.push(remove(pointers, None));
    }
    for condition in [
        "{{ property == 1 }}",
        "{{ property is string }}",
        "{{ property is none }}",
        "{{ property == 'nope' }}",
        "{{ false }}",
    ] {
        cases.push(remove(json!([["nested"]]), Some(condition)));
        cases.push(remove(json!([["a"], ["b"]]), Some(condition)));
    }
    cases
}

fn other_cases() -> Vec<Value> {
    let mut cases = vec![
        json!([{"type": "KeysToLower"}]),
        json!([{"type": "KeysToSnakeCase"}]),
        json!([{"type": "FlattenFields"}]),
        json!([{"type": "FlattenFields", "flatten_lists": false}]),
        json!([{"type": "KeysReplace", "old": " ", "new": "_"}]),
        json!([{"type": "KeysReplace", "old": "{{ config.old }}", "new": "-"}]),
        json!([{"type": "KeysReplace", "old": "e", "new": "{{ record.id }}"}]),
        json!([{"type": "KeysReplace", "old": "", "new": "_"}]),
        json!([{"type": "KeysReplace", "old": "a", "new": "{{ stream_slice.start_time }}"}]),
        json!([{"type": "KeysToSnakeCase"},
               {"type": "AddFields", "fields": [{"type": "AddedFieldDefinition", "path": ["copy"], "value": "{{ record.created_at }}"}]},
               {"type": "RemoveFields", "field_pointers": [["user_id"], ["list"]]}]),
        json!([{"type": "CustomTransformation", "class_name": "x.Y"}]),
    ];
    for path in [
        json!(["data"]),
        json!(["data", "y"]),
        json!(["nested"]),
        json!(["list", "*"]),
        json!(["missing"]),
        json!(["*", "b"]),
        json!(["{{ config.field }}"]),
        json!(["name"]),
    ] {
        for (delete, replace) in [(false, false), (true, false), (false, true), (true, true)] {
            cases.push(json!([{"type": "DpathFlattenFields", "field_path": path,
                               "delete_origin_value": delete, "replace_record": replace}]));
        }
        cases.push(json!([{"type": "DpathFlattenFields", "field_path": path, "delete_origin_value": true,
                           "key_transformation": {"type": "KeyTransformation", "prefix": "p_", "suffix": "{{ config.suffix }}"}}]));
    }
    cases
}

fn ours(q: &Value) -> Value {
    let run = || -> Result<Value, Error> {
        let jinja = Jinja::new();
        let transformations = Transformation::list_from_manifest(Some(&q["transformations"]))?;
        let slice = match &q["slice"] {
            Value::Null => Value::Null,
            s => StreamSlice::new(
                s["partition"].as_object().cloned().unwrap_or_default(),
                s["cursor_slice"].as_object().cloned().unwrap_or_default(),
            )
            .to_value(),
        };
        let mut record = q["record"].clone();
        apply_all(&transformations, &jinja, &mut record, &q["config"], &slice)?;
        Ok(json!({ "record": record }))
    };
    run().unwrap_or_else(|e| json!({"error": e.to_string()}))
}

#[test]
fn transformations_agree_with_the_cdk() {
    let config = json!({"key": "from config", "old": "i", "field": "data", "suffix": "_s"});
    let mut queries = Vec::new();
    for transformations in add_fields_cases()
        .into_iter()
        .chain(remove_fields_cases())
        .chain(other_cases())
    {
        for record in [record(), snake_record()] {
            for s in [slice(), Value::Null] {
                queries.push(json!({"transformations": transformations, "record": record,
                                    "config": config, "slice": s}));
            }
        }
    }
    queries.push(json!({"transformations": remove(json!([["id"]]), None),
                        "record": {"": 1, "id": 2}, "config": {}, "slice": null}));
    reference::compare(
        "transforms.py",
        &queries,
        4,
        ours,
        |q| format!("{} on {}", q["transformations"], q["record"]),
        |_| {},
    );
}

#[test]
fn a_slice_reads_as_one_mapping() {
    let slice = StreamSlice::new(
        json!({"id": 1}).as_object().cloned().unwrap_or_default(),
        Map::new(),
    );
    assert_eq!(slice.to_value(), json!({"id": 1}));
}
