//! Running a connector given as a binary path, a Docker image, or a Docker
//! image run as the Airbyte platform's Kubernetes launcher runs it.

mod fifo;
pub mod pod;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use airbyte_sdk::testkit::{Output, TestDir};
use serde_json::Value;

use crate::error::Error;
pub use pod::{Pod, PodOutput};

/// A connector to run: a binary on this machine, a Docker image run with
/// `docker run --rm -i` and its files mounted at `/data`, or a Docker image
/// run as the platform's Kubernetes launcher runs it ([`Pod`]).
///
/// ```
/// use airbyte_acceptance_tests::Connector;
/// assert!(matches!(Connector::parse("docker:airbyte/source-x:dev"), Connector::Image(i) if i == "airbyte/source-x:dev"));
/// assert!(matches!(Connector::parse("pod:airbyte/source-x:dev"), Connector::Pod(p) if p.image == "airbyte/source-x:dev"));
/// assert!(matches!(Connector::parse("./target/release/source-x"), Connector::Binary(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connector {
    /// A binary, run directly.
    Binary(PathBuf),
    /// A Docker image.
    Image(String),
    /// A Docker image, run in launcher-style containers over FIFOs.
    Pod(Pod),
}

/// The files and stdin of one connector command.
#[derive(Debug, Clone, Default)]
pub struct Invocation<'a> {
    /// `spec`, `check`, `discover`, `read` or `write`.
    pub command: &'a str,
    /// The config (`--config`).
    pub config: Option<&'a Value>,
    /// The configured catalog (`--catalog`).
    pub catalog: Option<&'a Value>,
    /// The state (`--state`).
    pub state: Option<&'a Value>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// A host folder the connector may write to: mounted at `/local` for
    /// images (see [`Connector::local_root`]).
    pub local_root: Option<&'a Path>,
}

impl<'a> Invocation<'a> {
    /// A command with no files.
    pub fn new(command: &'a str) -> Self {
        Invocation {
            command,
            ..Default::default()
        }
    }

    /// Sets the config.
    pub fn config(mut self, config: &'a Value) -> Self {
        self.config = Some(config);
        self
    }

    /// Sets the catalog.
    pub fn catalog(mut self, catalog: &'a Value) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Sets the state.
    pub fn state(mut self, state: Option<&'a Value>) -> Self {
        self.state = state;
        self
    }
}

/// A started connector and the directory of its files: its stdin, stdout
/// and stderr are pipes (or, for a [`Pod`], FIFOs) to take once.
pub struct Running {
    process: Process,
    /// For an image, the container's name: killing the `docker run` client
    /// does not stop the container, so dropping this removes it.
    container: Option<String>,
    _files: Option<TestDir>,
}

enum Process {
    Child(Child),
    Pod(pod::PodProcess),
}

/// A connector's output stream.
pub type Reader = Box<dyn Read + Send>;
/// A connector's input stream.
pub type Writer = Box<dyn Write + Send>;

impl Running {
    /// The connector's stdin (`None` if taken, or a source pod's).
    pub fn take_stdin(&mut self) -> Option<Writer> {
        match &mut self.process {
            Process::Child(c) => c.stdin.take().map(|p| Box::new(p) as Writer),
            Process::Pod(p) => p.stdin.take().map(|p| Box::new(p) as Writer),
        }
    }

    /// The connector's stdout (`None` once taken).
    pub fn take_stdout(&mut self) -> Option<Reader> {
        match &mut self.process {
            Process::Child(c) => c.stdout.take().map(|p| Box::new(p) as Reader),
            Process::Pod(p) => p.stdout.take().map(|p| Box::new(p) as Reader),
        }
    }

    /// The connector's stderr (`None` once taken); for a pod, followed by
    /// what its container printed (the wrapper's lines, Docker's errors).
    pub fn take_stderr(&mut self) -> Option<Reader> {
        match &mut self.process {
            Process::Child(c) => c.stderr.take().map(|p| Box::new(p) as Reader),
            Process::Pod(p) => p.stderr.take(),
        }
    }

    /// Stops the connector (it may have exited already).
    pub fn kill(&mut self) {
        match &mut self.process {
            Process::Child(c) => {
                let _ = c.kill();
            }
            Process::Pod(p) => p.kill(),
        }
    }

    /// Waits for the connector's exit. For a pod, the container's status,
    /// and an error when `exitCode.txt` disagrees with it.
    pub fn wait(&mut self) -> std::io::Result<ExitStatus> {
        match &mut self.process {
            Process::Child(c) => c.wait(),
            Process::Pod(p) => p.wait(),
        }
    }

    /// For a pod, the host folder mounted as its volume (`/source` or
    /// `/dest`): its files, FIFOs, `exitCode.txt`, and where the
    /// termination marker goes.
    pub fn volume(&self) -> Option<&Path> {
        match &self.process {
            Process::Child(_) => None,
            Process::Pod(p) => Some(p.volume()),
        }
    }

    /// For a pod, the code its wrapper script wrote to `exitCode.txt`.
    pub fn exit_code_file(&self) -> Option<i32> {
        match &self.process {
            Process::Child(_) => None,
            Process::Pod(p) => p.exit_code_file(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(name) = &self.container {
            // Normally gone already (`--rm`); after a kill this stops it.
            let _ = Command::new("docker")
                .args(["rm", "-f", name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Connector {
    /// `docker:IMAGE` (or anything that is not an existing path and has a `:` tag) is an image; the rest is a binary.
    /// `pod:IMAGE` is a [`Pod`] on the host's network.
    pub fn parse(text: &str) -> Self {
        if let Some(image) = text.strip_prefix("docker:") {
            return Connector::Image(image.to_owned());
        }
        if let Some(image) = text.strip_prefix("pod:") {
            return Connector::Pod(Pod::new(image));
        }
        let path = Path::new(text);
        if !path.exists() && text.contains(':') && !text.contains('/') {
            Connector::Image(text.to_owned())
        } else {
            Connector::Binary(path.to_path_buf())
        }
    }

    /// The same connector with its containers on a Docker network, if it is
    /// a [`Pod`]; `None` if it is not one.
    pub fn on_network(&self, network: &str) -> Option<Self> {
        match self {
            Connector::Pod(pod) => Some(Connector::Pod(pod.clone().on_network(network))),
            _ => None,
        }
    }

    /// How the connector sees a host folder given as `local_root`: the
    /// folder itself for a binary, `/local` for an image.
    pub fn local_root(&self, host: &Path) -> String {
        match self {
            Connector::Binary(_) => host.display().to_string(),
            Connector::Image(_) | Connector::Pod(_) => "/local".to_owned(),
        }
    }

    /// A short name for reports.
    pub fn describe(&self) -> String {
        match self {
            Connector::Binary(p) => format!("binary {}", p.display()),
            Connector::Image(i) => format!("image {i}"),
            Connector::Pod(p) => format!("image {} (launcher-style pod)", p.image),
        }
    }

    fn command(
        &self,
        invocation: &Invocation<'_>,
        files: &TestDir,
        container: Option<&str>,
    ) -> Result<Command, Error> {
        let mut args = vec![invocation.command.to_owned()];
        let (mount, prefix): (Option<&Path>, PathBuf) = match self {
            Connector::Binary(_) | Connector::Pod(_) => (None, files.path().to_path_buf()),
            Connector::Image(_) => (Some(files.path()), PathBuf::from("/data")),
        };
        for (flag, value, name) in [
            ("--config", invocation.config, "config.json"),
            ("--catalog", invocation.catalog, "catalog.json"),
            ("--state", invocation.state, "state.json"),
        ] {
            if let Some(value) = value {
                files.write_json(name, value);
                args.push(flag.to_owned());
                args.push(prefix.join(name).display().to_string());
            }
        }
        let mut command = match self {
            Connector::Binary(path) => {
                if !path.exists() {
                    return Err(Error::Connector(format!(
                        "no connector binary at {}",
                        path.display()
                    )));
                }
                let mut c = Command::new(path);
                c.args(&args);
                for (k, v) in &invocation.env {
                    c.env(k, v);
                }
                c
            }
            Connector::Image(image) => {
                let mut c = Command::new("docker");
                c.args(["run", "--rm", "-i", "--network", "host"]);
                if let Some(name) = container {
                    c.args(["--name", name]);
                }
                if let Some(dir) = mount {
                    c.arg("-v").arg(format!("{}:/data:ro", dir.display()));
                }
                if let Some(local) = invocation.local_root {
                    c.arg("-v").arg(format!("{}:/local", local.display()));
                }
                for (k, v) in &invocation.env {
                    c.arg("-e").arg(format!("{k}={v}"));
                }
                c.arg(image).args(&args);
                c
            }
            Connector::Pod(_) => {
                return Err(Error::Connector(
                    "a pod is started by Pod::spawn, not as a process".to_owned(),
                ));
            }
        };
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Ok(command)
    }

    /// Starts the connector; the caller feeds stdin and reads stdout.
    pub fn spawn(&self, invocation: &Invocation<'_>) -> Result<Running, Error> {
        if let Connector::Pod(pod) = self {
            return Ok(Running {
                process: Process::Pod(pod.spawn(invocation)?),
                container: None,
                _files: None,
            });
        }
        let files = TestDir::new("connector");
        // A unique name, so a killed run's container can be removed.
        let container = match self {
            Connector::Image(_) => files
                .path()
                .file_name()
                .map(|n| format!("airbyte-rs-{}", n.to_string_lossy())),
            Connector::Binary(_) | Connector::Pod(_) => None,
        };
        let mut command = self.command(invocation, &files, container.as_deref())?;
        let child = command
            .spawn()
            .map_err(|e| Error::Connector(format!("cannot start {}: {e}", self.describe())))?;
        Ok(Running {
            process: Process::Child(child),
            container,
            _files: Some(files),
        })
    }

    /// Runs the connector to completion with `stdin`, and parses what it
    /// printed. A pod runs `spec`, `check` and `discover` as a connector pod
    /// (stdout from `/config/jobOutput.json`) and the rest over FIFOs; its
    /// `exitCode.txt` must agree with the container's exit code.
    pub fn run(&self, invocation: &Invocation<'_>, stdin: &[u8]) -> Result<Output, Error> {
        if let Connector::Pod(pod) = self
            && matches!(invocation.command, "spec" | "check" | "discover")
        {
            let out = pod.operation(invocation)?;
            return match pod::exit_code_disagreement(Some(out.output.exit_code), out.exit_code_file)
            {
                Some(why) => Err(Error::Connector(format!("{}: {why}", self.describe()))),
                None => Ok(out.output),
            };
        }
        let mut running = self.spawn(invocation)?;
        let mut input = running.take_stdin();
        let data = stdin.to_vec();
        let feeder = std::thread::spawn(move || {
            if let Some(input) = input.as_mut() {
                let _ = input.write_all(&data);
            }
        });
        let stdout = read_to_end(running.take_stdout());
        let stderr = read_to_end(running.take_stderr());
        let status = running
            .wait()
            .map_err(|e| Error::Connector(format!("cannot wait for {}: {e}", self.describe())))?;
        let _ = feeder.join();
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        Ok(Output::parse(
            status.code().unwrap_or(-1),
            stdout,
            String::from_utf8_lossy(&stderr).into_owned(),
        ))
    }
}

/// Reads `pipe` to its end on a thread of its own (nothing if `None`).
fn read_to_end(pipe: Option<Reader>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}
