//! Records without a namespace go to the configured stream of that name.
//!
//! Regression test: PyAirbyte sends cached records with no namespace, while
//! the catalog it gives the destination keeps the source's (`public`), and
//! the SDK refused them as "not in the configured catalog". As Python
//! destinations do, a record without a namespace goes to the only configured
//! stream of its name; a name that several streams have is a config error that
//! lists them. A record with a namespace still needs the exact stream.

use std::sync::{Arc, Mutex};

use airbyte_sdk::destination::{Batch, StreamPlan, StreamWriter};
use airbyte_sdk::protocol::{FailureType, MessageType};
use airbyte_sdk::testkit::{Output, TestDir, run_destination};
use airbyte_sdk::{Destination, Error};
use serde_json::json;

/// No settings.
#[airbyte_sdk::config]
pub struct NoConfig {}

/// (stream index in the catalog, descriptor, `n`) of every committed record.
type Committed = Arc<Mutex<Vec<(usize, String, i64)>>>;

#[derive(Clone, Default)]
struct Mem {
    committed: Committed,
}

struct MemWriter {
    committed: Committed,
}

#[airbyte_sdk::async_trait]
impl Destination for Mem {
    type Config = NoConfig;
    type Writer = MemWriter;
    async fn check(&self, _config: &NoConfig) -> Result<(), Error> {
        Ok(())
    }
    async fn open(&self, _config: &NoConfig, _plans: &[StreamPlan]) -> Result<MemWriter, Error> {
        Ok(MemWriter {
            committed: self.committed.clone(),
        })
    }
}

#[airbyte_sdk::async_trait]
impl StreamWriter for MemWriter {
    async fn write_batch(&mut self, batch: Batch) -> Result<(), Error> {
        let mut committed = self.committed.lock().expect("lock");
        for r in &batch {
            let n = serde_json::from_str::<serde_json::Value>(r.data()).expect("data")["n"]
                .as_i64()
                .unwrap_or(-1);
            committed.push((batch.stream, batch.descriptor.to_string(), n));
        }
        Ok(())
    }
}

/// A catalog of `(namespace, name)` streams.
fn catalog(dir: &TestDir, streams: &[(Option<&str>, &str)]) -> (String, String) {
    let config = dir.write_json("config.json", &json!({}));
    let streams: Vec<_> = streams
        .iter()
        .map(|(ns, name)| {
            let mut stream = json!({"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]});
            if let Some(ns) = ns {
                stream["namespace"] = json!(ns);
            }
            json!({"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "append"})
        })
        .collect();
    let catalog = dir.write_json("catalog.json", &json!({ "streams": streams }));
    (config.display().to_string(), catalog.display().to_string())
}

fn record(stream: &str, namespace: Option<&str>, n: i64) -> String {
    let ns = namespace
        .map(|ns| format!(r#","namespace":"{ns}""#))
        .unwrap_or_default();
    format!(
        r#"{{"type":"RECORD","record":{{"stream":"{stream}"{ns},"data":{{"n":{n}}},"emitted_at":1}}}}"#
    )
}

fn state(stream: &str, id: i64) -> String {
    format!(
        r#"{{"type":"STATE","state":{{"type":"STREAM","stream":{{"stream_descriptor":{{"name":"{stream}"}},"stream_state":{{"upto":{id}}}}},"id":{id}}}}}"#
    )
}

async fn write(
    mem: &Mem,
    label: &str,
    streams: &[(Option<&str>, &str)],
    lines: &[String],
) -> Output {
    let dir = TestDir::new(label);
    let (config, catalog) = catalog(&dir, streams);
    let mut input = lines.join("\n");
    input.push('\n');
    run_destination(
        mem.clone(),
        &["write", "--config", &config, "--catalog", &catalog],
        input.as_bytes(),
    )
    .await
}

#[tokio::test]
async fn a_record_without_a_namespace_goes_to_the_only_stream_of_its_name() {
    let mem = Mem::default();
    let out = write(
        &mem,
        "nsfallback",
        &[(Some("public"), "payment"), (Some("public"), "film")],
        &[
            record("payment", None, 1),
            record("payment", None, 2),
            record("film", None, 3),
            record("payment", Some("public"), 4),
            state("payment", 7),
            record("film", None, 5),
        ],
    )
    .await;
    assert!(out.success(), "{}", out.stdout);
    assert!(out.errors().is_empty(), "{}", out.stdout);
    let mut committed = mem.committed.lock().expect("lock").clone();
    committed.sort_by_key(|c| c.2);
    assert_eq!(
        committed,
        [
            (0, "public.payment".to_owned(), 1),
            (0, "public.payment".to_owned(), 2),
            (1, "public.film".to_owned(), 3),
            (0, "public.payment".to_owned(), 4),
            (1, "public.film".to_owned(), 5),
        ]
    );
    // The state without a namespace counts the records of `public.payment` before it.
    let echoed: Vec<_> = out
        .messages
        .iter()
        .filter(|m| m.r#type == MessageType::State)
        .collect();
    assert_eq!(echoed.len(), 1, "{}", out.stdout);
    let count = echoed[0]
        .state
        .as_ref()
        .and_then(|s| s.destination_stats.as_ref()?.record_count);
    assert_eq!(count, Some(3.0));
}

#[tokio::test]
async fn an_exact_stream_without_a_namespace_wins_over_other_namespaces() {
    let mem = Mem::default();
    let out = write(
        &mem,
        "nsexact",
        &[(Some("public"), "payment"), (None, "payment")],
        &[
            record("payment", None, 1),
            record("payment", Some("public"), 2),
        ],
    )
    .await;
    assert!(out.success(), "{}", out.stdout);
    let mut committed = mem.committed.lock().expect("lock").clone();
    committed.sort_by_key(|c| c.2);
    assert_eq!(
        committed,
        [
            (1, "payment".to_owned(), 1),
            (0, "public.payment".to_owned(), 2)
        ]
    );
}

#[tokio::test]
async fn an_ambiguous_name_is_a_config_error_listing_the_candidates() {
    let mem = Mem::default();
    let out = write(
        &mem,
        "nsambiguous",
        &[(Some("public"), "payment"), (Some("archive"), "payment")],
        &[record("payment", None, 1)],
    )
    .await;
    assert_eq!(out.exit_code, 1, "{}", out.stdout);
    let errors = out.errors();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    assert_eq!(errors[0].failure_type, Some(FailureType::ConfigError));
    let message = &errors[0].message;
    assert!(
        message.contains("stream `payment` has no namespace")
            && message.contains("`archive.payment`, `public.payment`"),
        "{message}"
    );
    assert!(mem.committed.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn a_record_with_a_namespace_still_needs_the_exact_stream() {
    let mem = Mem::default();
    let out = write(
        &mem,
        "nswrong",
        &[(Some("public"), "payment")],
        &[record("payment", Some("other"), 1)],
    )
    .await;
    assert_eq!(out.exit_code, 1, "{}", out.stdout);
    let errors = out.errors();
    assert!(
        errors[0]
            .message
            .contains("stream `other.payment` which is not in the configured catalog"),
        "{}",
        out.stdout
    );
    assert!(mem.committed.lock().expect("lock").is_empty());
}
