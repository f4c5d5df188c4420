//! The OAuth and session-token authenticators against Airbyte's
//! `source-declarative-manifest` (airbyte-cdk 7.39.1), each engine over its
//! own tests/fixtures/auth_api.py: the same records per stream, final
//! states, check results and CONTROL messages (the config a refresh
//! updates), and none of the secrets in anything ours prints but those
//! CONTROL messages (which must carry them to the platform).
//!
//! Compared without what differs by design: a CONTROL config's
//! `token_expiry_date` (now + `expires_in`; checked to be a datetime) and
//! the `__injected_declarative_manifest` SDM adds for `--manifest-path`.

mod common;

use std::process::Command;

use airbyte_sdk::testkit::TestDir;
use common::fixture::{
    FixtureServer, by_stream, configured_catalog, manifest, messages, ours, run, sdm,
};
use serde_json::{Value, json};

/// What must never show in ours' output (but in CONTROL messages).
const SECRETS: &[&str] = &["csecret-Q7x", "ref-tok-", "acc-tok-", "sess-tok-", "pw-Zr9"];

/// One engine's run: its messages (no LOGs), exit code, and every line it printed.
struct Ran {
    messages: Vec<Value>,
    code: i32,
}

/// Runs ours, checking that no line of its stdout or stderr shows a secret
/// outside a CONTROL message.
fn run_ours(args: &[&str]) -> Ran {
    let out = Command::new(ours()).args(args).output().expect("run ours");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stdout.lines().chain(stderr.lines()) {
        if line.starts_with(r#"{"type":"CONTROL""#) {
            continue;
        }
        for secret in SECRETS {
            assert!(!line.contains(secret), "a secret ({secret}) in: {line}");
        }
        assert!(!line.contains("panicked"), "{line}");
    }
    Ran {
        messages: messages(&stdout),
        code: out.status.code().unwrap_or(-1),
    }
}

fn read_args<'a>(manifest: &'a str, config: &'a str, catalog: &'a str) -> [&'a str; 7] {
    let flags = ["read", "--manifest-path", "--config", "--catalog"];
    [
        flags[0], flags[1], manifest, flags[2], config, flags[3], catalog,
    ]
}

fn run_sdm(args: &[&str]) -> Ran {
    let (messages, code) = run(&sdm(), args);
    Ran { messages, code }
}

/// A config for `server`, written in `dir`.
fn config(dir: &TestDir, name: &str, server: &FixtureServer, refresh_token: &str) -> String {
    let base_url = &server.base_url;
    let config = json!({
        "base_url": base_url,
        "credentials": {"client_id": "cid-1", "client_secret": "csecret-Q7x", "refresh_token": refresh_token},
        "client_id": "cid-1", "client_secret": "csecret-Q7x", "refresh_token": refresh_token,
        "username": "ada", "password": "pw-Zr9",
    });
    dir.write_json(name, &config).display().to_string()
}

/// The configs of the CONTROL messages, comparable across engines and servers.
fn controls(messages: &[Value], base_url: &str) -> Vec<Value> {
    let mut out: Vec<Value> = messages
        .iter()
        .filter(|m| m["type"] == "CONTROL")
        .map(|m| {
            assert_eq!(m["control"]["type"], "CONNECTOR_CONFIG", "{m}");
            let mut config = m["control"]["connectorConfig"]["config"].clone();
            let map = config.as_object_mut().expect("a config object");
            map.remove("__injected_declarative_manifest");
            assert_eq!(map["base_url"], base_url);
            map.insert("base_url".into(), json!("<base_url>"));
            if let Some(expiry) = config.pointer_mut("/credentials/token_expiry_date") {
                let text = expiry.as_str().expect("an expiry").to_owned();
                assert!(source_http::auth::parse_expiry(&text).is_ok(), "{text}");
                *expiry = json!("<expiry>");
            }
            config
        })
        .collect();
    out.sort_by_key(|c| c.to_string());
    out
}

fn status(messages: &[Value]) -> Value {
    messages
        .iter()
        .find(|m| m["type"] == "CONNECTION_STATUS")
        .map(|m| m["connectionStatus"]["status"].clone())
        .unwrap_or(Value::Null)
}

/// Runs check and read on `manifest_name` with both engines, each over its
/// own `auth_api.py <server_args>`; compares them; returns SDM's read.
fn compare(manifest_name: &str, server_args: &[&str]) -> Vec<Value> {
    let dir = TestDir::new("conformance-auth");
    let path = manifest(manifest_name);
    let mut reads = Vec::new();
    for (engine, label) in [(true, "sdm"), (false, "ours")] {
        let server = FixtureServer::start_script("auth_api.py", server_args);
        let config = config(&dir, &format!("{label}-config.json"), &server, "ref-tok-0");
        let go = |args: &[&str]| {
            if engine {
                run_sdm(args)
            } else {
                run_ours(args)
            }
        };
        let discovered = go(&["discover", "--manifest-path", &path, "--config", &config]);
        assert_eq!(discovered.code, 0, "{label}: {:#?}", discovered.messages);
        let catalog = discovered
            .messages
            .iter()
            .find(|m| m["type"] == "CATALOG")
            .expect("a catalog");
        let streams = catalog["catalog"]["streams"].as_array().expect("streams");
        let catalog = configured_catalog(&dir, streams);
        let read = go(&read_args(&path, &config, &catalog));
        assert_eq!(read.code, 0, "{label}: {:#?}", read.messages);
        // A new server, so that check starts from the first refresh token.
        drop(server);
        let server = FixtureServer::start_script("auth_api.py", server_args);
        let config = config_for(&dir, label, &server);
        let check = go(&["check", "--manifest-path", &path, "--config", &config]);
        reads.push((
            read.messages,
            check.messages,
            server.base_url.clone(),
            base_of(&dir, label),
        ));
    }
    let (sdm_read, sdm_check, sdm_check_url, sdm_read_url) = &reads[0];
    let (our_read, our_check, our_check_url, our_read_url) = &reads[1];
    assert_eq!(
        by_stream(our_read),
        by_stream(sdm_read),
        "records and states"
    );
    assert_eq!(
        controls(our_read, our_read_url),
        controls(sdm_read, sdm_read_url),
        "read's CONTROL"
    );
    assert_eq!(status(our_check), status(sdm_check), "{our_check:#?}");
    assert_eq!(status(our_check), json!("SUCCEEDED"), "{our_check:#?}");
    assert_eq!(
        controls(our_check, our_check_url),
        controls(sdm_check, sdm_check_url),
        "check's CONTROL"
    );
    sdm_read.clone()
}

fn config_for(dir: &TestDir, label: &str, server: &FixtureServer) -> String {
    config(
        dir,
        &format!("{label}-check-config.json"),
        server,
        "ref-tok-0",
    )
}

/// The base URL of `label`'s read config.
fn base_of(dir: &TestDir, label: &str) -> String {
    let text =
        std::fs::read_to_string(dir.path().join(format!("{label}-config.json"))).expect("config");
    let config: Value = serde_json::from_str(&text).expect("JSON");
    config["base_url"].as_str().expect("base_url").to_owned()
}

#[test]
fn oauth_with_rotating_refresh_tokens() {
    let read = compare("auth_oauth.yaml", &["--rotate"]);
    // One refresh for the three streams, and one forced by `profile`'s 401.
    assert_eq!(read.iter().filter(|m| m["type"] == "CONTROL").count(), 2);
}

#[test]
fn oauth_refresh_as_query_params_with_basic_client() {
    compare("auth_oauth_query.yaml", &["--basic-client"]);
}

#[test]
fn session_tokens() {
    compare("auth_session.yaml", &[]);
}

/// The failure types of the ERROR traces.
fn error_types(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["type"] == "TRACE" && m["trace"]["type"] == "ERROR")
        .map(|m| {
            m["trace"]["error"]["failure_type"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

#[test]
fn invalid_refresh_token_is_a_config_error() {
    let dir = TestDir::new("conformance-auth-bad");
    let path = manifest("auth_oauth.yaml");
    let mut results = Vec::new();
    for engine in [true, false] {
        let server = FixtureServer::start_script("auth_api.py", &["--rotate"]);
        let config = config(
            &dir,
            &format!("bad-{engine}.json"),
            &server,
            "ref-tok-wrong",
        );
        let streams = [
            json!({"name": "orders", "json_schema": {}, "supported_sync_modes": ["full_refresh"]}),
        ];
        let catalog = configured_catalog(&dir, streams.iter());
        let args = read_args(&path, &config, &catalog);
        let read = if engine {
            run_sdm(&args)
        } else {
            run_ours(&args)
        };
        assert_ne!(read.code, 0, "{:#?}", read.messages);
        assert!(!read.messages.iter().any(|m| m["type"] == "RECORD"));
        let check_args = ["check", "--manifest-path", &path, "--config", &config];
        let check = if engine {
            run_sdm(&check_args)
        } else {
            run_ours(&check_args)
        };
        results.push((
            error_types(&read.messages),
            status(&check.messages),
            read.messages,
        ));
    }
    let (sdm_types, sdm_check, _) = &results[0];
    let (our_types, our_check, our_read) = &results[1];
    assert!(
        our_types.iter().any(|t| t == "config_error"),
        "{our_read:#?}"
    );
    assert_eq!(our_types.first(), sdm_types.first(), "{our_read:#?}");
    assert_eq!(our_check, sdm_check);
    assert_eq!(our_check, &json!("FAILED"));
    let message = our_read
        .iter()
        .find(|m| m["trace"]["error"]["failure_type"] == "config_error")
        .map(|m| {
            m["trace"]["error"]["message"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default();
    assert!(
        message.contains("Refresh token was rejected by the OAuth provider"),
        "{message}"
    );
}
