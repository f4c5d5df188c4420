//! The acceptance suites pass for every connector, as a binary and as an image.

mod common;
#[path = "common/http_fixture.rs"]
mod http_fixture;

use std::path::Path;

use airbyte_acceptance_tests::{AcceptanceConfig, Connector, run_suites};
use common::*;
use http_fixture::FixtureServer;

fn suites(name: &str, connector: Option<Connector>) {
    suites_in(&workspace().join("connectors").join(name), connector);
}

/// The suites of the acceptance-test-config.yml in `folder`.
fn suites_in(folder: &Path, connector: Option<Connector>) {
    let (config, base) =
        AcceptanceConfig::load(&folder.join("acceptance-test-config.yml")).expect("config");
    let connector = connector.unwrap_or_else(|| Connector::Image(config.connector_image.clone()));
    let report = run_suites(&connector, &config, &base).expect("suites ran");
    print!("{report}");
    assert!(
        report.passed(),
        "{} failed its acceptance tests:\n{report}",
        connector.describe()
    );
}

#[test]
fn example_source_binary() {
    suites(
        "example-source-generator",
        Some(Connector::Binary(binary("example-source-generator"))),
    );
}

#[test]
fn example_destination_binary() {
    suites(
        "example-destination-jsonl",
        Some(Connector::Binary(binary("example-destination-jsonl"))),
    );
}

#[test]
fn example_source_image() {
    if docker_available() {
        suites("example-source-generator", None);
    }
}

#[test]
fn example_destination_image() {
    if docker_available() {
        suites("example-destination-jsonl", None);
    }
}

#[test]
fn source_postgres_binary() {
    assert!(
        std::env::var_os("AIRBYTE_TEST_PG_URL").is_some(),
        "source-postgres runs against the test server: run `scripts/pg.sh start` (the test command does)"
    );
    suites(
        "source-postgres",
        Some(Connector::Binary(binary("source-postgres"))),
    );
}

#[test]
fn source_postgres_image() {
    assert!(
        std::env::var_os("AIRBYTE_TEST_PG_URL").is_some(),
        "source-postgres runs against the test server: run `scripts/pg.sh start` (the test command does)"
    );
    if docker_available() {
        suites("source-postgres", None);
    }
}

#[test]
fn destination_postgres_binary() {
    assert!(
        std::env::var_os("AIRBYTE_TEST_PG_URL").is_some(),
        "destination-postgres runs against the test server: run `scripts/pg.sh start` (the test command does)"
    );
    suites(
        "destination-postgres",
        Some(Connector::Binary(binary("destination-postgres"))),
    );
}

#[test]
fn destination_postgres_image() {
    assert!(
        std::env::var_os("AIRBYTE_TEST_PG_URL").is_some(),
        "destination-postgres runs against the test server: run `scripts/pg.sh start` (the test command does)"
    );
    if docker_available() {
        suites("destination-postgres", None);
    }
}

/// source-http's suites (the example manifest, injected in the config as the
/// platform runs a Connector Builder source) against a fixture API of their
/// own: the connector's folder copied with its configs' `base_url` naming it.
/// An image runs on the host's network (the harness's `docker run --network
/// host`), so it reaches the server on 127.0.0.1 as the binary does.
fn source_http_suites(connector: Option<Connector>) {
    let server = FixtureServer::start();
    let copy = server.connector_copy();
    suites_in(copy.path(), connector);
}

#[test]
fn source_http_binary() {
    source_http_suites(Some(Connector::Binary(binary("source-http"))));
}

#[test]
fn source_http_image() {
    if docker_available() {
        source_http_suites(None);
    }
}

/// source-http's suites on manifests modeled on real manifest-only
/// connectors (`connectors/source-http/acceptance/<name>/`: PagerDuty's and
/// Sentry's), each against a stand-in API of its own.
fn source_http_real_suites(connector: impl Fn() -> Option<Connector>) {
    for name in ["pagerduty", "sentry"] {
        let server = FixtureServer::start_real();
        let copy = server.acceptance_copy(name);
        suites_in(copy.path(), connector());
    }
}

#[test]
fn source_http_real_manifests_binary() {
    source_http_real_suites(|| Some(Connector::Binary(binary("source-http"))));
}

#[test]
fn source_http_real_manifests_image() {
    if docker_available() {
        source_http_real_suites(|| None);
    }
}
