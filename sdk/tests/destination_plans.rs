//! The plans the SDK hands to `Destination::open`, and what it refuses
//! before `open` is called: a sync mode the destination does not list, and
//! `append_dedup` without a primary key.

use std::sync::{Arc, Mutex};

use airbyte_sdk::destination::{Batch, CdcDeletion, LogicalType, StreamPlan, StreamWriter};
use airbyte_sdk::protocol::{DestinationSyncMode, FailureType};
use airbyte_sdk::testkit::{Output, TestDir, run_destination};
use airbyte_sdk::{Destination, Error, SpecOptions};
use serde_json::{Value, json};

/// No settings.
#[airbyte_sdk::config]
pub struct NoConfig {}

/// Keeps the plans it was opened with; lists `modes` as supported.
#[derive(Clone)]
struct Planned {
    modes: Option<Vec<DestinationSyncMode>>,
    opened: Arc<Mutex<Option<Vec<StreamPlan>>>>,
}

impl Planned {
    fn new(modes: Option<Vec<DestinationSyncMode>>) -> Self {
        Planned {
            modes,
            opened: Arc::default(),
        }
    }

    fn plans(&self) -> Option<Vec<StreamPlan>> {
        self.opened.lock().expect("lock").clone()
    }
}

struct Nothing;

#[airbyte_sdk::async_trait]
impl Destination for Planned {
    type Config = NoConfig;
    type Writer = Nothing;
    fn spec_options(&self) -> SpecOptions {
        SpecOptions {
            supported_destination_sync_modes: self.modes.clone(),
            ..SpecOptions::default()
        }
    }
    async fn check(&self, _config: &NoConfig) -> Result<(), Error> {
        Ok(())
    }
    async fn open(&self, _config: &NoConfig, plans: &[StreamPlan]) -> Result<Nothing, Error> {
        *self.opened.lock().expect("lock") = Some(plans.to_vec());
        Ok(Nothing)
    }
}

#[airbyte_sdk::async_trait]
impl StreamWriter for Nothing {
    async fn write_batch(&mut self, _batch: Batch) -> Result<(), Error> {
        Ok(())
    }
}

/// Runs `write` with the configured `streams` and no input.
async fn write(destination: Planned, name: &str, streams: Vec<Value>) -> Output {
    let dir = TestDir::new(name);
    let config = dir.write_json("config.json", &json!({}));
    let catalog = dir.write_json("catalog.json", &json!({ "streams": streams }));
    run_destination(
        destination,
        &[
            "write",
            "--config",
            config.to_str().expect("path"),
            "--catalog",
            catalog.to_str().expect("path"),
        ],
        b"",
    )
    .await
}

fn stream(name: &str, namespace: Option<&str>, mode: &str, extra: Value) -> Value {
    let mut s = json!({
        "stream": {"name": name, "json_schema": {"type": "object", "properties": {
            "id": {"type": "integer"},
            "updated": {"type": "string", "format": "date-time"},
            "_ab_cdc_deleted_at": {"type": ["null", "string"]},
            "_airbyte_raw_id": {"type": "string"}
        }}, "supported_sync_modes": ["full_refresh", "incremental"]},
        "sync_mode": "incremental",
        "destination_sync_mode": mode,
    });
    if let Some(ns) = namespace {
        s["stream"]["namespace"] = json!(ns);
    }
    if let (Some(s), Some(extra)) = (s.as_object_mut(), extra.as_object()) {
        s.extend(extra.clone());
    }
    s
}

/// The one error of a failed run: its failure type and message.
fn error(out: &Output) -> (Option<FailureType>, String) {
    assert_eq!(out.exit_code, 1, "{}", out.stdout);
    let errors = out.errors();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    (errors[0].failure_type, errors[0].message.clone())
}

#[tokio::test]
async fn an_unsupported_sync_mode_is_a_config_error_naming_the_stream() {
    let destination = Planned::new(Some(vec![
        DestinationSyncMode::Append,
        DestinationSyncMode::Overwrite,
    ]));
    let out = write(
        destination.clone(),
        "plan-mode",
        vec![
            stream("fine", None, "append", json!({})),
            stream(
                "keyed",
                Some("crm"),
                "append_dedup",
                json!({"primary_key": [["id"]]}),
            ),
        ],
    )
    .await;
    let (failure, message) = error(&out);
    assert_eq!(failure, Some(FailureType::ConfigError));
    assert!(
        message.contains("stream `crm.keyed`: sync mode append_dedup is not supported by this destination (it supports append, overwrite)"),
        "{message}"
    );
    assert!(destination.plans().is_none(), "open is never called");
    let errors = out.errors();
    let descriptor = errors[0].stream_descriptor.as_ref().expect("the stream");
    assert_eq!(
        (descriptor.name.as_str(), descriptor.namespace.as_deref()),
        ("keyed", Some("crm"))
    );
}

#[tokio::test]
async fn append_dedup_without_a_primary_key_is_a_config_error() {
    let destination = Planned::new(Some(vec![DestinationSyncMode::AppendDedup]));
    let out = write(
        destination.clone(),
        "plan-pk",
        vec![stream(
            "nokey",
            None,
            "append_dedup",
            json!({"primary_key": []}),
        )],
    )
    .await;
    let (failure, message) = error(&out);
    assert_eq!(failure, Some(FailureType::ConfigError));
    assert!(
        message.contains("stream `nokey` is append_dedup but has no primary key"),
        "{message}"
    );
    assert!(destination.plans().is_none(), "open is never called");
}

#[tokio::test]
async fn open_receives_one_checked_plan_per_stream() {
    let destination = Planned::new(Some(vec![
        DestinationSyncMode::Append,
        DestinationSyncMode::Overwrite,
        DestinationSyncMode::AppendDedup,
    ]));
    let out = write(
        destination.clone(),
        "plan-ok",
        vec![
            stream("a", None, "overwrite", json!({"generation_id": 2, "minimum_generation_id": 2, "sync_id": 5})),
            stream(
                "b",
                Some("ns"),
                "append_dedup",
                json!({"primary_key": [["id"]], "cursor_field": ["updated"], "generation_id": 3, "minimum_generation_id": 1}),
            ),
        ],
    )
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    let plans = destination.plans().expect("opened");
    assert_eq!(plans.len(), 2);
    let (a, b) = (&plans[0], &plans[1]);
    assert_eq!(
        (a.index, a.mode, a.sync_id),
        (0, DestinationSyncMode::Overwrite, Some(5))
    );
    assert!(a.truncates() && !a.removes_old_generations());
    assert_eq!((b.index, b.descriptor.to_string()), (1, "ns.b".to_owned()));
    assert!(!b.truncates() && b.removes_old_generations());
    assert_eq!(b.minimum_generation_id, 1);
    assert_eq!(b.primary_key, [vec!["id".to_owned()]]);
    assert_eq!(b.dedup_order().cursor(), Some(&["updated".to_owned()][..]));
    assert!(b.hard_deletes(CdcDeletion::Hard) && !a.hard_deletes(CdcDeletion::Hard));
    let columns: Vec<(&str, LogicalType)> =
        b.columns.iter().map(|c| (c.name.as_str(), c.ty)).collect();
    assert_eq!(
        columns,
        [
            ("_ab_cdc_deleted_at", LogicalType::String),
            ("id", LogicalType::Integer),
            ("updated", LogicalType::TimestampWithTimezone),
        ]
    );
    assert_eq!(b.configured().generation_id, Some(3));
}

#[tokio::test]
async fn a_destination_that_lists_no_modes_gets_every_mode() {
    let destination = Planned::new(None);
    let out = write(
        destination.clone(),
        "plan-any",
        vec![stream("u", None, "update", json!({}))],
    )
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    assert_eq!(
        destination.plans().expect("opened")[0].mode,
        DestinationSyncMode::Update
    );
}
