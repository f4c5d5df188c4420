//! Asking a reference script many queries at once: stdin is written from
//! another thread, so that a long answer never blocks a long question.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::common;

/// Asserts that `ours` answers every query as the script does (an error
/// agrees with an error, whatever its words), and that fewer than one
/// query in `max_error_share` fails in the CDK (else the test tests little);
/// `describe` names a query in the report; `normalize` is applied to both
/// answers first (to hide what is measured, not computed).
pub fn compare(
    script: &str,
    queries: &[Value],
    max_error_share: usize,
    ours: impl Fn(&Value) -> Value,
    describe: impl Fn(&Value) -> String,
    normalize: fn(&mut Value),
) {
    let answers = ask(script, queries);
    assert_eq!(answers.len(), queries.len(), "one answer per query");
    let errors = answers.iter().filter(|a| a.get("error").is_some()).count();
    if std::env::var_os("SHOW_CDK_ERRORS").is_some() {
        for (q, a) in queries
            .iter()
            .zip(&answers)
            .filter(|(_, a)| a.get("error").is_some())
        {
            eprintln!("CDK error {a} for {}", describe(q));
        }
    }
    eprintln!(
        "{} queries, {errors} answered with an error by the CDK",
        queries.len()
    );
    assert!(
        errors * max_error_share < queries.len(),
        "{errors} of {} queries fail in the CDK: the test tests little",
        queries.len()
    );
    let mut differences = Vec::new();
    for (q, cdk) in queries.iter().zip(&answers) {
        let mut ours = ours(q);
        let mut cdk = cdk.clone();
        normalize(&mut ours);
        normalize(&mut cdk);
        let agree = match (ours.get("error"), cdk.get("error")) {
            (Some(_), Some(_)) => true,
            (None, None) => ours == cdk,
            _ => false,
        };
        if !agree {
            differences.push(format!("{}\n  ours {ours}\n  CDK  {cdk}", describe(q)));
        }
    }
    let total = differences.len();
    differences.truncate(12);
    assert!(
        total == 0,
        "{total} of {} queries differ:\n{}",
        queries.len(),
        differences.join("\n")
    );
}

/// The answers of `tests/python/<script>` to `queries`, one JSON line each,
/// from the lines that start with `ANSWER `.
pub fn ask(script: &str, queries: &[Value]) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let mut child = Command::new(common::python())
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the reference script");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = queries.iter().map(|q| format!("{q}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("the reference script");
    writer
        .join()
        .expect("the writer")
        .expect("write the queries");
    assert!(
        out.status.success(),
        "the reference script {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .filter_map(|l| l.strip_prefix("ANSWER "))
        .map(|l| serde_json::from_str(l).expect("a JSON answer"))
        .collect()
}
