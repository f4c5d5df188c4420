//! The engine's errors, each with the failure type Airbyte reports.

use airbyte_sdk::protocol::FailureType;

/// What can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest cannot be loaded: bad YAML, a broken reference, a
    /// component the engine does not have. The user fixes the manifest.
    #[error("{0}")]
    Manifest(String),
}

impl Error {
    /// The failure type Airbyte reports for it.
    pub fn failure_type(&self) -> FailureType {
        match self {
            Error::Manifest(_) => FailureType::ConfigError,
        }
    }
}

impl From<Error> for airbyte_sdk::Error {
    fn from(error: Error) -> Self {
        match error.failure_type() {
            FailureType::ConfigError => airbyte_sdk::Error::config(error.to_string()),
            _ => airbyte_sdk::Error::system(error.to_string()),
        }
    }
}
