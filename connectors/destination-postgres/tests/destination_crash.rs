//! Crash drill: 1M records, `kill -9` mid-way, then a re-run from the last
//! echoed state. Dedup ends with every record exactly once; append misses none.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use airbyte_sdk::protocol::AirbyteMessage;
use airbyte_sdk::testkit::TestDir;
use common::*;
use serde_json::json;

const RECORDS: i64 = 1_000_000;
const PER_STATE: i64 = 20_000;

fn line(i: i64) -> String {
    format!(
        r#"{{"type":"RECORD","record":{{"stream":"crash","data":{{"id":{i},"v":{i},"name":"row {i}"}},"emitted_at":{}}}}}"#,
        1_700_000_000_000 + i
    )
}

/// The input from record `from` on, with a state (id = its last record) every PER_STATE records.
fn input(from: i64) -> String {
    let mut text = String::new();
    for i in from..RECORDS {
        text.push_str(&line(i));
        text.push('\n');
        if (i + 1) % PER_STATE == 0 {
            text.push_str(&format!(r#"{{"type":"STATE","state":{{"type":"STREAM","stream":{{"stream_descriptor":{{"name":"crash"}},"stream_state":{{"next":{}}}}},"id":{}}}}}"#, i + 1, i + 1));
            text.push('\n');
        }
    }
    text
}

fn drill(mode: &str) {
    let db_name = format!("dst_crash_{mode}");
    let rt = runtime();
    let db = rt.block_on(fresh_db(&db_name));
    let dir = TestDir::new("dst-crash");
    let config = dir.write_json("config.json", &config(&db_name));
    let props =
        json!({"id": {"type": "integer"}, "v": {"type": "integer"}, "name": {"type": "string"}});
    let pk: Option<&[&str]> = if mode == "append_dedup" {
        Some(&["id"])
    } else {
        None
    };
    let catalog = dir.write_json(
        "catalog.json",
        &json!({"streams": [stream("crash", mode, props, pk, Some("v"))]}),
    );
    let args = [
        "write",
        "--config",
        config.to_str().expect("path"),
        "--catalog",
        catalog.to_str().expect("path"),
    ];

    // Run 1: killed with SIGKILL after a few states came back.
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(input(0).as_bytes());
    });
    let mut last_echoed = 0;
    for text in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let message: AirbyteMessage = serde_json::from_str(&text.expect("line")).expect("message");
        if let Some(id) = message
            .state
            .as_ref()
            .and_then(|s| s.extra.get_as::<i64>("id").ok().flatten())
        {
            last_echoed = id;
            if id >= 5 * PER_STATE {
                child.kill().expect("kill -9");
                break;
            }
        }
    }
    let _ = child.wait();
    let _ = feeder.join();
    assert!(
        (5 * PER_STATE..RECORDS).contains(&last_echoed),
        "killed mid-way (last state {last_echoed})"
    );
    let committed: i64 = rt.block_on(async {
        db.query_one(
            "SELECT count(DISTINCT id) FROM public.crash WHERE id < $1",
            &[&last_echoed],
        )
        .await
        .expect("q")
        .get(0)
    });
    assert_eq!(
        committed, last_echoed,
        "everything the last echoed state covers is committed"
    );

    // Run 2: the source resumes from the last echoed state.
    let out = airbyte_sdk::testkit::run_binary(BIN, &args, input(last_echoed).as_bytes());
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    rt.block_on(async {
        let (rows, distinct, max): (i64, i64, i64) = {
            let r = db
                .query_one(
                    "SELECT count(*), count(DISTINCT id), max(id) FROM public.crash",
                    &[],
                )
                .await
                .expect("q");
            (r.get(0), r.get(1), r.get(2))
        };
        assert_eq!(
            (distinct, max),
            (RECORDS, RECORDS - 1),
            "no record is missing"
        );
        if mode == "append_dedup" {
            assert_eq!(rows, RECORDS, "dedup: every record exactly once");
        } else {
            assert!(rows >= RECORDS, "append: at least once");
        }
    });
}

#[test]
fn kill_9_in_dedup_mode_leaves_every_record_exactly_once() {
    drill("append_dedup");
}

#[test]
fn kill_9_in_append_mode_loses_nothing() {
    drill("append");
}
