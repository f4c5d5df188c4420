//! CONTROL messages: a connector asks the platform to store a new config.

use serde::{Deserialize, Serialize};

use crate::raw::JsonObject;
use crate::wire::wire_struct;

wire_struct! {
    /// A message to the orchestrator (`AirbyteControlMessage`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteControlMessage, JsonObject};
    /// let c = AirbyteControlMessage::connector_config(
    ///     1_700_000_000_000.0,
    ///     JsonObject::from_string(r#"{"refresh_token":"new"}"#.into()).unwrap(),
    /// );
    /// assert_eq!(
    ///     serde_json::to_string(&c).unwrap(),
    ///     r#"{"type":"CONNECTOR_CONFIG","emitted_at":1700000000000.0,"connectorConfig":{"config":{"refresh_token":"new"}}}"#
    /// );
    /// ```
    pub struct AirbyteControlMessage {
        /// The kind of control message.
        "type" => req r#type: ControlType,
        /// When it was emitted, in ms.
        "emitted_at" => req emitted_at: f64,
        /// The updated config, for `CONNECTOR_CONFIG`.
        "connectorConfig" => opt connector_config: AirbyteControlConnectorConfigMessage,
    }
}

impl AirbyteControlMessage {
    /// A `CONNECTOR_CONFIG` message carrying the updated `config`.
    pub fn connector_config(emitted_at: f64, config: JsonObject) -> Self {
        AirbyteControlMessage {
            r#type: ControlType::ConnectorConfig,
            emitted_at,
            connector_config: Some(AirbyteControlConnectorConfigMessage {
                config,
                extra: Default::default(),
            }),
            extra: Default::default(),
        }
    }
}

/// The kind of a control message (`AirbyteControlMessage.type`).
///
/// ```
/// use airbyte_protocol::ControlType;
/// assert_eq!(serde_json::to_string(&ControlType::ConnectorConfig).unwrap(), r#""CONNECTOR_CONFIG""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ControlType {
    /// The connector's config changed (for example a rotated token).
    ConnectorConfig,
}

wire_struct! {
    /// The config to store (`AirbyteControlConnectorConfigMessage`).
    ///
    /// ```
    /// use airbyte_protocol::AirbyteControlConnectorConfigMessage;
    /// let c: AirbyteControlConnectorConfigMessage = serde_json::from_str(r#"{"config":{"a":1}}"#).unwrap();
    /// assert_eq!(c.config.as_str(), r#"{"a":1}"#);
    /// ```
    pub struct AirbyteControlConnectorConfigMessage {
        /// The config fields to update.
        "config" => req config: JsonObject,
    }
}
