//! What the harness's own tests share: the workspace, built binaries, Docker.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A connector binary of the workspace, built beside this test.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let path = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target dir")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p {name}` (cargo test --workspace builds it)",
        path.display()
    );
    path
}

/// Whether images can be tested: fails in CI without Docker, says so elsewhere.
pub fn docker_available() -> bool {
    let ok = Command::new("docker")
        .arg("info")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs a Docker engine to test the connector images"
        );
        eprintln!("docker: no Docker engine available; image tests not run");
    }
    ok
}
