//! Record extraction compared with airbyte-cdk's `DpathExtractor` and
//! `JsonDecoder` (the `cdk` test venv): the same bodies and paths give the
//! same records.

mod common;

use serde_json::{Value, json};
use source_http::interpolation::Jinja;
use source_http::records::{DpathExtractor, decode_json};

fn ask(queries: &[Value]) -> Vec<Value> {
    common::ask("extract.py", queries, Some("ANSWER "))
}

#[test]
fn extraction_agrees_with_the_cdk() {
    let bodies = [
        r#"{"data": [{"id": 1}, {"id": 2}], "meta": {"next": "x"}}"#,
        r#"{"data": {"items": [{"id": 1}], "count": 1}}"#,
        r#"{"data": {"id": 1}}"#,
        r#"{"data": []}"#,
        r#"{"data": {}}"#,
        r#"{"data": null}"#,
        r#"{"data": 0}"#,
        r#"{"data": "text"}"#,
        r#"{"data": [{"items": [1, 2]}, {"items": [3]}, {"other": 4}]}"#,
        r#"{"a": {"x": {"v": 1}, "y": {"v": 2}, "z": {"w": 3}}}"#,
        r#"[{"id": 1}, {"id": 2}]"#,
        r#"[{"data": [1]}, {"data": [2, 3]}]"#,
        r#"[]"#,
        r#"{}"#,
        "",
        "not json",
        r#"{"data": [[1, 2], [3]]}"#,
        r#"{"results": {"0": "zero-key"}, "list": ["first", "second"]}"#,
    ];
    let paths = [
        json!([]),
        json!(["data"]),
        json!(["data", "items"]),
        json!(["data", "*", "items"]),
        json!(["a", "*", "v"]),
        json!(["a", "*"]),
        json!(["list", "1"]),
        json!(["results", "0"]),
        json!(["{{ config.root }}"]),
        json!(["{{ config.root }}", "*"]),
        json!(["missing", "deeper"]),
    ];
    let config = json!({"root": "data"});
    let mut queries = Vec::new();
    for body in bodies {
        for path in &paths {
            queries.push(json!({"body": body, "field_path": path, "config": config}));
        }
    }
    let answers = ask(&queries);
    let jinja = Jinja::new();
    let mut differences = Vec::new();
    for (q, answer) in queries.iter().zip(&answers) {
        let field_path: Vec<String> =
            serde_json::from_value(q["field_path"].clone()).expect("path");
        let body = q["body"].as_str().expect("body");
        let extractor = DpathExtractor { field_path };
        let ours = extractor
            .extract(body.as_bytes(), &jinja, &config)
            .map(|r| json!({ "records": r }))
            .unwrap_or_else(|_| json!({"error": true}));
        // Moving the records out of the bodies gives the same records.
        let moved = extractor
            .extract_owned(decode_json(body.as_bytes()), &jinja, &config)
            .map(|r| json!({ "records": r }))
            .unwrap_or_else(|_| json!({"error": true}));
        if moved != ours {
            differences.push(format!(
                "{body:?} at {}: moved out {moved}, copied {ours}",
                q["field_path"]
            ));
        }
        // Records compare as multisets (a mapping's `*` order is the
        // source's key order in Python, sorted here).
        let sorted = |v: &Value| {
            let mut v = v.clone();
            if let Some(items) = v.get_mut("records").and_then(Value::as_array_mut) {
                items.sort_by_key(Value::to_string);
            }
            v
        };
        if sorted(&ours) != sorted(answer) {
            differences.push(format!(
                "{body:?} at {}: ours {ours}, CDK {answer}",
                q["field_path"]
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "extraction differs:\n{}",
        differences.join("\n")
    );
}
