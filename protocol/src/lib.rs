//! Lossless, fast types for the [Airbyte protocol] (release 0.18), and line
//! codecs for message streams.
//!
//! This crate is the stable core of the Airbyte Rust SDK: every message,
//! catalog, state and spec type of the protocol, with no runtime.
//!
//! * **Lossless.** Every object keeps the properties it does not know (in
//!   `extra`) and writes them back, so a destination echoes the platform's
//!   state `id` untouched. Record `data`, stream `json_schema`, state blobs
//!   and `connectionSpecification` are kept as their original JSON text
//!   ([`JsonObject`]): numbers wider than an `f64` and key order pass through
//!   byte for byte. Typed accessors parse on demand.
//! * **Exact.** Field names are spelled as in the schema (`connectionStatus`,
//!   `sourceStats`, `recordCount`, `stream_descriptor`); absent fields are
//!   omitted and `null` is accepted; `recordCount` keeps its decimal point.
//! * **Fast.** [`MessageReader`] yields one message per line from any
//!   `BufRead` without a `serde_json::Value` per record, reports each bad
//!   line with its number, and can route lines by type without copying
//!   ([`Envelope`]). [`MessageWriter`] serializes into one reused buffer.
//!
//! ```
//! use airbyte_protocol::{AirbyteMessage, MessageReader, MessageWriter, MessageType};
//!
//! // A destination's echo loop: states come back with every unknown key intact.
//! let input = br#"{"type":"RECORD","record":{"stream":"pay","data":{"amount":1234567890123456789012345678901234567890.12},"emitted_at":1}}
//! {"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"pay"},"stream_state":{"c":1}}},"id":7}
//! "#;
//! let mut out = MessageWriter::new(Vec::new());
//! for message in MessageReader::new(&input[..]) {
//!     let message: AirbyteMessage = message.unwrap();
//!     match message.r#type {
//!         MessageType::Record => {
//!             let data = &message.record.as_ref().unwrap().data;
//!             assert!(data.as_str().contains("1234567890123456789012345678901234567890.12"));
//!         }
//!         MessageType::State => out.write(&message).unwrap(),
//!         _ => {}
//!     }
//! }
//! let echoed = String::from_utf8(out.into_inner().unwrap()).unwrap();
//! assert_eq!(
//!     echoed,
//!     "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\"pay\"},\"stream_state\":{\"c\":1}}},\"id\":7}\n"
//! );
//! ```
//!
//! [Airbyte protocol]: https://docs.airbyte.com/understanding-airbyte/airbyte-protocol

#![cfg_attr(docsrs, feature(doc_cfg))]

mod catalog;
pub mod columns;
mod control;
mod error;
mod log;
mod message;
mod raw;
mod reader;
mod record;
mod spec;
mod state;
mod trace;
#[doc(hidden)]
pub mod wire;
mod writer;

#[cfg(feature = "tokio")]
mod async_reader;

/// The protocol release these types follow.
pub const PROTOCOL_VERSION: &str = "0.18.0";

#[cfg(feature = "tokio")]
pub use async_reader::AsyncMessageReader;
pub use catalog::{
    AirbyteCatalog, AirbyteStream, ConfiguredAirbyteCatalog, ConfiguredAirbyteStream,
    DestinationCatalog, DestinationOperation, DestinationSyncMode, SyncMode,
};
pub use control::{AirbyteControlConnectorConfigMessage, AirbyteControlMessage, ControlType};
pub use error::Error;
pub use log::{AirbyteConnectionStatus, AirbyteLogMessage, ConnectionStatus, LogLevel};
pub use message::{AirbyteMessage, MessageType};
pub use raw::{JsonObject, RawJson};
pub use reader::{DEFAULT_MAX_LINE_BYTES, Envelope, MessageReader, RawLine, RecordRef};
pub use record::{
    AirbyteRecordMessage, AirbyteRecordMessageFileReference, AirbyteRecordMessageMeta,
    AirbyteRecordMessageMetaChange, ChangeReason, ChangeType,
};
pub use spec::{
    AdvancedAuth, AuthFlowType, AuthSpecification, AuthType, ConnectorSpecification,
    OAuth2Specification, OAuthConfigSpecification, OAuthConnectorInputSpecification,
    OAuthStateRange, PathSegment,
};
pub use state::{
    AirbyteGlobalState, AirbyteStateMessage, AirbyteStateStats, AirbyteStateType,
    AirbyteStreamState, StreamDescriptor,
};
pub use trace::{
    AirbyteAnalyticsTraceMessage, AirbyteErrorTraceMessage, AirbyteEstimateTraceMessage,
    AirbyteStreamStatus, AirbyteStreamStatusRateLimitedReason, AirbyteStreamStatusReason,
    AirbyteStreamStatusTraceMessage, AirbyteTraceMessage, EstimateType, FailureType,
    StreamStatusReasonType, TraceType,
};
pub use wire::Extra;
pub use writer::MessageWriter;
