//! What the platform emulation tests share: the connector images (from
//! `connectors/*/metadata.yaml`), the test network with its PostgreSQL and
//! source-http's fixture API, the
//! connectors' test configs rewritten for a container on that network,
//! Docker helpers with cleanup guards, and the table of steps and outcomes.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

/// How to build the images.
pub const BUILD_HINT: &str =
    "run `scripts/build-images.sh` (after `cargo build --release --workspace`) before `cargo test`";
/// How to get the test network.
pub const NETWORK_HINT: &str = "start it with `scripts/test-network.sh start` and export the \
     AIRBYTE_TEST_NETWORK* variables it prints (scripts/test.sh does both)";

/// A connector folder with a metadata.yaml, and its image.
#[derive(Debug, Clone)]
pub struct Image {
    /// The folder name (= cargo package = binary name).
    pub name: String,
    /// `source` or `destination`.
    pub kind: String,
    /// `<dockerRepository>:<dockerImageTag>`.
    pub image: String,
    /// The connector's folder.
    pub dir: PathBuf,
}

impl Image {
    /// Whether it is a source.
    pub fn is_source(&self) -> bool {
        self.kind == "source"
    }
}

fn scalar(data: &Value, key: &str, file: &Path) -> String {
    match data.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Number(_)) => v.to_string(),
        _ => panic!("{}: data.{key} is missing or not a scalar", file.display()),
    }
}

/// Every connector with a metadata.yaml, sorted by name; each image must exist.
pub fn images() -> Vec<Image> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../connectors");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let folder = entry.expect("a directory entry").path();
        let file = folder.join("metadata.yaml");
        if !file.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("metadata.yaml");
        let yaml: Value = serde_yaml_ng::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: invalid YAML: {e}", file.display()));
        let data = &yaml["data"];
        let image = Image {
            name: folder
                .file_name()
                .expect("a folder name")
                .to_string_lossy()
                .into_owned(),
            kind: scalar(data, "connectorType", &file),
            image: format!(
                "{}:{}",
                scalar(data, "dockerRepository", &file),
                scalar(data, "dockerImageTag", &file)
            ),
            dir: folder,
        };
        let (code, _, err) = docker(&["image", "inspect", "--format", "{{.Id}}", &image.image]);
        assert_eq!(
            code, 0,
            "image {} (connectors/{}) is missing: {BUILD_HINT}\n{err}",
            image.image, image.name
        );
        found.push(image);
    }
    assert!(!found.is_empty(), "no connectors/*/metadata.yaml");
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Runs `docker args…`; returns (exit code, stdout, stderr).
pub fn docker(args: &[&str]) -> (i32, String, String) {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker {args:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The test network: its name, the PostgreSQL container and its host name,
/// and the base URL of source-http's fixture API.
#[derive(Debug, Clone)]
pub struct Network {
    /// The Docker network.
    pub name: String,
    /// The PostgreSQL server's container.
    pub pg_container: String,
    /// Its host name on the network.
    pub pg_host: String,
    /// The fixture API (`connectors/source-http/tests/fixtures/server.py`):
    /// `http://<host>:<port>` on the network.
    pub http_url: String,
}

/// The test network, which must be up.
pub fn network() -> Network {
    let var = |key: &str| {
        std::env::var(key)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| panic!("{key} is not set: {NETWORK_HINT}"))
    };
    let network = Network {
        name: var("AIRBYTE_TEST_NETWORK"),
        pg_container: var("AIRBYTE_TEST_NETWORK_PG"),
        pg_host: var("AIRBYTE_TEST_NETWORK_PG_HOST"),
        http_url: var("AIRBYTE_TEST_NETWORK_HTTP_URL"),
    };
    let (code, _, err) = docker(&["network", "inspect", "--format", "{{.Name}}", &network.name]);
    assert_eq!(
        code, 0,
        "the test network {} is missing: {NETWORK_HINT}\n{err}",
        network.name
    );
    network
}

impl Network {
    /// `psql -Atc sql` on `database` in the server's container: (exit code,
    /// stdout, stderr), for cleanup that may fail.
    pub fn try_psql(&self, database: &str, sql: &str) -> (i32, String, String) {
        docker(&[
            "exec",
            "-e",
            "PGHOST=/tmp",
            "-e",
            "PGUSER=postgres",
            &self.pg_container,
            "psql",
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            database,
            "-Atc",
            sql,
        ])
    }

    /// `psql -Atc sql` on `database` in the server's container, which must succeed.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let (code, out, err) = self.try_psql(database, sql);
        assert_eq!(
            code, 0,
            "psql -d {database} -c {sql:?} in {} failed ({NETWORK_HINT}): {err}",
            self.pg_container
        );
        out.trim_end().to_owned()
    }

    /// A new empty database, dropped when the guard is.
    pub fn fresh_database(&self, label: &str) -> Database {
        let name = format!("{label}_{}", unique());
        self.psql("postgres", &format!("create database \"{name}\""));
        Database {
            network: self.clone(),
            name,
        }
    }
}

/// A database of the test server, dropped on drop.
pub struct Database {
    network: Network,
    /// Its name.
    pub name: String,
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = self.network.try_psql(
            "postgres",
            &format!("drop database if exists \"{}\" with (force)", self.name),
        );
    }
}

/// `<pid>_<n>`: unique among this machine's running tests.
pub fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A host folder the containers may write to (mode 0777, like an emptyDir).
pub fn writable_dir(label: &str) -> airbyte_sdk::testkit::TestDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = airbyte_sdk::testkit::TestDir::new(label);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod 0777");
    dir
}

/// The acceptance-test-config.yml of a connector.
pub fn acceptance_config(image: &Image) -> Value {
    let file = image.dir.join("acceptance-test-config.yml");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// The `config_path` of the connection test with `status`.
pub fn connection_config_path(image: &Image, status: &str) -> Option<PathBuf> {
    let config = acceptance_config(image);
    let tests = config["acceptance_tests"]["connection"]["tests"].as_array()?;
    tests
        .iter()
        .find(|t| t["status"] == status)
        .and_then(|t| t["config_path"].as_str())
        .map(|p| image.dir.join(p))
}

/// A test config, made for a container on the test network: `host` and
/// `port` name the network's server, a `base_url` on the host's loopback the
/// network's fixture API (its path kept), `${RUN_ID}` becomes `run_id` and
/// `${LOCAL_ROOT}` the container's `/local`.
pub fn container_config(path: &Path, network: &Network, run_id: &str) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .replace("${RUN_ID}", run_id)
        .replace("${LOCAL_ROOT}", "/local");
    let mut config: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if let Some(object) = config.as_object_mut()
        && object.contains_key("host")
    {
        object.insert("host".into(), Value::from(network.pg_host.clone()));
        object.insert("port".into(), Value::from(5432));
    }
    if let Some(object) = config.as_object_mut()
        && let Some(Value::String(url)) = object.get("base_url")
        && let Some(path) = ["http://127.0.0.1:", "http://localhost:"]
            .iter()
            .find_map(|origin| url.strip_prefix(origin))
            .map(|rest| rest.find('/').map_or("", |i| &rest[i..]))
    {
        let mapped = format!("{}{path}", network.http_url.trim_end_matches('/'));
        object.insert("base_url".into(), Value::from(mapped));
    }
    config
}

/// Steps and their outcomes, printed as a table at the end of a test.
#[derive(Default)]
pub struct Steps {
    title: String,
    rows: Mutex<Vec<(String, String, String)>>,
}

impl Steps {
    /// An empty table.
    pub fn new(title: &str) -> Self {
        Steps {
            title: title.to_owned(),
            rows: Mutex::default(),
        }
    }

    /// Records that `step` of `connector` ended with `outcome`.
    pub fn record(&self, connector: &str, step: &str, outcome: impl Into<String>) {
        self.rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((connector.to_owned(), step.to_owned(), outcome.into()));
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        let rows = self
            .rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut text = format!(
            "\n{}\n| connector | step | outcome |\n|---|---|---|\n",
            self.title
        );
        for (connector, step, outcome) in rows.iter() {
            text.push_str(&format!("| {connector} | {step} | {outcome} |\n"));
        }
        if std::thread::panicking() {
            text.push_str("(the test failed after these steps)\n");
        }
        // The real stderr: the harness captures the print macros.
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}
