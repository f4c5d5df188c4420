//! The acceptance suites pass for every connector, as a binary and as an image.

mod common;

use airbyte_acceptance_tests::{AcceptanceConfig, Connector, run_suites};
use common::*;

fn suites(name: &str, connector: Option<Connector>) {
    let (config, base) = AcceptanceConfig::load(
        &workspace()
            .join("connectors")
            .join(name)
            .join("acceptance-test-config.yml"),
    )
    .expect("config");
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
