//! Each suite catches a deliberately broken connector (and passes the real one).
//!
//! `broken/connector.sh` wraps the example connectors and damages one
//! behaviour, chosen by the BROKEN environment variable.

mod common;

use airbyte_acceptance_tests::{AcceptanceConfig, Connector, Report, run_suites};
use airbyte_sdk::testkit::TestDir;
use common::*;

/// Runs `suites` (YAML) against the example connector `name`, broken as `broken`.
fn run(name: &str, broken: &str, suites: &str) -> Report {
    let dir = TestDir::new("harness");
    let yaml = format!(
        "connector_image: airbyte-rs/{name}:0.1.0\nbase_path: {}\ncustom_environment_variables:\n  BROKEN: \"{broken}\"\n  REAL_CONNECTOR: \"{}\"\nacceptance_tests:\n{suites}",
        workspace().join("connectors").join(name).display(),
        binary(name).display()
    );
    let path = dir.write_text("acceptance-test-config.yml", &yaml);
    let (config, base) = AcceptanceConfig::load(&path).expect("config");
    let wrapper = workspace().join("acceptance-tests/tests/broken/connector.sh");
    run_suites(&Connector::Binary(wrapper), &config, &base).expect("suites ran")
}

fn assert_caught(report: &Report, suite: &str, test: &str) {
    assert!(
        report.has_failure(suite, test),
        "{suite}/{test} should have failed:\n{report}"
    );
}

const SOURCE: &str = "example-source-generator";
const CONNECTION: &str = "  connection:\n    tests:\n      - config_path: integration_tests/config.json\n        status: succeed\n";
const SPEC: &str = "  spec:\n    tests:\n      - config_path: integration_tests/config.json\n";
const DISCOVERY: &str =
    "  discovery:\n    tests:\n      - config_path: integration_tests/config.json\n";
const BASIC_READ: &str =
    "  basic_read:\n    tests:\n      - config_path: integration_tests/config.json\n";
const FULL_REFRESH: &str = "  full_refresh:\n    tests:\n      - config_path: integration_tests/config.json\n        configured_catalog_path: integration_tests/configured_catalog.json\n";
const INCREMENTAL: &str = "  incremental:\n    tests:\n      - config_path: integration_tests/config.json\n        configured_catalog_path: integration_tests/configured_catalog_incremental.json\n        future_state:\n          future_state_path: integration_tests/abnormal_state.json\n";

#[test]
fn the_unbroken_wrapper_passes_every_suite() {
    let all = [
        SPEC,
        CONNECTION,
        DISCOVERY,
        BASIC_READ,
        FULL_REFRESH,
        INCREMENTAL,
    ]
    .concat();
    let report = run(SOURCE, "none", &all);
    assert!(report.passed(), "{report}");
    assert!(report.results.len() > 40, "{report}");
}

#[test]
fn a_printed_secret_is_caught() {
    let report = run(SOURCE, "secret_in_log", CONNECTION);
    assert_caught(
        &report,
        "connection",
        "test_check[0:succeed]/no_secrets_printed",
    );
}

#[test]
fn a_check_that_crashes_is_caught() {
    assert_caught(
        &run(SOURCE, "crash_in_check", CONNECTION),
        "connection",
        "test_check[0:succeed]",
    );
}

#[test]
fn an_expected_exception_is_checked_both_ways() {
    const EXCEPTION: &str = "  connection:\n    tests:\n      - config_path: integration_tests/config.json\n        status: exception\n";
    let raised = run(SOURCE, "raise_in_check", EXCEPTION);
    assert!(raised.passed(), "{raised}");
    assert_caught(
        &run(SOURCE, "none", EXCEPTION),
        "connection",
        "test_check[0:exception]",
    );
}

#[test]
fn a_line_that_is_not_a_message_is_caught() {
    assert_caught(
        &run(SOURCE, "not_json", CONNECTION),
        "connection",
        "test_check[0:succeed]/valid_messages",
    );
}

#[test]
fn a_spec_breaking_the_conventions_is_caught() {
    assert_caught(
        &run(SOURCE, "duplicate_order", SPEC),
        "spec",
        "test_duplicate_order",
    );
}

#[test]
fn a_primary_key_missing_from_the_schema_is_caught() {
    assert_caught(
        &run(SOURCE, "pk_not_in_schema", DISCOVERY),
        "discovery",
        "test_primary_keys_exist_in_schema",
    );
}

#[test]
fn a_record_not_matching_its_schema_is_caught() {
    assert_caught(
        &run(SOURCE, "bad_record", BASIC_READ),
        "basic_read",
        "test_read/validate_schema",
    );
}

#[test]
fn a_state_before_its_records_is_caught() {
    assert_caught(
        &run(SOURCE, "state_before_records", BASIC_READ),
        "basic_read",
        "test_read/state_messages",
    );
}

#[test]
fn missing_stream_statuses_are_caught() {
    assert_caught(
        &run(SOURCE, "no_status", BASIC_READ),
        "basic_read",
        "test_read/stream_statuses",
    );
}

#[test]
fn a_clock_that_does_not_move_is_caught() {
    assert_caught(
        &run(SOURCE, "same_clock", FULL_REFRESH),
        "full_refresh",
        "test_sequential_reads",
    );
}

#[test]
fn a_source_that_ignores_its_state_is_caught() {
    let report = run(SOURCE, "ignore_state", INCREMENTAL);
    assert_caught(&report, "incremental", "test_two_sequential_reads");
    assert_caught(
        &report,
        "incremental",
        "test_state_with_abnormally_large_values",
    );
}

#[test]
fn a_destination_that_drops_the_state_id_is_caught() {
    let suite = "  destination:\n    tests:\n      - config_path: integration_tests/config.json\n        configured_catalog_path: integration_tests/configured_catalog.json\n        messages_paths: [integration_tests/messages_sync1.jsonl]\n        query_command: \"cat '${LOCAL_ROOT}/out/{stream}.jsonl'\"\n        expected_records_path: integration_tests/expected_records.jsonl\n";
    let report = run("example-destination-jsonl", "drop_state_id", suite);
    assert_caught(&report, "destination", "test_write[0]/state_echo");
    // Only one of the two syncs ran, so the rows differ from the two-sync expectation too.
    assert_caught(&report, "destination", "test_write[0]/rows");
}

#[test]
fn a_wrong_image_label_and_entrypoint_are_caught() {
    if !docker_available() {
        return;
    }
    let dir = TestDir::new("broken-image");
    dir.write_text(
        "Dockerfile",
        "FROM airbyte-rs/example-source-generator:0.1.0\nLABEL io.airbyte.version=\"9.9.9\"\nENV AIRBYTE_ENTRYPOINT=\"/usr/bin/somewhere-else\"\n",
    );
    let image = "airbyte-rs/broken-labels:test";
    let built = std::process::Command::new("docker")
        .args(["build", "-q", "-t", image])
        .arg(dir.path())
        .output()
        .expect("docker build");
    assert!(
        built.status.success(),
        "docker build failed (run scripts/build-images.sh first): {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let yaml = format!(
        "connector_image: {image}\nbase_path: {}\nacceptance_tests:\n{SPEC}",
        workspace().join("connectors").join(SOURCE).display()
    );
    let path = dir.write_text("acceptance-test-config.yml", &yaml);
    let (config, base) = AcceptanceConfig::load(&path).expect("config");
    let report =
        run_suites(&Connector::Image(image.to_owned()), &config, &base).expect("suites ran");
    let _ = std::process::Command::new("docker")
        .args(["rmi", "-f", image])
        .output();
    assert_caught(&report, "spec", "test_image_labels");
    assert_caught(&report, "spec", "test_image_environment_variables");
    assert!(!report.has_failure("spec", "test_image_user"), "{report}");
}
