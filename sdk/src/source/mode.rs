//! How a configured stream is read: a full refresh, or incremental with a cursor.
//!
//! Clients such as PyAirbyte ask for `incremental` on every stream that
//! supports it, with the stream's default cursor, and a stream may have none
//! (a database table has no natural cursor). As Airbyte's Python CDK does, such
//! a stream is read as a full refresh rather than failing the sync.

use std::borrow::Cow;

use airbyte_protocol::{ConfiguredAirbyteStream, SyncMode};

/// How a configured stream is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode<'a> {
    /// Every record, whatever the state says about a cursor.
    FullRefresh,
    /// The records after the state's cursor.
    Incremental {
        /// The cursor (a path into the record), empty if the source defines
        /// its cursor without naming a field.
        cursor: &'a [String],
    },
}

/// How `stream` is read.
///
/// A full-refresh stream is read as a full refresh. An incremental stream is
/// read incrementally if it has a cursor: the catalog's `cursor_field`, else
/// the stream's `default_cursor_field`, else a cursor the source defines
/// (`source_defined_cursor`). An incremental stream with none of these, or
/// one whose discovered sync modes exclude `incremental`, is read as a full
/// refresh (see [`effective_stream`], which also logs it).
///
/// ```
/// use airbyte_sdk::protocol::{AirbyteStream, ConfiguredAirbyteStream, DestinationSyncMode, JsonObject, SyncMode};
/// use airbyte_sdk::source::{ReadMode, read_mode};
///
/// let table = AirbyteStream::new("film", JsonObject::empty(), vec![SyncMode::FullRefresh, SyncMode::Incremental]);
/// let mut configured = ConfiguredAirbyteStream::new(table, SyncMode::Incremental, DestinationSyncMode::Append);
/// // No cursor anywhere: a full refresh.
/// assert_eq!(read_mode(&configured), ReadMode::FullRefresh);
/// // A cursor from the catalog (PyAirbyte's `set_cursor_key`): incremental.
/// configured.cursor_field = Some(vec!["last_update".into()]);
/// assert_eq!(read_mode(&configured), ReadMode::Incremental { cursor: &["last_update".to_owned()] });
/// ```
pub fn read_mode(stream: &ConfiguredAirbyteStream) -> ReadMode<'_> {
    if stream.sync_mode == SyncMode::FullRefresh {
        return ReadMode::FullRefresh;
    }
    let supported = &stream.stream.supported_sync_modes;
    if !supported.is_empty() && !supported.contains(&SyncMode::Incremental) {
        return ReadMode::FullRefresh;
    }
    match stream.effective_cursor_field().filter(|c| !c.is_empty()) {
        Some(cursor) => ReadMode::Incremental { cursor },
        None if stream.stream.source_defined_cursor == Some(true) => {
            ReadMode::Incremental { cursor: &[] }
        }
        None => ReadMode::FullRefresh,
    }
}

/// The stream as it will be read: `stream` itself, or, if it is configured
/// as incremental but [`read_mode`] reads it as a full refresh, a copy with
/// `sync_mode` set to `full_refresh`, with a WARN log that names the stream.
///
/// The default [`Source::read`](super::Source::read) passes this to
/// [`Source::read_stream`](super::Source::read_stream); a source that reads
/// the catalog itself can call it too.
///
/// ```
/// use airbyte_sdk::protocol::{AirbyteStream, ConfiguredAirbyteStream, DestinationSyncMode, JsonObject, SyncMode};
/// use airbyte_sdk::source::effective_stream;
///
/// let table = AirbyteStream::new("film", JsonObject::empty(), vec![SyncMode::FullRefresh, SyncMode::Incremental]);
/// let configured = ConfiguredAirbyteStream::new(table, SyncMode::Incremental, DestinationSyncMode::Append);
/// assert_eq!(effective_stream(&configured).sync_mode, SyncMode::FullRefresh);
/// ```
pub fn effective_stream(stream: &ConfiguredAirbyteStream) -> Cow<'_, ConfiguredAirbyteStream> {
    if stream.sync_mode != SyncMode::Incremental || read_mode(stream) != ReadMode::FullRefresh {
        return Cow::Borrowed(stream);
    }
    let why = if stream
        .stream
        .supported_sync_modes
        .contains(&SyncMode::Incremental)
        || stream.stream.supported_sync_modes.is_empty()
    {
        "it has no cursor (no cursor_field in the catalog and no default cursor)"
    } else {
        "it does not support incremental reads"
    };
    tracing::warn!(
        "stream `{}` is configured as incremental but {why}: reading it as a full refresh",
        stream.stream.descriptor()
    );
    let mut full = stream.clone();
    full.sync_mode = SyncMode::FullRefresh;
    Cow::Owned(full)
}
