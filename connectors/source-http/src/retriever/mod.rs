//! Reading streams: components built from the manifest ([`StreamDefinition`]),
//! requests sent and retried ([`Transport`]), and the read loop
//! ([`read_stream`]).

mod async_job;
mod async_run;
mod definition;
mod read;
mod transport;

pub use async_job::{AsyncJobs, JobRequester, JobStatus, MAX_JOB_ATTEMPTS, POLL_INTERVAL};
pub use async_run::JobFailures;
pub use definition::StreamDefinition;
pub use read::{Flow, ReadContext, Sink, no_cursor_state, read_stream};
pub use transport::{Answer, Fetched, Timeouts, Transport};
