//! `basic_read`: a full read whose records, statuses and states are right.

use std::collections::{BTreeMap, HashSet};

use airbyte_sdk::protocol::{AirbyteStateType, AirbyteStreamStatus, ConfiguredAirbyteCatalog};
use airbyte_sdk::testkit::Output;
use serde_json::{Value, json};

use super::Context;
use super::common::{state_rules, stream_key};
use super::discovery::property;
use crate::config::BasicReadTest;
use crate::connector::Invocation;

const SUITE: &str = "basic_read";

pub(crate) fn run(cx: &mut Context<'_>, index: usize, test: &BasicReadTest) {
    let config = match cx.read_config(&test.config_path) {
        Ok(c) => c,
        Err(e) => return cx.fail(SUITE, "test_read", e),
    };
    let catalog_value = match &test.configured_catalog_path {
        Some(path) => cx.read_json(path),
        None => cx.discovered_catalog(SUITE, &config),
    };
    let catalog_value = match catalog_value {
        Ok(mut c) => {
            let empty: HashSet<&str> = test.empty_streams.iter().map(|e| e.name.as_str()).collect();
            if test.configured_catalog_path.is_none()
                && let Some(streams) = c.get_mut("streams").and_then(Value::as_array_mut)
            {
                streams.retain(|s| !empty.contains(s["stream"]["name"].as_str().unwrap_or("")));
            }
            c
        }
        Err(e) => return cx.fail(SUITE, "test_read", e),
    };
    let catalog: ConfiguredAirbyteCatalog = match serde_json::from_value(catalog_value.clone()) {
        Ok(c) => c,
        Err(e) => {
            return cx.fail(
                SUITE,
                "test_read",
                format!("the configured catalog is invalid: {e}"),
            );
        }
    };
    let out = match cx.run(
        SUITE,
        &format!("{index}/read"),
        Invocation::new("read")
            .config(&config)
            .catalog(&catalog_value),
        b"",
    ) {
        Ok(out) => out,
        Err(e) => return cx.fail(SUITE, "test_read", e),
    };
    let empty: HashSet<String> = test.empty_streams.iter().map(|e| e.name.clone()).collect();
    cx.report.check(
        SUITE,
        "test_read",
        read_problems(&out, &catalog, &empty, test),
    );
    if test.validate_schema.unwrap_or(true) {
        cx.report.check(
            SUITE,
            "test_read/validate_schema",
            schema_problems(&out, &catalog, test.fail_on_extra_columns.unwrap_or(true)),
        );
    }
    if test.validate_stream_statuses.unwrap_or(true) {
        cx.report.check(
            SUITE,
            "test_read/stream_statuses",
            status_problems(&out, &catalog),
        );
    }
    if test.validate_state_messages.unwrap_or(true) {
        let mut problems = state_problems(&out, &catalog);
        problems.extend(state_rules(&out));
        cx.report.check(SUITE, "test_read/state_messages", problems);
    }
    if let Some(expect) = &test.expect_records
        && let Some(path) = &expect.path
    {
        let problems = match cx.read_lines(path) {
            Ok(expected) => expected_problems(&out, &expected, expect.exact_order),
            Err(e) => vec![e],
        };
        cx.report.check(SUITE, "test_read/expect_records", problems);
    }
    if test.expect_trace_message_on_failure.unwrap_or(true) {
        let bad = json!({"streams": [{
            "stream": {"name": "__AIRBYTE__stream_that_does_not_exist", "json_schema": {"type": "object", "properties": {"f1": {"type": "string"}}}, "supported_sync_modes": ["full_refresh"]},
            "sync_mode": "INVALID", "destination_sync_mode": "INVALID"
        }]});
        let problems = match cx.run(
            SUITE,
            "test_airbyte_trace_message_on_failure",
            Invocation::new("read").config(&config).catalog(&bad),
            b"",
        ) {
            Ok(out) if !out.errors().is_empty() && out.exit_code != 0 => vec![],
            Ok(out) => vec![format!(
                "{} error traces, exit {}",
                out.errors().len(),
                out.exit_code
            )],
            Err(e) => vec![e],
        };
        cx.report
            .check(SUITE, "test_airbyte_trace_message_on_failure", problems);
    }
}

fn read_problems(
    out: &Output,
    catalog: &ConfiguredAirbyteCatalog,
    empty: &HashSet<String>,
    test: &BasicReadTest,
) -> Vec<String> {
    let mut problems = Vec::new();
    if out.exit_code != 0 {
        problems.push(format!("exit {}: {}", out.exit_code, super::tail(out)));
    }
    let records = out.records();
    if records.is_empty() {
        problems.push("no records".to_owned());
    }
    let by_stream = out.records_by_stream();
    for c in &catalog.streams {
        let key = stream_key(c.stream.namespace.as_deref(), &c.stream.name);
        if !by_stream.contains_key(&key) && !empty.contains(&c.stream.name) {
            problems.push(format!(
                "stream `{key}` has no records (list it in empty_streams if that is expected)"
            ));
        }
        if test.validate_primary_keys_data_type.unwrap_or(true)
            && let Some(pk) = c.effective_primary_key()
        {
            for r in by_stream.get(&key).into_iter().flatten() {
                let data = r.data.as_raw().to_value();
                for path in pk {
                    match path.iter().try_fold(&data, |v, k| v.get(k)) {
                        None | Some(Value::Null) => problems.push(format!(
                            "`{key}`: primary key {path:?} is null in {}",
                            r.data
                        )),
                        Some(Value::Array(_) | Value::Object(_)) => {
                            problems.push(format!("`{key}`: primary key {path:?} is not a scalar"))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    problems
}

fn schema_problems(
    out: &Output,
    catalog: &ConfiguredAirbyteCatalog,
    fail_on_extra_columns: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut validators = BTreeMap::new();
    for c in &catalog.streams {
        let schema = c.stream.json_schema.as_raw().to_value();
        let key = stream_key(c.stream.namespace.as_deref(), &c.stream.name);
        match crate::schema::record_validator(&schema) {
            Ok(v) => {
                validators.insert(key, (v, schema));
            }
            Err(e) => problems.push(format!("`{key}`: invalid schema: {e}")),
        }
    }
    for r in out.records() {
        let key = stream_key(r.namespace.as_deref(), &r.stream);
        let Some((validator, schema)) = validators.get(&key) else {
            problems.push(format!(
                "a record of stream `{key}`, which is not in the catalog"
            ));
            continue;
        };
        let data = r.data.as_raw().to_value();
        for e in validator.iter_errors(&data) {
            problems.push(format!(
                "`{key}` record {}: {} at `{}`",
                r.data,
                e,
                e.instance_path()
            ));
        }
        if fail_on_extra_columns && let Some(fields) = data.as_object() {
            for field in fields.keys() {
                if property(schema, std::slice::from_ref(field)).is_none() {
                    problems.push(format!(
                        "`{key}` record has field `{field}`, which the schema does not declare"
                    ));
                }
            }
        }
    }
    problems
}

fn status_problems(out: &Output, catalog: &ConfiguredAirbyteCatalog) -> Vec<String> {
    use AirbyteStreamStatus::*;
    let mut problems = Vec::new();
    for c in &catalog.streams {
        let statuses = out.statuses(&c.stream.name);
        let ok = statuses.len() >= 3
            && statuses.first() == Some(&Started)
            && statuses.last() == Some(&Complete)
            && statuses[1..statuses.len() - 1]
                .iter()
                .all(|s| *s == Running);
        if !ok {
            problems.push(format!(
                "`{}`: statuses {statuses:?}, expected STARTED, RUNNING…, COMPLETE",
                c.stream.name
            ));
        }
    }
    problems
}

fn state_problems(out: &Output, catalog: &ConfiguredAirbyteCatalog) -> Vec<String> {
    let mut problems = Vec::new();
    let states = out.states();
    if states.len() < catalog.streams.len() {
        problems.push(format!(
            "{} states for {} streams",
            states.len(),
            catalog.streams.len()
        ));
    }
    for s in states {
        if s.effective_type() == AirbyteStateType::Legacy {
            problems.push("a LEGACY state".to_owned());
        }
        if s.source_stats
            .as_ref()
            .and_then(|st| st.record_count)
            .is_none()
        {
            problems.push("a state without sourceStats.recordCount".to_owned());
        }
    }
    problems
}

fn expected_problems(out: &Output, expected: &[Value], exact_order: bool) -> Vec<String> {
    let actual: Vec<(String, Value)> = out
        .records()
        .iter()
        .map(|r| (r.stream.clone(), r.data.as_raw().to_value()))
        .collect();
    let wanted: Vec<(String, Value)> = expected
        .iter()
        .map(|e| {
            (
                e["stream"].as_str().unwrap_or_default().to_owned(),
                e["data"].clone(),
            )
        })
        .collect();
    let mut problems = Vec::new();
    if exact_order {
        let streams: HashSet<&str> = wanted.iter().map(|(s, _)| s.as_str()).collect();
        let got: Vec<&(String, Value)> = actual
            .iter()
            .filter(|(s, _)| streams.contains(s.as_str()))
            .collect();
        let want: Vec<&(String, Value)> = wanted.iter().collect();
        if got != want {
            problems.push(format!(
                "records differ from the expected ones in order ({} read, {} expected)",
                got.len(),
                want.len()
            ));
        }
    } else {
        for w in &wanted {
            if !actual.contains(w) {
                problems.push(format!("expected record of `{}` not read: {}", w.0, w.1));
            }
        }
    }
    problems
}
