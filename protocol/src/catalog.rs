//! Catalogs: what a source offers, and what a sync reads and writes.

use serde::{Deserialize, Serialize};

use crate::raw::JsonObject;
use crate::state::StreamDescriptor;
use crate::wire::wire_struct;

wire_struct! {
    /// The streams a source offers, the answer to `discover` (`AirbyteCatalog`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteCatalog, AirbyteStream, JsonObject, SyncMode};
    /// let schema = JsonObject::from_string(r#"{"type":"object","properties":{"id":{"type":"integer"}}}"#.into()).unwrap();
    /// let catalog = AirbyteCatalog::new(vec![AirbyteStream::new("users", schema, vec![SyncMode::FullRefresh])]);
    /// assert_eq!(catalog.streams[0].name, "users");
    /// ```
    #[derive(Default)]
    pub struct AirbyteCatalog {
        /// The streams.
        "streams" => req streams: Vec<AirbyteStream>,
    }
}

impl AirbyteCatalog {
    /// A catalog of `streams`.
    pub fn new(streams: Vec<AirbyteStream>) -> Self {
        AirbyteCatalog {
            streams,
            extra: Default::default(),
        }
    }
}

wire_struct! {
    /// One stream a source offers (`AirbyteStream`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteStream, JsonObject, SyncMode};
    /// let s = AirbyteStream::new("t", JsonObject::from_string(r#"{"type":"object"}"#.into()).unwrap(), vec![SyncMode::FullRefresh]);
    /// assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"name":"t","json_schema":{"type":"object"},"supported_sync_modes":["full_refresh"]}"#);
    /// ```
    #[derive(Default)]
    pub struct AirbyteStream {
        /// The stream name.
        "name" => req name: String,
        /// The JSON Schema of its records, kept as the original text.
        "json_schema" => req json_schema: JsonObject,
        /// The sync modes it supports (at least one).
        "supported_sync_modes" => req supported_sync_modes: Vec<SyncMode>,
        /// Whether the source chooses the cursor.
        "source_defined_cursor" => opt source_defined_cursor: bool,
        /// The cursor the source suggests, as a path.
        "default_cursor_field" => opt default_cursor_field: Vec<String>,
        /// The primary key, as a list of paths.
        "source_defined_primary_key" => opt source_defined_primary_key: Vec<Vec<String>>,
        /// The namespace (a schema, for databases).
        "namespace" => opt namespace: String,
        /// Whether a full refresh of it can resume after a failure.
        "is_resumable" => opt is_resumable: bool,
        /// Whether it describes files.
        "is_file_based" => opt is_file_based: bool,
    }
}

impl AirbyteStream {
    /// A stream with a schema and sync modes, nothing else set.
    pub fn new(
        name: impl Into<String>,
        json_schema: JsonObject,
        supported_sync_modes: Vec<SyncMode>,
    ) -> Self {
        AirbyteStream {
            name: name.into(),
            json_schema,
            supported_sync_modes,
            ..Default::default()
        }
    }

    /// The stream's descriptor (name and namespace).
    pub fn descriptor(&self) -> StreamDescriptor {
        StreamDescriptor {
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            extra: Default::default(),
        }
    }
}

wire_struct! {
    /// The streams a sync reads, with how (`ConfiguredAirbyteCatalog`).
    ///
    /// ```
    /// use airbyte_protocol::ConfiguredAirbyteCatalog;
    /// let c: ConfiguredAirbyteCatalog = serde_json::from_str(r#"{"streams":[{"stream":{"name":"t","json_schema":{},"supported_sync_modes":["full_refresh"]},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"}]}"#).unwrap();
    /// assert_eq!(c.streams[0].stream.name, "t");
    /// ```
    #[derive(Default)]
    pub struct ConfiguredAirbyteCatalog {
        /// The configured streams.
        "streams" => req streams: Vec<ConfiguredAirbyteStream>,
    }
}

wire_struct! {
    /// One stream of a sync (`ConfiguredAirbyteStream`).
    ///
    /// ```
    /// use airbyte_protocol::{ConfiguredAirbyteStream, AirbyteStream, JsonObject, SyncMode, DestinationSyncMode};
    /// let s = ConfiguredAirbyteStream::new(
    ///     AirbyteStream::new("t", JsonObject::empty(), vec![SyncMode::Incremental]),
    ///     SyncMode::Incremental,
    ///     DestinationSyncMode::AppendDedup,
    /// );
    /// assert_eq!(s.destination_sync_mode, DestinationSyncMode::AppendDedup);
    /// ```
    pub struct ConfiguredAirbyteStream {
        /// The stream as discovered.
        "stream" => req stream: AirbyteStream,
        /// How to read it.
        "sync_mode" => req sync_mode: SyncMode,
        /// The cursor, as a path; required for incremental unless the source defines it.
        "cursor_field" => opt cursor_field: Vec<String>,
        /// How to write it.
        "destination_sync_mode" => req destination_sync_mode: DestinationSyncMode,
        /// The name of the object to write to, for data-activation destinations.
        "destination_object_name" => opt destination_object_name: String,
        /// The primary key chosen by the user, as paths.
        "primary_key" => opt primary_key: Vec<Vec<String>>,
        /// The stream's generation (increases on each refresh).
        "generation_id" => opt generation_id: i64,
        /// Data of older generations than this must be removed.
        "minimum_generation_id" => opt minimum_generation_id: i64,
        /// The sync's id.
        "sync_id" => opt sync_id: i64,
        /// Whether to copy the files of a file-based stream.
        "include_files" => opt include_files: bool,
    }
}

impl ConfiguredAirbyteStream {
    /// A configured stream with no cursor, key or generation.
    pub fn new(
        stream: AirbyteStream,
        sync_mode: SyncMode,
        destination_sync_mode: DestinationSyncMode,
    ) -> Self {
        ConfiguredAirbyteStream {
            stream,
            sync_mode,
            cursor_field: None,
            destination_sync_mode,
            destination_object_name: None,
            primary_key: None,
            generation_id: None,
            minimum_generation_id: None,
            sync_id: None,
            include_files: None,
            extra: Default::default(),
        }
    }

    /// The cursor to use: the configured one, else the source's default.
    pub fn effective_cursor_field(&self) -> Option<&[String]> {
        self.cursor_field
            .as_deref()
            .filter(|c| !c.is_empty())
            .or(self.stream.default_cursor_field.as_deref())
    }

    /// The primary key to use: the configured one, else the source's.
    pub fn effective_primary_key(&self) -> Option<&[Vec<String>]> {
        self.primary_key
            .as_deref()
            .filter(|k| !k.is_empty())
            .or(self.stream.source_defined_primary_key.as_deref())
    }
}

/// How a source reads a stream (`SyncMode`).
///
/// ```
/// use airbyte_protocol::SyncMode;
/// assert_eq!(serde_json::to_string(&SyncMode::FullRefresh).unwrap(), r#""full_refresh""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Read everything.
    FullRefresh,
    /// Read what changed since the last state.
    Incremental,
}

/// How a destination writes a stream (`DestinationSyncMode`).
///
/// There is no `overwrite_dedup` in the protocol: the platform sends
/// `append_dedup` with `minimum_generation_id == generation_id`.
///
/// ```
/// use airbyte_protocol::DestinationSyncMode;
/// assert_eq!(serde_json::to_string(&DestinationSyncMode::AppendDedup).unwrap(), r#""append_dedup""#);
/// assert!(serde_json::from_str::<DestinationSyncMode>(r#""overwrite_dedup""#).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationSyncMode {
    /// Add the records.
    Append,
    /// Replace the data.
    Overwrite,
    /// Add the records and keep the latest per primary key.
    AppendDedup,
    /// Update objects by key (data activation).
    Update,
    /// Mark objects deleted (data activation).
    SoftDelete,
}

wire_struct! {
    /// The objects a data-activation destination can write (`DestinationCatalog`).
    ///
    /// ```
    /// use airbyte_protocol::DestinationCatalog;
    /// let c: DestinationCatalog = serde_json::from_str(r#"{"operations":[{"object_name":"Contact","sync_mode":"update","json_schema":{},"matching_keys":[["Email"]]}]}"#).unwrap();
    /// assert_eq!(c.operations[0].object_name, "Contact");
    /// ```
    pub struct DestinationCatalog {
        /// The operations.
        "operations" => req operations: Vec<DestinationOperation>,
    }
}

wire_struct! {
    /// One operation on a destination object (`DestinationOperation`).
    ///
    /// ```
    /// use airbyte_protocol::{DestinationOperation, DestinationSyncMode};
    /// let o: DestinationOperation = serde_json::from_str(r#"{"object_name":"Lead","sync_mode":"append","json_schema":{"type":"object"}}"#).unwrap();
    /// assert_eq!(o.sync_mode, DestinationSyncMode::Append);
    /// ```
    pub struct DestinationOperation {
        /// The destination object.
        "object_name" => req object_name: String,
        /// How it is written.
        "sync_mode" => req sync_mode: DestinationSyncMode,
        /// The schema of what it accepts.
        "json_schema" => req json_schema: JsonObject,
        /// Keys that match a record to an object, as paths.
        "matching_keys" => opt matching_keys: Vec<Vec<String>>,
    }
}
