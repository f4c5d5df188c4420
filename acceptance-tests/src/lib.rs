//! Acceptance tests and a local sync runner for Airbyte connectors.
//!
//! The harness runs any connector (a binary or a Docker image) through the
//! suites of Airbyte's Connector Acceptance Tests, driven by the same
//! `acceptance-test-config.yml`, plus checks CAT lacks: no secret from the
//! config printed anywhere, every stdout line a valid protocol message,
//! state counts and ordering, and a destination suite.
//!
//! ```no_run
//! use airbyte_acceptance_tests::{AcceptanceConfig, Connector, run_suites};
//!
//! let (config, base) = AcceptanceConfig::load("connectors/x/acceptance-test-config.yml".as_ref()).unwrap();
//! let report = run_suites(&Connector::parse("target/release/x"), &config, &base).unwrap();
//! print!("{report}");
//! assert!(report.passed());
//! ```

mod config;
mod connector;
mod error;
mod report;
mod schema;
mod suites;

pub use config::AcceptanceConfig;
pub use connector::{Connector, Invocation, Pod, PodOutput, Reader, Running, Writer, pod};
pub use error::Error;
pub use report::{Outcome, Report, TestResult};
pub use suites::run_all as run_suites;
pub mod sync;
pub use sync::{
    StreamChoices, StreamSummary, SyncArgs, SyncOptions, SyncSummary, Validation,
    configure_catalog, run_cli, run_sync,
};
