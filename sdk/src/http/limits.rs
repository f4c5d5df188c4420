//! The client's limits: a request budget, a minimum interval between
//! requests, and a bound on requests in flight.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::error::Error;

/// Shared by every clone of a client: the counters are per sync.
#[derive(Debug)]
pub(crate) struct Limits {
    in_flight: Option<Semaphore>,
    max_requests: Option<u64>,
    sent: AtomicU64,
    min_interval: Option<Duration>,
    next_slot: Mutex<Option<Instant>>,
}

impl Limits {
    pub(crate) fn new(
        max_in_flight: Option<usize>,
        max_requests: Option<u64>,
        min_interval: Option<Duration>,
    ) -> Self {
        Limits {
            in_flight: max_in_flight.map(|n| Semaphore::new(n.max(1))),
            max_requests,
            sent: AtomicU64::new(0),
            min_interval: min_interval.filter(|d| !d.is_zero()),
            next_slot: Mutex::new(None),
        }
    }

    /// Requests sent so far (every attempt counts).
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Takes one request from the budget (an error when it is spent), then
    /// waits for the request's slot if requests are paced.
    pub(crate) async fn admit(&self) -> Result<(), Error> {
        if let Some(max) = self.max_requests {
            let taken = self
                .sent
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    (n < max).then_some(n + 1)
                });
            if taken.is_err() {
                return Err(Error::transient(format!(
                    "The request budget of this sync is spent: {max} requests were sent, the most \
                     allowed. The next sync goes on from the last state."
                )));
            }
        } else {
            self.sent.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(interval) = self.min_interval {
            let at = {
                let mut next = self.next_slot.lock().await;
                let now = Instant::now();
                let at = next.filter(|t| *t > now).unwrap_or(now);
                *next = Some(at + interval);
                at
            };
            tokio::time::sleep_until(at).await;
        }
        Ok(())
    }

    /// A place among the requests in flight, waited for if all are taken.
    pub(crate) async fn permit(&self) -> Result<Option<SemaphorePermit<'_>>, Error> {
        match &self.in_flight {
            None => Ok(None),
            Some(semaphore) => semaphore
                .acquire()
                .await
                .map(Some)
                .map_err(|e| Error::system("the request limiter was closed").with_source(e)),
        }
    }
}
