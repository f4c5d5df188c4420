//! Record extraction compared with airbyte-cdk's `DpathExtractor` and
//! `JsonDecoder` (the `cdk` test venv): the same bodies and paths give the
//! same records.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use source_http::interpolation::Jinja;
use source_http::records::DpathExtractor;

fn python() -> PathBuf {
    let python = std::env::var_os("AIRBYTE_TEST_CDK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| airbyte_sdk::testkit::test_venv("cdk").join("bin/python"));
    assert!(
        python.exists(),
        "no Python with airbyte-cdk at {}: run `scripts/setup-test-env.sh` or set AIRBYTE_TEST_CDK_PYTHON",
        python.display()
    );
    python
}

fn ask(queries: &[Value]) -> Vec<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/extract.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run Python");
    let input: String = queries.iter().map(|q| format!("{q}\n")).collect();
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("Python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .filter_map(|l| l.strip_prefix("ANSWER "))
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
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
        let ours = DpathExtractor { field_path }
            .extract(body.as_bytes(), &jinja, &config)
            .map(|r| json!({ "records": r }))
            .unwrap_or_else(|_| json!({"error": true}));
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
