//! The HTTP kit's paginators against real local servers: `Link` header and
//! body cursors, offsets, page numbers, stop conditions, and a repeated
//! next-page token as an error.
#![cfg(feature = "http")]

mod common_http;

use airbyte_sdk::http::reqwest::header::HeaderName;
use airbyte_sdk::http::{
    CursorFrom, CursorPaginator, HttpClient, OffsetPaginator, PagePaginator, Paginator, Resolution,
    StatusTable, TokenTo, read_pages,
};
use airbyte_sdk::protocol::FailureType;
use common_http::{Received, Reply, TestServer};
use serde_json::{Value, json};

fn client() -> HttpClient {
    HttpClient::new().expect("client")
}

/// Reads every page, returning the `n` of every item.
async fn read_all<P: Paginator>(
    server: &TestServer,
    paginator: &mut P,
    path: &str,
) -> Result<Vec<u64>, airbyte_sdk::Error> {
    let http = client();
    let url = server.url(path);
    let mut seen = Vec::new();
    read_pages(
        &http,
        paginator,
        || http.get(&url),
        |_, body| {
            let items = body["items"].as_array().cloned().unwrap_or_default();
            seen.extend(items.iter().filter_map(|i| i["n"].as_u64()));
            Ok(items.len())
        },
    )
    .await?;
    Ok(seen)
}

fn items(range: std::ops::Range<u64>) -> Value {
    json!(range.map(|n| json!({"n": n})).collect::<Vec<_>>())
}

fn targets(server: &TestServer) -> Vec<String> {
    server
        .received()
        .into_iter()
        .map(|r: Received| r.target)
        .collect()
}

#[tokio::test]
async fn link_header_pages_are_followed_to_the_end() {
    let server = TestServer::start(|r, _| {
        let page: u64 = r.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let reply = Reply::json(200, json!({"items": items(page * 10..page * 10 + 2)}));
        match page {
            // A relative link, with other links around it.
            1 => reply.header(
                "Link",
                r#"</items?page=0>; rel="prev", </items?page=2&per_page=2>; rel="next""#,
            ),
            // An absolute one, rel among others.
            2 => reply.header(
                "Link",
                &format!(
                    r#"<http://{}/items?page=3&per_page=2>; rel="last next""#,
                    r.header("host").unwrap_or_default()
                ),
            ),
            _ => reply.header("Link", r#"</items?page=1>; rel="first""#),
        }
    })
    .await;
    let mut pages = CursorPaginator::link_header();
    let seen = read_all(&server, &mut pages, "/items?per_page=2")
        .await
        .expect("pages");
    assert_eq!(seen, [10, 11, 20, 21, 30, 31]);
    assert_eq!(
        targets(&server),
        [
            "/items?per_page=2",
            "/items?page=2&per_page=2",
            "/items?page=3&per_page=2"
        ]
    );
}

#[tokio::test]
async fn a_body_cursor_is_sent_back_until_it_is_null() {
    let server = TestServer::start(|r, _| {
        let (data, next) = match r.query("cursor").as_deref() {
            None => (items(0..2), json!("c-2")),
            Some("c-2") => (items(2..4), json!("c-3")),
            _ => (items(4..5), Value::Null),
        };
        Reply::json(200, json!({"items": data, "meta": {"next_cursor": next}}))
    })
    .await;
    let mut pages = CursorPaginator::body("/meta/next_cursor", "cursor");
    let seen = read_all(&server, &mut pages, "/items?limit=2")
        .await
        .expect("pages");
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    assert_eq!(
        targets(&server),
        [
            "/items?limit=2",
            "/items?limit=2&cursor=c-2",
            "/items?limit=2&cursor=c-3"
        ]
    );
}

#[tokio::test]
async fn a_next_url_in_the_body_and_a_header_cursor() {
    let server = TestServer::start(|r, _| match r.target.as_str() {
        "/a" => Reply::json(200, json!({"items": items(0..1), "next": "/a?p=2"})),
        "/a?p=2" => Reply::json(200, json!({"items": items(1..2), "next": ""})),
        _ => match r.header("x-page-token") {
            None => Reply::json(200, json!({"items": items(5..6)})).header("x-next-page", "t2"),
            Some(_) => Reply::json(200, json!({"items": items(6..7)})),
        },
    })
    .await;
    let mut pages = CursorPaginator::body_url("/next");
    assert_eq!(
        read_all(&server, &mut pages, "/a").await.expect("pages"),
        [0, 1]
    );
    let mut pages = CursorPaginator::new(
        CursorFrom::Header(HeaderName::from_static("x-next-page")),
        TokenTo::Header(HeaderName::from_static("x-page-token")),
    );
    assert_eq!(
        read_all(&server, &mut pages, "/b").await.expect("pages"),
        [5, 6]
    );
}

/// An API of `total` items paged by `limit`/`offset`.
async fn offset_server(total: u64) -> TestServer {
    TestServer::start(move |r, _| {
        let offset: u64 = r.query("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
        let limit: u64 = r.query("limit").and_then(|o| o.parse().ok()).unwrap_or(100);
        Reply::json(
            200,
            json!({"items": items(offset.min(total)..(offset + limit).min(total))}),
        )
    })
    .await
}

#[tokio::test]
async fn offsets_stop_at_a_short_page() {
    let server = offset_server(7).await;
    let mut pages = OffsetPaginator::new(3);
    assert_eq!(
        read_all(&server, &mut pages, "/items")
            .await
            .expect("pages"),
        (0..7).collect::<Vec<_>>()
    );
    assert_eq!(
        targets(&server),
        [
            "/items?limit=3&offset=0",
            "/items?limit=3&offset=3",
            "/items?limit=3&offset=6"
        ]
    );
}

#[tokio::test]
async fn offsets_stop_at_an_empty_page() {
    let server = offset_server(6).await;
    let mut pages = OffsetPaginator::new(3);
    assert_eq!(
        read_all(&server, &mut pages, "/items")
            .await
            .expect("pages")
            .len(),
        6
    );
    assert_eq!(
        targets(&server),
        [
            "/items?limit=3&offset=0",
            "/items?limit=3&offset=3",
            "/items?limit=3&offset=6"
        ],
        "two full pages, then the empty third ends it"
    );
}

#[tokio::test]
async fn offset_parameters_are_named_by_the_caller() {
    let server = TestServer::start(|r, _| {
        let skip: u64 = r.query("skip").and_then(|o| o.parse().ok()).unwrap_or(0);
        Reply::json(200, json!({"items": items(skip.min(5)..(skip + 2).min(5))}))
    })
    .await;
    let mut pages = OffsetPaginator::new(2).params("count", "skip").start_at(1);
    assert_eq!(
        read_all(&server, &mut pages, "/items")
            .await
            .expect("pages"),
        [1, 2, 3, 4]
    );
    assert_eq!(
        targets(&server),
        [
            "/items?count=2&skip=1",
            "/items?count=2&skip=3",
            "/items?count=2&skip=5"
        ]
    );
    pages.reset();
    assert_eq!(pages.offset(), 1);
}

#[tokio::test]
async fn page_numbers_count_up_from_the_start() {
    let server = TestServer::start(|r, _| {
        let page: u64 = r.query("p").and_then(|p| p.parse().ok()).unwrap_or(0);
        let data = match page {
            1 => items(0..2),
            2 => items(2..4),
            3 => items(4..5),
            _ => items(0..0),
        };
        Reply::json(200, json!({"items": data}))
    })
    .await;
    let mut pages = PagePaginator::new(Some(2)).start_at(1).params("p", "size");
    assert_eq!(
        read_all(&server, &mut pages, "/items")
            .await
            .expect("pages"),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(
        targets(&server),
        [
            "/items?p=1&size=2",
            "/items?p=2&size=2",
            "/items?p=3&size=2"
        ]
    );
    // Without a page size, only an empty page ends it; reset goes back to the start.
    let mut pages = PagePaginator::new(None).start_at(1).params("p", "size");
    assert_eq!(
        read_all(&server, &mut pages, "/items")
            .await
            .expect("pages")
            .len(),
        5
    );
    pages.reset();
    assert_eq!(pages.page(), 1);
    assert_eq!(targets(&server).len(), 3 + 4);
}

#[tokio::test]
async fn a_repeated_body_token_is_an_error_not_a_loop() {
    let server =
        TestServer::start(|_, _| Reply::json(200, json!({"items": items(0..1), "next": "same"})))
            .await;
    let mut pages = CursorPaginator::body("/next", "cursor");
    let error = read_all(&server, &mut pages, "/items")
        .await
        .expect_err("a loop");
    assert_eq!(error.failure_type(), FailureType::SystemError);
    assert!(
        error
            .to_string()
            .contains("the same next-page token twice ('same')"),
        "{error}"
    );
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn a_link_back_to_an_earlier_page_is_an_error() {
    let server = TestServer::start(|r, _| {
        let next = if r.target.contains("page=2") {
            "/items?page=1"
        } else {
            "/items?page=2"
        };
        Reply::json(200, json!({"items": items(0..1)}))
            .header("Link", &format!("<{next}>; rel=next"))
    })
    .await;
    let mut pages = CursorPaginator::link_header();
    let error = read_all(&server, &mut pages, "/items?page=1")
        .await
        .expect_err("a cycle");
    assert!(
        error.to_string().contains("same next-page token twice"),
        "{error}"
    );
    // page=1, page=2, page=1 again (the first URL was no token), then page=2 is named twice.
    assert_eq!(
        targets(&server),
        ["/items?page=1", "/items?page=2", "/items?page=1"]
    );
}

#[tokio::test]
async fn a_stop_condition_ends_the_pages() {
    let server = TestServer::start(|r, _| {
        let n: u64 = r.query("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
        Reply::json(
            200,
            json!({"items": items(n..n + 1), "next": n + 1, "has_more": n < 2}),
        )
    })
    .await;
    let mut pages =
        CursorPaginator::body("/next", "cursor").stop_when(|page| page.body["has_more"] == false);
    assert_eq!(
        read_all(&server, &mut pages, "/items")
            .await
            .expect("pages"),
        [0, 1, 2]
    );
    let mut offsets = OffsetPaginator::new(1).stop_when(|page| page.body["has_more"] == false);
    let server = TestServer::start(|r, _| {
        let n: u64 = r.query("offset").and_then(|c| c.parse().ok()).unwrap_or(0);
        Reply::json(200, json!({"items": items(n..n + 1), "has_more": n < 1}))
    })
    .await;
    assert_eq!(
        read_all(&server, &mut offsets, "/items")
            .await
            .expect("pages"),
        [0, 1]
    );
}

#[tokio::test]
async fn an_ignored_response_ends_the_pages() {
    let server = TestServer::script(vec![
        Reply::json(200, json!({"items": items(0..2), "next": "c2"})),
        Reply::status(403, "not yours"),
    ])
    .await;
    let http = HttpClient::builder()
        .statuses(StatusTable::default().with(403, Resolution::ignore()))
        .build()
        .expect("client");
    let mut pages = CursorPaginator::body("/next", "cursor");
    let url = server.url("/items");
    let mut records = 0;
    let read = read_pages(
        &http,
        &mut pages,
        || http.get(&url),
        |_, body| {
            records += body["items"].as_array().map_or(0, Vec::len);
            Ok(records)
        },
    )
    .await
    .expect("pages");
    assert_eq!((read, records), (1, 2));
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn reset_forgets_the_tokens_of_the_last_slice() {
    let server = TestServer::start(|r, _| {
        let next = if r.query("cursor").is_none() {
            json!("only")
        } else {
            Value::Null
        };
        Reply::json(200, json!({"items": items(0..1), "next": next}))
    })
    .await;
    let mut pages = CursorPaginator::body("/next", "cursor");
    read_all(&server, &mut pages, "/slice-a")
        .await
        .expect("first slice");
    pages.reset();
    read_all(&server, &mut pages, "/slice-b")
        .await
        .expect("the same token in another slice is fine");
    assert_eq!(
        targets(&server),
        [
            "/slice-a",
            "/slice-a?cursor=only",
            "/slice-b",
            "/slice-b?cursor=only"
        ]
    );
}
