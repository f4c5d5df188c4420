//! What conformance_real.rs runs for each case: the two engines' discover,
//! reads and checks (see its doc), and their comparison.

use std::collections::BTreeMap;
use std::path::Path;

use airbyte_sdk::testkit::TestDir;
use serde_json::{Value, json};

use crate::common::fixture::{
    FixtureServer, configured_catalog, manifest, ours, run, sdm, supports_incremental,
};
use crate::common::requests::assert_same_requests;

/// The one secret of every API of real_apis.py.
pub const TOKEN: &str = "tok-Real-1";

/// One manifest of tests/manifests/real and how to run it.
pub struct Case {
    /// `<name>.yaml`, whose API real_apis.py serves under `/<name>/`.
    pub name: &'static str,
    /// The config for an API at `base` (`http://127.0.0.1:<port>/<name>`).
    pub config: fn(&str) -> Value,
    /// The config key and value that make `check` fail (or, for xkcd, not).
    pub bad: (&'static str, Value),
    /// Streams left out of the reads (each for an engine gap named above).
    pub skipped: &'static [&'static str],
    /// Text to insert into the manifest after the first `.0`, for the gaps.
    pub edit: Option<(&'static str, &'static str)>,
    /// The paths of parent streams, under `/<name>/`: SDM caches their
    /// responses (see tests/common/requests.rs).
    pub cached: &'static [&'static str],
}

impl Case {
    pub fn new(name: &'static str, config: fn(&str) -> Value, bad: (&'static str, Value)) -> Case {
        Case {
            name,
            config,
            bad,
            skipped: &[],
            edit: None,
            cached: &[],
        }
    }

    pub fn caching(self, cached: &'static [&'static str]) -> Case {
        Case { cached, ..self }
    }

    /// For a stream an engine gap keeps out of the reads (none now).
    #[allow(dead_code)]
    pub fn skipping(self, skipped: &'static [&'static str]) -> Case {
        Case { skipped, ..self }
    }

    pub fn inserting(self, after: &'static str, text: &'static str) -> Case {
        Case {
            edit: Some((after, text)),
            ..self
        }
    }

    /// The manifest's path (in `dir` if edited).
    fn path(&self, dir: &TestDir) -> String {
        let path = manifest(&format!("real/{}.yaml", self.name));
        let Some((after, insert)) = self.edit else {
            return path;
        };
        let text = std::fs::read_to_string(&path).expect("the manifest");
        let at = text.find(after).expect("the text to insert after") + after.len();
        let edited = format!("{}{insert}{}", &text[..at], &text[at..]);
        dir.write_text("manifest.yaml", &edited)
            .display()
            .to_string()
    }
}

/// What one read says of one stream.
#[derive(Debug, Default, PartialEq)]
pub struct StreamRead {
    pub records: Vec<String>,
    pub final_state: Option<Value>,
    pub counted: f64,
    pub first_status: Option<String>,
    pub last_status: Option<String>,
    pub rate_limited: usize,
    /// `(failure_type, message)` of the stream's error traces.
    pub errors: Vec<(String, String)>,
}

/// What one read says, by stream.
#[derive(Debug)]
pub struct Read {
    pub streams: BTreeMap<String, StreamRead>,
    /// The last state of each stream, as it came (an AirbyteStateMessage).
    pub states: BTreeMap<String, Value>,
    /// The failure types of the error traces that name no stream.
    pub closing_errors: Vec<String>,
    pub code: i32,
}

impl Read {
    pub fn records(&self, stream: &str) -> usize {
        self.streams.get(stream).map_or(0, |s| s.records.len())
    }

    pub fn state(&self, stream: &str) -> &Value {
        self.streams
            .get(stream)
            .and_then(|s| s.final_state.as_ref())
            .unwrap_or(&Value::Null)
    }
}

/// `state` without the `lookback_window`s of per-partition states (at the
/// top and in the parents' states): the sync's duration, in seconds.
fn without_lookback(state: &Value) -> Value {
    let mut state = state.clone();
    fn strip(value: &mut Value) {
        if let Value::Object(map) = value {
            map.remove("lookback_window");
            if let Some(Value::Object(parents)) = map.get_mut("parent_state") {
                parents.values_mut().for_each(strip);
            }
        }
    }
    strip(&mut state);
    state
}

fn parse_read(messages: &[Value], code: i32) -> Read {
    let mut read = Read {
        streams: BTreeMap::new(),
        states: BTreeMap::new(),
        closing_errors: Vec::new(),
        code,
    };
    let name = |v: &Value| v.as_str().expect("a stream name").to_owned();
    for m in messages {
        match m["type"].as_str() {
            Some("RECORD") => {
                let stream = name(&m["record"]["stream"]);
                let data = m["record"]["data"].to_string();
                read.streams.entry(stream).or_default().records.push(data);
            }
            Some("STATE") => {
                let stream = name(&m["state"]["stream"]["stream_descriptor"]["name"]);
                let entry = read.streams.entry(stream.clone()).or_default();
                entry.final_state = Some(without_lookback(&m["state"]["stream"]["stream_state"]));
                entry.counted += m["state"]["sourceStats"]["recordCount"]
                    .as_f64()
                    .unwrap_or(0.0);
                read.states.insert(stream, m["state"].clone());
            }
            Some("TRACE") if m["trace"]["type"] == "STREAM_STATUS" => {
                let status = &m["trace"]["stream_status"];
                let entry = read
                    .streams
                    .entry(name(&status["stream_descriptor"]["name"]))
                    .or_default();
                let text = status["status"].as_str().unwrap_or("").to_owned();
                entry.first_status.get_or_insert_with(|| text.clone());
                entry.last_status = Some(text);
                if status["reasons"][0]["type"] == "RATE_LIMITED" {
                    entry.rate_limited += 1;
                }
            }
            Some("TRACE") if m["trace"]["type"] == "ERROR" => {
                let error = &m["trace"]["error"];
                let failure_type = error["failure_type"].as_str().unwrap_or("").to_owned();
                match error["stream_descriptor"]["name"].as_str() {
                    Some(stream) => {
                        let entry = read.streams.entry(stream.to_owned()).or_default();
                        let message = error["message"].as_str().unwrap_or("").to_owned();
                        entry.errors.push((failure_type, message));
                    }
                    // The CDK's closing trace.
                    None => read.closing_errors.push(failure_type),
                }
            }
            _ => {}
        }
    }
    for stream in read.streams.values_mut() {
        stream.records.sort();
    }
    read
}

/// `theirs` and `mine` agree on everything compared (see the module's doc).
fn assert_same(case: &Case, theirs: &Read, mine: &Read) {
    let name = case.name;
    assert_eq!(mine.code, theirs.code, "{name}: exit codes");
    assert_eq!(
        mine.streams.keys().collect::<Vec<_>>(),
        theirs.streams.keys().collect::<Vec<_>>(),
        "{name}: the streams read"
    );
    for (stream, their) in &theirs.streams {
        let my = &mine.streams[stream];
        let what = format!("{name}, stream {stream}");
        assert_eq!(my.records, their.records, "{what}: records");
        assert_eq!(my.first_status, their.first_status, "{what}: first status");
        assert_eq!(my.last_status, their.last_status, "{what}: last status");
        assert_eq!(my.rate_limited, their.rate_limited, "{what}: RATE_LIMITED");
        assert_eq!(my.errors, their.errors, "{what}: error traces");
        assert_eq!(my.final_state, their.final_state, "{what}: final state");
        assert_eq!(my.counted, their.counted, "{what}: records counted");
    }
    assert_eq!(
        mine.closing_errors, theirs.closing_errors,
        "{name}: the closing error traces"
    );
}

/// The two engines' runs of one case, each on its own server.
pub struct Runs {
    pub first: (Read, Read),
    pub second: Option<(Read, Read)>,
    /// What the servers injected, by key (the same on both).
    pub injected: Value,
}

/// `f(0)` (SDM's side) and `f(1)` (ours), side by side: each has its own
/// server, and the retries' waits then overlap.
fn both<T: Send>(f: impl Fn(usize) -> T + Sync) -> [T; 2] {
    std::thread::scope(|scope| {
        let theirs = scope.spawn(|| f(0));
        let mine = f(1);
        [
            theirs.join().expect("SDM's side (its panic is above)"),
            mine,
        ]
    })
}

/// Runs `case` with both engines (see the module's doc) and asserts that
/// they agree; the reads, for the caller's own assertions.
pub fn conform(case: &Case, include_skipped: bool) -> Runs {
    let dir = TestDir::new(&format!("conformance-real-{}", case.name));
    let path = case.path(&dir);
    let servers = both(|_| FixtureServer::start_script("real_apis.py", &["--token", TOKEN]));
    let engines = [sdm(), ours()];
    let configs = both(|i| {
        let config = (case.config)(&format!("{}/{}", servers[i].base_url, case.name));
        let file = dir.write_json(&format!("config-{i}.json"), &config);
        file.display().to_string()
    });

    let discovered = both(|i| {
        let args = [
            "discover",
            "--manifest-path",
            &path,
            "--config",
            &configs[i],
        ];
        let (messages, code) = run(&engines[i], &args);
        let engine = engines[i].display();
        assert_eq!(code, 0, "{}: {engine}: {messages:#?}", case.name);
        messages
            .into_iter()
            .find(|m| m["type"] == "CATALOG")
            .expect("a catalog")
    });
    assert_eq!(discovered[1], discovered[0], "{}: catalogs", case.name);
    same_requests(case, &servers, "discover");
    let catalog = configured(&dir, &discovered[0], case, include_skipped);

    let read_all = |state: Option<&str>| -> (Read, Read) {
        let [theirs, mine] = both(|i| {
            let mut args = vec!["read", "--manifest-path", &path, "--config", &configs[i]];
            args.extend(["--catalog", &catalog]);
            if let Some(state) = state {
                args.extend(["--state", state]);
            }
            let (messages, code) = run(&engines[i], &args);
            // A CONTROL message carries the whole config, by design.
            let shown = messages.iter().filter(|m| m["type"] != "CONTROL");
            assert!(
                !shown.clone().any(|m| m.to_string().contains(TOKEN)),
                "{}: {} leaked the token: {messages:#?}",
                case.name,
                engines[i].display()
            );
            parse_read(&messages, code)
        });
        assert_same(case, &theirs, &mine);
        let which = if state.is_some() { "second" } else { "first" };
        same_requests(case, &servers, &format!("{which} read"));
        (theirs, mine)
    };
    let first = read_all(None);
    let incremental = discovered[0]["catalog"]["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .any(|s| supports_incremental(s) && !skipped(case, s, include_skipped));
    let second = incremental.then(|| {
        let states: Vec<&Value> = first.0.states.values().collect();
        let state = dir.write_json("state.json", &json!(states));
        read_all(Some(&state.display().to_string()))
    });

    for good in [true, false] {
        let statuses = both(|i| {
            let mut config = (case.config)(&format!("{}/{}", servers[i].base_url, case.name));
            if !good {
                config[case.bad.0] = case.bad.1.clone();
            }
            let file = dir.write_json(&format!("check-{i}.json"), &config);
            status(case, &path, &engines[i], &file.display().to_string())
        });
        let which = if good { "good" } else { "bad" };
        same_requests(case, &servers, &format!("check with the {which} config"));
        assert_eq!(
            statuses[1], statuses[0],
            "{}: check, {which} config",
            case.name
        );
        if good {
            assert_eq!(statuses[0]["status"], "SUCCEEDED", "{}", case.name);
        }
    }

    let [theirs, mine] = both(|i| servers[i].get_json("/__stats")["injected"].clone());
    assert_eq!(mine, theirs, "{}: failures injected", case.name);
    Runs {
        first,
        second,
        injected: theirs,
    }
}

/// The two servers got the same requests since the last call.
fn same_requests(case: &Case, servers: &[FixtureServer; 2], what: &str) {
    let [theirs, mine] = both(|i| servers[i].requests());
    let cached: Vec<String> = case
        .cached
        .iter()
        .map(|p| format!("/{}/{p}", case.name))
        .collect();
    let what = format!("{}, {what}", case.name);
    assert_same_requests(&what, &theirs, &mine, &cached);
}

fn skipped(case: &Case, stream: &Value, include_skipped: bool) -> bool {
    !include_skipped && case.skipped.iter().any(|s| stream["name"] == *s)
}

/// SDM's catalog as a configured catalog file: every stream (but the
/// skipped ones), incremental where it can be.
fn configured(dir: &TestDir, catalog: &Value, case: &Case, include_skipped: bool) -> String {
    let streams = catalog["catalog"]["streams"].as_array().expect("streams");
    configured_catalog(
        dir,
        streams
            .iter()
            .filter(|s| !skipped(case, s, include_skipped)),
    )
}

/// The connection status `check` gives with `config`.
fn status(case: &Case, path: &str, engine: &Path, config: &str) -> Value {
    let args = ["check", "--manifest-path", path, "--config", config];
    let (messages, code) = run(engine, &args);
    assert_eq!(
        code,
        0,
        "{}: {}: {messages:#?}",
        case.name,
        engine.display()
    );
    messages
        .iter()
        .find(|m| m["type"] == "CONNECTION_STATUS")
        .map(|m| m["connectionStatus"].clone())
        .unwrap_or_else(|| panic!("{}: no connection status: {messages:#?}", case.name))
}

/// Asserts the record counts of SDM's read (ours equals it by then).
pub fn assert_counts(read: &Read, counts: &[(&str, usize)]) {
    let got: Vec<(&str, usize)> = counts.iter().map(|(s, _)| (*s, read.records(s))).collect();
    assert_eq!(got, counts, "records per stream");
}
