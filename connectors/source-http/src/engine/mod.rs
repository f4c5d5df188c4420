//! A loaded manifest with its config: the streams it declares, and the
//! commands over them (`check` by its `CheckStream`, `discover`, and the
//! read of one stream).

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

pub use output::OutputSink;

/// The CDK's default number of concurrent workers.
const DEFAULT_CONCURRENCY: usize = 2;

/// A manifest ready to run with one config.
pub struct Engine {
    manifest: Value,
    config: Value,
    jinja: Jinja,
    streams: Vec<(StreamInfo, Value)>,
    secrets: Vec<String>,
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
        Ok(Engine {
            manifest,
            config,
            jinja,
            streams,
            secrets,
        })
    }

    /// The catalog: one entry per stream, in the manifest's order. Every
    /// stream is built first, as the CDK builds every component to
    /// discover, so a manifest that cannot be read fails here.
    pub fn discover(&self) -> Result<AirbyteCatalog, Error> {
        for (info, _) in &self.streams {
            self.definition(&info.name, &self.config)?;
        }
        let streams = self
            .streams
            .iter()
            .map(|(info, _)| info.to_airbyte_stream())
            .collect::<Result<_, _>>()?;
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

    fn definition(&self, name: &str, config: &Value) -> Result<StreamDefinition, Error> {
        let (_, stream) = self
            .streams
            .iter()
            .find(|(info, _)| info.name == name)
            .ok_or_else(|| Error::Manifest(format!("the manifest has no stream `{name}`")))?;
        StreamDefinition::from_manifest(stream, &self.jinja, config)
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
        for name in names {
            let definition = self.definition(&name, &config).map_err(|e| {
                format!("Encountered an error while discovering streams. Error: {e}")
            })?;
            let cx = self
                .context(config.clone(), &definition)
                .map_err(|e| e.to_string())?;
            let mut first = FirstRecord;
            if let Err(e) = read_stream(&cx, &definition, None, &mut first).await {
                // An AirbyteTracedException makes the stream unavailable;
                // any other exception is an error while checking it.
                let text = match e {
                    Error::Traced { .. } => format!("Stream {name} is not available: {e}"),
                    _ => format!(
                        "Encountered an error while checking availability of stream {name}. Error: {e}"
                    ),
                };
                let mut message = String::new();
                string_repr(&text, &mut message);
                return Err(message);
            }
        }
        Ok(())
    }

    /// Reads stream `name` from its input `state` into `sink`.
    pub async fn read(
        &self,
        name: &str,
        state: Option<&Value>,
        sink: &mut dyn Sink,
    ) -> Result<(), Error> {
        let definition = self.definition(name, &self.config)?;
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
    if manifest.get("dynamic_streams").is_some() {
        return Err(Error::Manifest(
            "`dynamic_streams` is not supported yet: list the streams in `streams`".into(),
        ));
    }
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
