//! What the comparisons with Airbyte's Python code share: the `cdk` test
//! venv's interpreter, and a script that answers JSON lines.

#![allow(dead_code)]

pub mod fixture;
pub mod requests;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// The interpreter of the `cdk` test venv (airbyte-cdk 7.39.1).
pub fn python() -> PathBuf {
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

/// Runs `tests/python/<script> <args>` with `input` on stdin; its stdout.
pub fn run_script(script: &str, args: &[&str], input: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let mut child = Command::new(python())
        .arg(path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the reference script");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the input");
    let out = child.wait_with_output().expect("the reference script");
    assert!(
        out.status.success(),
        "the reference script {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The answers of `script` to `queries`, one JSON line each; with
/// `prefix`, only the lines that start with it count (the CDK also logs
/// on stdout).
pub fn ask(script: &str, queries: &[Value], prefix: Option<&str>) -> Vec<Value> {
    let input: String = queries.iter().map(|q| format!("{q}\n")).collect();
    run_script(script, &[], &input)
        .lines()
        .filter_map(|l| match prefix {
            Some(p) => l.strip_prefix(p),
            None => Some(l),
        })
        .map(|l| serde_json::from_str(l).expect("a JSON answer"))
        .collect()
}
