//! `incremental`: reads resume from their state.

use std::collections::BTreeSet;

use airbyte_sdk::protocol::{AirbyteMessage, MessageType};
use airbyte_sdk::testkit::Output;
use serde_json::Value;

use super::Context;
use super::common::state_rules;
use crate::config::IncrementalTest;
use crate::connector::Invocation;

const SUITE: &str = "incremental";

fn record_set(out: &Output) -> BTreeSet<String> {
    out.records()
        .iter()
        .map(|r| format!("{}|{}", r.stream, r.data))
        .collect()
}

pub(crate) fn run(cx: &mut Context<'_>, index: usize, test: &IncrementalTest) {
    let config = match cx.read_config(&test.config_path) {
        Ok(c) => c,
        Err(e) => return cx.fail(SUITE, "test_two_sequential_reads", e),
    };
    let catalog = match cx.read_json(&test.configured_catalog_path) {
        Ok(c) => c,
        Err(e) => return cx.fail(SUITE, "test_two_sequential_reads", e),
    };
    let read = |cx: &mut Context<'_>, label: &str, state: Option<&Value>| {
        cx.run(
            SUITE,
            &format!("{index}/{label}"),
            Invocation::new("read")
                .config(&config)
                .catalog(&catalog)
                .state(state),
            b"",
        )
    };

    // test_two_sequential_reads
    let first = match read(cx, "read1", None) {
        Ok(out) => out,
        Err(e) => return cx.fail(SUITE, "test_two_sequential_reads", e),
    };
    let mut problems = state_rules(&first);
    if first.exit_code != 0 {
        problems.push(format!(
            "read 1 exited {}: {}",
            first.exit_code,
            super::tail(&first)
        ));
    }
    if first.states().is_empty() || first.records().is_empty() {
        problems.push(format!(
            "read 1 gave {} states and {} records; at least one of each expected",
            first.states().len(),
            first.records().len()
        ));
    }
    let state = serde_json::to_value(first.final_states()).unwrap_or(Value::Null);
    match read(cx, "read2", Some(&state)) {
        Ok(second) => {
            if second.exit_code != 0 {
                problems.push(format!(
                    "read 2 exited {}: {}",
                    second.exit_code,
                    super::tail(&second)
                ));
            }
            if record_set(&second) == record_set(&first) {
                problems.push("read 2, from read 1's state, returned the same records".to_owned());
            }
        }
        Err(e) => problems.push(e),
    }
    cx.report
        .check(SUITE, "test_two_sequential_reads", problems);

    // test_read_sequential_slices: replay from each checkpoint.
    if !test.skip_comprehensive_incremental_tests {
        let problems = sequential_slices(cx, index, &first, &config, &catalog);
        cx.report
            .check(SUITE, "test_read_sequential_slices", problems);
    }

    // test_state_with_abnormally_large_values
    if let Some(future) = &test.future_state
        && let Some(path) = &future.future_state_path
    {
        let problems = match cx.read_json(path) {
            Err(e) => vec![e],
            Ok(state) => match read(cx, "future_state", Some(&state)) {
                Ok(out)
                    if out.records().is_empty()
                        && !out.states().is_empty()
                        && out.exit_code == 0 =>
                {
                    vec![]
                }
                Ok(out) => vec![format!(
                    "from a future state: {} records (want 0), {} states (want ≥ 1), exit {}",
                    out.records().len(),
                    out.states().len(),
                    out.exit_code
                )],
                Err(e) => vec![e],
            },
        };
        cx.report
            .check(SUITE, "test_state_with_abnormally_large_values", problems);
    }
}

/// For every state with records before it, a read from that state returns
/// at least the records read 1 emitted after it, and not all of read 1.
fn sequential_slices(
    cx: &mut Context<'_>,
    index: usize,
    first: &Output,
    config: &Value,
    catalog: &Value,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut replays = 0;
    let messages: &[AirbyteMessage] = &first.messages;
    for (i, m) in messages.iter().enumerate() {
        let Some(state) = &m.state else { continue };
        let counted = state
            .source_stats
            .as_ref()
            .and_then(|s| s.record_count)
            .unwrap_or(0.0);
        let Some(stream) = &state.stream else {
            continue;
        };
        if counted <= 0.0 {
            continue;
        }
        let name = &stream.stream_descriptor.name;
        let after = messages[i + 1..]
            .iter()
            .filter(|m| {
                m.r#type == MessageType::Record
                    && m.record.as_ref().is_some_and(|r| &r.stream == name)
            })
            .count();
        let state_value = serde_json::to_value(vec![state]).unwrap_or(Value::Null);
        replays += 1;
        match cx.run(
            SUITE,
            &format!("{index}/replay{replays}"),
            Invocation::new("read")
                .config(config)
                .catalog(catalog)
                .state(Some(&state_value)),
            b"",
        ) {
            Ok(out) => {
                let got = out.records().iter().filter(|r| &r.stream == name).count();
                if got < after {
                    problems.push(format!("from state #{replays} of `{name}`: {got} records, but read 1 had {after} after it"));
                }
                if record_set(&out) == record_set(first) && after < first.records().len() {
                    problems.push(format!("from state #{replays} of `{name}`: the same records as a read without state"));
                }
            }
            Err(e) => problems.push(e),
        }
        if replays >= 10 {
            break;
        }
    }
    if replays == 0 {
        problems.push("no state with sourceStats.recordCount > 0 to replay from".to_owned());
    }
    problems
}
