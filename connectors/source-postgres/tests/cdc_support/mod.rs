//! Shared by the CDC tests: the test server, a database with a slot and a
//! publication per test, running the connector.
#![allow(dead_code, unused_imports)]

use std::time::Duration;

use airbyte_sdk::testkit::{Output, TestDir, check_with_official_models, run_binary};
use serde_json::{Map, Value, json};
use tokio_postgres::Client;

pub const BIN: &str = env!("CARGO_BIN_EXE_source-postgres");

pub use airbyte_postgres_common::testing::{connect, host_port, runtime, server_url};

/// A test database with `ddl` run in it, a publication for `tables` and a pgoutput slot.
pub struct Fixture {
    pub db: String,
    pub slot: String,
    pub publication: String,
    pub dir: TestDir,
}

impl Fixture {
    pub async fn new(name: &str, ddl: &str, tables: &str) -> (Fixture, Client) {
        let fixture = Fixture {
            db: format!("cdc_test_{name}"),
            slot: format!("cdc_slot_{name}"),
            publication: format!("cdc_pub_{name}"),
            dir: TestDir::new(name),
        };
        fixture.drop_all().await;
        let admin = connect("postgres").await;
        admin
            .batch_execute(&format!("CREATE DATABASE {}", fixture.db))
            .await
            .expect("create database");
        let db = connect(&fixture.db).await;
        db.batch_execute(ddl).await.expect("ddl");
        db.batch_execute(&format!(
            "CREATE PUBLICATION {} FOR TABLE {tables}",
            fixture.publication
        ))
        .await
        .expect("publication");
        db.execute(
            "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
            &[&fixture.slot],
        )
        .await
        .expect("slot");
        (fixture, db)
    }

    /// Drops the slot (waiting until it is free) and the database.
    pub async fn drop_all(&self) {
        let admin = connect("postgres").await;
        for _ in 0..100 {
            let active = admin
                .query_opt(
                    "SELECT active FROM pg_replication_slots WHERE slot_name = $1",
                    &[&self.slot],
                )
                .await
                .expect("slots")
                .map(|r| r.get::<_, bool>(0));
            match active {
                None => break,
                Some(false) => {
                    admin
                        .execute("SELECT pg_drop_replication_slot($1)", &[&self.slot])
                        .await
                        .expect("drop slot");
                    break;
                }
                Some(true) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db))
            .await
            .expect("drop database");
    }

    pub fn config(&self, slot: &str, publication: &str) -> String {
        let (host, port) = host_port();
        let config = json!({
            "host": host, "port": port, "database": self.db, "username": "postgres", "password": "postgres",
            "schemas": ["public"], "ssl_mode": {"mode": "disable"},
            "replication_method": {"method": "CDC", "replication_slot": slot, "publication": publication, "initial_waiting_seconds": 5}
        });
        self.dir
            .write_json(&format!("config-{slot}-{publication}.json"), &config)
            .display()
            .to_string()
    }

    pub fn good_config(&self) -> String {
        self.config(&self.slot, &self.publication)
    }

    /// The discovered catalog: `incremental` streams in CDC mode, the others full refresh.
    pub fn catalog(&self, incremental: &[&str], full_refresh: &[&str]) -> String {
        let out = run(&["discover", "--config", &self.good_config()]);
        let catalog = out.catalog().expect("catalog");
        let mut streams = Vec::new();
        for s in &catalog.streams {
            let stream = serde_json::to_value(s).expect("stream");
            if incremental.contains(&s.name.as_str()) {
                streams.push(json!({"stream": stream, "sync_mode": "incremental", "destination_sync_mode": "append_dedup",
                    "cursor_field": ["_ab_cdc_lsn"], "primary_key": s.source_defined_primary_key}));
            } else if full_refresh.contains(&s.name.as_str()) {
                streams.push(json!({"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}));
            }
        }
        self.dir
            .write_json("catalog.json", &json!({ "streams": streams }))
            .display()
            .to_string()
    }

    /// Runs `read`, from `state` if given; returns the output and the state file for the next sync.
    pub fn read(&self, catalog: &str, state: Option<&str>, label: &str) -> (Output, String) {
        let config = self.good_config();
        let mut args = vec!["read", "--config", &config, "--catalog", catalog];
        if let Some(state) = state {
            args.extend(["--state", state]);
        }
        let out = run(&args);
        assert_eq!(
            out.exit_code, 0,
            "{label} failed: {}\n{}",
            out.stdout, out.stderr
        );
        assert!(out.errors().is_empty(), "{label}: {:?}", out.errors());
        let states = out.states();
        assert!(!states.is_empty(), "{label}: no state");
        for s in &states {
            assert!(
                s.global.is_some() && s.stream.is_none(),
                "{label}: every state is GLOBAL: {s:?}"
            );
            assert!(
                s.source_stats
                    .as_ref()
                    .and_then(|st| st.record_count)
                    .is_some(),
                "{label}: recordCount"
            );
        }
        let counted: f64 = states
            .iter()
            .filter_map(|s| s.source_stats.as_ref()?.record_count)
            .sum();
        assert_eq!(
            counted as usize,
            out.records().len(),
            "{label}: the states count every record"
        );
        let file = self
            .dir
            .write_json(&format!("state-{label}.json"), &out.final_states())
            .display()
            .to_string();
        (out, file)
    }
}

pub fn run(args: &[&str]) -> Output {
    let out = run_binary(BIN, args, b"");
    assert!(
        out.invalid_lines.is_empty(),
        "invalid lines: {:?}",
        out.invalid_lines
    );
    if let Err(report) = check_with_official_models(&out.stdout) {
        panic!("the official models reject our output: {report}");
    }
    out
}

pub fn shared_lsn(out: &Output) -> u64 {
    let global = out
        .last_state()
        .and_then(|s| s.global.clone())
        .expect("a GLOBAL state");
    let shared: Value = global
        .shared_state
        .expect("shared_state")
        .as_str()
        .parse()
        .expect("json");
    shared["lsn"]
        .as_u64()
        .unwrap_or_else(|| panic!("shared_state.lsn: {shared}"))
}

pub fn records(out: &Output, stream: &str) -> Vec<Map<String, Value>> {
    out.records()
        .iter()
        .filter(|r| r.stream == stream)
        .map(|r| r.data.to_map())
        .collect()
}

pub fn by_id(records: &[Map<String, Value>], id: i64) -> Vec<&Map<String, Value>> {
    records.iter().filter(|r| r["id"] == json!(id)).collect()
}

pub async fn confirmed_flush(db: &Client, slot: &str) -> u64 {
    let row = db.query_one("SELECT (confirmed_flush_lsn - '0/0')::int8 FROM pg_replication_slots WHERE slot_name = $1", &[&slot]).await.expect("slot");
    row.get::<_, i64>(0) as u64
}

pub fn is_rfc3339_utc(text: &Value) -> bool {
    let t = text.as_str().unwrap_or_default();
    t.len() == 27 && t.as_bytes()[10] == b'T' && t.ends_with('Z')
}
