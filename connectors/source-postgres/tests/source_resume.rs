//! A full refresh killed mid-table resumes from its last state, and the union
//! of both runs covers every row (by primary key, and by ctid without one).

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use airbyte_sdk::protocol::{AirbyteMessage, AirbyteStateMessage};
use airbyte_sdk::testkit::TestDir;
use common::*;

const ROWS: i64 = 1_000_000;

/// Reads until `kill_after` states of the stream were seen, then kills the connector.
/// Returns the ids read and the last state.
fn read_until_killed(args: &[&str], kill_after: usize) -> (HashSet<i64>, AirbyteStateMessage) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut ids = HashSet::new();
    let mut states = Vec::new();
    for line in stdout.lines() {
        let line = line.expect("line");
        let message: AirbyteMessage = serde_json::from_str(&line).expect("message");
        if let Some(r) = &message.record {
            ids.insert(r.data.to_map()["id"].as_i64().expect("id"));
        }
        if let Some(s) = message.state {
            states.push(s);
            if states.len() == kill_after {
                child.kill().expect("kill -9");
                break;
            }
        }
    }
    let _ = child.wait();
    assert_eq!(
        states.len(),
        kill_after,
        "the read ended before it could be killed"
    );
    (ids, states.pop().expect("a state"))
}

fn resume(table: &str) {
    let db = format!("src_resume_{table}");
    runtime().block_on(async {
        let client = fresh_db(&db, None).await;
        let key = if table == "with_pk" { "PRIMARY KEY" } else { "" };
        client
            .batch_execute(&format!(
                "CREATE TABLE {table} (id bigint {key}, label text, amount numeric(12,2));
                 INSERT INTO {table} SELECT g, 'row ' || g, g / 100.0 FROM generate_series(1, {ROWS}) g;"
            ))
            .await
            .expect("setup");
    });
    let dir = TestDir::new("pg-resume");
    let config = dir.write_json("c.json", &config(&db));
    let config = config.to_str().expect("path");
    let catalog = configured(&dir, config, "full_refresh", Some(&[table]), None);
    let (first, state) = read_until_killed(&["read", "--config", config, "--catalog", &catalog], 3);
    assert!(first.len() < ROWS as usize, "killed mid-table");
    let state_file = dir.write_json("state.json", &vec![state.clone()]);
    let second = run(&[
        "read",
        "--config",
        config,
        "--catalog",
        &catalog,
        "--state",
        state_file.to_str().expect("path"),
    ]);
    assert_eq!(second.exit_code, 0);
    let resumed: HashSet<i64> = second
        .records()
        .iter()
        .map(|r| r.data.to_map()["id"].as_i64().expect("id"))
        .collect();
    assert!(
        resumed.len() < ROWS as usize,
        "the second run resumed instead of starting over ({} rows)",
        resumed.len()
    );
    let union: HashSet<i64> = first.union(&resumed).copied().collect();
    assert_eq!(union.len() as i64, ROWS, "the union covers every row");
    assert!((1..=ROWS).all(|i| union.contains(&i)));
}

#[test]
fn resume_by_primary_key() {
    resume("with_pk");
}

#[test]
fn resume_by_ctid_without_primary_key() {
    resume("without_pk");
}
