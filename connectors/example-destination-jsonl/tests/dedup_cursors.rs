//! append_dedup compares cursors as typed values, not as JSON text: 10 beats
//! 9, decimals and timestamps compare by value, and equal cursors fall back
//! to the later `emitted_at`, then to the later arrival.

use std::collections::BTreeMap;

use airbyte_sdk::testkit::{TestDir, check_with_official_models, run_binary};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_example-destination-jsonl");

/// One record of stream `users`: key `id`, cursor `v` (any JSON text), and a
/// `tag` that names it.
fn record(id: i64, v: &str, emitted_at: i64, tag: &str) -> String {
    format!(
        r#"{{"type":"RECORD","record":{{"namespace":"public","stream":"users","data":{{"id":{id},"v":{v},"tag":"{tag}"}},"emitted_at":{emitted_at}}}}}"#
    )
}

/// Runs one append_dedup sync and returns the surviving `tag` per `id`.
fn dedup(dir: &TestDir, input: &[String]) -> BTreeMap<i64, String> {
    let config = dir.write_json(
        "config.json",
        &json!({"destination_path": dir.path().join("out")}),
    );
    let catalog = dir.write_json(
        "catalog.json",
        &json!({"streams": [{
            "stream": {"name": "users", "namespace": "public", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
            "sync_mode": "incremental", "destination_sync_mode": "append_dedup", "primary_key": [["id"]], "cursor_field": ["v"]
        }]}),
    );
    let state = r#"{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users","namespace":"public"},"stream_state":{"k":1}}}}"#;
    let mut lines = input.to_vec();
    lines.push(state.to_owned());
    let out = run_binary(
        BIN,
        &[
            "write",
            "--config",
            &config.display().to_string(),
            "--catalog",
            &catalog.display().to_string(),
        ],
        lines.join("\n").as_bytes(),
    );
    assert_eq!(out.exit_code, 0, "{}\n{}", out.stdout, out.stderr);
    check_with_official_models(&out.stdout).expect("official models");
    assert_eq!(out.states().len(), 1);
    let text = std::fs::read_to_string(dir.path().join("out/public.users.jsonl")).expect("file");
    let mut kept = BTreeMap::new();
    for line in text.lines() {
        let row: Value = serde_json::from_str(line).expect("row");
        let id = row["data"]["id"].as_i64().expect("id");
        let tag = row["data"]["tag"].as_str().expect("tag").to_owned();
        assert!(kept.insert(id, tag).is_none(), "two rows for id {id}");
    }
    kept
}

/// Two records of one key: `(cursor, emitted_at)` of the one that must win,
/// and of the one that must lose.
struct Case {
    what: &'static str,
    winner: (&'static str, i64),
    loser: (&'static str, i64),
}

/// Each case in both orders of arrival: ids `2n` (winner first) and `2n + 1`
/// (winner last). The winner is kept either way.
fn check(name: &str, cases: &[Case]) {
    let dir = TestDir::new(name);
    let mut input = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let (first, last) = (2 * n as i64, 2 * n as i64 + 1);
        let (wv, we) = case.winner;
        let (lv, le) = case.loser;
        input.push(record(first, wv, we, "winner"));
        input.push(record(first, lv, le, "loser"));
        input.push(record(last, lv, le, "loser"));
        input.push(record(last, wv, we, "winner"));
    }
    let kept = dedup(&dir, &input);
    assert_eq!(kept.len(), 2 * cases.len(), "{kept:?}");
    for (n, case) in cases.iter().enumerate() {
        for (id, order) in [
            (2 * n as i64, "winner first"),
            (2 * n as i64 + 1, "winner last"),
        ] {
            assert_eq!(
                kept[&id], "winner",
                "{} ({order}): {:?} must beat {:?}",
                case.what, case.winner, case.loser
            );
        }
    }
}

#[test]
fn a_cursor_of_10_beats_9_in_either_order() {
    check(
        "jsonl-dedup-int",
        &[
            Case {
                what: "10 > 9",
                winner: ("10", 1000),
                loser: ("9", 1000),
            },
            // The cursor decides before emitted_at does.
            Case {
                what: "10 > 9, 9 emitted later",
                winner: ("10", 1000),
                loser: ("9", 2000),
            },
            Case {
                what: "100 > 99",
                winner: ("100", 1000),
                loser: ("99", 1000),
            },
            Case {
                what: "-9 > -10",
                winner: ("-9", 1000),
                loser: ("-10", 1000),
            },
            Case {
                what: "any cursor > no cursor",
                winner: ("0", 1000),
                loser: ("null", 2000),
            },
        ],
    );
}

#[test]
fn decimals_compare_by_value() {
    check(
        "jsonl-dedup-decimal",
        &[
            Case {
                what: "10.25 > 9.5",
                winner: ("10.25", 1000),
                loser: ("9.5", 2000),
            },
            Case {
                what: "10 > 9.99",
                winner: ("10", 1000),
                loser: ("9.99", 2000),
            },
            Case {
                what: "1e3 > 999.5",
                winner: ("1e3", 1000),
                loser: ("999.5", 2000),
            },
            // Beyond f64: the cursor's text is compared exactly.
            Case {
                what: "exact at any precision",
                winner: ("99999999999999999999.5", 1000),
                loser: ("99999999999999999999.49", 2000),
            },
        ],
    );
}

#[test]
fn timestamps_compare_as_instants() {
    check(
        "jsonl-dedup-timestamp",
        &[
            // 2024-01-01T23:00:00Z, though its text sorts after.
            Case {
                what: "23:30Z > 00:00+01:00 the next day",
                winner: (r#""2024-01-01T23:30:00Z""#, 1000),
                loser: (r#""2024-01-02T00:00:00+01:00""#, 2000),
            },
            Case {
                what: "a later date",
                winner: (r#""2024-01-10""#, 1000),
                loser: (r#""2024-01-09""#, 2000),
            },
        ],
    );
}

#[test]
fn equal_cursors_fall_back_to_emitted_at_then_arrival() {
    check(
        "jsonl-dedup-ties",
        &[
            Case {
                what: "same integer, later emitted_at",
                winner: ("10", 2000),
                loser: ("10", 1000),
            },
            Case {
                what: "10 == 10.0, later emitted_at",
                winner: ("10.0", 2000),
                loser: ("10", 1000),
            },
            Case {
                what: "the same instant in two offsets, later emitted_at",
                winner: (r#""2024-01-01T08:00:00Z""#, 2000),
                loser: (r#""2024-01-01T10:00:00+02:00""#, 1000),
            },
            Case {
                what: "same text, later emitted_at",
                winner: (r#""b""#, 2000),
                loser: (r#""b""#, 1000),
            },
        ],
    );
    // Equal cursors and emitted_at: the later arrival wins.
    let dir = TestDir::new("jsonl-dedup-arrival");
    let kept = dedup(
        &dir,
        &[
            record(1, "10", 1000, "first"),
            record(1, "10.00", 1000, "second"),
            record(1, "10", 1000, "third"),
        ],
    );
    assert_eq!(kept[&1], "third");
}
