//! The fixture API (tests/fixtures/server.py) on 127.0.0.1, and the two
//! engines run on the same manifest: Airbyte's `source-declarative-manifest`
//! and ours.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use airbyte_sdk::testkit::TestDir;
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
        FixtureServer::start_script("server.py", args)
    }

    /// Starts `tests/fixtures/<script>` with these arguments; it prints
    /// `PORT <n>` first, as server.py does.
    pub fn start_script(script: &str, args: &[&str]) -> FixtureServer {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(script);
        let mut child = Command::new(super::python())
            .arg(path)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start the fixture server tests/fixtures/{script}: {e}"));
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

    /// The JSON body of `GET <path>` on the server (one request, no
    /// keep-alive), e.g. the `/__stats` of tests/fixtures/real_apis.py.
    pub fn get_json(&self, path: &str) -> Value {
        let address = self.base_url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect to the fixture server");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .expect("send the request");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read the response");
        let (head, body) = response
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no HTTP response: {response:?}"));
        assert!(head.starts_with("HTTP/1.1 200"), "GET {path}: {head}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
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
    let messages = messages(&String::from_utf8_lossy(&out.stdout));
    (messages, out.status.code().unwrap_or(-1))
}

/// The messages of an engine's stdout, LOG lines dropped.
pub fn messages(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|m| m["type"] != "LOG")
        .collect()
}

/// Each stream's records (as JSON texts, sorted) and its last state.
pub fn by_stream(messages: &[Value]) -> BTreeMap<String, (Vec<String>, Option<Value>)> {
    let mut out: BTreeMap<String, (Vec<String>, Option<Value>)> = BTreeMap::new();
    for m in messages {
        match m["type"].as_str() {
            Some("RECORD") => {
                let name = m["record"]["stream"].as_str().unwrap_or("").to_owned();
                let data = m["record"]["data"].to_string();
                out.entry(name).or_default().0.push(data);
            }
            Some("STATE") => {
                let stream = &m["state"]["stream"];
                let name = stream["stream_descriptor"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                out.entry(name).or_default().1 = Some(stream["stream_state"].clone());
            }
            _ => {}
        }
    }
    for (records, _) in out.values_mut() {
        records.sort();
    }
    out
}

/// Whether a discovered stream can be read incrementally.
pub fn supports_incremental(stream: &Value) -> bool {
    stream["supported_sync_modes"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m == "incremental"))
}

/// A configured catalog of these discovered `streams`, each incremental
/// where it can be, written in `dir`; its path.
pub fn configured_catalog<'a>(
    dir: &TestDir,
    streams: impl IntoIterator<Item = &'a Value>,
) -> String {
    let streams: Vec<Value> = streams
        .into_iter()
        .map(|s| {
            let mode = if supports_incremental(s) {
                "incremental"
            } else {
                "full_refresh"
            };
            serde_json::json!({"stream": s, "sync_mode": mode, "destination_sync_mode": "append"})
        })
        .collect();
    dir.write_json("catalog.json", &serde_json::json!({ "streams": streams }))
        .display()
        .to_string()
}

/// The manifest file `name` of tests/manifests.
pub fn manifest(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/manifests")
        .join(name)
        .display()
        .to_string()
}
