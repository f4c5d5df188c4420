//! The source entrypoint: exact traces, statuses and exit codes.

use airbyte_sdk::protocol::{
    AirbyteCatalog, AirbyteStream, AirbyteStreamStatus, ConfiguredAirbyteStream, FailureType,
    JsonObject, SyncMode,
};
use airbyte_sdk::source::StreamOutput;
use airbyte_sdk::testkit::{Output, TestDir, run_source};
use airbyte_sdk::{Error, Source};
use serde_json::json;

/// A small source for entrypoint tests.
#[airbyte_sdk::config]
#[derive(Debug)]
pub struct TestConfig {
    /// Rows per stream.
    #[airbyte(order = 0)]
    pub rows: u32,
    /// A token.
    #[airbyte(order = 1, secret)]
    pub token: String,
    /// What `check` and `read` do: "ok", "system", "panic".
    #[airbyte(order = 2, default = "ok")]
    pub behavior: String,
}

struct TestSource;

#[airbyte_sdk::async_trait]
impl Source for TestSource {
    type Config = TestConfig;

    async fn check(&self, config: &TestConfig) -> Result<(), Error> {
        match config.behavior.as_str() {
            "system" => Err(Error::system("check blew up")),
            "config" => Err(Error::config("wrong token")),
            _ => Ok(()),
        }
    }

    async fn discover(&self, _config: &TestConfig) -> Result<AirbyteCatalog, Error> {
        let schema = JsonObject::from_string(
            r#"{"type":"object","properties":{"n":{"type":"integer"}}}"#.into(),
        )?;
        Ok(AirbyteCatalog::new(vec![
            AirbyteStream::new("alpha", schema.clone(), vec![SyncMode::FullRefresh]),
            AirbyteStream::new("beta", schema, vec![SyncMode::FullRefresh]),
        ]))
    }

    async fn read_stream(
        &self,
        config: &TestConfig,
        stream: &ConfiguredAirbyteStream,
        _state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        for n in 0..config.rows {
            out.record(&json!({ "n": n }))?;
        }
        if stream.stream.name == "beta" && config.behavior == "panic" {
            panic!("beta exploded with token {}", config.token);
        }
        out.checkpoint_value(&json!({ "done": true }))
    }
}

const TOKEN: &str = "tok-Secret-123";

fn files(dir: &TestDir, config: serde_json::Value) -> (String, String) {
    let config = dir.write_json("config.json", &config);
    let catalog = dir.write_json(
        "catalog.json",
        &json!({"streams": (["alpha", "beta"]).iter().map(|n| json!({
            "stream": {"name": n, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
            "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"
        })).collect::<Vec<_>>()}),
    );
    (config.display().to_string(), catalog.display().to_string())
}

async fn read(dir: &TestDir, config: serde_json::Value, extra: &[&str]) -> Output {
    let (config, catalog) = files(dir, config);
    let mut args = vec!["read", "--config", &config, "--catalog", &catalog];
    args.extend_from_slice(extra);
    run_source(TestSource, &args).await
}

fn only_error(out: &Output) -> (&str, FailureType) {
    let errors = out.errors();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    (
        errors[0].message.as_str(),
        errors[0].failure_type.expect("failure type"),
    )
}

#[tokio::test]
async fn a_good_read_has_statuses_and_counted_states() {
    let dir = TestDir::new("good");
    let out = read(&dir, json!({"rows": 3, "token": TOKEN}), &[]).await;
    assert!(out.success(), "{}", out.stdout);
    for stream in ["alpha", "beta"] {
        assert_eq!(
            out.statuses(stream),
            [
                AirbyteStreamStatus::Started,
                AirbyteStreamStatus::Running,
                AirbyteStreamStatus::Complete
            ]
        );
    }
    let states = out.states();
    assert_eq!(states.len(), 2);
    for s in states {
        assert_eq!(
            s.source_stats.as_ref().and_then(|s| s.record_count),
            Some(3.0)
        );
    }
    assert_eq!(out.records().len(), 6);
}

#[tokio::test]
async fn invalid_config_fails_check_with_exit_0_and_read_with_a_config_error() {
    let dir = TestDir::new("invalid");
    let (config, _) = files(&dir, json!({"rows": "many", "token": TOKEN}));
    let out = run_source(TestSource, &["check", "--config", &config]).await;
    assert_eq!(out.exit_code, 0);
    let status = out.connection_status().expect("status");
    assert_eq!(
        status.status,
        airbyte_sdk::protocol::ConnectionStatus::Failed
    );
    assert!(
        status
            .message
            .as_deref()
            .unwrap_or("")
            .contains("Config validation error: `/rows`"),
        "{status:?}"
    );
    let out = read(&dir, json!({"rows": "many", "token": TOKEN}), &[]).await;
    assert_eq!(out.exit_code, 1);
    let (message, kind) = only_error(&out);
    assert_eq!(kind, FailureType::ConfigError);
    assert!(message.contains("`/rows`"), "{message}");
    let out = read(&dir, json!({"rows": 1}), &[]).await;
    let (message, _) = only_error(&out);
    assert!(
        message.contains("\"token\" is a required property"),
        "{message}"
    );
}

#[tokio::test]
async fn check_failures() {
    let dir = TestDir::new("check");
    let (config, _) = files(
        &dir,
        json!({"rows": 1, "token": TOKEN, "behavior": "config"}),
    );
    let out = run_source(TestSource, &["check", "--config", &config]).await;
    assert_eq!(
        (
            out.exit_code,
            out.connection_status().map(|s| s.message.clone())
        ),
        (0, Some(Some("wrong token".into())))
    );
    let (config, _) = files(
        &dir,
        json!({"rows": 1, "token": TOKEN, "behavior": "system"}),
    );
    let out = run_source(TestSource, &["check", "--config", &config]).await;
    assert_eq!(out.exit_code, 1);
    assert!(
        out.connection_status().is_none(),
        "a bug gives a trace, not a status"
    );
    assert_eq!(
        only_error(&out),
        ("check blew up", FailureType::SystemError)
    );
    let missing = dir.path().join("missing.json").display().to_string();
    let out = run_source(TestSource, &["check", "--config", &missing]).await;
    assert_eq!(out.exit_code, 0);
    assert!(
        out.connection_status()
            .and_then(|s| s.message.clone())
            .unwrap_or_default()
            .contains("cannot read the config file")
    );
}

#[tokio::test]
async fn bad_catalog_is_a_config_error() {
    let dir = TestDir::new("catalog");
    let (config, _) = files(&dir, json!({"rows": 1, "token": TOKEN}));
    let bad = dir.write_json("bad.json", &json!({"streams": [{"stream": {"name": "__AIRBYTE__stream_that_does_not_exist", "json_schema": {}, "supported_sync_modes": ["full_refresh"]}, "sync_mode": "INVALID", "destination_sync_mode": "INVALID"}]}));
    let out = run_source(
        TestSource,
        &[
            "read",
            "--config",
            &config,
            "--catalog",
            bad.to_str().expect("path"),
        ],
    )
    .await;
    assert_eq!(out.exit_code, 1);
    let (message, kind) = only_error(&out);
    assert_eq!(kind, FailureType::ConfigError);
    assert!(
        message.contains("is not a valid configured catalog: unknown variant `INVALID`"),
        "{message}"
    );
    let text = dir.write_text("text.json", "{not json");
    let out = run_source(
        TestSource,
        &[
            "read",
            "--config",
            &config,
            "--catalog",
            text.to_str().expect("path"),
        ],
    )
    .await;
    assert!(only_error(&out).0.contains("is not valid JSON"));
}

#[tokio::test]
async fn bad_state_is_a_config_error() {
    let dir = TestDir::new("state");
    for (state, expected) in [
        (
            json!("a string"),
            "must hold a JSON array of state messages, not a string",
        ),
        (
            json!([{"type": "STREAM"}]),
            "element 0 has type Stream but not its payload",
        ),
        (
            json!([{"type": "PER_STREAM", "stream": {}}]),
            "element 0 is not a valid state message",
        ),
    ] {
        let path = dir.write_json("state.json", &state);
        let out = read(
            &dir,
            json!({"rows": 1, "token": TOKEN}),
            &["--state", path.to_str().expect("path")],
        )
        .await;
        assert_eq!(out.exit_code, 1);
        let (message, kind) = only_error(&out);
        assert_eq!(kind, FailureType::ConfigError);
        assert!(message.contains(expected), "{message}");
    }
}

#[tokio::test]
async fn an_unknown_stream_is_named_in_a_config_error() {
    let dir = TestDir::new("unknown");
    let (config, _) = files(&dir, json!({"rows": 1, "token": TOKEN}));
    let catalog = dir.write_json("c.json", &json!({"streams": [{"stream": {"name": "gamma", "namespace": "x", "json_schema": {}, "supported_sync_modes": ["full_refresh"]}, "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}));
    let out = run_source(
        TestSource,
        &[
            "read",
            "--config",
            &config,
            "--catalog",
            catalog.to_str().expect("path"),
        ],
    )
    .await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(
        only_error(&out),
        (
            "The configured catalog has stream(s) `x.gamma` that this source does not have. Available streams: `alpha`, `beta`.",
            FailureType::ConfigError
        )
    );
    assert!(out.records().is_empty());
}

#[tokio::test]
async fn a_panic_in_read_is_a_system_error_and_the_stream_gets_no_final_state() {
    let dir = TestDir::new("panic");
    let out = read(
        &dir,
        json!({"rows": 2, "token": TOKEN, "behavior": "panic"}),
        &[],
    )
    .await;
    assert_eq!(out.exit_code, 1);
    let (message, kind) = only_error(&out);
    assert_eq!(kind, FailureType::SystemError);
    assert_eq!(
        message,
        "the connector panicked while reading stream `beta`: beta exploded with token **********"
    );
    assert_eq!(
        out.errors()[0]
            .stream_descriptor
            .as_ref()
            .map(|d| d.name.as_str()),
        Some("beta")
    );
    assert_eq!(
        out.statuses("beta"),
        [
            AirbyteStreamStatus::Started,
            AirbyteStreamStatus::Running,
            AirbyteStreamStatus::Incomplete
        ]
    );
    assert_eq!(
        out.statuses("alpha").last(),
        Some(&AirbyteStreamStatus::Complete)
    );
    let stream_states: Vec<_> = out
        .states()
        .iter()
        .filter_map(|s| s.stream.as_ref())
        .map(|s| s.stream_descriptor.name.clone())
        .collect();
    assert_eq!(stream_states, ["alpha"]);
    assert!(!out.stdout.contains(TOKEN));
}

#[tokio::test]
async fn help_and_version() {
    let out = run_source(TestSource, &["--help"]).await;
    assert_eq!(out.exit_code, 0);
    for command in ["spec", "check", "discover", "read", "write"] {
        assert!(out.stdout.contains(command), "{}", out.stdout);
    }
    let out = run_source(TestSource, &["--version"]).await;
    assert_eq!(
        (out.exit_code, out.stdout.trim()),
        (0, "test-connector 0.0.0")
    );
    let out = run_source(TestSource, &["frobnicate"]).await;
    assert_eq!(out.exit_code, 2);
}
