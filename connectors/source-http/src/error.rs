//! The engine's errors, each with the failure type Airbyte reports.

use airbyte_sdk::protocol::FailureType;

/// What can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest cannot be loaded: bad YAML, a broken reference, a
    /// component the engine does not have. The user fixes the manifest.
    #[error("{0}")]
    Manifest(String),
    /// Reading a stream failed where the CDK raises and fails the sync: a
    /// state or a cursor value it cannot read, a record path that cannot
    /// be written. Reported as a system error.
    #[error("{0}")]
    Read(String),
    /// A request that cannot be built or sent where Python raises an
    /// exception the CDK does not expect (a collision of request options,
    /// a URL requests refuses): a system error. `kind` is the Python
    /// exception's class (`ValueError`, `InvalidURL`), which the CDK names
    /// in its message ("An unexpected error occurred in stream s: …").
    #[error("{message}")]
    Request {
        /// The Python exception class.
        kind: String,
        /// `str()` of the exception.
        message: String,
    },
    /// An `AirbyteTracedException` the CDK raises with its own failure
    /// type: a failed or exhausted request, a refused wait.
    #[error("{message}")]
    Traced {
        /// The message for the user.
        message: String,
        /// The message for the logs.
        internal_message: String,
        /// The failure type reported.
        failure_type: FailureType,
    },
}

impl Error {
    /// The failure type Airbyte reports for it.
    pub fn failure_type(&self) -> FailureType {
        match self {
            Error::Manifest(_) => FailureType::ConfigError,
            Error::Read(_) => FailureType::SystemError,
            Error::Request { .. } => FailureType::SystemError,
            Error::Traced { failure_type, .. } => *failure_type,
        }
    }
}

impl From<Error> for airbyte_sdk::Error {
    fn from(error: Error) -> Self {
        let converted = match error.failure_type() {
            FailureType::ConfigError => airbyte_sdk::Error::config(error.to_string()),
            FailureType::TransientError => airbyte_sdk::Error::transient(error.to_string()),
            _ => airbyte_sdk::Error::system(error.to_string()),
        };
        // The CDK's internal message (the request, the status, the body)
        // becomes the TRACE error's `internal_message`.
        match error {
            Error::Traced {
                internal_message, ..
            } if !internal_message.is_empty() => converted.with_source(internal_message),
            _ => converted,
        }
    }
}
