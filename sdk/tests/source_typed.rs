//! Typed streams end to end: the catalog from record types, typed states
//! read back, `Incremental` at boundaries, the checkpoint policy, and the
//! errors of the default read.

use std::time::Duration;

use airbyte_sdk::protocol::{AirbyteStreamStatus, FailureType};
use airbyte_sdk::source::{CheckpointPolicy, CursorState, Incremental, Records, Stream, Streams};
use airbyte_sdk::testkit::{Output, TestDir, run_source};
use airbyte_sdk::types::{Date, Decimal, TimestampNtz, TimestampTz};
use airbyte_sdk::{Error, Result, Source};
use serde_json::{Value, json};

/// Settings of the test source.
#[airbyte_sdk::config]
pub struct Settings {
    /// The cursor values of `events`, in order.
    #[airbyte(order = 0)]
    pub seqs: Vec<i64>,
    /// Make `events` fail: "error" or "panic".
    #[airbyte(order = 1)]
    pub fail: Option<String>,
}

/// An event.
#[airbyte_sdk::record]
pub struct Event {
    /// The key.
    id: i64,
    /// The cursor.
    seq: i64,
    /// An exact amount.
    amount: Decimal,
    /// When, with a zone.
    at: TimestampTz,
    /// When, on the wall clock.
    local: Option<TimestampNtz>,
    /// The day.
    day: Date,
    /// Free text.
    #[serde(rename = "Note")]
    note: Option<String>,
}

struct Events {
    seqs: Vec<i64>,
    fail: Option<String>,
}

impl Stream for Events {
    type Record = Event;
    type State = CursorState<i64>;
    const PRIMARY_KEY: &[&str] = &["id"];
    const CURSOR: Option<&str> = Some("seq");

    async fn read(&self, state: Option<Self::State>, out: &mut Records<'_, Self>) -> Result<()> {
        match self.fail.as_deref() {
            Some("panic") => panic!("events exploded"),
            Some("error") => return Err(Error::transient("the API is down")),
            _ => {}
        }
        let mut cursor = Incremental::from_state(state.as_ref());
        for (i, &seq) in self.seqs.iter().enumerate() {
            let event = Event {
                id: i as i64,
                seq,
                amount: Decimal::new(i128::from(seq) * 100 + 5, 2),
                at: TimestampTz::from_unix(1_700_000_000 + seq, 0),
                local: None,
                day: Date::from_days(19_000 + seq)?,
                note: (i % 2 == 0).then(|| format!("event {i}")),
            };
            cursor.emit(out, Some(&seq), &event)?;
        }
        cursor.checkpoint(out)
    }
}

/// A second stream, with no state.
#[airbyte_sdk::record]
pub struct Tag {
    /// Its name.
    name: String,
}

struct Tags;

impl Stream for Tags {
    type Record = Tag;
    type State = airbyte_sdk::source::NoState;

    async fn read(&self, _state: Option<Self::State>, out: &mut Records<'_, Self>) -> Result<()> {
        out.record(&Tag { name: "a".into() })
    }
}

struct Typed;

#[airbyte_sdk::source]
impl Source for Typed {
    type Config = Settings;

    async fn check(&self, _config: &Settings) -> Result<()> {
        Ok(())
    }

    async fn streams(&self, config: &Settings) -> Result<Streams> {
        let events = Events {
            seqs: config.seqs.clone(),
            fail: config.fail.clone(),
        };
        Ok(Streams::new()
            .with("events", events)
            .with_namespaced("meta", "tags", Tags))
    }

    fn checkpoint_policy(&self) -> CheckpointPolicy {
        CheckpointPolicy {
            records: 2,
            interval: Duration::from_secs(3600),
        }
    }
}

fn run(args: &[&str]) -> Output {
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(run_source(Typed, args))
}

fn catalog(dir: &TestDir, mode: &str, with_tags: bool) -> String {
    let mut streams = vec![json!({
        "stream": {"name": "events", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
        "sync_mode": mode, "cursor_field": ["seq"], "destination_sync_mode": "append"
    })];
    if with_tags {
        streams.push(json!({
            "stream": {"name": "tags", "namespace": "meta", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
            "sync_mode": "full_refresh", "destination_sync_mode": "append"
        }));
    }
    dir.write_json(
        &format!("catalog-{mode}.json"),
        &json!({ "streams": streams }),
    )
    .display()
    .to_string()
}

fn read(dir: &TestDir, config: Value, mode: &str, state: Option<Value>) -> Output {
    let config = dir.write_json("config.json", &config).display().to_string();
    let catalog = catalog(dir, mode, true);
    let mut args = vec!["read", "--config", &config, "--catalog", &catalog];
    let state_path;
    if let Some(state) = state {
        state_path = dir.write_json("state.json", &state).display().to_string();
        args.extend(["--state", &state_path]);
    }
    run(&args)
}

fn event_states(out: &Output) -> Vec<Value> {
    out.states()
        .iter()
        .filter_map(|s| s.stream.as_ref())
        .filter(|s| s.stream_descriptor.name == "events")
        .map(|s| s.stream_state.as_ref().expect("a state").to_map().into())
        .collect()
}

#[test]
fn discover_derives_the_catalog_from_the_record_types() {
    let dir = TestDir::new("typed-discover");
    let config = dir.write_json("config.json", &json!({"seqs": []}));
    let out = run(&["discover", "--config", config.to_str().expect("path")]);
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    let catalog = out.catalog().expect("a catalog");
    let events = &catalog.streams[0];
    let schema = events.json_schema.to_map();
    let props = &schema["properties"];
    assert_eq!(
        props["id"],
        json!({"type": "integer", "description": "The key."})
    );
    assert_eq!(props["amount"]["type"], "number");
    assert_eq!(props["at"]["airbyte_type"], "timestamp_with_timezone");
    assert_eq!(props["local"]["airbyte_type"], "timestamp_without_timezone");
    assert_eq!(props["local"]["type"], json!(["string", "null"]));
    assert_eq!(props["day"]["format"], "date");
    assert!(props.get("Note").is_some(), "serde renames apply: {props}");
    assert_eq!(
        events.source_defined_primary_key,
        Some(vec![vec!["id".to_owned()]])
    );
    assert_eq!(events.default_cursor_field, Some(vec!["seq".to_owned()]));
    assert_eq!(events.source_defined_cursor, Some(true));
    let tags = &catalog.streams[1];
    assert_eq!(tags.namespace.as_deref(), Some("meta"));
    assert_eq!(
        tags.supported_sync_modes.len(),
        1,
        "no cursor: full refresh only"
    );
    insta::assert_snapshot!(
        "typed_catalog",
        serde_json::to_string_pretty(catalog).expect("json")
    );
}

#[test]
fn incremental_reads_checkpoint_at_boundaries_and_resume() {
    let dir = TestDir::new("typed-incremental");
    let seqs = json!({"seqs": [1, 1, 1, 2, 3, 3]});
    let out = read(&dir, seqs.clone(), "incremental", None);
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    assert_eq!(out.records_by_stream()["events"].len(), 6);
    let states = event_states(&out);
    // Due after 2 records (the policy), but never inside the run of 1s.
    let positions: Vec<(Value, Value)> = states
        .iter()
        .map(|s| (s["cursor"].clone(), s["cursor_record_count"].clone()))
        .collect();
    assert_eq!(positions, [(json!(1), json!(3)), (json!(3), json!(2))]);
    assert_eq!(states[1]["cursor_field"], json!(["seq"]));
    let record: Value = serde_json::from_str(out.records()[0].data.as_str()).expect("json");
    assert_eq!(
        record["amount"].to_string(),
        "1.05",
        "exact digits: {record}"
    );
    assert_eq!(record["day"], "2022-01-09", "day 19,001 since 1970");

    // The next sync: one more record at 3 and a new one at 4.
    let final_states = serde_json::to_value(out.final_states()).expect("json");
    let more = read(
        &dir,
        json!({"seqs": [1, 1, 1, 2, 3, 3, 3, 4]}),
        "incremental",
        Some(final_states.clone()),
    );
    assert_eq!(more.exit_code, 0, "{}", more.stdout);
    let seqs_read: Vec<i64> = more.records_by_stream()["events"]
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(r.data.as_str()).expect("json")["seq"]
                .as_i64()
                .expect("seq")
        })
        .collect();
    // `Incremental` without a tie count starts after the saved value.
    assert_eq!(seqs_read, [4]);

    // A full refresh ignores the state.
    let full = read(&dir, seqs, "full_refresh", Some(final_states));
    assert_eq!(full.records_by_stream()["events"].len(), 6);
}

#[test]
fn a_state_the_stream_did_not_write_is_a_config_error() {
    let dir = TestDir::new("typed-bad-state");
    let state = json!([{"type": "STREAM", "stream": {"stream_descriptor": {"name": "events"}, "stream_state": {"cursor": "not a number"}}}]);
    let out = read(&dir, json!({"seqs": [1]}), "incremental", Some(state));
    assert_eq!(out.exit_code, 1);
    let error = &out.errors()[0];
    assert_eq!(error.failure_type, Some(FailureType::ConfigError));
    assert!(
        error.message.contains("reset the stream"),
        "{}",
        error.message
    );
    assert_eq!(
        out.statuses("events").last(),
        Some(&AirbyteStreamStatus::Incomplete)
    );
    assert_eq!(
        out.statuses("tags").last(),
        Some(&AirbyteStreamStatus::Complete)
    );
}

#[test]
fn a_failing_or_panicking_typed_stream_is_incomplete_and_the_others_complete() {
    for (fail, failure_type) in [
        ("error", FailureType::TransientError),
        ("panic", FailureType::SystemError),
    ] {
        let dir = TestDir::new(&format!("typed-{fail}"));
        let out = read(
            &dir,
            json!({"seqs": [1], "fail": fail}),
            "full_refresh",
            None,
        );
        assert_eq!(out.exit_code, 1, "{fail}");
        assert_eq!(out.errors()[0].failure_type, Some(failure_type), "{fail}");
        assert_eq!(
            out.statuses("events"),
            [
                AirbyteStreamStatus::Started,
                AirbyteStreamStatus::Incomplete
            ],
            "{fail}"
        );
        assert_eq!(
            out.statuses("tags").last(),
            Some(&AirbyteStreamStatus::Complete)
        );
    }
}

#[test]
fn an_unknown_configured_stream_is_a_config_error_naming_it() {
    let dir = TestDir::new("typed-unknown");
    let config = dir
        .write_json("config.json", &json!({"seqs": []}))
        .display()
        .to_string();
    let catalog = dir
        .write_json(
            "catalog.json",
            &json!({"streams": [{"stream": {"name": "nope", "json_schema": {}, "supported_sync_modes": ["full_refresh"]}, "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}),
        )
        .display()
        .to_string();
    let out = run(&["read", "--config", &config, "--catalog", &catalog]);
    assert_eq!(out.exit_code, 1);
    let message = &out.errors()[0].message;
    assert!(
        message.contains("`nope`") && message.contains("`events`"),
        "{message}"
    );
}
