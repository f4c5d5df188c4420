//! The connector base image carries the tz database, so source-http's
//! image renders `today_with_timezone(...)` for a named zone, as it does on
//! a host with Debian's tzdata.

mod common;

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use airbyte_sdk::testkit::TestDir;
use airbyte_sdk::value::calendar::civil_from_days;
use common::docker_available;
use serde_json::{Value, json};

/// The civil date (`YYYY-MM-DD`) of a count of days since 1970-01-01.
fn civil(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Today in Pacific/Kiritimati: UTC+14 all year (no daylight saving).
fn kiritimati_today() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64;
    civil((now + 14 * 3600).div_euclid(86_400))
}

#[test]
fn civil_dates() {
    assert_eq!(civil(0), "1970-01-01");
    assert_eq!(civil(19_723), "2024-01-01");
    assert_eq!(civil(19_782), "2024-02-29");
}

#[test]
fn the_source_http_image_renders_dates_in_named_zones() {
    if !docker_available() {
        return;
    }
    // The check stream's path holds the date; no server answers (the
    // container has no network), so the check fails after one retry, whose
    // LOG line names the URL.
    let manifest = json!({
        "version": "6.44.0", "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": ["days"]},
        "streams": [{
            "type": "DeclarativeStream", "name": "days",
            "retriever": {
                "type": "SimpleRetriever",
                "requester": {
                    "type": "HttpRequester", "url_base": "http://127.0.0.1:9", "http_method": "GET",
                    "path": "/day/{{ today_with_timezone('Pacific/Kiritimati') }}",
                    "error_handler": {
                        "type": "DefaultErrorHandler", "max_retries": 1,
                        "backoff_strategies": [{"type": "ConstantBackoffStrategy", "backoff_time_in_seconds": 0}]
                    }
                },
                "record_selector": {"type": "RecordSelector", "extractor": {"type": "DpathExtractor", "field_path": []}}
            },
            "schema_loader": {"type": "InlineSchemaLoader", "schema": {"type": "object"}}
        }],
        "spec": {"type": "Spec", "connection_specification": {"type": "object"}}
    });
    let dir = TestDir::new("image-zoneinfo");
    dir.write_json(
        "config.json",
        &json!({"__injected_declarative_manifest": manifest}),
    );
    let before = kiritimati_today();
    let out = Command::new("docker")
        .args(["run", "--rm", "--network", "none", "-v"])
        .arg(format!("{}:/config:ro", dir.path().display()))
        .args([
            "airbyte-rs/source-http:0.1.0",
            "check",
            "--config",
            "/config/config.json",
        ])
        .output()
        .expect("docker run");
    let after = kiritimati_today();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let status: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["type"] == "CONNECTION_STATUS")
        .collect();
    assert_eq!(status.len(), 1, "one CONNECTION_STATUS: {stdout}");
    assert_eq!(
        status[0]["connectionStatus"]["status"], "FAILED",
        "{stdout}"
    );
    assert!(
        [before, after]
            .iter()
            .any(|day| stdout.contains(&format!("/day/{day}"))),
        "the request names today's date in Pacific/Kiritimati: {stdout}"
    );
    assert!(!stdout.contains("zone"), "no time zone error: {stdout}");
}
