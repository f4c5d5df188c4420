//! GLOBAL-state reads through the SDK's `GlobalStreams` and `GlobalState`:
//! the lifecycle of the default read (statuses, a panic as a TRACE error),
//! GLOBAL states with their record counts, and the checkpoint policy.

use std::time::Duration;

use airbyte_sdk::protocol::{
    AirbyteCatalog, AirbyteStream, AirbyteStreamStatus, ConfiguredAirbyteCatalog, FailureType,
    JsonObject, SyncMode,
};
use airbyte_sdk::source::{
    CheckpointPolicy, GlobalState, InputState, SourceOutput, catch_panic, check_known_streams,
};
use airbyte_sdk::testkit::{Output, TestDir, run_source};
use airbyte_sdk::{Error, Result, Source};
use serde_json::{Value, json};

/// Settings.
#[airbyte_sdk::config]
pub struct Settings {
    /// Changes per stream.
    #[airbyte(order = 0)]
    pub changes: u64,
    /// Panic after this many changes.
    #[airbyte(order = 1)]
    pub panic_after: Option<u64>,
}

struct Cdc;

#[airbyte_sdk::source]
impl Source for Cdc {
    type Config = Settings;

    async fn check(&self, _config: &Settings) -> Result<()> {
        Ok(())
    }

    async fn discover(&self, _config: &Settings) -> Result<AirbyteCatalog> {
        let schema = JsonObject::from_string(r#"{"type":"object"}"#.into())?;
        let stream = |n: &str| AirbyteStream::new(n, schema.clone(), vec![SyncMode::Incremental]);
        Ok(AirbyteCatalog::new(vec![
            stream("a"),
            stream("b"),
            stream("idle"),
        ]))
    }

    async fn read(
        &self,
        config: &Settings,
        catalog: &ConfiguredAirbyteCatalog,
        _state: &InputState,
        out: &SourceOutput,
    ) -> Result<()> {
        check_known_streams(&self.discover(config).await?, catalog)?;
        let descriptors: Vec<_> = catalog
            .streams
            .iter()
            .map(|c| c.stream.descriptor())
            .collect();
        let mut streams = out.global_streams(descriptors.clone())?;
        let initial = descriptors.into_iter().map(|d| (d, None)).collect();
        let mut state = GlobalState::new(out, json!({"position": 0}), initial);
        let outputs = streams.outputs();
        let result = catch_panic("the log", async {
            for position in 1..=config.changes {
                if Some(position) == config.panic_after {
                    panic!("the log ended early");
                }
                // Changes go to the first two configured streams.
                for (i, o) in outputs.iter_mut().enumerate().take(2) {
                    o.record(&json!({"position": position}))?;
                    state.count();
                    state.set_stream(i, json!({"state_type": "cdc"}));
                }
                *state.shared_mut() = json!({"position": position});
                if state.due() {
                    state.emit()?;
                }
            }
            state.finish()
        })
        .await;
        streams.finish(result)
    }

    fn checkpoint_policy(&self) -> CheckpointPolicy {
        CheckpointPolicy {
            records: 4,
            interval: Duration::from_secs(3600),
        }
    }
}

fn read(dir: &TestDir, config: Value, streams: &[&str]) -> Output {
    let config = dir.write_json("config.json", &config).display().to_string();
    let catalog = dir
        .write_json(
            "catalog.json",
            &json!({"streams": streams.iter().map(|n| json!({
                "stream": {"name": n, "json_schema": {}, "supported_sync_modes": ["incremental"]},
                "sync_mode": "incremental", "destination_sync_mode": "append"
            })).collect::<Vec<_>>()}),
        )
        .display()
        .to_string();
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(run_source(
            Cdc,
            &["read", "--config", &config, "--catalog", &catalog],
        ))
}

#[test]
fn global_states_carry_the_position_and_the_records_since_the_last() {
    let dir = TestDir::new("global-ok");
    let out = read(&dir, json!({"changes": 5}), &["a", "b", "idle"]);
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    let states: Vec<(Value, f64)> = out
        .states()
        .iter()
        .map(|s| {
            let global = s.global.as_ref().expect("GLOBAL");
            let shared: Value = global
                .shared_state
                .as_ref()
                .expect("shared")
                .to_map()
                .into();
            (
                shared["position"].clone(),
                s.source_stats
                    .as_ref()
                    .and_then(|st| st.record_count)
                    .expect("count"),
            )
        })
        .collect();
    // Due at 4 records (after position 2, then 4), then the rest at the end.
    assert_eq!(states, [(json!(2), 4.0), (json!(4), 4.0), (json!(5), 2.0)]);
    for name in ["a", "b", "idle"] {
        assert_eq!(
            out.statuses(name),
            [
                AirbyteStreamStatus::Started,
                AirbyteStreamStatus::Running,
                AirbyteStreamStatus::Complete
            ],
            "{name}"
        );
    }
}

#[test]
fn a_panic_is_a_trace_error_and_every_stream_is_incomplete() {
    let dir = TestDir::new("global-panic");
    let out = read(&dir, json!({"changes": 5, "panic_after": 3}), &["a", "b"]);
    assert_eq!(out.exit_code, 1);
    let error = &out.errors()[0];
    assert_eq!(error.failure_type, Some(FailureType::SystemError));
    assert!(
        error.message.contains("the log ended early"),
        "{}",
        error.message
    );
    for name in ["a", "b"] {
        assert_eq!(
            out.statuses(name).last(),
            Some(&AirbyteStreamStatus::Incomplete),
            "{name}"
        );
    }
    assert_eq!(
        out.states().len(),
        1,
        "the state before the panic, no final one"
    );
}

#[test]
fn an_unknown_stream_fails_before_any_status() {
    let dir = TestDir::new("global-unknown");
    let out = read(&dir, json!({"changes": 1}), &["a", "zzz"]);
    assert_eq!(out.exit_code, 1);
    assert_eq!(out.errors()[0].failure_type, Some(FailureType::ConfigError));
    assert!(out.statuses("a").is_empty());
}

/// The GLOBAL state part that is not an object is a system error, not a panic.
#[test]
fn a_shared_state_that_is_no_object_is_an_error() {
    let capture = airbyte_sdk::testkit::CapturedOutput::new();
    let mut state = GlobalState::new(capture.output(), json!(42), Vec::new());
    let error: Error = state.emit().expect_err("not an object");
    assert!(error.to_string().contains("not a JSON object"), "{error}");
}
