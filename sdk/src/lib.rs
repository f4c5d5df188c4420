//! Write [Airbyte] connectors in Rust: a config struct, a trait
//! implementation and one line of `main` make a complete connector binary
//! that answers `spec`, `check`, `discover` and `read` (or `write`) exactly
//! as the Airbyte platform expects.
//!
//! A complete source:
//!
//! ```
//! use airbyte_sdk::source::{NoState, Records, Stream, Streams};
//! use airbyte_sdk::{Result, Source};
//!
//! /// Counts from zero.
//! #[airbyte_sdk::config]
//! pub struct CounterConfig {
//!     /// How far to count.
//!     #[airbyte(order = 0, default = 10)]
//!     pub up_to: u64,
//! }
//!
//! /// A number.
//! #[airbyte_sdk::record]
//! pub struct Number { n: u64 }
//!
//! pub struct Numbers(u64);
//!
//! impl Stream for Numbers {
//!     type Record = Number;
//!     type State = NoState;
//!     async fn read(&self, _: Option<NoState>, out: &mut Records<'_, Self>) -> Result<()> {
//!         (0..self.0).try_for_each(|n| out.record(&Number { n }))
//!     }
//! }
//!
//! pub struct Counter;
//!
//! #[airbyte_sdk::source]
//! impl Source for Counter {
//!     type Config = CounterConfig;
//!     async fn check(&self, _: &CounterConfig) -> Result<()> { Ok(()) }
//!     async fn streams(&self, config: &CounterConfig) -> Result<Streams> {
//!         Ok(Streams::new().with("numbers", Numbers(config.up_to)))
//!     }
//! }
//!
//! airbyte_sdk::source_main!(Counter);
//! # // The doctest runs the commands in process instead of a real main.
//! # let rt = tokio::runtime::Runtime::new().unwrap();
//! # let out = rt.block_on(airbyte_sdk::testkit::run_source(Counter, &["spec"]));
//! # assert_eq!(out.exit_code, 0);
//! # assert!(out.spec().unwrap().connection_specification.as_str().contains("up_to"));
//! # let dir = airbyte_sdk::testkit::TestDir::new("crate-doc");
//! # let config = dir.write_json("config.json", &airbyte_sdk::serde_json::json!({"up_to": 3}));
//! # let config = config.to_str().unwrap();
//! # let out = rt.block_on(airbyte_sdk::testkit::run_source(Counter, &["discover", "--config", config]));
//! # let catalog = out.catalog().expect("a catalog");
//! # assert_eq!(catalog.streams[0].json_schema.to_map()["properties"]["n"]["type"], "integer");
//! # let configured = dir.write_json("catalog.json", &airbyte_sdk::serde_json::json!({"streams": [{"stream": {"name": "numbers", "json_schema": {}, "supported_sync_modes": ["full_refresh"]}, "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}));
//! # let out = rt.block_on(airbyte_sdk::testkit::run_source(Counter, &["read", "--config", config, "--catalog", configured.to_str().unwrap()]));
//! # assert_eq!(out.exit_code, 0, "{}", out.stdout);
//! # assert_eq!(out.records().len(), 3);
//! ```
//!
//! The SDK validates the config against the derived spec before the
//! connector sees it, reports every error as a TRACE message with its
//! failure type and a non-zero exit (panics included), emits stream statuses
//! and per-state record counts, routes `tracing` logs to LOG messages, and
//! masks every `airbyte_secret` value in everything it prints.
//!
//! [Airbyte]: https://airbyte.com

pub use airbyte_protocol as protocol;
pub use airbyte_sdk_macros::{config, record, source, state};
pub use async_trait::async_trait;
/// The `serde_json` this SDK is built with, so a connector can build records
/// and states (`airbyte_sdk::serde_json::json!`) without its own dependency
/// or a version mismatch.
pub use serde_json;
pub use tracing;

mod config;
pub mod destination;
mod emit;
mod entrypoint;
mod error;
#[cfg(feature = "http")]
pub mod http;
mod logging;
mod mask;
pub mod prelude;
mod secret;
pub mod source;
pub mod spec;
mod spec_options;
pub mod testkit;
pub mod types;
pub mod value;

pub use config::{Config, validate as validate_config};
pub use destination::Destination;
pub use entrypoint::{
    ConnectorInfo, Io, run_destination, run_destination_with, run_source, run_source_with,
};
pub use error::{BoxError, Error};

/// `Result<T, airbyte_sdk::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
pub use mask::{MASK, Masker, mask_also};
pub use secret::Secret;
pub use source::Source;
pub use spec_options::SpecOptions;

/// Expands to a `main` that runs a source: `airbyte_sdk::source_main!(MySource::default());`
#[macro_export]
macro_rules! source_main {
    ($source:expr) => {
        fn main() -> ::std::process::ExitCode {
            $crate::run_source(
                $source,
                $crate::ConnectorInfo {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                },
            )
        }
    };
}

/// Expands to a `main` that runs a destination: `airbyte_sdk::destination_main!(MyDestination);`
#[macro_export]
macro_rules! destination_main {
    ($destination:expr) => {
        fn main() -> ::std::process::ExitCode {
            $crate::run_destination(
                $destination,
                $crate::ConnectorInfo {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                },
            )
        }
    };
}

/// Not public API: re-exports for the code that `airbyte-sdk-macros`
/// generates, its only user. It may change in any release, and is versioned
/// together with the macros crate (whose expansions name it); user code
/// should use [`serde_json`](crate::serde_json) and the other public
/// re-exports instead.
#[doc(hidden)]
pub mod __private {
    pub use schemars;
    pub use serde;
    pub use serde_json;
}
