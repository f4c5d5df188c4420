//! Destinations: `check` and `write`, and the toolkit of Airbyte's
//! Destinations V2 rules that every destination shares: the [`StreamPlan`]
//! of each stream (sync mode, key, cursor, generations, [`LogicalType`]d
//! columns), the [`DedupOrder`], [`AirbyteMeta`], [`RawIds`], the
//! [table layouts](RAW_COLUMNS), widening ([`LogicalType::widen`]) and
//! [name fitting](NameLimit). A destination adds only its store's SQL.

mod airbyte_meta;
mod batch;
mod dedup_order;
mod logical_type;
mod names;
mod open;
mod pipeline;
mod plan;
mod raw_id;
mod run;
mod states;
mod stream_index;
mod table_layout;

use std::time::Duration;

pub use airbyte_meta::AirbyteMeta;
pub use batch::{Batch, RecordView, Records};
pub use dedup_order::{DedupOrder, OrderColumn, OrderKey, RecordVersion};
pub use logical_type::LogicalType;
pub use names::NameLimit;
pub use plan::{CdcDeletion, PlanColumn, StreamPlan};
pub use raw_id::RawIds;
pub(crate) use run::write;
pub use table_layout::{
    DEFAULT_RAW_SCHEMA, FINAL_META_COLUMNS, MetaColumn, RAW_COLUMNS, RAW_ID_LENGTH, raw_table_name,
};

use crate::config::Config;
use crate::error::Error;
use crate::spec_options::SpecOptions;

/// An Airbyte destination.
///
/// The SDK reads stdin, groups records per stream into batches bounded by
/// [`BatchLimits`] (records, bytes and age), hands each batch to the
/// [`StreamWriter`], and echoes each STATE (unchanged, unknown keys such as
/// the platform's `id` included) only after every record before it of the
/// streams it covers has been written, in arrival order, adding
/// `destinationStats.recordCount`. A STATE never forces a batch out: a
/// source may send one after every record at no cost.
#[async_trait::async_trait]
pub trait Destination: Send + Sync + Sized + 'static {
    /// The connector's configuration; its JSON Schema is the spec.
    type Config: Config;
    /// Writes the batches of one sync.
    type Writer: StreamWriter + 'static;

    /// Extra fields of the spec. List the supported destination sync modes
    /// here: the SDK refuses a catalog that asks for another one.
    fn spec_options(&self) -> SpecOptions {
        SpecOptions::default()
    }

    /// Checks that the config works. Return [`Error::config`] for what the user must fix.
    async fn check(&self, config: &Self::Config) -> Result<(), Error>;

    /// Prepares a sync (create tables, open files): `plans` holds one
    /// [`StreamPlan`] per configured stream, in catalog order (`plans[i]` is
    /// the stream of [`Batch::stream`] `i`). The SDK has already checked
    /// them: each sync mode is one of `spec_options()`'s
    /// `supported_destination_sync_modes` (when it lists them), and an
    /// `append_dedup` stream has a primary key.
    async fn open(
        &self,
        config: &Self::Config,
        plans: &[StreamPlan],
    ) -> Result<Self::Writer, Error>;

    /// How large and how old a batch may grow before it is written.
    fn batch_limits(&self) -> BatchLimits {
        BatchLimits::default()
    }
}

/// Writes batches durably, in input order.
#[async_trait::async_trait]
pub trait StreamWriter: Send {
    /// Writes one batch of one stream. When it returns `Ok`, the records must
    /// be durable: the SDK may then echo the states that follow them.
    async fn write_batch(&mut self, batch: Batch) -> Result<(), Error>;

    /// The source finished stream `stream` (index into the catalog).
    async fn stream_complete(&mut self, stream: usize) -> Result<(), Error> {
        let _ = stream;
        Ok(())
    }

    /// All input has been written: finalize (swap tables, close files).
    async fn close(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// Bounds on a batch: it is written as soon as one is reached.
///
/// A batch is also written when its stream completes and at the end of
/// input, never because of a STATE: states wait, queued, until the records
/// before them are written. To keep that queue small, the open batches are
/// written when the states waiting for them reach `states`, or their lines
/// `bytes`. A source that goes quiet still sees its states echoed within
/// about `age`.
///
/// ```
/// use std::time::Duration;
/// use airbyte_sdk::destination::BatchLimits;
///
/// let limits = BatchLimits::default();
/// assert_eq!((limits.records, limits.age), (10_000, Duration::from_secs(1)));
/// // Change only what you need:
/// let small = BatchLimits { records: 500, ..BatchLimits::default() };
/// assert_eq!(small.bytes, limits.bytes);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most records in a batch.
    pub records: usize,
    /// Most bytes of input lines in a batch.
    pub bytes: usize,
    /// Longest time a batch stays open, from its first record: this bounds
    /// how long a state waits for a batch that grows slowly or not at all.
    pub age: Duration,
    /// Most states waiting for the open batches (those received since the
    /// oldest open batch's first record); beyond it, every open batch is written.
    pub states: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            records: 10_000,
            bytes: 16 * 1024 * 1024,
            age: Duration::from_secs(1),
            states: 10_000,
        }
    }
}
