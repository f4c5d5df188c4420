//! An incremental stream without a cursor is read as a full refresh, with a
//! warning that names it (as Airbyte's Python CDK reads it), while a cursor
//! from the catalog or the source still gives an incremental read.
//!
//! Regression test: PyAirbyte asks for `incremental` on every stream that
//! supports it, and a source failed the whole read on a stream with no cursor.

use airbyte_sdk::protocol::{
    AirbyteCatalog, AirbyteStream, ConfiguredAirbyteStream, JsonObject, LogLevel, SyncMode,
};
use airbyte_sdk::source::{ReadMode, StreamOutput, read_mode};
use airbyte_sdk::testkit::{Output, TestDir, run_source};
use airbyte_sdk::{Error, Source};
use serde_json::{Value, json};

/// No settings.
#[airbyte_sdk::config]
#[derive(Debug)]
pub struct NoConfig {}

/// Streams: `public.film` (incremental, no default cursor), `public.rental`
/// (incremental, default cursor `updated`), `public.view` (full refresh only),
/// `public.feed` (a cursor the source defines without naming it).
struct ModeSource;

fn stream(name: &str, modes: Vec<SyncMode>) -> AirbyteStream {
    let mut s = AirbyteStream::new(name, JsonObject::empty(), modes);
    s.namespace = Some("public".into());
    s
}

#[airbyte_sdk::async_trait]
impl Source for ModeSource {
    type Config = NoConfig;

    async fn check(&self, _config: &NoConfig) -> Result<(), Error> {
        Ok(())
    }

    async fn discover(&self, _config: &NoConfig) -> Result<AirbyteCatalog, Error> {
        let both = || vec![SyncMode::FullRefresh, SyncMode::Incremental];
        let mut rental = stream("rental", both());
        rental.default_cursor_field = Some(vec!["updated".into()]);
        let mut feed = stream("feed", both());
        feed.source_defined_cursor = Some(true);
        Ok(AirbyteCatalog::new(vec![
            stream("film", both()),
            rental,
            stream("view", vec![SyncMode::FullRefresh]),
            feed,
        ]))
    }

    /// One record saying how the SDK handed the stream over.
    async fn read_stream(
        &self,
        _config: &NoConfig,
        stream: &ConfiguredAirbyteStream,
        _state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        let (mode, cursor) = match read_mode(stream) {
            ReadMode::FullRefresh => ("full_refresh", Vec::new()),
            ReadMode::Incremental { cursor } => ("incremental", cursor.to_vec()),
        };
        out.record(&json!({
            "sync_mode": stream.sync_mode,
            "mode": mode,
            "cursor": cursor,
        }))?;
        out.checkpoint_value(&json!({ "done": true }))
    }
}

/// Every stream configured as `incremental`, as PyAirbyte configures them;
/// `cursors` gives a stream its catalog `cursor_field`.
fn read_all_incremental(dir: &TestDir, cursors: &[(&str, &[&str])]) -> (String, String) {
    let config = dir.write_json("config.json", &json!({}));
    let streams: Vec<Value> = [
        ("film", vec!["full_refresh", "incremental"], None),
        ("rental", vec!["full_refresh", "incremental"], Some(["updated"])),
        ("view", vec!["full_refresh"], None),
        ("feed", vec!["full_refresh", "incremental"], None),
    ]
    .iter()
    .map(|(name, modes, default_cursor)| {
        let mut s = json!({
            "stream": {"name": name, "namespace": "public", "json_schema": {}, "supported_sync_modes": modes},
            "sync_mode": "incremental",
            "destination_sync_mode": "append",
        });
        if let Some(c) = default_cursor {
            s["stream"]["default_cursor_field"] = json!(c);
        }
        if *name == "feed" {
            s["stream"]["source_defined_cursor"] = json!(true);
        }
        if let Some((_, c)) = cursors.iter().find(|(n, _)| n == name) {
            s["cursor_field"] = json!(c);
        }
        s
    })
    .collect();
    let catalog = dir.write_json("catalog.json", &json!({ "streams": streams }));
    (config.display().to_string(), catalog.display().to_string())
}

/// stream name → (sync_mode the source saw, its read mode, cursor).
fn seen(out: &Output) -> Vec<(String, Value)> {
    let mut seen: Vec<(String, Value)> = out
        .records()
        .iter()
        .map(|r| (r.stream.clone(), Value::Object(r.data.to_map())))
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    seen
}

fn warnings(out: &Output) -> Vec<String> {
    out.logs()
        .iter()
        .filter(|l| l.level == LogLevel::Warn)
        .map(|l| l.message.clone())
        .collect()
}

#[tokio::test]
async fn incremental_without_a_cursor_is_read_as_a_full_refresh_with_a_warning() {
    let dir = TestDir::new("readmode");
    let (config, catalog) = read_all_incremental(&dir, &[]);
    let out = run_source(
        ModeSource,
        &["read", "--config", &config, "--catalog", &catalog],
    )
    .await;
    assert!(out.success(), "{}", out.stdout);
    assert!(out.errors().is_empty(), "{}", out.stdout);
    assert_eq!(
        seen(&out),
        [
            (
                "feed".to_owned(),
                json!({"sync_mode": "incremental", "mode": "incremental", "cursor": []})
            ),
            (
                "film".to_owned(),
                json!({"sync_mode": "full_refresh", "mode": "full_refresh", "cursor": []})
            ),
            (
                "rental".to_owned(),
                json!({"sync_mode": "incremental", "mode": "incremental", "cursor": ["updated"]})
            ),
            (
                "view".to_owned(),
                json!({"sync_mode": "full_refresh", "mode": "full_refresh", "cursor": []})
            ),
        ]
    );
    let warnings = warnings(&out);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings.iter().any(|w| w.contains("stream `public.film`")
            && w.contains("has no cursor")
            && w.contains("reading it as a full refresh")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("stream `public.view`")
            && w.contains("does not support incremental")
            && w.contains("reading it as a full refresh")),
        "{warnings:?}"
    );
    // Each stream still ends with its state.
    assert_eq!(out.states().len(), 4);
}

#[tokio::test]
async fn a_cursor_from_the_catalog_gives_an_incremental_read() {
    let dir = TestDir::new("readmodecursor");
    // PyAirbyte's `set_cursor_key("film", "last_update")`, and an override of rental's default.
    let (config, catalog) = read_all_incremental(
        &dir,
        &[("film", &["last_update"]), ("rental", &["rented_at"])],
    );
    let out = run_source(
        ModeSource,
        &["read", "--config", &config, "--catalog", &catalog],
    )
    .await;
    assert!(out.success(), "{}", out.stdout);
    let seen = seen(&out);
    assert_eq!(
        seen[1],
        (
            "film".to_owned(),
            json!({"sync_mode": "incremental", "mode": "incremental", "cursor": ["last_update"]})
        )
    );
    assert_eq!(
        seen[2],
        (
            "rental".to_owned(),
            json!({"sync_mode": "incremental", "mode": "incremental", "cursor": ["rented_at"]})
        )
    );
    let warnings = warnings(&out);
    assert!(
        !warnings.iter().any(|w| w.contains("public.film")),
        "{warnings:?}"
    );
}

#[test]
fn read_mode_decisions() {
    let configured = |modes: Vec<SyncMode>, sync: SyncMode| {
        ConfiguredAirbyteStream::new(
            stream("t", modes),
            sync,
            airbyte_sdk::protocol::DestinationSyncMode::Append,
        )
    };
    let both = || vec![SyncMode::FullRefresh, SyncMode::Incremental];
    // A full refresh stays one, even with a cursor.
    let mut s = configured(both(), SyncMode::FullRefresh);
    s.cursor_field = Some(vec!["c".into()]);
    assert_eq!(read_mode(&s), ReadMode::FullRefresh);
    // An empty cursor_field in the catalog falls back to the default cursor.
    let mut s = configured(both(), SyncMode::Incremental);
    s.cursor_field = Some(vec![]);
    s.stream.default_cursor_field = Some(vec!["d".into()]);
    assert_eq!(
        read_mode(&s),
        ReadMode::Incremental {
            cursor: &["d".to_owned()]
        }
    );
    // An empty default cursor is no cursor.
    s.stream.default_cursor_field = Some(vec![]);
    assert_eq!(read_mode(&s), ReadMode::FullRefresh);
    // The catalog's cursor wins over the default.
    s.stream.default_cursor_field = Some(vec!["d".into()]);
    s.cursor_field = Some(vec!["c".into()]);
    assert_eq!(
        read_mode(&s),
        ReadMode::Incremental {
            cursor: &["c".to_owned()]
        }
    );
    // A stream that cannot be read incrementally is read as a full refresh, cursor or not.
    let mut s = configured(vec![SyncMode::FullRefresh], SyncMode::Incremental);
    s.cursor_field = Some(vec!["c".into()]);
    assert_eq!(read_mode(&s), ReadMode::FullRefresh);
}
