//! Replications the way the platform's replication pod runs them: the source
//! container writes to its stdout FIFO, our runner (the orchestrator) reads
//! it and writes to the destination container's stdin FIFO, and the
//! destination's states come back through its stdout FIFO.

use std::path::Path;

use airbyte_acceptance_tests::{
    Connector, Error, Invocation, Pod, StreamChoices, SyncOptions, SyncSummary, run_sync,
};
use airbyte_sdk::protocol::{ConfiguredAirbyteCatalog, SyncMode};
use airbyte_sdk::testkit::TestDir;
use serde_json::{Value, json};

use crate::platform::{Network, Steps, images, unique, writable_dir};

/// The dvdrental tables replicated, each with a `last_update` cursor.
const TABLES: &[&str] = &["actor", "category", "film"];

fn pod_of(name: &str, network: &Network) -> Connector {
    let image = images()
        .into_iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("connectors/{name}/metadata.yaml"));
    Connector::Pod(Pod::new(image.image).on_network(network.name.clone()))
}

fn source_config(network: &Network) -> Value {
    json!({
        "host": network.pg_host, "port": 5432, "database": "dvdrental",
        "username": "postgres", "password": "postgres", "schemas": ["public"],
        "ssl_mode": {"mode": "disable"}
    })
}

fn destination_config(network: &Network, database: &str, password: &str) -> Value {
    json!({
        "host": network.pg_host, "port": 5432, "database": database, "schema": "public",
        "username": "postgres", "password": password, "ssl_mode": {"mode": "disable"}
    })
}

fn options(network: &Network, database: &str, password: &str) -> SyncOptions {
    let mut options = SyncOptions::new(
        pod_of("source-postgres", network),
        source_config(network),
        pod_of("destination-postgres", network),
        destination_config(network, database, password),
    );
    options.progress = false;
    options
}

fn count(network: &Network, database: &str, table: &str) -> u64 {
    network
        .psql(
            database,
            &format!("select count(*) from public.\"{table}\""),
        )
        .parse()
        .unwrap_or_else(|e| panic!("count of {database}.public.{table}: {e}"))
}

/// A digest of a table's rows (id and names), to compare source and replica.
fn digest(network: &Network, database: &str, table: &str) -> String {
    let sql = match table {
        "actor" => {
            "select md5(string_agg(actor_id || ':' || first_name || ':' || last_name, ',' order by actor_id)) from public.actor"
        }
        "category" => {
            "select md5(string_agg(category_id || ':' || name, ',' order by category_id)) from public.category"
        }
        // rental_rate: numeric(4,2) in the source, numeric(38,9) in the replica.
        _ => {
            "select md5(string_agg(film_id || ':' || title || ':' || release_year || ':' || (rental_rate * 100)::bigint || ':' || last_update, ',' order by film_id)) from public.film"
        }
    };
    network.psql(database, sql)
}

/// Each table of the replica has the source's rows.
fn assert_replica(network: &Network, database: &str, summary: &SyncSummary, what: &str) {
    for table in TABLES {
        let stream = format!("public.{table}");
        let expected = count(network, "dvdrental", table);
        let got = count(network, database, table);
        assert_eq!(got, expected, "{what}: rows of {table} in the replica");
        assert_eq!(
            digest(network, database, table),
            digest(network, "dvdrental", table),
            "{what}: the rows of {table} differ from the source's"
        );
        let s = summary
            .stream(&stream)
            .unwrap_or_else(|| panic!("{what}: {stream} missing from {summary:?}"));
        assert_eq!(s.committed, s.emitted, "{what}: {stream} committed");
        assert_eq!(s.invalid, 0, "{what}: {stream} invalid records");
    }
}

/// The incremental catalog: every table by its `last_update` cursor, deduplicated on its key.
fn incremental_catalog(network: &Network) -> ConfiguredAirbyteCatalog {
    let source = pod_of("source-postgres", network);
    let config = source_config(network);
    let out = source
        .run(&Invocation::new("discover").config(&config), b"")
        .expect("discover in a connector pod");
    let catalog = out.catalog().expect("a CATALOG").clone();
    let streams: Vec<Value> = TABLES
        .iter()
        .map(|table| {
            let stream = catalog
                .streams
                .iter()
                .find(|s| s.name == *table)
                .unwrap_or_else(|| panic!("discover found no {table}"));
            let key = stream
                .source_defined_primary_key
                .clone()
                .unwrap_or_else(|| panic!("{table} has no primary key"));
            json!({
                "stream": stream, "sync_mode": "incremental", "cursor_field": ["last_update"],
                "destination_sync_mode": "append_dedup", "primary_key": key
            })
        })
        .collect();
    serde_json::from_value(json!({"streams": streams})).expect("a configured catalog")
}

fn saved_cursors(path: &Path) -> Vec<(String, Value)> {
    let states: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the state file"))
            .expect("a JSON array of states");
    let mut cursors: Vec<(String, Value)> = states
        .iter()
        .map(|s| {
            assert!(
                s["stream"].get("id").is_none() && s.get("id").is_none(),
                "the runner's id was saved: {s}"
            );
            (
                s["stream"]["stream_descriptor"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                s["stream"]["stream_state"].clone(),
            )
        })
        .collect();
    cursors.sort_by(|a, b| a.0.cmp(&b.0));
    cursors
}

/// source-postgres → destination-postgres, both as launcher-style pods on
/// the test network: a full refresh, then two incremental syncs, the second
/// from the state the destination echoed during the first.
pub fn postgres_to_postgres(network: &Network) {
    let steps = Steps::new("platform emulation: source-postgres → destination-postgres over FIFOs");
    let streams: Vec<String> = TABLES.iter().map(|t| format!("public.{t}")).collect();

    let full = network.fresh_database("pe_full");
    let mut opts = options(network, &full.name, "postgres");
    opts.choices = StreamChoices {
        streams: Some(streams.clone()),
        sync_mode: Some(SyncMode::FullRefresh),
        ..Default::default()
    };
    let summary = run_sync(&opts).expect("the full refresh through the FIFOs");
    assert_replica(network, &full.name, &summary, "full refresh");
    steps.record(
        "source-postgres → destination-postgres",
        "full refresh (actor, category, film)",
        format!(
            "{} rows emitted = committed = in the replica, digests equal, exit 0 ✓",
            summary.total().committed
        ),
    );

    let incremental = network.fresh_database("pe_incr");
    let dir = TestDir::new("pe-state");
    let state_file = dir.path().join("state.json");
    let mut opts = options(network, &incremental.name, "postgres");
    opts.catalog = Some(incremental_catalog(network));
    opts.state_file = Some(state_file.clone());
    let first = run_sync(&opts).expect("the first incremental sync");
    assert_replica(network, &incremental.name, &first, "first incremental sync");
    let cursors = saved_cursors(&state_file);
    assert_eq!(
        cursors.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ["actor", "category", "film"],
        "the state file after the first incremental sync"
    );
    steps.record(
        "source-postgres → destination-postgres",
        "incremental (cursor last_update, append_dedup)",
        format!(
            "{} rows committed, 3 stream states echoed and saved ✓",
            first.total().committed
        ),
    );

    let second = run_sync(&opts).expect("the second incremental sync, from the saved state");
    assert_replica(
        network,
        &incremental.name,
        &second,
        "second incremental sync",
    );
    assert!(
        second.total().emitted <= first.total().emitted,
        "the second sync emitted more than the first: {second:?}"
    );
    assert_eq!(
        saved_cursors(&state_file),
        cursors,
        "the cursors moved although the source did not change"
    );
    steps.record(
        "source-postgres → destination-postgres",
        "incremental again (dvdrental unchanged), --state from the saved file",
        format!(
            "{} rows emitted, replica unchanged, cursors unchanged ✓",
            second.total().emitted
        ),
    );
    incremental_changes(network, &steps);
}

/// An incremental sync that moves changes: a source table of our own (in
/// a fresh database, so dvdrental stays as it is), synced, changed (two
/// inserts and an update with a later cursor), synced again from the state.
fn incremental_changes(network: &Network, steps: &Steps) {
    let source_db = network.fresh_database("pe_src");
    network.psql(
        &source_db.name,
        "create table public.items (id int primary key, v text not null, last_update timestamp not null); \
         insert into public.items select i, 'v' || i, timestamp '2024-01-01' + i * interval '1 minute' from generate_series(1, 5) i",
    );
    let replica = network.fresh_database("pe_chg");
    let dir = TestDir::new("pe-changes");
    let mut opts = options(network, &replica.name, "postgres");
    opts.source_config["database"] = json!(source_db.name);
    let source = opts.source.clone();
    let out = source
        .run(
            &Invocation::new("discover").config(&opts.source_config),
            b"",
        )
        .expect("discover");
    let stream = out
        .catalog()
        .and_then(|c| c.streams.iter().find(|s| s.name == "items").cloned())
        .expect("discover found items");
    opts.catalog = Some(
        serde_json::from_value(json!({"streams": [{
            "stream": stream, "sync_mode": "incremental", "cursor_field": ["last_update"],
            "destination_sync_mode": "append_dedup", "primary_key": [["id"]]
        }]}))
        .expect("a configured catalog"),
    );
    opts.state_file = Some(dir.path().join("state.json"));
    let first = run_sync(&opts).expect("the first incremental sync of items");
    let items = |db: &str| {
        network.psql(
            db,
            "select string_agg(id || '=' || v, ',' order by id) from public.items",
        )
    };
    assert_eq!(first.stream("public.items").map(|s| s.committed), Some(5));
    assert_eq!(items(&replica.name), items(&source_db.name));
    network.psql(
        &source_db.name,
        "insert into public.items values (6, 'v6', '2024-02-01'), (7, 'v7', '2024-02-01'); \
         update public.items set v = 'changed', last_update = '2024-02-02' where id = 2",
    );
    let second = run_sync(&opts).expect("the second incremental sync of items");
    let s = second.stream("public.items").expect("items in the summary");
    assert_eq!((s.emitted, s.committed), (3, 3), "the changed rows only");
    assert_eq!(
        items(&replica.name),
        "1=v1,2=changed,3=v3,4=v4,5=v5,6=v6,7=v7"
    );
    assert_eq!(items(&replica.name), items(&source_db.name));
    steps.record(
        "source-postgres → destination-postgres",
        "incremental, 2 inserts + 1 update, then again from the state",
        "5 rows, then exactly the 3 changed rows emitted and committed, replica = source ✓",
    );
}

/// example-source-generator → example-destination-jsonl through the
/// `cargo airbyte sync` command line: `pod:IMAGE` connectors and
/// `--docker-network`, twice, the second from the saved state.
pub fn generator_to_jsonl(network: &Network) {
    let steps = Steps::new(
        "platform emulation: example-source-generator → example-destination-jsonl over FIFOs",
    );
    let image = |name: &str| match pod_of(name, network) {
        Connector::Pod(pod) => format!("pod:{}", pod.image),
        _ => unreachable!(),
    };
    let dir = TestDir::new("pe-jsonl");
    let local = writable_dir("pe-jsonl-local");
    let source_config = dir.write_json(
        "source.json",
        &json!({"count": 40, "api_key": "pe-secret-api-key"}),
    );
    let destination_config = dir.write_json(
        "destination.json",
        &json!({"destination_path": "/local/out"}),
    );
    let state_file = dir.path().join("state.json");
    let sync = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cargo-airbyte"))
            .args([
                "sync",
                "--no-progress",
                "--source",
                &image("example-source-generator"),
            ])
            .arg("--source-config")
            .arg(&source_config)
            .args(["--destination", &image("example-destination-jsonl")])
            .arg("--destination-config")
            .arg(&destination_config)
            .args(["--docker-network", &network.name])
            .arg("--local-root")
            .arg(local.path())
            .arg("--state-file")
            .arg(&state_file)
            .output()
            .expect("cargo-airbyte sync")
    };
    let lines = |stream: &str| {
        std::fs::read_to_string(local.path().join("out").join(format!("{stream}.jsonl")))
            .unwrap_or_default()
            .lines()
            .count()
    };
    let out = sync();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "cargo airbyte sync:\n{stdout}\n{stderr}"
    );
    assert!(
        !stderr.contains("pe-secret-api-key") && !stdout.contains("pe-secret-api-key"),
        "a secret was printed"
    );
    for stream in ["users", "purchases"] {
        assert_eq!(lines(stream), 40, "{stream}.jsonl after the first sync");
        let row = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(stream))
            .unwrap_or_else(|| panic!("no {stream} row in the summary:\n{stdout}"));
        let numbers: Vec<&str> = row.split_whitespace().skip(1).collect();
        assert_eq!(
            numbers,
            ["40", "40", "0"],
            "{stream}: emitted, committed, invalid"
        );
    }
    let cursors = saved_cursors(&state_file);
    assert_eq!(cursors.len(), 2, "the saved states: {cursors:?}");
    steps.record(
        "example-source-generator → example-destination-jsonl",
        "cargo airbyte sync --source pod:… --destination pod:… --docker-network",
        "80 records emitted = committed = lines written, 2 states saved, exit 0 ✓",
    );

    let out = sync();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the second sync:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after: usize = ["users", "purchases"].iter().map(|s| lines(s)).sum();
    let committed: usize = stdout
        .lines()
        .find(|l| l.starts_with("total"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no total in the summary:\n{stdout}"));
    assert_eq!(
        after,
        80 + committed,
        "the lines appended by the second sync"
    );
    steps.record(
        "example-source-generator → example-destination-jsonl",
        "second sync from the saved state",
        format!("{committed} more records committed and appended, exit 0 ✓"),
    );
}

/// A destination with a wrong password: its TRACE ERROR and exit code come
/// back through its stdout FIFO and the container, the sync fails, nothing is
/// committed, no state saved, and the password is not printed.
pub fn wrong_destination_password(network: &Network) {
    let steps = Steps::new("platform emulation: a failing replication");
    let database = network.fresh_database("pe_fail");
    let password = format!("pe-wrong-{}", unique());
    let dir = TestDir::new("pe-fail");
    let state_file = dir.path().join("state.json");
    let mut opts = options(network, &database.name, &password);
    opts.choices = StreamChoices {
        streams: Some(vec!["public.actor".into()]),
        sync_mode: Some(SyncMode::FullRefresh),
        ..Default::default()
    };
    opts.state_file = Some(state_file.clone());
    let err = run_sync(&opts).expect_err("a destination with a wrong password fails");
    let Error::Sync(message) = &err else {
        panic!("not a sync failure: {err}");
    };
    assert!(
        message.contains("Authentication failed") && message.contains("(config_error)"),
        "the destination's TRACE ERROR is not in {message:?}"
    );
    assert!(
        message.contains("the destination exited with exit code 1"),
        "the destination's exit code is not in {message:?}"
    );
    assert!(
        !message.contains(&password),
        "the password was printed: {message}"
    );
    let saved: Vec<Value> = std::fs::read_to_string(&state_file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    assert!(saved.is_empty(), "a state was saved: {saved:?}");
    steps.record(
        "source-postgres → destination-postgres",
        "destination with a wrong password",
        "sync failed: TRACE ERROR config_error \"Authentication failed…\", exit 1, no state saved ✓",
    );
}
