//! One sync from start to end: the catalog, both connectors, the threads
//! between them, and how it ended.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::process::ExitStatus;
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::catalog::{configure_catalog, discover, prepare_configured};
use super::console::Console;
use super::echo::{self, Ledger, Sent};
use super::pipe::{self, End, Forwarded};
use super::progress;
use super::state::StateStore;
use super::summary::{SyncSummary, Tally};
use super::validate::Validators;
use super::{SyncOptions, stream_key};
use crate::connector::{Invocation, Reader, Running};
use crate::error::Error;

/// Lines of a connector's stderr kept to explain a crash.
const STDERR_TAIL: usize = 20;

/// What the threads of a sync share.
pub(crate) struct Shared {
    pub(crate) tally: Tally,
    pub(crate) console: Console,
    ledger: Mutex<Ledger>,
    failures: Mutex<Vec<String>>,
}

impl Shared {
    /// Records a reason the sync failed (once).
    pub(crate) fn fail(&self, message: String) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if !failures.contains(&message) {
            failures.push(message);
        }
    }

    /// A state was forwarded with `id`.
    pub(crate) fn sent(&self, id: u64, sent: Sent) {
        self.ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, sent);
    }

    /// The destination echoed state `id`: the records it commits, per stream.
    pub(crate) fn echoed(&self, id: u64) -> Option<Vec<(String, u64)>> {
        self.ledger
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .echoed(id)
    }
}

/// A finished sync: its counts, and why it failed (empty: it succeeded).
pub(crate) struct Outcome {
    pub(crate) summary: SyncSummary,
    pub(crate) failures: Vec<String>,
}

enum Event {
    Forwarded(Forwarded),
    DestinationDone,
}

/// Runs the sync. `Err` means it could not start (bad catalog or state
/// file, a connector that cannot be run, a failed discovery); a sync that
/// ran and failed is an `Outcome` with failures.
pub(crate) fn execute(options: &SyncOptions) -> Result<Outcome, Error> {
    let start = Instant::now();
    let console = Console::new(options.verbose);
    let local_root = options.local_root.as_deref();
    let catalog = match &options.catalog {
        Some(catalog) => prepare_configured(catalog.clone(), &options.choices)?,
        None => configure_catalog(
            &discover(&options.source, &options.source_config, local_root)?,
            &options.choices,
        )?,
    };
    if catalog.streams.is_empty() {
        return Err(Error::Sync("the catalog has no stream to sync".to_owned()));
    }
    let catalog_json = serde_json::to_value(&catalog)
        .map_err(|e| Error::Sync(format!("cannot serialize the catalog: {e}")))?;
    let validators = Validators::new(&catalog, options.validation, &console)?;
    let mut store = StateStore::load(options.state_file.as_deref())?;
    if let Some(dir) = store
        .path()
        .and_then(|p| p.parent())
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        return Err(Error::Sync(format!(
            "the state file's folder {} does not exist",
            dir.display()
        )));
    }
    let input_state = store.input().cloned();
    let keys: Vec<String> = catalog
        .streams
        .iter()
        .map(|s| stream_key(s.stream.namespace.as_deref(), &s.stream.name))
        .collect();
    let shared = Shared {
        tally: Tally::new(keys.iter().map(String::as_str)),
        console,
        ledger: Mutex::default(),
        failures: Mutex::default(),
    };

    let mut write = Invocation::new("write")
        .config(&options.destination_config)
        .catalog(&catalog_json);
    write.local_root = local_root;
    let mut destination = options.destination.spawn(&write)?;
    let mut read = Invocation::new("read")
        .config(&options.source_config)
        .catalog(&catalog_json)
        .state(input_state.as_ref());
    read.local_root = local_root;
    let mut source = match options.source.spawn(&read) {
        Ok(source) => source,
        Err(e) => {
            stop(&mut destination);
            return Err(e);
        }
    };
    let pipes = (
        source.take_stdout(),
        source.take_stderr(),
        destination.take_stdin(),
        destination.take_stdout(),
        destination.take_stderr(),
    );
    let (
        Some(source_out),
        Some(source_err),
        Some(destination_in),
        Some(destination_out),
        Some(destination_err),
    ) = pipes
    else {
        stop(&mut source);
        stop(&mut destination);
        return Err(Error::Connector(
            "a connector was started without piped stdin, stdout and stderr".to_owned(),
        ));
    };

    std::thread::scope(|scope| {
        let shared = &shared;
        let (events, received) = mpsc::channel();
        let to_main = events.clone();
        scope.spawn(move || {
            let forwarded = pipe::forward(source_out, destination_in, shared, validators);
            let _ = to_main.send(Event::Forwarded(forwarded));
        });
        let store = &mut store;
        let echo = scope.spawn(move || {
            echo::read_destination(destination_out, shared, store);
            let _ = events.send(Event::DestinationDone);
        });
        let source_tail = scope.spawn(move || drain("source", source_err, shared));
        let destination_tail = scope.spawn(move || drain("destination", destination_err, shared));
        let (stop_progress, stopped) = mpsc::channel::<()>();
        if options.progress {
            scope.spawn(move || progress::show(shared, start, stopped));
        }

        let (mut source_killed, mut destination_killed) = (false, false);
        let forwarded = loop {
            match received.recv() {
                Ok(Event::Forwarded(forwarded)) => break Some(forwarded),
                Ok(Event::DestinationDone) => {
                    // The destination cannot take more data: stop the source.
                    shared.fail("the destination stopped before the source was done".to_owned());
                    stop(&mut source);
                    source_killed = true;
                }
                Err(_) => break None,
            }
        };
        match forwarded {
            Some(Forwarded { end, input }) => match end {
                // Closing the destination's stdin lets it commit what it got.
                End::SourceDone => drop(input),
                End::Invalid(message) => {
                    // Nothing after the last echoed state may be committed.
                    shared.fail(message);
                    stop(&mut destination);
                    stop(&mut source);
                    (source_killed, destination_killed) = (true, true);
                    drop(input);
                }
                End::DestinationGone(e) => {
                    if !source_killed {
                        shared.fail(format!("the destination stopped reading its input ({e})"));
                    }
                    stop(&mut source);
                    source_killed = true;
                    drop(input);
                }
                End::ReadFailed(e) => {
                    shared.fail(format!("cannot read the source's output: {e}"));
                    stop(&mut source);
                    source_killed = true;
                    drop(input);
                }
            },
            None => {
                shared.fail(
                    "the thread forwarding the source's output stopped unexpectedly".to_owned(),
                );
                stop(&mut source);
                source_killed = true;
            }
        }
        let source_status = source.wait();
        let _ = echo.join();
        let destination_status = destination.wait();
        let source_tail = source_tail.join().unwrap_or_default();
        let destination_tail = destination_tail.join().unwrap_or_default();
        drop(stop_progress);
        if !source_killed {
            exited(shared, "source", source_status, &source_tail);
        }
        if !destination_killed {
            exited(shared, "destination", destination_status, &destination_tail);
        }
    });

    let mut failures = std::mem::take(
        &mut *shared
            .failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    if let Err(e) = store.save() {
        failures.push(format!("cannot save the state: {e}"));
    }
    shared.console.clear_progress();
    Ok(Outcome {
        summary: SyncSummary {
            streams: shared.tally.snapshot(),
            duration: start.elapsed(),
            state_file: options.state_file.clone(),
        },
        failures,
    })
}

/// Kills a connector (it may have exited already).
fn stop(running: &mut Running) {
    running.kill();
    let _ = running.wait();
}

/// A connector's exit: non-zero is a failure, explained by its stderr's tail.
fn exited(
    shared: &Shared,
    who: &str,
    status: std::io::Result<ExitStatus>,
    tail: &VecDeque<String>,
) {
    let status = match status {
        Ok(status) if status.success() => return,
        Ok(status) => match status.code() {
            Some(code) => format!("exit code {code}"),
            None => format!("{status}"),
        },
        Err(e) => format!("an unknown status ({e})"),
    };
    shared.fail(format!("the {who} exited with {status}"));
    if !shared.console.verbose() && !tail.is_empty() {
        shared
            .console
            .line(&format!("last lines of the {who}'s stderr:"));
        for line in tail {
            shared.console.line(&format!("  {line}"));
        }
    }
}

/// Reads a connector's stderr to its end: shown with `--verbose`, the last
/// lines kept.
fn drain(who: &str, stderr: Reader, shared: &Shared) -> VecDeque<String> {
    let mut tail = VecDeque::with_capacity(STDERR_TAIL);
    for line in BufReader::new(stderr).split(b'\n') {
        let Ok(line) = line else { break };
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        if text.is_empty() {
            continue;
        }
        if shared.console.verbose() {
            shared.console.line(&format!("[{who} stderr] {text}"));
        }
        if tail.len() == STDERR_TAIL {
            tail.pop_front();
        }
        tail.push_back(text);
    }
    tail
}
