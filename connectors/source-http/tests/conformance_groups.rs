//! `stream_groups` (tests/manifests/stream_groups.yaml), source-http against
//! Airbyte's `source-declarative-manifest` (airbyte-cdk 7.39.1), each over
//! its own fixture server (tests/fixtures/server.py): the same records per
//! stream, and in the requests each server answered, the streams of the
//! group one after the other. Three streams share the group, a substream
//! reads one of them as its parent (so it waits for the group too), and
//! one stream is outside the group. A second manifest puts the substream
//! in its parent's group, which the CDK reads all the same (its check
//! against that misses substreams).

mod common;

use std::collections::BTreeMap;

use airbyte_sdk::testkit::TestDir;
use common::fixture::{FixtureServer, configured_catalog, manifest, ours, run, sdm};
use serde_json::{Value, json};

const TOKEN: &str = "tok-Groups-1";

/// Which stream of the manifest a request path belongs to (`users` is read
/// by `users` and, as its parent, by `posts`).
fn label(path: &str) -> &'static str {
    match path {
        "/v1/users" => "users",
        "/v1/users/offset" => "users_offset",
        "/v1/users/cursor" => "users_cursor",
        "/v1/users/link" => "users_link",
        p if p.ends_with("/posts") => "posts",
        _ => "other",
    }
}

/// One engine's read of `manifest_path`: its records per stream (sorted
/// texts), and the labels of the requests its server answered, in order.
fn read(
    engine: &std::path::Path,
    manifest_path: &str,
    dir: &TestDir,
    n: usize,
) -> (BTreeMap<String, Vec<String>>, Vec<&'static str>) {
    let server = FixtureServer::start(&["--token", TOKEN]);
    let config = dir
        .write_json(
            &format!("config-{n}.json"),
            &json!({"base_url": server.base_url, "api_token": TOKEN}),
        )
        .display()
        .to_string();
    let (discovered, code) = run(
        engine,
        &[
            "discover",
            "--manifest-path",
            manifest_path,
            "--config",
            &config,
        ],
    );
    assert_eq!(code, 0, "{} discover: {discovered:?}", engine.display());
    let streams = discovered.last().expect("a catalog")["catalog"]["streams"]
        .as_array()
        .expect("streams")
        .clone();
    let catalog = configured_catalog(dir, &streams);
    server.get_json("/__requests");
    let (messages, code) = run(
        engine,
        &[
            "read",
            "--manifest-path",
            manifest_path,
            "--config",
            &config,
            "--catalog",
            &catalog,
        ],
    );
    assert_eq!(code, 0, "{} read: {messages:?}", engine.display());
    let mut records: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in messages.iter().filter(|m| m["type"] == "RECORD") {
        let stream = m["record"]["stream"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        records
            .entry(stream)
            .or_default()
            .push(m["record"]["data"].to_string());
    }
    records.values_mut().for_each(|r| r.sort());
    let log = server.get_json("/__requests");
    let labels = log
        .as_array()
        .expect("the request log")
        .iter()
        .map(|r| label(r["path"].as_str().unwrap_or_default()))
        .collect();
    (records, labels)
}

/// Among the grouped streams' requests, each of `users_offset`,
/// `users_cursor` and `posts` comes in one block: no other stream of the
/// group was read meanwhile (`users` may come twice: read itself, and as
/// the parent of `posts`, just before it).
fn assert_one_at_a_time(engine: &str, labels: &[&'static str]) {
    let grouped: Vec<&str> = labels
        .iter()
        .copied()
        .filter(|l| *l != "users_link")
        .collect();
    for stream in ["users_offset", "users_cursor", "posts"] {
        let first = grouped.iter().position(|l| *l == stream);
        let last = grouped.iter().rposition(|l| *l == stream);
        let (Some(first), Some(last)) = (first, last) else {
            panic!("{engine}: no request of {stream}: {labels:?}");
        };
        assert!(
            grouped[first..=last].iter().all(|l| *l == stream),
            "{engine}: another stream of the group was read during {stream}: {grouped:?}"
        );
    }
}

fn conform(manifest_path: &str) {
    let dir = TestDir::new("stream-groups");
    let (theirs, their_labels) = read(&sdm(), manifest_path, &dir, 0);
    let (mine, my_labels) = read(&ours(), manifest_path, &dir, 1);
    let counts: Vec<(&String, usize)> = mine.iter().map(|(s, r)| (s, r.len())).collect();
    assert_eq!(theirs, mine, "the records differ");
    assert_eq!(
        counts.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [25, 25, 25, 25, 25],
        "{counts:?}"
    );
    assert_one_at_a_time("SDM", &their_labels);
    assert_one_at_a_time("source-http", &my_labels);
}

#[test]
fn a_group_is_read_one_stream_at_a_time() {
    conform(&manifest("stream_groups.yaml"));
}

#[test]
fn a_substream_in_its_parents_group_is_read() {
    let text = std::fs::read_to_string(manifest("stream_groups.yaml")).expect("the manifest");
    let member = "      - $ref: \"#/definitions/users_cursor\"\n";
    assert!(text.contains(member));
    let edited = text.replace(
        member,
        &format!("{member}      - $ref: \"#/definitions/posts\"\n"),
    );
    let dir = TestDir::new("stream-groups-substream");
    let path = dir.path().join("manifest.yaml");
    std::fs::write(&path, edited).expect("write the manifest");
    conform(&path.display().to_string());
}

/// The manifest's groups are as the test expects them.
#[test]
fn the_manifest_groups_three_streams() {
    let text = std::fs::read_to_string(manifest("stream_groups.yaml")).expect("the manifest");
    let loaded: Value = source_http::manifest::load(&text).expect("it loads");
    let members = loaded["stream_groups"]["api_quota"]["streams"]
        .as_array()
        .expect("members");
    let names: Vec<&str> = members.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["users", "users_offset", "users_cursor"]);
}
