//! A source whose spec is known only at run time (as a manifest engine's):
//! its spec is printed as given, it validates the config, and the secrets
//! it names beyond the spec are masked.

use airbyte_sdk::protocol::{AirbyteCatalog, ConnectionStatus, ConnectorSpecification, JsonObject};
use airbyte_sdk::testkit::{TestDir, run_source};
use airbyte_sdk::{Error, Source};
use serde_json::{Value, json};

/// Its spec says `host` is required and `token` is secret; `inner.key` is
/// a secret too, which only `extra_secrets` knows of (as the spec of a
/// manifest that arrives inside the config).
struct RunTimeSource;

#[airbyte_sdk::async_trait]
impl Source for RunTimeSource {
    type Config = Value;

    fn run_time_spec(&self) -> Option<ConnectorSpecification> {
        let schema = json!({
            "type": "object", "required": ["host"],
            "properties": {"host": {"type": "string"}, "token": {"type": "string", "airbyte_secret": true}}
        });
        let mut spec = ConnectorSpecification::new(JsonObject::from_serialize(&schema).ok()?);
        spec.documentation_url = Some("https://example.com/run-time".into());
        Some(spec)
    }

    fn extra_secrets(&self, config: &Value) -> Vec<String> {
        config["inner"]["key"]
            .as_str()
            .map(str::to_owned)
            .into_iter()
            .collect()
    }

    async fn check(&self, config: &Value) -> Result<(), Error> {
        airbyte_sdk::tracing::info!("checking {config}");
        Ok(())
    }

    async fn discover(&self, _config: &Value) -> Result<AirbyteCatalog, Error> {
        Ok(AirbyteCatalog::new(Vec::new()))
    }
}

#[tokio::test]
async fn the_run_time_spec_is_printed_as_given() {
    let out = run_source(RunTimeSource, &["spec"]).await;
    assert_eq!(out.exit_code, 0);
    let spec = out.spec().expect("a spec");
    assert_eq!(
        spec.documentation_url.as_deref(),
        Some("https://example.com/run-time")
    );
    assert_eq!(
        spec.connection_specification.to_map()["required"],
        json!(["host"])
    );
    // Not the schema of `Value` (which would allow anything).
    assert!(spec.supports_incremental.is_none(), "{}", out.stdout);
}

#[tokio::test]
async fn the_run_time_spec_validates_the_config_and_masks_every_secret() {
    let dir = TestDir::new("run-time-spec");
    let bad = dir.write_json("bad.json", &json!({"token": "tok-A1"}));
    let out = run_source(
        RunTimeSource,
        &["check", "--config", bad.to_str().expect("path")],
    )
    .await;
    let status = out.connection_status().expect("a status");
    assert_eq!(status.status, ConnectionStatus::Failed);
    assert!(
        status.message.as_deref().unwrap_or("").contains("host"),
        "{}",
        out.stdout
    );

    let good = dir.write_json(
        "good.json",
        &json!({"host": "h", "token": "tok-A1", "inner": {"key": "inner-Secret-9"}}),
    );
    let out = run_source(
        RunTimeSource,
        &["check", "--config", good.to_str().expect("path")],
    )
    .await;
    assert_eq!(
        out.connection_status().map(|s| s.status),
        Some(ConnectionStatus::Succeeded)
    );
    let logged: Vec<&str> = out.logs().iter().map(|l| l.message.as_str()).collect();
    assert!(
        logged.iter().any(|m| m.contains("\"host\":\"h\"")),
        "{logged:?}"
    );
    assert!(
        !out.stdout.contains("tok-A1"),
        "the spec's secret leaked: {}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("inner-Secret-9"),
        "the extra secret leaked: {}",
        out.stdout
    );
}
