//! The state rate does not change what is written: inputs with a state after
//! every record, every 100 records, and one at the end give identical tables
//! (append and append_dedup), with every state echoed in order once the
//! records it covers are committed; a `kill -9` while states come after every
//! record leaves every record the last echoed state covers committed.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use airbyte_sdk::protocol::AirbyteMessage;
use airbyte_sdk::testkit::{TestDir, check_with_official_models};
use common::*;
use serde_json::{Value, json};
use tokio_postgres::Client;

fn props() -> Value {
    json!({"id": {"type": "integer"}, "v": {"type": "integer"}, "seq": {"type": "integer"}, "name": {"type": ["null", "string"]}})
}

/// Record `seq` of stream `stream`: ids repeat every 700 records, so dedup has work to do.
fn line(stream: &str, seq: i64) -> String {
    record(
        stream,
        json!({"id": seq % 700, "v": seq, "seq": seq, "name": format!("row {seq}")}),
        1_700_000_000_000 + seq,
    )
}

/// `n` records in runs of 5 of streams `s` and `t`, a STREAM state of the
/// last record's stream after every `every` records (`id` = the records
/// before it), and a GLOBAL state at the end.
fn input(n: i64, every: Option<i64>) -> String {
    let mut text = String::new();
    for seq in 0..n {
        let stream = if (seq / 5) % 2 == 0 { "s" } else { "t" };
        text.push_str(&line(stream, seq));
        text.push('\n');
        if every.is_some_and(|k| (seq + 1) % k == 0) && seq + 1 < n {
            text.push_str(&state_of(stream, seq + 1));
            text.push('\n');
        }
    }
    text.push_str(&format!(
        r#"{{"type":"STATE","state":{{"type":"GLOBAL","global":{{"shared_state":{{"n":{n}}},"stream_states":[]}},"id":{n}}}}}"#
    ));
    text.push('\n');
    text
}

/// Rows of stream `stream` that come from records numbered below `upto`.
async fn committed_below(db: &Client, stream: &str, upto: i64) -> i64 {
    db.query_one(
        &format!("SELECT count(*) FROM public.{stream} WHERE seq < $1"),
        &[&upto],
    )
    .await
    .expect("count")
    .get(0)
}

/// Runs `write` with `text` on a live pipe. For each echoed STREAM state (in
/// append mode) checks that its stream's records before it are in the table.
/// Returns the echoed ids and the sum of their `destinationStats.recordCount`.
fn write_live(
    rt: &tokio::runtime::Runtime,
    db: &Client,
    args: &[&str],
    text: String,
    check_each: bool,
) -> (Vec<i64>, f64) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || stdin.write_all(text.as_bytes()).expect("feed"));
    let mut ids = Vec::new();
    let mut counted = 0.0;
    let mut out = String::new();
    for text in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let text = text.expect("line");
        out.push_str(&text);
        out.push('\n');
        let message: AirbyteMessage = serde_json::from_str(&text).expect("message");
        let Some(state) = message.state else { continue };
        let id = state.extra.get_as::<i64>("id").ok().flatten().expect("id");
        counted += state
            .destination_stats
            .as_ref()
            .and_then(|s| s.record_count)
            .expect("recordCount");
        if check_each && let Some(s) = &state.stream {
            // Every record of its stream before it (all numbered below `id`) is committed.
            let stream = &s.stream_descriptor.name;
            let expected = (0..id)
                .filter(|seq| (if (seq / 5) % 2 == 0 { "s" } else { "t" }) == stream)
                .count() as i64;
            let have = rt.block_on(committed_below(db, stream, id));
            assert_eq!(
                have, expected,
                "state {id} echoed before its records of `{stream}` were committed"
            );
        }
        ids.push(id);
    }
    feeder.join().expect("feeder");
    assert!(child.wait().expect("wait").success());
    check_with_official_models(&out).unwrap_or_else(|r| panic!("official models: {r}"));
    (ids, counted)
}

fn rates_give_identical_tables(mode: &str) {
    const N: i64 = 6_000;
    let rt = runtime();
    let mut tables = Vec::new();
    for every in [Some(1), Some(100), None] {
        let label = every.map_or("end".to_owned(), |k| k.to_string());
        let db_name = format!("dst_rate_{mode}_{label}");
        let db = rt.block_on(fresh_db(&db_name));
        let dir = TestDir::new("dst-rate");
        let config = dir.write_json("config.json", &config(&db_name));
        let pk: Option<&[&str]> = (mode == "append_dedup").then_some(&["id"][..]);
        let catalog = dir.write_json(
            "catalog.json",
            &json!({"streams": [stream("s", mode, props(), pk, Some("v")), stream("t", mode, props(), pk, Some("v"))]}),
        );
        let args = [
            "write",
            "--config",
            config.to_str().expect("path"),
            "--catalog",
            catalog.to_str().expect("path"),
        ];
        let (ids, counted) = write_live(&rt, &db, &args, input(N, every), mode == "append");
        let mut expected: Vec<i64> = match every {
            Some(k) => (1..N / k).map(|i| i * k).collect(),
            None => Vec::new(),
        };
        expected.push(N);
        assert_eq!(
            ids, expected,
            "every {label}: each state echoed once, in order"
        );
        assert_eq!(counted, N as f64, "every {label}: recordCount adds up");
        let table = rt.block_on(async {
            let mut both = Vec::new();
            for s in ["s", "t"] {
                both.extend(rows(&db, &format!("SELECT '{s}' AS stream, id, v, seq, name FROM public.{s} ORDER BY id, seq")).await);
            }
            both
        });
        tables.push((label, table));
    }
    let (_, first) = &tables[0];
    // Dedup keeps one row per (stream, id).
    let keys: std::collections::BTreeSet<(bool, i64)> =
        (0..N).map(|seq| ((seq / 5) % 2 == 0, seq % 700)).collect();
    let expected_rows = if mode == "append_dedup" {
        keys.len()
    } else {
        N as usize
    };
    assert_eq!(first.len(), expected_rows, "{mode}");
    for (label, table) in &tables[1..] {
        assert!(
            table == first,
            "{mode}: a state every {label} gives a different table than a state after every record"
        );
    }
}

#[test]
fn append_tables_are_identical_at_every_state_rate() {
    rates_give_identical_tables("append");
}

#[test]
fn append_dedup_tables_are_identical_at_every_state_rate() {
    rates_give_identical_tables("append_dedup");
}

#[test]
fn kill_9_with_a_state_after_every_record_leaves_the_last_echoed_state_committed() {
    const RECORDS: i64 = 300_000;
    let rt = runtime();
    let db_name = "dst_rate_kill";
    let db = rt.block_on(fresh_db(db_name));
    let dir = TestDir::new("dst-rate-kill");
    let config = dir.write_json("config.json", &config(db_name));
    let catalog = dir.write_json(
        "catalog.json",
        &json!({"streams": [stream("s", "append", props(), None, None)]}),
    );
    let mut child = Command::new(BIN)
        .args([
            "write",
            "--config",
            config.to_str().expect("path"),
            "--catalog",
            catalog.to_str().expect("path"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let mut chunk = String::new();
        for seq in 0..RECORDS {
            chunk.push_str(&line("s", seq));
            chunk.push('\n');
            chunk.push_str(&state_of("s", seq + 1));
            chunk.push('\n');
            if chunk.len() > 1 << 16 {
                if stdin.write_all(chunk.as_bytes()).is_err() {
                    return; // the destination was killed
                }
                chunk.clear();
            }
        }
        let _ = stdin.write_all(chunk.as_bytes());
    });
    let mut last = 0;
    for text in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let Ok(text) = text else { break };
        let id = serde_json::from_str::<AirbyteMessage>(&text)
            .ok()
            .and_then(|m| m.state)
            .and_then(|s| s.extra.get_as::<i64>("id").ok().flatten());
        if let Some(id) = id {
            assert_eq!(id, last + 1, "states echoed in order, none skipped");
            last = id;
            if id >= 100_000 {
                child.kill().expect("kill -9");
                break;
            }
        }
    }
    let _ = child.wait();
    let _ = feeder.join();
    assert!(
        (100_000..RECORDS).contains(&last),
        "killed mid-way (last state {last})"
    );
    let committed = rt.block_on(async {
        db.query_one(
            "SELECT count(DISTINCT seq) FROM public.s WHERE seq < $1",
            &[&last],
        )
        .await
        .expect("count")
        .get::<_, i64>(0)
    });
    assert_eq!(
        committed, last,
        "every record the last echoed state covers is committed"
    );
}
