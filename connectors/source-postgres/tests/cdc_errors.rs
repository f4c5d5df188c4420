//! CDC errors against the real test server: a missing slot or publication, a
//! slot in use, a table outside the publication.
//!
//! Needs the server of `scripts/pg.sh start` and its URL in `AIRBYTE_TEST_PG_URL`.

mod cdc_support;

use airbyte_sdk::protocol::{AirbyteStreamStatus, ConnectionStatus};
use cdc_support::*;

#[test]
fn check_names_a_missing_slot_or_publication() {
    let rt = runtime();
    let (fx, _db) = rt.block_on(Fixture::new(
        "check",
        "CREATE TABLE t (id int PRIMARY KEY);",
        "t",
    ));
    let status = |config: &str| {
        let out = run(&["check", "--config", config]);
        assert_eq!(out.exit_code, 0, "{}", out.stdout);
        out.connection_status()
            .cloned()
            .expect("a connection status")
    };
    let ok = status(&fx.good_config());
    assert_eq!(ok.status, ConnectionStatus::Succeeded, "{:?}", ok.message);

    let no_slot = status(&fx.config("cdc_slot_missing", &fx.publication));
    assert_eq!(no_slot.status, ConnectionStatus::Failed);
    let message = no_slot.message.unwrap_or_default();
    assert!(
        message.contains("cdc_slot_missing")
            && message.contains("pg_create_logical_replication_slot"),
        "{message}"
    );

    let no_publication = status(&fx.config(&fx.slot, "cdc_pub_missing"));
    assert_eq!(no_publication.status, ConnectionStatus::Failed);
    let message = no_publication.message.unwrap_or_default();
    assert!(
        message.contains("cdc_pub_missing") && message.contains("CREATE PUBLICATION"),
        "{message}"
    );

    // A read with a missing slot fails with a config error too.
    let catalog = fx.catalog(&["t"], &[]);
    let out = run(&[
        "read",
        "--config",
        &fx.config("cdc_slot_missing", &fx.publication),
        "--catalog",
        &catalog,
    ]);
    assert_ne!(out.exit_code, 0);
    let error = out
        .errors()
        .first()
        .map(|e| format!("{:?} {}", e.failure_type, e.message))
        .unwrap_or_default();
    assert!(
        error.contains("Config") && error.contains("cdc_slot_missing"),
        "{error}"
    );
    rt.block_on(fx.drop_all());
}

#[test]
fn a_slot_in_use_is_a_transient_error_and_an_unpublished_table_a_config_error() {
    let rt = runtime();
    let (fx, db) = rt.block_on(Fixture::new(
        "busy",
        "CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE unpublished (id int PRIMARY KEY);",
        "t",
    ));
    let catalog = fx.catalog(&["t"], &[]);
    let (_, state1) = fx.read(&catalog, None, "first");

    // Another session streams from the slot.
    let url = server_url();
    let host_port = url
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (host, port) = host_port.split_once(':').unwrap_or((&host_port, "5432"));
    let holder = rt.block_on(async {
        let config = pgwire_replication::ReplicationConfig::new(
            host,
            "postgres",
            "postgres",
            fx.db.as_str(),
            fx.slot.as_str(),
            fx.publication.as_str(),
        )
        .with_port(port.parse().expect("port"));
        let mut client = pgwire_replication::ReplicationClient::connect(config)
            .await
            .expect("replication connection");
        client.wait_started().await.expect("started");
        client
    });
    let out = run(&[
        "read",
        "--config",
        &fx.good_config(),
        "--catalog",
        &catalog,
        "--state",
        &state1,
    ]);
    assert_ne!(out.exit_code, 0);
    let error = out
        .errors()
        .first()
        .map(|e| format!("{:?} {}", e.failure_type, e.message))
        .unwrap_or_default();
    assert!(
        error.contains("Transient") && error.contains("in use"),
        "{error}"
    );
    assert_eq!(
        out.statuses("t").last(),
        Some(&AirbyteStreamStatus::Incomplete)
    );
    rt.block_on(async {
        let mut holder = holder;
        let _ = holder.shutdown().await;
    });

    // An incremental stream whose table is not in the publication.
    let catalog = fx.catalog(&["unpublished"], &[]);
    let _ = db;
    let out = run(&[
        "read",
        "--config",
        &fx.good_config(),
        "--catalog",
        &catalog,
        "--state",
        &state1,
    ]);
    assert_ne!(out.exit_code, 0);
    let error = out
        .errors()
        .first()
        .map(|e| format!("{:?} {}", e.failure_type, e.message))
        .unwrap_or_default();
    assert!(
        error.contains("Config") && error.contains("ALTER PUBLICATION"),
        "{error}"
    );
    rt.block_on(fx.drop_all());
}
