//! Running a connector given as a binary path or a Docker image.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use airbyte_sdk::testkit::{Output, TestDir};
use serde_json::Value;

use crate::error::Error;

/// A connector to run: a binary on this machine, or a Docker image run with
/// `docker run --rm -i` and its files mounted at `/data`.
///
/// ```
/// use airbyte_acceptance_tests::Connector;
/// assert!(matches!(Connector::parse("docker:airbyte/source-x:dev"), Connector::Image(i) if i == "airbyte/source-x:dev"));
/// assert!(matches!(Connector::parse("./target/release/source-x"), Connector::Binary(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connector {
    /// A binary, run directly.
    Binary(PathBuf),
    /// A Docker image.
    Image(String),
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

/// A started connector process and the directory of its files.
pub struct Running {
    /// The process (stdin and stdout are piped).
    pub child: Child,
    /// For an image, the container's name: killing the `docker run` client
    /// does not stop the container, so dropping this removes it.
    container: Option<String>,
    _files: TestDir,
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
    pub fn parse(text: &str) -> Self {
        if let Some(image) = text.strip_prefix("docker:") {
            return Connector::Image(image.to_owned());
        }
        let path = Path::new(text);
        if !path.exists() && text.contains(':') && !text.contains('/') {
            Connector::Image(text.to_owned())
        } else {
            Connector::Binary(path.to_path_buf())
        }
    }

    /// How the connector sees a host folder given as `local_root`: the
    /// folder itself for a binary, `/local` for an image.
    pub fn local_root(&self, host: &Path) -> String {
        match self {
            Connector::Binary(_) => host.display().to_string(),
            Connector::Image(_) => "/local".to_owned(),
        }
    }

    /// A short name for reports.
    pub fn describe(&self) -> String {
        match self {
            Connector::Binary(p) => format!("binary {}", p.display()),
            Connector::Image(i) => format!("image {i}"),
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
            Connector::Binary(_) => (None, files.path().to_path_buf()),
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
        };
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Ok(command)
    }

    /// Starts the connector; the caller feeds stdin and reads stdout.
    pub fn spawn(&self, invocation: &Invocation<'_>) -> Result<Running, Error> {
        let files = TestDir::new("connector");
        // A unique name, so a killed run's container can be removed.
        let container = match self {
            Connector::Image(_) => files
                .path()
                .file_name()
                .map(|n| format!("airbyte-rs-{}", n.to_string_lossy())),
            Connector::Binary(_) => None,
        };
        let mut command = self.command(invocation, &files, container.as_deref())?;
        let child = command
            .spawn()
            .map_err(|e| Error::Connector(format!("cannot start {}: {e}", self.describe())))?;
        Ok(Running {
            child,
            container,
            _files: files,
        })
    }

    /// Runs the connector to completion with `stdin`, and parses what it printed.
    pub fn run(&self, invocation: &Invocation<'_>, stdin: &[u8]) -> Result<Output, Error> {
        let mut running = self.spawn(invocation)?;
        let mut input = running.child.stdin.take();
        let data = stdin.to_vec();
        let feeder = std::thread::spawn(move || {
            if let Some(input) = input.as_mut() {
                let _ = input.write_all(&data);
            }
        });
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = drain(
            running
                .child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = drain(
            running
                .child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let status = running
            .child
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
