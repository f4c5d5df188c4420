//! Test outcomes and the report.

use std::fmt;

/// The outcome of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It passed.
    Pass,
    /// It failed, and why.
    Fail(String),
    /// It was not run, and why.
    Skip(String),
}

/// One test's result.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// The suite (`spec`, `basic_read`...).
    pub suite: String,
    /// The test (`test_read`...), with the test index when a suite has several.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
}

/// Every result of a run.
///
/// ```
/// use airbyte_acceptance_tests::{Outcome, Report};
/// let mut report = Report::default();
/// report.push("spec", "test_match_expected", Outcome::Pass);
/// report.push("spec", "test_enum_usage", Outcome::Fail("duplicate value".into()));
/// assert_eq!(report.failed().count(), 1);
/// assert!(report.to_string().contains("FAIL spec/test_enum_usage: duplicate value"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The results, in order.
    pub results: Vec<TestResult>,
}

impl Report {
    /// Adds a result.
    pub fn push(&mut self, suite: &str, name: impl Into<String>, outcome: Outcome) {
        self.results.push(TestResult {
            suite: suite.to_owned(),
            name: name.into(),
            outcome,
        });
    }

    /// Adds a pass, or a failure listing `problems`.
    pub fn check(&mut self, suite: &str, name: impl Into<String>, problems: Vec<String>) {
        let outcome = if problems.is_empty() {
            Outcome::Pass
        } else {
            let shown: Vec<String> = problems.iter().take(5).cloned().collect();
            let more = problems.len().saturating_sub(5);
            let mut text = shown.join("; ");
            if more > 0 {
                text.push_str(&format!("; and {more} more"));
            }
            Outcome::Fail(text)
        };
        self.push(suite, name, outcome);
    }

    /// The failed tests.
    pub fn failed(&self) -> impl Iterator<Item = &TestResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Fail(_)))
    }

    /// Whether a test of this suite and name failed.
    pub fn has_failure(&self, suite: &str, name: &str) -> bool {
        self.failed()
            .any(|r| r.suite == suite && r.name.starts_with(name))
    }

    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.failed().next().is_none()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            match &r.outcome {
                Outcome::Pass => writeln!(f, "PASS {}/{}", r.suite, r.name)?,
                Outcome::Fail(why) => writeln!(f, "FAIL {}/{}: {why}", r.suite, r.name)?,
                Outcome::Skip(why) => writeln!(f, "SKIP {}/{}: {why}", r.suite, r.name)?,
            }
        }
        let count = |p: fn(&Outcome) -> bool| self.results.iter().filter(|r| p(&r.outcome)).count();
        let passed = count(|o| matches!(o, Outcome::Pass));
        let failed = count(|o| matches!(o, Outcome::Fail(_)));
        let skipped = count(|o| matches!(o, Outcome::Skip(_)));
        writeln!(f, "{passed} passed, {failed} failed, {skipped} skipped")
    }
}
