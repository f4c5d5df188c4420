//! The command line every connector answers.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Arguments of a connector binary.
#[derive(Debug, Parser)]
#[command(disable_help_subcommand = true)]
pub(crate) struct Cli {
    /// Log at debug level (as with AIRBYTE_LOG=debug).
    #[arg(long, global = true)]
    pub(crate) debug: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the connector's specification (SPEC).
    Spec,
    /// Check that a config works (CONNECTION_STATUS).
    Check {
        /// The config JSON file.
        #[arg(long)]
        config: PathBuf,
    },
    /// List the streams of a source (CATALOG).
    Discover {
        /// The config JSON file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Read records from a source (RECORD, STATE, TRACE, LOG).
    Read {
        /// The config JSON file.
        #[arg(long)]
        config: PathBuf,
        /// The configured catalog JSON file.
        #[arg(long)]
        catalog: PathBuf,
        /// The state JSON file: an array of state messages.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Write the messages on stdin to a destination (echoes STATE).
    Write {
        /// The config JSON file.
        #[arg(long)]
        config: PathBuf,
        /// The configured catalog JSON file.
        #[arg(long)]
        catalog: PathBuf,
    },
}

impl Command {
    pub(crate) fn config(&self) -> Option<&PathBuf> {
        match self {
            Command::Spec => None,
            Command::Check { config } | Command::Discover { config } => Some(config),
            Command::Read { config, .. } | Command::Write { config, .. } => Some(config),
        }
    }
}
