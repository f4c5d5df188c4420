//! The orchestrator's ends of a launcher-style container's named pipes.
//!
//! Opening a FIFO blocks until the other side opens it too, and a container
//! that dies before its shell opened its ends (a missing image, a script
//! error) would leave such an `open` blocked forever. So the host opens
//! each end lazily, on its first read or write, and registers the attempt
//! with the container's [`Gate`]; once the container has exited, the gate
//! opens every FIFO still being waited for from the other side (read+write,
//! which never blocks on Linux) and closes it again, so that the waiting
//! reader sees end of file and the waiting writer a broken pipe. An end
//! opened after the exit gets that at once.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How often the gate retries waking a waiting `open` after the exit.
const POKE_INTERVAL: Duration = Duration::from_millis(10);

/// Whether the container has exited, and the FIFOs being opened now.
#[derive(Default)]
struct GateState {
    exited: bool,
    opening: BTreeMap<usize, PathBuf>,
    next: usize,
}

/// What the FIFO ends of one container share.
#[derive(Default, Clone)]
pub(crate) struct Gate(Arc<Mutex<GateState>>);

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers an `open` of `path`; `None` if the container has exited.
    fn begin(&self, path: &std::path::Path) -> Option<usize> {
        let mut state = self.lock();
        if state.exited {
            return None;
        }
        let id = state.next;
        state.next += 1;
        state.opening.insert(id, path.to_path_buf());
        Some(id)
    }

    fn end(&self, id: usize) {
        self.lock().opening.remove(&id);
    }

    /// The container has exited: wakes every `open` still waiting, until
    /// none is left.
    pub(crate) fn close(&self) {
        self.lock().exited = true;
        loop {
            let waiting: Vec<PathBuf> = self.lock().opening.values().cloned().collect();
            if waiting.is_empty() {
                return;
            }
            for path in waiting {
                // Read+write never blocks; it completes the waiting open, and
                // closing it leaves that side alone: end of file, or EPIPE.
                let _ = OpenOptions::new().read(true).write(true).open(&path);
            }
            std::thread::sleep(POKE_INTERVAL);
        }
    }

    /// Opens `path` for reading (`write` false) or writing; `Ok(None)` when
    /// the container exited before it opened its end.
    fn open(&self, path: &std::path::Path, write: bool) -> io::Result<Option<File>> {
        let Some(id) = self.begin(path) else {
            return Ok(None);
        };
        let file = OpenOptions::new().read(!write).write(write).open(path);
        self.end(id);
        file.map(Some)
    }
}

/// The host's reading end of a container's `stdout` or `stderr` FIFO.
pub(crate) struct FifoReader {
    path: PathBuf,
    gate: Gate,
    file: Option<File>,
    done: bool,
}

impl FifoReader {
    pub(crate) fn new(path: PathBuf, gate: Gate) -> Self {
        FifoReader {
            path,
            gate,
            file: None,
            done: false,
        }
    }
}

impl Read for FifoReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        if self.file.is_none() {
            match self.gate.open(&self.path, false)? {
                Some(file) => self.file = Some(file),
                None => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        match self.file.as_mut() {
            Some(file) => file.read(buf),
            None => Ok(0),
        }
    }
}

/// The host's writing end of a container's `stdin` FIFO.
pub(crate) struct FifoWriter {
    path: PathBuf,
    gate: Gate,
    file: Option<File>,
}

impl FifoWriter {
    pub(crate) fn new(path: PathBuf, gate: Gate) -> Self {
        FifoWriter {
            path,
            gate,
            file: None,
        }
    }

    fn file(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            match self.gate.open(&self.path, true)? {
                Some(file) => self.file = Some(file),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        format!(
                            "the container exited before it opened {}",
                            self.path.display()
                        ),
                    ));
                }
            }
        }
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("the FIFO is not open"))
    }
}

impl Write for FifoWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn fifo(dir: &std::path::Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        let status = Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo (coreutils)");
        assert!(status.success());
        path
    }

    #[test]
    fn a_waiting_reader_sees_eof_and_a_waiting_writer_a_broken_pipe_after_the_exit() {
        let dir = airbyte_sdk::testkit::TestDir::new("fifo");
        let gate = Gate::default();
        let mut reader = FifoReader::new(fifo(dir.path(), "out"), gate.clone());
        let mut writer = FifoWriter::new(fifo(dir.path(), "in"), gate.clone());
        let read = std::thread::spawn(move || {
            let mut text = String::new();
            reader.read_to_string(&mut text).map(|_| text)
        });
        // The wake-up may let a first write into the pipe; the next ones fail.
        let write = std::thread::spawn(move || {
            for _ in 0..1000 {
                writer.write_all(b"x\n")?;
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok::<(), io::Error>(())
        });
        std::thread::sleep(Duration::from_millis(50));
        gate.close();
        assert_eq!(read.join().expect("reader").expect("read"), "");
        let err = write.join().expect("writer").expect_err("no reader");
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        // Opened after the exit: at once, without blocking.
        let mut late = FifoReader::new(dir.path().join("out"), gate);
        assert_eq!(late.read(&mut [0; 8]).expect("read"), 0);
    }

    #[test]
    fn data_flows_while_both_sides_are_open() {
        let dir = airbyte_sdk::testkit::TestDir::new("fifo");
        let gate = Gate::default();
        let path = fifo(dir.path(), "pipe");
        let mut reader = FifoReader::new(path.clone(), gate.clone());
        let mut writer = FifoWriter::new(path, gate);
        let read = std::thread::spawn(move || {
            let mut text = String::new();
            reader.read_to_string(&mut text).map(|_| text)
        });
        writer.write_all(b"hello\n").expect("write");
        drop(writer);
        assert_eq!(read.join().expect("reader").expect("read"), "hello\n");
    }
}
