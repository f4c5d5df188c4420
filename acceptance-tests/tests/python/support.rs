//! What the PyAirbyte and Python-connector tests share: the venvs' programs,
//! wrapper scripts that let the runner or PyAirbyte start a Python connector
//! (and record what crosses its pipes), commands with a deadline, and the test
//! PostgreSQL server.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use airbyte_postgres_common::testing::{connect, fresh_db, host_port, runtime};
use serde_json::Value;

/// A workspace binary, beside this test's executable.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build --release -p {name}` (`cargo test --release --workspace` builds it)",
        path.display()
    );
    path
}

/// A program of a test venv: `$var` if set, else `<venv>/<relative>` (see
/// `airbyte_sdk::testkit::test_venv`). Panics with how to install it.
pub fn venv_program(var: &str, venv: &str, relative: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| airbyte_sdk::testkit::test_venv(venv).join(relative));
    assert!(
        path.is_file(),
        "{} is missing (set {var}, or run `scripts/setup-test-env.sh`, which makes the `{venv}` venv; `scripts/test.sh` runs it)",
        path.display()
    );
    path
}

/// This test file's Python script `name`, under `tests/python/`.
pub fn script(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// An executable in `dir` that runs `command` with its arguments; for
/// `read`/`write`, it also appends what the connector prints to
/// `<dir>/<name>.out.jsonl` and, for `write`, its input to `<dir>/<name>.in.jsonl`.
pub fn wrapper(dir: &Path, name: &str, command: &[&Path]) -> PathBuf {
    let run = command
        .iter()
        .map(|p| quote(&p.display().to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let out = quote(&dir.join(format!("{name}.out.jsonl")).display().to_string());
    let input = quote(&dir.join(format!("{name}.in.jsonl")).display().to_string());
    let text = format!(
        "#!/usr/bin/env bash\n\
         # Runs {name} for a test; records what crosses its pipes during read and write.\n\
         set -o pipefail\n\
         case \"${{1:-}}\" in\n\
         \x20 read) {run} \"$@\" | tee -a {out} ;;\n\
         \x20 write) tee -a {input} | {run} \"$@\" | tee -a {out} ;;\n\
         \x20 *) exec {run} \"$@\" ;;\n\
         esac\n"
    );
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the wrapper");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("make the wrapper executable");
    }
    path
}

/// The JSON lines a wrapper recorded (`<name>.<which>.jsonl`), then empties the file.
pub fn take_recorded(dir: &Path, name: &str, which: &str) -> Vec<Value> {
    let path = dir.join(format!("{name}.{which}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    text.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Runs `command` to its end, killing it after `limit`; panics if it has to.
pub fn run(mut command: Command, limit: Duration) -> Output {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    // Drain the pipes on threads, so a chatty child never blocks.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).ok();
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).ok();
        buf
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} did not finish in {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Panics with both outputs unless `out` succeeded.
pub fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `SELECT count(*), count(DISTINCT key)` of `table` in database `db`.
pub fn counts(db: &str, table: &str, key: &str) -> (i64, i64) {
    runtime().block_on(async {
        let client = connect(db).await;
        let row = client
            .query_one(
                &format!("SELECT count(*), count(DISTINCT {key}) FROM {table}"),
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("counting {db}.{table}: {e}"));
        (row.get(0), row.get(1))
    })
}

/// Runs SQL statements in database `db`.
pub fn execute(db: &str, sql: &str) {
    runtime().block_on(async {
        connect(db)
            .await
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("in {db}: {e}\n{sql}"));
    });
}

/// A fresh, empty database `name` of the test server.
pub fn fresh_database(name: &str) {
    runtime().block_on(async {
        fresh_db(name, None).await;
    });
}

/// A connector config for database `db` of the test server (source-postgres
/// and destination-postgres share these keys).
pub fn pg_config(db: &str) -> serde_json::Map<String, Value> {
    let (host, port) = host_port();
    let value = serde_json::json!({
        "host": host, "port": port, "database": db, "username": "postgres",
        "password": "postgres", "ssl_mode": {"mode": "disable"},
    });
    value.as_object().cloned().unwrap_or_default()
}
