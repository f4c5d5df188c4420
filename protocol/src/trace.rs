//! TRACE messages: errors, estimates, stream statuses and analytics.

use serde::{Deserialize, Serialize};

use crate::state::StreamDescriptor;
use crate::wire::wire_struct;

wire_struct! {
    /// A trace (`AirbyteTraceMessage`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteTraceMessage, AirbyteErrorTraceMessage, FailureType};
    /// let t = AirbyteTraceMessage::error(
    ///     1_700_000_000_000.0,
    ///     AirbyteErrorTraceMessage::new("Config is invalid", FailureType::ConfigError),
    /// );
    /// assert_eq!(
    ///     serde_json::to_string(&t).unwrap(),
    ///     r#"{"type":"ERROR","emitted_at":1700000000000.0,"error":{"message":"Config is invalid","failure_type":"config_error"}}"#
    /// );
    /// ```
    pub struct AirbyteTraceMessage {
        /// The kind of trace.
        "type" => req r#type: TraceType,
        /// When it was emitted, in ms (a JSON number, as the schema says).
        "emitted_at" => req emitted_at: f64,
        /// The error, for `ERROR`.
        "error" => opt error: AirbyteErrorTraceMessage,
        /// The estimate, for `ESTIMATE`.
        "estimate" => opt estimate: AirbyteEstimateTraceMessage,
        /// The stream status, for `STREAM_STATUS`.
        "stream_status" => opt stream_status: AirbyteStreamStatusTraceMessage,
        /// The event, for `ANALYTICS`.
        "analytics" => opt analytics: AirbyteAnalyticsTraceMessage,
    }
}

impl AirbyteTraceMessage {
    fn empty(r#type: TraceType, emitted_at: f64) -> Self {
        AirbyteTraceMessage {
            r#type,
            emitted_at,
            error: None,
            estimate: None,
            stream_status: None,
            analytics: None,
            extra: Default::default(),
        }
    }

    /// An `ERROR` trace.
    pub fn error(emitted_at: f64, error: AirbyteErrorTraceMessage) -> Self {
        AirbyteTraceMessage {
            error: Some(error),
            ..Self::empty(TraceType::Error, emitted_at)
        }
    }

    /// An `ESTIMATE` trace.
    pub fn estimate(emitted_at: f64, estimate: AirbyteEstimateTraceMessage) -> Self {
        AirbyteTraceMessage {
            estimate: Some(estimate),
            ..Self::empty(TraceType::Estimate, emitted_at)
        }
    }

    /// A `STREAM_STATUS` trace.
    pub fn stream_status(emitted_at: f64, status: AirbyteStreamStatusTraceMessage) -> Self {
        AirbyteTraceMessage {
            stream_status: Some(status),
            ..Self::empty(TraceType::StreamStatus, emitted_at)
        }
    }

    /// An `ANALYTICS` trace.
    pub fn analytics(emitted_at: f64, analytics: AirbyteAnalyticsTraceMessage) -> Self {
        AirbyteTraceMessage {
            analytics: Some(analytics),
            ..Self::empty(TraceType::Analytics, emitted_at)
        }
    }
}

/// The kind of a trace (`AirbyteTraceMessage.type`).
///
/// ```
/// use airbyte_protocol::TraceType;
/// assert_eq!(serde_json::to_string(&TraceType::StreamStatus).unwrap(), r#""STREAM_STATUS""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TraceType {
    /// A failure.
    Error,
    /// A guess at the size of the sync.
    Estimate,
    /// A stream changed status.
    StreamStatus,
    /// A usage event.
    Analytics,
}

wire_struct! {
    /// An error (`AirbyteErrorTraceMessage`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteErrorTraceMessage, FailureType};
    /// let e = AirbyteErrorTraceMessage::new("Could not reach host", FailureType::TransientError);
    /// assert_eq!(e.failure_type, Some(FailureType::TransientError));
    /// ```
    pub struct AirbyteErrorTraceMessage {
        /// A message for the user.
        "message" => req message: String,
        /// The underlying error, for developers.
        "internal_message" => opt internal_message: String,
        /// A stack trace or error chain.
        "stack_trace" => opt stack_trace: String,
        /// Whose fault it is.
        "failure_type" => opt failure_type: FailureType,
        /// The stream that failed, if known.
        "stream_descriptor" => opt stream_descriptor: StreamDescriptor,
    }
}

impl AirbyteErrorTraceMessage {
    /// An error with a user message and a failure type.
    pub fn new(message: impl Into<String>, failure_type: FailureType) -> Self {
        AirbyteErrorTraceMessage {
            message: message.into(),
            internal_message: None,
            stack_trace: None,
            failure_type: Some(failure_type),
            stream_descriptor: None,
            extra: Default::default(),
        }
    }
}

/// Whose fault an error is (`AirbyteErrorTraceMessage.failure_type`).
///
/// ```
/// use airbyte_protocol::FailureType;
/// assert_eq!(serde_json::to_string(&FailureType::ConfigError).unwrap(), r#""config_error""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureType {
    /// A bug or an unexpected condition in the connector.
    SystemError,
    /// The user's configuration is wrong; retrying will not help.
    ConfigError,
    /// A passing condition; a retry may succeed.
    TransientError,
}

wire_struct! {
    /// A guess at how much a sync will produce (`AirbyteEstimateTraceMessage`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteEstimateTraceMessage, EstimateType};
    /// let e = AirbyteEstimateTraceMessage::stream("film", Some(1000), None);
    /// assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"name":"film","type":"STREAM","row_estimate":1000}"#);
    /// ```
    pub struct AirbyteEstimateTraceMessage {
        /// The stream name.
        "name" => req name: String,
        /// Per stream or for the whole sync.
        "type" => req r#type: EstimateType,
        /// The stream namespace.
        "namespace" => opt namespace: String,
        /// Rows expected.
        "row_estimate" => opt row_estimate: i64,
        /// Bytes expected.
        "byte_estimate" => opt byte_estimate: i64,
    }
}

impl AirbyteEstimateTraceMessage {
    /// A per-stream estimate.
    pub fn stream(name: impl Into<String>, rows: Option<i64>, bytes: Option<i64>) -> Self {
        AirbyteEstimateTraceMessage {
            name: name.into(),
            r#type: EstimateType::Stream,
            namespace: None,
            row_estimate: rows,
            byte_estimate: bytes,
            extra: Default::default(),
        }
    }
}

/// The scope of an estimate (`AirbyteEstimateTraceMessage.type`).
///
/// ```
/// use airbyte_protocol::EstimateType;
/// assert_eq!(serde_json::to_string(&EstimateType::Sync).unwrap(), r#""SYNC""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EstimateType {
    /// For one stream.
    Stream,
    /// For the whole sync.
    Sync,
}

wire_struct! {
    /// A stream changed status (`AirbyteStreamStatusTraceMessage`).
    ///
    /// ```
    /// use airbyte_protocol::{AirbyteStreamStatusTraceMessage, AirbyteStreamStatus, StreamDescriptor};
    /// let s = AirbyteStreamStatusTraceMessage::new(StreamDescriptor::new("film"), AirbyteStreamStatus::Complete);
    /// assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"stream_descriptor":{"name":"film"},"status":"COMPLETE"}"#);
    /// ```
    pub struct AirbyteStreamStatusTraceMessage {
        /// The stream.
        "stream_descriptor" => req stream_descriptor: StreamDescriptor,
        /// Its new status.
        "status" => req status: AirbyteStreamStatus,
        /// Why, such as a rate limit.
        "reasons" => opt reasons: Vec<AirbyteStreamStatusReason>,
    }
}

impl AirbyteStreamStatusTraceMessage {
    /// A status with no reasons.
    pub fn new(stream_descriptor: StreamDescriptor, status: AirbyteStreamStatus) -> Self {
        AirbyteStreamStatusTraceMessage {
            stream_descriptor,
            status,
            reasons: None,
            extra: Default::default(),
        }
    }
}

/// The status of a stream in a sync (`AirbyteStreamStatus`).
///
/// ```
/// use airbyte_protocol::AirbyteStreamStatus;
/// assert_eq!(serde_json::to_string(&AirbyteStreamStatus::Incomplete).unwrap(), r#""INCOMPLETE""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AirbyteStreamStatus {
    /// The stream started; no data read yet.
    Started,
    /// The stream read its first data.
    Running,
    /// The stream finished without error.
    Complete,
    /// The stream stopped on an error or interruption.
    Incomplete,
}

wire_struct! {
    /// Why a stream has its status (`AirbyteStreamStatusReason`).
    ///
    /// ```
    /// use airbyte_protocol::AirbyteStreamStatusReason;
    /// let r = AirbyteStreamStatusReason::rate_limited(Some(1_700_000_060_000));
    /// assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"type":"RATE_LIMITED","rate_limited":{"quota_reset":1700000060000}}"#);
    /// ```
    pub struct AirbyteStreamStatusReason {
        /// The kind of reason.
        "type" => req r#type: StreamStatusReasonType,
        /// Rate-limit details.
        "rate_limited" => opt rate_limited: AirbyteStreamStatusRateLimitedReason,
    }
}

impl AirbyteStreamStatusReason {
    /// A rate limit, with the time in ms at which the quota resets.
    pub fn rate_limited(quota_reset: Option<i64>) -> Self {
        AirbyteStreamStatusReason {
            r#type: StreamStatusReasonType::RateLimited,
            rate_limited: Some(AirbyteStreamStatusRateLimitedReason {
                quota_reset,
                extra: Default::default(),
            }),
            extra: Default::default(),
        }
    }
}

/// The kind of a stream status reason (`AirbyteStreamStatusReasonType`).
///
/// ```
/// use airbyte_protocol::StreamStatusReasonType;
/// assert_eq!(serde_json::to_string(&StreamStatusReasonType::RateLimited).unwrap(), r#""RATE_LIMITED""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamStatusReasonType {
    /// The API rate limit was hit.
    RateLimited,
}

wire_struct! {
    /// Rate-limit details (`AirbyteStreamStatusRateLimitedReason`).
    ///
    /// ```
    /// use airbyte_protocol::AirbyteStreamStatusRateLimitedReason;
    /// let r: AirbyteStreamStatusRateLimitedReason = serde_json::from_str(r#"{"quota_reset":5}"#).unwrap();
    /// assert_eq!(r.quota_reset, Some(5));
    /// ```
    #[derive(Default)]
    pub struct AirbyteStreamStatusRateLimitedReason {
        /// When the quota resets, in ms since the epoch.
        "quota_reset" => opt quota_reset: i64,
    }
}

wire_struct! {
    /// A usage event specific to the connector (`AirbyteAnalyticsTraceMessage`).
    ///
    /// ```
    /// use airbyte_protocol::AirbyteAnalyticsTraceMessage;
    /// let a: AirbyteAnalyticsTraceMessage = serde_json::from_str(r#"{"type":"cursor-indexed","value":"2"}"#).unwrap();
    /// assert_eq!(a.value.as_deref(), Some("2"));
    /// ```
    pub struct AirbyteAnalyticsTraceMessage {
        /// A static event name.
        "type" => req r#type: String,
        /// The payload.
        "value" => opt value: String,
    }
}
