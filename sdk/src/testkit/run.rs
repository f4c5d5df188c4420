//! Running a connector for a test.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::output::Output;
use crate::destination::Destination;
use crate::entrypoint::{ConnectorInfo, Io};
use crate::source::Source;

#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const INFO: ConnectorInfo = ConnectorInfo {
    name: "test-connector",
    version: "0.0.0",
};

fn io(stdin: &[u8]) -> (Io, SharedBuf) {
    let buf = SharedBuf::default();
    let io = Io {
        stdin: Box::new(std::io::Cursor::new(stdin.to_vec())),
        stdout: Box::new(buf.clone()),
    };
    (io, buf)
}

fn args(args: &[&str]) -> Vec<OsString> {
    std::iter::once("connector")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect()
}

fn finish(code: u8, buf: SharedBuf) -> Output {
    let bytes = buf.0.lock().map(|b| b.clone()).unwrap_or_default();
    Output::parse(i32::from(code), bytes, String::new())
}

/// Runs `source` in this process with `args` (e.g. `["read", "--config", …]`).
pub async fn run_source<S: Source>(source: S, arguments: &[&str]) -> Output {
    let (io, buf) = io(b"");
    let code = crate::entrypoint::run_source_with(source, INFO, args(arguments), io).await;
    finish(code, buf)
}

/// Runs `destination` in this process with `args`, feeding `stdin`.
pub async fn run_destination<D: Destination>(
    destination: D,
    arguments: &[&str],
    stdin: &[u8],
) -> Output {
    let (io, buf) = io(stdin);
    let code =
        crate::entrypoint::run_destination_with(destination, INFO, args(arguments), io).await;
    finish(code, buf)
}

/// Runs a connector binary (or any command) with `args`, feeding `stdin`.
pub fn run_binary(program: impl AsRef<Path>, arguments: &[&str], stdin: &[u8]) -> Output {
    let program = program.as_ref();
    let mut child = Command::new(program)
        .args(arguments)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut input = child.stdin.take();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        if let Some(input) = input.as_mut() {
            let _ = input.write_all(&data);
        }
    });
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("cannot wait for {}: {e}", program.display()));
    let _ = feeder.join();
    Output::parse(
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
