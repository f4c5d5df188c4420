//! Statement errors get the failure type of their SQLSTATE (the table of
//! `airbyte_postgres_common::sqlstate`): writing where the user may not
//! create is a config error, a lock timeout is transient. No state is echoed
//! for records that did not land, and the password never shows.

mod common;

use std::time::Duration;

use airbyte_postgres_common::testing::{Cleanup, create_login_role};
use airbyte_sdk::protocol::{ConnectionStatus, FailureType};
use airbyte_sdk::testkit::{Output, TestDir, run_binary};
use common::*;
use serde_json::json;

/// The only TRACE error of a failed run, as (failure type, message).
fn the_error(out: &Output) -> (Option<FailureType>, String) {
    assert_eq!(out.exit_code, 1, "{}\n{}", out.stdout, out.stderr);
    let errors = out.errors();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    assert!(
        out.states().is_empty(),
        "a state was echoed: {}",
        out.stdout
    );
    (errors[0].failure_type, errors[0].message.clone())
}

fn lines() -> Vec<String> {
    vec![record("s", json!({"id": 1}), 1_700_000_000_000), state(1)]
}

fn streams() -> Vec<serde_json::Value> {
    vec![stream(
        "s",
        "append",
        json!({"id": {"type": "integer"}}),
        None,
        None,
    )]
}

#[test]
fn writing_without_create_privilege_is_a_config_error() {
    let db = "dst_sqlstate_priv";
    let writer = format!("dst_sqlstate_writer_{}", std::process::id());
    let password = "writer-pw-91c2";
    let _cleanup = Cleanup {
        db,
        role: Some(writer.clone()),
    };
    runtime().block_on(async {
        let client = fresh_db(db).await;
        create_login_role(&writer, password).await;
        // The schema exists; the writer may use it but not create in it, nor in the database.
        client
            .batch_execute(&format!(
                "CREATE SCHEMA locked; GRANT USAGE ON SCHEMA locked TO {writer}"
            ))
            .await
            .expect("setup");
    });
    let dir = TestDir::new("pg-dst-sqlstate-priv");
    let mut cfg = config(db);
    cfg["schema"] = json!("locked");
    cfg["username"] = json!(writer);
    cfg["password"] = json!(password);

    // `check` says so (FAILED, exit 0).
    let path = dir.write_json("check.json", &cfg);
    let out = run_binary(
        BIN,
        &["check", "--config", path.to_str().expect("path")],
        b"",
    );
    let status = out.connection_status().expect("a connection status");
    assert_eq!(status.status, ConnectionStatus::Failed, "{}", out.stdout);

    // `write`: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database first.
    let out = write(&dir, db, Some(cfg.clone()), streams(), &lines());
    let (failure, message) = the_error(&out);
    assert_eq!(failure, Some(FailureType::ConfigError), "{message}");
    assert!(
        message.starts_with(&format!(
            "cannot create schema locked: permission denied for database {db} (SQLSTATE 42501)"
        )) && message.contains("GRANT"),
        "{message}"
    );
    assert!(!out.stdout.contains(password) && !out.stderr.contains(password));

    // With CREATE on the database the schema passes, and the table is refused.
    runtime().block_on(async {
        let client = connect(db).await;
        client
            .batch_execute(&format!("GRANT CREATE ON DATABASE {db} TO {writer}"))
            .await
            .expect("grant");
    });
    let out = write(&dir, db, Some(cfg), streams(), &lines());
    let (failure, message) = the_error(&out);
    assert_eq!(failure, Some(FailureType::ConfigError), "{message}");
    assert!(
        message.starts_with(
            "cannot create table \"locked\".\"s\": permission denied for schema locked (SQLSTATE 42501)"
        ),
        "{message}"
    );
    assert!(!out.stdout.contains(password) && !out.stderr.contains(password));
}

#[test]
fn a_lock_timeout_is_transient() {
    let db = "dst_sqlstate_lock";
    let _cleanup = Cleanup { db, role: None };
    runtime().block_on(async {
        fresh_db(db).await;
    });
    let dir = TestDir::new("pg-dst-sqlstate-lock");
    // A first sync creates the table.
    let out = write(&dir, db, None, streams(), &lines());
    assert_eq!(out.exit_code, 0, "{}", out.stderr);

    // Another session holds the table; the sync gives up after lock_timeout.
    let rt = runtime();
    let holder = rt.block_on(async {
        let holder = connect(db).await;
        holder
            .batch_execute("BEGIN; LOCK TABLE public.s IN ACCESS EXCLUSIVE MODE")
            .await
            .expect("lock");
        holder
    });
    let mut cfg = config(db);
    cfg["jdbc_url_params"] = json!("options=-c lock_timeout=500");
    let started = std::time::Instant::now();
    let out = write(&dir, db, Some(cfg), streams(), &lines());
    assert!(started.elapsed() < Duration::from_secs(30));
    rt.block_on(async {
        holder.batch_execute("ROLLBACK").await.expect("unlock");
    });
    let (failure, message) = the_error(&out);
    assert_eq!(failure, Some(FailureType::TransientError), "{message}");
    assert!(
        message.contains("canceling statement due to lock timeout (SQLSTATE 55P03)"),
        "{message}"
    );
}
