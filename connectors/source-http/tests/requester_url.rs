//! URLs compared with Python (the `cdk` test venv): `urllib.parse.urljoin`,
//! `HttpRequester._join_url` and `_get_url`, `HttpClient._dedupe_query_params`
//! and requests' URL preparation give the same URLs, and refuse the same
//! ones with the same error.

mod against_python;
mod common;

use serde_json::{Map, Value, json};
use source_http::Error;
use source_http::interpolation::Jinja;
use source_http::requester::{
    HttpRequester, RequestContext, dedupe_query_params, join_url, prepare_url, urljoin,
};

fn answer(result: Result<Value, Error>) -> Value {
    result.map_or_else(against_python::error_answer, |v| json!({ "value": v }))
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn compare(queries: &[Value], ours: impl Fn(&Value) -> Value) {
    against_python::compare("urls.py", queries, ours, Value::clone);
}

const BASES: &[&str] = &[
    "https://api.example.com/v1/",
    "https://api.example.com/v1",
    "https://api.example.com",
    "https://api.example.com/v1/users?x=1",
    "https://api.example.com/v1/a;p?q#f",
    "http://a/b/c/d;p?q",
    "https://user:pw@api.io/x/",
    "HTTPS://API.io/Path/",
    "https://api.io/a/b/",
];

const RELATIVES: &[&str] = &[
    "",
    "users",
    "/users",
    "users/",
    "./users",
    "../users",
    "../../../x",
    "?page=2",
    "#frag",
    "//other.io/p",
    "https://next.io/page?cursor=abc",
    "http://api.example.com/p",
    "users?limit=5&x=a b",
    ".",
    "..",
    "a/./b/../c",
    ";x",
    "users;v=1",
    "g?y/./x",
    "mailto:x@y",
    "/a/../b",
    "https:users",
    "https:/users",
    "ftp://x/y",
    "  users",
    "\tusers",
    "a//b",
    "%2e%2e/x",
    "g;x=1/../y",
    "//[::1]:8080/x",
    "//[bad/x",
    "HTTPS://API.io/next",
];

#[test]
fn urljoin_agrees_with_python() {
    let mut queries = Vec::new();
    for base in BASES {
        for url in RELATIVES {
            queries.push(json!({"kind": "urljoin", "base": base, "url": url}));
        }
    }
    queries.push(json!({"kind": "urljoin", "base": "", "url": "users"}));
    compare(&queries, |q| {
        answer(urljoin(&text(q, "base"), &text(q, "url")).map(Value::String))
    });
}

#[test]
fn join_url_agrees_with_the_requester() {
    let bases = [
        "https://api.example.com/v1",
        "https://api.example.com/v1/",
        "https://api.example.com",
        "https://api.example.com/v1?key=1",
        "https://api.example.com/v1/resource.json",
    ];
    let paths = [
        "",
        "users",
        "users/1",
        "/users",
        "https://other.io/next?page=2",
        "?page=3",
        "../up",
        "users?x=1",
        "2",
    ];
    let mut queries = Vec::new();
    for base in bases {
        for path in paths {
            queries.push(json!({"kind": "join_url", "url_base": base, "path": path}));
        }
    }
    compare(&queries, |q| {
        answer(join_url(&text(q, "url_base"), &text(q, "path")).map(Value::String))
    });
}

#[test]
fn prepared_urls_agree_with_requests() {
    let urls = [
        "https://API.Example.com/v1/users",
        "https://a.io",
        "https://a.io?x=1",
        "https://a.io/p?x=1&y=",
        "https://a.io/p q/é?z=ü",
        "https://a.io/%7Euser/%zz",
        "https://a.io/%7euser/%41%2f",
        "https://a.io/a/./b/../c",
        "https://a.io/a/b/..",
        "a.io/users",
        "",
        "https://",
        "https://a.io:8080/x",
        "https://a.io:0/x",
        "https://a.io:99999/x",
        "https://a.io:080/x",
        "https://u:p w@a.io/x",
        "https://a.io/x#frag ment",
        "mailto:a@b.c",
        "https://[::1]:80/x",
        "https://[::1/x",
        "https://a.io/x?a=%41%zz",
        "https://*.io/",
        "https://.a.io/",
        "https://a b.io/",
        "https://a.io/x?q=a+b",
        "https://a.io/%E2%9C%93",
        "HTTP://A.IO/x",
        "  https://a.io/lead",
        "https://a.io/x?",
        "https://a.io/x?#",
        "https://a.io/{id}|[x]`^",
        "https://A.IO%2Fx/",
        "https://10.0.0.1/x",
        "https://a.io/x?k=\"v\"<>",
        "ftp://a.io/x",
        "https://a.io/%",
    ];
    let params = [
        json!([]),
        json!([["q", "a b"]]),
        json!([["k/1", "é&="], ["k", "v"], ["k", "~-_.!*'()"]]),
        json!([["x", "1"]]),
    ];
    let mut queries = Vec::new();
    for url in urls {
        for p in &params {
            queries.push(json!({"kind": "prepare", "url": url, "params": p}));
        }
    }
    compare(&queries, |q| {
        let params: Vec<(String, String)> =
            serde_json::from_value(q["params"].clone()).expect("pairs");
        answer(prepare_url(&text(q, "url"), &params).map(Value::String))
    });
}

#[test]
fn deduplication_agrees_with_the_http_client() {
    let cases = [
        (
            "https://a.io/p?a=1&b=2",
            json!({"a": "1", "b": "3", "c": "x"}),
        ),
        ("https://a.io/p?a=1", json!({"a": 1})),
        ("https://a.io/p?a=True", json!({"a": true})),
        ("https://a.io/p?a=1", json!({"a": ["1"]})),
        ("https://a.io/p?a=1&a=2", json!({"a": "2"})),
        ("https://a.io/p?a=1&a=2", json!({"a": "1"})),
        ("https://a.io/p?a=", json!({"a": ""})),
        ("https://a.io/p?a+b=c%20d", json!({"a b": "c d"})),
        ("https://a.io/p?x=1.0", json!({"x": 1.0})),
        ("https://a.io/p?x=None", json!({"x": null})),
        ("https://a.io/p", json!({"x": "1"})),
        ("https://a.io/p?=v&k", json!({"": "v", "k": ""})),
        ("https://a.io/p?%E2%9C%93=%E2%9C%93", json!({"✓": "✓"})),
    ];
    let queries: Vec<Value> = cases
        .iter()
        .map(|(url, params)| json!({"kind": "dedupe", "url": url, "params": params}))
        .collect();
    compare(&queries, |q| {
        let params: Map<String, Value> = q["params"].as_object().cloned().unwrap_or_default();
        answer(
            dedupe_query_params(&text(q, "url"), &params)
                .map(|kept| json!(kept.keys().collect::<Vec<_>>())),
        )
    });
}

#[test]
fn requester_urls_agree_with_the_cdk() {
    let requesters = [
        json!({"url_base": "https://api.io/v1", "path": "/users"}),
        json!({"url_base": "https://api.io/v1/", "path": "users/"}),
        json!({"url_base": "https://api.io/v1", "path": "//users"}),
        json!({"url_base": "https://api.io/v1"}),
        json!({"url_base": "https://api.io/v1/", "path": ""}),
        json!({"url": "https://api.io/v2/items"}),
        json!({"url": "https://api.io/v2/", "path": "items"}),
        json!({"url": "https://ignored.io/", "url_base": "https://api.io", "path": "x"}),
        json!({"url_base": "{{ config.base }}", "path": "/{{ parameters.p }}/{{ stream_slice.id }}"}),
        json!({"url_base": "https://api.io", "path": "/items/{{ next_page_token.next_page_token }}"}),
        json!({"url_base": "https://api.io", "path": "{{ config.n }}"}),
        json!({"url_base": "https://api.io", "path": "/users?sort=asc"}),
        json!({"url_base": "https://api.io/{{ config.missing }}", "path": "/users"}),
    ];
    let tokens = [json!(null), json!("abc"), json!(3)];
    let paths = [
        json!(null),
        json!("https://api.io/v1/users?page=2"),
        json!("/next/page"),
        json!("next?c=1"),
        json!("2"),
    ];
    let config = json!({"base": "https://cfg.io/api", "n": "1e5"});
    let mut queries = Vec::new();
    for r in &requesters {
        let mut requester = r.clone();
        requester["type"] = json!("HttpRequester");
        requester["$parameters"] = json!({"p": "things"});
        for token in &tokens {
            for path in &paths {
                queries.push(
                    json!({"kind": "requester", "requester": requester, "config": config,
                    "token": token, "path": path, "partition": {"id": 7}}),
                );
            }
        }
    }
    let jinja = Jinja::new();
    compare(&queries, |q| {
        let requester = match HttpRequester::from_manifest(&q["requester"], &jinja, &config) {
            Ok(r) => r,
            Err(e) => return answer(Err(e)),
        };
        let slice = q["partition"].clone();
        let token = Some(&q["token"]).filter(|t| !t.is_null());
        let context = RequestContext {
            config: &config,
            stream_slice: Some(&slice),
            extra_fields: None,
            next_page_token: token,
        };
        answer(
            requester
                .request_url(&jinja, &context, q["path"].as_str())
                .map(Value::String),
        )
    });
}
