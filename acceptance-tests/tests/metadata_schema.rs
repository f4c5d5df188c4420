//! Every `connectors/*/metadata.yaml` is valid for Airbyte's connector registry,
//! and each image carries the labels its metadata implies.
//!
//! The rules are those of Airbyte's metadata schema, `ConnectorMetadataDefinitionV0`
//! (airbytehq/airbyte, `airbyte-ci/connectors/metadata_service/lib/metadata_service/
//! models/src/ConnectorMetadataDefinitionV0.yaml` and the files it references:
//! `ConnectorBuildOptions.yaml`, `AllowedHosts.yaml`, `ReleaseStage.yaml`,
//! `SupportLevel.yaml`; read at the 2025 revision that has `connectorIPCOptions`
//! and `supportsDataActivation`), plus the registry upload checks of
//! `metadata_service/validators/metadata_validator.py` that need no network
//! (semver tag, `key:value` tags with a `language:` one, a breaking-change
//! entry for a major version). The schema is only published as source, not
//! as an installable package, so this test re-states its rules (read, not
//! copied). The keys our files do not use are only checked for their JSON
//! type. airbyte-cdk 7.39.1's `MetadataFile` (what its standard tests load)
//! accepts a subset of these rules; scripts/standard-tests.sh loads it too.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{docker_available, workspace};
use serde_json::{Map, Value};

/// The keys of `data`, each with the check of its value (`additionalProperties: false`).
const DATA_KEYS: &[(&str, Kind)] = &[
    ("name", Kind::String),
    ("icon", Kind::String),
    ("definitionId", Kind::Uuid),
    ("connectorBuildOptions", Kind::BuildOptions),
    ("connectorTestSuitesOptions", Kind::Array),
    ("connectorType", Kind::Enum(&["destination", "source"])),
    ("dockerRepository", Kind::DockerRepository),
    ("dockerImageTag", Kind::Semver),
    ("supportsDbt", Kind::Bool),
    ("supportsNormalization", Kind::Bool),
    ("license", Kind::String),
    ("documentationUrl", Kind::Uri),
    ("externalDocumentationUrls", Kind::Array),
    ("githubIssueLabel", Kind::String),
    ("maxSecondsBetweenMessages", Kind::Integer),
    ("releaseDate", Kind::Date),
    ("protocolVersion", Kind::String),
    ("erdUrl", Kind::String),
    (
        "connectorSubtype",
        Kind::Enum(&[
            "api",
            "database",
            "datalake",
            "file",
            "custom",
            "message_queue",
            "unknown",
            "vectorstore",
        ]),
    ),
    (
        "releaseStage",
        Kind::Enum(&["alpha", "beta", "generally_available", "custom"]),
    ),
    (
        "supportLevel",
        Kind::Enum(&["community", "certified", "archived"]),
    ),
    ("tags", Kind::Tags),
    ("registryOverrides", Kind::Object),
    ("allowedHosts", Kind::AllowedHosts),
    ("releases", Kind::Object),
    ("normalizationConfig", Kind::Object),
    ("suggestedStreams", Kind::Object),
    ("resourceRequirements", Kind::Object),
    ("ab_internal", Kind::Object),
    ("remoteRegistries", Kind::Object),
    ("supportsRefreshes", Kind::Bool),
    ("generated", Kind::Object),
    ("supportsFileTransfer", Kind::Bool),
    ("supportsDataActivation", Kind::Bool),
    ("connectorIPCOptions", Kind::Object),
];

/// The keys of `data` the schema requires.
const REQUIRED: &[&str] = &[
    "name",
    "definitionId",
    "connectorType",
    "dockerRepository",
    "dockerImageTag",
    "license",
    "documentationUrl",
    "githubIssueLabel",
    "connectorSubtype",
    "releaseStage",
];

/// What a value of `data` must be.
#[derive(Clone, Copy)]
enum Kind {
    String,
    Bool,
    Integer,
    Object,
    Array,
    Uuid,
    Uri,
    Date,
    Semver,
    DockerRepository,
    Enum(&'static [&'static str]),
    Tags,
    AllowedHosts,
    BuildOptions,
}

/// One connector folder with a metadata.yaml.
struct Connector {
    name: String,
    folder: PathBuf,
    data: Map<String, Value>,
}

fn connectors() -> Vec<Connector> {
    let dir = workspace().join("connectors");
    let mut found: Vec<Connector> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|folder| folder.join("metadata.yaml").is_file())
        .map(|folder| {
            let file = folder.join("metadata.yaml");
            let text = std::fs::read_to_string(&file).expect("metadata.yaml is readable");
            let doc: Value = serde_yaml_ng::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: invalid YAML: {e}", file.display()));
            let problems = top_level_problems(&doc);
            assert!(problems.is_empty(), "{}: {problems:?}", file.display());
            Connector {
                name: folder.file_name().expect("a name").to_string_lossy().into(),
                data: doc["data"].as_object().cloned().expect("checked above"),
                folder,
            }
        })
        .collect();
    assert!(!found.is_empty(), "no connectors/*/metadata.yaml");
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// `metadataSpecVersion` (a string) and `data` (an object), nothing else.
fn top_level_problems(doc: &Value) -> Vec<String> {
    let Some(top) = doc.as_object() else {
        return vec!["the document is not a mapping".into()];
    };
    let mut problems: Vec<String> = top
        .keys()
        .filter(|k| !matches!(k.as_str(), "metadataSpecVersion" | "data"))
        .map(|k| format!("unknown top-level key `{k}`"))
        .collect();
    if !top.get("metadataSpecVersion").is_some_and(Value::is_string) {
        problems.push("`metadataSpecVersion` must be a string".into());
    }
    if !top.get("data").is_some_and(Value::is_object) {
        problems.push("`data` must be a mapping".into());
    }
    problems
}

/// Every problem of `data` against the schema's rules.
fn data_problems(data: &Map<String, Value>) -> Vec<String> {
    let mut problems: Vec<String> = REQUIRED
        .iter()
        .filter(|key| !data.contains_key(**key))
        .map(|key| format!("`data.{key}` is required"))
        .collect();
    for (key, value) in data {
        match DATA_KEYS.iter().find(|(k, _)| k == key) {
            None => problems.push(format!("`data.{key}` is not a key of the schema")),
            Some((_, kind)) => {
                if let Err(why) = check(*kind, value) {
                    problems.push(format!("`data.{key}`: {why}"));
                }
            }
        }
    }
    if let Some(tag) = data.get("dockerImageTag").and_then(Value::as_str)
        && let Some((major, rest)) = tag.split_once('.')
        && major != "0"
        && rest == "0.0"
        && data
            .get("releases")
            .and_then(|r| r.get("breakingChanges"))
            .and_then(|b| b.get(tag))
            .is_none()
    {
        problems.push(format!(
            "major version {tag} needs a `releases.breakingChanges.{tag}` entry"
        ));
    }
    problems
}

fn check(kind: Kind, value: &Value) -> Result<(), String> {
    let string = || value.as_str().ok_or("must be a string".to_owned());
    match kind {
        Kind::String => string().map(drop),
        Kind::Bool => value.as_bool().map(drop).ok_or("must be a boolean".into()),
        Kind::Integer => value.as_i64().map(drop).ok_or("must be an integer".into()),
        Kind::Object => value
            .as_object()
            .map(drop)
            .ok_or("must be a mapping".into()),
        Kind::Array => value.as_array().map(drop).ok_or("must be a list".into()),
        Kind::Uuid => is_uuid(string()?)
            .then_some(())
            .ok_or("must be a UUID".into()),
        Kind::Uri => {
            let s = string()?;
            let ok = s.split_once("://").is_some_and(|(scheme, rest)| {
                !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                    && !rest.is_empty()
                    && !rest.contains(char::is_whitespace)
            });
            ok.then_some(()).ok_or(format!("`{s}` is not a URI"))
        }
        Kind::Date => {
            let s = string()?;
            let parts: Vec<&str> = s.split('-').collect();
            let ok = parts.len() == 3
                && [4, 2, 2]
                    .iter()
                    .zip(&parts)
                    .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_digit()));
            ok.then_some(())
                .ok_or(format!("`{s}` is not a yyyy-mm-dd date"))
        }
        Kind::Semver => {
            let s = string()?;
            is_semver(s)
                .then_some(())
                .ok_or(format!("`{s}` is not a semver version"))
        }
        Kind::DockerRepository => {
            let s = string()?;
            is_repository(s)
                .then_some(())
                .ok_or(format!("`{s}` is not a Docker repository name"))
        }
        Kind::Enum(allowed) => {
            let s = string()?;
            allowed
                .contains(&s)
                .then_some(())
                .ok_or(format!("`{s}` is not one of {allowed:?}"))
        }
        Kind::Tags => {
            let tags = value.as_array().ok_or("must be a list")?;
            let tags: Vec<&str> = tags
                .iter()
                .map(|t| t.as_str().ok_or("every tag must be a string"))
                .collect::<Result<_, _>>()?;
            if let Some(bad) = tags.iter().find(|t| !t.contains(':')) {
                return Err(format!("tag `{bad}` is not of the form <key>:<value>"));
            }
            tags.iter()
                .any(|t| t.starts_with("language:"))
                .then_some(())
                .ok_or("at least one tag must be language:<lang>".into())
        }
        Kind::AllowedHosts => {
            let hosts = value.as_object().ok_or("must be a mapping")?;
            match hosts.get("hosts") {
                None => Ok(()),
                Some(Value::Array(list)) if list.iter().all(Value::is_string) => Ok(()),
                Some(_) => Err("`hosts` must be a list of strings".into()),
            }
        }
        Kind::BuildOptions => {
            let options = value.as_object().ok_or("must be a mapping")?;
            if let Some(key) = options.keys().find(|k| *k != "baseImage") {
                return Err(format!("`{key}` is not a key of ConnectorBuildOptions"));
            }
            match options.get("baseImage") {
                None => Ok(()),
                Some(Value::String(image)) if is_image_reference(image) => Ok(()),
                Some(other) => Err(format!(
                    "baseImage {other} is not `<repository>:<tag>[@sha256:<digest>]`"
                )),
            }
        }
    }
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&groups)
            .all(|(n, g)| g.len() == *n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `MAJOR.MINOR.PATCH[-pre][+build]`, numbers without leading zeros.
fn is_semver(s: &str) -> bool {
    let core = s.split(['-', '+']).next().unwrap_or_default();
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers.iter().all(|n| {
            !n.is_empty()
                && n.chars().all(|c| c.is_ascii_digit())
                && (n.len() == 1 || !n.starts_with('0'))
        })
        && s[core.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-+.".contains(c))
}

/// Docker's repository grammar: lowercase components joined by `/`.
fn is_repository(s: &str) -> bool {
    !s.is_empty()
        && s.split('/').all(|component| {
            !component.is_empty()
                && component.split(['.', '_', '-']).all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                })
        })
}

/// `<repository>:<tag>` with an optional `@sha256:<64 hex>`.
fn is_image_reference(s: &str) -> bool {
    let (name, digest) = match s.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (s, None),
    };
    let digest_ok = digest.is_none_or(|d| {
        d.strip_prefix("sha256:")
            .is_some_and(|hex| hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()))
    });
    let tag_ok = name.rsplit_once(':').is_some_and(|(repo, tag)| {
        is_repository(repo.trim_start_matches("docker.io/"))
            && !tag.is_empty()
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    });
    digest_ok && tag_ok
}

fn field<'a>(connector: &'a Connector, key: &str) -> &'a str {
    connector
        .data
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{}: no string `data.{key}`", connector.name))
}

/// The labels (and `ARG BASE_IMAGE` default) metadata.yaml implies, by label.
fn expected_labels(connector: &Connector) -> Vec<(&'static str, String)> {
    vec![
        (
            "io.airbyte.name",
            field(connector, "dockerRepository").into(),
        ),
        (
            "io.airbyte.version",
            field(connector, "dockerImageTag").into(),
        ),
        (
            "org.opencontainers.image.title",
            field(connector, "name").into(),
        ),
        (
            "org.opencontainers.image.licenses",
            field(connector, "license").into(),
        ),
        (
            "org.opencontainers.image.documentation",
            field(connector, "documentationUrl").into(),
        ),
        ("org.opencontainers.image.base.name", base_image(connector)),
    ]
}

fn base_image(connector: &Connector) -> String {
    connector
        .data
        .get("connectorBuildOptions")
        .and_then(|o| o.get("baseImage"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{}: no connectorBuildOptions.baseImage", connector.name))
        .into()
}

#[test]
fn every_metadata_file_follows_the_registry_schema() {
    let mut ids = BTreeSet::new();
    for connector in connectors() {
        let mut problems = data_problems(&connector.data);
        let kind = field(&connector, "connectorType");
        if !connector.name.contains(kind) {
            problems.push(format!(
                "connectorType {kind} but the folder is {}",
                connector.name
            ));
        }
        if field(&connector, "githubIssueLabel") != connector.name {
            problems.push("githubIssueLabel must be the connector's folder name".into());
        }
        if !ids.insert(field(&connector, "definitionId").to_lowercase()) {
            problems.push("definitionId is used by another connector".into());
        }
        assert!(
            problems.is_empty(),
            "connectors/{}/metadata.yaml:\n  {}",
            connector.name,
            problems.join("\n  ")
        );
    }
}

#[test]
fn the_checker_rejects_what_the_schema_rejects() {
    let good: Map<String, Value> = serde_json::from_str(
        r#"{"name": "x", "definitionId": "3f1d5a0c-6f0e-4c1b-9a8e-2b7d4c6e9f10",
            "connectorType": "source", "dockerRepository": "airbyte-rs/source-x",
            "dockerImageTag": "0.1.0", "license": "MIT", "documentationUrl": "https://x.io/d",
            "githubIssueLabel": "source-x", "connectorSubtype": "api", "releaseStage": "alpha",
            "supportLevel": "community", "tags": ["language:rust"],
            "connectorBuildOptions": {"baseImage": "docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73"},
            "allowedHosts": {"hosts": ["${host}"]}, "supportsRefreshes": true}"#,
    )
    .expect("valid JSON");
    assert_eq!(data_problems(&good), Vec::<String>::new());
    let bad = [
        ("definitionId", Value::from("not-a-uuid")),
        ("connectorType", Value::from("sink")),
        ("dockerImageTag", Value::from("v1")),
        ("documentationUrl", Value::from("docs")),
        ("connectorSubtype", Value::from("warehouse")),
        ("releaseStage", Value::from("ga")),
        ("supportLevel", Value::from("gold")),
        ("tags", serde_json::json!(["rust"])),
        ("tags", serde_json::json!(["keyword:x"])),
        ("allowedHosts", serde_json::json!({"hosts": "x"})),
        (
            "connectorBuildOptions",
            serde_json::json!({"baseImage": "no-tag"}),
        ),
        ("connectorBuildOptions", serde_json::json!({"path": "."})),
        ("supportsRefreshes", Value::from("yes")),
        ("releaseDate", Value::from("2024/01/01")),
        ("unknownKey", Value::from(1)),
        ("dockerImageTag", Value::from("2.0.0")),
    ];
    for (key, value) in bad {
        let mut data = good.clone();
        data.insert(key.into(), value.clone());
        assert!(
            !data_problems(&data).is_empty(),
            "`{key}: {value}` should be rejected"
        );
    }
    let mut missing = good.clone();
    missing.remove("releaseStage");
    assert!(
        !data_problems(&missing).is_empty(),
        "a missing required key should be rejected"
    );
}

/// `LABEL` and `ARG BASE_IMAGE=` of a Dockerfile, with line continuations joined.
fn dockerfile_labels(path: &Path) -> (Vec<(String, String)>, Option<String>) {
    let text = std::fs::read_to_string(path).expect("the Dockerfile is readable");
    let joined = text.replace("\\\n", " ");
    let mut labels = Vec::new();
    let mut base = None;
    for line in joined.lines().map(str::trim) {
        if let Some(default) = line.strip_prefix("ARG BASE_IMAGE=") {
            base = Some(default.trim().to_owned());
        }
        let Some(rest) = line.strip_prefix("LABEL ") else {
            continue;
        };
        for pair in rest
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .split("\" ")
        {
            if let Some((key, value)) = pair.split_once('=') {
                labels.push((
                    key.trim().to_owned(),
                    value.trim().trim_matches('"').to_owned(),
                ));
            }
        }
    }
    (labels, base)
}

#[test]
fn dockerfiles_declare_the_labels_metadata_implies() {
    for connector in connectors() {
        let dockerfile = connector.folder.join("Dockerfile");
        let (labels, base) = dockerfile_labels(&dockerfile);
        assert_eq!(
            base.as_deref(),
            Some(base_image(&connector).as_str()),
            "{}: ARG BASE_IMAGE's default must be metadata.yaml's connectorBuildOptions.baseImage",
            dockerfile.display()
        );
        for (label, want) in expected_labels(&connector) {
            let want = if label == "org.opencontainers.image.base.name" {
                "${BASE_IMAGE}".to_owned()
            } else {
                want
            };
            let got = labels.iter().find(|(k, _)| k == label).map(|(_, v)| v);
            assert_eq!(got, Some(&want), "{}: LABEL {label}", dockerfile.display());
        }
    }
}

fn docker_inspect(reference: &str, format: &str) -> String {
    let out = Command::new("docker")
        .args(["image", "inspect", "-f", format, reference])
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "image {reference} not found ({}): build it with scripts/build-images.sh",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn images_carry_the_labels_and_base_metadata_implies() {
    if !docker_available() {
        return;
    }
    for connector in connectors() {
        let reference = format!(
            "{}:{}",
            field(&connector, "dockerRepository"),
            field(&connector, "dockerImageTag")
        );
        let labels: Map<String, Value> =
            serde_json::from_str(&docker_inspect(&reference, "{{json .Config.Labels}}"))
                .expect("labels as JSON");
        for (label, want) in expected_labels(&connector) {
            assert_eq!(
                labels.get(label).and_then(Value::as_str),
                Some(want.as_str()),
                "image {reference}: label {label}"
            );
        }
        let base = base_image(&connector);
        let layers = |image: &str| -> Vec<String> {
            serde_json::from_str(&docker_inspect(image, "{{json .RootFS.Layers}}"))
                .expect("layers as JSON")
        };
        let (image_layers, base_layers) = (layers(&reference), layers(&base));
        assert!(
            image_layers.starts_with(&base_layers),
            "image {reference} is not built on {base} (metadata.yaml's baseImage): rebuild with scripts/build-images.sh"
        );
    }
}
