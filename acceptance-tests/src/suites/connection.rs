//! `connection`: `check` succeeds, fails, or raises, as declared.

use airbyte_sdk::protocol::ConnectionStatus;

use super::Context;
use crate::config::ConnectionTest;
use crate::connector::Invocation;

const SUITE: &str = "connection";

pub(crate) fn run(cx: &mut Context<'_>, index: usize, test: &ConnectionTest) {
    let name = format!("test_check[{index}:{}]", test.status);
    let config = match cx.read_config(&test.config_path) {
        Ok(c) => c,
        Err(e) => return cx.fail(SUITE, &name, e),
    };
    let out = match cx.run(SUITE, &name, Invocation::new("check").config(&config), b"") {
        Ok(out) => out,
        Err(e) => return cx.fail(SUITE, &name, e),
    };
    let statuses: Vec<_> = out
        .messages
        .iter()
        .filter_map(|m| m.connection_status.as_ref())
        .collect();
    let errors = out.errors();
    let problems = match test.status.as_str() {
        "succeed" | "failed" => {
            let want = if test.status == "succeed" {
                ConnectionStatus::Succeeded
            } else {
                ConnectionStatus::Failed
            };
            match statuses.as_slice() {
                [s] if s.status == want && out.exit_code == 0 => vec![],
                [s] => vec![format!(
                    "status {:?} (message {:?}), exit {}; expected {want:?} and exit 0",
                    s.status, s.message, out.exit_code
                )],
                _ => vec![format!(
                    "{} CONNECTION_STATUS messages (exit {}): {}",
                    statuses.len(),
                    out.exit_code,
                    super::tail(&out)
                )],
            }
        }
        "exception" => {
            if errors.len() == 1 && statuses.is_empty() {
                vec![]
            } else {
                vec![format!(
                    "{} error traces and {} statuses; expected exactly 1 TRACE error",
                    errors.len(),
                    statuses.len()
                )]
            }
        }
        other => vec![format!(
            "unknown expected status `{other}` (succeed, failed or exception)"
        )],
    };
    cx.report.check(SUITE, name, problems);
}
