//! `full_refresh`: a second read's records are all emitted after the first's.

use serde_json::Value;

use super::Context;
use crate::config::FullRefreshTest;
use crate::connector::Invocation;

const SUITE: &str = "full_refresh";

pub(crate) fn run(cx: &mut Context<'_>, index: usize, test: &FullRefreshTest) {
    let name = "test_sequential_reads";
    let config = match cx.read_config(&test.config_path) {
        Ok(c) => c,
        Err(e) => return cx.fail(SUITE, name, e),
    };
    let catalog: Value = match &test.configured_catalog_path {
        Some(path) => cx.read_json(path),
        None => cx.discovered_catalog(SUITE, &config),
    }
    .unwrap_or(Value::Null);
    let mut reads = Vec::new();
    for n in 1..=2 {
        match cx.run(
            SUITE,
            &format!("{index}/read{n}"),
            Invocation::new("read").config(&config).catalog(&catalog),
            b"",
        ) {
            Ok(out) if out.exit_code == 0 => reads.push(out),
            Ok(out) => {
                return cx.fail(
                    SUITE,
                    name,
                    format!("read {n} exited {}: {}", out.exit_code, super::tail(&out)),
                );
            }
            Err(e) => return cx.fail(SUITE, name, e),
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let first_max = reads[0].records().iter().map(|r| r.emitted_at).max();
    let second_min = reads[1].records().iter().map(|r| r.emitted_at).min();
    let problems = match (first_max, second_min) {
        (Some(a), Some(b)) if a < b => vec![],
        (Some(a), Some(b)) => vec![format!(
            "the second read's first emitted_at ({b}) is not after the first read's last ({a})"
        )],
        _ => vec!["a read returned no records".to_owned()],
    };
    cx.report.check(SUITE, name, problems);
}
