//! The live progress line: rows/s per stream and in total.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::run::Shared;
use super::summary::StreamSummary;

/// No progress line before the sync has run this long.
const QUIET_START: Duration = Duration::from_secs(2);
/// How often the line is refreshed on a terminal.
const TICK: Duration = Duration::from_secs(1);
/// How often a plain line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Shows the progress every second (every 5 s without a terminal) until
/// `stop` receives a message or is dropped; run it on its own thread.
pub(crate) fn show(shared: &Shared, start: Instant, stop: Receiver<()>) {
    let mut last: Option<(Instant, Vec<StreamSummary>)> = None;
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(TICK) {
        let now = Instant::now();
        if now.duration_since(start) < QUIET_START {
            continue;
        }
        let every = if shared.console.is_tty() {
            TICK
        } else {
            PLAIN_EVERY
        };
        if last
            .as_ref()
            .is_some_and(|(at, _)| now.duration_since(*at) + Duration::from_millis(50) < every)
        {
            continue;
        }
        let counts = shared.tally.snapshot();
        let (since, before) = match &last {
            Some((at, before)) => (*at, before.as_slice()),
            None => (start, &[][..]),
        };
        shared.console.progress(&line(
            now.duration_since(start),
            now.duration_since(since),
            &counts,
            before,
        ));
        last = Some((now, counts));
    }
    shared.console.clear_progress();
}

/// `[12s] users 1200 rows/s (14000) | purchases … | total 2400 rows/s (28000), 20000 committed`:
/// records emitted per second since the previous line, and so far.
fn line(
    elapsed: Duration,
    interval: Duration,
    counts: &[StreamSummary],
    before: &[StreamSummary],
) -> String {
    let secs = interval.as_secs_f64().max(0.001);
    let previous = |name: &str| {
        before
            .iter()
            .find(|b| b.stream == name)
            .map_or(0, |b| b.emitted)
    };
    let mut parts = Vec::new();
    let (mut total, mut total_before) = (0u64, 0u64);
    for c in counts {
        let prev = previous(&c.stream);
        total += c.emitted;
        total_before += prev;
        if c.emitted > 0 {
            parts.push(format!(
                "{} {:.0} rows/s ({})",
                c.stream,
                c.emitted.saturating_sub(prev) as f64 / secs,
                c.emitted
            ));
        }
    }
    let committed: u64 = counts.iter().map(|c| c.committed).sum();
    parts.push(format!(
        "total {:.0} rows/s ({total}), {committed} committed",
        total.saturating_sub(total_before) as f64 / secs,
    ));
    format!("[{}s] {}", elapsed.as_secs(), parts.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_over_the_interval() {
        let s = |name: &str, emitted: u64| StreamSummary {
            stream: name.into(),
            emitted,
            ..Default::default()
        };
        let text = line(
            Duration::from_secs(7),
            Duration::from_secs(2),
            &[s("a", 300), s("b", 0)],
            &[s("a", 100)],
        );
        assert_eq!(
            text,
            "[7s] a 100 rows/s (300) | total 100 rows/s (300), 0 committed"
        );
    }
}
