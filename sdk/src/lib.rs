//! Write [Airbyte] connectors in Rust: a config struct, a trait
//! implementation and one line of `main` make a complete connector binary.
//!
//! (The full guide opens here once the SDK is complete; see `docs/`.)
//!
//! [Airbyte]: https://airbyte.com

pub use airbyte_protocol as protocol;
pub use airbyte_sdk_macros::config;
pub use async_trait::async_trait;
pub use tracing;

mod config;
pub mod destination;
mod emit;
mod entrypoint;
mod error;
mod logging;
mod mask;
pub mod source;
pub mod spec;
mod spec_options;
pub mod testkit;

pub use config::Config;
pub use destination::Destination;
pub use entrypoint::{ConnectorInfo, Io, run_destination, run_destination_with, run_source, run_source_with};
pub use error::{BoxError, Error};
pub use mask::{MASK, Masker};
pub use source::Source;
pub use spec_options::SpecOptions;

/// Expands to a `main` that runs a source: `airbyte_sdk::source_main!(MySource::default());`
#[macro_export]
macro_rules! source_main {
    ($source:expr) => {
        fn main() -> ::std::process::ExitCode {
            $crate::run_source(
                $source,
                $crate::ConnectorInfo { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") },
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
                $crate::ConnectorInfo { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") },
            )
        }
    };
}

#[doc(hidden)]
pub mod __private {
    pub use schemars;
    pub use serde;
    pub use serde_json;
}
