//! A connector image run the way the Airbyte platform's Kubernetes launcher
//! runs it: `sh -c` with the launcher's wrapper script, files in the pod's
//! volumes, stdout and stderr (and a destination's stdin) through named
//! pipes in a shared folder, and the exit code written to a file.
//!
//! The paths are the platform's (`io.airbyte.workers.pod.FileConstants`),
//! and the scripts have the shape of its `ContainerCommandFactory`:
//!
//! - `spec`, `check`, `discover` (the connector pod, working directory
//!   `/config`): `eval "$AIRBYTE_ENTRYPOINT check --config
//!   /config/connectionConfiguration.json" > /config/jobOutput.json`;
//! - `read` (the replication pod's source container, working directory
//!   `/source`): `eval "$AIRBYTE_ENTRYPOINT read --config
//!   /source/connectorConfig.json --catalog /source/catalog.json [--state
//!   /source/inputState.json]" 2> stderr > stdout`;
//! - `write` (the destination container, in `/dest`): `eval
//!   "$AIRBYTE_ENTRYPOINT write --config /dest/connectorConfig.json --catalog
//!   /dest/catalog.json" 2> stderr > stdout < stdin`;
//!
//! each run in a background subshell, next to a loop that kills it once the
//! termination marker `TERMINATED` appears (checked every 10 s, with
//! `sleep`), then `wait`, the exit code written to `exitCode.txt`, and the
//! script exiting with it.
//!
//! Each container runs with `--read-only` (only its volume and, when asked,
//! `/local` are writable), the image's own user, `--pull never`, and the
//! Docker network given (default: the host's). Its volume is a host folder
//! (mode 0777, like an `emptyDir`); an init container of the same image
//! makes the FIFOs in it with `mkfifo`, as the platform's init container
//! prepares the pod's volumes.

use std::io::{self, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use airbyte_sdk::testkit::{Output, TestDir};

use super::fifo::{FifoReader, FifoWriter, Gate};
use super::{Invocation, Reader, read_to_end};
use crate::error::Error;

/// The connector pod's volume (`FileConstants.CONFIG_DIR`).
pub const CONFIG_DIR: &str = "/config";
/// The source container's volume in the replication pod.
pub const SOURCE_DIR: &str = "/source";
/// The destination container's volume in the replication pod.
pub const DEST_DIR: &str = "/dest";
/// The config of `check` and `discover`, in [`CONFIG_DIR`].
pub const CONNECTION_CONFIGURATION_FILE: &str = "connectionConfiguration.json";
/// The config of `read` and `write`, in [`SOURCE_DIR`] or [`DEST_DIR`].
pub const CONNECTOR_CONFIG_FILE: &str = "connectorConfig.json";
/// The configured catalog of `read` and `write`.
pub const CATALOG_FILE: &str = "catalog.json";
/// The state of `read`, when there is one.
pub const INPUT_STATE_FILE: &str = "inputState.json";
/// Where `spec`, `check` and `discover` write their stdout, in [`CONFIG_DIR`].
pub const JOB_OUTPUT_FILE: &str = "jobOutput.json";
/// The connector's exit code, written by the wrapper script.
pub const EXIT_CODE_FILE: &str = "exitCode.txt";
/// The marker whose appearance makes the wrapper kill the connector.
pub const TERMINATION_MARKER_FILE: &str = "TERMINATED";
/// The FIFO of the connector's stdin (destinations).
pub const STDIN_PIPE_FILE: &str = "stdin";
/// The FIFO of the connector's stdout.
pub const STDOUT_PIPE_FILE: &str = "stdout";
/// The FIFO of the connector's stderr.
pub const STDERR_PIPE_FILE: &str = "stderr";
/// The launcher's interval between two checks of the termination marker.
pub const TERMINATION_CHECK_INTERVAL_SECONDS: u32 = 10;

/// How often the watcher looks for the container's exit or a kill.
const POLL: Duration = Duration::from_millis(20);

/// A connector image run as the platform's Kubernetes launcher runs it
/// (`pod:IMAGE` on the command line; see the module documentation).
///
/// ```
/// use airbyte_acceptance_tests::{Connector, Pod};
/// let pod = Pod::new("airbyte/source-x:dev").on_network("my-net");
/// assert_eq!(pod.network.as_deref(), Some("my-net"));
/// assert_eq!(Connector::parse("pod:airbyte/source-x:dev"), Connector::Pod(Pod::new("airbyte/source-x:dev")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    /// The image.
    pub image: String,
    /// The Docker network of its containers (`None`: the host's network).
    pub network: Option<String>,
    /// Seconds between two checks of the termination marker.
    pub termination_check_seconds: u32,
}

/// What a `spec`, `check` or `discover` pod left behind.
#[derive(Debug)]
pub struct PodOutput {
    /// The messages of `/config/jobOutput.json` (as stdout), the exit code
    /// of the container, and the container's stderr (the connector's, and
    /// Docker's errors) with the wrapper's other lines as stderr.
    pub output: Output,
    /// The code in `/config/exitCode.txt`, if the script wrote one.
    pub exit_code_file: Option<i32>,
    /// What the wrapper script printed on the container's stdout (`Using
    /// AIRBYTE_ENTRYPOINT: …`), kept out of `output.stderr`.
    pub launcher_log: String,
}

impl Pod {
    /// The image, on the host's network, with the launcher's interval.
    pub fn new(image: impl Into<String>) -> Self {
        Pod {
            image: image.into(),
            network: None,
            termination_check_seconds: TERMINATION_CHECK_INTERVAL_SECONDS,
        }
    }

    /// The same pod on a Docker network.
    pub fn on_network(mut self, network: impl Into<String>) -> Self {
        self.network = Some(network.into());
        self
    }

    /// The wrapper script around `command` (the launcher's
    /// `connectorCommandWrapper`): the entrypoint check, the connector in a
    /// background subshell, the termination-marker loop, `wait`, the exit
    /// code to `exitCode.txt`.
    fn wrapper_script(&self, command: &str) -> String {
        format!(
            r#"# the launcher fails loudly without an entrypoint
if [ -z "$AIRBYTE_ENTRYPOINT" ]; then
  echo "Entrypoint was not set! AIRBYTE_ENTRYPOINT must be set in the container."
  exit 127
else
  echo "Using AIRBYTE_ENTRYPOINT: $AIRBYTE_ENTRYPOINT"
fi
# the connector, in the background
({command}) &
CHILD_PID=$!
# kill it once the orchestrator leaves the termination marker
(while true; do if [ -f {TERMINATION_MARKER_FILE} ]; then kill $CHILD_PID; exit 0; fi; sleep {interval}; done) &
wait $CHILD_PID
EXIT_CODE=$?
echo $EXIT_CODE > {EXIT_CODE_FILE}
exit $EXIT_CODE
"#,
            interval = self.termination_check_seconds,
        )
    }

    /// The script of a connector pod's `spec`, `check` or `discover`: stdout
    /// to `/config/jobOutput.json`.
    fn operation_script(&self, verb: &str, with_config: bool) -> String {
        let args = if with_config {
            format!(" --config {CONFIG_DIR}/{CONNECTION_CONFIGURATION_FILE}")
        } else {
            String::new()
        };
        self.wrapper_script(&format!(
            r#"eval "$AIRBYTE_ENTRYPOINT {verb}{args}" > {CONFIG_DIR}/{JOB_OUTPUT_FILE}"#
        ))
    }

    /// The source container's script: `read` into the stdout and stderr
    /// FIFOs, with `--state` only when the state file is there.
    fn source_script(&self) -> String {
        let read = format!(
            "$AIRBYTE_ENTRYPOINT read --config {SOURCE_DIR}/{CONNECTOR_CONFIG_FILE} --catalog {SOURCE_DIR}/{CATALOG_FILE}"
        );
        self.wrapper_script(&format!(
            r#"
# only provide the state flag if present
if [ ! -f {SOURCE_DIR}/{INPUT_STATE_FILE} ]; then
  eval "{read}" 2> {STDERR_PIPE_FILE} > {STDOUT_PIPE_FILE}
else
  eval "{read} --state {SOURCE_DIR}/{INPUT_STATE_FILE}" 2> {STDERR_PIPE_FILE} > {STDOUT_PIPE_FILE}
fi
"#
        ))
    }

    /// The destination container's script: `write` from the stdin FIFO into
    /// the stdout and stderr FIFOs.
    fn destination_script(&self) -> String {
        self.wrapper_script(&format!(
            r#"eval "$AIRBYTE_ENTRYPOINT write --config {DEST_DIR}/{CONNECTOR_CONFIG_FILE} --catalog {DEST_DIR}/{CATALOG_FILE}" 2> {STDERR_PIPE_FILE} > {STDOUT_PIPE_FILE} < {STDIN_PIPE_FILE}"#
        ))
    }

    /// `docker run` of this image with the pod's settings: read-only root,
    /// the image's user, no pull, the volume `dir` at `mount` as the
    /// working directory, `sh -c script`.
    fn docker_run(
        &self,
        name: &str,
        dir: &Path,
        mount: &str,
        network: &str,
        invocation: &Invocation<'_>,
        script: &str,
    ) -> Command {
        let mut c = Command::new("docker");
        c.args(["run", "--rm", "--pull", "never", "--read-only"])
            .args(["--name", name, "--network", network, "--workdir", mount])
            .arg("-v")
            .arg(format!("{}:{mount}", dir.display()));
        if let Some(local) = invocation.local_root {
            c.arg("-v").arg(format!("{}:/local", local.display()));
        }
        for (k, v) in &invocation.env {
            c.arg("-e").arg(format!("{k}={v}"));
        }
        c.args(["--entrypoint", "sh", &self.image, "-c", script]);
        c
    }

    fn network(&self) -> &str {
        self.network.as_deref().unwrap_or("host")
    }

    /// Runs `spec`, `check` or `discover` in a connector pod and collects
    /// `/config/jobOutput.json`, the container's exit code and
    /// `/config/exitCode.txt`.
    pub fn operation(&self, invocation: &Invocation<'_>) -> Result<PodOutput, Error> {
        let verb = invocation.command;
        if !matches!(verb, "spec" | "check" | "discover") {
            return Err(Error::Connector(format!(
                "`{verb}` is not a connector pod operation (spec, check, discover)"
            )));
        }
        let files = volume("pod-config")?;
        if let Some(config) = invocation.config {
            files.write_json(CONNECTION_CONFIGURATION_FILE, config);
        }
        let name = container_name(&files);
        let script = self.operation_script(verb, invocation.config.is_some());
        let _guard = ContainerGuard(name.clone());
        let out = self
            .docker_run(
                &name,
                files.path(),
                CONFIG_DIR,
                self.network(),
                invocation,
                &script,
            )
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Connector(format!("cannot run docker: {e}")))?;
        let job_output = std::fs::read(files.path().join(JOB_OUTPUT_FILE)).unwrap_or_default();
        let mut log = wrapper_lines(&out.stdout);
        log.extend_from_slice(&out.stderr);
        Ok(PodOutput {
            output: Output::parse(
                out.status.code().unwrap_or(-1),
                job_output,
                String::from_utf8_lossy(&log).into_owned(),
            ),
            exit_code_file: read_exit_code(files.path()),
            launcher_log: String::from_utf8_lossy(&out.stdout).into_owned(),
        })
    }

    /// Starts `read` (source container) or `write` (destination container)
    /// over FIFOs; the caller reads stdout and stderr and feeds stdin.
    pub(crate) fn spawn(&self, invocation: &Invocation<'_>) -> Result<PodProcess, Error> {
        let (mount, script, pipes): (&str, String, &[&str]) = match invocation.command {
            "read" => (
                SOURCE_DIR,
                self.source_script(),
                &[STDOUT_PIPE_FILE, STDERR_PIPE_FILE],
            ),
            "write" => (
                DEST_DIR,
                self.destination_script(),
                &[STDIN_PIPE_FILE, STDOUT_PIPE_FILE, STDERR_PIPE_FILE],
            ),
            other => {
                return Err(Error::Connector(format!(
                    "`{other}` does not run in a replication pod (read, write)"
                )));
            }
        };
        let files = volume(if mount == SOURCE_DIR {
            "pod-source"
        } else {
            "pod-dest"
        })?;
        for (value, file) in [
            (invocation.config, CONNECTOR_CONFIG_FILE),
            (invocation.catalog, CATALOG_FILE),
            (invocation.state, INPUT_STATE_FILE),
        ] {
            if let Some(value) = value {
                files.write_json(file, value);
            }
        }
        let name = container_name(&files);
        // The init container: the FIFOs, made in the volume by the image's own mkfifo.
        let init = format!("mkfifo -m 0666 {}", pipes.join(" "));
        let out = self
            .docker_run(
                &format!("{name}-init"),
                files.path(),
                mount,
                "none",
                &Invocation::new("init"),
                &init,
            )
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Connector(format!("cannot run docker: {e}")))?;
        if !out.status.success() {
            return Err(Error::Connector(format!(
                "the init container of {} could not make the FIFOs ({}): {}",
                self.image,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let child = self
            .docker_run(
                &name,
                files.path(),
                mount,
                self.network(),
                invocation,
                &script,
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Connector(format!("cannot run docker: {e}")))?;
        Ok(PodProcess::start(child, name, files, mount == DEST_DIR))
    }
}

/// A host folder to mount as a pod volume: writable by the image's user.
fn volume(label: &str) -> Result<TestDir, Error> {
    use std::os::unix::fs::PermissionsExt;
    let files = TestDir::new(label);
    std::fs::set_permissions(files.path(), std::fs::Permissions::from_mode(0o777)).map_err(
        |source| Error::File {
            path: files.path().display().to_string(),
            source,
        },
    )?;
    Ok(files)
}

fn container_name(files: &TestDir) -> String {
    let dir = files
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("airbyte-rs-{dir}")
}

/// The wrapper's lines on the container's stdout, without its `Using
/// AIRBYTE_ENTRYPOINT: …` line (which names the binary, not the connector's
/// output; the platform logs it apart).
fn wrapper_lines(stdout: &[u8]) -> Vec<u8> {
    let mut kept = Vec::new();
    for line in stdout.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(b"Using AIRBYTE_ENTRYPOINT: ") {
            kept.extend_from_slice(line);
        }
    }
    kept
}

/// Why the container's exit code (`None`: killed by a signal) and the one
/// the wrapper wrote to `exitCode.txt` disagree, if they do: different
/// codes, or success without the file.
pub(crate) fn exit_code_disagreement(container: Option<i32>, file: Option<i32>) -> Option<String> {
    match (container, file) {
        (Some(code), Some(file)) if code != file => Some(format!(
            "the container exited with {code} but {EXIT_CODE_FILE} says {file}"
        )),
        (Some(0), None) => Some(format!(
            "the container exited with 0 without writing {EXIT_CODE_FILE}"
        )),
        _ => None,
    }
}

fn read_exit_code(dir: &Path) -> Option<i32> {
    std::fs::read_to_string(dir.join(EXIT_CODE_FILE))
        .ok()
        .and_then(|t| t.trim().parse().ok())
}

/// Removes a container by name when dropped.
struct ContainerGuard(String);

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        remove_container(&self.0);
    }
}

fn remove_container(name: &str) {
    let _ = Command::new("docker")
        .args(["rm", "-f", name])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A running source or destination container and the host's ends of its FIFOs.
pub(crate) struct PodProcess {
    pub(crate) stdin: Option<FifoWriter>,
    pub(crate) stdout: Option<FifoReader>,
    pub(crate) stderr: Option<Reader>,
    watcher: Option<JoinHandle<io::Result<ExitStatus>>>,
    status: Option<ExitStatus>,
    kill: Arc<AtomicBool>,
    files: TestDir,
    name: String,
}

impl PodProcess {
    fn start(mut child: Child, name: String, files: TestDir, with_stdin: bool) -> Self {
        let gate = Gate::default();
        let kill = Arc::new(AtomicBool::new(false));
        let (log_tx, log_rx) = mpsc::channel();
        let out = read_to_end(child.stdout.take().map(|p| Box::new(p) as Reader));
        let err = read_to_end(child.stderr.take().map(|p| Box::new(p) as Reader));
        let watcher = {
            let (gate, kill, name) = (gate.clone(), kill.clone(), name.clone());
            std::thread::spawn(move || {
                let status = loop {
                    match child.try_wait() {
                        Ok(Some(status)) => break Ok(status),
                        Ok(None) => {}
                        Err(e) => break Err(e),
                    }
                    if kill.swap(false, Ordering::Relaxed) {
                        remove_container(&name);
                        let _ = child.kill();
                    }
                    std::thread::sleep(POLL);
                };
                gate.close();
                let mut log = wrapper_lines(&out.join().unwrap_or_default());
                log.extend(err.join().unwrap_or_default());
                let _ = log_tx.send(log);
                status
            })
        };
        let dir = files.path();
        let stderr = FifoReader::new(dir.join(STDERR_PIPE_FILE), gate.clone()).chain(LauncherLog {
            receiver: Some(log_rx),
            bytes: io::Cursor::new(Vec::new()),
        });
        PodProcess {
            stdin: with_stdin.then(|| FifoWriter::new(dir.join(STDIN_PIPE_FILE), gate.clone())),
            stdout: Some(FifoReader::new(dir.join(STDOUT_PIPE_FILE), gate)),
            stderr: Some(Box::new(stderr)),
            watcher: Some(watcher),
            status: None,
            kill,
            files,
            name,
        }
    }

    /// Stops the container (it may have exited already).
    pub(crate) fn kill(&mut self) {
        if self.status.is_none() {
            self.kill.store(true, Ordering::Relaxed);
        }
    }

    /// The container's exit status; an error when it disagrees with
    /// `exitCode.txt`, or when it succeeded without writing one.
    pub(crate) fn wait(&mut self) -> io::Result<ExitStatus> {
        if self.status.is_none() {
            let watcher = self
                .watcher
                .take()
                .ok_or_else(|| io::Error::other("the container's watcher is gone"))?;
            let status = watcher
                .join()
                .map_err(|_| io::Error::other("the container's watcher panicked"))??;
            self.status = Some(status);
        }
        let status = self
            .status
            .ok_or_else(|| io::Error::other("no exit status"))?;
        match exit_code_disagreement(status.code(), self.exit_code_file()) {
            Some(why) => Err(io::Error::other(why)),
            None => Ok(status),
        }
    }

    /// The host folder mounted as the container's volume.
    pub(crate) fn volume(&self) -> &Path {
        self.files.path()
    }

    /// The code in the volume's `exitCode.txt`, once the script wrote it.
    pub(crate) fn exit_code_file(&self) -> Option<i32> {
        read_exit_code(self.files.path())
    }
}

impl Drop for PodProcess {
    fn drop(&mut self) {
        // As the orchestrator does on exit, then without waiting for the loop.
        let _ = std::fs::write(self.files.path().join(TERMINATION_MARKER_FILE), b"");
        self.kill.store(true, Ordering::Relaxed);
        remove_container(&self.name);
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
    }
}

/// What the `docker run` client printed (the wrapper's own lines, Docker's
/// errors), read after the connector's stderr FIFO.
struct LauncherLog {
    receiver: Option<mpsc::Receiver<Vec<u8>>>,
    bytes: io::Cursor<Vec<u8>>,
}

impl Read for LauncherLog {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(receiver) = self.receiver.take() {
            self.bytes = io::Cursor::new(receiver.recv().unwrap_or_default());
        }
        self.bytes.read(buf)
    }
}
