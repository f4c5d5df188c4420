//! The default `read`: every configured stream, a bounded number at once.

use std::collections::HashSet;

use airbyte_protocol::{
    AirbyteCatalog, AirbyteStreamStatus, ConfiguredAirbyteCatalog, ConfiguredAirbyteStream,
    JsonObject,
};
use futures_util::StreamExt;

use super::{
    InputState, Source, SourceOutput, StreamOutput, Streams, catch_panic, effective_stream,
};
use crate::error::Error;

/// Reads each configured stream with [`Source::read_stream`], at most
/// [`Source::max_concurrent_streams`] at once, after checking that the source
/// has every configured stream.
///
/// Each stream gets STARTED, RUNNING and COMPLETE statuses, or INCOMPLETE
/// and no final state if it fails; the other streams still run, and the
/// first error is returned at the end. A stream that emitted no state gets
/// one (its input state, or `{}`), as the protocol asks. An incremental
/// stream that has no cursor is read as a full refresh, with a warning (see
/// [`effective_stream`](super::effective_stream)).
pub async fn read_streams<S: Source>(
    source: &S,
    config: &S::Config,
    catalog: &ConfiguredAirbyteCatalog,
    state: &InputState,
    out: &SourceOutput,
) -> Result<(), Error> {
    let discovered = source.discover(config).await?;
    check_known_streams(&discovered, catalog)?;
    let reader = BySource { source, config };
    read_each(
        &reader,
        catalog,
        state,
        out,
        source.max_concurrent_streams(),
    )
    .await
}

/// Reads each configured stream of a source's typed [`Streams`], as
/// [`read_streams`] does with [`Source::read_stream`].
pub(crate) async fn read_typed(
    streams: &Streams,
    catalog: &ConfiguredAirbyteCatalog,
    state: &InputState,
    out: &SourceOutput,
    limit: usize,
) -> Result<(), Error> {
    check_known_streams(&streams.catalog()?, catalog)?;
    read_each(streams, catalog, state, out, limit).await
}

/// A config error naming every configured stream that `discovered` lacks,
/// and the streams it has.
///
/// ```
/// use airbyte_sdk::protocol::{AirbyteCatalog, AirbyteStream, ConfiguredAirbyteCatalog, JsonObject, SyncMode};
/// use airbyte_sdk::source::check_known_streams;
///
/// let has = AirbyteCatalog::new(vec![AirbyteStream::new("users", JsonObject::empty(), vec![SyncMode::FullRefresh])]);
/// let wants: ConfiguredAirbyteCatalog = airbyte_sdk::serde_json::from_str(
///     r#"{"streams":[{"stream":{"name":"orders","json_schema":{},"supported_sync_modes":["full_refresh"]},"sync_mode":"full_refresh","destination_sync_mode":"append"}]}"#,
/// ).unwrap();
/// let error = check_known_streams(&has, &wants).unwrap_err();
/// assert!(error.to_string().contains("`orders`") && error.to_string().contains("`users`"));
/// ```
pub fn check_known_streams(
    discovered: &AirbyteCatalog,
    catalog: &ConfiguredAirbyteCatalog,
) -> Result<(), Error> {
    let known: HashSet<(Option<&str>, &str)> = discovered
        .streams
        .iter()
        .map(|s| (s.namespace.as_deref(), s.name.as_str()))
        .collect();
    let unknown: Vec<String> = catalog
        .streams
        .iter()
        .map(|c| c.stream.descriptor())
        .filter(|d| !known.contains(&(d.namespace.as_deref(), d.name.as_str())))
        .map(|d| format!("`{d}`"))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let mut available: Vec<String> = discovered
        .streams
        .iter()
        .map(|s| format!("`{}`", s.descriptor()))
        .collect();
    available.sort();
    Err(Error::config(format!(
        "The configured catalog has stream(s) {} that this source does not have. Available streams: {}.",
        unknown.join(", "),
        available.join(", ")
    )))
}

/// Reads one configured stream.
#[async_trait::async_trait]
trait ReadOne: Sync {
    async fn read_one(
        &self,
        configured: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error>;
}

/// Through [`Source::read_stream`].
struct BySource<'a, S: Source> {
    source: &'a S,
    config: &'a S::Config,
}

#[async_trait::async_trait]
impl<S: Source> ReadOne for BySource<'_, S> {
    async fn read_one(
        &self,
        configured: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        self.source
            .read_stream(self.config, configured, state, out)
            .await
    }
}

#[async_trait::async_trait]
impl ReadOne for Streams {
    async fn read_one(
        &self,
        configured: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        self.read_stream(configured, state, out).await
    }
}

async fn read_each<R: ReadOne>(
    reader: &R,
    catalog: &ConfiguredAirbyteCatalog,
    state: &InputState,
    out: &SourceOutput,
    limit: usize,
) -> Result<(), Error> {
    let mut reads = Vec::with_capacity(catalog.streams.len());
    for configured in &catalog.streams {
        reads.push(read_one(reader, configured, state, out));
    }
    let results: Vec<Result<(), Error>> = futures_util::stream::iter(reads)
        .buffer_unordered(limit.max(1))
        .collect()
        .await;
    results.into_iter().find(Result::is_err).unwrap_or(Ok(()))
}

async fn read_one<R: ReadOne>(
    reader: &R,
    configured: &ConfiguredAirbyteStream,
    state: &InputState,
    out: &SourceOutput,
) -> Result<(), Error> {
    let descriptor = configured.stream.descriptor();
    out.status(&descriptor, AirbyteStreamStatus::Started)?;
    // An incremental stream without a cursor is read as a full refresh (logged).
    let effective = effective_stream(configured);
    let configured = &*effective;
    let input = state.stream(&descriptor);
    let mut stream_out = out.stream(descriptor.clone());
    let what = format!("stream `{descriptor}`");
    let result = catch_panic(&what, reader.read_one(configured, input, &mut stream_out)).await;
    let error = match result {
        Ok(()) => {
            if stream_out.checkpoints() == 0 {
                stream_out.checkpoint(input.cloned().unwrap_or_else(JsonObject::empty))?;
            } else if stream_out.records_since_checkpoint() > 0 {
                tracing::warn!(
                    "stream `{descriptor}` emitted {} record(s) after its last state; they are not counted in any state",
                    stream_out.records_since_checkpoint()
                );
            }
            stream_out.ensure_running()?;
            out.status(&descriptor, AirbyteStreamStatus::Complete)?;
            return Ok(());
        }
        Err(error) => error,
    };
    out.status(&descriptor, AirbyteStreamStatus::Incomplete)?;
    Err(match error.stream() {
        Some(_) => error,
        None => error.with_stream(descriptor),
    })
}
