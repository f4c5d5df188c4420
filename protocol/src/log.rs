//! LOG messages and CONNECTION_STATUS.

use serde::{Deserialize, Serialize};

use crate::wire::wire_struct;

wire_struct! {
    /// A log line for the platform (`AirbyteLogMessage`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteLogMessage, LogLevel};
    /// let log = AirbyteLogMessage::new(LogLevel::Info, "reading users");
    /// assert_eq!(serde_json::to_string(&log).unwrap(), r#"{"level":"INFO","message":"reading users"}"#);
    /// ```
    pub struct AirbyteLogMessage {
        /// The level.
        "level" => req level: LogLevel,
        /// The text.
        "message" => req message: String,
        /// A stack trace, when the log reports an exception.
        "stack_trace" => opt stack_trace: String,
    }
}

impl AirbyteLogMessage {
    /// A log line at `level`.
    pub fn new(level: LogLevel, message: impl Into<String>) -> Self {
        AirbyteLogMessage {
            level,
            message: message.into(),
            stack_trace: None,
            extra: Default::default(),
        }
    }
}

/// A log level (`AirbyteLogMessage.level`).
///
/// ```
/// use airbyte_protocol::LogLevel;
/// assert_eq!(serde_json::to_string(&LogLevel::Warn).unwrap(), r#""WARN""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LogLevel {
    /// Unrecoverable.
    Fatal,
    /// An error.
    Error,
    /// A warning.
    Warn,
    /// Information.
    Info,
    /// Debugging detail.
    Debug,
    /// Fine-grained tracing.
    Trace,
}

wire_struct! {
    /// The answer to `check` (`AirbyteConnectionStatus`).
    ///
    /// ```
    /// use airbyte_protocol::AirbyteConnectionStatus;
    /// let s = AirbyteConnectionStatus::failed("password authentication failed for user \"app\"");
    /// assert_eq!(
    ///     serde_json::to_string(&s).unwrap(),
    ///     r#"{"status":"FAILED","message":"password authentication failed for user \"app\""}"#
    /// );
    /// ```
    pub struct AirbyteConnectionStatus {
        /// Whether the connection works.
        "status" => req status: ConnectionStatus,
        /// What is wrong, for a failure.
        "message" => opt message: String,
    }
}

impl AirbyteConnectionStatus {
    /// A success.
    pub fn succeeded() -> Self {
        AirbyteConnectionStatus {
            status: ConnectionStatus::Succeeded,
            message: None,
            extra: Default::default(),
        }
    }

    /// A failure explained by `message`.
    pub fn failed(message: impl Into<String>) -> Self {
        AirbyteConnectionStatus {
            status: ConnectionStatus::Failed,
            message: Some(message.into()),
            extra: Default::default(),
        }
    }
}

/// The outcome of `check` (`AirbyteConnectionStatus.status`).
///
/// ```
/// use airbyte_protocol::ConnectionStatus;
/// assert_eq!(serde_json::to_string(&ConnectionStatus::Succeeded).unwrap(), r#""SUCCEEDED""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionStatus {
    /// The connection works.
    Succeeded,
    /// It does not.
    Failed,
}
