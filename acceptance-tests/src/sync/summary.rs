//! What a sync did: counts per stream, and the table printed at the end.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The counts of one stream.
///
/// ```
/// use airbyte_acceptance_tests::StreamSummary;
/// let s = StreamSummary { stream: "users".into(), emitted: 5, committed: 5, invalid: 0 };
/// assert_eq!(s.emitted, s.committed);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamSummary {
    /// The stream, as `namespace.name` or `name`.
    pub stream: String,
    /// Records the source emitted.
    pub emitted: u64,
    /// Records the destination committed: those forwarded before a state of
    /// this stream (or a GLOBAL state) that the destination echoed.
    pub committed: u64,
    /// Records that did not match the stream's `json_schema`.
    pub invalid: u64,
}

/// The result of a sync: counts per stream (in catalog order), how long it
/// took, and where the state was saved. `Display` prints it as a table.
///
/// ```
/// use airbyte_acceptance_tests::{StreamSummary, SyncSummary};
/// use std::time::Duration;
///
/// let summary = SyncSummary {
///     streams: vec![
///         StreamSummary { stream: "users".into(), emitted: 10, committed: 10, invalid: 1 },
///         StreamSummary { stream: "purchases".into(), emitted: 30, committed: 20, invalid: 0 },
///     ],
///     duration: Duration::from_secs(2),
///     state_file: None,
/// };
/// assert_eq!(summary.total().committed, 30);
/// assert_eq!(summary.rows_per_second(), 20.0);
/// assert_eq!(summary.stream("users").unwrap().invalid, 1);
/// let table = summary.to_string();
/// assert!(table.contains("purchases         30         20        0"), "{table}");
/// assert!(table.contains("total             40         30        1"), "{table}");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncSummary {
    /// Per stream, in catalog order (then any stream the catalog lacks).
    pub streams: Vec<StreamSummary>,
    /// From start (discovery included) to the end of both connectors.
    pub duration: Duration,
    /// The state file written, if any.
    pub state_file: Option<PathBuf>,
}

impl SyncSummary {
    /// The counts of `stream` (`name` or `namespace.name`).
    pub fn stream(&self, stream: &str) -> Option<&StreamSummary> {
        self.streams.iter().find(|s| s.stream == stream)
    }

    /// The sums over every stream, named `total`.
    pub fn total(&self) -> StreamSummary {
        self.streams.iter().fold(
            StreamSummary {
                stream: "total".to_owned(),
                ..Default::default()
            },
            |mut t, s| {
                t.emitted += s.emitted;
                t.committed += s.committed;
                t.invalid += s.invalid;
                t
            },
        )
    }

    /// Records emitted per second over the whole sync.
    pub fn rows_per_second(&self) -> f64 {
        let secs = self.duration.as_secs_f64();
        if secs > 0.0 {
            self.total().emitted as f64 / secs
        } else {
            0.0
        }
    }
}

impl fmt::Display for SyncSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total();
        let rows: Vec<&StreamSummary> =
            self.streams.iter().chain(std::iter::once(&total)).collect();
        let name_width = rows
            .iter()
            .map(|r| r.stream.chars().count())
            .max()
            .unwrap_or(0)
            .max("stream".len());
        writeln!(
            f,
            "{:<name_width$}  {:>9}  {:>9}  {:>7}",
            "stream", "emitted", "committed", "invalid"
        )?;
        for row in rows {
            writeln!(
                f,
                "{:<name_width$}  {:>9}  {:>9}  {:>7}",
                row.stream, row.emitted, row.committed, row.invalid
            )?;
        }
        writeln!(
            f,
            "duration {:.1} s, {:.0} rows/s",
            self.duration.as_secs_f64(),
            self.rows_per_second()
        )?;
        match &self.state_file {
            Some(path) => writeln!(f, "state file {}", path.display()),
            None => writeln!(f, "no state file"),
        }
    }
}

/// The live counts, shared by the threads of a sync.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    inner: Mutex<TallyInner>,
}

#[derive(Debug, Default)]
struct TallyInner {
    index: HashMap<String, usize>,
    streams: Vec<StreamSummary>,
}

impl TallyInner {
    fn entry(&mut self, key: &str) -> &mut StreamSummary {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.streams.push(StreamSummary {
                    stream: key.to_owned(),
                    ..Default::default()
                });
                self.index.insert(key.to_owned(), self.streams.len() - 1);
                self.streams.len() - 1
            }
        };
        &mut self.streams[i]
    }
}

impl Tally {
    /// Counts for `keys`, in that order.
    pub(crate) fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        let tally = Tally::default();
        {
            let mut inner = tally.lock();
            for key in keys {
                inner.entry(key);
            }
        }
        tally
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TallyInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One record emitted; `invalid` if it failed validation. Returns
    /// whether the stream was unknown until now.
    pub(crate) fn emitted(&self, key: &str, invalid: bool) -> bool {
        let mut inner = self.lock();
        let known = inner.index.contains_key(key);
        let entry = inner.entry(key);
        entry.emitted += 1;
        entry.invalid += u64::from(invalid);
        !known
    }

    /// `n` records of `key` committed.
    pub(crate) fn committed(&self, key: &str, n: u64) {
        self.lock().entry(key).committed += n;
    }

    /// The counts so far.
    pub(crate) fn snapshot(&self) -> Vec<StreamSummary> {
        self.lock().streams.clone()
    }
}
