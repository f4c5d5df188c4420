//! The comparison the requester, paginator and error-handler tests share:
//! every query answered by a reference script and by us, the differences
//! listed. An error of ours that is none of Python's exception classes (a
//! manifest error) only has to be an error there too.

#![allow(dead_code)]

use serde_json::{Value, json};
use source_http::Error;

/// Our error as the scripts print Python's: its class and text, and the
/// failure type of an `AirbyteTracedException`.
pub fn error_answer(error: Error) -> Value {
    use airbyte_sdk::protocol::FailureType;
    match error {
        Error::Request { kind, message } => json!({"error": kind, "message": message}),
        Error::Traced {
            message,
            failure_type,
            ..
        } => {
            let failure = match failure_type {
                FailureType::SystemError => "system_error",
                FailureType::ConfigError => "config_error",
                FailureType::TransientError => "transient_error",
            };
            json!({"error": "AirbyteTracedException", "message": message, "failure_type": failure})
        }
        other => json!({"error": "other", "message": other.to_string()}),
    }
}

/// Asks `script` (with the `ANSWER ` prefix) and compares each answer,
/// both sides passed through `normalise`, with `ours`; panics listing the
/// differences. The answers, for further checks.
pub fn compare(
    script: &str,
    queries: &[Value],
    ours: impl Fn(&Value) -> Value,
    normalise: impl Fn(&Value) -> Value,
) -> Vec<Value> {
    let answers = crate::common::ask(script, queries, Some("ANSWER "));
    assert_eq!(answers.len(), queries.len(), "one answer per query");
    let mut differences = Vec::new();
    for (q, python) in queries.iter().zip(&answers) {
        let ours = normalise(&ours(q));
        let python = normalise(python);
        let same = if ours["error"] == "other" {
            python.get("error").is_some()
        } else {
            ours == python
        };
        if !same {
            differences.push(format!("{q}\n  ours:   {ours}\n  python: {python}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} differ:\n{}",
        differences.len(),
        queries.len(),
        differences.join("\n")
    );
    answers
}
