//! `cargo airbyte sync`: the flags and the command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use airbyte_protocol::{ConfiguredAirbyteCatalog, DestinationSyncMode, SyncMode};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use serde_json::Value;

use super::{StreamChoices, SyncOptions, Validation, run};
use crate::connector::Connector;
use crate::error::Error;

/// Run a source into a destination, as the Airbyte platform does, and print
/// the records emitted and committed per stream.
///
/// The state file advances only past states the destination echoed, so a
/// failed or killed sync resumes from what was committed. Exit code 0 when
/// the sync succeeded, 1 when it failed, 2 for a usage error.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The source: a binary path, `docker:IMAGE`, or `pod:IMAGE` (the image
    /// run as the Airbyte platform's Kubernetes launcher runs it: `sh -c`
    /// with the launcher's wrapper script, a read-only root filesystem, the
    /// files in its pod volume, stdout and stderr through named pipes).
    #[arg(long, value_name = "CONNECTOR")]
    pub source: String,
    /// The source's config (a JSON file).
    #[arg(long, value_name = "FILE")]
    pub source_config: PathBuf,
    /// The destination: a binary path, `docker:IMAGE`, or `pod:IMAGE` (its
    /// stdin a named pipe too).
    #[arg(long, value_name = "CONNECTOR")]
    pub destination: String,
    /// The destination's config (a JSON file).
    #[arg(long, value_name = "FILE")]
    pub destination_config: PathBuf,
    /// A configured catalog (a JSON file) to use as it is, instead of running
    /// `discover` on the source and configuring its streams from the flags
    /// below.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["sync_mode", "destination_sync_mode"])]
    pub catalog: Option<PathBuf>,
    /// The streams to sync, by name or `namespace.name`, comma-separated
    /// (default: all).
    #[arg(long, value_name = "STREAM,...", value_delimiter = ',')]
    pub streams: Vec<String>,
    /// How to read every stream (default: `incremental` where the stream
    /// supports it and has a cursor, else `full_refresh`).
    #[arg(long, value_name = "MODE", value_parser = sync_mode_parser())]
    pub sync_mode: Option<SyncMode>,
    /// How to write every stream (default: `append_dedup` for incremental
    /// streams with a primary key, `append` for incremental streams without
    /// one, `overwrite` for full refresh).
    #[arg(long, value_name = "MODE", value_parser = destination_sync_mode_parser())]
    pub destination_sync_mode: Option<DestinationSyncMode>,
    /// The state file: a JSON array of state messages, passed to the source's
    /// `read --state` if it exists, and replaced by the latest state the
    /// destination echoed per stream, during and after the sync.
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    /// What to do with records that do not match their stream's schema:
    /// `off`, `warn` (print the first few per stream, count them), or `fail`
    /// (stop the sync).
    #[arg(long, value_enum, default_value_t = Validation::Warn)]
    pub validation: Validation,
    /// The `generation_id` of every stream (default: the start time in Unix
    /// seconds, so that it grows from one sync to the next).
    #[arg(long, value_name = "N")]
    pub generation_id: Option<i64>,
    /// The `sync_id` (default: the start time in Unix seconds).
    #[arg(long, value_name = "N")]
    pub sync_id: Option<i64>,
    /// A host folder mounted at `/local` for connectors run as Docker images.
    #[arg(long, value_name = "DIR")]
    pub local_root: Option<PathBuf>,
    /// The Docker network of the `pod:IMAGE` connectors' containers
    /// (default: the host's network).
    #[arg(long, value_name = "NETWORK")]
    pub docker_network: Option<String>,
    /// Show every log message of the connectors, and their stderr.
    #[arg(short, long)]
    pub verbose: bool,
    /// Do not show the progress line.
    #[arg(long)]
    pub no_progress: bool,
}

fn sync_mode_parser() -> impl TypedValueParser<Value = SyncMode> {
    PossibleValuesParser::new(["full_refresh", "incremental"]).map(|s| match s.as_str() {
        "incremental" => SyncMode::Incremental,
        _ => SyncMode::FullRefresh,
    })
}

fn destination_sync_mode_parser() -> impl TypedValueParser<Value = DestinationSyncMode> {
    PossibleValuesParser::new([
        "append",
        "overwrite",
        "append_dedup",
        "update",
        "soft_delete",
    ])
    .map(|s| match s.as_str() {
        "overwrite" => DestinationSyncMode::Overwrite,
        "append_dedup" => DestinationSyncMode::AppendDedup,
        "update" => DestinationSyncMode::Update,
        "soft_delete" => DestinationSyncMode::SoftDelete,
        _ => DestinationSyncMode::Append,
    })
}

fn read_json(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read(path).map_err(|source| Error::File {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_slice(&text)
        .map_err(|e| Error::Sync(format!("{} is not valid JSON: {e}", path.display())))
}

impl SyncArgs {
    /// Reads the files the flags name and builds the options of the sync.
    ///
    /// ```no_run
    /// # fn f(args: airbyte_acceptance_tests::SyncArgs) -> Result<(), airbyte_acceptance_tests::Error> {
    /// let options = args.to_options()?;
    /// let summary = airbyte_acceptance_tests::run_sync(&options)?;
    /// # Ok(()) }
    /// ```
    pub fn to_options(&self) -> Result<SyncOptions, Error> {
        let (mut source, mut destination) = (
            Connector::parse(&self.source),
            Connector::parse(&self.destination),
        );
        if let Some(network) = &self.docker_network {
            let (s, d) = (source.on_network(network), destination.on_network(network));
            if s.is_none() && d.is_none() {
                return Err(Error::Sync(
                    "--docker-network applies to `pod:IMAGE` connectors, and neither is one"
                        .to_owned(),
                ));
            }
            source = s.unwrap_or(source);
            destination = d.unwrap_or(destination);
        }
        let mut options = SyncOptions::new(
            source,
            read_json(&self.source_config)?,
            destination,
            read_json(&self.destination_config)?,
        );
        if let Some(path) = &self.catalog {
            let catalog: ConfiguredAirbyteCatalog = serde_json::from_value(read_json(path)?)
                .map_err(|e| {
                    Error::Sync(format!(
                        "{} is not a configured catalog: {e}",
                        path.display()
                    ))
                })?;
            options.catalog = Some(catalog);
        }
        options.choices = StreamChoices {
            streams: (!self.streams.is_empty()).then(|| self.streams.clone()),
            sync_mode: self.sync_mode,
            destination_sync_mode: self.destination_sync_mode,
            generation_id: self.generation_id,
            sync_id: self.sync_id,
        };
        options.state_file = self.state_file.clone();
        options.validation = self.validation;
        options.verbose = self.verbose;
        options.progress = !self.no_progress;
        options.local_root = self.local_root.clone();
        Ok(options)
    }
}

/// Runs `cargo airbyte sync`: the summary table on stdout, everything else
/// on stderr; exit code 0 (success), 1 (the sync failed or could not
/// start) or 2 (bad flags, or unreadable config or catalog files).
///
/// ```no_run
/// use airbyte_acceptance_tests::{SyncArgs, run_cli};
/// use clap::Parser;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     sync: SyncArgs,
/// }
/// fn main() -> std::process::ExitCode {
///     run_cli(Cli::parse().sync)
/// }
/// ```
pub fn run_cli(args: SyncArgs) -> ExitCode {
    let options = match args.to_options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run::execute(&options) {
        Ok(outcome) => {
            print!("{}", outcome.summary);
            if outcome.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                eprintln!("sync failed:");
                for failure in &outcome.failures {
                    eprintln!("  - {failure}");
                }
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
