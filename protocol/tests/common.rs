//! Helpers shared by the protocol tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The valid corpus, one message per line.
pub const VALID: &str = include_str!("corpus/valid.jsonl");
/// Lines the official models reject.
pub const INVALID: &str = include_str!("corpus/invalid.jsonl");

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Number tokens outside strings, in order of appearance.
pub fn number_tokens(json: &str) -> Vec<String> {
    let bytes = json.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                out.push(json[start..i].to_owned());
            }
            _ => i += 1,
        }
    }
    out
}

/// Removes every `null`-valued object key, recursively.
pub fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// One message of every kind, built with the crate's constructors.
pub fn sample_messages() -> Vec<(&'static str, airbyte_protocol::AirbyteMessage)> {
    use airbyte_protocol::*;
    let obj = |s: &str| JsonObject::from_string(s.to_owned()).expect("object");
    let mut record = AirbyteRecordMessage::new(
        "payment",
        obj(r#"{"payment_id":1,"amount":12345678901234567890123456789012345678.99,"note":"é"}"#),
        1_700_000_000_000,
    );
    record.namespace = Some("public".into());
    record.meta = Some(AirbyteRecordMessageMeta {
        changes: Some(vec![AirbyteRecordMessageMetaChange::new(
            "note",
            ChangeType::Truncated,
            ChangeReason::SourceFieldSizeLimitation,
        )]),
        ..Default::default()
    });
    let mut stream_state = AirbyteStateMessage::stream(
        StreamDescriptor::new("payment").with_namespace("public"),
        obj(r#"{"cursor":"2007-02-15","cursor_record_count":1}"#),
    );
    stream_state.source_stats = Some(AirbyteStateStats::records(3));
    stream_state
        .extra
        .insert("id", RawJson::from_serialize(&42).expect("id"));
    let mut global = AirbyteStateMessage::global(
        Some(obj(r#"{"lsn":23896935}"#)),
        vec![AirbyteStreamState {
            stream_descriptor: StreamDescriptor::new("actor"),
            stream_state: Some(obj("{}")),
            extra: Extra::new(),
        }],
    );
    global.destination_stats = Some(AirbyteStateStats::records(12));
    let legacy = AirbyteStateMessage::legacy(obj(r#"{"actor":{"cursor":5}}"#));
    let mut spec = ConnectorSpecification::new(obj(
        r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","required":["host"],"properties":{"host":{"type":"string","order":0},"password":{"type":"string","airbyte_secret":true,"order":1}}}"#,
    ));
    spec.documentation_url = Some("https://docs.example.com/source".into());
    spec.supported_destination_sync_modes = Some(vec![
        DestinationSyncMode::Append,
        DestinationSyncMode::Overwrite,
        DestinationSyncMode::AppendDedup,
    ]);
    let mut stream = AirbyteStream::new(
        "payment",
        obj(r#"{"type":"object","properties":{"payment_id":{"type":"integer"}}}"#),
        vec![SyncMode::FullRefresh, SyncMode::Incremental],
    );
    stream.namespace = Some("public".into());
    stream.source_defined_primary_key = Some(vec![vec!["payment_id".into()]]);
    stream.default_cursor_field = Some(vec!["payment_date".into()]);
    stream.is_resumable = Some(true);
    let mut error = AirbyteErrorTraceMessage::new(
        "Could not connect to the database",
        FailureType::ConfigError,
    );
    error.internal_message = Some("connection refused".into());
    error.stream_descriptor = Some(StreamDescriptor::new("payment"));
    let mut rate_limited = AirbyteStreamStatusTraceMessage::new(
        StreamDescriptor::new("payment"),
        AirbyteStreamStatus::Running,
    );
    rate_limited.reasons = Some(vec![AirbyteStreamStatusReason::rate_limited(Some(
        1_700_000_060_000,
    ))]);
    let analytics = AirbyteAnalyticsTraceMessage {
        r#type: "cursor-indexed".into(),
        value: Some("2".into()),
        extra: Extra::new(),
    };
    let destination_catalog = DestinationCatalog {
        operations: vec![DestinationOperation {
            object_name: "Contact".into(),
            sync_mode: DestinationSyncMode::Update,
            json_schema: obj(r#"{"type":"object"}"#),
            matching_keys: Some(vec![vec!["Email".into()]]),
            extra: Extra::new(),
        }],
        extra: Extra::new(),
    };
    let t = 1_700_000_000_000.0;
    vec![
        ("record", record.into()),
        ("state_stream", stream_state.into()),
        ("state_global", global.into()),
        ("state_legacy", legacy.into()),
        (
            "log",
            AirbyteMessage::log(LogLevel::Warn, "slow query: 12 s"),
        ),
        ("spec", spec.into()),
        (
            "connection_status_succeeded",
            AirbyteConnectionStatus::succeeded().into(),
        ),
        (
            "connection_status_failed",
            AirbyteConnectionStatus::failed("password authentication failed").into(),
        ),
        ("catalog", AirbyteCatalog::new(vec![stream]).into()),
        ("trace_error", AirbyteTraceMessage::error(t, error).into()),
        (
            "trace_estimate",
            AirbyteTraceMessage::estimate(
                t,
                AirbyteEstimateTraceMessage::stream("payment", Some(16049), Some(1_000_000)),
            )
            .into(),
        ),
        (
            "trace_stream_status",
            AirbyteTraceMessage::stream_status(t, rate_limited).into(),
        ),
        (
            "trace_analytics",
            AirbyteTraceMessage::analytics(t, analytics).into(),
        ),
        (
            "control",
            AirbyteControlMessage::connector_config(t, obj(r#"{"refresh_token":"rotated"}"#))
                .into(),
        ),
        ("destination_catalog", destination_catalog.into()),
    ]
}
