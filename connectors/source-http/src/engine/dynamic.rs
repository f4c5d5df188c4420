//! The engine's dynamic parts: the streams `dynamic_streams` generate
//! (resolved once, when a command first needs them), the schemas of
//! `DynamicSchemaLoader`s, and `CheckStream.dynamic_streams_check_configs`.

use serde_json::Value;

use super::Engine;
use crate::dynamic::{RecordReader, resolve_streams};
use crate::error::Error;
use crate::interpolation::string_repr;
use crate::schema::{is_dynamic, load_dynamic_schema};
use crate::stream::StreamInfo;

impl Engine {
    /// How resolvers' and schema loaders' retrievers are read.
    fn reader(&self) -> RecordReader {
        RecordReader {
            in_flight: self.concurrency() * 2,
            secrets: self.secrets.clone(),
        }
    }

    /// Whether the manifest declares `dynamic_streams`.
    pub(super) fn has_dynamic_streams(&self) -> bool {
        self.manifest
            .get("dynamic_streams")
            .is_some_and(|d| !d.is_null())
    }

    /// The generated streams, resolved on first use.
    pub(super) async fn generated(&self) -> Result<&[(StreamInfo, Value)], Error> {
        self.dynamic
            .get_or_try_init(|| async {
                let streams = resolve_streams(&self.manifest, &self.config, &self.reader()).await?;
                streams
                    .into_iter()
                    .map(|stream| {
                        Ok((
                            StreamInfo::from_manifest(&stream, &self.config, &self.jinja)?,
                            stream,
                        ))
                    })
                    .collect::<Result<Vec<_>, Error>>()
            })
            .await
            .map(Vec::as_slice)
    }

    /// Every stream: the static ones, then the generated ones.
    pub(super) async fn all_streams(&self) -> Result<Vec<&(StreamInfo, Value)>, Error> {
        let mut all: Vec<&(StreamInfo, Value)> = self.streams.iter().collect();
        if self.has_dynamic_streams() {
            all.extend(self.generated().await?);
        }
        Ok(all)
    }

    /// Stream `name`'s mapping: a static stream, else a generated one
    /// (resolving them only then, as the CDK builds only named static
    /// streams when it can).
    pub(super) async fn stream_mapping(&self, name: &str) -> Result<&Value, Error> {
        if let Some((_, stream)) = self.streams.iter().find(|(info, _)| info.name == name) {
            return Ok(stream);
        }
        if self.has_dynamic_streams()
            && let Some((_, stream)) = self
                .generated()
                .await?
                .iter()
                .find(|(info, _)| info.name == name)
        {
            return Ok(stream);
        }
        Err(Error::Manifest(format!(
            "the manifest has no stream `{name}`"
        )))
    }

    /// `info` with its schema loaded, when `stream`'s loader is dynamic.
    pub(super) async fn with_schema(
        &self,
        stream: &Value,
        mut info: StreamInfo,
        config: &Value,
    ) -> Result<StreamInfo, Error> {
        if is_dynamic(stream)
            && let Some(loader) = stream.get("schema_loader")
        {
            info.json_schema = load_dynamic_schema(loader, config, &self.reader()).await?;
        }
        Ok(info)
    }

    /// `CheckStream._check_dynamic_streams_availability`: the generated
    /// streams of each configured definition (the first `stream_count`, or
    /// all) must give their first record; the failure's message, or `None`.
    pub(super) async fn check_dynamic(
        &self,
        check: &Value,
        config: &Value,
    ) -> Result<Option<String>, Error> {
        let configs = match check.get("dynamic_streams_check_configs") {
            Some(Value::Array(configs)) if !configs.is_empty() => configs,
            _ => return Ok(None),
        };
        let definitions: Vec<String> = match self.manifest.get("dynamic_streams") {
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, d)| match d.get("name").and_then(Value::as_str) {
                    Some(name) => name.to_owned(),
                    None => format!("dynamic_stream_{i}"),
                })
                .collect(),
            _ => Vec::new(),
        };
        for check_config in configs {
            let group = check_config
                .get("dynamic_stream_name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !definitions.iter().any(|d| d == group) {
                let mut message = String::new();
                string_repr(
                    &format!("Dynamic stream {group} is not found in manifest."),
                    &mut message,
                );
                return Ok(Some(message));
            }
            let count = check_config.get("stream_count").and_then(Value::as_u64);
            let names: Vec<String> = self
                .generated()
                .await?
                .iter()
                .filter(|(_, s)| {
                    s.get("dynamic_stream_name").and_then(Value::as_str) == Some(group)
                })
                .map(|(info, _)| info.name.clone())
                .take(count.map_or(usize::MAX, |c| c as usize))
                .collect();
            for name in names {
                if let Some(failure) = self.check_one(&name, config, "Dynamic Stream").await? {
                    return Ok(Some(failure));
                }
            }
        }
        Ok(None)
    }
}
