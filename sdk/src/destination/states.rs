//! The states waiting for their records to be durable, in arrival order.

use std::collections::VecDeque;

/// A state and what it waits for.
pub(super) struct Waiting {
    /// The stream it covers (`None`: every stream, as GLOBAL and LEGACY states do).
    pub(super) covers: Option<usize>,
    /// It covers the records numbered below this (see [`super::open`]).
    pub(super) upto: u64,
    /// The echo, serialized when the state came: a few hundred bytes, where
    /// a parsed message takes over two kilobytes.
    pub(super) echo: Box<[u8]>,
}

/// The queue of states not yet echoed.
#[derive(Default)]
pub(super) struct StateQueue {
    queue: VecDeque<Waiting>,
}

impl StateQueue {
    /// Queues a state behind the others.
    pub(super) fn push(&mut self, waiting: Waiting) {
        self.queue.push_back(waiting);
    }

    /// The oldest state.
    pub(super) fn front(&self) -> Option<&Waiting> {
        self.queue.front()
    }

    /// Takes the oldest state's echo.
    pub(super) fn pop(&mut self) -> Option<Box<[u8]>> {
        self.queue.pop_front().map(|w| w.echo)
    }
}
