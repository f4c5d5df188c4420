//! `cargo-airbyte`: acceptance tests and syncs for connector authors.

use std::path::PathBuf;
use std::process::ExitCode;

use airbyte_acceptance_tests::{AcceptanceConfig, Connector, SyncArgs, run_cli, run_suites};
use clap::{Parser, Subcommand};

/// Test and run Airbyte connectors: `cargo airbyte test`, `cargo airbyte sync`.
#[derive(Debug, Parser)]
#[command(name = "cargo-airbyte", bin_name = "cargo airbyte", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the acceptance suites of an acceptance-test-config.yml.
    Test {
        /// The acceptance-test config.
        #[arg(long, default_value = "acceptance-test-config.yml")]
        config: PathBuf,
        /// The connector: a binary path, `docker:IMAGE`, or `pod:IMAGE` (run
        /// as the Airbyte platform's Kubernetes launcher runs it) (default:
        /// `docker:` and the config's connector_image).
        #[arg(long)]
        connector: Option<String>,
    },
    /// Run a source into a destination, as the Airbyte platform's worker does.
    Sync(SyncArgs),
}

fn main() -> ExitCode {
    // Under `cargo airbyte ...`, cargo passes "airbyte" as the first argument.
    let mut args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("airbyte") {
        args.remove(1);
    }
    let cli = Cli::parse_from(args);
    match cli.command {
        Cmd::Sync(args) => run_cli(args),
        Cmd::Test { config, connector } => {
            let (acceptance, base) = match AcceptanceConfig::load(&config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let connector = Connector::parse(
                connector
                    .as_deref()
                    .unwrap_or(&format!("docker:{}", acceptance.connector_image)),
            );
            eprintln!("acceptance tests of {}", connector.describe());
            match run_suites(&connector, &acceptance, &base) {
                Ok(report) => {
                    print!("{report}");
                    if report.passed() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
