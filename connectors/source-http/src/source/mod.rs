//! The connector: `source-declarative-manifest`'s commands over a manifest.
//!
//! - [`manifest_input`](ManifestInput): where the manifest comes from;
//! - [`spec`](manifest_spec): the `spec` answer;
//! - [`ManifestSource`]: `check`, `discover` and `read`.

mod manifest_input;
mod spec;

pub use manifest_input::{
    ExtraArgs, INJECTED_COMPONENTS, INJECTED_MANIFEST, LOCAL_MANIFEST_PATH, ManifestInput,
};
pub use spec::{generic_spec, manifest_spec};

use airbyte_sdk::protocol::{
    AirbyteCatalog, ConfiguredAirbyteStream, ConnectorSpecification, JsonObject,
};
use airbyte_sdk::source::StreamOutput;
use airbyte_sdk::{Result, Source};
use serde_json::Value;

use crate::engine::{Engine, OutputSink};
use crate::error::Error;

/// Runs a declarative manifest as `source-declarative-manifest` does.
pub struct ManifestSource {
    input: std::result::Result<ManifestInput, String>,
}

impl ManifestSource {
    /// The source for these SDM arguments (see [`ExtraArgs::split`]); a
    /// manifest that cannot be loaded fails each command with its error.
    pub fn new(extra: &ExtraArgs) -> Self {
        let local = std::path::Path::new(LOCAL_MANIFEST_PATH);
        ManifestSource {
            input: ManifestInput::new(extra, local).map_err(|e| e.to_string()),
        }
    }

    /// A source with a manifest already loaded (as local mode has it).
    pub fn with_manifest(manifest: Value) -> Self {
        ManifestSource {
            input: Ok(ManifestInput::Local(manifest)),
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
            _ => Some(generic_spec(true)),
        }
    }

    fn extra_secrets(&self, config: &Value) -> Vec<String> {
        let Ok(input) = &self.input else {
            return Vec::new();
        };
        match input.manifest(config).and_then(|m| manifest_spec(&m)) {
            Ok(spec) => airbyte_sdk::spec::secret_values(
                &Value::Object(spec.connection_specification.to_map()),
                config,
            ),
            Err(_) => Vec::new(),
        }
    }

    async fn check(&self, config: &Value) -> Result<()> {
        let engine = self.engine(config)?;
        // Every failure of CheckStream is a FAILED status, as the CDK's.
        engine.check().await.map_err(airbyte_sdk::Error::config)
    }

    async fn discover(&self, config: &Value) -> Result<AirbyteCatalog> {
        Ok(self.engine(config)?.discover()?)
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
        Ok(engine
            .read(&stream.stream.name, state.as_ref(), &mut sink)
            .await?)
    }

    fn max_concurrent_streams(&self) -> usize {
        2
    }
}
