//! Turns a [`Source`] or [`Destination`] into the connector CLI.

mod cli;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use airbyte_protocol::{
    AirbyteConnectionStatus, AirbyteMessage, ConfiguredAirbyteCatalog, ConnectorSpecification,
    JsonObject,
};
use futures_util::FutureExt;
use serde_json::Value;
use tokio::io::AsyncBufRead;
use tracing::instrument::WithSubscriber;

use self::cli::{Cli, Command};
use crate::config::{self, Config};
use crate::destination::{self, Destination};
use crate::emit::Emitter;
use crate::error::Error;
use crate::mask::{ActiveMasker, Masker, panic_message};
use crate::source::{InputState, Source, SourceOutput};

/// The connector's name and version, for `--version` (see [`source_main!`](crate::source_main)).
#[derive(Debug, Clone, Copy)]
pub struct ConnectorInfo {
    /// The binary's name.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// Where a run reads and writes: stdio for a real connector, buffers in tests.
pub struct Io {
    /// Messages for `write`.
    pub stdin: Box<dyn AsyncBufRead + Send + Unpin>,
    /// Where messages go.
    pub stdout: Box<dyn Write + Send>,
}

impl Io {
    /// The process's stdin and stdout.
    pub fn stdio() -> Self {
        Io {
            stdin: Box::new(tokio::io::BufReader::with_capacity(
                1 << 16,
                tokio::io::stdin(),
            )),
            stdout: Box::new(std::io::stdout()),
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, std::io::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Runs `source` as a connector binary with the process's arguments and stdio.
pub fn run_source<S: Source>(source: S, info: ConnectorInfo) -> ExitCode {
    match runtime() {
        Ok(rt) => ExitCode::from(rt.block_on(run_source_with(
            source,
            info,
            std::env::args_os(),
            Io::stdio(),
        ))),
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `destination` as a connector binary with the process's arguments and stdio.
pub fn run_destination<D: Destination>(destination: D, info: ConnectorInfo) -> ExitCode {
    match runtime() {
        Ok(rt) => ExitCode::from(rt.block_on(run_destination_with(
            destination,
            info,
            std::env::args_os(),
            Io::stdio(),
        ))),
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses arguments; prints help, version or usage errors itself.
fn parse_args(
    info: ConnectorInfo,
    args: impl IntoIterator<Item = OsString>,
    out: &mut dyn Write,
) -> Result<Cli, u8> {
    let command = <Cli as clap::CommandFactory>::command()
        .name(info.name)
        .version(info.version);
    match command
        .try_get_matches_from(args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
    {
        Ok(cli) => Ok(cli),
        Err(e) if !e.use_stderr() => {
            let _ = write!(out, "{}", e.render());
            Err(0)
        }
        Err(e) => {
            eprintln!("{}", e.render());
            Err(2)
        }
    }
}

/// The spec's connection schema of config type `C`.
fn connection_schema<C: Config>() -> Result<(Value, JsonObject), Error> {
    let schema = crate::spec::connection_specification::<C>();
    let object = JsonObject::from_serialize(&schema)
        .map_err(|e| Error::system("the config schema is not an object").with_source(e))?;
    Ok((schema, object))
}

/// The state of one run: emitter, masker registration, tracing.
struct Run {
    emitter: Arc<Emitter>,
    _active: ActiveMasker,
    dispatch: tracing::Dispatch,
}

impl Run {
    fn new(stdout: Box<dyn Write + Send>, masker: Masker, debug: bool) -> Self {
        let masker = Arc::new(masker);
        let emitter = Arc::new(Emitter::new(stdout, masker.clone()));
        let dispatch = crate::logging::dispatch(emitter.clone(), debug);
        Run {
            emitter,
            _active: ActiveMasker::register(masker),
            dispatch,
        }
    }

    /// Runs `body`, turning errors and panics into a TRACE error and exit code 1.
    async fn finish<F: std::future::Future<Output = Result<(), Error>>>(&self, body: F) -> u8 {
        let result = std::panic::AssertUnwindSafe(body)
            .catch_unwind()
            .with_subscriber(self.dispatch.clone())
            .await;
        let code = match result {
            Ok(Ok(())) => 0,
            Ok(Err(error)) => {
                let _ = self.emitter.error(&error);
                1
            }
            Err(panic) => {
                let error = Error::system(format!(
                    "the connector panicked: {}",
                    panic_message(&*panic)
                ));
                let _ = self.emitter.error(&error);
                1
            }
        };
        if self.emitter.flush().is_err() {
            return 1;
        }
        code
    }
}

/// Loads the config file: its JSON, and the masker for its secrets.
async fn load_config_value(
    path: &std::path::Path,
    schema: &Value,
    extra_secrets: impl FnOnce(&Value) -> Vec<String>,
) -> (Result<Value, Error>, Masker) {
    match config::read_json_file(path, "config").await {
        Ok(value) => {
            let mut secrets = crate::spec::secret_values(schema, &value);
            secrets.extend(extra_secrets(&value));
            let masker = Masker::new(secrets);
            (Ok(value), masker)
        }
        Err(e) => (Err(e), Masker::default()),
    }
}

fn typed_config<C: Config>(schema: &Value, value: Result<Value, Error>) -> Result<C, Error> {
    let value = value?;
    config::validate(schema, &value)?;
    config::deserialize(value)
}

async fn load_catalog(path: &std::path::Path) -> Result<ConfiguredAirbyteCatalog, Error> {
    let value = config::read_json_file(path, "catalog").await?;
    serde_json::from_value(value).map_err(|e| {
        Error::config(format!(
            "the catalog file {} is not a valid configured catalog: {e}",
            path.display()
        ))
    })
}

async fn load_state(path: Option<&std::path::Path>) -> Result<InputState, Error> {
    match path {
        None => Ok(InputState::empty()),
        Some(path) => InputState::from_json(config::read_json_file(path, "state").await?),
    }
}

fn spec_message(spec: ConnectorSpecification) -> AirbyteMessage {
    spec.into()
}

/// What both kinds of connector do before their command: parse the arguments,
/// derive the spec, read the config (for its secrets) and set up the run.
struct Prepared {
    cli: Cli,
    schema: Value,
    schema_object: JsonObject,
    config_value: Result<Value, Error>,
    run: Run,
    stdin: Box<dyn AsyncBufRead + Send + Unpin>,
}

async fn prepare(
    info: ConnectorInfo,
    args: impl IntoIterator<Item = OsString>,
    mut io: Io,
    schema: impl FnOnce() -> Result<(Value, JsonObject), Error>,
    extra_secrets: impl FnOnce(&Value) -> Vec<String>,
) -> Result<Prepared, u8> {
    let cli = parse_args(info, args, &mut io.stdout)?;
    let (schema, schema_object) = match schema() {
        Ok(s) => s,
        Err(e) => {
            return Err(Run::new(io.stdout, Masker::default(), cli.debug)
                .finish(async { Err(e) })
                .await);
        }
    };
    let (config_value, masker) = match cli.command.config() {
        Some(path) => load_config_value(path, &schema, extra_secrets).await,
        None => (Ok(Value::Null), Masker::default()),
    };
    let run = Run::new(io.stdout, masker, cli.debug);
    Ok(Prepared {
        cli,
        schema,
        schema_object,
        config_value,
        run,
        stdin: io.stdin,
    })
}

/// The answer to `check`: a config error is a FAILED status; any other error
/// propagates (a TRACE error and a non-zero exit).
fn connection_status(result: Result<(), Error>) -> Result<AirbyteConnectionStatus, Error> {
    match result {
        Ok(()) => Ok(AirbyteConnectionStatus::succeeded()),
        Err(e @ Error::Config { .. }) => Ok(AirbyteConnectionStatus::failed(e.to_string())),
        Err(e) => Err(e),
    }
}

/// Runs `source` with the given arguments and I/O; returns the process exit code.
pub async fn run_source_with<S: Source>(
    source: S,
    info: ConnectorInfo,
    args: impl IntoIterator<Item = OsString>,
    io: Io,
) -> u8 {
    let Prepared {
        cli,
        schema,
        schema_object,
        config_value,
        run,
        ..
    } = match prepare(
        info,
        args,
        io,
        || match source.run_time_spec() {
            Some(spec) => Ok((
                Value::Object(spec.connection_specification.to_map()),
                spec.connection_specification,
            )),
            None => connection_schema::<S::Config>(),
        },
        |config| source.extra_secrets(config),
    )
    .await
    {
        Ok(p) => p,
        Err(code) => return code,
    };
    let emitter = run.emitter.clone();
    run.finish(async move {
        match cli.command {
            Command::Spec => {
                let spec = match source.run_time_spec() {
                    Some(spec) => spec,
                    None => source.spec_options().into_spec(schema_object, Some(true)),
                };
                emitter.message(spec_message(spec))?;
            }
            Command::Check { .. } => {
                let result = match typed_config::<S::Config>(&schema, config_value) {
                    Ok(config) => source.check(&config).await,
                    Err(e) => Err(e),
                };
                emitter.message(connection_status(result)?.into())?;
            }
            Command::Discover { .. } => {
                let config = typed_config::<S::Config>(&schema, config_value)?;
                emitter.message(source.discover(&config).await?.into())?;
            }
            Command::Read { catalog, state, .. } => {
                let config = typed_config::<S::Config>(&schema, config_value)?;
                let catalog = load_catalog(&catalog).await?;
                let state = load_state(state.as_deref()).await?;
                let out = SourceOutput {
                    emitter: emitter.clone(),
                    policy: source.checkpoint_policy(),
                };
                source.read(&config, &catalog, &state, &out).await?;
            }
            Command::Write { .. } => {
                return Err(Error::config(
                    "this connector is a source: it has no `write` command",
                ));
            }
        }
        Ok(())
    })
    .await
}

/// Runs `destination` with the given arguments and I/O; returns the process exit code.
pub async fn run_destination_with<D: Destination>(
    destination: D,
    info: ConnectorInfo,
    args: impl IntoIterator<Item = OsString>,
    io: Io,
) -> u8 {
    let Prepared {
        cli,
        schema,
        schema_object,
        config_value,
        run,
        stdin,
    } = match prepare(info, args, io, connection_schema::<D::Config>, |_| {
        Vec::new()
    })
    .await
    {
        Ok(p) => p,
        Err(code) => return code,
    };
    let emitter = run.emitter.clone();
    run.finish(async move {
        match cli.command {
            Command::Spec => {
                emitter.message(spec_message(
                    destination.spec_options().into_spec(schema_object, None),
                ))?;
            }
            Command::Check { .. } => {
                let result = match typed_config::<D::Config>(&schema, config_value) {
                    Ok(config) => destination.check(&config).await,
                    Err(e) => Err(e),
                };
                emitter.message(connection_status(result)?.into())?;
            }
            Command::Write { catalog, .. } => {
                let config = typed_config::<D::Config>(&schema, config_value)?;
                let catalog = load_catalog(&catalog).await?;
                let supported = destination.spec_options().supported_destination_sync_modes;
                let plans = destination::StreamPlan::for_catalog(&catalog, supported.as_deref())?;
                let writer = destination.open(&config, &plans).await?;
                destination::write(
                    writer,
                    &catalog,
                    destination.batch_limits(),
                    stdin,
                    &emitter,
                )
                .await?;
            }
            Command::Discover { .. } | Command::Read { .. } => {
                return Err(Error::config(
                    "this connector is a destination: it has only `spec`, `check` and `write`",
                ));
            }
        }
        Ok(())
    })
    .await
}
