//! Jinja interpolation compared with airbyte-cdk's `JinjaInterpolation`
//! (the `cdk` test venv): the same templates, contexts and defaults give
//! the same values, or both fail.

mod common;

use serde_json::{Value, json};
use source_http::interpolation::Jinja;

fn ask(queries: &[Value]) -> Vec<Value> {
    common::ask("jinja.py", queries, None)
}

fn context() -> Value {
    json!({
        "config": {
            "api_key": "k-123", "page_size": "100", "start_date": "2024-01-15", "start": "2024-01-15T10:30:00Z",
            "flag": "True", "tags": ["a", "b"], "nested": {"x": {"y": 1}}, "empty": "", "zero": 0,
            "ids": [3, 1, 2], "epoch": 1704067200, "json_text": "{\"k\": [1, 2]}", "name": "Ærø Café",
            "camel": "someCamelCase", "url": "https://a.example/p?q=1 2&x=é",
        },
        "parameters": {"name": "users", "path": "/users"},
        "stream_slice": {"start_time": "2024-01-01", "end_time": "2024-01-31", "user_id": 7},
        "next_page_token": {"next_page_token": "abc"},
        "record": {"id": "123", "active": true, "score": 1.5, "updated": "2024-02-01T00:00:00Z", "tags": []},
        "response": {"data": [1, 2], "meta": {"next": null}, "links": {"next": "https://x/?page=2"}},
        "headers": {"link": "<https://x/?page=2>; rel=\"next\""},
        "last_record": {"id": 9},
        "last_page_size": 100,
    })
}

const TEMPLATES: &[&str] = &[
    "plain text",
    "",
    "{{ config.api_key }}",
    "{{ config['page_size'] }}",
    "{{ config.page_size | int }}",
    "{{ config.flag }}",
    "{{ config.tags }}",
    "{{ config.tags | join(',') }}",
    "{{ config.nested }}",
    "{{ config.nested.x.y }}",
    "{{ config.missing }}",
    "{{ config.missing.x }}",
    "{{ config.empty }}",
    "{{ config.zero }}",
    "{{ config.empty or 'fallback' }}",
    "{{ config.missing or 'fallback' }}",
    "{{ 'a' if config.flag else 'b' }}",
    "{{ config.ids | length }}",
    "{{ config.ids | first }}",
    "{{ config.ids[-1] }}",
    "{{ max(config.ids) }}",
    "{{ min(3, 1, 2) }}",
    "{{ max(2, 3) }}",
    "{{ config.json_text }}",
    "{{ config.json_text | string }}",
    "{{ config.tags | string }}",
    "{{ config.name }}",
    "{{ config.name | lower }}",
    "{{ config.api_key | upper }}",
    "{{ config.api_key.split('-') }}",
    "{{ config.api_key.startswith('k') }}",
    "{{ config.start_date.replace('-', '') }}",
    "{{ ' '.join(config.tags) }}",
    "{{ config.get('page_size') }}",
    "{{ config.get('nope', 'dflt') }}",
    "{{ response.get('meta', {}).get('next') }}",
    "{{ response.meta.next is none }}",
    "{{ not response.meta.next }}",
    "{{ response.links.next }}",
    "{{ headers['link'] }}",
    "{{ record['id'] }}",
    "{{ record.id | string }}",
    "{{ record.active }}",
    "{{ record.score }}",
    "{{ record.tags }}",
    "{{ record.score * 2 }}",
    "{{ last_page_size < 100 }}",
    "{{ last_record.id + 1 }}",
    "{{ next_page_token['next_page_token'] }}",
    "{{ next_page_token.next_page_token }}",
    "{{ stream_slice.start_time }}",
    "{{ stream_interval.end_time }}",
    "{{ stream_partition.user_id }}",
    "{{ stream_slice['user_id'] }}",
    "/users/{{ stream_partition.user_id }}/orders",
    "{{ parameters.path }}",
    "{{ parameters['name'] }}s",
    "{{ config.page_size ~ '0' }}",
    "{{ 1 + 2 }}",
    "{{ 10 / 4 }}",
    "{{ 7 // 2 }}",
    "{{ 2 ** 10 }}",
    "{{ 1.0 }}",
    "{{ True }}",
    "{{ None }}",
    "{{ none }}",
    "x{{ None }}y",
    "{{ [1, 'a', None] }}",
    "{{ {'k': 1} }}",
    "{{ 'it''s' }}",
    "{{ '00123' }}",
    "{{ '0x1f' }}",
    "{{ '1e3' }}",
    "{{ 'true' }}",
    "{{ format_datetime(config.start, '%Y-%m-%d') }}",
    "{{ format_datetime(config.start, '%s') }}",
    "{{ format_datetime(config.start_date, '%Y%m%d') }}",
    "{{ format_datetime(config.epoch, '%Y-%m-%dT%H:%M:%SZ') }}",
    "{{ format_datetime('01/02/2024', '%Y-%m-%d', '%m/%d/%Y') }}",
    "{{ format_datetime(config.start, '%ms') }}",
    "{{ str_to_datetime(config.start) }}",
    "{{ str_to_datetime(config.start_date) }}",
    "{{ str_to_datetime(config.start).strftime('%d/%m/%Y %H:%M') }}",
    "{{ timestamp(config.start) }}",
    "{{ timestamp(1658505815.223235) }}",
    "{{ timestamp('2022-02-28') }}",
    "{{ sanitize_url(config.url) }}",
    "{{ camel_case_to_snake_case(config.camel) }}",
    "{{ config.api_key | base64encode }}",
    "{{ 'aGVsbG8=' | base64decode }}",
    "{{ 'abc' | base64binascii_decode }}",
    "{{ config.api_key | hash }}",
    "{{ config.api_key | hash('sha256', 'salt') }}",
    "{{ config.api_key | hmac('secret') }}",
    "{{ headers['link'] | regex_search('<([^>]+)>') }}",
    "{{ config.api_key | regex_search('z(.)') }}",
    "{{ config.api_key | regex_replace('[0-9]', 'N') }}",
    "{{ config.start_date | regex_replace('(\\d+)-(\\d+)', '\\2/\\1') }}",
    "{{ range(3) }}",
    "{{ undefined_name }}",
    "{{ stream_state.x }}",
    "{{ unclosed",
    "{% if config.flag %}yes{% else %}no{% endif %}",
    "{% for t in config.tags %}{{ t }};{% endfor %}",
    "{{ config.tags | tojson }}",
    "{{ config.nested | tojson }}",
    "{{ config.page_size | default('x') }}",
    "{{ config.missing | default('x') }}",
    "{{ config.name | length }}",
    "{{ '%s-%s' | format('a', 'b') }}",
    "{{ config.api_key[0:3] }}",
    "{{ 'x' in config.tags }}",
    "{{ 'a' in config.tags }}",
    "{{ config.ids | sort }}",
    "{{ config.ids | sum }}",
    "{{ config.tags | reverse | list }}",
    "{{ config.start_date.split('-')[0] | int + 1 }}",
];

#[test]
fn templates_evaluate_as_the_cdk_evaluates_them() {
    let context = context();
    let mut queries = Vec::new();
    for template in TEMPLATES {
        for default in [Value::Null, json!("the default")] {
            queries.push(json!({"template": template, "context": context, "default": default}));
        }
    }
    let answers = ask(&queries);
    // The comparison is not vacuous: most templates give values.
    let values = answers.iter().filter(|a| a.get("value").is_some()).count();
    assert!(
        values > queries.len() * 8 / 10,
        "{values} of {} gave values",
        queries.len()
    );
    let jinja = Jinja::new();
    let map = context.as_object().expect("an object");
    let mut differences = Vec::new();
    for (q, answer) in queries.iter().zip(&answers) {
        let template = q["template"].as_str().expect("template");
        let default = q["default"].as_str();
        let ours = match jinja.eval(template, map, default) {
            Ok(v) => json!({ "value": v }),
            Err(_) => json!({"error": true}),
        };
        let same = match (&ours["value"], &answer["value"]) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (a, b) => a == b,
        } && ours.get("error") == answer.get("error");
        if !same {
            differences.push(format!(
                "{template:?} (default {default:?}): ours {ours}, CDK {answer}"
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} differ:\n{}",
        differences.len(),
        queries.len(),
        differences.join("\n")
    );
}
