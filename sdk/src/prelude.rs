//! The names most connectors use, for one glob import:
//! `use airbyte_sdk::prelude::*;`.
//!
//! It holds the traits a connector implements ([`Source`], [`Stream`],
//! [`Destination`]), what a typed stream reads with ([`Records`],
//! [`Incremental`], [`CursorState`], [`NoState`], [`Streams`]), and
//! [`Error`] and [`Result`]. Value types such as
//! [`TimestampTz`](crate::types::TimestampTz) stay in [`types`](crate::types),
//! so that a connector's own `Date` or `Decimal` never clashes with them.
//!
//! ```
//! use airbyte_sdk::prelude::*;
//!
//! /// A number.
//! #[airbyte_sdk::record]
//! pub struct Number { n: u64 }
//!
//! pub struct Numbers;
//!
//! impl Stream for Numbers {
//!     type Record = Number;
//!     type State = NoState;
//!     async fn read(&self, _: Option<NoState>, out: &mut Records<'_, Self>) -> Result<()> {
//!         (0..3).try_for_each(|n| out.record(&Number { n }))
//!     }
//! }
//! let streams: Streams = Streams::new().with("numbers", Numbers);
//! assert!(!streams.is_empty());
//! ```

pub use crate::Result;
pub use crate::destination::Destination;
pub use crate::error::Error;
pub use crate::source::{
    CursorState, Incremental, NoState, Record, Records, Source, State, Stream, Streams,
};
