//! Failure cases give clear messages with the right failure type; hostile names work.

mod common;

use airbyte_sdk::protocol::{ConnectionStatus, FailureType};
use airbyte_sdk::testkit::TestDir;
use common::*;
use serde_json::json;

#[test]
fn wrong_password_is_a_config_error() {
    let dir = TestDir::new("pg-pass");
    let mut cfg = config("dvdrental");
    cfg["password"] = json!("not-the-password");
    let path = dir.write_json("c.json", &cfg);
    let path = path.to_str().expect("path");
    let out = run(&["check", "--config", path]);
    assert_eq!(out.exit_code, 0);
    let status = out.connection_status().expect("status");
    assert_eq!(status.status, ConnectionStatus::Failed);
    assert_eq!(
        status.message.as_deref(),
        Some("Authentication failed for user \"postgres\": check the username and password.")
    );
    let out = run(&["discover", "--config", path]);
    assert_eq!(out.exit_code, 1);
    assert_eq!(out.errors()[0].failure_type, Some(FailureType::ConfigError));
    assert!(!out.stdout.contains("not-the-password") && !out.stderr.contains("not-the-password"));
}

#[test]
fn unknown_database_and_unreachable_host() {
    let dir = TestDir::new("pg-host");
    let mut cfg = config("no_such_db");
    let path = dir.write_json("db.json", &cfg);
    let out = run(&["check", "--config", path.to_str().expect("path")]);
    let message = out
        .connection_status()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    assert!(
        message.starts_with("Database \"no_such_db\" does not exist"),
        "{message}"
    );
    cfg["database"] = json!("dvdrental");
    cfg["port"] = json!(1);
    let path = dir.write_json("host.json", &cfg);
    let out = run(&["check", "--config", path.to_str().expect("path")]);
    let message = out
        .connection_status()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    assert!(
        message.starts_with("Could not reach 127.0.0.1:1 ("),
        "{message}"
    );
    assert!(message.contains("Check the host, the port"), "{message}");
}

#[test]
fn require_ssl_against_a_server_without_ssl_fails_clearly() {
    let dir = TestDir::new("pg-ssl");
    let mut cfg = config("dvdrental");
    cfg["ssl_mode"] = json!({"mode": "require"});
    let path = dir.write_json("c.json", &cfg);
    let out = run(&["check", "--config", path.to_str().expect("path")]);
    assert_eq!(
        out.connection_status().map(|s| s.status),
        Some(ConnectionStatus::Failed),
        "{}",
        out.stdout
    );
    // `prefer` falls back to plain text.
    cfg["ssl_mode"] = json!({"mode": "prefer"});
    let path = dir.write_json("p.json", &cfg);
    let out = run(&["check", "--config", path.to_str().expect("path")]);
    assert_eq!(
        out.connection_status().map(|s| s.status),
        Some(ConnectionStatus::Succeeded),
        "{}",
        out.stdout
    );
}

#[test]
fn hostile_identifiers_and_empty_tables() {
    runtime().block_on(async {
        let db = fresh_db("src_hostile", None).await;
        db.batch_execute(
            r#"CREATE SCHEMA "Weird ""Schema""";
               CREATE TABLE "Weird ""Schema"""."Tab'le ""Q"" Ünï 表" ("Col ""x""" int PRIMARY KEY, "MiXeD Case" text, "naïve; DROP TABLE t;--" text);
               INSERT INTO "Weird ""Schema"""."Tab'le ""Q"" Ünï 表" VALUES (1, 'it''s', 'tab	and\back'), (2, NULL, '"quoted"');
               CREATE TABLE "Weird ""Schema""".empty (id int PRIMARY KEY);
               CREATE TABLE "Weird ""Schema""".nokey (v text);"#,
        )
        .await
        .expect("setup");
    });
    let dir = TestDir::new("pg-hostile");
    let mut cfg = config("src_hostile");
    cfg["schemas"] = json!(["Weird \"Schema\""]);
    let path = dir.write_json("c.json", &cfg);
    let path = path.to_str().expect("path");
    let catalog = configured(&dir, path, "full_refresh", None, None);
    let out = run(&["read", "--config", path, "--catalog", &catalog]);
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    let records = out.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].stream, "Tab'le \"Q\" Ünï 表");
    assert_eq!(records[0].namespace.as_deref(), Some("Weird \"Schema\""));
    assert_eq!(
        records[0].data.as_str(),
        r#"{"Col \"x\"":1,"MiXeD Case":"it's","naïve; DROP TABLE t;--":"tab\tand\\back"}"#
    );
    assert_eq!(
        records[1].data.as_str(),
        r#"{"Col \"x\"":2,"MiXeD Case":null,"naïve; DROP TABLE t;--":"\"quoted\""}"#
    );
    // Empty tables still checkpoint, and complete.
    for name in ["empty", "nokey"] {
        assert!(
            out.states().iter().any(|s| s
                .stream
                .as_ref()
                .is_some_and(|st| st.stream_descriptor.name == name)),
            "no state for {name}"
        );
        assert_eq!(
            out.statuses(name).last(),
            Some(&airbyte_sdk::protocol::AirbyteStreamStatus::Complete)
        );
    }
}

#[test]
fn cdc_check_says_what_is_missing() {
    let dir = TestDir::new("pg-cdc-check");
    let mut cfg = config("dvdrental");
    cfg["replication_method"] =
        json!({"method": "CDC", "replication_slot": "no_such_slot", "publication": "no_such_pub"});
    let path = dir.write_json("c.json", &cfg);
    let out = run(&["check", "--config", path.to_str().expect("path")]);
    assert_eq!(out.exit_code, 0);
    let message = out
        .connection_status()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    assert!(
        message.contains("replication slot `no_such_slot` does not exist"),
        "{message}"
    );
    assert!(
        message.contains("pg_create_logical_replication_slot"),
        "{message}"
    );
}

#[test]
fn cdc_on_a_server_with_wal_level_replica_says_how_to_fix_it() {
    // A second, throwaway cluster with wal_level = replica.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let data = std::env::temp_dir().join(format!("airbyte-rs-pg-replica-{}", std::process::id()));
    let pg = |action: &str| {
        std::process::Command::new(root.join("scripts/pg.sh"))
            .arg(action)
            .env("AIRBYTE_PG_PORT", "54339")
            .env("AIRBYTE_PG_DATA", &data)
            .env("AIRBYTE_PG_WAL_LEVEL", "replica")
            .output()
            .expect("scripts/pg.sh")
    };
    let started = pg("start");
    assert!(
        started.status.success(),
        "cannot start a second cluster: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    let dir = TestDir::new("pg-replica");
    let mut cfg = config("dvdrental");
    cfg["port"] = json!(54339);
    cfg["replication_method"] =
        json!({"method": "CDC", "replication_slot": "s", "publication": "p"});
    let path = dir.write_json("c.json", &cfg);
    let out = run(&["check", "--config", path.to_str().expect("path")]);
    pg("stop");
    let _ = std::fs::remove_dir_all(&data);
    assert_eq!(out.exit_code, 0);
    let message = out
        .connection_status()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    assert!(
        message.contains("CDC needs wal_level = logical, but the server has wal_level = replica"),
        "{message}"
    );
}
