//! Bad input for the `source-http` binary: broken manifests (tests/manifests/bad/),
//! bad answers, a stalled and a refused host, a redirect loop, 401 and 403,
//! and rate limits without end, from the fixture server
//! (tests/fixtures/server.py, its /v1/bad endpoints) on 127.0.0.1.
//!
//! Every run of ours is bounded in time (a run still going after [`LIMIT`]
//! fails the test), must not panic, must print only protocol messages and
//! must never show the config's secret token, on stdout or stderr, as it
//! is or URL-encoded. Failure types are compared with Airbyte's
//! `source-declarative-manifest` (airbyte-cdk 7.39.1) on the same case,
//! except where a test says why not.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use airbyte_sdk::testkit::TestDir;
use common::fixture::{FixtureServer, ours, sdm};
use serde_json::{Value, json};

/// The secret. A URL shows its `/`, `+` and space encoded.
const TOKEN: &str = "tok/Secret+1 x";

/// How the token reads once encoded in a query, fully quoted, or in a path.
const TOKEN_FORMS: [&str; 4] = [
    TOKEN,
    "tok%2FSecret%2B1+x",
    "tok%2FSecret%2B1%20x",
    "tok/Secret+1%20x",
];

/// The longest a run may take.
const LIMIT: Duration = Duration::from_secs(90);

/// One run of an engine.
struct Run {
    what: String,
    messages: Vec<Value>,
    code: i32,
    elapsed: Duration,
    /// The highest resident set seen (VmHWM), in KiB, where /proc tells.
    peak_kib: Option<u64>,
}

fn peak_kib(status: &str) -> Option<u64> {
    let text = std::fs::read_to_string(status).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `engine` with `args`, killed (and the test failed) after [`LIMIT`].
/// A run of ours must not panic, must print only JSON lines and must not
/// show the token.
fn run(engine: &Path, args: &[&str]) -> Run {
    let what = format!("{} {}", engine.display(), args.join(" "));
    let started = Instant::now();
    let mut child = Command::new(engine)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak: Option<u64> = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the engine") {
            break status;
        }
        if let Some(kib) = peak_kib(&status_file) {
            peak = Some(peak.map_or(kib, |p| p.max(kib)));
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} hung: still running after {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let stdout = stdout.join().expect("stdout");
    let stderr = stderr.join().expect("stderr");
    let is_ours = engine == ours();
    let mut messages = Vec::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(message) => messages.push(message),
            Err(e) if is_ours => panic!("{what} printed a line that is not JSON ({e}): {line}"),
            Err(_) => {}
        }
    }
    if is_ours {
        assert!(!stderr.contains("panicked"), "{what} panicked: {stderr}");
        for form in TOKEN_FORMS {
            for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                if let Some(at) = text.find(form) {
                    let from = text[..at]
                        .char_indices()
                        .rev()
                        .nth(200)
                        .map_or(0, |(i, _)| i);
                    panic!(
                        "{what} showed the token ({form:?}) on {name}: …{}",
                        &text[from..(at + form.len())]
                    );
                }
            }
        }
    }
    Run {
        what,
        messages,
        code: status.code().unwrap_or(-1),
        elapsed,
        peak_kib: peak,
    }
}

impl Run {
    fn of_type(&self, kind: &str) -> impl Iterator<Item = &Value> {
        self.messages.iter().filter(move |m| m["type"] == kind)
    }

    /// The TRACE errors: (failure type, message).
    fn errors(&self) -> Vec<(String, String)> {
        self.of_type("TRACE")
            .filter(|m| m["trace"]["type"] == "ERROR")
            .map(|m| {
                let error = &m["trace"]["error"];
                (
                    error["failure_type"].as_str().unwrap_or("none").to_owned(),
                    error["message"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// The first TRACE error; fails the test if there is none.
    fn error(&self) -> (String, String) {
        self.errors()
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{}: no TRACE error in {:#?}", self.what, self.messages))
    }

    fn records(&self) -> Vec<&Value> {
        self.of_type("RECORD")
            .map(|m| &m["record"]["data"])
            .collect()
    }

    fn statuses(&self) -> Vec<String> {
        self.of_type("TRACE")
            .filter(|m| m["trace"]["type"] == "STREAM_STATUS")
            .map(|m| {
                let status = &m["trace"]["stream_status"];
                let rate_limited = status["reasons"][0]["type"] == "RATE_LIMITED";
                let name = status["status"].as_str().unwrap_or("").to_owned();
                if rate_limited {
                    format!("{name} (RATE_LIMITED)")
                } else {
                    name
                }
            })
            .collect()
    }

    fn connection_status(&self) -> (String, String) {
        let status = self
            .of_type("CONNECTION_STATUS")
            .next()
            .unwrap_or_else(|| panic!("{}: no CONNECTION_STATUS: {:#?}", self.what, self.messages));
        let status = &status["connectionStatus"];
        (
            status["status"].as_str().unwrap_or("").to_owned(),
            status["message"].as_str().unwrap_or("").to_owned(),
        )
    }

    /// A failed command: a non-zero exit and a TRACE error of `failure_type`
    /// whose message contains `text`.
    fn assert_failed(&self, failure_type: &str, text: &str) {
        assert_ne!(self.code, 0, "{}: {:#?}", self.what, self.messages);
        let (kind, message) = self.error();
        assert_eq!(kind, failure_type, "{}: {message}", self.what);
        assert!(
            message.contains(text),
            "{}: the error {message:?} does not say {text:?}",
            self.what
        );
    }

    /// A check that ran and answered FAILED (exit 0) with `text` in its message.
    fn assert_check_failed(&self, text: &str) {
        assert_eq!(self.code, 0, "{}: {:#?}", self.what, self.messages);
        let (status, message) = self.connection_status();
        assert_eq!(status, "FAILED", "{}: {message}", self.what);
        assert!(
            message.contains(text),
            "{}: the check's message {message:?} does not say {text:?}",
            self.what
        );
    }
}

/// A manifest of tests/manifests/bad.
fn bad_manifest(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/manifests/bad")
        .join(name)
        .display()
        .to_string()
}

/// A port on 127.0.0.1 that nothing listens on.
fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().expect("its address").port()
}

/// A fixture server that wants the token, and a config for it.
struct Case {
    dir: TestDir,
    _server: FixtureServer,
    config: Value,
}

impl Case {
    fn new(label: &str) -> Case {
        let server = FixtureServer::start(&["--token", TOKEN]);
        let config = json!({
            "base_url": server.base_url,
            "api_token": TOKEN,
            "dead_url": format!("http://127.0.0.1:{}", dead_port()),
        });
        Case {
            dir: TestDir::new(label),
            _server: server,
            config,
        }
    }

    /// The config, with `extra` keys, written to a file.
    fn config_file(&self, name: &str, extra: Value) -> String {
        let mut config = self.config.clone();
        if let (Value::Object(map), Value::Object(extra)) = (&mut config, extra) {
            map.extend(extra);
        }
        self.dir.write_json(name, &config).display().to_string()
    }

    /// A catalog of the one stream `name`.
    fn catalog(&self, name: &str, incremental: bool) -> String {
        let mode = if incremental {
            "incremental"
        } else {
            "full_refresh"
        };
        let catalog = json!({"streams": [{
            "stream": {"name": name, "json_schema": {},
                       "supported_sync_modes": ["full_refresh", "incremental"]},
            "sync_mode": mode, "destination_sync_mode": "append"}]});
        self.dir
            .write_json(&format!("catalog-{name}.json"), &catalog)
            .display()
            .to_string()
    }

    /// `engine read --config <config> --catalog <one stream> <extra…>`.
    fn read_with(
        &self,
        engine: &Path,
        config: &str,
        stream: &str,
        incremental: bool,
        extra: &[&str],
    ) -> Run {
        let catalog = self.catalog(stream, incremental);
        let mut args = vec!["read", "--config", config, "--catalog", &catalog];
        args.extend_from_slice(extra);
        run(engine, &args)
    }

    /// `engine read` of the one stream `stream` of `manifest`.
    fn read(&self, engine: &Path, manifest: &str, stream: &str, incremental: bool) -> Run {
        let config = self.config_file("config.json", json!({}));
        self.read_with(
            engine,
            &config,
            stream,
            incremental,
            &["--manifest-path", manifest],
        )
    }

    /// `engine <command>` (check or discover) of `manifest`; a check checks
    /// the streams `check_streams` (all of the manifest's when empty).
    fn command(&self, engine: &Path, command: &str, manifest: &str, check_streams: &[&str]) -> Run {
        let extra = if check_streams.is_empty() {
            json!({})
        } else {
            json!({ "__airbyte_check_stream_names": check_streams })
        };
        let config = self.config_file("config.json", extra);
        run(
            engine,
            &[command, "--manifest-path", manifest, "--config", &config],
        )
    }
}

fn responses() -> String {
    bad_manifest("responses.yaml")
}

// ---- Broken manifests ----------------------------------------------------
//
// SDM validates and loads the manifest before any command: a manifest that
// does not parse, has a component type the schema lacks, or a `$ref` to
// nowhere fails `check`, `discover` and `read` alike with a TRACE error
// that has no failure type ("Error starting the sync…") and exit 1. Ours
// says config_error (the manifest's author fixes it); `check` answers
// FAILED with the reason, as for any config error.

/// `check` FAILED; `discover` and `read` a config error; each naming `text`.
/// SDM fails discover too.
fn assert_broken(manifest_name: &str, text: &str) {
    let case = Case::new("bad-manifest");
    let manifest = bad_manifest(manifest_name);
    case.command(&ours(), "check", &manifest, &[])
        .assert_check_failed(text);
    let discover = case.command(&ours(), "discover", &manifest, &[]);
    discover.assert_failed("config_error", text);
    assert_eq!(discover.of_type("CATALOG").count(), 0);
    let read = case.read(&ours(), &manifest, "users", false);
    read.assert_failed("config_error", text);
    assert!(read.records().is_empty());
    let theirs = case.command(&sdm(), "discover", &manifest, &[]);
    assert_ne!(theirs.code, 0, "SDM discovered {manifest_name}");
    assert_eq!(theirs.errors().len(), 1, "{:#?}", theirs.messages);
}

#[test]
fn malformed_yaml_is_a_config_error() {
    assert_broken("malformed.yaml", "not valid YAML");
}

#[test]
fn an_unknown_component_type_is_a_config_error() {
    assert_broken("unknown_type.yaml", "FancyHttpRequester");
}

#[test]
fn a_ref_to_nowhere_is_a_config_error() {
    assert_broken("dangling_ref.yaml", "#/definitions/nowhere");
}

/// SDM refuses custom code too (a system error there: "Custom connector
/// code is not permitted in this environment"); ours, a config error.
#[test]
fn custom_python_components_are_a_config_error() {
    assert_broken("custom_components.yaml", "custom Python components");
    // Components given in the config or on the command line.
    let case = Case::new("bad-components");
    let manifest = responses();
    let config = case.config_file(
        "components.json",
        json!({"__injected_components_py": "class X: pass"}),
    );
    for extra in [
        &["--manifest-path", &manifest][..],
        &[
            "--manifest-path",
            &manifest,
            "--components-path",
            "components.py",
        ],
    ] {
        case.read_with(&ours(), &config, "not_json", false, extra)
            .assert_failed("config_error", "custom Python components");
    }
}

/// A Jinja syntax error is found when the template is rendered, in both
/// engines: discover works, check fails, read fails. SDM's read says
/// system_error ("An unexpected error occurred in stream users:
/// TemplateSyntaxError"); ours says config_error, as for every error in
/// the manifest (reported as a difference).
#[test]
fn a_jinja_syntax_error_fails_the_read() {
    let case = Case::new("bad-jinja");
    let manifest = bad_manifest("jinja_syntax.yaml");
    let discover = case.command(&ours(), "discover", &manifest, &[]);
    assert_eq!(discover.code, 0, "{:#?}", discover.messages);
    for engine in [ours(), sdm()] {
        case.command(&engine, "check", &manifest, &[])
            .assert_check_failed(
                "Encountered an error while checking availability of stream users. Error: ",
            );
    }
    let theirs = case.read(&sdm(), &manifest, "users", false);
    theirs.assert_failed("system_error", "TemplateSyntaxError");
    case.read(&ours(), &manifest, "users", false)
        .assert_failed("config_error", "is not valid Jinja");
}

/// `{{ config['missing'] }}` renders as nothing: the URL has no scheme,
/// which requests refuses before sending (not retried). SDM: discover
/// works, check fails, read is a system error naming the exception's
/// class, its text for the logs; ours the same.
#[test]
fn a_config_key_the_config_lacks_is_what_sdm_says() {
    let case = Case::new("bad-missing-key");
    let manifest = bad_manifest("missing_config.yaml");
    let expected = "Invalid URL '/v1/users': No scheme supplied.";
    for engine in [ours(), sdm()] {
        let discover = case.command(&engine, "discover", &manifest, &[]);
        assert_eq!(discover.code, 0, "{:#?}", discover.messages);
        case.command(&engine, "check", &manifest, &[])
            .assert_check_failed(&format!(
                "Encountered an error while checking availability of stream users. Error: {expected}"
            ));
        let read = case.read(&engine, &manifest, "users", false);
        read.assert_failed(
            "system_error",
            "An unexpected error occurred in stream users: MissingSchema",
        );
        let internal = read
            .of_type("TRACE")
            .find(|m| m["trace"]["type"] == "ERROR")
            .and_then(|m| m["trace"]["error"]["internal_message"].as_str())
            .unwrap_or_default();
        assert!(internal.contains(expected), "{}: {internal}", read.what);
    }
}

// ---- Bad answers ---------------------------------------------------------

/// SDM's JsonDecoder reads a body that is not JSON, or JSON cut short, as
/// `{}`: no records, and the stream completes. Ours the same.
#[test]
fn bodies_that_are_not_json_give_no_records_and_complete() {
    let case = Case::new("bad-bodies");
    for stream in ["not_json", "truncated"] {
        for engine in [ours(), sdm()] {
            let read = case.read(&engine, &responses(), stream, false);
            assert_eq!(read.code, 0, "{}: {:#?}", read.what, read.messages);
            assert!(read.errors().is_empty(), "{:#?}", read.messages);
            assert!(read.records().is_empty(), "{:#?}", read.messages);
            assert_eq!(
                read.statuses().last().map(String::as_str),
                Some("COMPLETE"),
                "{}",
                read.what
            );
            assert_eq!(read.of_type("STATE").count(), 1, "{:#?}", read.messages);
        }
    }
}

/// A page of 10 MB (9,986 records of 1 KB) is read whole, in bounded memory.
#[test]
fn a_page_of_ten_megabytes_is_read_in_bounded_memory() {
    let case = Case::new("bad-huge");
    let read = case.read(&ours(), &responses(), "huge", false);
    assert_eq!(read.code, 0, "{:#?}", read.errors());
    let records = read.records();
    assert_eq!(records.len(), 10 * 1024 * 1024 / 1050);
    assert_eq!(records[9985]["id"], 9985);
    if let Some(kib) = read.peak_kib {
        assert!(
            kib < 256 * 1024,
            "reading a 10 MB page took {} MB of memory",
            kib / 1024
        );
    }
}

/// A server that reads the request and never answers: each attempt ends
/// after the requester's `read_timeout_in_seconds` (1 s), retried once,
/// then a system error, as SDM's ("Exhausted available request attempts…
/// ReadTimeout"). No hang: the read ends in seconds.
#[test]
fn a_stalled_server_times_out_after_the_manifests_read_timeout() {
    let case = Case::new("bad-stall");
    for engine in [ours(), sdm()] {
        let read = case.read(&engine, &responses(), "stalled", false);
        read.assert_failed("system_error", "ReadTimeout");
        assert!(read.records().is_empty());
        if engine == ours() {
            assert!(
                read.elapsed >= Duration::from_secs(2) && read.elapsed < Duration::from_secs(15),
                "two attempts of 1 s took {:?}",
                read.elapsed
            );
        }
    }
    case.command(&ours(), "check", &responses(), &["stalled"])
        .assert_check_failed(
            "Stream stalled is not available: Exhausted available request attempts",
        );
}

/// A host that refuses connections: retried, then a system error (SDM's:
/// "Exhausted available request attempts… ConnectionError").
#[test]
fn a_refused_connection_is_retried_then_a_system_error() {
    let case = Case::new("bad-refused");
    for engine in [ours(), sdm()] {
        let read = case.read(&engine, &responses(), "refused", false);
        read.assert_failed("system_error", "ConnectionError");
        assert!(read.elapsed < Duration::from_secs(30), "{:?}", read.elapsed);
    }
}

/// A redirect to itself: each attempt gives up after a bounded number of
/// redirects (requests' 30, reqwest's 10), retried, then a system error.
#[test]
fn a_redirect_loop_is_bounded_and_a_system_error() {
    let case = Case::new("bad-redirect");
    for engine in [ours(), sdm()] {
        case.read(&engine, &responses(), "redirect_loop", false)
            .assert_failed("system_error", "TooManyRedirects");
    }
}

/// 401 and 403 fail at once (no retry) with the CDK's config errors; a
/// check answers FAILED with the same words, and exits 0.
#[test]
fn unauthorized_and_forbidden_are_config_errors() {
    let case = Case::new("bad-auth");
    for (stream, text) in [
        (
            "unauthorized",
            "HTTP Status Code: 401. Error: Unauthorized. Please ensure you are authenticated correctly.",
        ),
        (
            "forbidden",
            "HTTP Status Code: 403. Error: Forbidden. You don't have permission to access this resource.",
        ),
    ] {
        for engine in [ours(), sdm()] {
            let read = case.read(&engine, &responses(), stream, false);
            read.assert_failed("config_error", text);
            assert!(read.elapsed < Duration::from_secs(20), "{:?}", read.elapsed);
            case.command(&engine, "check", &responses(), &[stream])
                .assert_check_failed(&format!("Stream {stream} is not available: {text}"));
        }
    }
    // A wrong token: every answer of the server is a 401.
    let config = case.config_file("wrong.json", json!({"api_token": "wrong"}));
    let manifest = responses();
    let check = run(
        &ours(),
        &["check", "--manifest-path", &manifest, "--config", &config],
    );
    check.assert_check_failed("HTTP Status Code: 401");
}

/// A server that answers 429 forever: a RATE_LIMITED status for each of
/// the 3 answers (max_retries is 2), then a transient error "API rate
/// limit exceeded.", as SDM's.
#[test]
fn a_429_storm_ends_in_a_transient_error() {
    let case = Case::new("bad-429");
    for engine in [ours(), sdm()] {
        let read = case.read(&engine, &responses(), "rate_limited", false);
        read.assert_failed("transient_error", "API rate limit exceeded.");
        let statuses = read.statuses();
        let limited = statuses.iter().filter(|s| s.ends_with("(RATE_LIMITED)"));
        assert_eq!(limited.count(), 3, "{}: {statuses:?}", read.what);
        assert!(read.elapsed < Duration::from_secs(30), "{:?}", read.elapsed);
    }
    case.command(&ours(), "check", &responses(), &["rate_limited"])
        .assert_check_failed("Stream rate_limited is not available: API rate limit exceeded.");
}

/// The `created_at` of a record or state.
fn created_at(value: &Value) -> &str {
    value["created_at"].as_str().unwrap_or("")
}

/// Day windows from 2024-01-02, every answer a 429 from 2024-01-04: the
/// first two windows' records and their state, then the transient error.
/// The state checkpoints the two windows before the error, and no state
/// ever claims more than the records emitted before it.
#[test]
fn a_429_storm_keeps_the_state_of_the_windows_read() {
    let case = Case::new("bad-429-windows");
    for engine in [ours(), sdm()] {
        let read = case.read(&engine, &responses(), "rate_limited_windows", true);
        read.assert_failed("transient_error", "API rate limit exceeded.");
        let records = read.records();
        assert_eq!(records.len(), 8, "{}: {records:#?}", read.what);
        assert!(records.iter().all(|r| created_at(r) < "2024-01-04"));
        let mut latest = "2024-01-02T00:00:00Z".to_owned();
        let mut checkpointed = None;
        for message in &read.messages {
            match message["type"].as_str() {
                Some("RECORD") => {
                    latest = latest.max(created_at(&message["record"]["data"]).to_owned());
                }
                Some("STATE") => {
                    let state = created_at(&message["state"]["stream"]["stream_state"]);
                    assert!(
                        state <= latest.as_str(),
                        "{}: the state {state} is past the records emitted (up to {latest})",
                        read.what
                    );
                    checkpointed = Some(state.to_owned());
                }
                Some("TRACE") if message["trace"]["type"] == "ERROR" => break,
                _ => {}
            }
        }
        assert_eq!(
            checkpointed.as_deref(),
            Some("2024-01-03T18:00:00Z"),
            "{}: the windows read are not checkpointed before the error",
            read.what
        );
    }
}

/// A partition (`kind`) and a `created_at` of it.
type Cursor = (String, String);

/// The last state's cursor of each partition, and the records' latest.
fn partition_cursors(run: &Run) -> (Vec<Cursor>, Vec<Cursor>) {
    let mut states = Vec::new();
    let mut records: Vec<Cursor> = Vec::new();
    for message in &run.messages {
        match message["type"].as_str() {
            Some("RECORD") => {
                let data = &message["record"]["data"];
                let kind = data["kind"].as_str().unwrap_or("").to_owned();
                match records.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, latest)) => *latest = (*latest).clone().max(created_at(data).into()),
                    None => records.push((kind, created_at(data).into())),
                }
            }
            Some("STATE") => {
                let state = &message["state"]["stream"]["stream_state"];
                states = state["states"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        let kind = s["partition"]["kind"].as_str().unwrap_or("").to_owned();
                        (kind, created_at(&s["cursor"]).to_owned())
                    })
                    .collect();
                // No partition's state is past the records emitted for it.
                for (kind, cursor) in &states {
                    let latest = records
                        .iter()
                        .find(|(k, _)| k == kind)
                        .map_or("2024-01-02T00:00:00Z", |(_, l)| l.as_str());
                    assert!(
                        cursor.as_str() <= latest,
                        "{}: partition {kind}'s state {cursor} is past its records (up to {latest})",
                        run.what
                    );
                }
            }
            _ => {}
        }
    }
    (states, records)
}

/// Partitions `open`, `click` and `close` (each one window); `close` is a
/// 429 forever. Records of `open` and `click`, a transient error, and
/// states that never run ahead of the records.
#[test]
fn a_429_storm_in_one_partition_keeps_the_others_records() {
    let case = Case::new("bad-429-partitions");
    for engine in [ours(), sdm()] {
        let read = case.read(&engine, &responses(), "rate_limited_partitions", true);
        read.assert_failed("transient_error", "API rate limit exceeded.");
        let (_, mut records) = partition_cursors(&read);
        records.sort();
        assert_eq!(
            records,
            [
                ("click".to_owned(), "2024-01-06T12:00:00Z".to_owned()),
                ("open".to_owned(), "2024-01-07T00:00:00Z".to_owned()),
            ],
            "{}",
            read.what
        );
    }
}

/// The partitions read whole (`open`, `click`) are checkpointed by the
/// end of the failed read, so that the next sync starts after them. SDM
/// emits their state when the stream fails (after INCOMPLETE); ours emits
/// the state of a per-partition cursor at most every 600 s while reading
/// (as the CDK's throttle), and nothing when the stream fails, so only
/// `open` (the first, unthrottled) is checkpointed. The fix belongs in
/// src/retriever/read.rs (see the report); this test shows it.
#[test]
fn a_429_storm_in_one_partition_checkpoints_the_partitions_read() {
    let case = Case::new("bad-429-checkpoint");
    for engine in [sdm(), ours()] {
        let read = case.read(&engine, &responses(), "rate_limited_partitions", true);
        let (states, _) = partition_cursors(&read);
        for (kind, cursor) in [
            ("open", "2024-01-07T00:00:00Z"),
            ("click", "2024-01-06T12:00:00Z"),
        ] {
            assert!(
                states.iter().any(|(k, c)| k == kind && c == cursor),
                "{}: partition {kind} read to {cursor} is not checkpointed: {states:?}",
                read.what
            );
        }
    }
}

// ---- Secrets -------------------------------------------------------------
//
// `run` fails any test in which ours shows the token. These runs put it
// where it is most exposed: in the query string of every request (so in
// every message that names a URL), with --debug, and in remote mode where
// only the injected manifest's spec says it is a secret. (SDM shows it in
// its internal messages for 401, 403 and a refused connection.)

/// The streams whose reads fail with messages that name the request.
const FAILING: [&str; 6] = [
    "unauthorized",
    "forbidden",
    "refused",
    "redirect_loop",
    "rate_limited",
    "stalled",
];

#[test]
fn the_token_is_never_shown_with_debug_logs() {
    let case = Case::new("bad-secrets-debug");
    let manifest = responses();
    let config = case.config_file("config.json", json!({}));
    for stream in FAILING {
        let extra = ["--debug", "--manifest-path", &manifest];
        let read = case.read_with(&ours(), &config, stream, false, &extra);
        assert_ne!(read.code, 0, "{stream}");
    }
    let config = case.config_file(
        "check.json",
        json!({"__airbyte_check_stream_names": ["unauthorized"]}),
    );
    let check = run(
        &ours(),
        &[
            "check",
            "--debug",
            "--manifest-path",
            &manifest,
            "--config",
            &config,
        ],
    );
    check.assert_check_failed("HTTP Status Code: 401");
}

/// Remote mode: the manifest comes in the config, and only its own spec
/// marks `api_token` as a secret.
#[test]
fn the_token_is_never_shown_in_remote_mode() {
    let case = Case::new("bad-secrets-remote");
    let text = std::fs::read_to_string(responses()).expect("the manifest");
    let manifest = source_http::manifest::yaml::parse(&text).expect("YAML");
    let config = case.config_file(
        "remote.json",
        json!({ "__injected_declarative_manifest": manifest }),
    );
    let read = |stream: &str| case.read_with(&ours(), &config, stream, false, &[]);
    // The token is sent (the server wants it) ...
    let huge = read("huge");
    assert_eq!(huge.code, 0, "{:#?}", huge.errors());
    assert!(!huge.records().is_empty());
    // ... and never shown.
    for stream in FAILING {
        assert_ne!(read(stream).code, 0, "{stream}");
    }
    let checked = case.config_file(
        "remote-check.json",
        json!({ "__injected_declarative_manifest": manifest,
                "__airbyte_check_stream_names": ["refused"] }),
    );
    let check = run(&ours(), &["check", "--config", &checked]);
    check.assert_check_failed("ConnectionError");
    // A config the injected spec refuses names the field, not its value.
    let bad = case.config_file(
        "remote-bad.json",
        json!({ "__injected_declarative_manifest": manifest, "base_url": 7 }),
    );
    let discover = run(&ours(), &["discover", "--config", &bad]);
    discover.assert_failed("config_error", "base_url");
}
