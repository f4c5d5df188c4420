//! source-http against Airbyte's `source-declarative-manifest` (airbyte-cdk
//! 7.39.1) on manifests modeled on real manifest-only connectors
//! (tests/manifests/real/, each naming the connector, its version and the
//! components it keeps), each over its stand-in API in
//! tests/fixtures/real_apis.py.
//!
//! For each manifest, each engine gets its own fixture server (the
//! injected 429s and 500s are stateful) and runs, in turn: discover (the
//! catalogs must be equal; SDM's, every stream incremental where it can
//! be, is the catalog of both reads), a read, a second read from the
//! first read's final states where a stream is incremental, then check
//! with a good and with a bad config. The reads must agree per stream:
//! records as multisets, final states (without the per-partition
//! `lookback_window`, the sync's duration), the total of the states'
//! `recordCount`s, the first and last statuses, the RATE_LIMITED ones, and
//! the stream's error traces; and the exit codes. Both servers must have
//! answered the same injected failures, which are pinned, as are the
//! record counts, so that a manifest that both engines read wrongly in the
//! same way still fails here.
//!
//! The engine's gaps found here are tests of their own at the end,
//! `#[ignore]`d until source-http has the feature (run them with
//! `--ignored`): a `partition_router` written as a list that holds a
//! SubstreamPartitionRouter (getlago's `customer_usage` is left out of its
//! reads for it, and k6-cloud is only there); for a stream that fails, the
//! CDK's final state of it and its closing "did not sync successfully"
//! trace (not compared in secoda's test); `stream_slice.extra_fields` in
//! templates; `schema_normalization: Default` and OAuthAuthenticator
//! (airtable's manifest leaves the one out and selects the Bearer token).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use airbyte_sdk::testkit::TestDir;
use common::fixture::{
    FixtureServer, configured_catalog, manifest, ours, run, sdm, supports_incremental,
};
use serde_json::{Value, json};

const TOKEN: &str = "tok-Real-1";

/// One manifest of tests/manifests/real and how to run it.
struct Case {
    /// `<name>.yaml`, whose API real_apis.py serves under `/<name>/`.
    name: &'static str,
    /// The config for an API at `base` (`http://127.0.0.1:<port>/<name>`).
    config: fn(&str) -> Value,
    /// The config key and value that make `check` fail (or, for xkcd, not).
    bad: (&'static str, Value),
    /// Streams left out of the reads (each for an engine gap named above).
    skipped: &'static [&'static str],
    /// Text to insert into the manifest after the first `.0`, for the gaps.
    edit: Option<(&'static str, &'static str)>,
}

impl Case {
    fn new(name: &'static str, config: fn(&str) -> Value, bad: (&'static str, Value)) -> Case {
        Case {
            name,
            config,
            bad,
            skipped: &[],
            edit: None,
        }
    }

    fn skipping(self, skipped: &'static [&'static str]) -> Case {
        Case { skipped, ..self }
    }

    fn inserting(self, after: &'static str, text: &'static str) -> Case {
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
struct StreamRead {
    records: Vec<String>,
    final_state: Option<Value>,
    counted: f64,
    first_status: Option<String>,
    last_status: Option<String>,
    rate_limited: usize,
    /// `(failure_type, message)` of the stream's error traces.
    errors: Vec<(String, String)>,
}

/// What one read says, by stream.
#[derive(Debug)]
struct Read {
    streams: BTreeMap<String, StreamRead>,
    /// The last state of each stream, as it came (an AirbyteStateMessage).
    states: BTreeMap<String, Value>,
    /// The failure types of the error traces that name no stream.
    closing_errors: Vec<String>,
    code: i32,
}

impl Read {
    fn records(&self, stream: &str) -> usize {
        self.streams.get(stream).map_or(0, |s| s.records.len())
    }

    fn state(&self, stream: &str) -> &Value {
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
                    // The CDK's closing trace (not compared: see above).
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
        // The CDK also states a failed stream (not compared: see above).
        if their.last_status.as_deref() != Some("INCOMPLETE") {
            assert_eq!(my.final_state, their.final_state, "{what}: final state");
            assert_eq!(my.counted, their.counted, "{what}: records counted");
        }
    }
}

/// The two engines' runs of one case, each on its own server.
struct Runs {
    first: (Read, Read),
    second: Option<(Read, Read)>,
    /// What the servers injected, by key (the same on both).
    injected: Value,
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
fn conform(case: &Case, include_skipped: bool) -> Runs {
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
fn assert_counts(read: &Read, counts: &[(&str, usize)]) {
    let got: Vec<(&str, usize)> = counts.iter().map(|(s, _)| (*s, read.records(s))).collect();
    assert_eq!(got, counts, "records per stream");
}

#[test]
fn pokeapi() {
    let case = Case::new(
        "pokeapi",
        |base| json!({"base_url": base, "pokemon_name": "ditto"}),
        ("pokemon_name", json!("missingno")),
    );
    let runs = conform(&case, false);
    let (theirs, _) = &runs.first;
    assert_counts(theirs, &[("pokemon", 1)]);
    let record: Value = serde_json::from_str(&theirs.streams["pokemon"].records[0]).unwrap();
    assert_eq!(record["id"], 1000132);
    assert_eq!(record["marker"], "fixture-marker");
}

#[test]
fn exchange_rates() {
    let case = Case::new(
        "exchange_rates",
        |base| json!({"base_url": base, "access_key": TOKEN, "start_date": "2026-11-20"}),
        ("access_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    assert_counts(&runs.first.0, &[("exchange_rates", 1)]);
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_eq!(
        second.state("exchange_rates"),
        &json!({"date": "2026-11-20"})
    );
}

#[test]
fn xkcd_retries_and_ignores() {
    let case = Case::new(
        "xkcd",
        |base| json!({"base_url": base, "comic_number": "3"}),
        // The comic after the last is a 404, which the manifest IGNOREs.
        ("comic_number", json!("99")),
    );
    let runs = conform(&case, false);
    assert_counts(&runs.first.0, &[("xkcd", 4)]);
    assert_eq!(runs.first.0.streams["xkcd"].rate_limited, 1);
    assert_eq!(
        runs.injected,
        json!({"xkcd:comic/4": [429], "xkcd:comic/5": [500]})
    );
}

#[test]
fn pagerduty() {
    let case = Case::new(
        "pagerduty",
        |base| json!({"base_url": base, "token": TOKEN}),
        ("token", json!("wrong")),
    );
    let runs = conform(&case, false);
    assert_counts(
        &runs.first.0,
        &[("incident_logs", 6), ("incidents", 3), ("teams", 2)],
    );
}

#[test]
fn sentry_link_headers_and_data_feeds() {
    let case = Case::new(
        "sentry",
        |base| json!({"base_url": base, "auth_token": TOKEN, "organization": "acme", "project": "web", "num_workers": 3}),
        ("auth_token", json!("wrong")),
    );
    let runs = conform(&case, false);
    let (first, _) = &runs.first;
    assert_counts(
        first,
        &[
            ("events", 7),
            ("issues", 5),
            ("project_detail", 1),
            ("projects", 3),
        ],
    );
    // The latest event is at 12:00:00.5+02:00, written in its own zone.
    assert_eq!(
        first.state("events"),
        &json!({"dateCreated": "2026-11-05T12:00:00.500000Z"})
    );
    assert_eq!(
        first.state("issues"),
        &json!({"lastSeen": "2026-11-15T05:00:00.000000Z"})
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_counts(
        second,
        &[
            ("events", 0),
            ("issues", 0),
            ("project_detail", 1),
            ("projects", 0),
        ],
    );
}

#[test]
fn calendly_substreams_with_incremental_dependency() {
    let case = Case::new(
        "calendly",
        |base| json!({"base_url": base, "api_key": TOKEN, "start_date": "2026-11-03T00:00:00Z"}),
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    let (first, _) = &runs.first;
    assert_counts(
        first,
        &[
            ("api_user", 1),
            ("event_invitees", 6),
            ("scheduled_events", 4),
        ],
    );
    let invitees = first.state("event_invitees");
    assert_eq!(invitees["states"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        invitees["parent_state"]["scheduled_events"]["state"],
        json!({"start_time": "2026-11-10T10:00:00.000000Z"})
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_counts(
        second,
        &[
            ("api_user", 1),
            ("event_invitees", 1),
            ("scheduled_events", 1),
        ],
    );
}

#[test]
fn gong_post_bodies_lookback_and_ignored_404() {
    let case = Case::new(
        "gong",
        |base| {
            json!({
                "base_url": base, "access_key": "gong-access-key", "access_key_secret": TOKEN,
                "users_to_fetch": ["u1", "u2"], "start_date": "2026-11-01T00:00:00Z"
            })
        },
        ("access_key_secret", json!("wrong")),
    );
    let runs = conform(&case, false);
    let (first, _) = &runs.first;
    assert_counts(
        first,
        &[
            ("answeredScorecards", 5),
            ("calls", 4),
            ("transcripts", 3),
            ("users", 3),
        ],
    );
    assert_eq!(
        first.state("calls"),
        &json!({"started": "2026-11-05T08:30:00Z"})
    );
    assert_eq!(runs.injected, json!({"gong:scorecards": [429, 500]}));
    // The one-day lookback reads the last two calls again.
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_eq!(second.records("calls"), 2);
}

fn getlago() -> Case {
    Case::new(
        "getlago",
        |base| json!({"base_url": base, "api_key": TOKEN}),
        ("api_key", json!("wrong")),
    )
    .skipping(&["customer_usage"])
}

#[test]
fn getlago_query_string_paths_and_substreams() {
    let runs = conform(&getlago(), false);
    assert_counts(&runs.first.0, &[("customers", 3), ("subscriptions", 3)]);
}

#[test]
fn launchdarkly_offset_increments() {
    let case = Case::new(
        "launchdarkly",
        |base| json!({"base_url": base, "api_key": TOKEN, "project_key": "default"}),
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    assert_counts(
        &runs.first.0,
        &[
            ("auditlogentries", 7),
            ("members", 45),
            ("metrics", 12),
            ("teams", 5),
        ],
    );
}

/// Only in a gap test: its one stream of interest has the list of routers.
fn k6_cloud() -> Case {
    Case::new(
        "k6_cloud",
        |base| json!({"base_url": base, "api_token": TOKEN}),
        ("api_token", json!("wrong")),
    )
}

#[test]
fn delighted_epoch_windows_link_paths_and_retry_after() {
    let case = Case::new(
        "delighted",
        |base| json!({"base_url": base, "api_key": TOKEN, "since": "2026-10-01T00:00:00Z"}),
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    let (first, _) = &runs.first;
    assert_counts(first, &[("people", 7), ("unsubscribes", 3)]);
    assert_eq!(first.state("people"), &json!({"created_at": "1792411200"}));
    assert_eq!(first.streams["people"].rate_limited, 1);
    assert_eq!(
        runs.injected,
        json!({"delighted:people": [429], "delighted:unsubscribes": [500]})
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_counts(second, &[("people", 1), ("unsubscribes", 1)]);
}

#[test]
fn nasa_overlapping_monthly_windows_with_lookback() {
    let case = Case::new(
        "nasa",
        |base| json!({"base_url": base, "api_key": TOKEN, "start_date": "2026-09-15"}),
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    assert_counts(&runs.first.0, &[("nasa_apod", 23)]);
    assert_eq!(
        runs.first.0.state("nasa_apod"),
        &json!({"date": "2026-11-26"})
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_counts(second, &[("nasa_apod", 7)]);
}

#[test]
fn jotform_unfiltered_cursors_and_star_paths() {
    let case = Case::new(
        "jotform",
        |base| {
            json!({
                "api_key": TOKEN, "api_endpoint": {"api_endpoint": "enterprise", "enterprise_url": base},
                "start_date": "2026-11-01T00:00:00Z", "end_date": "2026-11-20T00:00:00Z"
            })
        },
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    assert_counts(
        &runs.first.0,
        &[("forms", 3), ("questions", 6), ("submissions", 25)],
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    // The submissions' state is past the end date: no slice is left.
    assert_counts(
        second,
        &[("forms", 3), ("questions", 6), ("submissions", 0)],
    );
}

#[test]
fn emailoctopus_page_increments_and_removed_fields() {
    let case = Case::new(
        "emailoctopus",
        |base| json!({"base_url": base, "api_key": TOKEN}),
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    // The first page twice: PageIncrement starts from page 0, not sent.
    assert_counts(&runs.first.0, &[("campaigns", 3), ("lists", 105)]);
    let campaign: Value =
        serde_json::from_str(&runs.first.0.streams["campaigns"].records[0]).unwrap();
    assert_eq!(campaign["content"], json!({"subject": "News 0"}));
}

fn secoda() -> Case {
    Case::new(
        "secoda",
        |base| json!({"base_url": base, "api_key": TOKEN}),
        ("api_key", json!("wrong")),
    )
}

#[test]
fn secoda_fails_the_stream_on_500() {
    let runs = conform(&secoda(), false);
    let (first, _) = &runs.first;
    assert_eq!(first.code, 1);
    assert_counts(first, &[("tables", 1), ("terms", 2)]);
    assert_eq!(
        first.streams["tables"].last_status.as_deref(),
        Some("INCOMPLETE")
    );
    let error = (
        "transient_error",
        "HTTP Status Code: 500. Error: Internal server error.",
    );
    assert_eq!(
        first.streams["tables"].errors,
        [(error.0.to_owned(), error.1.to_owned())]
    );
    assert_eq!(
        runs.injected,
        json!({"secoda:tables": [500], "secoda:terms": [429]})
    );
}

fn airtable() -> Case {
    Case::new(
        "airtable",
        |base| json!({"base_url": base, "credentials": {"auth_method": "api_key", "api_key": TOKEN}}),
        // A 401: the manifest's FAIL filter and its own message.
        (
            "credentials",
            json!({"auth_method": "api_key", "api_key": "wrong"}),
        ),
    )
}

#[test]
fn airtable_selective_auth_flattened_renamed_fields_and_fail_filters() {
    let runs = conform(&airtable(), false);
    let (first, _) = &runs.first;
    let deals = "sales_crm/deals/tblDeals";
    assert_counts(first, &[("bases", 2), (deals, 3), ("tables", 2)]);
    let acme: Value = serde_json::from_str(&first.streams[deals].records[0]).unwrap();
    assert_eq!(
        acme,
        json!({
            "_airtable_created_time": "2026-11-01T10:00:00.000Z", "_airtable_id": "rec1",
            "_airtable_table_name": "Deals", "amount": 1200.5, "closed_won": true, "deal_name": "Acme"
        })
    );
    assert_eq!(runs.injected, json!({"airtable:deals": [429, 500]}));
}

// The engine gaps: each test passes once source-http has the feature.

#[test]
#[ignore = "engine gap: a partition_router list holding a SubstreamPartitionRouter reads no parent: no partitions, no records"]
fn gap_getlago_cartesian_product_of_substream_routers() {
    let runs = conform(&getlago(), true);
    assert_eq!(runs.first.0.records("customer_usage"), 5);
    assert_eq!(
        runs.injected,
        json!({"getlago:usage/cust-1/sub-2": [429, 500]})
    );
}

#[test]
fn k6_cloud_list_of_one_substream_router() {
    let runs = conform(&k6_cloud(), true);
    // Page 1 twice: PageIncrement starts from page 0, not sent.
    assert_eq!(runs.first.0.records("projects"), 75);
}

#[test]
#[ignore = "engine gap: a failed stream gets no final state, and the sync no closing error trace"]
fn gap_secoda_failed_stream_state_and_closing_trace() {
    let runs = conform(&secoda(), false);
    let (theirs, mine) = &runs.first;
    let stats = |r: &Read| r.states.get("tables").map(|s| s["sourceStats"].clone());
    assert_eq!(stats(mine), stats(theirs));
    assert_eq!(mine.closing_errors, theirs.closing_errors);
}

#[test]
#[ignore = "engine gap: `stream_slice.extra_fields` (and `.partition`, `.cursor_slice`) are undefined in templates"]
fn gap_airtable_extra_fields_in_templates() {
    let case = airtable().inserting(
        "$ref: \"#/definitions/streams/bases\"\n",
        "      transformations:\n        - type: AddFields\n          fields:\n            - path: [base_name]\n              value: \"{{ stream_slice.extra_fields['name'] }}\"\n",
    );
    let runs = conform(&case, false);
    assert!(runs.first.0.streams["tables"].records[0].contains("\"base_name\":\"Ops\""));
}

#[test]
#[ignore = "engine gap: `schema_normalization: Default` is refused (a config error)"]
fn gap_airtable_schema_normalization() {
    let case = airtable().inserting(
        "| length > 0}}\"\n",
        "          schema_normalization: Default\n",
    );
    let runs = conform(&case, false);
    // "80" is a number in the schema.
    assert!(runs.first.0.streams["sales_crm/deals/tblDeals"].records[1].contains("\"amount\":80"));
}

#[test]
#[ignore = "engine gap: OAuthAuthenticator (with a refresh_token_updater) is refused (a config error)"]
fn gap_airtable_oauth_with_refresh_token_updater() {
    let case = Case {
        config: |base| {
            json!({"base_url": base, "credentials": {
                "auth_method": "oauth2.0", "client_id": "client-1", "client_secret": "secret-1", "refresh_token": "refresh-1"
            }})
        },
        ..airtable()
    };
    conform(&case, false);
}
