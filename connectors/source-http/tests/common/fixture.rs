//! The fixture API (tests/fixtures/server.py) on 127.0.0.1, and the two
//! engines run on the same manifest: Airbyte's `source-declarative-manifest`
//! and ours.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A running fixture server; stopped when dropped.
pub struct FixtureServer {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
}

impl FixtureServer {
    /// Starts the server with these extra arguments (`--token T`...).
    pub fn start(args: &[&str]) -> FixtureServer {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/server.py");
        let mut child = Command::new(super::python())
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the fixture server (tests/fixtures/server.py)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .unwrap_or_else(|| panic!("the fixture server printed {line:?}, not its port"));
        FixtureServer {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Airbyte's engine, from the `cdk` test venv.
pub fn sdm() -> PathBuf {
    let python = super::python();
    let sdm = python.with_file_name("source-declarative-manifest");
    assert!(
        sdm.exists(),
        "no source-declarative-manifest beside {}: run `scripts/setup-test-env.sh`",
        python.display()
    );
    sdm
}

/// Ours.
pub fn ours() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_source-http"))
}

/// The messages `engine` prints for `args` (LOG lines dropped), and its exit code.
pub fn run(engine: &Path, args: &[&str]) -> (Vec<Value>, i32) {
    let out = Command::new(engine)
        .args(args)
        .output()
        .expect("run an engine");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let messages = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|m| m["type"] != "LOG")
        .collect();
    (messages, out.status.code().unwrap_or(-1))
}

/// The manifest file `name` of tests/manifests.
pub fn manifest(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/manifests")
        .join(name)
        .display()
        .to_string()
}
