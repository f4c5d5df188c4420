//! Write [Airbyte] connectors in Rust: a config struct, a trait
//! implementation and one line of `main` make a complete connector binary
//! that answers `spec`, `check`, `discover` and `read` (or `write`) exactly
//! as the Airbyte platform expects.
//!
//! A complete source:
//!
//! ```
//! use airbyte_sdk::protocol::{AirbyteCatalog, AirbyteStream, ConfiguredAirbyteStream, JsonObject, SyncMode};
//! use airbyte_sdk::source::StreamOutput;
//! use airbyte_sdk::{Error, Source};
//!
//! /// Counts from zero.
//! #[airbyte_sdk::config]
//! pub struct CounterConfig {
//!     /// How far to count.
//!     #[airbyte(order = 0, default = 10)]
//!     pub up_to: u64,
//!     /// An API token (masked in every log and error).
//!     #[airbyte(order = 1, secret)]
//!     pub token: Option<String>,
//! }
//!
//! pub struct Counter;
//!
//! #[airbyte_sdk::async_trait]
//! impl Source for Counter {
//!     type Config = CounterConfig;
//!
//!     async fn check(&self, _config: &CounterConfig) -> Result<(), Error> {
//!         Ok(())
//!     }
//!
//!     async fn discover(&self, _config: &CounterConfig) -> Result<AirbyteCatalog, Error> {
//!         let schema = JsonObject::from_string(r#"{"type":"object","properties":{"n":{"type":"integer"}}}"#.into())?;
//!         Ok(AirbyteCatalog::new(vec![AirbyteStream::new("numbers", schema, vec![SyncMode::FullRefresh])]))
//!     }
//!
//!     async fn read_stream(
//!         &self,
//!         config: &CounterConfig,
//!         _stream: &ConfiguredAirbyteStream,
//!         _state: Option<&JsonObject>,
//!         out: &mut StreamOutput,
//!     ) -> Result<(), Error> {
//!         for n in 0..config.up_to {
//!             out.record(&airbyte_sdk::serde_json::json!({ "n": n }))?;
//!         }
//!         out.checkpoint_value(&airbyte_sdk::serde_json::json!({ "done": true }))
//!     }
//! }
//!
//! airbyte_sdk::source_main!(Counter);
//! # // The doctest runs the `spec` command in process instead of a real main.
//! # let out = tokio::runtime::Runtime::new().unwrap().block_on(airbyte_sdk::testkit::run_source(Counter, &["spec"]));
//! # assert_eq!(out.exit_code, 0);
//! # assert!(out.spec().unwrap().connection_specification.as_str().contains("airbyte_secret"));
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
pub use airbyte_sdk_macros::config;
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
mod logging;
mod mask;
mod secret;
pub mod source;
pub mod spec;
mod spec_options;
pub mod testkit;
pub mod value;

pub use config::Config;
pub use destination::Destination;
pub use entrypoint::{
    ConnectorInfo, Io, run_destination, run_destination_with, run_source, run_source_with,
};
pub use error::{BoxError, Error};
pub use mask::{MASK, Masker};
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
