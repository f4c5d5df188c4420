//! `source-http`: a drop-in for Airbyte's `source-declarative-manifest`.
//!
//! ```text
//! source-http spec
//! source-http check    --config c.json [--manifest-path m.yaml]
//! source-http discover --config c.json [--manifest-path m.yaml]
//! source-http read     --config c.json --catalog k.json [--state s.json] [--manifest-path m.yaml]
//! ```
//!
//! Without `--manifest-path`, the manifest is the image's
//! (`/airbyte/integration_code/source_declarative_manifest/manifest.yaml`),
//! else the config's `__injected_declarative_manifest`.

use std::process::ExitCode;

use airbyte_sdk::{ConnectorInfo, Io};
use source_http::source::{ExtraArgs, ManifestSource};

// Every page becomes thousands of small JSON values, built and dropped:
// mimalloc does that in far fewer instructions than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let (extra, args) = ExtraArgs::split(std::env::args_os());
    let source = ManifestSource::new(&extra);
    let info = ConnectorInfo {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    ExitCode::from(runtime.block_on(airbyte_sdk::run_source_with(
        source,
        info,
        args,
        Io::stdio(),
    )))
}
