//! The write in flight: one batch at a time, in a task of its own, while the
//! read loop goes on reading and parsing the next one.

use tokio::task::{JoinError, JoinHandle};

use super::{Batch, StreamWriter};
use crate::error::Error;

/// What a write task gives back: the writer and the write's result.
pub(super) type Joined<W> = Result<(W, Result<(), Error>), JoinError>;

/// The writer, or the write in flight that will give it back.
pub(super) struct Pipeline<W> {
    writer: Option<W>,
    in_flight: Option<JoinHandle<(W, Result<(), Error>)>>,
    /// The stream of the last write submitted and the number of its first
    /// record, until it has committed. It stays after a failed write: those
    /// records are never durable.
    uncommitted: Option<(usize, u64)>,
    /// A call to the writer failed: nothing more may be written.
    failed: bool,
}

impl<W: StreamWriter + 'static> Pipeline<W> {
    pub(super) fn new(writer: W) -> Self {
        Pipeline {
            writer: Some(writer),
            in_flight: None,
            uncommitted: None,
            failed: false,
        }
    }

    /// Waits for the write in flight, if any, to commit.
    pub(super) async fn settle(&mut self) -> Result<(), Error> {
        match self.in_flight.take() {
            Some(task) => self.done(task.await),
            None => Ok(()),
        }
    }

    /// The end of the write in flight; never ready when there is none
    /// (a branch of the read loop's `select!`; then pass it to [`Self::done`]).
    pub(super) async fn finished(&mut self) -> Joined<W> {
        match self.in_flight.as_mut() {
            Some(task) => task.await,
            None => std::future::pending().await,
        }
    }

    /// Takes back the writer from a finished write.
    pub(super) fn done(&mut self, joined: Joined<W>) -> Result<(), Error> {
        self.in_flight = None;
        let result = match joined {
            Ok((writer, result)) => {
                self.writer = Some(writer);
                result
            }
            Err(e) => Err(Error::system(format!("the write task failed: {e}"))),
        };
        match result {
            Ok(()) => {
                self.uncommitted = None;
                Ok(())
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// Starts writing `batch`, whose first record is number `from`, once
    /// the previous write has committed.
    pub(super) async fn submit(&mut self, batch: Batch, from: u64) -> Result<(), Error> {
        self.settle().await?;
        let mut writer = self.take_writer()?;
        let descriptor = batch.descriptor.clone();
        self.uncommitted = Some((batch.stream, from));
        self.in_flight = Some(tokio::spawn(async move {
            let result = writer
                .write_batch(batch)
                .await
                .map_err(|e| match e.stream() {
                    Some(_) => e,
                    None => e.with_stream(descriptor),
                });
            (writer, result)
        }));
        Ok(())
    }

    /// The writer, once every write has committed. If the caller's call to
    /// it fails, it must call [`Self::fail`].
    pub(super) async fn writer(&mut self) -> Result<&mut W, Error> {
        self.settle().await?;
        if self.failed {
            return Err(Error::system("the writer failed before"));
        }
        self.writer
            .as_mut()
            .ok_or_else(|| Error::system("the writer was lost after a failed write"))
    }

    /// Records that a call to the writer failed.
    pub(super) fn fail(&mut self) {
        self.failed = true;
    }

    /// Whether a call to the writer failed.
    pub(super) fn failed(&self) -> bool {
        self.failed
    }

    /// The number of the first uncommitted record submitted for stream
    /// `stream` (for any stream if `None`).
    pub(super) fn oldest_seq(&self, stream: Option<usize>) -> Option<u64> {
        self.uncommitted
            .filter(|(s, _)| stream.is_none_or(|wanted| wanted == *s))
            .map(|(_, from)| from)
    }

    fn take_writer(&mut self) -> Result<W, Error> {
        if self.failed {
            return Err(Error::system("the writer failed before"));
        }
        self.writer
            .take()
            .ok_or_else(|| Error::system("the writer was lost after a failed write"))
    }
}
