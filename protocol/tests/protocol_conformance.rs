//! Every line we accept or print passes the official Python models
//! (`airbyte-protocol-models` 0.18.0), and lines they reject are shown to fail.
//!
//! Needs the venv that `scripts/test.sh` creates (or `AIRBYTE_TEST_PYTHON`).

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use airbyte_protocol::{AirbyteMessage, MessageReader};
use common::{INVALID, VALID, workspace_root};

fn python() -> PathBuf {
    let path = std::env::var_os("AIRBYTE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // The protocol venv of scripts/setup-test-env.sh (scripts/python/venv-dir.sh).
            let cache = std::env::var_os("AIRBYTE_RS_CACHE")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("airbyte-rs"))
                })
                .or_else(|| {
                    std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/airbyte-rs"))
                })
                .unwrap_or_default();
            cache.join("venv-protocol/bin/python")
        });
    assert!(
        path.exists(),
        "no Python with airbyte-protocol-models at {}: run `scripts/setup-test-env.sh` \
         (or the full `scripts/test.sh`), or set AIRBYTE_TEST_PYTHON",
        path.display()
    );
    path
}

/// Runs the checker on `lines`; returns (success, stdout + stderr).
fn check(lines: &str, args: &[&str]) -> (bool, String) {
    let mut child = Command::new(python())
        .arg(workspace_root().join("scripts/python/check_messages.py"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the checker");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(lines.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_corpus_passes_the_official_models() {
    let (ok, out) = check(VALID, &[]);
    assert!(ok, "{out}");
    assert!(out.contains("30 of 30 lines valid"), "{out}");
}

#[test]
fn what_we_write_back_passes_the_official_models() {
    let rewritten: String = MessageReader::new(VALID.as_bytes())
        .map(|m| serde_json::to_string(&m.expect("valid")).expect("serialize") + "\n")
        .collect();
    let (ok, out) = check(&rewritten, &[]);
    assert!(ok, "{out}");
    // Known optional fields given as null come back omitted (unknown keys keep their nulls).
    assert!(!rewritten.contains(r#""namespace":null"#) && !rewritten.contains(r#""meta":null"#));
}

#[test]
fn every_constructed_message_kind_passes_the_official_models() {
    let lines: String = common::sample_messages()
        .iter()
        .map(|(_, m)| serde_json::to_string(m).expect("serialize") + "\n")
        .collect();
    let (ok, out) = check(&lines, &["--no-nulls"]);
    assert!(ok, "{out}");
}

#[test]
fn invalid_lines_fail_the_official_models() {
    let (ok, out) = check(INVALID, &["--expect-invalid"]);
    assert!(ok, "{out}");
    // And the check itself fails when such a line is mixed into valid input.
    let mixed = format!("{VALID}{}\n", INVALID.lines().next().expect("a line"));
    let (ok, out) = check(&mixed, &[]);
    assert!(!ok, "a bad line must fail the check: {out}");
    assert!(
        out.contains(":31: type=RECORD but its payload `record` is missing"),
        "{out}"
    );
}

#[test]
fn our_reader_rejects_what_the_models_reject() {
    for (n, line) in INVALID.lines().enumerate() {
        let result: Result<AirbyteMessage, _> = MessageReader::new(line.as_bytes())
            .next_message()
            .expect("a line");
        if line.contains("not a uri") {
            // URI formats are not checked here (the JSON Schema does not check them either).
            continue;
        }
        assert!(
            result.is_err(),
            "invalid line {} was accepted: {line}",
            n + 1
        );
    }
}
