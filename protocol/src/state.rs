//! STATE messages: checkpoints, per stream or global.

use serde::{Deserialize, Serialize};

use crate::raw::JsonObject;
use crate::wire::wire_struct;

wire_struct! {
    /// A checkpoint (`AirbyteStateMessage`).
    ///
    /// Destinations echo it back unchanged, unknown keys such as the
    /// platform's `id` included, once everything before it is committed.
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteStateMessage, AirbyteStateType, StreamDescriptor, JsonObject};
    ///
    /// let state = AirbyteStateMessage::stream(
    ///     StreamDescriptor::new("users"),
    ///     JsonObject::from_string(r#"{"cursor":"2024-01-01"}"#.into()).unwrap(),
    /// );
    /// assert_eq!(state.r#type, Some(AirbyteStateType::Stream));
    /// assert_eq!(
    ///     serde_json::to_string(&state).unwrap(),
    ///     r#"{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":{"cursor":"2024-01-01"}}}"#
    /// );
    /// ```
    #[derive(Default)]
    pub struct AirbyteStateMessage {
        /// The kind of state; absent means LEGACY.
        "type" => opt r#type: AirbyteStateType,
        /// The state of one stream, for `STREAM`.
        "stream" => opt stream: AirbyteStreamState,
        /// The state of all streams, for `GLOBAL`.
        "global" => opt global: AirbyteGlobalState,
        /// Deprecated: the whole state, for `LEGACY`.
        "data" => opt data: JsonObject,
        /// Set by sources: records since the previous state.
        "sourceStats" => opt source_stats: AirbyteStateStats,
        /// Set by destinations when they echo the state.
        "destinationStats" => opt destination_stats: AirbyteStateStats,
    }
}

impl AirbyteStateMessage {
    /// A `STREAM` state.
    pub fn stream(descriptor: StreamDescriptor, stream_state: JsonObject) -> Self {
        AirbyteStateMessage {
            r#type: Some(AirbyteStateType::Stream),
            stream: Some(AirbyteStreamState {
                stream_descriptor: descriptor,
                stream_state: Some(stream_state),
                extra: Default::default(),
            }),
            ..Default::default()
        }
    }

    /// A `GLOBAL` state.
    pub fn global(
        shared_state: Option<JsonObject>,
        stream_states: Vec<AirbyteStreamState>,
    ) -> Self {
        AirbyteStateMessage {
            r#type: Some(AirbyteStateType::Global),
            global: Some(AirbyteGlobalState {
                shared_state,
                stream_states,
                extra: Default::default(),
            }),
            ..Default::default()
        }
    }

    /// A `LEGACY` state holding `data`.
    pub fn legacy(data: JsonObject) -> Self {
        AirbyteStateMessage {
            r#type: Some(AirbyteStateType::Legacy),
            data: Some(data),
            ..Default::default()
        }
    }

    /// The effective type: the `type` field, or LEGACY when it is absent.
    pub fn effective_type(&self) -> AirbyteStateType {
        self.r#type.unwrap_or(AirbyteStateType::Legacy)
    }
}

/// The kind of a state message (`AirbyteStateType`).
///
/// ```
/// use airbyte_protocol::AirbyteStateType;
/// assert_eq!(serde_json::to_string(&AirbyteStateType::Global).unwrap(), r#""GLOBAL""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AirbyteStateType {
    /// One state for all streams, with a shared part (CDC).
    Global,
    /// One state per stream.
    Stream,
    /// Deprecated single blob.
    Legacy,
}

wire_struct! {
    /// The state of one stream (`AirbyteStreamState`).
    ///
    /// ```
    /// use airbyte_protocol::AirbyteStreamState;
    /// let s: AirbyteStreamState = serde_json::from_str(r#"{"stream_descriptor":{"name":"a"},"stream_state":null}"#).unwrap();
    /// assert!(s.stream_state.is_none());
    /// ```
    pub struct AirbyteStreamState {
        /// The stream.
        "stream_descriptor" => req stream_descriptor: StreamDescriptor,
        /// Its state; absent or null means "reset this stream".
        "stream_state" => opt stream_state: JsonObject,
    }
}

wire_struct! {
    /// The state of all streams at once (`AirbyteGlobalState`).
    ///
    /// ```
    /// use airbyte_protocol::AirbyteGlobalState;
    /// let g: AirbyteGlobalState = serde_json::from_str(r#"{"shared_state":{"lsn":1},"stream_states":[]}"#).unwrap();
    /// assert_eq!(g.shared_state.unwrap().as_str(), r#"{"lsn":1}"#);
    /// ```
    pub struct AirbyteGlobalState {
        /// State shared by every stream, such as a CDC position.
        "shared_state" => opt shared_state: JsonObject,
        /// Per-stream states.
        "stream_states" => req stream_states: Vec<AirbyteStreamState>,
    }
}

wire_struct! {
    /// Names a stream (`StreamDescriptor`). Any UTF-8 string is valid, even `""`.
    ///
    /// ```
    /// use airbyte_protocol::StreamDescriptor;
    /// let d = StreamDescriptor::new("film").with_namespace("public");
    /// assert_eq!(serde_json::to_string(&d).unwrap(), r#"{"name":"film","namespace":"public"}"#);
    /// assert_eq!(d.to_string(), "public.film");
    /// ```
    #[derive(Default)]
    pub struct StreamDescriptor {
        /// The stream name.
        "name" => req name: String,
        /// The namespace, if any.
        "namespace" => opt namespace: String,
    }
}

impl StreamDescriptor {
    /// A stream with no namespace.
    pub fn new(name: impl Into<String>) -> Self {
        StreamDescriptor {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Sets the namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Whether this names the stream `name` in `namespace`.
    pub fn is(&self, name: &str, namespace: Option<&str>) -> bool {
        self.name == name && self.namespace.as_deref() == namespace
    }
}

impl Eq for StreamDescriptor {}

impl std::hash::Hash for StreamDescriptor {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.namespace.hash(state);
    }
}

impl std::fmt::Display for StreamDescriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

wire_struct! {
    /// Record counts attached to a state (`AirbyteStateStats`).
    ///
    /// Counts are JSON numbers with a decimal point, as the schema asks:
    ///
    /// ```
    /// use airbyte_protocol::AirbyteStateStats;
    /// assert_eq!(serde_json::to_string(&AirbyteStateStats::records(3)).unwrap(), r#"{"recordCount":3.0}"#);
    /// ```
    #[derive(Default)]
    pub struct AirbyteStateStats {
        /// Records emitted (or committed) for this state.
        "recordCount" => opt record_count: f64,
        /// Records rejected for this state.
        "rejectedRecordCount" => opt rejected_record_count: f64,
    }
}

impl AirbyteStateStats {
    /// Stats with `recordCount` set.
    pub fn records(count: u64) -> Self {
        AirbyteStateStats {
            record_count: Some(count as f64),
            ..Default::default()
        }
    }
}
