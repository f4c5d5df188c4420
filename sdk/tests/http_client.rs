//! The HTTP kit's client against real local servers: the status table,
//! retries and `Retry-After`, timeouts, limits, TLS, and no secret in errors.
#![cfg(feature = "http")]

mod common_http;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airbyte_sdk::Error;
use airbyte_sdk::http::{
    Action, ApiKey, Backoff, HttpClient, HttpClientBuilder, Resolution, RetryEvent, RetryPolicy,
    StatusTable, TransportKind,
};
use airbyte_sdk::protocol::FailureType;
use common_http::{Reply, TEST_CA_PEM, TestServer};
use serde_json::json;

/// A retry policy a thousand times faster than the CDK's (waits of 1, 2, 4… ms).
fn fast(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        time_scale: 0.001,
        ..RetryPolicy::default()
    }
}

fn client(builder: HttpClientBuilder) -> HttpClient {
    builder.build().expect("client")
}

/// What a GET of `url` fails with.
async fn get_fails(http: &HttpClient, url: impl AsRef<str>) -> Error {
    match http.send(http.get(url.as_ref())).await {
        Ok(response) => panic!("expected an error, got HTTP {}", response.status()),
        Err(error) => error,
    }
}

/// Every text an error could show: message, internal message, debug form.
fn all_text(e: &Error) -> String {
    format!("{e} | {:?} | {e:?}", e.internal_message())
}

#[tokio::test]
async fn rate_limit_then_success_waits_what_retry_after_says() {
    let server = TestServer::script(vec![
        Reply::status(429, "slow down").header("Retry-After", "2"),
        Reply::json(200, json!({"ok": true})),
    ])
    .await;
    let events = Arc::new(Mutex::new(Vec::<RetryEvent>::new()));
    let seen = events.clone();
    // Time runs 20 times faster: Retry-After: 2 is a 100 ms wait.
    let policy = RetryPolicy {
        time_scale: 0.05,
        ..RetryPolicy::default()
    };
    let http = client(
        HttpClient::builder()
            .retry(policy)
            .on_retry(move |e| seen.lock().expect("events").push(*e)),
    );
    let response = http
        .send(http.get(server.url("/items")))
        .await
        .expect("a response");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().expect("json")["ok"],
        true
    );
    let received = server.received();
    assert_eq!(received.len(), 2);
    let gap = received[1].at - received[0].at;
    assert!(
        gap >= Duration::from_millis(100),
        "waited {gap:?}, Retry-After said 2 s × 0.05"
    );
    let events = events.lock().expect("events").clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, Action::RateLimited);
    assert_eq!(events[0].status, Some(429));
    assert_eq!(events[0].wait, Duration::from_millis(100));
    assert_eq!(http.requests_sent(), 2);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let date = httpdate_in(Duration::from_secs(3));
    let server = TestServer::script(vec![
        Reply::status(503, "").header("Retry-After", &date),
        Reply::status(200, "ok"),
    ])
    .await;
    let waits = Arc::new(Mutex::new(Vec::new()));
    let seen = waits.clone();
    let http = client(
        HttpClient::builder()
            .retry(RetryPolicy {
                time_scale: 0.01,
                ..RetryPolicy::default()
            })
            .on_retry(move |e| seen.lock().expect("waits").push(e.wait)),
    );
    http.send(http.get(server.url("/")))
        .await
        .expect("a response");
    let waits = waits.lock().expect("waits").clone();
    // About 3 s away (the date has whole seconds), scaled by 0.01.
    assert!(
        waits[0] >= Duration::from_millis(10) && waits[0] <= Duration::from_millis(31),
        "{waits:?}"
    );
}

/// An HTTP date `ahead` from now.
fn httpdate_in(ahead: Duration) -> String {
    // IMF-fixdate by hand, to not depend on the kit's own parser's crate.
    let secs = (std::time::SystemTime::now() + ahead)
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let (y, m, d) = airbyte_sdk::value::calendar::civil_from_days(days);
    let of_day = secs.rem_euclid(86_400);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][m as usize - 1];
    format!(
        "{weekday}, {d:02} {month} {y} {:02}:{:02}:{:02} GMT",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[tokio::test]
async fn server_errors_are_retried_then_exhausted_as_transient() {
    let server = TestServer::script(vec![Reply::status(500, "boom")]).await;
    let http = client(HttpClient::builder().retry(fast(3)));
    let error = get_fails(&http, server.url("/items")).await;
    assert_eq!(error.failure_type(), FailureType::TransientError);
    assert!(
        error.to_string().starts_with("Exhausted available request attempts. Please see logs for more details. Exception: HTTP Status Code: 500. Error: Internal server error."),
        "{error}"
    );
    let internal = error.internal_message().expect("an internal message");
    assert!(
        internal.contains("status code '500'") && internal.contains("boom"),
        "{internal}"
    );
    assert_eq!(server.received().len(), 4, "one attempt and three retries");
}

#[tokio::test]
async fn retries_stop_at_the_time_budget() {
    let server = TestServer::script(vec![Reply::status(502, "")]).await;
    // Waits of 1, 2, 4 s (scaled to 10, 20, 40 ms) against a 6 s budget
    // (60 ms): two retries fit, the third would end after it.
    let policy = RetryPolicy {
        max_retries: 10,
        max_time: Duration::from_secs(6),
        time_scale: 0.01,
        ..RetryPolicy::default()
    };
    let http = client(HttpClient::builder().retry(policy));
    let error = get_fails(&http, server.url("/")).await;
    assert_eq!(error.failure_type(), FailureType::TransientError);
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn not_found_fails_at_once_as_a_system_error() {
    let server = TestServer::script(vec![Reply::status(404, "no such thing")]).await;
    let http = client(HttpClient::builder().retry(fast(5)));
    let error = get_fails(&http, server.url("/missing")).await;
    assert_eq!(error.failure_type(), FailureType::SystemError);
    assert_eq!(
        error.to_string(),
        "HTTP Status Code: 404. Error: Not found. The requested resource was not found on the server."
    );
    assert!(
        error
            .internal_message()
            .expect("internal")
            .contains("/missing")
    );
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn unauthorized_is_a_config_error_and_never_shows_the_key() {
    let key = "sup3r-s3cret+key/=";
    // The server echoes the key in its body; it must still not show.
    let server = TestServer::start(move |r, _| {
        Reply::status(
            401,
            &format!("bad key {}", r.query("api_key").unwrap_or_default()),
        )
    })
    .await;
    let http = client(HttpClient::builder().authenticator(ApiKey::query("api_key", key)));
    let error = get_fails(&http, server.url("/items?x=1")).await;
    assert_eq!(error.failure_type(), FailureType::ConfigError);
    assert!(error.to_string().contains("Unauthorized"), "{error}");
    let text = all_text(&error);
    assert!(!text.contains("sup3r"), "{text}");
    assert!(text.contains("**********"), "{text}");
    assert!(text.contains("x=1"), "{text}");
    assert_eq!(
        server.received()[0].query("api_key").as_deref(),
        Some("sup3r-s3cret%2Bkey%2F%3D")
    );
}

#[tokio::test]
async fn the_table_is_overridden_per_status_and_range() {
    let server = TestServer::script(vec![
        Reply::status(404, "gone"),
        Reply::status(418, "teapot"),
    ])
    .await;
    let table = StatusTable::default()
        .with(404, Resolution::ignore())
        .with_range(
            410..=499,
            Resolution::fail(FailureType::ConfigError).with_message("Teapots are not supported."),
        );
    let http = client(HttpClient::builder().statuses(table).retry(fast(5)));
    let ignored = http
        .send(http.get(server.url("/a")))
        .await
        .expect("ignored, not an error");
    assert!(ignored.is_ignored());
    assert_eq!(ignored.status().as_u16(), 404);
    let error = get_fails(&http, server.url("/b")).await;
    assert_eq!(error.failure_type(), FailureType::ConfigError);
    assert_eq!(error.to_string(), "Teapots are not supported.");
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn a_stalled_server_times_out_instead_of_hanging() {
    let server = TestServer::script(vec![Reply::Stall]).await;
    let http = client(
        HttpClient::builder()
            .read_timeout(Duration::from_millis(200))
            .retry(fast(1)),
    );
    let started = Instant::now();
    let sent = tokio::time::timeout(
        Duration::from_secs(10),
        http.send(http.get(server.url("/slow"))),
    );
    let error = sent.await.expect("no hang").expect_err("a timeout");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(400),
        "two attempts of 200 ms: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(error.failure_type(), FailureType::TransientError);
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("Exhausted available request attempts"),
        "{error}"
    );
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn a_body_that_stalls_midway_times_out_too() {
    // Headers promise 100 bytes; the body never comes.
    let server = TestServer::script(vec![Reply::Respond {
        status: 200,
        headers: vec![("content-length".into(), "100".into())],
        body: String::new(),
        delay: Duration::ZERO,
    }])
    .await;
    let http = client(
        HttpClient::builder()
            .read_timeout(Duration::from_millis(200))
            .retry(RetryPolicy::none()),
    );
    let sent = tokio::time::timeout(
        Duration::from_secs(10),
        http.send(http.get(server.url("/"))),
    );
    let error = sent.await.expect("no hang").expect_err("an error");
    assert_eq!(error.failure_type(), FailureType::TransientError);
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let http = client(HttpClient::builder().retry(fast(2)));
    let error = get_fails(&http, format!("http://127.0.0.1:{port}/")).await;
    assert_eq!(error.failure_type(), FailureType::TransientError);
    assert!(error.to_string().contains("Could not connect: "), "{error}");
    assert_eq!(http.requests_sent(), 3);
}

#[tokio::test]
async fn rate_limits_that_never_lift_say_so() {
    let server = TestServer::script(vec![Reply::status(429, "")]).await;
    let http = client(HttpClient::builder().retry(fast(2)));
    let error = get_fails(&http, server.url("/")).await;
    assert_eq!(error.failure_type(), FailureType::TransientError);
    assert_eq!(error.to_string(), "API rate limit exceeded.");
    assert!(
        error
            .internal_message()
            .expect("internal")
            .contains("Rate limit retry budget exhausted after 3 attempts")
    );
}

#[tokio::test]
async fn requests_in_flight_are_bounded() {
    let server =
        TestServer::start(|_, _| Reply::status(200, "ok").after(Duration::from_millis(50))).await;
    let http = client(HttpClient::builder().max_in_flight(3));
    let sends = (0..12).map(|i| {
        let http = http.clone();
        let url = server.url(&format!("/items/{i}"));
        tokio::spawn(async move { http.send(http.get(url)).await.map(|r| r.status().as_u16()) })
    });
    for send in sends.collect::<Vec<_>>() {
        assert_eq!(send.await.expect("task").expect("response"), 200);
    }
    assert_eq!(server.received().len(), 12);
    assert_eq!(
        server.max_in_flight(),
        3,
        "at most 3 at once, and 3 were reached"
    );
}

#[tokio::test]
async fn the_request_budget_is_a_hard_stop() {
    let server = TestServer::script(vec![Reply::status(200, "ok")]).await;
    let http = client(HttpClient::builder().max_requests(2));
    http.send(http.get(server.url("/1"))).await.expect("first");
    http.clone()
        .send(http.get(server.url("/2")))
        .await
        .expect("second, from a clone");
    let error = get_fails(&http, server.url("/3")).await;
    assert_eq!(error.failure_type(), FailureType::TransientError);
    assert!(error.to_string().contains("request budget"), "{error}");
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn retries_count_against_the_budget() {
    let server = TestServer::script(vec![Reply::status(500, "")]).await;
    let http = client(HttpClient::builder().max_requests(2).retry(fast(5)));
    let error = get_fails(&http, server.url("/")).await;
    assert!(error.to_string().contains("request budget"), "{error}");
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn a_minimum_interval_paces_requests() {
    let server = TestServer::script(vec![Reply::status(200, "ok")]).await;
    let http = client(HttpClient::builder().min_interval(Duration::from_millis(60)));
    for _ in 0..3 {
        http.send(http.get(server.url("/")))
            .await
            .expect("response");
    }
    let at: Vec<Instant> = server.received().iter().map(|r| r.at).collect();
    for pair in at.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(55),
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn constant_backoff_waits_the_same_each_time() {
    let server = TestServer::script(vec![
        Reply::status(500, ""),
        Reply::status(500, ""),
        Reply::status(200, ""),
    ])
    .await;
    let policy = RetryPolicy {
        backoff: Backoff::Constant(Duration::from_millis(40)),
        ..RetryPolicy::default()
    };
    let http = client(HttpClient::builder().retry(policy));
    http.send(http.get(server.url("/")))
        .await
        .expect("third time lucky");
    let at: Vec<Instant> = server.received().iter().map(|r| r.at).collect();
    assert!(
        at[1] - at[0] >= Duration::from_millis(40) && at[2] - at[1] >= Duration::from_millis(40)
    );
}

#[tokio::test]
async fn https_works_with_an_added_root() {
    let server = TestServer::start_tls(|r, _| Reply::json(200, json!({"path": r.target}))).await;
    let http = client(HttpClient::builder().root_certificates_pem(TEST_CA_PEM));
    let response = http
        .send(http.get(server.url("/secure?a=1")))
        .await
        .expect("TLS response");
    assert_eq!(
        response.json::<serde_json::Value>().expect("json")["path"],
        "/secure?a=1"
    );
    // Without the test CA the certificate is unknown: no response.
    let untrusting = client(HttpClient::builder().retry(RetryPolicy::none()));
    let error = get_fails(&untrusting, server.url("/")).await;
    assert_eq!(error.failure_type(), FailureType::TransientError);
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_bad_root_certificate_is_a_config_error() {
    let error = HttpClient::builder()
        .root_certificates_pem("not a certificate")
        .build()
        .expect_err("bad PEM");
    assert_eq!(error.failure_type(), FailureType::ConfigError);
}

#[tokio::test]
async fn the_client_sends_what_it_is_given() {
    let server = TestServer::start(|r, _| {
        Reply::json(200, json!({"body": r.body, "ua": r.header("user-agent")}))
    })
    .await;
    let http = client(HttpClient::builder().user_agent("my-connector/1.0"));
    let request = http.post(server.url("/things")).body(r#"{"a":1}"#);
    let response = http.send(request).await.expect("response");
    let body: serde_json::Value = response.json().expect("json");
    assert_eq!(
        body,
        json!({"body": r#"{"a":1}"#, "ua": "my-connector/1.0"})
    );
    assert_eq!(server.received()[0].method, "POST");
}

#[tokio::test]
async fn send_once_hands_back_any_status_and_names_a_transport_failure() {
    let server = TestServer::script(vec![
        Reply::json(503, serde_json::json!({"error": "busy"})),
        Reply::Stall,
    ])
    .await;
    let http = client(HttpClient::builder().read_timeout(Duration::from_millis(200)));
    let answered = http
        .send_once(http.get(server.url("/a")))
        .await
        .expect("within the limits")
        .expect("a response");
    assert_eq!(answered.status().as_u16(), 503, "no retry, no table");
    let stalled = tokio::time::timeout(
        Duration::from_secs(10),
        http.send_once(http.get(server.url("/b"))),
    )
    .await
    .expect("no hang")
    .expect("within the limits")
    .expect_err("no response");
    assert_eq!(stalled.kind, TransportKind::ReadTimeout, "{stalled:?}");
    assert!(stalled.message.contains("timed out"), "{stalled:?}");
    assert_eq!(server.received().len(), 2, "one attempt each");
}
