//! Interpolated fields compared with airbyte-cdk's `InterpolatedString`,
//! `InterpolatedBoolean` and `InterpolatedMapping` (the `cdk` test venv).

mod common;

use serde_json::{Value, json};
use source_http::interpolation::{Jinja, ValidTypes};

fn context() -> Value {
    json!({
        "config": {"size": "100", "ids": [3, 1], "text": "a,b", "empty": "", "zero": "0", "flag": "True",
                   "json": "{\"k\": 1}", "none": "None", "list_text": "[1, 2]", "tuple_text": "1,2"},
        "parameters": {"name": "users"},
        "response": {"next": null, "items": [], "more": true, "count": 0},
        "last_page_size": 0,
    })
}

const STRINGS: &[&str] = &[
    "plain",
    "123",
    "{{ config.size }}",
    "{{ config.missing }}",
    "{{ config.empty }}",
    "x{{ config.missing }}",
    "{{ parameters.name }}",
    "{{ config.ids }}",
    "{{ config.text }}",
    "{{ config.json }}",
    "{{ config.none }}",
    "{{ config.tuple_text }}",
    "",
    "{{ config.missing.x }}",
];

const BOOLEANS: &[&str] = &[
    "{{ response.next }}",
    "{{ not response.next }}",
    "{{ response['items'] }}",
    "{{ response.more }}",
    "{{ response.count }}",
    "{{ last_page_size == 0 }}",
    "{{ config.zero }}",
    "{{ config.flag }}",
    "{{ config.none }}",
    "{{ config.empty }}",
    "{{ config.missing }}",
    "{{ 'none' }}",
    "{{ 'null' }}",
    "{{ '[]' }}",
    "{{ [0] }}",
    "False",
    "false",
    "True",
    "",
    "{{ config.missing.x }}",
];

#[test]
fn strings_and_booleans_agree_with_the_cdk() {
    let context = context();
    let mut queries = Vec::new();
    for s in STRINGS {
        queries.push(json!({"kind": "string", "value": s, "context": context, "values": "any"}));
    }
    for b in BOOLEANS {
        queries.push(json!({"kind": "boolean", "value": b, "context": context, "values": "any"}));
    }
    let answers = common::ask("interpolated.py", &queries, None);
    let jinja = Jinja::new();
    let map = context.as_object().expect("object");
    let mut differences = Vec::new();
    for (q, answer) in queries.iter().zip(&answers) {
        let text = q["value"].as_str().expect("text");
        let ours = if q["kind"] == "string" {
            jinja.string(text, map).map(|v| json!({ "value": v }))
        } else {
            jinja.boolean(text, map).map(|b| json!({ "value": b }))
        }
        .unwrap_or_else(|_| json!({"error": true}));
        if &ours != answer {
            differences.push(format!("{} {text:?}: ours {ours}, CDK {answer}", q["kind"]));
        }
    }
    assert!(
        differences.is_empty(),
        "differs:\n{}",
        differences.join("\n")
    );
}

#[test]
fn mappings_agree_with_the_cdk() {
    let context = context();
    let mapping = json!({
        "limit": "{{ config.size }}", "ids": "{{ config.ids }}", "list": "{{ config.list_text }}",
        "tuple": "{{ config.tuple_text }}", "json": "{{ config.json }}", "missing": "{{ config.missing }}",
        "plain": "abc", "number": 7, "nested": {"a": "{{ config.size }}"}, "{{ parameters.name }}_key": "v",
        "flag": "{{ config.flag }}",
    });
    let mut queries = Vec::new();
    for values in ["any", "str_or_list"] {
        queries.push(
            json!({"kind": "mapping", "value": mapping, "context": context, "values": values}),
        );
    }
    let answers = common::ask("interpolated.py", &queries, None);
    let jinja = Jinja::new();
    let map = context.as_object().expect("object");
    for (q, answer) in queries.iter().zip(&answers) {
        let values = if q["values"] == "any" {
            ValidTypes::Any
        } else {
            ValidTypes::StrOrList
        };
        let ours = jinja
            .mapping(mapping.as_object().expect("mapping"), map, values)
            .map(|m| json!({ "value": m }))
            .unwrap_or_else(|_| json!({"error": true}));
        assert_eq!(&ours, answer, "values {}", q["values"]);
    }
}
