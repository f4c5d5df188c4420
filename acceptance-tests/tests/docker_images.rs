//! The connectors' Docker images meet the platform's image requirements
//! (protocol reference §2.3, the checks of CAT's `test_core.py`): for every
//! `connectors/*/metadata.yaml`, the image `<dockerRepository>:<dockerImageTag>`
//! answers `spec` with exactly one SPEC message, carries the `io.airbyte.*`
//! labels of metadata.yaml and an `AIRBYTE_ENTRYPOINT` equal to its
//! entrypoint, and runs as the user `airbyte` who can write to `/airbyte`.
//!
//! The images are built by `scripts/build-images.sh`, which must run before
//! `cargo test`. Without a Docker engine these tests print one line and pass,
//! except when `CI` is set: there they fail, so that CI cannot skip them
//! silently.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use airbyte_sdk::protocol::ConnectionStatus;
use airbyte_sdk::testkit::run_binary;
use serde_json::{Value, json};

const BUILD_HINT: &str =
    "run `scripts/build-images.sh` (after `cargo build --release --workspace`) before `cargo test`";

/// A connector folder with a metadata.yaml.
struct Connector {
    /// The folder name (= cargo package = binary name).
    name: String,
    connector_type: String,
    repository: String,
    tag: String,
}

impl Connector {
    fn image(&self) -> String {
        format!("{}:{}", self.repository, self.tag)
    }
}

fn connectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../connectors")
}

/// A scalar of `data` as a string (an unquoted `dockerImageTag: 1.0` is a YAML number).
fn data_field(data: &Value, key: &str, file: &Path) -> String {
    match data.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Number(_)) => v.to_string(),
        _ => panic!("{}: data.{key} is missing or not a scalar", file.display()),
    }
}

/// Every connector with a metadata.yaml, sorted by name.
fn connectors() -> Vec<Connector> {
    let dir = connectors_dir();
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    let mut found = Vec::new();
    for entry in entries {
        let folder = entry.expect("a directory entry").path();
        let file = folder.join("metadata.yaml");
        if !file.is_file() {
            assert!(
                !folder.join("Dockerfile").exists(),
                "{} has a Dockerfile but no metadata.yaml",
                folder.display()
            );
            continue;
        }
        assert!(
            folder.join("Dockerfile").is_file(),
            "{} has no Dockerfile: scripts/build-images.sh builds the images from connectors/*/Dockerfile",
            file.display()
        );
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let yaml: Value = serde_yaml_ng::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: invalid YAML: {e}", file.display()));
        let data = yaml
            .get("data")
            .unwrap_or_else(|| panic!("{}: no `data` mapping", file.display()));
        found.push(Connector {
            name: folder
                .file_name()
                .expect("a folder name")
                .to_string_lossy()
                .into_owned(),
            connector_type: data_field(data, "connectorType", &file),
            repository: data_field(data, "dockerRepository", &file),
            tag: data_field(data, "dockerImageTag", &file),
        });
    }
    assert!(
        !found.is_empty(),
        "no connectors/*/metadata.yaml in {}",
        dir.display()
    );
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Runs `docker args…`; returns (exit code, stdout, stderr).
fn docker(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker {args:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether the tests can run: a Docker engine answers. Without one, fails in
/// CI and prints one line (once for all the tests) elsewhere.
fn docker_available() -> bool {
    static ENGINE: OnceLock<bool> = OnceLock::new();
    let engine = *ENGINE.get_or_init(|| {
        let engine = Command::new("docker")
            .arg("info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !engine && std::env::var_os("CI").is_none() {
            // Written to the real stderr: the test harness captures the print macros.
            let _ = writeln!(
                std::io::stderr(),
                "docker: no Docker engine available; image tests not run"
            );
        }
        engine
    });
    assert!(
        engine || std::env::var_os("CI").is_none(),
        "docker: no Docker engine available (`docker info` failed) and CI is set: the image tests must run in CI"
    );
    engine
}

/// The image's config (`docker image inspect`), failing with a hint when the image is missing.
fn image_config(connector: &Connector) -> Value {
    let image = connector.image();
    let (code, stdout, stderr) = docker(&["image", "inspect", "--format", "{{json .}}", &image]);
    assert!(
        code == 0,
        "image {image} (connectors/{}) is missing: {BUILD_HINT}\n{stderr}",
        connector.name
    );
    serde_json::from_slice(&stdout)
        .unwrap_or_else(|e| panic!("docker image inspect {image}: not JSON: {e}"))
}

#[test]
fn images_answer_spec_with_one_spec_message() {
    if !docker_available() {
        return;
    }
    for connector in connectors() {
        let image = connector.image();
        image_config(&connector);
        let out = run_binary("docker", &["run", "--rm", "-i", &image, "spec"], b"");
        assert_eq!(
            out.exit_code, 0,
            "docker run {image} spec failed:\n{}\n{}",
            out.stdout, out.stderr
        );
        assert!(
            out.invalid_lines.is_empty(),
            "{image} spec printed invalid lines: {:?}",
            out.invalid_lines
        );
        assert!(
            out.spec().is_some(),
            "{image} spec printed no SPEC message:\n{}",
            out.stdout
        );
        let specs = out.messages.iter().filter(|m| m.spec.is_some()).count();
        assert_eq!(
            specs, 1,
            "{image} spec printed {specs} SPEC messages:\n{}",
            out.stdout
        );
    }
}

#[test]
fn images_have_the_labels_entrypoint_and_user_the_platform_requires() {
    if !docker_available() {
        return;
    }
    for connector in connectors() {
        let image = connector.image();
        let inspect = image_config(&connector);
        let config = &inspect["Config"];
        let label = |key: &str| {
            config["Labels"]
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        assert_eq!(
            label("io.airbyte.name"),
            Some(connector.repository.clone()),
            "{image}: io.airbyte.name"
        );
        assert_eq!(
            label("io.airbyte.version"),
            Some(connector.tag.clone()),
            "{image}: io.airbyte.version"
        );

        let entrypoint: Vec<&str> = config["Entrypoint"]
            .as_array()
            .unwrap_or_else(|| panic!("{image} has no ENTRYPOINT"))
            .iter()
            .map(|v| v.as_str().expect("an ENTRYPOINT word"))
            .collect();
        assert!(
            entrypoint.first().is_some_and(|p| p.starts_with('/')),
            "{image}: the ENTRYPOINT {entrypoint:?} must be absolute"
        );
        let env = config["Env"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let airbyte_entrypoint = env
            .iter()
            .filter_map(Value::as_str)
            .find_map(|kv| kv.strip_prefix("AIRBYTE_ENTRYPOINT="));
        assert_eq!(
            airbyte_entrypoint,
            Some(entrypoint.join(" ").as_str()),
            "{image}: ENV AIRBYTE_ENTRYPOINT must equal the space-joined ENTRYPOINT"
        );

        assert_eq!(config["User"], "airbyte", "{image}: USER");
        assert_eq!(config["WorkingDir"], "/airbyte", "{image}: WORKDIR");
        assert_eq!(
            inspect["Architecture"], "amd64",
            "{image}: the platform runs amd64 images"
        );
        assert!(
            matches!(connector.connector_type.as_str(), "source" | "destination"),
            "connectors/{}: connectorType is {:?}",
            connector.name,
            connector.connector_type
        );
    }
}

/// Removes a named container, even when the test panics.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "--force", &self.0]);
    }
}

/// The owner uid of the first entry of a tar stream (ustar/GNU header: octal at 108..116).
fn first_tar_entry_uid(tar: &[u8]) -> u32 {
    let field = tar.get(108..116).expect("a tar header");
    let text: String = field
        .iter()
        .map(|&b| b as char)
        .filter(char::is_ascii_digit)
        .collect();
    u32::from_str_radix(&text, 8).unwrap_or_else(|e| panic!("tar uid field {field:?}: {e}"))
}

/// The base image's promise, seen from a running connector: the default user
/// is `airbyte` (uid 1000) and `/airbyte` is writable. The images have no
/// shell, so the JSONL destination's `check` does the writing (it creates
/// the directory and a probe file), and the new directory's owner, read with
/// `docker cp`, tells which user the process ran as.
#[test]
fn the_default_user_can_write_to_airbyte_home() {
    if !docker_available() {
        return;
    }
    let connector = connectors()
        .into_iter()
        .find(|c| c.name == "example-destination-jsonl")
        .expect("connectors/example-destination-jsonl/metadata.yaml");
    let image = connector.image();
    image_config(&connector);

    static N: AtomicU32 = AtomicU32::new(0);
    let container = Container(format!(
        "airbyte-rs-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    // The config comes on stdin: no bind mount, so no host file permissions
    // or remote-daemon paths get in the way.
    let config = json!({"destination_path": "/airbyte/out"}).to_string();
    let out = run_binary(
        "docker",
        &[
            "run",
            "-i",
            "--name",
            &container.0,
            &image,
            "check",
            "--config",
            "/dev/stdin",
        ],
        config.as_bytes(),
    );
    assert_eq!(
        out.exit_code, 0,
        "docker run {image} check failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    assert!(
        out.invalid_lines.is_empty(),
        "{image} check printed invalid lines: {:?}",
        out.invalid_lines
    );
    let status = out.connection_status().unwrap_or_else(|| {
        panic!(
            "{image} check printed no CONNECTION_STATUS:\n{}",
            out.stdout
        )
    });
    assert_eq!(
        status.status,
        ConnectionStatus::Succeeded,
        "{image} cannot write to /airbyte/out as its default user: {:?}",
        status.message
    );

    let (code, tar, stderr) = docker(&["cp", &format!("{}:/airbyte/out", container.0), "-"]);
    assert_eq!(code, 0, "docker cp of /airbyte/out failed: {stderr}");
    assert_eq!(
        first_tar_entry_uid(&tar),
        1000,
        "/airbyte/out was not created by uid 1000 (airbyte)"
    );
}
