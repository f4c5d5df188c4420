//! Pagination compared with airbyte-cdk's `DefaultPaginator` and
//! `NoPagination` (the `cdk` test venv): the same responses, record counts
//! and previous tokens give the same next tokens; the same tokens give the
//! same request options and paths; the same `Link` headers parse alike.

mod against_python;
mod common;

use serde_json::{Value, json};
use source_http::Error;
use source_http::interpolation::Jinja;
use source_http::paginator::{Page, Paginator, links};
use source_http::records::decode_json;
use source_http::requester::HttpResponse;

fn error(e: Error) -> Value {
    against_python::error_answer(e)
}

fn headers_of(q: &Value) -> Vec<(String, String)> {
    serde_json::from_value(q["headers"].clone()).unwrap_or_default()
}

fn ours(q: &Value, jinja: &Jinja) -> Value {
    let config = &q["config"];
    if q["kind"] == "links" {
        let headers = headers_of(q);
        let response = HttpResponse {
            status: 200,
            reason: "OK",
            url: "",
            headers: &headers,
            body: b"",
        };
        return json!({ "links": links(&response) });
    }
    let paginator = match Paginator::from_manifest(q.get("paginator"), jinja, config) {
        Ok(p) => p,
        Err(e) => return error(e),
    };
    let run = || -> Result<Value, Error> {
        if q["kind"] == "next" {
            let headers = headers_of(q);
            let raw = q["body"].as_str().unwrap_or_default().as_bytes();
            let body =
                std::sync::Arc::new(decode_json(raw).into_iter().next().unwrap_or(json!({})));
            let response = HttpResponse {
                status: 200,
                reason: "OK",
                url: "https://api.io/x",
                headers: &headers,
                body: raw,
            };
            let page = Page {
                response: &response,
                body: &body,
                emitted: q["emitted"].as_u64().unwrap_or(0) as usize,
                extracted: q["extracted"].as_u64().map(|n| n as usize),
                last_record: Some(&q["last_record"]).filter(|r| !r.is_null()),
                stream_slice: Some(&q["slice"]),
            };
            let last = Some(&q["last"]).filter(|t| !t.is_null());
            let next = paginator.next_page_token(&page, last, jinja, config)?;
            return Ok(json!({ "next": next }));
        }
        let token = Some(&q["token"]).filter(|t| !t.is_null());
        let options = paginator.request_options(token, jinja, config)?;
        Ok(json!({
            "initial": paginator.initial_token(),
            "page_size": paginator.page_size(jinja, config)?,
            "path": paginator.path(token),
            "params": options.params, "headers": options.headers,
            "body_data": options.body_data, "body_json": options.body_json,
        }))
    };
    run().unwrap_or_else(error)
}

fn compare(queries: &[Value]) -> Vec<Value> {
    let jinja = Jinja::new();
    against_python::compare("paginate.py", queries, |q| ours(q, &jinja), Value::clone)
}

fn strategy(s: Value) -> Value {
    json!({"type": "DefaultPaginator", "pagination_strategy": s})
}

fn paginators() -> Vec<Value> {
    let mut with_options =
        strategy(json!({"type": "OffsetIncrement", "page_size": "{{ config.size }}"}));
    with_options["page_size_option"] =
        json!({"type": "RequestOption", "inject_into": "request_parameter", "field_name": "limit"});
    vec![
        Value::Null,
        json!({"type": "NoPagination"}),
        strategy(
            json!({"type": "CursorPagination", "cursor_value": "{{ response.next }}",
            "stop_condition": "{{ not response.has_more }}"}),
        ),
        strategy(json!({"type": "CursorPagination", "cursor_value": "{{ response.next }}"})),
        strategy(
            json!({"type": "CursorPagination", "cursor_value": "{{ headers.link.next.url }}",
            "stop_condition": "{{ 'next' not in headers.link }}"}),
        ),
        strategy(json!({"type": "CursorPagination", "cursor_value": "{{ headers['X-Next'] }}"})),
        strategy(
            json!({"type": "CursorPagination", "cursor_value": "{{ last_record.id }}",
            "stop_condition": "{{ last_page_size < page_size }}", "page_size": 2}),
        ),
        strategy(
            json!({"type": "CursorPagination", "cursor_value": "{{ response.get('next', {}) }}"}),
        ),
        strategy(json!({"type": "CursorPagination", "cursor_value": "{{ response.cursor }}"})),
        strategy(
            json!({"type": "CursorPagination", "cursor_value": "{{ stream_slice.id }}-{{ response.n }}",
            "stop_condition": "{{ response.n is none }}"}),
        ),
        strategy(
            json!({"type": "CursorPagination", "cursor_value": "{{ last_page_size }}",
            "stop_condition": "{{ last_page_size == 0 }}"}),
        ),
        strategy(json!({"type": "CursorPagination", "cursor_value": "x",
            "stop_condition": "{{ last_page_size < page_size }}"})),
        strategy(
            json!({"type": "CursorPagination", "cursor_value": "{{ response.next }}", "page_size": "{{ config.size }}"}),
        ),
        strategy(
            json!({"type": "CursorPagination", "cursor_value": "{{ response.next }}", "page_size": "{{ config.word }}"}),
        ),
        strategy(json!({"type": "OffsetIncrement", "page_size": 2})),
        strategy(json!({"type": "OffsetIncrement", "page_size": "{{ response.size }}"})),
        strategy(json!({"type": "OffsetIncrement"})),
        strategy(
            json!({"type": "OffsetIncrement", "page_size": 2, "inject_on_first_request": true}),
        ),
        strategy(json!({"type": "OffsetIncrement", "page_size": 0})),
        with_options,
        strategy(json!({"type": "PageIncrement", "page_size": 2, "start_from_page": 1})),
        strategy(json!({"type": "PageIncrement"})),
        strategy(
            json!({"type": "PageIncrement", "page_size": "{{ config.size }}", "inject_on_first_request": true}),
        ),
        strategy(
            json!({"type": "PageIncrement", "page_size": 2, "start_from_page": 5, "inject_on_first_request": true}),
        ),
        strategy(json!({"type": "FancyPagination"})),
        json!({"type": "DefaultPaginator"}),
    ]
}

#[test]
fn next_tokens_agree_with_the_cdk() {
    let link = "<https://api.io/x?page=2>; rel=\"next\", <https://api.io/x?page=9>; rel=\"last\"";
    let responses = [
        (
            json!(r#"{"next": "abc", "has_more": true, "size": 2, "n": 1, "cursor": 0}"#),
            json!([]),
            2,
            json!(2),
            json!({"id": 7}),
        ),
        (
            json!(r#"{"next": null, "has_more": false}"#),
            json!([]),
            0,
            json!(0),
            Value::Null,
        ),
        (
            json!(r#"[{"next": "first", "n": 4}, {"next": "second"}]"#),
            json!([]),
            1,
            json!(3),
            json!({"id": "z"}),
        ),
        (json!("not json"), json!([]), 1, json!(1), json!({"id": 1})),
        (
            json!("{}"),
            json!([["Link", link], ["X-Next", "hdr"]]),
            2,
            Value::Null,
            json!({"id": 2}),
        ),
        (
            json!(r#"{"next": "", "has_more": true, "size": 5}"#),
            json!([["link", "<https://api.io/y>; rel=prev"]]),
            3,
            json!(5),
            json!({"id": 3}),
        ),
        (
            json!(r#"{"next": 12, "size": "2", "n": null}"#),
            json!([]),
            2,
            json!(2),
            json!({"id": 4}),
        ),
        (
            json!(r#"{"next": {"k": 1}, "has_more": "yes", "size": 1}"#),
            json!([]),
            2,
            json!(1),
            json!({"id": 5}),
        ),
        (
            json!(r#"{"next": "True"}"#),
            json!([]),
            5,
            json!(5),
            json!({}),
        ),
    ];
    let lasts = [Value::Null, json!(0), json!(10), json!("abc")];
    let config = json!({"size": 2, "word": "many"});
    let mut queries = Vec::new();
    for paginator in paginators() {
        for (body, headers, emitted, extracted, last_record) in &responses {
            for last in &lasts {
                queries.push(
                    json!({"kind": "next", "paginator": paginator, "config": config, "body": body,
                    "headers": headers, "emitted": emitted, "extracted": extracted,
                    "last_record": last_record, "last": last, "slice": {"id": 9}}),
                );
            }
        }
    }
    let answers = compare(&queries);
    let ends = answers.iter().filter(|a| a["next"].is_null()).count();
    assert!(ends > 50 && ends < answers.len() - 50, "{ends} ends");
}

#[test]
fn request_options_agree_with_the_cdk() {
    let option = |inject_into: &str, name: &str| json!({"type": "RequestOption", "inject_into": inject_into, "field_name": name});
    let mut paginators = paginators();
    for (size, token) in [
        (
            option("request_parameter", "limit"),
            option("request_parameter", "offset"),
        ),
        (option("header", "X-Limit"), option("header", "X-Offset")),
        (
            option("body_data", "limit"),
            option("body_json", "{{ config.word }}"),
        ),
        (
            json!({"type": "RequestOption", "inject_into": "body_json", "field_path": ["page", "size"]}),
            json!({"type": "RequestOption", "inject_into": "body_json", "field_path": ["page", "token"]}),
        ),
        (
            option("request_parameter", "limit"),
            json!({"type": "RequestPath"}),
        ),
        (
            option("request_parameter", "x"),
            option("request_parameter", "x"),
        ),
        (
            option("header", "limit"),
            option("request_parameter", "limit"),
        ),
    ] {
        for s in [
            json!({"type": "OffsetIncrement", "page_size": 20}),
            json!({"type": "PageIncrement", "page_size": "{{ config.size }}", "inject_on_first_request": true}),
            json!({"type": "CursorPagination", "cursor_value": "{{ response.next }}", "page_size": 3}),
            json!({"type": "CursorPagination", "cursor_value": "{{ response.next }}"}),
        ] {
            let mut p = strategy(s);
            p["page_size_option"] = size.clone();
            p["page_token_option"] = token.clone();
            paginators.push(p.clone());
            p.as_object_mut().map(|m| m.remove("page_size_option"));
            paginators.push(p);
        }
    }
    let tokens = [
        Value::Null,
        json!(0),
        json!(40),
        json!("cursor-1"),
        json!("https://api.io/next?page=2"),
        json!(""),
        json!(false),
    ];
    let config = json!({"size": 2, "word": "many"});
    let mut queries = Vec::new();
    for paginator in &paginators {
        for token in &tokens {
            queries.push(
                json!({"kind": "options", "paginator": paginator, "config": config, "token": token}),
            );
        }
    }
    compare(&queries);
}

#[test]
fn link_headers_agree_with_requests() {
    let values = [
        "<https://api.io/x?page=2>; rel=\"next\", <https://api.io/x?page=9>; rel=\"last\"",
        "<https://api.io/x?page=2>;rel=next,<https://api.io/x?page=1>;rel=first",
        "<https://api.io/x?page=2>; rel=\"next\"; title=\"Next page\"",
        "<https://api.io/a>, <https://api.io/b>",
        "<https://api.io/a>; rel=\"\"",
        "<https://api.io/a>; rel=next; weird; title=x",
        "<https://api.io/a?x=1,2>; rel=next",
        "<https://api.io/a>; rel=next; u=\"a=b\"",
        "'<https://api.io/q>; rel=next'",
        "",
        "   ",
        "garbage",
        "<https://api.io/a>; rel=\"next last\"",
        "<https://api.io/a>; rel=next, <https://api.io/b>; rel=next",
        "<https://api.io/a>; REL=next",
    ];
    let mut queries: Vec<Value> = values
        .iter()
        .map(|v| json!({"kind": "links", "headers": [["Link", v]]}))
        .collect();
    queries.push(json!({"kind": "links", "headers": [["link", "<https://a/1>; rel=next"], ["LINK", "<https://a/9>; rel=last"]]}));
    queries.push(json!({"kind": "links", "headers": [["X-Other", "1"]]}));
    compare(&queries);
}
