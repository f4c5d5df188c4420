//! Checking lines against the official Python models of the protocol.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const SCRIPT: &str = include_str!("../../../scripts/python/check_messages.py");

/// The folder of the test venv `name` that `scripts/setup-test-env.sh` makes
/// (`protocol`, `cdk`, `pyairbyte`, `faker`): `venv-<name>` under
/// `$AIRBYTE_RS_CACHE`, else `$XDG_CACHE_HOME/airbyte-rs`, else
/// `~/.cache/airbyte-rs` (the rule of `scripts/python/venv-dir.sh`).
///
/// ```
/// let dir = airbyte_sdk::testkit::test_venv("cdk");
/// assert!(dir.ends_with("venv-cdk"));
/// ```
pub fn test_venv(name: &str) -> PathBuf {
    let cache = std::env::var_os("AIRBYTE_RS_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("airbyte-rs")))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/airbyte-rs")))
        .unwrap_or_else(|| PathBuf::from(".cache/airbyte-rs"));
    cache.join(format!("venv-{name}"))
}

/// Sends `stdout` (message lines) through the official pydantic models
/// (`airbyte-protocol-models`), using the Python in `AIRBYTE_TEST_PYTHON` or
/// the `protocol` [`test_venv`]. Returns the checker's report on failure.
///
/// Panics with instructions if no such Python is installed: run
/// `scripts/setup-test-env.sh`.
pub fn check_with_official_models(stdout: &str) -> Result<(), String> {
    let python = std::env::var_os("AIRBYTE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| test_venv("protocol").join("bin/python"));
    assert!(
        python.exists(),
        "no Python with airbyte-protocol-models at {}: run `scripts/setup-test-env.sh` or set AIRBYTE_TEST_PYTHON",
        python.display()
    );
    let mut child = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(stdout.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
