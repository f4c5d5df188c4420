//! source-http's fixture API (`connectors/source-http/tests/fixtures/server.py`)
//! on the host, for the tests that run source-http as a binary or as an image
//! on the host's network: one server per test, on an ephemeral port of
//! 127.0.0.1, with the token of the connector's test config. The configs of
//! `connectors/source-http/integration_tests/` name a fixed URL
//! (`base_url`); [`FixtureServer::connector_copy`] gives the connector's
//! folder with that URL replaced by this server's.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use airbyte_sdk::testkit::TestDir;
use serde_json::Value;

/// The connector's folder.
pub fn connector_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../connectors/source-http")
}

/// The connector's test config (`integration_tests/config.json`).
pub fn test_config() -> Value {
    let path = connector_dir().join("integration_tests/config.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A running fixture server; stopped when dropped.
pub struct FixtureServer {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The `base_url` of the test configs, which this server stands for.
    pub config_url: String,
}

impl FixtureServer {
    /// Starts the server with the test config's `api_token` (`python3`, the
    /// standard library only).
    pub fn start() -> FixtureServer {
        let config = test_config();
        let text = |key: &str| {
            config[key]
                .as_str()
                .unwrap_or_else(|| panic!("integration_tests/config.json has no string `{key}`"))
                .to_owned()
        };
        FixtureServer::spawn(
            "server.py",
            &["--token", &text("api_token")],
            text("base_url"),
        )
    }

    /// Starts `tests/fixtures/<script> <args>` (`python3`, the standard
    /// library only), which prints `PORT <n>` first; `config_url` is the URL
    /// the configs name for it.
    fn spawn(script: &str, args: &[&str], config_url: String) -> FixtureServer {
        let script = connector_dir().join("tests/fixtures").join(script);
        let mut child = Command::new("python3")
            .arg(&script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 {}: {e}", script.display()));
        let mut line = String::new();
        let read =
            BufReader::new(child.stdout.take().expect("the server's stdout")).read_line(&mut line);
        let Some(port) = line.trim().strip_prefix("PORT ").map(str::to_owned) else {
            let _ = child.kill();
            panic!(
                "{} printed {line:?} ({read:?}), not `PORT <n>`",
                script.display()
            );
        };
        FixtureServer {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            config_url,
        }
    }

    /// Starts the stand-in APIs of source-http's manifests modeled on real
    /// connectors (`tests/fixtures/real_apis.py`, its default token), for
    /// the suites of `connectors/source-http/acceptance/<name>/`, whose
    /// configs name `http://127.0.0.1:54381`.
    pub fn start_real() -> FixtureServer {
        FixtureServer::spawn("real_apis.py", &[], "http://127.0.0.1:54381".to_owned())
    }

    /// `connectors/source-http/acceptance/<name>/` (its
    /// `acceptance-test-config.yml` and `integration_tests/`) and the
    /// connector's `metadata.yaml` (the image's labels are checked against
    /// it), copied into a temp folder with every occurrence of the configs'
    /// URL replaced by this server's.
    pub fn acceptance_copy(&self, name: &str) -> TestDir {
        let dir = TestDir::new(&format!("source-http-acceptance-{name}"));
        let source = connector_dir().join("acceptance").join(name);
        self.copy_mapped(&source.join("acceptance-test-config.yml"), dir.path());
        self.copy_mapped(&connector_dir().join("metadata.yaml"), dir.path());
        let tests = dir.path().join("integration_tests");
        std::fs::create_dir(&tests).expect("integration_tests in the copy");
        for entry in std::fs::read_dir(source.join("integration_tests")).expect("integration_tests")
        {
            self.copy_mapped(&entry.expect("a directory entry").path(), &tests);
        }
        dir
    }

    /// The connector's `acceptance-test-config.yml`, `metadata.yaml` and
    /// `integration_tests/`, copied into a temp folder with every occurrence
    /// of the configs' URL replaced by this server's.
    pub fn connector_copy(&self) -> TestDir {
        let dir = TestDir::new("source-http-acceptance");
        let source = connector_dir();
        for file in ["acceptance-test-config.yml", "metadata.yaml"] {
            std::fs::copy(source.join(file), dir.path().join(file))
                .unwrap_or_else(|e| panic!("cannot copy {file}: {e}"));
        }
        let tests = dir.path().join("integration_tests");
        std::fs::create_dir(&tests).expect("integration_tests in the copy");
        for entry in std::fs::read_dir(source.join("integration_tests")).expect("integration_tests")
        {
            let path = entry.expect("a directory entry").path();
            if path.is_file() {
                self.copy_mapped(&path, &tests);
            }
        }
        dir
    }

    fn copy_mapped(&self, file: &Path, into: &Path) {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let target = into.join(file.file_name().expect("a file name"));
        std::fs::write(&target, text.replace(&self.config_url, &self.base_url))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
