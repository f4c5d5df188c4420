//! `destination` (ours): write message files, then check the state echo, the
//! rows the destination holds (through a query hook) and its bad-input behaviour.

use std::collections::BTreeMap;
use std::process::Command;

use airbyte_sdk::protocol::{AirbyteMessage, ConfiguredAirbyteCatalog, MessageReader};
use serde_json::Value;

use super::Context;
use crate::config::DestinationTest;
use crate::connector::Invocation;

const SUITE: &str = "destination";

pub(crate) fn run(cx: &mut Context<'_>, index: usize, test: &DestinationTest) {
    // Each test writes to its own subfolder of the scratch folder.
    let sub = format!("destination-{index}");
    let host_root = cx.scratch.path().join(&sub);
    let _ = std::fs::create_dir_all(&host_root);
    let _ = Command::new("chmod").arg("0777").arg(&host_root).status();
    let local = format!("{}/{sub}", cx.connector.local_root(cx.scratch.path()));
    let config = match cx.read_json(&test.config_path) {
        Ok(c) => super::substitute(&c, &local, &cx.run_id()),
        Err(e) => return cx.fail(SUITE, "test_write", e),
    };
    let catalog_value = match cx.read_json(&test.configured_catalog_path) {
        Ok(c) => c,
        Err(e) => return cx.fail(SUITE, "test_write", e),
    };
    let catalog: ConfiguredAirbyteCatalog = match serde_json::from_value(catalog_value.clone()) {
        Ok(c) => c,
        Err(e) => return cx.fail(SUITE, "test_write", format!("invalid catalog: {e}")),
    };
    let mut echo_problems = Vec::new();
    let mut first_lines: Option<(String, String)> = None;
    for (n, path) in test.messages_paths.iter().enumerate() {
        let full = cx.path(path);
        let input = match std::fs::read(&full) {
            Ok(i) => i,
            Err(e) => {
                return cx.fail(
                    SUITE,
                    "test_write",
                    format!("cannot read {}: {e}", full.display()),
                );
            }
        };
        let sent: Vec<AirbyteMessage> = MessageReader::new(&input[..])
            .filter_map(Result::ok)
            .collect();
        if first_lines.is_none() {
            let text = String::from_utf8_lossy(&input);
            let record = text
                .lines()
                .find(|l| l.contains("\"RECORD\""))
                .map(str::to_owned);
            let state = text
                .lines()
                .find(|l| l.contains("\"STATE\""))
                .map(str::to_owned);
            first_lines = record.zip(state);
        }
        let invocation = Invocation::new("write")
            .config(&config)
            .catalog(&catalog_value);
        let out = match cx.run(SUITE, &format!("{index}/write{n}"), invocation, &input) {
            Ok(out) => out,
            Err(e) => return cx.fail(SUITE, "test_write", e),
        };
        if out.exit_code != 0 {
            echo_problems.push(format!(
                "write of {} exited {}: {}",
                path.display(),
                out.exit_code,
                super::tail(&out)
            ));
            continue;
        }
        let expected: Vec<&AirbyteMessage> = sent.iter().filter(|m| m.state.is_some()).collect();
        let echoed: Vec<AirbyteMessage> = out
            .messages
            .iter()
            .filter(|m| m.state.is_some())
            .cloned()
            .map(|mut m| {
                if let Some(s) = m.state.as_mut() {
                    s.destination_stats = None;
                }
                m
            })
            .collect();
        if echoed.len() != expected.len() {
            echo_problems.push(format!(
                "{}: {} states sent, {} echoed",
                path.display(),
                expected.len(),
                echoed.len()
            ));
        } else if let Some(i) = (0..echoed.len()).find(|&i| echoed[i] != *expected[i]) {
            echo_problems.push(format!("{}: echoed state #{} differs from the one sent (unknown keys such as `id` must be kept, order too)", path.display(), i + 1));
        }
    }
    cx.report.check(
        SUITE,
        format!("test_write[{index}]/state_echo"),
        echo_problems,
    );

    // The rows, through the query hook.
    let problems = match cx.read_lines(&test.expected_records_path) {
        Err(e) => vec![e],
        Ok(expected) => {
            let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for e in &expected {
                want.entry(e["stream"].as_str().unwrap_or_default().to_owned())
                    .or_default()
                    .push(canonical(&e["data"]));
            }
            let mut problems = Vec::new();
            for c in &catalog.streams {
                let name = &c.stream.name;
                let namespace = c.stream.namespace.clone().unwrap_or_default();
                let command = test
                    .query_command
                    .replace("${LOCAL_ROOT}", &host_root.display().to_string())
                    .replace("${RUN_ID}", &cx.run_id())
                    .replace("{stream}", name)
                    .replace("{namespace}", &namespace);
                match Command::new("sh").arg("-c").arg(&command).output() {
                    Err(e) => problems.push(format!("cannot run the query hook: {e}")),
                    Ok(out) => {
                        let mut got: Vec<String> = String::from_utf8_lossy(&out.stdout)
                            .lines()
                            .filter(|l| !l.trim().is_empty())
                            .map(|l| {
                                serde_json::from_str::<Value>(l)
                                    .map(|v| canonical(&v))
                                    .unwrap_or_else(|_| l.to_owned())
                            })
                            .collect();
                        let mut expected = want.remove(name.as_str()).unwrap_or_default();
                        got.sort();
                        expected.sort();
                        if got != expected {
                            problems.push(format!("`{name}`: the destination holds {} rows, {} expected; first difference: {:?}", got.len(), expected.len(), first_difference(&got, &expected)));
                        }
                    }
                }
            }
            problems
        }
    };
    cx.report
        .check(SUITE, format!("test_write[{index}]/rows"), problems);

    // Bad input: a malformed line after a committed state.
    let problems = match first_lines {
        None => vec![
            "the messages have no RECORD and STATE to build the bad-input test from".to_owned(),
        ],
        Some((record, state)) => {
            let input =
                format!("{record}\n{state}\n{{\"type\":\"RECORD\",\"record\":{{\"stream\"\n");
            let invocation = Invocation::new("write")
                .config(&config)
                .catalog(&catalog_value);
            match cx.run(
                SUITE,
                &format!("{index}/bad_input"),
                invocation,
                input.as_bytes(),
            ) {
                Ok(out)
                    if out.exit_code != 0
                        && !out.errors().is_empty()
                        && out.states().len() == 1 =>
                {
                    vec![]
                }
                Ok(out) => vec![format!(
                    "after a malformed line: exit {} (want non-zero), {} error traces (want ≥ 1), {} states echoed (want the 1 before the bad line)",
                    out.exit_code,
                    out.errors().len(),
                    out.states().len()
                )],
                Err(e) => vec![e],
            }
        }
    };
    cx.report
        .check(SUITE, format!("test_write[{index}]/bad_input"), problems);
}

/// JSON with sorted keys, for comparing rows.
fn canonical(value: &Value) -> String {
    // serde_json's map is sorted (no preserve_order), so this is canonical.
    serde_json::to_string(value).unwrap_or_default()
}

fn first_difference(got: &[String], want: &[String]) -> String {
    for w in want {
        if !got.contains(w) {
            return format!("missing {w}");
        }
    }
    for g in got {
        if !want.contains(g) {
            return format!("unexpected {g}");
        }
    }
    "counts differ".to_owned()
}
