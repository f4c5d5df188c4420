//! Incremental sync: the CDK's `DatetimeBasedCursor` as airbyte-cdk
//! 7.39.1 runs it (a `ConcurrentCursor`, or a `ConcurrentPerPartitionCursor`
//! under a partition router), as pure logic: windows to read, records
//! observed, windows closed, the state to emit.
//!
//! - [`duration`]: ISO-8601 durations as `isodate` adds them.
//! - [`formats`]: cursor values read and written.
//! - [`DatetimeBasedCursor`] ([`cursor`]): the manifest component, and
//!   the runtime [`ConcurrentCursor`] ([`concurrent`]) built from it.
//! - [`PerPartitionCursor`]: one cursor per partition.
//! - [`IncrementingCountCursor`]: a counter's cursor.
//! - [`StreamCursor`]: whichever of these a stream has, driven alike.
//!
//! A read loop drives a stream's cursor so:
//!
//! 1. build it from the input state: [`StreamCursor::new`] (with the
//!    stream's [`PartitionRouter`](crate::partition::PartitionRouter));
//! 2. for each partition of the router, [`StreamCursor::slices`] gives
//!    the slices (windows) to read;
//! 3. each record read in a slice: drop it if the stream is client-side
//!    incremental or a data feed and [`StreamCursor::should_be_synced`]
//!    says no (a data feed also stops paginating then), else emit it and
//!    [`StreamCursor::observe`] it;
//! 4. once a slice is read: [`StreamCursor::close_slice`] gives the state
//!    to emit, if any;
//! 5. at the end: [`StreamCursor::final_state`], always emitted.

mod clamping;
mod component;
mod concurrent;
mod counting;
mod cursor;
pub mod duration;
mod formats;
mod min_max;
mod per_partition;
mod stream;

pub use clamping::Clamping;
pub use concurrent::ConcurrentCursor;
pub use counting::{CountingCursor, IncrementingCountCursor};
pub use cursor::{Clock, DatetimeBasedCursor, system_clock};
pub use duration::{Gap, GapError};
pub use formats::{Formats, ParseFailure, parse_value};
pub use min_max::{DEFAULT_FORMAT, MinMaxDatetime};
pub use per_partition::{MAX_PARTITIONS, PerPartitionCursor, SWITCH_TO_GLOBAL_LIMIT};
pub use stream::{NO_CURSOR_STATE_KEY, StreamCursor};

pub(crate) use component::{
    boolean, component as expect_component, context, eval_key, eval_string, parameters,
    required_string, string, string_items,
};
