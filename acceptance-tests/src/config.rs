//! `acceptance-test-config.yml`, in the format of Airbyte's connector acceptance tests.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// The whole file. Unknown keys are errors, as in CAT.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceConfig {
    /// The image under test (`airbyte/source-x:dev`).
    pub connector_image: String,
    /// Paths in the file are relative to this (default: the file's folder).
    #[serde(default)]
    pub base_path: Option<PathBuf>,
    /// `low` or `high`: with `high`, every core suite must be declared.
    #[serde(default)]
    pub test_strictness_level: Option<String>,
    /// Extra environment for the connector.
    #[serde(default)]
    pub custom_environment_variables: std::collections::BTreeMap<String, String>,
    /// Accepted for compatibility.
    #[serde(default)]
    pub cached_discovered_catalog: Option<bool>,
    /// The suites.
    pub acceptance_tests: Suites,
}

/// The suites, each with its tests or a bypass reason.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suites {
    /// `spec`.
    pub spec: Option<Suite<SpecTest>>,
    /// `connection`.
    pub connection: Option<Suite<ConnectionTest>>,
    /// `discovery`.
    pub discovery: Option<Suite<DiscoveryTest>>,
    /// `basic_read`.
    pub basic_read: Option<Suite<BasicReadTest>>,
    /// `full_refresh`.
    pub full_refresh: Option<Suite<FullRefreshTest>>,
    /// `incremental`.
    pub incremental: Option<Suite<IncrementalTest>>,
    /// Ours: write message files to a destination and check the result.
    pub destination: Option<Suite<DestinationTest>>,
    /// Ours: the records a `basic_read` test must return, kept out of the
    /// `basic_read` entry itself because Airbyte's standard tests (airbyte-cdk
    /// 7.39.1) reject `expect_records` there; they do not read this section.
    /// [`AcceptanceConfig::load`] moves each entry into its `basic_read` test.
    pub expected_records: Option<Suite<ExpectedRecordsTest>>,
    /// Accepted, not run (certified connectors only).
    pub connector_attributes: Option<serde_json::Value>,
    /// Accepted, not run (certified connectors only).
    pub connector_documentation: Option<serde_json::Value>,
}

/// A suite: tests, or a reason to skip it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite<T> {
    /// The tests.
    #[serde(default = "Vec::new")]
    pub tests: Vec<T>,
    /// Why the suite is skipped.
    pub bypass_reason: Option<String>,
}

/// A named item with a reason (`empty_streams`, `missing_streams`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedBypass {
    /// The stream.
    pub name: String,
    /// Why.
    pub bypass_reason: Option<String>,
}

/// A `spec` test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecTest {
    /// The expected spec output.
    pub spec_path: Option<PathBuf>,
    /// A config that must validate against the spec.
    #[serde(default = "default_config")]
    pub config_path: PathBuf,
    /// Accepted for compatibility.
    pub timeout_seconds: Option<u64>,
    /// Accepted for compatibility.
    pub deployment_mode: Option<String>,
    /// Accepted for compatibility (there is no previous image to compare here).
    pub backward_compatibility_tests_config: Option<serde_json::Value>,
    /// Accepted for compatibility.
    pub auth_default_method: Option<serde_json::Value>,
}

/// A `connection` test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionTest {
    /// The config.
    #[serde(default = "default_config")]
    pub config_path: PathBuf,
    /// `succeed`, `failed` or `exception`.
    pub status: String,
    /// Accepted for compatibility.
    pub timeout_seconds: Option<u64>,
    /// Accepted for compatibility.
    pub deployment_mode: Option<String>,
}

/// A `discovery` test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryTest {
    /// The config.
    #[serde(default = "default_config")]
    pub config_path: PathBuf,
    /// Accepted for compatibility.
    pub timeout_seconds: Option<u64>,
    /// Accepted for compatibility.
    pub backward_compatibility_tests_config: Option<serde_json::Value>,
    /// Check that primary keys are not objects or arrays (default true).
    pub validate_primary_keys_data_type: Option<bool>,
}

/// Expected records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectRecords {
    /// A JSON-lines file of `{"stream": .., "data": ..}`.
    pub path: Option<PathBuf>,
    /// Why there is none.
    pub bypass_reason: Option<String>,
    /// Whether order matters.
    #[serde(default)]
    pub exact_order: bool,
}

/// A `basic_read` test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicReadTest {
    /// The config.
    #[serde(default = "default_config")]
    pub config_path: PathBuf,
    /// The catalog (default: every discovered stream, full refresh).
    pub configured_catalog_path: Option<PathBuf>,
    /// Streams allowed to have no records.
    #[serde(default)]
    pub empty_streams: Vec<NamedBypass>,
    /// Records that must be read.
    pub expect_records: Option<ExpectRecords>,
    /// Validate every record against its stream schema (default true).
    pub validate_schema: Option<bool>,
    /// Check STARTED → RUNNING → COMPLETE (default true here).
    pub validate_stream_statuses: Option<bool>,
    /// Check the state messages (default true).
    pub validate_state_messages: Option<bool>,
    /// Check primary key values (default true).
    pub validate_primary_keys_data_type: Option<bool>,
    /// Fail on record fields the schema does not declare (default true).
    pub fail_on_extra_columns: Option<bool>,
    /// Accepted for compatibility.
    pub validate_data_points: Option<bool>,
    /// Check that a bad catalog gives a TRACE error (default true).
    pub expect_trace_message_on_failure: Option<bool>,
    /// Accepted for compatibility.
    pub timeout_seconds: Option<u64>,
    /// Accepted for compatibility.
    pub ignored_fields: Option<serde_json::Value>,
    /// Accepted for compatibility.
    pub file_types: Option<serde_json::Value>,
    /// Accepted for compatibility.
    pub client_container_config: Option<serde_json::Value>,
}

/// An `expected_records` entry (ours): the `expect_records` of the
/// `basic_read` test with the same `config_path` (and `configured_catalog_path`,
/// when given).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedRecordsTest {
    /// The config of the `basic_read` test.
    #[serde(default = "default_config")]
    pub config_path: PathBuf,
    /// The catalog of the `basic_read` test, when several read the same config.
    pub configured_catalog_path: Option<PathBuf>,
    /// The records that test must read.
    pub expect_records: ExpectRecords,
}

/// A `full_refresh` test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FullRefreshTest {
    /// The config.
    #[serde(default = "default_config")]
    pub config_path: PathBuf,
    /// The catalog (default: every discovered stream, full refresh).
    pub configured_catalog_path: Option<PathBuf>,
    /// Accepted for compatibility.
    pub timeout_seconds: Option<u64>,
    /// Accepted for compatibility.
    pub ignored_fields: Option<serde_json::Value>,
}

/// The `future_state` of an incremental test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FutureState {
    /// A state far in the future: reading from it must give no records.
    pub future_state_path: Option<PathBuf>,
    /// Streams the file lacks.
    #[serde(default)]
    pub missing_streams: Vec<NamedBypass>,
    /// Why there is none.
    pub bypass_reason: Option<String>,
    /// Accepted for compatibility.
    pub cursor_format: Option<serde_json::Value>,
}

/// An `incremental` test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncrementalTest {
    /// The config.
    #[serde(default = "default_config")]
    pub config_path: PathBuf,
    /// The incremental catalog.
    pub configured_catalog_path: PathBuf,
    /// Accepted for compatibility.
    pub timeout_seconds: Option<u64>,
    /// The future state check.
    pub future_state: Option<FutureState>,
    /// Skip the replay of every checkpoint.
    #[serde(default)]
    pub skip_comprehensive_incremental_tests: bool,
}

/// A `destination` test (ours): write messages, check the echo and the result.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationTest {
    /// The config; `${LOCAL_ROOT}` in it becomes a scratch folder (mounted at `/local` for images),
    /// `${RUN_ID}` a name unique to the run.
    #[serde(default = "default_config")]
    pub config_path: PathBuf,
    /// The configured catalog (one sync mode per stream).
    pub configured_catalog_path: PathBuf,
    /// The messages to write, one per line (run in order; several files make several syncs).
    pub messages_paths: Vec<PathBuf>,
    /// A shell command printing the destination's rows of `{stream}` as JSON lines
    /// (`${LOCAL_ROOT}`, `${RUN_ID}`, `{stream}` and `{namespace}` are substituted).
    pub query_command: String,
    /// The expected rows: JSON lines of `{"stream": .., "data": ..}` (compared as sets).
    pub expected_records_path: PathBuf,
}

fn default_config() -> PathBuf {
    PathBuf::from("secrets/config.json")
}

impl AcceptanceConfig {
    /// Reads the file; relative paths in it resolve against `base_path` or the file's folder.
    pub fn load(path: &Path) -> Result<(Self, PathBuf), Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::File {
            path: path.display().to_string(),
            source,
        })?;
        let mut config: AcceptanceConfig = serde_yaml_ng::from_str(&text)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = match &config.base_path {
            Some(b) if b.is_absolute() => b.clone(),
            Some(b) => folder.join(b),
            None => folder,
        };
        if config.test_strictness_level.as_deref() == Some("high") {
            let s = &config.acceptance_tests;
            let missing: Vec<&str> = [
                ("spec", s.spec.is_none()),
                ("connection", s.connection.is_none()),
                ("discovery", s.discovery.is_none()),
                ("basic_read", s.basic_read.is_none()),
                ("full_refresh", s.full_refresh.is_none()),
                ("incremental", s.incremental.is_none()),
            ]
            .into_iter()
            .filter_map(|(name, absent)| absent.then_some(name))
            .collect();
            if !missing.is_empty() {
                return Err(Error::Config(format!(
                    "test_strictness_level high needs these suites declared: {}",
                    missing.join(", ")
                )));
            }
        }
        config.attach_expected_records()?;
        Ok((config, base))
    }

    /// Moves each `expected_records` entry into the one `basic_read` test it names.
    fn attach_expected_records(&mut self) -> Result<(), Error> {
        let Some(suite) = self.acceptance_tests.expected_records.take() else {
            return Ok(());
        };
        let reads = self
            .acceptance_tests
            .basic_read
            .as_mut()
            .map(|s| s.tests.as_mut_slice())
            .unwrap_or_default();
        for entry in suite.tests {
            let mut matching = reads.iter_mut().filter(|read| {
                read.config_path == entry.config_path
                    && entry
                        .configured_catalog_path
                        .as_ref()
                        .is_none_or(|catalog| {
                            read.configured_catalog_path.as_ref() == Some(catalog)
                        })
            });
            let what = || {
                let catalog = entry
                    .configured_catalog_path
                    .as_ref()
                    .map(|c| format!(" and catalog {}", c.display()))
                    .unwrap_or_default();
                format!("config {}{catalog}", entry.config_path.display())
            };
            let (Some(read), None) = (matching.next(), matching.next()) else {
                return Err(Error::Config(format!(
                    "expected_records: the entry for {} must match exactly one basic_read test \
                     (same config_path, and configured_catalog_path when given)",
                    what()
                )));
            };
            if read.expect_records.is_some() {
                return Err(Error::Config(format!(
                    "expected_records: the basic_read test of {} already has expect_records",
                    what()
                )));
            }
            read.expect_records = Some(entry.expect_records);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> Result<AcceptanceConfig, Error> {
        let dir = std::env::temp_dir().join(format!("acc-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("{:x}.yml", yaml.len()));
        std::fs::write(&path, yaml).expect("write config");
        AcceptanceConfig::load(&path).map(|(config, _)| config)
    }

    const READ: &str = "connector_image: x:1\nacceptance_tests:\n  basic_read:\n    tests:\n      - config_path: c.json\n";

    #[test]
    fn expected_records_move_into_their_basic_read_test() {
        let config = load(&format!(
            "{READ}  expected_records:\n    tests:\n      - config_path: c.json\n        expect_records:\n          path: r.jsonl\n"
        ))
        .expect("valid");
        let read = &config
            .acceptance_tests
            .basic_read
            .expect("basic_read")
            .tests[0];
        let expect = read.expect_records.as_ref().expect("attached");
        assert_eq!(expect.path.as_deref(), Some(Path::new("r.jsonl")));
        assert!(config.acceptance_tests.expected_records.is_none());
    }

    #[test]
    fn expected_records_for_no_basic_read_test_are_an_error() {
        let err = load(&format!(
            "{READ}  expected_records:\n    tests:\n      - config_path: other.json\n        expect_records:\n          path: r.jsonl\n"
        ))
        .expect_err("no basic_read test reads other.json");
        assert!(err.to_string().contains("other.json"), "{err}");
        let err = load(&format!(
            "{READ}        expect_records:\n          path: a.jsonl\n  expected_records:\n    tests:\n      - config_path: c.json\n        expect_records:\n          path: r.jsonl\n"
        ))
        .expect_err("two expectations for one test");
        assert!(err.to_string().contains("already has"), "{err}");
    }
}
