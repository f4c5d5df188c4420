//! The SDK's error type: every error knows its Airbyte failure type.

use airbyte_protocol::{FailureType, StreamDescriptor};

/// A boxed error cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error a connector returns, or the SDK raises, with the failure type
/// the platform shows the user.
///
/// ```
/// use airbyte_sdk::Error;
/// use airbyte_sdk::protocol::FailureType;
///
/// let err = Error::config("password authentication failed for user \"app\"");
/// assert_eq!(err.failure_type(), FailureType::ConfigError);
/// let err = Error::transient("connection reset").with_source(std::io::Error::other("ECONNRESET"));
/// assert_eq!(err.internal_message().as_deref(), Some("ECONNRESET"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The user's configuration is wrong (bad password, unknown host, invalid config); a retry will not help.
    #[error("{message}")]
    Config {
        /// What the user should fix.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
        /// The stream concerned, if any.
        stream: Option<StreamDescriptor>,
    },
    /// A passing condition (timeout, rate limit, lost connection); a retry may succeed.
    #[error("{message}")]
    Transient {
        /// What happened.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
        /// The stream concerned, if any.
        stream: Option<StreamDescriptor>,
    },
    /// A bug or an unexpected condition in the connector.
    #[error("{message}")]
    System {
        /// What happened.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
        /// The stream concerned, if any.
        stream: Option<StreamDescriptor>,
    },
    /// Reading or writing protocol messages failed.
    #[error(transparent)]
    Protocol(#[from] airbyte_protocol::Error),
    /// An I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
            source: None,
            stream: None,
        }
    }

    /// A transient error.
    pub fn transient(message: impl Into<String>) -> Self {
        Error::Transient {
            message: message.into(),
            source: None,
            stream: None,
        }
    }

    /// A system error (a bug).
    pub fn system(message: impl Into<String>) -> Self {
        Error::System {
            message: message.into(),
            source: None,
            stream: None,
        }
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, cause: impl Into<BoxError>) -> Self {
        if let Error::Config { source, .. }
        | Error::Transient { source, .. }
        | Error::System { source, .. } = &mut self
        {
            *source = Some(cause.into());
        }
        self
    }

    /// Attaches the stream concerned.
    pub fn with_stream(self, descriptor: StreamDescriptor) -> Self {
        let mut this = match self {
            Error::Io(e) => Error::transient(format!("I/O error: {e}")).with_source(e),
            Error::Protocol(e) => {
                let failure = e.failure_type();
                let message = e.to_string();
                let structured = match failure {
                    FailureType::TransientError => Error::transient(message),
                    _ => Error::system(message),
                };
                structured.with_source(e)
            }
            other => other,
        };
        if let Error::Config { stream, .. }
        | Error::Transient { stream, .. }
        | Error::System { stream, .. } = &mut this
        {
            *stream = Some(descriptor);
        }
        this
    }

    /// The failure type to report.
    pub fn failure_type(&self) -> FailureType {
        match self {
            Error::Config { .. } => FailureType::ConfigError,
            Error::Transient { .. } => FailureType::TransientError,
            Error::System { .. } => FailureType::SystemError,
            Error::Protocol(e) => e.failure_type(),
            Error::Io(_) => FailureType::TransientError,
        }
    }

    /// The stream concerned, if known.
    pub fn stream(&self) -> Option<&StreamDescriptor> {
        match self {
            Error::Config { stream, .. }
            | Error::Transient { stream, .. }
            | Error::System { stream, .. } => stream.as_ref(),
            _ => None,
        }
    }

    /// The chain of underlying causes, joined with `: `.
    pub fn internal_message(&self) -> Option<String> {
        let mut parts = Vec::new();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            parts.push(c.to_string());
            cause = c.source();
        }
        (!parts.is_empty()).then(|| parts.join(": "))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::system("JSON (de)serialization failed").with_source(e)
    }
}
