//! Query errors get the failure type of their SQLSTATE (the table of
//! `airbyte_postgres_common::sqlstate`): a missing privilege and a table
//! dropped after discover are config errors, a statement timeout is
//! transient. Each message names the table and carries the server's words
//! and the SQLSTATE.

mod common;

use std::time::{Duration, Instant};

use airbyte_postgres_common::testing::{Cleanup, create_login_role};
use airbyte_sdk::protocol::{AirbyteStreamStatus, FailureType};
use airbyte_sdk::testkit::{Output, TestDir};
use common::*;
use serde_json::json;

/// A role name unique to this run (roles are global to the cluster).
fn role(label: &str) -> String {
    format!("src_sqlstate_{label}_{}", std::process::id())
}

/// The only TRACE error of `out`, as (failure type, message); the run must have failed.
fn the_error(out: &Output) -> (Option<FailureType>, String) {
    assert_eq!(out.exit_code, 1, "{}\n{}", out.stdout, out.stderr);
    let errors = out.errors();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    (errors[0].failure_type, errors[0].message.clone())
}

#[test]
fn permission_denied_is_a_config_error() {
    let db = "src_sqlstate_priv";
    let reader = role("reader");
    let password = "reader-pw-7f3a";
    let _cleanup = Cleanup {
        db,
        role: Some(reader.clone()),
    };
    runtime().block_on(async {
        let client = fresh_db(db, None).await;
        create_login_role(&reader, password).await;
        // SELECT on locked.t, but no USAGE on schema locked; no SELECT at all on public.hidden.
        client
            .batch_execute(&format!(
                "CREATE SCHEMA locked; CREATE TABLE locked.t (id int PRIMARY KEY); INSERT INTO locked.t VALUES (1);
                 GRANT SELECT ON locked.t TO {reader};
                 CREATE TABLE public.hidden (id int PRIMARY KEY); INSERT INTO public.hidden VALUES (1);"
            ))
            .await
            .expect("setup");
    });
    let dir = TestDir::new("pg-sqlstate-priv");
    let mut cfg = config(db);
    cfg["schemas"] = json!(["locked", "public"]);
    let admin_path = dir.write_json("admin.json", &cfg);
    let admin_path = admin_path.to_str().expect("path");
    cfg["username"] = json!(reader);
    cfg["password"] = json!(password);
    let path = dir.write_json("reader.json", &cfg);
    let path = path.to_str().expect("path");
    let read_as_reader = |stream: &str| {
        let catalog = configured(&dir, admin_path, "full_refresh", Some(&[stream]), None);
        let out = run(&["read", "--config", path, "--catalog", &catalog]);
        assert!(out.records().is_empty(), "{}", out.stdout);
        assert!(!out.stdout.contains(password) && !out.stderr.contains(password));
        out
    };

    // The server refuses the query: 42501, from the table of SQLSTATEs.
    let out = read_as_reader("t");
    let (failure, message) = the_error(&out);
    assert_eq!(failure, Some(FailureType::ConfigError), "{message}");
    assert!(
        message.starts_with(
            "reading locked.t failed: permission denied for schema locked (SQLSTATE 42501)"
        ) && message.contains("GRANT"),
        "{message}"
    );
    assert_eq!(
        out.errors()[0]
            .stream_descriptor
            .as_ref()
            .map(|d| d.name.as_str()),
        Some("t")
    );
    assert_eq!(
        out.statuses("t").last(),
        Some(&AirbyteStreamStatus::Incomplete)
    );
    // A table without SELECT is not even queried (the reader's discover leaves
    // it out): the same failure type.
    let out = read_as_reader("hidden");
    let (failure, message) = the_error(&out);
    assert_eq!(failure, Some(FailureType::ConfigError), "{message}");
    assert!(message.contains("`public.hidden`"), "{message}");
}

#[test]
fn a_table_dropped_between_discover_and_read_is_a_config_error() {
    let db = "src_sqlstate_drop";
    let _cleanup = Cleanup { db, role: None };
    runtime().block_on(async {
        let client = fresh_db(db, None).await;
        client
            .batch_execute(
                "CREATE TABLE gone (id int PRIMARY KEY); INSERT INTO gone VALUES (1), (2);",
            )
            .await
            .expect("setup");
    });
    let dir = TestDir::new("pg-sqlstate-drop");
    let path = dir.write_json("c.json", &config(db));
    let path = path.to_str().expect("path").to_owned();
    let catalog = configured(&dir, &path, "full_refresh", Some(&["gone"]), None);

    // The read finds the table, then waits for our lock on it; the table is
    // dropped while it waits, so its query meets a table that is gone.
    let rt = runtime();
    let locker = rt.block_on(async {
        let locker = connect(db).await;
        locker
            .batch_execute("BEGIN; LOCK TABLE gone IN ACCESS EXCLUSIVE MODE")
            .await
            .expect("lock");
        locker
    });
    let reader = {
        let (path, catalog) = (path.clone(), catalog.clone());
        std::thread::spawn(move || run(&["read", "--config", &path, "--catalog", &catalog]))
    };
    let waited = rt.block_on(async {
        // Not on the locking connection: in a transaction, pg_stat_activity is a snapshot.
        let watcher = connect(db).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let waiting: i64 = watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'airbyte-rs source-postgres' AND wait_event_type = 'Lock'",
                    &[&db],
                )
                .await
                .expect("pg_stat_activity")
                .get(0);
            if waiting > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    });
    rt.block_on(async {
        // Dropped only if the read is waiting; the lock is released either way.
        let end = if waited {
            "DROP TABLE gone; COMMIT"
        } else {
            "ROLLBACK"
        };
        locker.batch_execute(end).await.expect("drop");
    });
    let out = reader.join().expect("the read");
    assert!(waited, "the read never waited for the lock: {}", out.stdout);
    let (failure, message) = the_error(&out);
    assert_eq!(failure, Some(FailureType::ConfigError), "{message}");
    assert!(
        message.starts_with(
            "reading public.gone failed: relation \"public.gone\" does not exist (SQLSTATE 42P01)"
        ) && message.contains("refresh the source schema"),
        "{message}"
    );
    assert_eq!(
        out.statuses("gone").last(),
        Some(&AirbyteStreamStatus::Incomplete)
    );
}

#[test]
fn a_statement_timeout_is_transient() {
    let db = "src_sqlstate_timeout";
    let _cleanup = Cleanup { db, role: None };
    runtime().block_on(async {
        let client = fresh_db(db, None).await;
        client
            .batch_execute(
                "CREATE TABLE fast (id int PRIMARY KEY); INSERT INTO fast VALUES (1);
                 CREATE VIEW slow AS SELECT id FROM generate_series(1, 3) id, pg_sleep(60);",
            )
            .await
            .expect("setup");
    });
    let dir = TestDir::new("pg-sqlstate-timeout");
    let mut cfg = config(db);
    // Through the config, as a user would set it (the catalog queries take far less).
    cfg["jdbc_url_params"] = json!("options=-c statement_timeout=3000");
    let path = dir.write_json("c.json", &cfg);
    let path = path.to_str().expect("path");
    let catalog = configured(&dir, path, "full_refresh", Some(&["slow", "fast"]), None);
    let started = Instant::now();
    let out = run(&["read", "--config", path, "--catalog", &catalog]);
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "the timeout did not apply"
    );
    let (failure, message) = the_error(&out);
    assert_eq!(failure, Some(FailureType::TransientError), "{message}");
    assert!(
        message.starts_with("reading public.slow failed: canceling statement due to statement timeout (SQLSTATE 57014)")
            && message.contains("statement_timeout"),
        "{message}"
    );
    // The other stream is read.
    assert_eq!(
        out.statuses("fast").last(),
        Some(&AirbyteStreamStatus::Complete)
    );
    assert_eq!(
        out.statuses("slow").last(),
        Some(&AirbyteStreamStatus::Incomplete)
    );
}
