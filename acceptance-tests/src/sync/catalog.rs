//! Choosing and configuring the streams of a sync.

use airbyte_protocol::{
    AirbyteCatalog, AirbyteStream, ConfiguredAirbyteCatalog, ConfiguredAirbyteStream,
    DestinationSyncMode, SyncMode,
};
use serde_json::Value;

use super::{StreamChoices, stream_key};
use crate::connector::{Connector, Invocation};
use crate::error::Error;

/// Configures the streams of a discovered catalog, as the platform's
/// connection settings would:
///
/// - the streams named in `choices.streams` (by name or `namespace.name`),
///   or all of them;
/// - sync mode: `choices.sync_mode`, else `incremental` where the stream
///   supports it and has a cursor (`source_defined_cursor` or
///   `default_cursor_field`), else `full_refresh`;
/// - destination sync mode: `choices.destination_sync_mode`, else
///   `append_dedup` for incremental with a primary key, `append` for
///   incremental without one, `overwrite` for full refresh;
/// - `cursor_field` from `default_cursor_field`, `primary_key` from
///   `source_defined_primary_key`;
/// - `generation_id` and `sync_id` from `choices` (default: now, in Unix
///   seconds), `minimum_generation_id` equal to `generation_id` for
///   `overwrite`, else 0.
///
/// A choice a stream cannot honour (incremental without a cursor or
/// support, a dedup without a primary key, an unknown stream) is an error
/// that names the stream.
///
/// ```
/// use airbyte_acceptance_tests::{StreamChoices, configure_catalog};
/// use airbyte_protocol::{AirbyteCatalog, AirbyteStream, DestinationSyncMode, JsonObject, SyncMode};
///
/// let mut users = AirbyteStream::new("users", JsonObject::empty(), vec![SyncMode::FullRefresh, SyncMode::Incremental]);
/// users.default_cursor_field = Some(vec!["updated_at".into()]);
/// users.source_defined_primary_key = Some(vec![vec!["id".into()]]);
/// let logs = AirbyteStream::new("logs", JsonObject::empty(), vec![SyncMode::FullRefresh]);
/// let discovered = AirbyteCatalog::new(vec![users, logs]);
///
/// let choices = StreamChoices { generation_id: Some(7), sync_id: Some(42), ..Default::default() };
/// let configured = configure_catalog(&discovered, &choices).unwrap();
/// let (u, l) = (&configured.streams[0], &configured.streams[1]);
/// assert_eq!((u.sync_mode, u.destination_sync_mode), (SyncMode::Incremental, DestinationSyncMode::AppendDedup));
/// assert_eq!(u.cursor_field.as_deref(), Some(&["updated_at".to_owned()][..]));
/// assert_eq!((u.generation_id, u.minimum_generation_id, u.sync_id), (Some(7), Some(0), Some(42)));
/// assert_eq!((l.sync_mode, l.destination_sync_mode), (SyncMode::FullRefresh, DestinationSyncMode::Overwrite));
/// assert_eq!(l.minimum_generation_id, Some(7));
///
/// let only = StreamChoices { streams: Some(vec!["nope".into()]), ..Default::default() };
/// assert!(configure_catalog(&discovered, &only).unwrap_err().to_string().contains("nope"));
/// ```
pub fn configure_catalog(
    discovered: &AirbyteCatalog,
    choices: &StreamChoices,
) -> Result<ConfiguredAirbyteCatalog, Error> {
    let keys: Vec<String> = discovered
        .streams
        .iter()
        .map(|s| stream_key(s.namespace.as_deref(), &s.name))
        .collect();
    check_names(choices, &keys)?;
    let mut configured = ConfiguredAirbyteCatalog::default();
    for (stream, key) in discovered.streams.iter().zip(&keys) {
        if !chosen(choices, &stream.name, key) {
            continue;
        }
        configured
            .streams
            .push(configure_stream(stream, key, choices)?);
    }
    set_ids(&mut configured, choices);
    Ok(configured)
}

fn configure_stream(
    stream: &AirbyteStream,
    key: &str,
    choices: &StreamChoices,
) -> Result<ConfiguredAirbyteStream, Error> {
    let supports_incremental = stream.supported_sync_modes.contains(&SyncMode::Incremental);
    let has_cursor = stream.source_defined_cursor == Some(true)
        || stream
            .default_cursor_field
            .as_ref()
            .is_some_and(|c| !c.is_empty());
    let sync_mode = match choices.sync_mode {
        Some(SyncMode::Incremental) if !supports_incremental => {
            return Err(Error::Sync(format!(
                "stream `{key}` does not support incremental sync"
            )));
        }
        Some(SyncMode::Incremental) if !has_cursor => {
            return Err(Error::Sync(format!(
                "stream `{key}` has no cursor (neither `source_defined_cursor` nor `default_cursor_field`): it cannot sync incrementally"
            )));
        }
        Some(SyncMode::FullRefresh)
            if !stream.supported_sync_modes.contains(&SyncMode::FullRefresh) =>
        {
            return Err(Error::Sync(format!(
                "stream `{key}` does not support full refresh"
            )));
        }
        Some(mode) => mode,
        None if supports_incremental && has_cursor => SyncMode::Incremental,
        None => SyncMode::FullRefresh,
    };
    let primary_key = stream
        .source_defined_primary_key
        .clone()
        .filter(|k| !k.is_empty());
    let destination_sync_mode = match (choices.destination_sync_mode, sync_mode) {
        (Some(DestinationSyncMode::AppendDedup), _) if primary_key.is_none() => {
            return Err(Error::Sync(format!(
                "stream `{key}` has no primary key: it cannot be written with append_dedup"
            )));
        }
        (Some(mode), _) => mode,
        (None, SyncMode::Incremental) if primary_key.is_some() => DestinationSyncMode::AppendDedup,
        (None, SyncMode::Incremental) => DestinationSyncMode::Append,
        (None, SyncMode::FullRefresh) => DestinationSyncMode::Overwrite,
    };
    let mut configured =
        ConfiguredAirbyteStream::new(stream.clone(), sync_mode, destination_sync_mode);
    configured.cursor_field = stream
        .default_cursor_field
        .clone()
        .filter(|c| !c.is_empty());
    configured.primary_key = primary_key;
    Ok(configured)
}

fn chosen(choices: &StreamChoices, name: &str, key: &str) -> bool {
    choices
        .streams
        .as_ref()
        .is_none_or(|names| names.iter().any(|n| n == name || n == key))
}

fn check_names(choices: &StreamChoices, keys: &[String]) -> Result<(), Error> {
    for wanted in choices.streams.iter().flatten() {
        let found = keys
            .iter()
            .any(|k| k == wanted || k.rsplit_once('.').is_some_and(|(_, name)| name == wanted));
        if !found {
            return Err(Error::Sync(format!(
                "no stream `{wanted}` in the catalog (streams: {})",
                keys.join(", ")
            )));
        }
    }
    Ok(())
}

/// Fills in the generation and sync ids: those of `choices`, else those
/// already set, else now.
fn set_ids(catalog: &mut ConfiguredAirbyteCatalog, choices: &StreamChoices) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1);
    for stream in &mut catalog.streams {
        let kept = choices.generation_id.is_none() && stream.generation_id.is_some();
        let generation = choices
            .generation_id
            .or(stream.generation_id)
            .unwrap_or(now);
        stream.generation_id = Some(generation);
        if !(kept && stream.minimum_generation_id.is_some()) {
            let overwrite = stream.destination_sync_mode == DestinationSyncMode::Overwrite;
            stream.minimum_generation_id = Some(if overwrite { generation } else { 0 });
        }
        stream.sync_id = Some(choices.sync_id.or(stream.sync_id).unwrap_or(now));
    }
}

/// A catalog given as a file: keeps the chosen streams and fills in the ids
/// it lacks (the ones in `choices` win).
pub(crate) fn prepare_configured(
    mut catalog: ConfiguredAirbyteCatalog,
    choices: &StreamChoices,
) -> Result<ConfiguredAirbyteCatalog, Error> {
    let keys: Vec<String> = catalog
        .streams
        .iter()
        .map(|s| stream_key(s.stream.namespace.as_deref(), &s.stream.name))
        .collect();
    check_names(choices, &keys)?;
    let mut kept = Vec::new();
    for (stream, key) in catalog.streams.into_iter().zip(&keys) {
        if chosen(choices, &stream.stream.name, key) {
            kept.push(stream);
        }
    }
    catalog.streams = kept;
    set_ids(&mut catalog, choices);
    Ok(catalog)
}

/// Runs `discover` on the source.
pub(crate) fn discover(
    source: &Connector,
    config: &Value,
    local_root: Option<&std::path::Path>,
) -> Result<AirbyteCatalog, Error> {
    let mut invocation = Invocation::new("discover").config(config);
    invocation.local_root = local_root;
    let out = source.run(&invocation, b"")?;
    if let Some(catalog) = out.catalog()
        && out.exit_code == 0
    {
        return Ok(catalog.clone());
    }
    let mut reasons: Vec<String> = out
        .errors()
        .iter()
        .map(|e| super::console::describe_error(e))
        .collect();
    if reasons.is_empty() {
        let tail: Vec<&str> = out
            .stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        reasons.push(format!(
            "exit code {}, no CATALOG message{}",
            out.exit_code,
            if tail.is_empty() {
                String::new()
            } else {
                format!("; stderr: {}", tail.join(" | "))
            }
        ));
    }
    Err(Error::Sync(format!(
        "`discover` on {} failed: {}",
        source.describe(),
        reasons.join("; ")
    )))
}
