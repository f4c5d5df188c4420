//! Sources: `check`, `discover` and `read`.

mod cursor;
mod driver;
mod mode;
mod output;
mod state;

use airbyte_protocol::{
    AirbyteCatalog, ConfiguredAirbyteCatalog, ConfiguredAirbyteStream, JsonObject,
};

pub use cursor::{CheckpointPolicy, CursorValue};
pub use driver::read_streams;
pub use mode::{ReadMode, effective_stream, read_mode};
pub use output::{SourceOutput, StreamOutput};
pub use state::InputState;

use crate::config::Config;
use crate::error::Error;
use crate::spec_options::SpecOptions;

/// An Airbyte source.
///
/// Implement `check`, `discover`, and either `read_stream` (the SDK then
/// reads the configured streams, a bounded number at once, with stream
/// statuses, state counts and errors handled) or `read` for full control
/// (for example a CDC source that emits GLOBAL state).
#[async_trait::async_trait]
pub trait Source: Send + Sync + Sized + 'static {
    /// The connector's configuration; its JSON Schema is the spec.
    type Config: Config;

    /// Extra fields of the spec (documentation URL, supported modes...).
    fn spec_options(&self) -> SpecOptions {
        SpecOptions::default()
    }

    /// Checks that the config works (connects, authenticates). Return an
    /// [`Error::config`] for anything the user must fix: it becomes a FAILED
    /// connection status; any other error is a TRACE error and a non-zero exit.
    async fn check(&self, config: &Self::Config) -> Result<(), Error>;

    /// The streams this source offers.
    async fn discover(&self, config: &Self::Config) -> Result<AirbyteCatalog, Error>;

    /// Reads the configured catalog. The default checks that every configured
    /// stream exists (via `discover`) and calls [`Source::read_stream`] for
    /// each, at most [`Source::max_concurrent_streams`] at once.
    async fn read(
        &self,
        config: &Self::Config,
        catalog: &ConfiguredAirbyteCatalog,
        state: &InputState,
        out: &SourceOutput,
    ) -> Result<(), Error> {
        read_streams(self, config, catalog, state, out).await
    }

    /// Reads one stream, starting from its input `state` (if any).
    /// Emit records and checkpoints through `out`.
    ///
    /// The default `read` passes the stream as [`effective_stream`] gives it:
    /// an incremental stream without a cursor arrives as a full refresh; use
    /// [`read_mode`] to get the cursor of an incremental one.
    async fn read_stream(
        &self,
        config: &Self::Config,
        stream: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        let _ = (config, state, out);
        Err(Error::system(format!(
            "this source implements neither `read` nor `read_stream` (stream `{}`)",
            stream.stream.name
        )))
    }

    /// How many streams the default `read` reads at once.
    fn max_concurrent_streams(&self) -> usize {
        1
    }
}
