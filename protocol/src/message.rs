//! The envelope: one `AirbyteMessage` per line.

use serde::{Deserialize, Serialize};

use crate::catalog::{AirbyteCatalog, DestinationCatalog};
use crate::control::AirbyteControlMessage;
use crate::log::{AirbyteConnectionStatus, AirbyteLogMessage, LogLevel};
use crate::record::AirbyteRecordMessage;
use crate::spec::ConnectorSpecification;
use crate::state::AirbyteStateMessage;
use crate::trace::AirbyteTraceMessage;
use crate::wire::wire_struct;

wire_struct! {
    /// One protocol message (`AirbyteMessage`).
    ///
    /// Only the payload named by `type` is normally set; use
    /// [`AirbyteMessage::check_payload`] to require it. The constructors
    /// (and `From` impls) set `type` and the payload together.
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteMessage, LogLevel, MessageType};
    ///
    /// let msg = AirbyteMessage::log(LogLevel::Info, "hello");
    /// let line = serde_json::to_string(&msg).unwrap();
    /// assert_eq!(line, r#"{"type":"LOG","log":{"level":"INFO","message":"hello"}}"#);
    ///
    /// let back: AirbyteMessage = serde_json::from_str(&line).unwrap();
    /// assert_eq!(back.r#type, MessageType::Log);
    /// assert_eq!(back, msg);
    /// ```
    pub struct AirbyteMessage {
        /// Which payload this message carries.
        "type" => req r#type: MessageType,
        /// For `LOG`.
        "log" => opt log: AirbyteLogMessage,
        /// For `SPEC`.
        "spec" => opt spec: ConnectorSpecification,
        /// For `CONNECTION_STATUS`.
        "connectionStatus" => opt connection_status: AirbyteConnectionStatus,
        /// For `CATALOG`.
        "catalog" => opt catalog: AirbyteCatalog,
        /// For `RECORD`.
        "record" => opt record: AirbyteRecordMessage,
        /// For `STATE`.
        "state" => opt state: AirbyteStateMessage,
        /// For `TRACE`.
        "trace" => opt trace: AirbyteTraceMessage,
        /// For `CONTROL`.
        "control" => opt control: AirbyteControlMessage,
        /// For `DESTINATION_CATALOG`.
        "destination_catalog" => opt destination_catalog: DestinationCatalog,
    }
}

/// The kind of a message (`AirbyteMessage.type`).
///
/// ```
/// use airbyte_protocol::MessageType;
/// assert_eq!(serde_json::to_string(&MessageType::ConnectionStatus).unwrap(), r#""CONNECTION_STATUS""#);
/// assert_eq!(MessageType::ConnectionStatus.payload_key(), "connectionStatus");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageType {
    /// A row.
    Record,
    /// A checkpoint.
    State,
    /// A log line.
    Log,
    /// The connector's spec.
    Spec,
    /// The result of `check`.
    ConnectionStatus,
    /// The result of `discover`.
    Catalog,
    /// An error, estimate, stream status or analytics event.
    Trace,
    /// A message to the orchestrator.
    Control,
    /// A destination's catalog.
    DestinationCatalog,
}

impl MessageType {
    /// Every message type, in schema order.
    pub const ALL: [MessageType; 9] = [
        MessageType::Record,
        MessageType::State,
        MessageType::Log,
        MessageType::Spec,
        MessageType::ConnectionStatus,
        MessageType::Catalog,
        MessageType::Trace,
        MessageType::Control,
        MessageType::DestinationCatalog,
    ];

    /// The wire spelling, e.g. `"CONNECTION_STATUS"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageType::Record => "RECORD",
            MessageType::State => "STATE",
            MessageType::Log => "LOG",
            MessageType::Spec => "SPEC",
            MessageType::ConnectionStatus => "CONNECTION_STATUS",
            MessageType::Catalog => "CATALOG",
            MessageType::Trace => "TRACE",
            MessageType::Control => "CONTROL",
            MessageType::DestinationCatalog => "DESTINATION_CATALOG",
        }
    }

    /// The key of the payload this type carries, e.g. `"connectionStatus"`.
    pub const fn payload_key(self) -> &'static str {
        match self {
            MessageType::Record => "record",
            MessageType::State => "state",
            MessageType::Log => "log",
            MessageType::Spec => "spec",
            MessageType::ConnectionStatus => "connectionStatus",
            MessageType::Catalog => "catalog",
            MessageType::Trace => "trace",
            MessageType::Control => "control",
            MessageType::DestinationCatalog => "destination_catalog",
        }
    }
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AirbyteMessage {
    /// A message of `type` with no payload; the constructors below fill one in.
    pub fn empty(r#type: MessageType) -> Self {
        AirbyteMessage {
            r#type,
            log: None,
            spec: None,
            connection_status: None,
            catalog: None,
            record: None,
            state: None,
            trace: None,
            control: None,
            destination_catalog: None,
            extra: Default::default(),
        }
    }

    /// A `LOG` message.
    pub fn log(level: LogLevel, message: impl Into<String>) -> Self {
        AirbyteLogMessage::new(level, message).into()
    }

    /// Whether the payload named by `type` is present.
    pub fn has_payload(&self) -> bool {
        match self.r#type {
            MessageType::Record => self.record.is_some(),
            MessageType::State => self.state.is_some(),
            MessageType::Log => self.log.is_some(),
            MessageType::Spec => self.spec.is_some(),
            MessageType::ConnectionStatus => self.connection_status.is_some(),
            MessageType::Catalog => self.catalog.is_some(),
            MessageType::Trace => self.trace.is_some(),
            MessageType::Control => self.control.is_some(),
            MessageType::DestinationCatalog => self.destination_catalog.is_some(),
        }
    }

    /// `Ok(self)` if the payload named by `type` is present.
    pub fn check_payload(self) -> Result<Self, crate::Error> {
        if self.has_payload() {
            Ok(self)
        } else {
            Err(crate::Error::MissingPayload {
                line: None,
                kind: self.r#type,
            })
        }
    }
}

macro_rules! payload_from {
    ($($payload:ty => $variant:ident . $field:ident),* $(,)?) => {$(
        impl From<$payload> for AirbyteMessage {
            fn from(payload: $payload) -> Self {
                AirbyteMessage {
                    $field: Some(payload),
                    ..AirbyteMessage::empty(MessageType::$variant)
                }
            }
        }
    )*};
}

payload_from! {
    AirbyteRecordMessage => Record.record,
    AirbyteStateMessage => State.state,
    AirbyteLogMessage => Log.log,
    ConnectorSpecification => Spec.spec,
    AirbyteConnectionStatus => ConnectionStatus.connection_status,
    AirbyteCatalog => Catalog.catalog,
    AirbyteTraceMessage => Trace.trace,
    AirbyteControlMessage => Control.control,
    DestinationCatalog => DestinationCatalog.destination_catalog,
}
