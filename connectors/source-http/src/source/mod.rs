//! The connector: `source-declarative-manifest`'s commands over a manifest.
//!
//! - [`manifest_input`](ManifestInput): where the manifest comes from;
//! - [`spec`](manifest_spec): the `spec` answer;
//! - [`ManifestSource`]: `check`, `discover` and `read`.

mod manifest_input;
mod spec;

pub use manifest_input::{
    ExtraArgs, INJECTED_COMPONENTS, INJECTED_MANIFEST, LOCAL_MANIFEST_PATH, ManifestInput,
    refuse_custom_components,
};
pub use spec::{generic_spec, manifest_spec};

use airbyte_sdk::protocol::{
    AirbyteCatalog, ConfiguredAirbyteCatalog, ConfiguredAirbyteStream, ConnectorSpecification,
    JsonObject,
};
use airbyte_sdk::source::{InputState, SourceOutput, StreamOutput, read_streams};
use airbyte_sdk::{Result, Source};
use serde_json::Value;

use crate::engine::{Engine, GroupLocks, OutputSink, StreamFailures};
use crate::error::Error;
use crate::requester::{quote, quote_plus};

/// Runs a declarative manifest as `source-declarative-manifest` does.
pub struct ManifestSource {
    input: std::result::Result<ManifestInput, String>,
    /// The streams that failed in the read.
    failures: StreamFailures,
    /// The `stream_groups` being read.
    group_locks: GroupLocks,
}

impl ManifestSource {
    /// The source for these SDM arguments (see [`ExtraArgs::split`]); a
    /// manifest that cannot be loaded fails each command with its error.
    pub fn new(extra: &ExtraArgs) -> Self {
        let local = std::path::Path::new(LOCAL_MANIFEST_PATH);
        ManifestSource {
            input: ManifestInput::new(extra, local).map_err(|e| e.to_string()),
            failures: StreamFailures::default(),
            group_locks: GroupLocks::default(),
        }
    }

    /// A source with a manifest already loaded (as local mode has it).
    pub fn with_manifest(manifest: Value) -> Self {
        ManifestSource {
            input: Ok(ManifestInput::Local(manifest)),
            failures: StreamFailures::default(),
            group_locks: GroupLocks::default(),
        }
    }

    /// The manifest for this config, validated with the config against the
    /// manifest's spec (as the CDK validates, without `_limit` and
    /// `_page_size`).
    fn engine(&self, config: &Value) -> Result<Engine> {
        let input = self
            .input
            .as_ref()
            .map_err(|e| Error::Manifest(e.clone()))?;
        let manifest = input.manifest(config)?;
        refuse_custom_components(&manifest)?;
        warn_unapplied(&manifest);
        if let Ok(spec) = manifest_spec(&manifest) {
            let mut checked = config.clone();
            if let Value::Object(map) = &mut checked {
                map.remove("_limit");
                map.remove("_page_size");
            }
            let schema = Value::Object(spec.connection_specification.to_map());
            airbyte_sdk::validate_config(&schema, &checked)?;
        }
        Ok(Engine::new(
            manifest,
            config.clone(),
            self.extra_secrets(config),
        )?)
    }
}

/// Says once, in a LOG line, which top-level settings source-http reads
/// but does not apply: `api_budget` (the CDK's client-side rate limits:
/// here the error handler's backoff on 429s is the only limit).
fn warn_unapplied(manifest: &Value) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    if manifest.get("api_budget").is_some_and(|b| !b.is_null()) {
        WARNED.call_once(|| {
            tracing::warn!(
                "The manifest's api_budget is not applied by source-http: requests are not rate-limited on the client side; the error handlers' backoff on 429 answers still applies."
            );
        });
    }
}

#[airbyte_sdk::source]
impl Source for ManifestSource {
    type Config = Value;

    fn run_time_spec(&self) -> Option<ConnectorSpecification> {
        match &self.input {
            Ok(ManifestInput::Local(manifest)) => manifest_spec(manifest)
                .ok()
                .or_else(|| Some(generic_spec(true))),
            // SDM writes the `--manifest-path` file into the config before
            // validating it; here the config may lack the manifest instead.
            Ok(ManifestInput::Remote {
                path_manifest: Some(_),
            }) => Some(generic_spec(false)),
            Ok(ManifestInput::Remote {
                path_manifest: None,
            }) => Some(generic_spec(true)),
            // The manifest did not load: its error is the command's, not
            // a config that lacks the injected manifest.
            Err(_) => Some(generic_spec(false)),
        }
    }

    fn extra_secrets(&self, config: &Value) -> Vec<String> {
        let Ok(input) = &self.input else {
            return Vec::new();
        };
        match input.manifest(config).and_then(|m| manifest_spec(&m)) {
            Ok(spec) => with_url_encodings(airbyte_sdk::spec::secret_values(
                &Value::Object(spec.connection_specification.to_map()),
                config,
            )),
            Err(_) => Vec::new(),
        }
    }

    async fn check(&self, config: &Value) -> Result<()> {
        let engine = self.engine(config)?;
        // Every failure of CheckStream is a FAILED status, as the CDK's.
        let checked = engine.check().await;
        print_control_messages()?;
        checked.map_err(airbyte_sdk::Error::config)
    }

    async fn discover(&self, config: &Value) -> Result<AirbyteCatalog> {
        Ok(self.engine(config)?.discover().await?)
    }

    async fn read_stream(
        &self,
        config: &Value,
        stream: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<()> {
        let engine = self.engine(config)?;
        let state = state.map(|s| Value::Object(s.to_map()));
        let mut sink = OutputSink::new(out);
        let name = &stream.stream.name;
        let read = engine
            .read_in_groups(name, state.as_ref(), &mut sink, &self.group_locks)
            .await;
        sink.emit_control()?;
        let error = match read {
            Ok(()) => return Ok(()),
            Err(e) => stream_error(name, e),
        };
        // Its trace now, as the CDK's; the sync fails at its end (`read`).
        self.failures.fail(out, &error)?;
        Err(error)
    }

    /// The default read, which ends as the CDK's concurrent read: with one
    /// closing error if any stream failed (see [`StreamFailures`]).
    async fn read(
        &self,
        config: &Value,
        catalog: &ConfiguredAirbyteCatalog,
        state: &InputState,
        out: &SourceOutput,
    ) -> Result<()> {
        let result = read_streams(self, config, catalog, state, out).await;
        self.failures.close(result)
    }

    fn max_concurrent_streams(&self) -> usize {
        2
    }
}

/// Prints the CONTROL messages the authenticators queued straight to
/// stdout, as the CDK prints them (`check` has no output to write to).
fn print_control_messages() -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    for message in crate::auth::take_control_messages() {
        let line = serde_json::to_string(&message)
            .map_err(|e| airbyte_sdk::Error::system(e.to_string()))?;
        writeln!(stdout, "{line}")?;
    }
    stdout.flush()?;
    Ok(())
}

/// A stream's error as the CDK reports it: an exception it does not
/// expect (a request Python refuses to build) is "An unexpected error
/// occurred in stream s: <its class>", with its `str()` for the logs.
fn stream_error(name: &str, error: Error) -> airbyte_sdk::Error {
    match error {
        Error::Request { kind, message } => airbyte_sdk::Error::system(format!(
            "An unexpected error occurred in stream {name}: {kind}"
        ))
        .with_source(message),
        other => other.into(),
    }
}

/// The secrets, and each as a URL shows it once encoded: in a query
/// (`quote_plus`, as requests encodes parameters), in a path (requests'
/// `requote_uri`) and fully quoted. Messages name the URLs of requests,
/// so a secret in a URL must be masked in these forms too.
///
/// ```
/// # use source_http::source::with_url_encodings;
/// let forms = with_url_encodings(vec!["a/b c".into(), "plain".into()]);
/// assert_eq!(forms, ["a/b c", "a%2Fb+c", "a%2Fb%20c", "a/b%20c", "plain"]);
/// ```
pub fn with_url_encodings(secrets: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let forms = [
            quote_plus(&secret),
            quote(&secret, ""),
            quote(&secret, "!#$%&'()*+,/:;=?@[]~"),
        ];
        out.push(secret);
        for form in forms {
            if !out.contains(&form) {
                out.push(form);
            }
        }
    }
    out
}
