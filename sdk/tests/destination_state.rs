//! The destination runtime: state echo after commit, in order, unchanged.

use std::sync::{Arc, Mutex};

use airbyte_sdk::destination::{Batch, BatchLimits, StreamPlan, StreamWriter};
use airbyte_sdk::protocol::{AirbyteMessage, FailureType, MessageType};
use airbyte_sdk::testkit::{TestDir, run_destination};
use airbyte_sdk::{Destination, Error};
use serde_json::json;

/// A destination that records what it committed.
#[airbyte_sdk::config]
pub struct MemConfig {
    /// Fail the batch that contains a record with this `n`.
    #[airbyte(order = 0)]
    pub fail_at: Option<i64>,
}

#[derive(Clone, Default)]
struct Mem {
    committed: Arc<Mutex<Vec<i64>>>,
}

struct MemWriter {
    committed: Arc<Mutex<Vec<i64>>>,
    fail_at: Option<i64>,
}

#[airbyte_sdk::async_trait]
impl Destination for Mem {
    type Config = MemConfig;
    type Writer = MemWriter;
    async fn check(&self, _config: &MemConfig) -> Result<(), Error> {
        Ok(())
    }
    async fn open(&self, config: &MemConfig, _plans: &[StreamPlan]) -> Result<MemWriter, Error> {
        Ok(MemWriter {
            committed: self.committed.clone(),
            fail_at: config.fail_at,
        })
    }
    fn batch_limits(&self) -> BatchLimits {
        BatchLimits {
            records: 3,
            bytes: 1 << 20,
            ..BatchLimits::default()
        }
    }
}

#[airbyte_sdk::async_trait]
impl StreamWriter for MemWriter {
    async fn write_batch(&mut self, batch: Batch) -> Result<(), Error> {
        let ns: Vec<i64> = batch
            .iter()
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(r.data()).expect("data")["n"]
                    .as_i64()
                    .unwrap_or(-1)
            })
            .collect();
        if ns.iter().any(|n| Some(*n) == self.fail_at) {
            return Err(Error::from(std::io::Error::other("disk full")));
        }
        self.committed.lock().expect("lock").extend(ns);
        Ok(())
    }
}

fn record(stream: &str, n: i64) -> String {
    format!(
        r#"{{"type":"RECORD","record":{{"stream":"{stream}","data":{{"n":{n}}},"emitted_at":1}}}}"#
    )
}

fn state(stream: &str, id: i64) -> String {
    format!(
        r#"{{"type":"STATE","state":{{"type":"STREAM","stream":{{"stream_descriptor":{{"name":"{stream}"}},"stream_state":{{"upto":{id},"big":1234567890123456789012345678901234567890.5}}}},"sourceStats":{{"recordCount":2.0}},"id":{id},"platform_extra":{{"k":[1,null]}}}},"envelope_extra":true}}"#
    )
}

fn setup(dir: &TestDir, config: serde_json::Value) -> (String, String) {
    let config = dir.write_json("config.json", &config);
    let catalog = dir.write_json(
        "catalog.json",
        &json!({"streams": (["a", "b"]).iter().map(|n| json!({
            "stream": {"name": n, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
            "sync_mode": "full_refresh", "destination_sync_mode": "append"
        })).collect::<Vec<_>>()}),
    );
    (config.display().to_string(), catalog.display().to_string())
}

#[tokio::test]
async fn states_are_echoed_identical_in_order_after_their_records() {
    let dir = TestDir::new("echo");
    let (config, catalog) = setup(&dir, json!({}));
    let mut input = Vec::new();
    let mut n = 0;
    for id in 1..=4 {
        for _ in 0..(id * 2) {
            input.push(record(if n % 2 == 0 { "a" } else { "b" }, n));
            n += 1;
        }
        input.push(state(if id % 2 == 0 { "a" } else { "b" }, id));
    }
    // Non-JSON lines and TRACE messages are tolerated.
    input.insert(1, "this is not json".to_owned());
    input.push(r#"{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1.0,"stream_status":{"stream_descriptor":{"name":"a"},"status":"COMPLETE"}}}"#.to_owned());
    input.push(record("a", n));
    let stdin = input.join("\n");
    let mem = Mem::default();
    let out = run_destination(
        mem.clone(),
        &["write", "--config", &config, "--catalog", &catalog],
        stdin.as_bytes(),
    )
    .await;
    assert!(out.success(), "{}", out.stdout);
    let committed = mem.committed.lock().expect("lock").clone();
    assert_eq!(committed.len() as i64, n + 1, "every record committed");
    let echoed: Vec<&AirbyteMessage> = out
        .messages
        .iter()
        .filter(|m| m.r#type == MessageType::State)
        .collect();
    assert_eq!(echoed.len(), 4);
    for (i, message) in echoed.iter().enumerate() {
        let id = i as i64 + 1;
        let mut expected: AirbyteMessage =
            serde_json::from_str(&state(if id % 2 == 0 { "a" } else { "b" }, id)).expect("state");
        // The echo is the input plus destinationStats, nothing else.
        let stats = message
            .state
            .as_ref()
            .and_then(|s| s.destination_stats.clone())
            .expect("destinationStats");
        expected.state.as_mut().expect("state").destination_stats = Some(stats);
        assert_eq!(**message, expected);
        let line = serde_json::to_string(message).expect("json");
        assert!(
            line.contains(r#""id":"#)
                && line.contains("1234567890123456789012345678901234567890.5")
                && line.contains(r#""envelope_extra":true"#),
            "{line}"
        );
    }
    // destinationStats counts the records of that stream committed since its previous state.
    let counts: Vec<f64> = echoed
        .iter()
        .map(|m| {
            m.state
                .as_ref()
                .and_then(|s| s.destination_stats.as_ref()?.record_count)
                .unwrap_or(-1.0)
        })
        .collect();
    assert_eq!(counts, [1.0, 3.0, 5.0, 7.0]);
    assert!(
        out.logs()
            .iter()
            .any(|l| l.message.contains("this is not json"))
    );
}

#[tokio::test]
async fn a_write_error_fails_the_sync_after_echoing_only_committed_states() {
    let dir = TestDir::new("ioerr");
    let (config, catalog) = setup(&dir, json!({"fail_at": 7}));
    let mut input = Vec::new();
    for n in 0..10 {
        input.push(record("a", n));
        if n % 2 == 1 {
            input.push(state("a", n));
        }
    }
    let mem = Mem::default();
    let out = run_destination(
        mem.clone(),
        &["write", "--config", &config, "--catalog", &catalog],
        input.join("\n").as_bytes(),
    )
    .await;
    assert_eq!(out.exit_code, 1);
    let errors = out.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].failure_type, Some(FailureType::TransientError));
    assert_eq!(
        errors[0]
            .stream_descriptor
            .as_ref()
            .map(|d| d.name.as_str()),
        Some("a")
    );
    let committed = mem.committed.lock().expect("lock").clone();
    let echoed: Vec<i64> = out
        .states()
        .iter()
        .filter_map(|s| s.extra.get_as::<i64>("id").ok().flatten())
        .collect();
    // Records 0..=5 were committed in batches of three; the batch with 7 failed.
    assert_eq!(echoed, [1, 3, 5]);
    assert_eq!(committed, [0, 1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_malformed_line_fails_the_sync_with_a_system_error() {
    let dir = TestDir::new("malformed");
    let (config, catalog) = setup(&dir, json!({}));
    let input = [
        record("a", 1),
        state("a", 1),
        r#"{"type":"RECORD","record":{"stream":"a""#.to_owned(),
        record("a", 2),
    ]
    .join("\n");
    let mem = Mem::default();
    let out = run_destination(
        mem.clone(),
        &["write", "--config", &config, "--catalog", &catalog],
        input.as_bytes(),
    )
    .await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(
        out.states().len(),
        1,
        "the state before the bad line is echoed"
    );
    let error = out.errors()[0];
    assert_eq!(error.failure_type, Some(FailureType::SystemError));
    assert!(
        error
            .internal_message
            .as_deref()
            .unwrap_or("")
            .contains("line 3 is not valid JSON"),
        "{error:?}"
    );
    assert_eq!(*mem.committed.lock().expect("lock"), [1]);
}

#[tokio::test]
async fn a_record_for_an_unknown_stream_fails_the_sync() {
    let dir = TestDir::new("unknownstream");
    let (config, catalog) = setup(&dir, json!({}));
    let out = run_destination(
        Mem::default(),
        &["write", "--config", &config, "--catalog", &catalog],
        record("zzz", 1).as_bytes(),
    )
    .await;
    assert_eq!(out.exit_code, 1);
    assert!(
        out.errors()[0]
            .message
            .contains("stream `zzz` which is not in the configured catalog")
    );
}
