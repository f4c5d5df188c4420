//! Sources: `check`, `discover` and `read`.

//!
//! A source gives its streams typed ([`Source::streams`]: a [`Stream`] per
//! stream, with a record type whose JSON Schema is the stream's), and
//! `discover` and `read` come with them; or it implements `discover` and
//! `read_stream` (or `read`) over untyped JSON, as database and manifest
//! sources do whose streams are known only at run time.
//!
//! - [`stream`](Stream), [`Streams`]: typed streams and their catalog;
//! - [`Incremental`]: the cursor algorithm of incremental reads;
//! - [`GlobalState`], [`GlobalStreams`]: GLOBAL state reads (CDC);
//! - [`SourceOutput`], [`StreamOutput`]: what every read emits through.

mod cursor;
mod driver;
mod global;
mod incremental;
mod mode;
mod output;
mod state;
mod stream;
mod streams;

use airbyte_protocol::{
    AirbyteCatalog, ConfiguredAirbyteCatalog, ConfiguredAirbyteStream, ConnectorSpecification,
    JsonObject,
};

pub use cursor::{CheckpointPolicy, CursorValue};
pub use driver::{check_known_streams, read_streams};
pub use global::{GlobalState, GlobalStreams, catch_panic};
pub use incremental::{CursorState, Incremental, Start};
pub use mode::{ReadMode, effective_stream, read_mode};
pub use output::{SourceOutput, StreamOutput};
pub use state::InputState;
pub use stream::{NoState, Record, Records, State, Stream, record_schema};
pub use streams::Streams;

use crate::config::Config;
use crate::error::Error;
use crate::spec_options::SpecOptions;

/// An Airbyte source.
///
/// Implement `check`, and either
/// - `streams`: typed [`Stream`]s; `discover` and `read` come from them; or
/// - `discover`, and `read_stream` (the SDK then reads the configured
///   streams, a bounded number at once, with stream statuses, state counts
///   and errors handled) or `read` for full control (for example a CDC
///   source that emits GLOBAL state).
///
/// Write the impl with `#[airbyte_sdk::source]`: it checks at compile time
/// that one of the two is there.
#[async_trait::async_trait]
pub trait Source: Send + Sync + Sized + 'static {
    /// The connector's configuration; its JSON Schema is the spec.
    type Config: Config;

    /// Extra fields of the spec (documentation URL, supported modes...).
    fn spec_options(&self) -> SpecOptions {
        SpecOptions::default()
    }

    /// The whole spec, for a source whose spec is known only at run time
    /// (a manifest engine reads it from its manifest). Its connection schema
    /// then validates the config and names the secrets to mask, in place of
    /// the schema derived from [`Source::Config`] (use `serde_json::Value`
    /// there). The default, `None`, derives the spec from the config type
    /// and [`Source::spec_options`].
    fn run_time_spec(&self) -> Option<ConnectorSpecification> {
        None
    }

    /// Secret values of `config` that the spec's schema does not mark (the
    /// default is none): a manifest engine finds them with the spec of a
    /// manifest that arrives inside the config. They are masked as the
    /// marked ones are, in everything the connector prints.
    fn extra_secrets(&self, config: &serde_json::Value) -> Vec<String> {
        let _ = config;
        Vec::new()
    }

    /// Checks that the config works (connects, authenticates). Return an
    /// [`Error::config`] for anything the user must fix: it becomes a FAILED
    /// connection status; any other error is a TRACE error and a non-zero exit.
    async fn check(&self, config: &Self::Config) -> Result<(), Error>;

    /// The source's typed streams. A source that gives them needs neither
    /// `discover` nor `read`.
    async fn streams(&self, config: &Self::Config) -> Result<Streams, Error> {
        let _ = config;
        Ok(Streams::new())
    }

    /// The streams this source offers. The default is the catalog of
    /// [`Source::streams`].
    async fn discover(&self, config: &Self::Config) -> Result<AirbyteCatalog, Error> {
        let streams = self.streams(config).await?;
        if streams.is_empty() {
            return Err(Error::system(
                "this source implements neither `streams` nor `discover`",
            ));
        }
        streams.catalog()
    }

    /// Reads the configured catalog. The default checks that every configured
    /// stream exists and reads each, at most
    /// [`Source::max_concurrent_streams`] at once: with its typed
    /// [`Stream::read`] if the source gives [`Source::streams`], else with
    /// [`Source::read_stream`].
    async fn read(
        &self,
        config: &Self::Config,
        catalog: &ConfiguredAirbyteCatalog,
        state: &InputState,
        out: &SourceOutput,
    ) -> Result<(), Error> {
        let streams = self.streams(config).await?;
        if streams.is_empty() {
            return read_streams(self, config, catalog, state, out).await;
        }
        let limit = self.max_concurrent_streams();
        driver::read_typed(&streams, catalog, state, out, limit).await
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

    /// When states are due ([`StreamOutput::should_checkpoint`],
    /// [`GlobalState::due`]): by default every 10,000 records or 60 seconds.
    fn checkpoint_policy(&self) -> CheckpointPolicy {
        CheckpointPolicy::default()
    }
}
