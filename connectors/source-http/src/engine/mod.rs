//! A loaded manifest with its config: the streams it declares, and the
//! commands over them (`check` by its `CheckStream`, `discover`, and the
//! read of one stream).

mod dynamic;
mod failures;
mod groups;
mod output;

use airbyte_sdk::protocol::AirbyteCatalog;
use serde_json::Value;

use crate::error::Error;
use crate::interpolation::{Jinja, string_repr};
use crate::partition::StreamSlice;
use crate::retriever::{
    Flow, ReadContext, Sink, StreamDefinition, Timeouts, Transport, read_stream,
};
use crate::stream::StreamInfo;

pub use failures::StreamFailures;
pub use groups::{GroupLocks, StreamGroups};
pub use output::OutputSink;

/// The CDK's default number of concurrent workers.
const DEFAULT_CONCURRENCY: usize = 2;

/// A manifest ready to run with one config.
pub struct Engine {
    manifest: Value,
    config: Value,
    jinja: Jinja,
    streams: Vec<(StreamInfo, Value)>,
    /// `stream_groups`, checked against the streams.
    groups: StreamGroups,
    secrets: Vec<String>,
    /// The streams `dynamic_streams` generate, once resolved.
    dynamic: tokio::sync::OnceCell<Vec<(StreamInfo, Value)>>,
}

impl Engine {
    /// Builds the manifest's streams for `config` (a loaded manifest, see
    /// [`manifest::load`](crate::manifest::load)); `secrets` are masked in
    /// the HTTP client's errors.
    pub fn new(manifest: Value, config: Value, secrets: Vec<String>) -> Result<Engine, Error> {
        let jinja = Jinja::new();
        let mut streams = Vec::new();
        for stream in stream_definitions(&manifest)? {
            streams.push((
                StreamInfo::from_manifest(stream, &config, &jinja)?,
                stream.clone(),
            ));
        }
        let groups = StreamGroups::from_manifest(&manifest);
        Ok(Engine {
            manifest,
            config,
            jinja,
            streams,
            groups,
            secrets,
            dynamic: tokio::sync::OnceCell::new(),
        })
    }

    /// The catalog: one entry per stream, in the manifest's order, then
    /// the generated streams of `dynamic_streams`. Every stream is built
    /// first, as the CDK builds every component to discover, so a manifest
    /// that cannot be read fails here; dynamic schemas are loaded.
    pub async fn discover(&self) -> Result<AirbyteCatalog, Error> {
        let all = self.all_streams().await?;
        for (_, stream) in &all {
            StreamDefinition::from_manifest(stream, &self.jinja, &self.config)?;
        }
        let mut streams = Vec::with_capacity(all.len());
        for (info, stream) in all {
            let info = self.with_schema(stream, info.clone(), &self.config).await?;
            streams.push(info.to_airbyte_stream()?);
        }
        Ok(AirbyteCatalog::new(streams))
    }

    /// How many streams are read at once (`concurrency_level`).
    pub fn concurrency(&self) -> usize {
        match self
            .manifest
            .get("concurrency_level")
            .and_then(|c| c.get("default_concurrency"))
        {
            Some(Value::Number(n)) => n
                .as_u64()
                .map_or(DEFAULT_CONCURRENCY, |n| n.max(1) as usize),
            _ => DEFAULT_CONCURRENCY,
        }
    }

    /// What a read of `stream` shares: its client has the timeouts of the
    /// stream's requester (its parents' requests use them too).
    fn context(&self, config: Value, stream: &StreamDefinition) -> Result<ReadContext, Error> {
        let timeouts = Timeouts {
            connect: stream.requester.connect_timeout,
            read: stream.requester.read_timeout,
        };
        Ok(ReadContext {
            jinja: Jinja::new(),
            config,
            transport: Transport::new(self.concurrency() * 2, &self.secrets, timeouts)?,
        })
    }

    async fn definition(&self, name: &str, config: &Value) -> Result<StreamDefinition, Error> {
        let stream = self.stream_mapping(name).await?;
        let mut definition = StreamDefinition::from_manifest(stream, &self.jinja, config)?;
        definition.info = self.with_schema(stream, definition.info, config).await?;
        Ok(definition)
    }

    /// `check` as `CheckStream` does it: each of its streams must give its
    /// first record (none is fine) without an error. A failure is the
    /// message the CDK writes, Python's `repr` quotes included.
    pub async fn check(&self) -> Result<(), String> {
        let check = self.manifest.get("check").cloned().unwrap_or(Value::Null);
        match check.get("type").and_then(Value::as_str) {
            Some("CheckStream") | None => {}
            Some(other) => {
                return Err(format!(
                    "the check `{other}` is not supported (CheckStream is)"
                ));
            }
        }
        let names: Vec<String> = match self
            .config
            .get("__airbyte_check_stream_names")
            .or_else(|| check.get("stream_names"))
        {
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let mut config = self.config.clone();
        if let (Some(Value::Object(overrides)), Value::Object(map)) =
            (check.get("config_overrides"), &mut config)
        {
            for (k, v) in overrides {
                map.insert(k.clone(), v.clone());
            }
        }
        // The CDK writes the `repr` of its message, as for every failure.
        let discovering = |e: Error| {
            let mut message = String::new();
            string_repr(
                &format!("Encountered an error while discovering streams. Error: {e}"),
                &mut message,
            );
            message
        };
        let dynamic_named = names
            .iter()
            .any(|n| !self.streams.iter().any(|(info, _)| &info.name == n));
        let dynamic_checked = check
            .get("dynamic_streams_check_configs")
            .is_some_and(|c| c.as_array().is_some_and(|c| !c.is_empty()));
        // The CDK builds every stream, dynamic ones included, unless all
        // the names are static and no dynamic stream is checked.
        if (dynamic_named || dynamic_checked) && self.has_dynamic_streams() {
            self.generated().await.map_err(discovering)?;
        }
        for name in names {
            if let Some(failure) = self
                .check_one(&name, &config, "Stream")
                .await
                .map_err(discovering)?
            {
                return Err(failure);
            }
        }
        match self.check_dynamic(&check, &config).await {
            Ok(None) => Ok(()),
            Ok(Some(failure)) => Err(failure),
            Err(e) => Err(discovering(e)),
        }
    }

    /// Reads the first record of stream `name`: its failure's message
    /// (`label` is `Stream` or `Dynamic Stream`), Python's `repr` quotes
    /// included; an error when the stream cannot be built.
    async fn check_one(
        &self,
        name: &str,
        config: &Value,
        label: &str,
    ) -> Result<Option<String>, Error> {
        let definition = self.definition(name, config).await?;
        let cx = self.context(config.clone(), &definition)?;
        let mut first = FirstRecord;
        let Err(e) = read_stream(&cx, &definition, None, &mut first).await else {
            return Ok(None);
        };
        // An AirbyteTracedException makes the stream unavailable; any other
        // exception is an error while checking it.
        let what = if label == "Stream" {
            "stream"
        } else {
            "dynamic stream"
        };
        let text = match e {
            Error::Traced { .. } => format!("{label} {name} is not available: {e}"),
            _ => format!(
                "Encountered an error while checking availability of {what} {name}. Error: {e}"
            ),
        };
        let mut message = String::new();
        string_repr(&text, &mut message);
        Ok(Some(message))
    }

    /// Reads stream `name` from its input `state` into `sink`.
    pub async fn read(
        &self,
        name: &str,
        state: Option<&Value>,
        sink: &mut dyn Sink,
    ) -> Result<(), Error> {
        self.read_in_groups(name, state, sink, &GroupLocks::default())
            .await
    }

    /// [`Engine::read`], waiting first for the `stream_groups` that the
    /// stream and its parents are in (`locks`: those of the sync).
    pub async fn read_in_groups(
        &self,
        name: &str,
        state: Option<&Value>,
        sink: &mut dyn Sink,
        locks: &GroupLocks,
    ) -> Result<(), Error> {
        let _held = if self.groups.is_empty() {
            Vec::new()
        } else {
            let mappings = self.streams.iter().map(|(_, s)| s);
            locks.acquire(&self.groups.held_by(name, mappings)).await
        };
        let definition = self.definition(name, &self.config).await?;
        let cx = self.context(self.config.clone(), &definition)?;
        read_stream(&cx, &definition, state, sink).await.map(|_| ())
    }
}

/// Stops at the first record (`check`).
struct FirstRecord;

impl Sink for FirstRecord {
    fn record(&mut self, _: &StreamSlice, _: Value) -> Result<Flow, Error> {
        Ok(Flow::Enough)
    }

    fn state(&mut self, _: Value) -> Result<(), Error> {
        Ok(())
    }
}

/// The `DeclarativeStream` mappings of `streams`.
fn stream_definitions(manifest: &Value) -> Result<Vec<&Value>, Error> {
    let streams = match manifest.get("streams") {
        Some(Value::Array(streams)) => streams.as_slice(),
        None if manifest.get("dynamic_streams").is_some() => &[],
        _ => {
            return Err(Error::Manifest(
                "the manifest's `streams` is not a list".into(),
            ));
        }
    };
    streams
        .iter()
        .map(|stream| match stream.get("type").and_then(Value::as_str) {
            Some("DeclarativeStream") | None => Ok(stream),
            Some(other) => Err(Error::Manifest(format!(
                "the stream type `{other}` is not supported (DeclarativeStream is)"
            ))),
        })
        .collect()
}
