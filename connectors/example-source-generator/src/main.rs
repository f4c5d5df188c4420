//! An example source: deterministic rows in two streams, `users` and
//! `purchases`, both readable in full refresh or incrementally by `updated_at`.

use airbyte_sdk::protocol::{
    AirbyteCatalog, AirbyteStream, ConfiguredAirbyteStream, JsonObject, SyncMode,
};
use airbyte_sdk::source::{CursorValue, StreamOutput};
use airbyte_sdk::{Error, Source};

/// Generates deterministic rows, for tests and demos.
#[airbyte_sdk::config]
#[derive(Debug)]
pub struct GeneratorConfig {
    /// How many rows each stream has.
    #[airbyte(order = 0, default = 100)]
    pub count: u64,
    /// An API key, unused but marked secret, to show that secrets are masked.
    #[airbyte(order = 1, secret)]
    pub api_key: Option<String>,
    /// Fail the `check` with a config error (to test failure paths).
    #[airbyte(order = 2, default = false)]
    pub fail_check: bool,
    /// For tests: make reading `users` fail with an `error` or a `panic`, or `check` fail with `check`.
    #[airbyte(order = 3, hidden)]
    pub test_failure: Option<String>,
}

/// The generator source.
#[derive(Default)]
pub struct Generator;

const STREAMS: [&str; 2] = ["users", "purchases"];

/// 2024-01-01T00:00:00Z plus `i` minutes, as RFC 3339.
fn timestamp(i: u64) -> String {
    let minutes = i % 60;
    let hours = (i / 60) % 24;
    let days = i / 1440;
    format!(
        "2024-{:02}-{:02}T{hours:02}:{minutes:02}:00Z",
        1 + (days / 28) % 12,
        1 + days % 28
    )
}

fn schema(stream: &str) -> JsonObject {
    let text = match stream {
        "users" => {
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"},"email":{"type":["null","string"]},"updated_at":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"}}}"#
        }
        _ => {
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"id":{"type":"integer"},"user_id":{"type":"integer"},"amount":{"type":"number"},"updated_at":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"}}}"#
        }
    };
    JsonObject::from_string(text.to_owned()).unwrap_or_default()
}

fn write_row(stream: &str, i: u64, out: &mut StreamOutput) -> Result<(), Error> {
    let updated_at = timestamp(i);
    if stream == "users" {
        let email = (!i.is_multiple_of(5)).then(|| format!("user{i}@example.com"));
        out.record(&airbyte_sdk::serde_json::json!({
            "id": i, "name": format!("User {i}"), "email": email, "updated_at": updated_at,
        }))
    } else {
        // An exact decimal, written as a raw JSON number.
        let data = format!(
            r#"{{"id":{i},"user_id":{},"amount":{}.{:02},"updated_at":"{updated_at}"}}"#,
            i % 7,
            1 + i * 3 % 97,
            i % 100
        );
        let raw = airbyte_sdk::serde_json::value::RawValue::from_string(data)?;
        out.record_json(&raw)
    }
}

#[airbyte_sdk::async_trait]
impl Source for Generator {
    type Config = GeneratorConfig;

    async fn check(&self, config: &GeneratorConfig) -> Result<(), Error> {
        // Logging the whole config is a classic mistake: the SDK masks the secret.
        airbyte_sdk::tracing::info!("checking with {config:?}");
        if config.fail_check {
            return Err(Error::config("fail_check is set"));
        }
        if config.test_failure.as_deref() == Some("check") {
            return Err(Error::system("test failure requested in check"));
        }
        Ok(())
    }

    async fn discover(&self, _config: &GeneratorConfig) -> Result<AirbyteCatalog, Error> {
        let streams = STREAMS
            .iter()
            .map(|name| {
                let mut s = AirbyteStream::new(
                    *name,
                    schema(name),
                    vec![SyncMode::FullRefresh, SyncMode::Incremental],
                );
                s.source_defined_primary_key = Some(vec![vec!["id".into()]]);
                s.default_cursor_field = Some(vec!["updated_at".into()]);
                s.is_resumable = Some(true);
                s
            })
            .collect();
        Ok(AirbyteCatalog::new(streams))
    }

    async fn read_stream(
        &self,
        config: &GeneratorConfig,
        stream: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        let name = stream.stream.name.as_str();
        if name == "users" {
            match config.test_failure.as_deref() {
                Some("panic") => panic!("test failure requested with {config:?}"),
                Some("error") => {
                    return Err(Error::transient(format!(
                        "test failure requested with {config:?}"
                    )));
                }
                _ => {}
            }
        }
        let incremental = stream.sync_mode == SyncMode::Incremental;
        // The saved cursor: rows at or before it were read already.
        let saved = match (incremental, state) {
            (true, Some(s)) => s
                .to_map()
                .get("updated_at")
                .and_then(|v| v.as_str())
                .and_then(CursorValue::timestamp),
            _ => None,
        };
        let mut cursor = saved.clone();
        for i in 0..config.count {
            let value = CursorValue::timestamp(&timestamp(i));
            if saved.is_some() && value <= saved {
                continue;
            }
            write_row(name, i, out)?;
            cursor = value;
            if out.should_checkpoint() {
                checkpoint(out, &cursor)?;
            }
        }
        checkpoint(out, &cursor)
    }
}

fn checkpoint(out: &mut StreamOutput, cursor: &Option<CursorValue>) -> Result<(), Error> {
    let updated_at = match cursor {
        Some(CursorValue::Timestamp(t)) => Some(t.clone()),
        _ => None,
    };
    out.checkpoint_value(&airbyte_sdk::serde_json::json!({ "updated_at": updated_at }))
}

airbyte_sdk::source_main!(Generator);
