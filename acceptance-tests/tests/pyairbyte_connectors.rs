//! PyAirbyte runs our PostgreSQL connectors as local executables.
//!
//! The script `tests/python/pyairbyte_postgres.py` runs with the PyAirbyte
//! venv's Python (`AIRBYTE_TEST_PYAIRBYTE_PYTHON`, else the `pyairbyte` venv
//! of `scripts/setup-test-env.sh`), offline, with its DuckDB caches, logs and
//! temp files in a temp dir. It reads dvdrental's `payment`, `rental` and
//! `film` with source-postgres into a DuckDB cache (PyAirbyte asks for
//! `incremental` on every stream; a table has no cursor, so the source reads
//! it as a full refresh), writes that result with destination-postgres, and
//! writes straight from the source (no cache). This test compares what it
//! reports, and the destination's tables, with PostgreSQL.
//!
//! Needs the test server (`scripts/pg.sh start`, `AIRBYTE_TEST_PG_URL`) and the
//! release binaries (`cargo test --release --workspace` builds them).
//!
//! `tests/python/pyairbyte_http.py` reads source-http (the example manifest
//! injected in the config, as the platform runs a Connector Builder source)
//! into a DuckDB cache twice, from a fixture API of the test's own on
//! 127.0.0.1: as the image (PyAirbyte's `docker run`, on the host's network)
//! and as the binary.

mod common;
#[path = "common/http_fixture.rs"]
mod http_fixture;
#[path = "python/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use airbyte_sdk::testkit::TestDir;
use serde_json::{Value, json};
use support::*;

/// The tables read from dvdrental, with their primary keys.
const STREAMS: [(&str, &str); 3] = [
    ("payment", "payment_id"),
    ("rental", "rental_id"),
    ("film", "film_id"),
];

/// Runs a phase of the PostgreSQL script; returns what it wrote to its result file.
fn pyairbyte(dir: &TestDir, phase: &str, args: &Value) -> Value {
    run_script(dir, "pyairbyte_postgres.py", phase, &[phase], args)
}

/// Runs the script `script_name` (`leading` arguments, then its args and
/// result files, named after `phase`); returns what it wrote to its result file.
fn run_script(
    dir: &TestDir,
    script_name: &str,
    phase: &str,
    leading: &[&str],
    args: &Value,
) -> Value {
    let python = venv_program("AIRBYTE_TEST_PYAIRBYTE_PYTHON", "pyairbyte", "bin/python");
    let args_path = dir.write_json(&format!("{phase}-args.json"), args);
    let result_path = dir.path().join(format!("{phase}-result.json"));
    let _ = std::fs::remove_file(&result_path);
    let home = dir.path().join("pyairbyte");
    let mut command = Command::new(python);
    command
        .arg(script(script_name))
        .args(leading)
        .arg(&args_path)
        .arg(&result_path)
        .current_dir(dir.path())
        // Never contact a registry, and send no telemetry.
        .env("AIRBYTE_OFFLINE_MODE", "1")
        .env("DO_NOT_TRACK", "1")
        // Every file PyAirbyte writes stays in the temp dir.
        .env("AIRBYTE_PROJECT_DIR", &home)
        .env("AIRBYTE_CACHE_ROOT", home.join("cache"))
        .env("AIRBYTE_INSTALL_DIR", home.join("install"))
        .env("AIRBYTE_LOGGING_ROOT", home.join("logs"))
        .env("AIRBYTE_TEMP_DIR", home.join("tmp"))
        .env("NO_COLOR", "1");
    for sub in ["cache", "install", "logs", "tmp"] {
        std::fs::create_dir_all(home.join(sub)).expect("a PyAirbyte folder");
    }
    let out = run(command, Duration::from_secs(600));
    assert_success(&format!("the PyAirbyte script ({phase})"), &out);
    let text = std::fs::read_to_string(&result_path)
        .unwrap_or_else(|e| panic!("no result from the script ({phase}): {e}"));
    serde_json::from_str(&text).expect("a JSON result")
}

/// The script's arguments: the server, the wrapped binaries, the temp dir.
fn args(dir: &TestDir, source: &Path, destination: &Path) -> serde_json::Map<String, Value> {
    let (host, port) = host_port();
    let value = json!({
        "host": host, "port": port, "user": "postgres", "password": "postgres",
        "source_db": "dvdrental",
        "source": source, "destination": destination,
        "dir": dir.path(),
    });
    value.as_object().cloned().unwrap_or_default()
}

/// Every `--catalog` a wrapped connector got for `read` or `write`.
fn catalogs(messages_dir: &Path, name: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(messages_dir)
        .expect("the temp dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{name}.catalog.")))
        })
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("a catalog");
        found.push(serde_json::from_str(&text).expect("a JSON catalog"));
    }
    found
}

/// A wrapper that keeps a copy of each `--catalog` it is given, then runs `target`.
fn catalog_keeping_wrapper(dir: &Path, name: &str, target: &Path) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "#!/usr/bin/env bash\n\
         # Keeps the catalog PyAirbyte passes, then runs the connector.\n\
         prev=\n\
         for a in \"$@\"; do\n\
         \x20 if [ \"$prev\" = --catalog ]; then cp \"$a\" '{dir}/{name}.catalog.'\"$(date +%s%N)\"; fi\n\
         \x20 prev=$a\n\
         done\n\
         exec '{target}' \"$@\"\n",
        dir = dir.display(),
        target = target.display(),
    );
    std::fs::write(&path, text).expect("the wrapper");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("executable");
    }
    path
}

#[test]
fn pyairbyte_reads_into_its_cache_and_writes_through_destination_postgres() {
    let dir = TestDir::new("pyairbyte-main");
    let expected: Vec<(&str, i64)> = STREAMS
        .iter()
        .map(|(table, key)| {
            (
                *table,
                counts("dvdrental", &format!("public.{table}"), key).0,
            )
        })
        .collect();
    let total: i64 = expected.iter().map(|(_, n)| n).sum();
    // A fresh destination database per target: its `public` schema is new.
    let (from_cache, from_source) = ("pyairbyte_dst_cache", "pyairbyte_dst_source");
    fresh_database(from_cache);
    fresh_database(from_source);

    let source = catalog_keeping_wrapper(dir.path(), "source", &binary("source-postgres"));
    let destination =
        catalog_keeping_wrapper(dir.path(), "destination", &binary("destination-postgres"));
    let mut a = args(&dir, &source, &destination);
    a.insert("streams".into(), json!(STREAMS.map(|(t, _)| t)));
    a.insert("dest_db_cache".into(), json!(from_cache));
    a.insert("dest_db_source".into(), json!(from_source));
    let result = pyairbyte(&dir, "main", &Value::Object(a));
    eprintln!("source counts {expected:?}; PyAirbyte reported {result}");

    // The read into DuckDB: every row of every table.
    for (table, n) in &expected {
        assert_eq!(
            result["cache_counts"][table],
            json!(n),
            "{table} in the cache: {result}"
        );
    }
    assert_eq!(result["processed_records"], json!(total), "{result}");
    assert_eq!(
        result["write_from_cache"]["processed_records"],
        json!(total),
        "{result}"
    );
    assert_eq!(
        result["write_from_source"]["processed_records"],
        json!(total),
        "{result}"
    );

    // PyAirbyte asked for `incremental` on every stream (two reads: into the cache, and for the direct write).
    let reads = catalogs(dir.path(), "source");
    assert_eq!(reads.len(), 2, "source reads: {reads:?}");
    for catalog in &reads {
        let streams = catalog["streams"].as_array().expect("streams");
        assert_eq!(streams.len(), 3, "{catalog}");
        for s in streams {
            assert_eq!(s["sync_mode"], "incremental", "{s}");
        }
    }
    // The source said it read each as a full refresh (PyAirbyte keeps connector logs in files).
    let logs = std::fs::read_dir(dir.path().join("pyairbyte/logs/source-postgres"))
        .expect("PyAirbyte's source-postgres logs")
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<String>();
    for (table, _) in STREAMS {
        assert!(
            logs.contains(&format!(
                "stream `public.{table}` is configured as incremental but it has no cursor"
            )),
            "no full-refresh warning for {table} in the source's logs"
        );
    }

    // The destination got append_dedup (every table has a primary key) with the source's namespace.
    let writes = catalogs(dir.path(), "destination");
    assert_eq!(writes.len(), 2, "destination writes: {writes:?}");
    for catalog in &writes {
        for s in catalog["streams"].as_array().expect("streams") {
            assert_eq!(s["destination_sync_mode"], "append_dedup", "{s}");
            assert_eq!(s["stream"]["namespace"], "public", "{s}");
        }
    }

    // The final tables: every row, no duplicate key, and the same money.
    for db in [from_cache, from_source] {
        for ((table, key), (_, n)) in STREAMS.iter().zip(&expected) {
            assert_eq!(
                counts(db, &format!("public.{table}"), key),
                (*n, *n),
                "{db}.public.{table}: (rows, distinct {key})"
            );
        }
        let sum = |db: &str| {
            runtime().block_on(async {
                let row = connect(db)
                    .await
                    .query_one(
                        "SELECT trim_scale(sum(amount))::text FROM public.payment",
                        &[],
                    )
                    .await
                    .expect("sum");
                row.get::<_, String>(0)
            })
        };
        assert_eq!(sum(db), sum("dvdrental"), "sum(payment.amount) in {db}");
    }
}

/// Drops the scratch schema when the test ends, pass or fail.
struct Scratch(&'static str);

impl Drop for Scratch {
    fn drop(&mut self) {
        execute(
            "dvdrental",
            &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0),
        );
    }
}

#[test]
fn pyairbyte_set_cursor_key_reads_incrementally_and_moves_only_new_rows() {
    let dir = TestDir::new("pyairbyte-incremental");
    // A copy of payment in a scratch schema: dvdrental's own tables stay untouched.
    let scratch = Scratch("pyairbyte_scratch");
    execute(
        "dvdrental",
        &format!(
            "DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0};
             CREATE TABLE {0}.payment_copy AS SELECT * FROM public.payment;
             ALTER TABLE {0}.payment_copy ADD PRIMARY KEY (payment_id);",
            scratch.0
        ),
    );
    let (rows, _) = counts("dvdrental", "public.payment", "payment_id");
    let source = binary("source-postgres");
    let destination = binary("destination-postgres");
    let mut a = args(&dir, &source, &destination);
    a.insert("schema".into(), json!(scratch.0));
    a.insert("stream".into(), json!("payment_copy"));
    a.insert("cursor".into(), json!("payment_date"));
    let a = Value::Object(a);

    let first = pyairbyte(&dir, "incremental", &a);
    assert_eq!(first["processed_records"], json!(rows), "{first}");
    assert_eq!(first["cache_count"], json!(rows), "{first}");

    // 25 new payments, later than every cursor value.
    execute(
        "dvdrental",
        &format!(
            "INSERT INTO {0}.payment_copy
             SELECT payment_id + 1000000, customer_id, staff_id, rental_id, amount, payment_date + interval '20 years'
             FROM {0}.payment_copy ORDER BY payment_id LIMIT 25",
            scratch.0
        ),
    );
    let second = pyairbyte(&dir, "incremental", &a);
    assert_eq!(
        second["processed_records"],
        json!(25),
        "the second read moves only the new rows: {second}"
    );
    assert_eq!(second["cache_count"], json!(rows + 25), "{second}");
}

/// What source-declarative-manifest (airbyte-cdk 7.39.1) reads of each
/// stream of the example manifest from the fixture API (its defaults: 25
/// users, 40 events), with the test config's dates.
const HTTP_STREAMS: [(&str, i64); 6] = [
    ("users", 25),
    ("users_cursor", 17),
    ("users_link", 25),
    ("users_offset", 25),
    ("posts", 25),
    ("events", 21),
];

/// PyAirbyte reads every stream of source-http into its cache, then again
/// from the state the cache kept: `source` is `docker_image` or
/// `local_executable`, with its value.
fn pyairbyte_reads_source_http(label: &str, source: (&str, Value)) {
    let server = http_fixture::FixtureServer::start();
    let dir = TestDir::new(&format!("pyairbyte-http-{label}"));
    let mut config = http_fixture::test_config();
    config["base_url"] = json!(server.base_url);
    let mut args = json!({
        "config": config,
        "streams": HTTP_STREAMS.map(|(name, _)| name),
        "incremental_streams": ["events"],
        "dir": dir.path(),
    });
    args[source.0] = source.1;
    let result = run_script(&dir, "pyairbyte_http.py", label, &[], &args);
    eprintln!("PyAirbyte reported {result}");

    let total: i64 = HTTP_STREAMS.iter().map(|(_, n)| n).sum();
    assert_eq!(result["processed_records"], json!(total), "{result}");
    for (name, n) in HTTP_STREAMS {
        assert_eq!(
            result["cache_counts"][name],
            json!({"rows": n, "distinct_ids": n}),
            "{name} in the cache: {result}"
        );
    }
    // The cache kept the events cursor (the end of the config's range), and
    // the second read resumed from it: every full-refresh stream again, and
    // not the 21 events.
    assert_eq!(
        result["stream_states"]["events"]["created_at"],
        json!("2024-01-07T00:00:00Z"),
        "{result}"
    );
    let full_refresh = total - 21;
    let second = result["second_processed_records"].as_i64().unwrap_or(-1);
    assert!(
        (full_refresh..total).contains(&second),
        "the second read processed {second} records, want the {full_refresh} of the full-refresh streams and fewer than 21 events: {result}"
    );
}

#[test]
fn pyairbyte_reads_the_source_http_image_into_its_cache() {
    if common::docker_available() {
        let image = "airbyte-rs/source-http:0.1.0";
        pyairbyte_reads_source_http("image", ("docker_image", json!(image)));
    }
}

#[test]
fn pyairbyte_reads_the_source_http_binary_into_its_cache() {
    let binary = support::binary("source-http");
    pyairbyte_reads_source_http("binary", ("local_executable", json!(binary)));
}
