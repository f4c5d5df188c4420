//! Every connector image, run exactly as the Airbyte platform's Kubernetes
//! launcher runs it (`io.airbyte.workload.launcher.pods.factories.
//! ContainerCommandFactory`, the paths of `io.airbyte.workers.pod.
//! FileConstants`), through our runner's `pod:IMAGE` connectors
//! (`airbyte_acceptance_tests::Pod`): `docker run --read-only --network
//! $AIRBYTE_TEST_NETWORK --entrypoint sh IMAGE -c '<the launcher's wrapper>'`
//! as the image's own (non-root) user, the files in the pod's volume
//! (`/config`, `/source`, `/dest`), stdout and stderr (and a destination's
//! stdin) through FIFOs in a host folder shared with the containers, made by
//! an init container with the image's `mkfifo`.
//!
//! - the image's constraints: `/bin/sh` and the launcher's utilities work,
//!   no package manager, a non-root user, a read-only root filesystem;
//! - each verb: `spec`, `check` (succeeded, and failed for the connector's
//!   failing config), `discover` (sources) into `/config/jobOutput.json`,
//!   `read` or `write` over the FIFOs, and failures (a catalog naming a
//!   missing stream, an unreachable host, a wrong password) surfacing as
//!   their TRACE ERROR, failure type and non-zero exit code through the pipes
//!   and `exitCode.txt`;
//! - the older launcher's script (`entrypoints/sync/main.sh`: a `trap touch`
//!   on EXIT, the termination-check loop);
//! - the termination marker stopping a running connector;
//! - replications, our runner forwarding the source's stdout FIFO to the
//!   destination's stdin FIFO (in `tests/common/replication.rs`).
//!
//! Needs the images (`scripts/build-images.sh`) and the test network
//! (`scripts/test-network.sh start`); without a Docker engine it prints one
//! line and passes, except under CI.

mod common;
#[path = "common/platform.rs"]
mod platform;
#[path = "common/replication.rs"]
mod replication;
#[path = "common/verbs.rs"]
mod verbs;

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use airbyte_acceptance_tests::{Connector, Invocation, Pod, pod};
use airbyte_sdk::protocol::ConnectionStatus;
use airbyte_sdk::testkit::Output;
use platform::{Image, Network, Steps, docker, images, network, writable_dir};
use serde_json::json;
use verbs::{SchemaGuard, destination_verbs, operation, pod_on, source_verbs};

/// Package managers (and busybox, whose applets include dpkg and rpm) that
/// must not be in an image.
const PACKAGE_MANAGERS: &[&str] = &[
    "apt", "apt-get", "dpkg", "rpm", "apk", "busybox", "yum", "dnf", "microdnf", "pip",
];
/// The utilities the launcher's scripts use.
const LAUNCHER_TOOLS: &[&str] = &["sh", "touch", "sleep", "cat", "mkfifo", "test", "["];

/// `docker run` arguments for `sh -c script` in the image as the launcher
/// runs it: read-only root, on the test network, `mount` at the config folder
/// (its working directory).
fn launcher_run<'a>(
    network: &'a Network,
    mount: &'a str,
    image: &'a Image,
    script: &'a str,
) -> [&'a str; 16] {
    [
        "run",
        "--rm",
        "--pull",
        "never",
        "--read-only",
        "--network",
        &network.name,
        "--workdir",
        pod::CONFIG_DIR,
        "-v",
        mount,
        "--entrypoint",
        "sh",
        &image.image,
        "-c",
        script,
    ]
}

#[test]
fn every_image_meets_the_launchers_constraints() {
    if !common::docker_available() {
        return;
    }
    let network = network();
    let steps = Steps::new("platform emulation: image constraints");
    for image in images() {
        let (code, user, err) = docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}",
            &image.image,
        ]);
        assert_eq!(code, 0, "{err}");
        let user = user.trim();
        assert!(
            !matches!(user, "" | "root" | "0" | "0:0"),
            "{}: the image's USER is {user:?}; the launcher runs it as is, so it must not be root",
            image.image
        );
        steps.record(&image.name, "USER is not root", format!("USER {user} ✓"));

        // The launcher's shell and utilities, the missing package managers,
        // and a read-only root filesystem with a writable volume, in one
        // container run as the launcher runs it.
        let volume = writable_dir("pe-constraints");
        let script = format!(
            r#"for tool in {tools}; do command -v "$tool" >/dev/null || {{ echo "missing: $tool"; exit 10; }}; done
for manager in {managers}; do if command -v "$manager" >/dev/null; then echo "package manager: $manager"; exit 11; fi; done
for dir in /bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin; do for manager in {managers}; do if [ -e "$dir/$manager" ]; then echo "package manager: $dir/$manager"; exit 12; fi; done; done
if touch /probe 2>/dev/null; then echo "the root filesystem is writable"; exit 13; fi
touch {config}/probe || exit 14
mkfifo {config}/fifo || exit 15
test -p {config}/fifo || exit 16
[ -x "$AIRBYTE_ENTRYPOINT" ] || {{ echo "AIRBYTE_ENTRYPOINT $AIRBYTE_ENTRYPOINT is not executable"; exit 17; }}
sleep 0.1
echo ok | cat"#,
            tools = LAUNCHER_TOOLS
                .iter()
                .map(|t| format!("'{t}'"))
                .collect::<Vec<_>>()
                .join(" "),
            managers = PACKAGE_MANAGERS.join(" "),
            config = pod::CONFIG_DIR,
        );
        let mount = format!("{}:{}", volume.path().display(), pod::CONFIG_DIR);
        let (code, out, err) = docker(&launcher_run(&network, &mount, &image, &script));
        assert_eq!(
            (code, out.trim()),
            (0, "ok"),
            "{}: the launcher's constraints do not hold: {out}{err}",
            image.image
        );
        let owner = std::fs::metadata(volume.path().join("probe"))
            .expect("the probe file")
            .uid();
        assert_ne!(
            owner, 0,
            "{}: a file made in the volume is root's",
            image.image
        );
        steps.record(
            &image.name,
            "/bin/sh + touch, sleep, cat, mkfifo, test, [",
            "all run ✓",
        );
        steps.record(
            &image.name,
            "no package manager (apt, apt-get, dpkg, rpm, apk, busybox, yum, dnf, microdnf, pip)",
            "none on PATH or in /bin, /sbin, /usr/{,local/}{bin,sbin} ✓",
        );
        steps.record(
            &image.name,
            "--read-only root, writable volume",
            format!("root not writable, volume writable by uid {owner} ✓"),
        );
    }
}

#[test]
fn every_image_answers_each_verb_as_the_launcher_runs_it() {
    if !common::docker_available() {
        return;
    }
    let network = network();
    let steps = Steps::new("platform emulation: each verb, as the launcher runs it");
    for image in images() {
        let run_id = format!("pe_{}", platform::unique());
        let local = writable_dir("pe-local");
        let good_path = platform::connection_config_path(&image, "succeed").unwrap_or_else(|| {
            panic!(
                "connectors/{}/acceptance-test-config.yml has no connection test with status: succeed",
                image.name
            )
        });
        let good = platform::container_config(&good_path, &network, &run_id);
        let _schema = SchemaGuard::new(&network, &good);

        // spec
        let out = operation(&image, &network, &Invocation::new("spec"), local.path());
        assert_eq!(out.exit_code, 0, "{} spec:\n{}", image.image, out.stderr);
        assert!(
            out.spec().is_some(),
            "{} spec: no SPEC in jobOutput.json",
            image.image
        );
        steps.record(
            &image.name,
            "spec → /config/jobOutput.json",
            "SPEC, exit 0, exitCode.txt 0 ✓",
        );

        // check, succeeded and failed
        assert_check(
            &image,
            &network,
            &good,
            local.path(),
            ConnectionStatus::Succeeded,
            "check",
        );
        steps.record(&image.name, "check (good config)", "SUCCEEDED, exit 0 ✓");
        if let Some(path) = platform::connection_config_path(&image, "failed") {
            let bad = platform::container_config(&path, &network, &run_id);
            assert_check(
                &image,
                &network,
                &bad,
                local.path(),
                ConnectionStatus::Failed,
                &format!("check with {}", path.display()),
            );
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            steps.record(&image.name, &format!("check ({file})"), "FAILED, exit 0 ✓");
        }

        if image.is_source() {
            source_verbs(&image, &network, &good, local.path(), &steps);
        } else {
            destination_verbs(&image, &network, &good, &run_id, local.path(), &steps);
        }
    }
}

/// `check` with `config` in a connector pod: a CONNECTION_STATUS of
/// `expected`, and exit 0; `label` names the check in the failure message.
fn assert_check(
    image: &Image,
    network: &Network,
    config: &serde_json::Value,
    local: &std::path::Path,
    expected: ConnectionStatus,
    label: &str,
) {
    let out = operation(
        image,
        network,
        &Invocation::new("check").config(config),
        local,
    );
    let status = out.connection_status().unwrap_or_else(|| {
        panic!(
            "{} check: no CONNECTION_STATUS:\n{}",
            image.image, out.stderr
        )
    });
    assert_eq!(
        (status.status, out.exit_code),
        (expected, 0),
        "{} {label}: {:?}",
        image.image,
        status.message
    );
}

/// The older launcher's script (`entrypoints/sync/main.sh`): a trap that
/// touches the termination file on EXIT, the connector in a background
/// subshell writing to FIFOs, a loop that aborts the script once the
/// termination-check file appears, `wait` and the exit status. Here for
/// `spec`, with the FIFOs made by the test on the host.
#[test]
fn every_image_runs_under_the_older_launchers_script() {
    if !common::docker_available() {
        return;
    }
    let network = network();
    let steps = Steps::new("platform emulation: the older launcher's main.sh");
    for image in images() {
        let volume = writable_dir("pe-legacy");
        for fifo in ["stdout", "stderr"] {
            let status = std::process::Command::new("mkfifo")
                .args(["-m", "0666"])
                .arg(volume.path().join(fifo))
                .status()
                .expect("mkfifo (coreutils) on the host");
            assert!(status.success(), "mkfifo {fifo}");
        }
        let script = r#"trap "touch TERMINATION_FILE_MAIN" EXIT
trap "echo 'received ABRT'; exit 1;" ABRT
((eval "$AIRBYTE_ENTRYPOINT spec" 2> stderr > stdout)) &
CHILD_PID=$!
(
  PARENT_PID=$$
  while true
  do
    if [ -f TERMINATION_FILE_CHECK ]
    then
      echo "Heartbeat to worker failed, exiting..."
      kill -s ABRT ${PARENT_PID}
      exit 0
    fi
    sleep 1
  done
) &
echo "Waiting on CHILD_PID $CHILD_PID"
wait $CHILD_PID
EXIT_STATUS=$?
echo "EXIT_STATUS: $EXIT_STATUS"
exit $EXIT_STATUS"#;
        let mount = format!("{}:{}", volume.path().display(), pod::CONFIG_DIR);
        let mut child = std::process::Command::new("docker")
            .args(launcher_run(&network, &mount, &image, script))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("docker run");
        // The orchestrator's side: read both FIFOs (each open waits for the container's).
        let read = |name: &str| {
            let path = volume.path().join(name);
            std::thread::spawn(move || std::fs::read(path).unwrap_or_default())
        };
        let (stdout, stderr) = (read("stdout"), read("stderr"));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("docker run") {
                break status;
            }
            if started.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!(
                    "{}: the older launcher's script did not end in 120 s",
                    image.image
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut log = String::new();
        if let Some(mut out) = child.stdout.take() {
            let _ = std::io::Read::read_to_string(&mut out, &mut log);
        }
        let out = Output::parse(
            status.code().unwrap_or(-1),
            stdout.join().expect("stdout reader"),
            String::from_utf8_lossy(&stderr.join().expect("stderr reader")).into_owned(),
        );
        assert_eq!(
            out.exit_code, 0,
            "{} spec under main.sh: {log}\n{}",
            image.image, out.stderr
        );
        assert!(
            out.spec().is_some(),
            "{}: no SPEC through the stdout FIFO",
            image.image
        );
        assert!(
            log.contains("EXIT_STATUS: 0"),
            "{}: the script's log: {log}",
            image.image
        );
        assert!(
            volume.path().join("TERMINATION_FILE_MAIN").exists(),
            "{}: the EXIT trap did not touch the termination file",
            image.image
        );
        steps.record(
            &image.name,
            "main.sh: spec → stdout FIFO, trap touch on EXIT",
            "SPEC, EXIT_STATUS 0, marker touched ✓",
        );
    }
}

/// The termination marker: once the orchestrator leaves `TERMINATED` in the
/// source's volume, the wrapper's loop kills a running `read`, and the exit
/// code (143, SIGTERM) reaches the container and `exitCode.txt`.
#[test]
fn the_termination_marker_stops_a_running_read() {
    if !common::docker_available() {
        return;
    }
    let network = network();
    let steps = Steps::new("platform emulation: the termination marker");
    let image = images()
        .into_iter()
        .find(|i| i.name == "example-source-generator")
        .expect("connectors/example-source-generator");
    let mut pod = pod_on(&image, &network);
    pod.termination_check_seconds = 1;
    let config = json!({"count": 1_000_000_000_u64, "api_key": "a-test-api-key-value"});
    let catalog = json!({"streams": [{"stream": {"name": "users", "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh"]}, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]});
    let invocation = Invocation::new("read").config(&config).catalog(&catalog);
    let connector = Connector::Pod(pod);
    let mut running = connector.spawn(&invocation).expect("the source pod starts");
    let mut stdout = running.take_stdout().expect("stdout");
    let stderr = running.take_stderr().expect("stderr");
    let drain = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    // Wait for the first records, then leave the marker as the orchestrator does.
    let mut first = [0_u8; 4096];
    let n = std::io::Read::read(&mut stdout, &mut first).expect("the stdout FIFO");
    assert!(
        n > 0 && first.starts_with(b"{"),
        "no output through the stdout FIFO"
    );
    let marker = running_volume_marker(&running);
    std::fs::write(&marker, b"").expect("the termination marker");
    let started = Instant::now();
    let reader = std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let status = running.wait();
    let took = started.elapsed();
    let _ = reader.join();
    let log = drain.join().unwrap_or_default();
    let status = status.unwrap_or_else(|e| panic!("the container's exit: {e}\n{log}"));
    assert_eq!(
        status.code(),
        Some(143),
        "the read killed by the marker (SIGTERM):\n{log}"
    );
    assert_eq!(running.exit_code_file(), Some(143), "exitCode.txt");
    assert!(
        took < Duration::from_secs(30),
        "the marker took {took:?} to stop the read"
    );
    steps.record(
        &image.name,
        "read, then TERMINATED in /source",
        format!(
            "killed after {:.1} s, exit 143, exitCode.txt 143 ✓",
            took.as_secs_f64()
        ),
    );
}

/// The termination marker's path in a running pod's volume: the stdout FIFO's folder.
fn running_volume_marker(running: &airbyte_acceptance_tests::Running) -> std::path::PathBuf {
    running
        .volume()
        .expect("a pod has a volume")
        .join(pod::TERMINATION_MARKER_FILE)
}

#[test]
fn postgres_replication_through_the_fifos() {
    if !common::docker_available() {
        return;
    }
    replication::postgres_to_postgres(&network());
}

#[test]
fn generator_to_jsonl_replication_through_the_fifos_with_the_cli() {
    if !common::docker_available() {
        return;
    }
    replication::generator_to_jsonl(&network());
}

#[test]
fn a_failing_replication_surfaces_the_trace_and_exit_code() {
    if !common::docker_available() {
        return;
    }
    replication::wrong_destination_password(&network());
}

/// The wrapper's own failure (no `AIRBYTE_ENTRYPOINT`: exit 127 with the
/// launcher's message) and a missing image (the init container fails, no
/// pull is tried) are clear errors, not hangs.
#[test]
fn a_missing_entrypoint_or_image_fails_clearly() {
    if !common::docker_available() {
        return;
    }
    let network = network();
    let steps = Steps::new("platform emulation: the wrapper's and the runner's own failures");
    for image in images() {
        let mut spec = Invocation::new("spec");
        spec.env = vec![("AIRBYTE_ENTRYPOINT".into(), String::new())];
        let out = pod_on(&image, &network)
            .operation(&spec)
            .expect("the pod ran");
        assert_eq!(
            out.output.exit_code, 127,
            "{}: {}",
            image.image, out.output.stderr
        );
        assert_eq!(
            out.exit_code_file, None,
            "the wrapper exits before the connector runs"
        );
        assert!(
            out.output.stderr.contains("AIRBYTE_ENTRYPOINT must be set"),
            "{}: {}",
            image.image,
            out.output.stderr
        );
        steps.record(
            &image.name,
            "spec with AIRBYTE_ENTRYPOINT unset",
            "the launcher's message, exit 127 ✓",
        );
    }
    let missing = Connector::Pod(Pod::new(format!(
        "airbyte-rs/pe-no-such-image:{}",
        platform::unique()
    )));
    let config = json!({});
    let catalog = json!({"streams": []});
    let started = Instant::now();
    let err = match missing.spawn(&Invocation::new("read").config(&config).catalog(&catalog)) {
        Ok(_) => panic!("a pod of a missing image started"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("No such image"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let out = missing
        .run(&Invocation::new("spec"), b"")
        .expect("docker ran");
    assert_eq!(out.exit_code, 125, "{}", out.stderr);
    steps.record(
        "(a missing image)",
        "read / spec",
        "\"No such image\", docker exit 125, no pull ✓",
    );
}
