//! The harness's error type.

/// What can stop the harness or the runner (test failures are reported, not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The acceptance-test config file is missing or wrong.
    #[error("acceptance-test config: {0}")]
    Config(String),
    /// A connector could not be started or waited for.
    #[error("{0}")]
    Connector(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A sync failed.
    #[error("sync failed: {0}")]
    Sync(String),
}
