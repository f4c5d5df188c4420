//! The steps of each verb of a connector image, run as the platform's
//! launcher runs it, for `platform_emulation.rs`: a connector pod for
//! `spec`, `check`, `discover`, FIFOs for `read` and `write`, and the
//! failures that must surface as TRACE errors through them.

use std::path::Path;

use airbyte_acceptance_tests::{Connector, Invocation, Pod, pod};
use airbyte_sdk::protocol::FailureType;
use airbyte_sdk::testkit::Output;
use serde_json::{Value, json};

use crate::platform::{self, Image, Network, Steps};

/// The image as a launcher-style pod on the test network.
pub fn pod_on(image: &Image, network: &Network) -> Pod {
    Pod::new(image.image.clone()).on_network(network.name.clone())
}

/// `spec`, `check` or `discover` in a connector pod: the output, the
/// container's exit code and `exitCode.txt` agree.
pub fn operation(
    image: &Image,
    network: &Network,
    invocation: &Invocation<'_>,
    local: &Path,
) -> Output {
    let mut invocation = invocation.clone();
    invocation.local_root = Some(local);
    let out = pod_on(image, network)
        .operation(&invocation)
        .unwrap_or_else(|e| panic!("{} {}: {e}", image.image, invocation.command));
    assert_eq!(
        out.exit_code_file,
        Some(out.output.exit_code),
        "{} {}: /config/{} must hold the container's exit code\n{}",
        image.image,
        invocation.command,
        pod::EXIT_CODE_FILE,
        out.output.stderr
    );
    assert!(
        out.output.invalid_lines.is_empty(),
        "{} {}: /config/{} has lines that are not protocol messages: {:?}",
        image.image,
        invocation.command,
        pod::JOB_OUTPUT_FILE,
        out.output.invalid_lines
    );
    assert!(
        out.launcher_log
            .contains("Using AIRBYTE_ENTRYPOINT: /usr/local/bin/"),
        "{} {}: the wrapper did not find the entrypoint:\n{}",
        image.image,
        invocation.command,
        out.launcher_log
    );
    out.output
}

/// `read` or `write` over the FIFOs: the output, with the exit code that the
/// container and `exitCode.txt` agree on (the runner checks that).
pub fn over_fifos(
    image: &Image,
    network: &Network,
    invocation: &Invocation<'_>,
    stdin: &[u8],
    local: &Path,
) -> Output {
    let mut invocation = invocation.clone();
    invocation.local_root = Some(local);
    let out = Connector::Pod(pod_on(image, network))
        .run(&invocation, stdin)
        .unwrap_or_else(|e| panic!("{} {}: {e}", image.image, invocation.command));
    assert!(
        out.invalid_lines.is_empty(),
        "{} {}: the stdout FIFO carried lines that are not protocol messages: {:?}",
        image.image,
        invocation.command,
        out.invalid_lines
    );
    out
}

/// The one TRACE ERROR of a failed run: its failure type, and a non-zero exit.
pub fn assert_trace_error(
    out: &Output,
    what: &str,
    failure_type: FailureType,
    needle: &str,
) -> String {
    assert_ne!(out.exit_code, 0, "{what}: exit code 0\n{}", out.stderr);
    let errors = out.errors();
    assert_eq!(
        errors.len(),
        1,
        "{what}: {} TRACE ERROR messages through the stdout FIFO (exit {}):\n{}",
        errors.len(),
        out.exit_code,
        out.stderr
    );
    assert_eq!(
        errors[0].failure_type,
        Some(failure_type),
        "{what}: failure_type of {:?}",
        errors[0].message
    );
    assert!(
        errors[0].message.contains(needle),
        "{what}: the TRACE message {:?} does not mention {needle:?}",
        errors[0].message
    );
    format!(
        "TRACE ERROR {:?}, exit {} ✓",
        failure_type_name(failure_type),
        out.exit_code
    )
}

/// `config_error`, as on the wire.
pub fn failure_type_name(failure_type: FailureType) -> String {
    serde_json::to_value(failure_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Drops the schema a PostgreSQL destination's config names, on drop.
pub struct SchemaGuard {
    network: Network,
    schema: Option<String>,
}

impl SchemaGuard {
    pub fn new(network: &Network, config: &Value) -> Self {
        let schema = (config.get("host").is_some())
            .then(|| {
                config
                    .get("schema")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .flatten();
        SchemaGuard {
            network: network.clone(),
            schema,
        }
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema {
            let _ = self.network.try_psql(
                "postgres",
                &format!(
                    "drop schema if exists \"{}\" cascade",
                    schema.replace('"', "\"\"")
                ),
            );
        }
    }
}

/// A source's `discover`, `read`, `read --state`, and its failing reads.
pub fn source_verbs(image: &Image, network: &Network, config: &Value, local: &Path, steps: &Steps) {
    let out = operation(
        image,
        network,
        &Invocation::new("discover").config(config),
        local,
    );
    assert_eq!(
        out.exit_code, 0,
        "{} discover:\n{}",
        image.image, out.stderr
    );
    let catalog = out
        .catalog()
        .unwrap_or_else(|| panic!("{} discover: no CATALOG in jobOutput.json", image.image))
        .clone();
    assert!(
        !catalog.streams.is_empty(),
        "{} discover: no stream",
        image.image
    );
    steps.record(
        &image.name,
        "discover → /config/jobOutput.json",
        format!("CATALOG of {} streams, exit 0 ✓", catalog.streams.len()),
    );

    // read: the first few streams, full refresh.
    let chosen: Vec<Value> = catalog
        .streams
        .iter()
        .take(3)
        .map(|s| {
            json!({"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"})
        })
        .collect();
    let chosen_count = chosen.len();
    let configured = json!({"streams": chosen});
    let read = Invocation::new("read").config(config).catalog(&configured);
    let out = over_fifos(image, network, &read, b"", local);
    assert_eq!(
        out.exit_code, 0,
        "{} read over the FIFOs:\n{}",
        image.image, out.stderr
    );
    let records = out.records().len();
    let states = out.states().len();
    assert!(
        records > 0,
        "{} read: no RECORD through the stdout FIFO",
        image.image
    );
    assert!(
        states > 0,
        "{} read: no STATE through the stdout FIFO",
        image.image
    );
    assert!(
        out.errors().is_empty(),
        "{} read: {:?}",
        image.image,
        out.errors()
    );
    steps.record(
        &image.name,
        &format!("read ({} streams) → /source/stdout FIFO", chosen_count),
        format!("{records} RECORDs, {states} STATEs, exit 0, exitCode.txt 0 ✓"),
    );

    // read with --state (inputState.json present): the wrapper's other branch.
    let state: Vec<Value> = out
        .final_states()
        .iter()
        .map(|s| serde_json::to_value(s).expect("a state"))
        .collect();
    let state = Value::Array(state);
    let resumed = Invocation::new("read")
        .config(config)
        .catalog(&configured)
        .state(Some(&state));
    let out = over_fifos(image, network, &resumed, b"", local);
    assert_eq!(
        out.exit_code, 0,
        "{} read --state:\n{}",
        image.image, out.stderr
    );
    assert!(
        !out.states().is_empty(),
        "{} read --state: no STATE",
        image.image
    );
    steps.record(
        &image.name,
        "read --state /source/inputState.json",
        format!(
            "{} RECORDs, {} STATEs, exit 0 ✓",
            out.records().len(),
            out.states().len()
        ),
    );

    // A catalog naming a missing stream.
    let mut missing = catalog.streams[0].clone();
    missing.name = format!("pe_missing_{}", platform::unique());
    let configured = json!({"streams": [{"stream": missing, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]});
    let read = Invocation::new("read").config(config).catalog(&configured);
    let out = over_fifos(image, network, &read, b"", local);
    let outcome = assert_trace_error(
        &out,
        &format!("{} read of a missing stream", image.image),
        FailureType::ConfigError,
        &missing.name,
    );
    steps.record(&image.name, "read, catalog names a missing stream", outcome);

    // An unreachable host, for a source with one.
    if config.get("host").is_some() {
        let mut unreachable = config.clone();
        unreachable["host"] = json!("pe-unreachable.invalid");
        let configured = json!({"streams": [{"stream": catalog.streams[0], "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]});
        let read = Invocation::new("read")
            .config(&unreachable)
            .catalog(&configured);
        let out = over_fifos(image, network, &read, b"", local);
        let outcome = assert_trace_error(
            &out,
            &format!("{} read from an unreachable host", image.image),
            FailureType::ConfigError,
            "pe-unreachable.invalid",
        );
        steps.record(&image.name, "read, unreachable host", outcome);
    }
}

/// A destination's `write` with its test messages, and with its failing config.
pub fn destination_verbs(
    image: &Image,
    network: &Network,
    config: &Value,
    run_id: &str,
    local: &Path,
    steps: &Steps,
) {
    let acceptance = platform::acceptance_config(image);
    let test = &acceptance["acceptance_tests"]["destination"]["tests"][0];
    let (Some(catalog_path), Some(messages_path)) = (
        test["configured_catalog_path"].as_str(),
        test["messages_paths"][0].as_str(),
    ) else {
        panic!(
            "connectors/{}/acceptance-test-config.yml: the destination test needs configured_catalog_path and messages_paths",
            image.name
        );
    };
    let catalog: Value = serde_json::from_str(
        &std::fs::read_to_string(image.dir.join(catalog_path)).expect("the configured catalog"),
    )
    .expect("a JSON catalog");
    let messages = std::fs::read(image.dir.join(messages_path)).expect("the messages");
    let sent_states: Vec<Value> = messages
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice::<Value>(l).ok())
        .filter(|m| m["type"] == "STATE")
        .map(|m| m["state"].clone())
        .collect();
    assert!(!sent_states.is_empty(), "{messages_path} has no STATE");

    let write = Invocation::new("write").config(config).catalog(&catalog);
    let out = over_fifos(image, network, &write, &messages, local);
    assert_eq!(
        out.exit_code, 0,
        "{} write over the FIFOs:\n{}",
        image.image, out.stderr
    );
    assert!(
        out.errors().is_empty(),
        "{} write: {:?}",
        image.image,
        out.errors()
    );
    let echoed: Vec<Value> = out
        .states()
        .iter()
        .map(|s| serde_json::to_value(s).expect("a state"))
        .collect();
    // Every state comes back, with the platform's `id` and extra keys as sent.
    assert_eq!(
        echoed.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
        sent_states
            .iter()
            .map(|s| s["id"].clone())
            .collect::<Vec<_>>(),
        "{} write: the states echoed through /dest/stdout",
        image.image
    );
    steps.record(
        &image.name,
        "write ← /dest/stdin FIFO, states → /dest/stdout",
        format!(
            "{} STATEs echoed with their ids, exit 0, exitCode.txt 0 ✓",
            echoed.len()
        ),
    );

    // The failing config of the connection test, now for a write.
    if let Some(path) = platform::connection_config_path(image, "failed") {
        let bad = platform::container_config(&path, network, run_id);
        let write = Invocation::new("write").config(&bad).catalog(&catalog);
        let out = over_fifos(image, network, &write, &messages, local);
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let outcome = assert_trace_error(
            &out,
            &format!("{} write with {file}", image.image),
            FailureType::ConfigError,
            "",
        );
        assert!(
            out.states().is_empty(),
            "{} write with {file}: a state was echoed",
            image.image
        );
        steps.record(&image.name, &format!("write with {file}"), outcome);
    }
}
