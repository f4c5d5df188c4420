//! The default `read`: every configured stream, a bounded number at once.

use std::collections::HashSet;

use airbyte_protocol::{
    AirbyteStreamStatus, ConfiguredAirbyteCatalog, ConfiguredAirbyteStream, JsonObject,
};
use futures_util::{FutureExt, StreamExt};

use super::{InputState, Source, SourceOutput, effective_stream};
use crate::error::Error;
use crate::mask::panic_message;

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
    if !unknown.is_empty() {
        let mut available: Vec<String> = discovered
            .streams
            .iter()
            .map(|s| format!("`{}`", s.descriptor()))
            .collect();
        available.sort();
        return Err(Error::config(format!(
            "The configured catalog has stream(s) {} that this source does not have. Available streams: {}.",
            unknown.join(", "),
            available.join(", ")
        )));
    }
    let limit = source.max_concurrent_streams().max(1);
    let mut reads = Vec::with_capacity(catalog.streams.len());
    for configured in &catalog.streams {
        reads.push(read_one(source, config, configured, state, out));
    }
    let results: Vec<Result<(), Error>> = futures_util::stream::iter(reads)
        .buffer_unordered(limit)
        .collect()
        .await;
    results.into_iter().find(Result::is_err).unwrap_or(Ok(()))
}

async fn read_one<S: Source>(
    source: &S,
    config: &S::Config,
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
    let result = std::panic::AssertUnwindSafe(source.read_stream(
        config,
        configured,
        input,
        &mut stream_out,
    ))
    .catch_unwind()
    .await;
    let error = match result {
        Ok(Ok(())) => {
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
        Ok(Err(error)) => error,
        Err(panic) => Error::system(format!(
            "the connector panicked while reading stream `{descriptor}`: {}",
            panic_message(&*panic)
        )),
    };
    out.status(&descriptor, AirbyteStreamStatus::Incomplete)?;
    Err(match error.stream() {
        Some(_) => error,
        None => error.with_stream(descriptor),
    })
}
