//! Our additions, checked on every run: valid lines, no secrets, state rules.

use std::collections::HashMap;

use airbyte_sdk::protocol::{AirbyteStateType, AirbyteStreamStatus, MessageType};
use airbyte_sdk::testkit::Output;

use crate::report::Report;

/// Every stdout line is a protocol message; no secret appears in stdout or stderr.
pub(crate) fn check_output(
    report: &mut Report,
    suite: &str,
    test: &str,
    out: &Output,
    secrets: &[String],
) {
    report.check(
        suite,
        format!("{test}/valid_messages"),
        out.invalid_lines.clone(),
    );
    let leaked: Vec<String> = secrets
        .iter()
        .filter(|s| s.len() >= 3)
        .filter(|s| out.stdout.contains(s.as_str()) || out.stderr.contains(s.as_str()))
        .map(|s| {
            format!(
                "the secret starting with `{}…` was printed",
                &s[..s.char_indices().nth(2).map(|(i, _)| i).unwrap_or(1)]
            )
        })
        .collect();
    report.check(suite, format!("{test}/no_secrets_printed"), leaked);
}

/// State rules for a read: counts match, no duplicate consecutive states with
/// records between, nothing of a stream after its COMPLETE status.
pub(crate) fn state_rules(out: &Output) -> Vec<String> {
    let mut problems = Vec::new();
    let mut since: HashMap<String, u64> = HashMap::new();
    let mut total_since_global = 0u64;
    let mut last_state: HashMap<String, String> = HashMap::new();
    let mut complete: HashMap<String, bool> = HashMap::new();
    for m in &out.messages {
        match m.r#type {
            MessageType::Record => {
                let Some(r) = &m.record else { continue };
                let key = stream_key(r.namespace.as_deref(), &r.stream);
                if complete.get(&key).copied().unwrap_or(false) {
                    problems.push(format!("a record of `{key}` after its COMPLETE status"));
                }
                *since.entry(key).or_default() += 1;
                total_since_global += 1;
            }
            MessageType::State => {
                let Some(s) = &m.state else { continue };
                let count = s.source_stats.as_ref().and_then(|st| st.record_count);
                match (s.effective_type(), &s.stream) {
                    (AirbyteStateType::Stream, Some(stream)) => {
                        let d = &stream.stream_descriptor;
                        let key = stream_key(d.namespace.as_deref(), &d.name);
                        let n = since.remove(&key).unwrap_or(0);
                        if let Some(c) = count.filter(|c| *c != n as f64) {
                            problems.push(format!("state of `{key}` says recordCount {c} but {n} records came since the previous one"));
                        }
                        let blob = stream
                            .stream_state
                            .as_ref()
                            .map(|b| b.as_str().to_owned())
                            .unwrap_or_default();
                        if n > 0 && last_state.get(&key) == Some(&blob) {
                            problems.push(format!(
                                "state of `{key}` repeats the previous one with {n} records between"
                            ));
                        }
                        last_state.insert(key, blob);
                    }
                    (AirbyteStateType::Global, _) => {
                        if let Some(c) = count.filter(|c| *c != total_since_global as f64) {
                            problems.push(format!("GLOBAL state says recordCount {c} but {total_since_global} records came since the previous one"));
                        }
                        total_since_global = 0;
                        since.clear();
                    }
                    _ => problems.push("a LEGACY state".to_owned()),
                }
            }
            MessageType::Trace => {
                if let Some(st) = m.trace.as_ref().and_then(|t| t.stream_status.as_ref()) {
                    let d = &st.stream_descriptor;
                    complete.insert(
                        stream_key(d.namespace.as_deref(), &d.name),
                        st.status == AirbyteStreamStatus::Complete,
                    );
                }
            }
            _ => {}
        }
    }
    problems
}

pub(crate) fn stream_key(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}.{name}"),
        None => name.to_owned(),
    }
}
