//! The suites, one file each, and what they share.

mod basic_read;
mod common;
mod connection;
mod destination;
mod discovery;
mod full_refresh;
mod incremental;
mod spec;

use std::path::{Path, PathBuf};

use airbyte_sdk::testkit::{Output, TestDir};
use serde_json::{Value, json};

use crate::config::AcceptanceConfig;
use crate::connector::{Connector, Invocation};
use crate::error::Error;
use crate::report::{Outcome, Report};

/// What every suite needs: the connector, the base folder, the report.
pub(crate) struct Context<'a> {
    pub(crate) connector: &'a Connector,
    pub(crate) config: &'a AcceptanceConfig,
    pub(crate) base: PathBuf,
    pub(crate) report: Report,
    /// The spec's connection schema, once read (for secrets).
    pub(crate) connection_spec: Option<Value>,
    /// A scratch folder the connector may write to: `${LOCAL_ROOT}` in configs.
    pub(crate) scratch: TestDir,
}

impl Context<'_> {
    pub(crate) fn path(&self, relative: &Path) -> PathBuf {
        if relative.is_absolute() {
            relative.to_path_buf()
        } else {
            self.base.join(relative)
        }
    }

    pub(crate) fn read_json(&self, relative: &Path) -> Result<Value, String> {
        let path = self.path(relative);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
    }

    /// Reads a config file, with `${LOCAL_ROOT}` replaced by the scratch folder
    /// as the connector sees it.
    pub(crate) fn read_config(&self, relative: &Path) -> Result<Value, String> {
        let local = self.connector.local_root(self.scratch.path());
        Ok(substitute(
            &self.read_json(relative)?,
            &local,
            &self.run_id(),
        ))
    }

    /// A name unique to this run (`${RUN_ID}` in configs and query hooks), for
    /// schemas and databases that must start empty.
    pub(crate) fn run_id(&self) -> String {
        let name = self
            .scratch
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        name.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    }

    pub(crate) fn read_lines(&self, relative: &Path) -> Result<Vec<Value>, String> {
        let path = self.path(relative);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(n, l)| {
                serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))
            })
            .collect()
    }

    /// Runs the connector; checks our additions on every run (valid lines, no secret printed).
    pub(crate) fn run(
        &mut self,
        suite: &str,
        test: &str,
        invocation: Invocation<'_>,
        stdin: &[u8],
    ) -> Result<Output, String> {
        let mut invocation = invocation;
        invocation.local_root = Some(self.scratch.path());
        invocation.env.extend(
            self.config
                .custom_environment_variables
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        let out = self
            .connector
            .run(&invocation, stdin)
            .map_err(|e| e.to_string())?;
        let secrets = match (&self.connection_spec, invocation.config) {
            (Some(spec), Some(config)) => airbyte_sdk::spec::secret_values(spec, config),
            _ => Vec::new(),
        };
        common::check_output(&mut self.report, suite, test, &out, &secrets);
        Ok(out)
    }

    /// Records a failure for a test that could not run.
    pub(crate) fn fail(&mut self, suite: &str, test: &str, why: impl Into<String>) {
        self.report.push(suite, test, Outcome::Fail(why.into()));
    }

    /// The discovered catalog as a configured catalog: every stream, full refresh.
    pub(crate) fn discovered_catalog(
        &mut self,
        suite: &str,
        config: &Value,
    ) -> Result<Value, String> {
        let out = self.run(
            suite,
            "discover",
            Invocation::new("discover").config(config),
            b"",
        )?;
        let catalog = out.catalog().ok_or_else(|| {
            format!(
                "discover printed no catalog (exit {}): {}",
                out.exit_code,
                tail(&out)
            )
        })?;
        let streams: Vec<Value> = catalog
            .streams
            .iter()
            .map(|s| {
                json!({
                    "stream": serde_json::to_value(s).unwrap_or(Value::Null),
                    "sync_mode": "full_refresh",
                    "destination_sync_mode": "overwrite",
                })
            })
            .collect();
        Ok(json!({ "streams": streams }))
    }
}

/// The last lines a connector printed, for failure messages.
pub(crate) fn tail(out: &Output) -> String {
    let text = if out.stderr.trim().is_empty() {
        &out.stdout
    } else {
        &out.stderr
    };
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

/// Runs every declared suite against `connector`.
pub fn run_all(
    connector: &Connector,
    config: &AcceptanceConfig,
    base: &Path,
) -> Result<Report, Error> {
    let scratch = TestDir::new("acceptance");
    // Writable by an image's non-root user.
    let _ = std::process::Command::new("chmod")
        .arg("0777")
        .arg(scratch.path())
        .status();
    let mut cx = Context {
        connector,
        config,
        base: base.to_path_buf(),
        report: Report::default(),
        connection_spec: None,
        scratch,
    };
    let suites = &config.acceptance_tests;
    macro_rules! suite {
        ($field:ident, $module:ident) => {
            match &suites.$field {
                None => {}
                Some(s) if s.bypass_reason.is_some() => cx.report.push(
                    stringify!($field),
                    "*",
                    Outcome::Skip(s.bypass_reason.clone().unwrap_or_default()),
                ),
                Some(s) => {
                    for (i, test) in s.tests.iter().enumerate() {
                        $module::run(&mut cx, i, test);
                    }
                }
            }
        };
    }
    // The spec first: later suites use it to find the secrets to look for.
    load_spec(&mut cx);
    suite!(spec, spec);
    suite!(connection, connection);
    suite!(discovery, discovery);
    suite!(basic_read, basic_read);
    suite!(full_refresh, full_refresh);
    suite!(incremental, incremental);
    suite!(destination, destination);
    Ok(cx.report)
}

fn load_spec(cx: &mut Context<'_>) {
    let mut invocation = Invocation::new("spec");
    invocation.env.extend(
        cx.config
            .custom_environment_variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    if let Ok(out) = cx.connector.run(&invocation, b"") {
        cx.connection_spec = out
            .spec()
            .map(|s| s.connection_specification.as_raw().to_value());
    }
}

/// `${LOCAL_ROOT}` and `${RUN_ID}` in every string of `value` become `local` and `run_id`.
pub(crate) fn substitute(value: &Value, local: &str, run_id: &str) -> Value {
    match value {
        Value::String(s) => Value::String(
            s.replace("${LOCAL_ROOT}", local)
                .replace("${RUN_ID}", run_id),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| substitute(v, local, run_id)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, local, run_id)))
                .collect(),
        ),
        other => other.clone(),
    }
}
