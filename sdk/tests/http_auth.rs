//! The HTTP kit's authenticators against real local servers: API key,
//! bearer, basic, and OAuth 2.0 refresh with token rotation, down to the
//! CONTROL message a whole connector prints.
#![cfg(feature = "http")]

mod common_http;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use airbyte_sdk::http::{
    ApiKey, Basic, Bearer, ConfigRotation, HttpClient, OAuth2, PagePaginator, RetryPolicy,
    read_pages,
};
use airbyte_sdk::protocol::{
    AirbyteCatalog, AirbyteStream, ConfiguredAirbyteStream, ConnectionStatus, FailureType,
    JsonObject, MessageType, SyncMode,
};
use airbyte_sdk::source::StreamOutput;
use airbyte_sdk::testkit::{TestDir, run_source};
use airbyte_sdk::{Error, Source};
use common_http::{Received, Reply, TestServer};
use serde_json::{Value, json};

const CLIENT_SECRET: &str = "cs-very-secret";

/// Every secret the OAuth tests hand out.
const SECRETS: [&str; 7] = [
    CLIENT_SECRET,
    "rt-1",
    "rt-2",
    "rt-3",
    "at-1",
    "at-2",
    "at-3",
];

/// A token endpoint (`POST /token`) and an API (`GET /items?page=N`, three
/// records on two pages of 2). Refresh token `rt-N` gets access token
/// `at-N` and the next refresh token `rt-N+1`, valid `expires_in` seconds;
/// any other refresh token is `invalid_grant`.
async fn oauth_server(expires_in: u64) -> TestServer {
    TestServer::start(move |r: &Received, _| {
        if r.target.starts_with("/token") {
            let refresh = r.form("refresh_token").unwrap_or_default();
            let Some(n) = refresh.strip_prefix("rt-").and_then(|n| n.parse::<u32>().ok()) else {
                return Reply::json(400, json!({"error": "invalid_grant", "error_description": format!("token {refresh} is revoked")}));
            };
            if r.form("client_secret").as_deref() != Some(CLIENT_SECRET) || r.form("grant_type").as_deref() != Some("refresh_token") {
                return Reply::json(401, json!({"error": "invalid_client"}));
            }
            return Reply::json(200, json!({
                "access_token": format!("at-{n}"),
                "expires_in": expires_in,
                "refresh_token": format!("rt-{}", n + 1),
                "token_type": "bearer",
            }));
        }
        let authorized = r.header("authorization").is_some_and(|a| a.starts_with("Bearer at-"));
        if !authorized {
            return Reply::status(401, "who are you");
        }
        let page: usize = r.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let items: Vec<Value> = (0..3).skip((page - 1) * 2).take(2).map(|n| json!({"n": n})).collect();
        Reply::json(200, json!({"items": items}))
    })
    .await
}

fn config(server: &TestServer, refresh_token: &str) -> Value {
    json!({
        "base_url": server.url(""),
        "token_url": server.url("/token"),
        "credentials": {"client_id": "cid", "client_secret": CLIENT_SECRET, "refresh_token": refresh_token},
    })
}

fn token_requests(server: &TestServer) -> Vec<Received> {
    server
        .received()
        .into_iter()
        .filter(|r| r.target == "/token")
        .collect()
}

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "`{secret}` shows in: {text}");
    }
}

fn oauth_for(config: &Value, rotation: &Arc<ConfigRotation>) -> Result<OAuth2, Error> {
    let credentials = &config["credentials"];
    OAuth2::builder(
        config["token_url"].as_str().unwrap_or_default(),
        credentials["client_id"].as_str().unwrap_or_default(),
        credentials["client_secret"].as_str().unwrap_or_default(),
        rotation.refresh_token().unwrap_or_default(),
    )
    .http(HttpClient::builder().retry(RetryPolicy {
        time_scale: 0.001,
        ..RetryPolicy::default()
    }))
    .on_refresh(rotation.clone())
    .build()
}

/// For `server`, from `refresh_token`: the config, its rotation, the
/// authenticator and a client that uses it.
fn oauth_client(
    server: &TestServer,
    refresh_token: &str,
) -> (Value, Arc<ConfigRotation>, Arc<OAuth2>, HttpClient) {
    let config = config(server, refresh_token);
    let rotation = Arc::new(ConfigRotation::new(config.clone()));
    let oauth = Arc::new(oauth_for(&config, &rotation).expect("oauth"));
    let http = HttpClient::builder()
        .authenticator(oauth.clone())
        .build()
        .expect("client");
    (config, rotation, oauth, http)
}

#[tokio::test]
async fn api_key_bearer_and_basic_reach_the_server() {
    let server = TestServer::start(|_, _| Reply::status(200, "ok")).await;
    for (auth, _) in [
        (
            HttpClient::builder().authenticator(ApiKey::header("X-Api-Key", "k1").expect("header")),
            0,
        ),
        (
            HttpClient::builder().authenticator(ApiKey::query("key", "k2").with_prefix("v1:")),
            1,
        ),
        (HttpClient::builder().authenticator(Bearer::new("b3")), 2),
        (
            HttpClient::builder().authenticator(Basic::new("user", "p4ss")),
            3,
        ),
    ] {
        let http = auth.build().expect("client");
        http.send(http.get(server.url("/x?a=1"))).await.expect("ok");
    }
    let received = server.received();
    assert_eq!(received[0].header("x-api-key"), Some("k1"));
    assert_eq!(received[1].target, "/x?a=1&key=v1%3Ak2");
    assert_eq!(received[2].header("authorization"), Some("Bearer b3"));
    assert_eq!(
        received[3].header("authorization"),
        Some("Basic dXNlcjpwNHNz")
    );
}

#[tokio::test]
async fn an_invalid_header_name_is_a_config_error() {
    let error = ApiKey::header("X Api Key", "k").expect_err("a space in a header name");
    assert_eq!(error.failure_type(), FailureType::ConfigError);
}

#[tokio::test]
async fn refresh_with_rotation_updates_the_config_each_time() {
    // Tokens that expire at once: every request refreshes, with the newest refresh token.
    let server = oauth_server(0).await;
    let (config, rotation, oauth, http) = oauth_client(&server, "rt-1");
    for page in 1..=2 {
        let response = http
            .send(http.get(server.url(&format!("/items?page={page}"))))
            .await
            .expect("items");
        assert_eq!(response.status().as_u16(), 200);
    }
    let tokens = token_requests(&server);
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0].method, "POST");
    assert_eq!(
        tokens[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    for (field, value) in [
        ("grant_type", "refresh_token"),
        ("client_id", "cid"),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", "rt-1"),
    ] {
        assert_eq!(tokens[0].form(field).as_deref(), Some(value), "{field}");
    }
    assert_eq!(
        tokens[1].form("refresh_token").as_deref(),
        Some("rt-2"),
        "the rotated token is used"
    );
    let items: Vec<Received> = server
        .received()
        .into_iter()
        .filter(|r| r.target.starts_with("/items"))
        .collect();
    assert_eq!(items[0].header("authorization"), Some("Bearer at-1"));
    assert_eq!(items[1].header("authorization"), Some("Bearer at-2"));
    assert_eq!(oauth.refresh_token().await.expose(), "rt-3");

    let messages = rotation.take_messages();
    assert_eq!(messages.len(), 2, "one CONTROL message per refresh");
    let control = messages[1].control.as_ref().expect("a control message");
    assert_eq!(
        serde_json::to_value(control.r#type).expect("type"),
        json!("CONNECTOR_CONFIG")
    );
    let stored: Value = serde_json::from_str(
        control
            .connector_config
            .as_ref()
            .expect("config")
            .config
            .as_str(),
    )
    .expect("json");
    assert_eq!(stored["credentials"]["refresh_token"], "rt-3");
    assert_eq!(stored["credentials"]["access_token"], "at-2");
    assert_eq!(
        stored["credentials"]["client_secret"], CLIENT_SECRET,
        "the whole config"
    );
    assert_eq!(stored["base_url"], config["base_url"]);
    let expiry = stored["credentials"]["token_expiry_date"]
        .as_str()
        .expect("an expiry");
    assert!(expiry.ends_with('Z') && expiry.len() == 20, "{expiry}");
    assert_eq!(rotation.config().expect("config"), stored);
    assert!(rotation.take_messages().is_empty());
}

#[tokio::test]
async fn a_valid_token_is_reused_and_one_refresh_serves_concurrent_requests() {
    let server = oauth_server(3600).await;
    let (_, rotation, _, http) = oauth_client(&server, "rt-1");
    let sends: Vec<_> = (0..8)
        .map(|_| {
            let http = http.clone();
            let url = server.url("/items?page=1");
            tokio::spawn(async move { http.send(http.get(url)).await.map(|r| r.status().as_u16()) })
        })
        .collect();
    for send in sends {
        assert_eq!(send.await.expect("task").expect("response"), 200);
    }
    assert_eq!(
        token_requests(&server).len(),
        1,
        "a single-use refresh token is spent once"
    );
    assert_eq!(rotation.take_messages().len(), 1);
}

#[tokio::test]
async fn a_stored_access_token_is_used_until_it_expires() {
    let server = oauth_server(3600).await;
    let mut config = config(&server, "rt-1");
    config["credentials"]["access_token"] = json!("at-7");
    config["credentials"]["token_expiry_date"] = json!("2999-01-01T00:00:00Z");
    let rotation = ConfigRotation::new(config.clone());
    let (token, expires) = rotation.access_token().expect("a stored token");
    assert_eq!(token, "at-7");
    assert!(expires > SystemTime::now() + Duration::from_secs(86_400 * 365 * 900));
    let oauth = OAuth2::builder(server.url("/token"), "cid", CLIENT_SECRET, "rt-1")
        .access_token(token, expires)
        .build()
        .expect("oauth");
    let http = HttpClient::builder()
        .authenticator(oauth)
        .build()
        .expect("client");
    http.send(http.get(server.url("/items")))
        .await
        .expect("items");
    assert!(token_requests(&server).is_empty());
    assert_eq!(
        server.received()[0].header("authorization"),
        Some("Bearer at-7")
    );
}

#[tokio::test]
async fn invalid_grant_is_a_config_error_that_shows_no_secret() {
    let server = oauth_server(3600).await;
    let (_, rotation, _, http) = oauth_client(&server, "revoked-rt-9");
    let error = http
        .send(http.get(server.url("/items")))
        .await
        .expect_err("invalid_grant");
    assert_eq!(error.failure_type(), FailureType::ConfigError);
    assert!(
        error
            .to_string()
            .starts_with("Refresh token is invalid or expired."),
        "{error}"
    );
    let text = format!("{error} {:?} {error:?}", error.internal_message());
    assert!(
        !text.contains("revoked-rt-9") && !text.contains(CLIENT_SECRET),
        "{text}"
    );
    assert!(text.contains("invalid_grant"), "{text}");
    assert_eq!(
        token_requests(&server).len(),
        1,
        "a rejected grant is not retried"
    );
    assert!(
        server.received().iter().all(|r| r.target == "/token"),
        "no API request without a token"
    );
    assert!(rotation.take_messages().is_empty());
}

#[tokio::test]
async fn other_rejections_are_config_errors_and_server_errors_are_retried() {
    let server = TestServer::script(vec![
        Reply::status(503, "busy"),
        Reply::json(429, json!({})),
        Reply::json(401, json!({"error": "invalid_client"})),
    ])
    .await;
    let oauth = OAuth2::builder(server.url("/token"), "cid", CLIENT_SECRET, "rt-1")
        .http(HttpClient::builder().retry(RetryPolicy {
            time_scale: 0.001,
            ..RetryPolicy::default()
        }))
        .build()
        .expect("oauth");
    let error = oauth.access_token().await.expect_err("rejected");
    assert_eq!(error.failure_type(), FailureType::ConfigError);
    assert!(
        error
            .to_string()
            .contains("(HTTP 401, error invalid_client)"),
        "{error}"
    );
    assert_eq!(server.received().len(), 3, "503 and 429 were retried");
}

#[tokio::test]
async fn a_token_endpoint_that_stays_down_is_transient() {
    let server = TestServer::script(vec![Reply::status(500, "down")]).await;
    let oauth = OAuth2::builder(server.url("/token"), "cid", CLIENT_SECRET, "rt-1")
        .http(HttpClient::builder().retry(RetryPolicy {
            max_retries: 2,
            time_scale: 0.001,
            ..RetryPolicy::default()
        }))
        .build()
        .expect("oauth");
    let error = oauth.refresh().await.expect_err("down");
    assert_eq!(error.failure_type(), FailureType::TransientError);
    assert!(
        error.to_string().starts_with(
            "The OAuth access token refresh request failed: Exhausted available request attempts"
        ),
        "{error}"
    );
    assert_no_secret(&format!("{error:?}"));
}

#[tokio::test]
async fn an_answer_without_an_access_token_is_a_system_error() {
    let server = TestServer::script(vec![Reply::json(200, json!({"token_type": "bearer"}))]).await;
    let oauth = OAuth2::builder(server.url("/token"), "cid", CLIENT_SECRET, "rt-1")
        .build()
        .expect("oauth");
    let error = oauth.refresh().await.expect_err("no token");
    assert_eq!(error.failure_type(), FailureType::SystemError);
    assert_eq!(
        error.to_string(),
        "Token refresh API response was missing access token access_token"
    );
}

/// A whole connector: one stream read over OAuth with rotation, pages of 2.
struct OAuthSource;

#[airbyte_sdk::async_trait]
impl Source for OAuthSource {
    type Config = Value;

    async fn check(&self, config: &Value) -> Result<(), Error> {
        let rotation = Arc::new(ConfigRotation::new(config.clone()));
        oauth_for(config, &rotation)?.access_token().await.map(drop)
    }

    async fn discover(&self, _config: &Value) -> Result<AirbyteCatalog, Error> {
        let schema = JsonObject::from_string(r#"{"type":"object"}"#.into())?;
        Ok(AirbyteCatalog::new(vec![AirbyteStream::new(
            "items",
            schema,
            vec![SyncMode::FullRefresh],
        )]))
    }

    async fn read_stream(
        &self,
        config: &Value,
        _stream: &ConfiguredAirbyteStream,
        _state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        let rotation = Arc::new(ConfigRotation::new(config.clone()));
        let client = HttpClient::builder()
            .authenticator(oauth_for(config, &rotation)?)
            .build()?;
        let url = format!("{}/items", config["base_url"].as_str().unwrap_or_default());
        let mut pages = PagePaginator::new(Some(2)).start_at(1);
        read_pages(
            &client,
            &mut pages,
            || client.get(&url),
            |_, body| {
                rotation.emit(out)?;
                let items = body["items"].as_array().cloned().unwrap_or_default();
                items.iter().try_for_each(|item| out.record(item))?;
                Ok(items.len())
            },
        )
        .await?;
        Ok(())
    }
}

fn catalog(dir: &TestDir) -> std::path::PathBuf {
    dir.write_json(
        "catalog.json",
        &json!({"streams": [{"stream": {"name": "items", "json_schema": {}, "supported_sync_modes": ["full_refresh"]}, "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}),
    )
}

#[tokio::test]
async fn a_connector_prints_the_rotated_token_as_a_control_message() {
    let server = oauth_server(3600).await;
    let dir = TestDir::new("http-auth-rotation");
    let config_path = dir.write_json("config.json", &config(&server, "rt-1"));
    let catalog_path = catalog(&dir);
    let args = [
        "read",
        "--config",
        config_path.to_str().expect("path"),
        "--catalog",
        catalog_path.to_str().expect("path"),
    ];
    let out = run_source(OAuthSource, &args).await;
    assert!(out.success(), "{}", out.stdout);
    assert_eq!(out.records().len(), 3);
    let controls: Vec<_> = out
        .messages
        .iter()
        .filter(|m| m.r#type == MessageType::Control)
        .collect();
    assert_eq!(controls.len(), 1, "{}", out.stdout);
    let config = controls[0]
        .control
        .as_ref()
        .and_then(|c| c.connector_config.as_ref())
        .expect("a connector config");
    let stored: Value = serde_json::from_str(config.config.as_str()).expect("json");
    assert_eq!(stored["credentials"]["refresh_token"], "rt-2");
    assert_eq!(stored["token_url"], server.url("/token"));
    // The CONTROL message carries the new tokens by design; nothing else may.
    for line in out
        .stdout
        .lines()
        .filter(|l| !l.contains(r#""type":"CONTROL""#))
    {
        assert_no_secret(line);
    }
    assert_eq!(token_requests(&server).len(), 1);
}

#[tokio::test]
async fn check_reports_a_revoked_refresh_token_as_failed() {
    let server = oauth_server(3600).await;
    let dir = TestDir::new("http-auth-check");
    let config_path = dir.write_json("config.json", &config(&server, "gone-rt"));
    let out = run_source(
        OAuthSource,
        &["check", "--config", config_path.to_str().expect("path")],
    )
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    let status = out.connection_status().expect("a connection status");
    assert_eq!(status.status, ConnectionStatus::Failed);
    let message = status.message.as_deref().unwrap_or_default();
    assert!(
        message.starts_with("Refresh token is invalid or expired."),
        "{message}"
    );
    assert!(
        !out.stdout.contains("gone-rt") && !out.stdout.contains(CLIENT_SECRET),
        "{}",
        out.stdout
    );
}
