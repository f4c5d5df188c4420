//! Real Python connectors with ours, through our sync runner (`cargo airbyte sync`).
//!
//! - `airbyte-source-faker` (PyPI; `AIRBYTE_TEST_FAKER`, else the `faker` venv)
//!   into destination-postgres: every record arrives, and the states come back
//!   with the platform-style `id`s the runner adds, unchanged.
//! - our sources (example-source-generator, source-postgres) into a destination
//!   written on Python's airbyte-cdk (`tests/python/cdk_jsonl_destination.py`,
//!   run with `AIRBYTE_TEST_CDK_PYTHON`, else the `cdk` venv's Python): every
//!   record arrives, states are echoed and persisted, a second sync resumes.
//!
//! Each Python connector is given to the runner as a wrapper script that also
//! records the messages crossing its pipes. Needs the test server
//! (`scripts/pg.sh start`, `AIRBYTE_TEST_PG_URL`) and the release binaries.

#[path = "python/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use airbyte_sdk::testkit::TestDir;
use serde_json::{Value, json};
use support::*;

/// `cargo airbyte sync` with these connectors and configs (and `extra` flags);
/// returns the runner's summary: stream → (emitted, committed).
fn sync(
    dir: &TestDir,
    source: &Path,
    source_config: &Value,
    destination: &Path,
    destination_config: &Value,
    extra: &[&str],
) -> BTreeMap<String, (u64, u64)> {
    let source_config = dir.write_json("source-config.json", source_config);
    let destination_config = dir.write_json("destination-config.json", destination_config);
    let runner = binary(if cfg!(windows) {
        "cargo-airbyte.exe"
    } else {
        "cargo-airbyte"
    });
    let mut command = Command::new(runner);
    command
        .arg("sync")
        .arg("--source")
        .arg(source)
        .arg("--source-config")
        .arg(&source_config)
        .arg("--destination")
        .arg(destination)
        .arg("--destination-config")
        .arg(&destination_config)
        .arg("--state-file")
        .arg(dir.path().join("state.json"))
        .arg("--no-progress")
        .args(extra)
        .env("DO_NOT_TRACK", "1");
    let out = run(command, Duration::from_secs(600));
    assert_success("cargo airbyte sync", &out);
    let rows = summary(&String::from_utf8_lossy(&out.stdout));
    eprintln!("sync summary (emitted, committed): {rows:?}");
    rows
}

/// The runner's table: `stream emitted committed invalid` lines.
fn summary(stdout: &str) -> BTreeMap<String, (u64, u64)> {
    let mut rows = BTreeMap::new();
    for line in stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [name, emitted, committed, _invalid] = words[..]
            && let (Ok(e), Ok(c)) = (emitted.parse(), committed.parse())
            && name != "total"
        {
            rows.insert(name.to_owned(), (e, c));
        }
    }
    assert!(!rows.is_empty(), "no summary table in:\n{stdout}");
    rows
}

fn of_type<'a>(messages: &'a [Value], kind: &str) -> Vec<&'a Value> {
    messages.iter().filter(|m| m["type"] == kind).collect()
}

/// A state without the keys a destination may add (its stats).
fn without_destination_stats(state: &Value) -> Value {
    let mut s = state.clone();
    if let Some(inner) = s.get_mut("state").and_then(Value::as_object_mut) {
        inner.remove("destinationStats");
    }
    s
}

/// The states the runner forwarded to `name` carry integer ids; `name` echoed
/// every one, in order, unchanged but for its stats. Returns their number.
fn assert_states_echoed_unchanged(dir: &Path, name: &str) -> usize {
    let input = take_recorded(dir, name, "in");
    let output = take_recorded(dir, name, "out");
    let sent = of_type(&input, "STATE");
    let echoed = of_type(&output, "STATE");
    assert!(!sent.is_empty(), "the runner forwarded no state to {name}");
    for s in &sent {
        assert!(
            s["state"]["id"].as_u64().is_some_and(|id| id >= 1),
            "a forwarded state without the runner's integer id: {s}"
        );
    }
    assert_eq!(
        echoed
            .iter()
            .map(|s| without_destination_stats(s))
            .collect::<Vec<_>>(),
        sent.iter()
            .map(|s| without_destination_stats(s))
            .collect::<Vec<_>>(),
        "{name} must echo every state, in order, with its id"
    );
    sent.len()
}

/// The state file: stream name → its saved `stream_state`.
fn saved_states(dir: &TestDir) -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(dir.path().join("state.json")).expect("the state file");
    let states: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    states
        .iter()
        .map(|s| {
            assert!(s.get("id").is_none(), "the runner's id was persisted: {s}");
            assert_eq!(s["type"], "STREAM", "{s}");
            (
                s["stream"]["stream_descriptor"]["name"]
                    .as_str()
                    .expect("a name")
                    .to_owned(),
                s["stream"]["stream_state"].clone(),
            )
        })
        .collect()
}

#[test]
fn faker_into_destination_postgres_moves_every_record_and_gets_its_state_ids_back() {
    let dir = TestDir::new("py-faker");
    let faker = venv_program("AIRBYTE_TEST_FAKER", "faker", "bin/source-faker");
    let source = wrapper(dir.path(), "faker", &[&faker]);
    let destination = wrapper(
        dir.path(),
        "destination-postgres",
        &[&binary("destination-postgres")],
    );
    let db = "python_faker_dst";
    fresh_database(db);
    let mut dst = pg_config(db);
    dst.insert("schema".into(), json!("faker"));
    let summary = sync(
        &dir,
        &source,
        &json!({"count": 1000, "seed": 7, "records_per_slice": 100, "always_updated": false, "parallelism": 1}),
        &destination,
        &Value::Object(dst),
        &[],
    );

    // What faker emitted in this very sync, per stream.
    let emitted = take_recorded(dir.path(), "faker", "out");
    let mut ids: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut last_state: BTreeMap<String, Value> = BTreeMap::new();
    for m in &emitted {
        match m["type"].as_str() {
            Some("RECORD") => ids
                .entry(m["record"]["stream"].as_str().expect("stream").to_owned())
                .or_default()
                .push(m["record"]["data"]["id"].as_i64().expect("an integer id")),
            Some("STATE") => {
                let s = &m["state"]["stream"];
                last_state.insert(
                    s["stream_descriptor"]["name"]
                        .as_str()
                        .expect("name")
                        .to_owned(),
                    s["stream_state"].clone(),
                );
            }
            _ => {}
        }
    }
    assert_eq!(
        ids.keys().collect::<Vec<_>>(),
        ["products", "purchases", "users"]
    );
    assert_eq!(ids["users"].len(), 1000, "faker's count");
    for (stream, ids) in &ids {
        let n = ids.len() as u64;
        assert_eq!(summary.get(stream), Some(&(n, n)), "{stream}: {summary:?}");
        // Every record is a row (faker's ids are unique in one sync, so dedup keeps them all).
        let distinct = ids.iter().collect::<std::collections::BTreeSet<_>>().len() as i64;
        assert_eq!(distinct, n as i64, "{stream}: faker repeated ids");
        assert_eq!(
            counts(db, &format!("faker.{stream}"), "id"),
            (n as i64, n as i64),
            "faker.{stream}: (rows, distinct ids)"
        );
    }
    let echoed = assert_states_echoed_unchanged(dir.path(), "destination-postgres");
    assert!(echoed >= 3, "{echoed} states");
    // The state file holds each stream's last state, as faker wrote it.
    assert_eq!(saved_states(&dir), last_state);
}

/// The JSONL lines the CDK destination wrote for `file`.
fn lines(dir: &Path, file: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn sorted_ids(rows: &[Value], key: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = rows
        .iter()
        .map(|r| r["data"][key].as_i64().expect("an integer id"))
        .collect();
    ids.sort_unstable();
    ids
}

fn cdk_destination(dir: &TestDir) -> PathBuf {
    let python = venv_program("AIRBYTE_TEST_CDK_PYTHON", "cdk", "bin/python");
    wrapper(
        dir.path(),
        "cdk-destination",
        &[&python, &script("cdk_jsonl_destination.py")],
    )
}

#[test]
fn example_source_generator_into_a_cdk_destination_resumes_from_echoed_states() {
    let dir = TestDir::new("py-cdk-generator");
    let destination = cdk_destination(&dir);
    let out = dir.path().join("out");
    let config = json!({"destination_path": out});
    let source = binary("example-source-generator");

    let first = sync(
        &dir,
        &source,
        &json!({"count": 50}),
        &destination,
        &config,
        &[],
    );
    for stream in ["users", "purchases"] {
        assert_eq!(first.get(stream), Some(&(50, 50)), "{stream}: {first:?}");
        assert_eq!(
            sorted_ids(&lines(&out, &format!("{stream}.jsonl")), "id"),
            (0..50).collect::<Vec<_>>(),
            "{stream}"
        );
    }
    assert!(assert_states_echoed_unchanged(dir.path(), "cdk-destination") >= 2);
    let saved = saved_states(&dir);
    assert_eq!(saved["users"], generator_state("2024-01-01T00:49:00Z"));

    // The second sync starts from the saved states: only the 30 new rows move.
    let second = sync(
        &dir,
        &source,
        &json!({"count": 80}),
        &destination,
        &config,
        &[],
    );
    for stream in ["users", "purchases"] {
        assert_eq!(second.get(stream), Some(&(30, 30)), "{stream}: {second:?}");
        assert_eq!(
            sorted_ids(&lines(&out, &format!("{stream}.jsonl")), "id"),
            (0..80).collect::<Vec<_>>(),
            "{stream}: the first 50 rows, then the 30 new ones"
        );
    }
    assert!(assert_states_echoed_unchanged(dir.path(), "cdk-destination") >= 2);
    assert_eq!(
        saved_states(&dir)["purchases"],
        generator_state("2024-01-01T01:19:00Z")
    );
}

#[test]
fn source_postgres_into_a_cdk_destination_resumes_from_echoed_states() {
    let dir = TestDir::new("py-cdk-postgres");
    let db = "python_cdk_src";
    fresh_database(db);
    execute(
        db,
        "CREATE TABLE items (id int PRIMARY KEY, updated_at timestamptz NOT NULL, note text);
         INSERT INTO items SELECT g, '2024-01-01'::timestamptz + g * interval '1 minute', 'item ' || g
           FROM generate_series(1, 300) g;
         CREATE TABLE notes (body text);
         INSERT INTO notes SELECT 'note ' || g FROM generate_series(1, 40) g;",
    );
    let source = binary("source-postgres");
    let mut source_config = pg_config(db);
    source_config.insert("schemas".into(), json!(["public"]));
    let source_config = Value::Object(source_config);
    // items: incremental on `updated_at`, appended; notes (no key, no cursor): full refresh, overwritten.
    let discovered = {
        let config = dir.write_json("discover-config.json", &source_config);
        let mut command = Command::new(&source);
        command.arg("discover").arg("--config").arg(&config);
        let out = run(command, Duration::from_secs(120));
        assert_success("source-postgres discover", &out);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|m| m["type"] == "CATALOG")
            .expect("a CATALOG message")
    };
    let streams: Vec<Value> = discovered["catalog"]["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|s| match s["name"].as_str() {
            Some("items") => json!({"stream": s, "sync_mode": "incremental", "cursor_field": ["updated_at"], "destination_sync_mode": "append"}),
            _ => json!({"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}),
        })
        .collect();
    assert_eq!(streams.len(), 2, "{discovered}");
    let catalog = dir.write_json("catalog.json", &json!({ "streams": streams }));
    let catalog = catalog.to_str().expect("path");
    let destination = cdk_destination(&dir);
    let out = dir.path().join("out");
    let config = json!({"destination_path": out});

    // A sync of the catalog, whose summary counts `items` and `notes` rows
    // (each emitted and committed).
    let sync_counting = |items: u64, notes: u64| {
        let summary = sync(
            &dir,
            &source,
            &source_config,
            &destination,
            &config,
            &["--catalog", catalog],
        );
        assert_eq!(
            summary.get("public.items").or(summary.get("items")),
            Some(&(items, items)),
            "{summary:?}"
        );
        assert_eq!(
            summary.get("public.notes").or(summary.get("notes")),
            Some(&(notes, notes)),
            "{summary:?}"
        );
    };

    sync_counting(300, 40);
    assert_eq!(
        sorted_ids(&lines(&out, "public.items.jsonl"), "id"),
        (1..=300).collect::<Vec<_>>()
    );
    assert_eq!(lines(&out, "public.notes.jsonl").len(), 40);
    assert!(assert_states_echoed_unchanged(dir.path(), "cdk-destination") >= 2);
    let saved = saved_states(&dir);
    assert_eq!(saved["items"]["state_type"], "cursor_based", "{saved:?}");
    assert_eq!(saved["items"]["cursor_field"], json!(["updated_at"]));

    execute(
        db,
        "INSERT INTO items SELECT g, '2025-01-01'::timestamptz + g * interval '1 minute', 'new ' || g
           FROM generate_series(301, 320) g;
         INSERT INTO notes VALUES ('note 41');",
    );
    sync_counting(20, 41);
    assert_eq!(
        sorted_ids(&lines(&out, "public.items.jsonl"), "id"),
        (1..=320).collect::<Vec<_>>(),
        "300 rows, then the 20 new ones appended"
    );
    assert_eq!(lines(&out, "public.notes.jsonl").len(), 41, "overwritten");
    assert!(assert_states_echoed_unchanged(dir.path(), "cdk-destination") >= 2);
    assert_ne!(
        saved_states(&dir)["items"]["cursor"],
        saved["items"]["cursor"]
    );
}

/// The state example-source-generator writes after the row with `updated_at`
/// (its `Incremental` cursor state: one row per timestamp).
fn generator_state(updated_at: impl Into<serde_json::Value>) -> serde_json::Value {
    json!({"cursor_field": ["updated_at"], "cursor": updated_at.into(), "cursor_record_count": 1})
}
