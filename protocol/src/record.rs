//! RECORD messages: one row of one stream.

use serde::{Deserialize, Serialize};

use crate::raw::JsonObject;
use crate::wire::wire_struct;

wire_struct! {
    /// One row of data (`AirbyteRecordMessage`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteRecordMessage, JsonObject};
    ///
    /// let data = JsonObject::from_string(r#"{"id":1,"amount":12345678901234567890.12}"#.into()).unwrap();
    /// let record = AirbyteRecordMessage::new("payments", data, 1_700_000_000_000);
    /// assert_eq!(
    ///     serde_json::to_string(&record).unwrap(),
    ///     r#"{"stream":"payments","data":{"id":1,"amount":12345678901234567890.12},"emitted_at":1700000000000}"#
    /// );
    /// ```
    pub struct AirbyteRecordMessage {
        /// The namespace of the stream, if any.
        "namespace" => opt namespace: String,
        /// The stream this row belongs to.
        "stream" => req stream: String,
        /// The row, a JSON object kept as its original text.
        "data" => req data: JsonObject,
        /// When the source emitted the row, in ms since the epoch.
        "emitted_at" => req emitted_at: i64,
        /// Changes made to the row during the sync.
        "meta" => opt meta: AirbyteRecordMessageMeta,
        /// The file this record describes, for file-based streams.
        "file_reference" => opt file_reference: AirbyteRecordMessageFileReference,
    }
}

impl AirbyteRecordMessage {
    /// A record of `stream` with no namespace, meta or file reference.
    pub fn new(stream: impl Into<String>, data: JsonObject, emitted_at: i64) -> Self {
        AirbyteRecordMessage {
            namespace: None,
            stream: stream.into(),
            data,
            emitted_at,
            meta: None,
            file_reference: None,
            extra: Default::default(),
        }
    }
}

wire_struct! {
    /// Information about a record added mid-sync (`AirbyteRecordMessageMeta`).
    ///
    /// ```
    /// use airbyte_protocol::AirbyteRecordMessageMeta;
    /// let meta: AirbyteRecordMessageMeta = serde_json::from_str(
    ///     r#"{"changes":[{"field":"bio","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}]}"#,
    /// ).unwrap();
    /// assert_eq!(meta.changes.unwrap()[0].field, "bio");
    /// ```
    #[derive(Default)]
    pub struct AirbyteRecordMessageMeta {
        /// Changes made to the content of the record.
        "changes" => opt changes: Vec<AirbyteRecordMessageMetaChange>,
    }
}

wire_struct! {
    /// One change made to a record's content (`AirbyteRecordMessageMetaChange`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteRecordMessageMetaChange, ChangeReason, ChangeType};
    /// let change = AirbyteRecordMessageMetaChange::new("age", ChangeType::Nulled, ChangeReason::DestinationTypecastError);
    /// assert_eq!(
    ///     serde_json::to_string(&change).unwrap(),
    ///     r#"{"field":"age","change":"NULLED","reason":"DESTINATION_TYPECAST_ERROR"}"#
    /// );
    /// ```
    pub struct AirbyteRecordMessageMetaChange {
        /// The field that changed.
        "field" => req field: String,
        /// What happened to it.
        "change" => req change: ChangeType,
        /// Why.
        "reason" => req reason: ChangeReason,
    }
}

impl AirbyteRecordMessageMetaChange {
    /// A change of `field`.
    pub fn new(field: impl Into<String>, change: ChangeType, reason: ChangeReason) -> Self {
        AirbyteRecordMessageMetaChange {
            field: field.into(),
            change,
            reason,
            extra: Default::default(),
        }
    }
}

/// What happened to a field (`AirbyteRecordMessageMetaChange.change`).
///
/// ```
/// use airbyte_protocol::ChangeType;
/// assert_eq!(serde_json::to_string(&ChangeType::Truncated).unwrap(), r#""TRUNCATED""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeType {
    /// The value was replaced by null.
    Nulled,
    /// The value was shortened.
    Truncated,
}

/// Why a field changed (`AirbyteRecordMessageMetaChange.reason`).
///
/// ```
/// use airbyte_protocol::ChangeReason;
/// let r: ChangeReason = serde_json::from_str(r#""SOURCE_RETRIEVAL_ERROR""#).unwrap();
/// assert_eq!(r, ChangeReason::SourceRetrievalError);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeReason {
    /// The whole record was too large for the source.
    SourceRecordSizeLimitation,
    /// The whole record was too large for the destination.
    DestinationRecordSizeLimitation,
    /// The whole record was too large for the platform.
    PlatformRecordSizeLimitation,
    /// One field was too large for the source.
    SourceFieldSizeLimitation,
    /// One field was too large for the destination.
    DestinationFieldSizeLimitation,
    /// One field was too large for the platform.
    PlatformFieldSizeLimitation,
    /// The source could not serialize the field.
    SourceSerializationError,
    /// The destination could not serialize the field.
    DestinationSerializationError,
    /// The platform could not serialize the field.
    PlatformSerializationError,
    /// The source could not read the field.
    SourceRetrievalError,
    /// The destination could not cast the field to its column type.
    DestinationTypecastError,
}

wire_struct! {
    /// A reference to the file a record describes (`AirbyteRecordMessageFileReference`).
    ///
    /// ```
    /// use airbyte_protocol::AirbyteRecordMessageFileReference;
    /// let f: AirbyteRecordMessageFileReference =
    ///     serde_json::from_str(r#"{"source_file_relative_path":"a/b.csv","file_size_bytes":10}"#).unwrap();
    /// assert_eq!(f.file_size_bytes, Some(10));
    /// ```
    #[derive(Default)]
    pub struct AirbyteRecordMessageFileReference {
        /// The absolute path of the file in the staging area.
        "staging_file_url" => opt staging_file_url: String,
        /// The path of the file relative to the source.
        "source_file_relative_path" => opt source_file_relative_path: String,
        /// The size of the file in bytes.
        "file_size_bytes" => opt file_size_bytes: i64,
    }
}
