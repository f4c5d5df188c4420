//! Run a connector (in-process or as a binary) and inspect what it printed.
//!
//! ```no_run
//! use airbyte_sdk::testkit::{TestDir, run_binary};
//!
//! let dir = TestDir::new("doc");
//! let config = dir.write_json("config.json", &serde_json::json!({"count": 3}));
//! let out = run_binary("target/debug/example-source-generator", &["check", "--config", config.to_str().unwrap()], b"");
//! assert_eq!(out.exit_code, 0);
//! assert!(out.connection_status().is_some());
//! ```

mod capture;
mod dir;
mod official;
mod output;
mod run;

pub use capture::CapturedOutput;
pub use dir::TestDir;
pub use official::{check_with_official_models, test_venv};
pub use output::Output;
pub use run::{run_binary, run_destination, run_source};
