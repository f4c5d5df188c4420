//! Requests built from every source's options, compared with the CDK (the
//! `cdk` test venv): `SimpleRetriever._fetch_next_page` with the
//! factory's `HttpRequester` and `DefaultPaginator`, a stub slicer and an
//! `ApiKeyAuthenticator`, down to the `PreparedRequest`.
//!
//! Key order is not compared (Python keeps insertion order, our maps are
//! sorted): the query's encoded pairs, form pairs and headers compare as
//! sets, a JSON body as a value. Everything else (encoding, typing,
//! collisions and their messages) is compared exactly.

mod against_python;
mod common;

use serde_json::{Map, Value, json};
use source_http::Error;
use source_http::interpolation::Jinja;
use source_http::paginator::Paginator;
use source_http::requester::{
    Body, HttpRequester, RequestContext, RequestOption, RequestOptions, RequestParts,
    RequestSources,
};

fn normalised(parts: &RequestParts) -> Value {
    let (base, query) = parts.url.split_once('?').unwrap_or((&parts.url, ""));
    let mut query: Vec<&str> = if query.is_empty() {
        Vec::new()
    } else {
        query.split('&').collect()
    };
    query.sort();
    let headers: Map<String, Value> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let body = match &parts.body {
        Body::None => Value::Null,
        Body::Json(v) => json!({ "json": v }),
        Body::Form(_) => {
            let text = String::from_utf8(parts.body.to_bytes().expect("bytes")).expect("ascii");
            let mut pairs: Vec<&str> = text.split('&').collect();
            pairs.sort();
            json!({ "form": pairs })
        }
        Body::Raw(t) => json!({ "raw": t }),
    };
    json!({"method": parts.method.as_str(), "url": base, "query": query, "headers": headers, "body": body})
}

fn options(v: &Value) -> RequestOptions {
    let part = |k: &str| v[k].as_object().cloned().unwrap_or_default();
    RequestOptions {
        params: part("params"),
        headers: part("headers"),
        body_data: part("body_data"),
        body_json: part("body_json"),
    }
}

fn ours(q: &Value, jinja: &Jinja) -> Result<Value, Error> {
    let config = q["config"].clone();
    let requester = HttpRequester::from_manifest(&q["requester"], jinja, &config)?;
    let paginator = Paginator::from_manifest(q.get("paginator"), jinja, &config)?;
    let mut auth = RequestOptions::default();
    if let Some(a) = q.get("auth").filter(|a| !a.is_null()) {
        let option = RequestOption::from_manifest(&json!({"type": "RequestOption",
            "inject_into": a["inject_into"], "field_name": a["field_name"]}))?;
        let target = match a["inject_into"].as_str() {
            Some("header") => &mut auth.headers,
            Some("request_parameter") => &mut auth.params,
            Some("body_data") => &mut auth.body_data,
            _ => &mut auth.body_json,
        };
        option.inject(target, a["token"].clone(), jinja, &config)?;
    }
    let slicer = options(&q["slicer"]);
    let token = Some(&q["token"]).filter(|t| !t.is_null());
    let mut slice = q["partition"].as_object().cloned().unwrap_or_default();
    slice.extend(q["cursor_slice"].as_object().cloned().unwrap_or_default());
    let slice = Value::Object(slice);
    let context = RequestContext {
        config: &config,
        stream_slice: Some(&slice),
        extra_fields: None,
        next_page_token: token,
    };
    let page = paginator.request_options(token, jinja, &config)?;
    let path = paginator.path(token);
    let sources = RequestSources {
        paginator: &page,
        paginator_path: path.as_deref(),
        slicer: &slicer,
        auth: &auth,
    };
    Ok(normalised(&requester.build(jinja, &context, sources)?))
}

struct Case {
    requester: Value,
    paginator: Value,
    slicer: Value,
    auth: Value,
    tokens: Vec<Value>,
}

fn case(requester: Value) -> Case {
    Case {
        requester,
        paginator: Value::Null,
        slicer: json!({}),
        auth: Value::Null,
        tokens: vec![Value::Null],
    }
}

fn requester(fields: Value) -> Value {
    let mut r = json!({"type": "HttpRequester", "url_base": "https://api.example.com/v1", "path": "/items",
        "$parameters": {"p": "param-value"}});
    if let (Some(r), Some(fields)) = (r.as_object_mut(), fields.as_object()) {
        r.extend(fields.clone());
    }
    r
}

fn cases() -> Vec<Case> {
    let offset = json!({"type": "DefaultPaginator",
        "pagination_strategy": {"type": "OffsetIncrement", "page_size": 10},
        "page_size_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "limit"},
        "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "offset"}});
    let cursor_path = json!({"type": "DefaultPaginator",
        "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ response.next }}", "page_size": 10},
        "page_size_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "limit"},
        "page_token_option": {"type": "RequestPath"}});
    let page_headers = json!({"type": "DefaultPaginator",
        "pagination_strategy": {"type": "PageIncrement", "page_size": "{{ config.size }}", "start_from_page": 1},
        "page_size_option": {"type": "RequestOption", "inject_into": "header", "field_name": "X-Page-Size"},
        "page_token_option": {"type": "RequestOption", "inject_into": "body_data", "field_name": "page"}});
    let json_paths = json!({"type": "DefaultPaginator",
        "pagination_strategy": {"type": "OffsetIncrement", "page_size": 25, "inject_on_first_request": true},
        "page_size_option": {"type": "RequestOption", "inject_into": "body_json", "field_path": ["page", "size"]},
        "page_token_option": {"type": "RequestOption", "inject_into": "body_json", "field_path": ["page", "{{ config.key }}"]}});
    let mut out = vec![
        case(requester(json!({"request_parameters": {
            "int": "{{ config.n }}", "list": "{{ [1, 'a'] }}", "none": "{{ none }}", "missing": "{{ config.missing }}",
            "tuple": "{{ 1 }},{{ 2 }}", "dict": "{{ {'a': 1} }}", "empty": "{{ '' }}", "yaml_int": 5, "yaml_bool": true,
            "float": 1.5, "true": "{{ True }}", "slice": "{{ stream_slice.start }}", "param": "{{ parameters.p }}",
            "spaces": "a b&c=d/é", "{{ config.key }}": "dynamic-key", "join": "{{ ['x', 'y'] | join(',') }}"}}))),
        case(requester(
            json!({"request_parameters": "{{ {'a': 1, 'b': None, 'c': [1, 2], 'd': 'x y'} }}"}),
        )),
        case(requester(
            json!({"request_parameters": "{{ config.params }}"}),
        )),
        case(requester(json!({"request_parameters": "plain text"}))),
        case(requester(json!({"request_parameters": "{{ [1, 2] }}"}))),
        case(requester(
            json!({"request_headers": {"X-Int": "{{ config.n }}", "X-Bool": "{{ True }}", "X-None": "{{ None }}",
            "X-Missing": "{{ config.missing }}", "X-List": "{{ [1, 2] }}", "X-Yaml": 7, "X-Plain": "v",
            "X-Param": "{{ parameters.p }}"}}),
        )),
        case(requester(
            json!({"request_headers": "{{ {'A': 1, 'B': None} }}"}),
        )),
        case(requester(json!({"request_headers": "just text"}))),
        case(requester(json!({"request_headers": "{{ 5 }}"}))),
        case(requester(json!({"request_headers": {" Lead": "x"}}))),
        case(requester(json!({"request_headers": {"Lead": " x"}}))),
        case(requester(json!({"request_headers": {"Bad:Name": "x"}}))),
        case(requester(
            json!({"http_method": "POST", "request_body_json": {
            "num": "478", "none": "None", "dict": "{'a': 1}", "json": "{\"x\": [1, null]}", "nested": {"n": "{{ config.n }}",
            "gone": "{{ config.missing }}", "list": ["None", "1", {"k": "None"}]}, "1": "one", "{{ config.key }}": "k",
            "flag": true, "float": "1.50", "text": "2024-01-01", "u": "é✓"}}),
        )),
        case(requester(
            json!({"request_body_json": "{{ {'a': 1, 'b': None} }}"}),
        )),
        case(requester(
            json!({"request_body_json": "{{ config.missing }}"}),
        )),
        case(requester(json!({"request_body_json": "raw text"}))),
        case(requester(json!({"request_body_json": "{{ [1, 2] }}"}))),
        case(requester(
            json!({"http_method": "POST", "request_body_data": {"q": "a b&c", "n": "{{ config.n }}",
            "l": "{{ ['x', 'y'] }}", "none": "{{ config.missing }}"}}),
        )),
        case(requester(
            json!({"http_method": "POST", "request_body_data": "raw=1&body={{ config.n }}"}),
        )),
        case(requester(
            json!({"request_body_data": "{{ {'a': 1, 'b': [1, 2]} }}"}),
        )),
        case(requester(json!({"request_body_data": ""}))),
        case(requester(
            json!({"request_body_data": {"a": "1"}, "request_body_json": {"b": "2"}}),
        )),
        case(requester(
            json!({"http_method": "POST", "request_body": {"type": "RequestBodyJsonObject",
            "value": {"query": "{{ config.key }}", "limit": "10"}}}),
        )),
        case(requester(
            json!({"request_body": {"type": "RequestBodyUrlEncodedForm", "value": {"a": "1", "b": "{{ config.n }}"}}}),
        )),
        case(requester(
            json!({"request_body": {"type": "RequestBodyPlainText", "value": "hello {{ config.n }}"}}),
        )),
        case(requester(
            json!({"request_body": {"type": "RequestBodyGraphQL",
            "value": {"query": "{ items(first: {{ config.n }}) { id } }", "variables": {"a": 1}}}}),
        )),
        case(requester(
            json!({"request_body": {"type": "RequestBodyJsonObject", "value": {"a": 1}},
            "request_body_data": {"b": "2"}}),
        )),
        case(requester(
            json!({"path": "/items?limit=10&sort=asc", "request_parameters": {"limit": "10", "sort": "desc"}}),
        )),
        case(requester(
            json!({"path": "/items?limit=10", "request_parameters": {"limit": "{{ 10 }}"}}),
        )),
        case(requester(json!({"http_method": "PUT"}))),
    ];
    for paginator in [&offset, &cursor_path, &page_headers, &json_paths] {
        let mut c = case(requester(json!({"request_parameters": {"fixed": "1"}})));
        c.paginator = paginator.clone();
        c.tokens = vec![
            Value::Null,
            json!(0),
            json!(20),
            json!("https://api.example.com/v1/items?cursor=abc&limit=10"),
            json!("/other/path"),
            json!("next?c=2"),
        ];
        out.push(c);
    }
    // Collisions and merges.
    let mut c = case(requester(json!({"request_parameters": {"limit": "5"}})));
    c.paginator = offset.clone();
    out.push(c);
    let mut c = case(requester(json!({"request_parameters": {"a": "1"}})));
    c.slicer = json!({"params": {"a": "1"}});
    out.push(c);
    let mut c = case(requester(
        json!({"request_headers": {"Authorization": "Bearer x"}}),
    ));
    c.auth = json!({"inject_into": "header", "field_name": "Authorization", "token": "tok"});
    out.push(c);
    let mut c = case(requester(
        json!({"request_body_json": {"a": {"b": "1"}, "s": "same"}}),
    ));
    c.slicer = json!({"body_json": {"a": {"c": 2}, "s": "same"}});
    out.push(c);
    let mut c = case(requester(json!({"request_body_json": {"a": {"b": "1"}}})));
    c.slicer = json!({"body_json": {"a": {"b": 2}}});
    out.push(c);
    let mut c = case(requester(json!({"request_body_json": {"a": "1"}})));
    c.slicer = json!({"body_json": {"a": {"b": 1}}});
    out.push(c);
    let mut c = case(requester(json!({"request_body_json": {"a": "1"}})));
    c.slicer = json!({"body_json": {"a": 1.0}});
    out.push(c);
    let mut c = case(requester(json!({"request_body_json": {"a": "1"}})));
    c.slicer = json!({"body_data": {"b": "2"}});
    out.push(c);
    let mut c = case(requester(json!({})));
    c.slicer = json!({"params": {"filter": {"a": 1}}});
    out.push(c);
    let mut c = case(requester(json!({})));
    c.slicer = json!({"params": {"start": "2024-01-01", "ids": [1, 2, null], "n": null}, "headers": {"X-S": 1, "X-N": null},
        "body_data": {"f": "v"}});
    out.push(c);
    let mut c = case(requester(json!({"request_body_data": "raw body"})));
    c.slicer = json!({"body_data": {"f": "v"}});
    out.push(c);
    let mut c = case(requester(json!({"request_headers": {"X-A": "1"}})));
    c.slicer = json!({"headers": {"x-a": "2"}});
    out.push(c);
    for inject_into in ["header", "request_parameter", "body_data", "body_json"] {
        let mut c = case(requester(json!({})));
        c.auth = json!({"inject_into": inject_into, "field_name": "api_key", "token": "s3cret"});
        out.push(c);
    }
    let mut c = case(requester(json!({"request_parameters": {"api_key": "x"}})));
    c.auth =
        json!({"inject_into": "request_parameter", "field_name": "api_key", "token": "s3cret"});
    out.push(c);
    let mut c = case(requester(json!({})));
    c.paginator = json!({"type": "DefaultPaginator",
        "pagination_strategy": {"type": "OffsetIncrement", "page_size": 10},
        "page_size_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "x"},
        "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "x"}});
    out.push(c);
    let mut c = case(requester(json!({})));
    c.paginator = json!({"type": "DefaultPaginator",
        "pagination_strategy": {"type": "OffsetIncrement", "page_size": 10},
        "page_size_option": {"type": "RequestOption", "inject_into": "body_json", "field_path": ["a"]},
        "page_token_option": {"type": "RequestOption", "inject_into": "body_json", "field_path": ["a", "b"]}});
    out.push(c);
    let mut c = case(requester(json!({})));
    c.paginator = json!({"type": "DefaultPaginator",
        "pagination_strategy": {"type": "OffsetIncrement", "page_size": 10},
        "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter",
            "field_name": "{{ parameters.p }}{{ config.key }}"}});
    c.tokens = vec![json!(10), json!("abc"), json!({"k": 1})];
    out.push(c);
    let mut c = case(requester(json!({})));
    c.paginator = json!({"type": "DefaultPaginator",
        "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ response.next }}"},
        "page_token_option": {"type": "RequestOption", "inject_into": "header", "field_name": "X-Cursor"}});
    c.tokens = vec![json!("abc"), json!(12), json!({"k": 1}), json!(false)];
    out.push(c);
    out
}

#[test]
fn requests_agree_with_the_cdk() {
    let config =
        json!({"n": 5, "key": "cfg_key", "size": 30, "params": {"p1": "v", "p2": null, "p3": [1]}});
    let mut queries = Vec::new();
    for c in cases() {
        for token in &c.tokens {
            queries.push(json!({"requester": c.requester, "paginator": c.paginator, "slicer": c.slicer,
                "auth": c.auth, "config": config, "partition": {"id": 3}, "cursor_slice": {"start": "2024-01-01"},
                "token": token}));
        }
    }
    let jinja = Jinja::new();
    let answers = against_python::compare(
        "options.py",
        &queries,
        |q| ours(q, &jinja).map_or_else(against_python::error_answer, |r| json!({ "request": r })),
        Value::clone,
    );
    // The cases reach both outcomes.
    let errors = answers.iter().filter(|a| a.get("error").is_some()).count();
    assert!(errors > 10 && errors < answers.len() / 2, "{errors} errors");
}
