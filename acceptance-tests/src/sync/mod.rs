//! The sync runner: runs a source into a destination, as Airbyte's platform
//! worker does.
//!
//! The source's `read` and the destination's `write` run side by side. One
//! thread reads the source's stdout line by line and forwards RECORD, STATE
//! and TRACE `STREAM_STATUS` lines to the destination's stdin unchanged,
//! except that each STATE gets an integer `id` (1, 2, 3, …) as an extra key
//! of its `state` object, as the platform attaches one. Another thread reads
//! the destination's stdout: each echoed STATE must carry those ids in
//! increasing order, and is then persisted to the state file (without the
//! `id`), so the state file only ever advances past data the destination
//! committed. Records are validated against their stream's `json_schema`
//! on the way.
//!
//! A connector given as `pod:IMAGE` ([`crate::Pod`]) runs as the platform's
//! replication pod runs it: a launcher-style container whose stdout and
//! stderr (and, for the destination, stdin) are named pipes in its volume;
//! the runner is the orchestrator between them, on the Docker network of
//! `--docker-network`.
//!
//! From the command line (`cargo airbyte sync`, see [`SyncArgs`]):
//!
//! ```text
//! cargo airbyte sync \
//!     --source target/release/source-x --source-config source.json \
//!     --destination docker:airbyte/destination-y:dev --destination-config dest.json \
//!     --streams users,orders --state-file state.json
//! ```
//!
//! [`SyncArgs`] is a `clap::Args` to flatten into a command line, and
//! [`run_cli`] runs it:
//!
//! ```
//! use airbyte_acceptance_tests::{SyncArgs, Validation};
//! use clap::Parser;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     sync: SyncArgs,
//! }
//! let cli = Cli::parse_from([
//!     "sync", "--source", "./src", "--source-config", "s.json",
//!     "--destination", "docker:dest:dev", "--destination-config", "d.json",
//!     "--streams", "users,orders", "--sync-mode", "full_refresh", "--validation", "fail",
//! ]);
//! assert_eq!(cli.sync.streams, ["users", "orders"]);
//! assert_eq!(cli.sync.validation, Validation::Fail);
//! ```
//!
//! From Rust:
//!
//! ```no_run
//! use airbyte_acceptance_tests::{Connector, SyncOptions, run_sync};
//! use serde_json::json;
//!
//! let mut options = SyncOptions::new(
//!     Connector::parse("target/debug/example-source-generator"),
//!     json!({"count": 100}),
//!     Connector::parse("target/debug/example-destination-jsonl"),
//!     json!({"destination_path": "/tmp/out"}),
//! );
//! options.state_file = Some("/tmp/out/state.json".into());
//! let summary = run_sync(&options).unwrap();
//! assert_eq!(summary.stream("users").unwrap().committed, 100);
//! print!("{summary}");
//! ```

mod catalog;
mod cli;
mod console;
mod echo;
mod pipe;
mod progress;
mod run;
mod state;
mod summary;
mod validate;

use std::path::PathBuf;

use airbyte_protocol::{ConfiguredAirbyteCatalog, DestinationSyncMode, SyncMode};
use serde_json::Value;

use crate::connector::Connector;
use crate::error::Error;

pub use catalog::configure_catalog;
pub use cli::{SyncArgs, run_cli};
pub use summary::{StreamSummary, SyncSummary};

/// What to do with records that do not match their stream's `json_schema`.
///
/// ```
/// use airbyte_acceptance_tests::Validation;
/// assert_eq!(Validation::default(), Validation::Warn);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Validation {
    /// Do not validate records.
    Off,
    /// Print the first few violations per stream on stderr and count them.
    #[default]
    Warn,
    /// Stop the sync at the first invalid record: both connectors are killed.
    Fail,
}

/// How to configure the streams of a discovered catalog.
///
/// Unset choices take the defaults of [`configure_catalog`]. `streams`,
/// `generation_id` and `sync_id` also apply to a catalog given as a file.
///
/// ```
/// use airbyte_acceptance_tests::StreamChoices;
/// use airbyte_protocol::SyncMode;
///
/// let choices = StreamChoices { streams: Some(vec!["users".into()]), sync_mode: Some(SyncMode::FullRefresh), ..Default::default() };
/// assert!(choices.destination_sync_mode.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamChoices {
    /// The streams to sync, by name or `namespace.name` (`None`: all).
    pub streams: Option<Vec<String>>,
    /// How every stream is read (`None`: incremental where possible).
    pub sync_mode: Option<SyncMode>,
    /// How every stream is written (`None`: from the sync mode and primary key).
    pub destination_sync_mode: Option<DestinationSyncMode>,
    /// The generation of every stream (`None`: the sync's start time in Unix
    /// seconds, so that it increases from one sync to the next).
    pub generation_id: Option<i64>,
    /// The sync's id (`None`: the sync's start time in Unix seconds).
    pub sync_id: Option<i64>,
}

/// Everything a sync needs: the two connectors, their configs, the catalog
/// or how to make one, and where the state lives.
///
/// ```
/// use airbyte_acceptance_tests::{Connector, SyncOptions, Validation};
///
/// let options = SyncOptions::new(
///     Connector::parse("./source"), serde_json::json!({}),
///     Connector::parse("docker:airbyte/destination-x:dev"), serde_json::json!({}),
/// );
/// assert_eq!(options.validation, Validation::Warn);
/// assert!(options.catalog.is_none() && options.state_file.is_none());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SyncOptions {
    /// The source.
    pub source: Connector,
    /// The source's config.
    pub source_config: Value,
    /// The destination.
    pub destination: Connector,
    /// The destination's config.
    pub destination_config: Value,
    /// The configured catalog to use; `None` runs `discover` on the source
    /// and configures its streams from `choices`.
    pub catalog: Option<ConfiguredAirbyteCatalog>,
    /// Which streams, and how.
    pub choices: StreamChoices,
    /// The state file: read (if it exists) as the source's `--state`, and
    /// replaced by the states the destination echoed.
    pub state_file: Option<PathBuf>,
    /// Record validation.
    pub validation: Validation,
    /// Show every log message of the connectors and their stderr.
    pub verbose: bool,
    /// Show a progress line on stderr while the sync runs longer than 2 s.
    pub progress: bool,
    /// A host folder mounted at `/local` for connectors run as Docker images.
    pub local_root: Option<PathBuf>,
}

impl SyncOptions {
    /// Options with the defaults: discovery, all streams, no state file,
    /// validation `warn`, progress shown.
    pub fn new(
        source: Connector,
        source_config: Value,
        destination: Connector,
        destination_config: Value,
    ) -> Self {
        SyncOptions {
            source,
            source_config,
            destination,
            destination_config,
            catalog: None,
            choices: StreamChoices::default(),
            state_file: None,
            validation: Validation::Warn,
            verbose: false,
            progress: true,
            local_root: None,
        }
    }
}

/// Runs a sync to the end and returns its counts.
///
/// It fails with [`Error::Sync`] (after both connectors stopped and the
/// state file was written with what the destination committed) when a
/// connector exits non-zero or emits a TRACE ERROR, when the destination
/// breaks the state protocol, or when a record is invalid under
/// [`Validation::Fail`].
///
/// ```no_run
/// use airbyte_acceptance_tests::{Connector, SyncOptions, run_sync};
/// let options = SyncOptions::new(
///     Connector::parse("./source"), serde_json::json!({"count": 5}),
///     Connector::parse("./destination"), serde_json::json!({"destination_path": "/tmp/out"}),
/// );
/// match run_sync(&options) {
///     Ok(summary) => println!("{} rows", summary.total().committed),
///     Err(e) => eprintln!("{e}"),
/// }
/// ```
pub fn run_sync(options: &SyncOptions) -> Result<SyncSummary, Error> {
    let outcome = run::execute(options)?;
    if outcome.failures.is_empty() {
        Ok(outcome.summary)
    } else {
        Err(Error::Sync(outcome.failures.join("; ")))
    }
}

/// `namespace.name`, or `name`.
pub(crate) fn stream_key(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}.{name}"),
        None => name.to_owned(),
    }
}
