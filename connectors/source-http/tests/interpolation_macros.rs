//! The macros `duration`, `today_with_timezone` and `generate_uuid`
//! compared with airbyte-cdk's `JinjaInterpolation` (the `cdk` test venv):
//! the same templates give the same values, or both fail.

mod common;

use serde_json::{Value, json};
use source_http::interpolation::Jinja;

fn context() -> Value {
    json!({
        "config": {"start": "2024-01-31T10:30:00Z", "day": "2024-03-01", "window": "P30D", "zone": "Pacific/Tarawa"},
        "parameters": {},
    })
}

/// Deterministic templates, and templates on `now_utc()` and today's date
/// (the same unless the day turns between the two runs).
const TEMPLATES: &[&str] = &[
    "{{ duration('P1D') }}",
    "{{ duration('PT1H30M') }}",
    "{{ duration('PT36H') }}",
    "{{ duration('P2W') }}",
    "{{ duration('-P1D') }}",
    "{{ duration('PT0.5S') }}",
    "{{ duration('P0D') }}",
    "{{ duration('P1DT0.000001S') }}",
    "{{ duration('P1M') }}",
    "{{ duration('P2M') }}",
    "{{ duration('P1Y') }}",
    "{{ duration('P1Y2M3DT4H') }}",
    "{{ duration(config.window) }}",
    "{{ duration('1 day') }}",
    "{{ duration('P1D').days }}",
    "{{ duration('PT90M').seconds }}",
    "{{ duration('PT90M').total_seconds() }}",
    "{{ str_to_datetime(config.start) - duration('P1D') }}",
    "{{ str_to_datetime(config.start) + duration('P1M') }}",
    "{{ str_to_datetime(config.start) - duration('P1Y2M') }}",
    "{{ duration('PT1H') + str_to_datetime(config.start) }}",
    "{{ (str_to_datetime(config.start) - duration(config.window)).strftime('%Y-%m-%d') }}",
    "{{ format_datetime(str_to_datetime(config.start) - duration('PT30M'), '%Y-%m-%dT%H:%M:%SZ') }}",
    "{{ (str_to_datetime(config.start) + duration('PT1H') + duration('PT1H')).hour }}",
    "{{ str_to_datetime(config.start) - duration('P1D') - duration('P1D') }}",
    "{{ duration('P1D') + duration('PT1H') }}",
    "{{ duration('P1D') - duration('PT1H') }}",
    "{{ str_to_datetime(config.start) - str_to_datetime(config.day) }}",
    "{{ 'a' + 'b' if duration('P1D') else 'c' }}",
    "{{ 3 - 1 + duration('P1D').days }}",
    "{{ str_to_datetime(config.start) - duration('P1D') > str_to_datetime(config.day) }}",
    "{{ 'x' ~ (str_to_datetime(config.start) - duration('P1D')) }}",
    "{{ (now_utc() - duration('P1D')).strftime('%Y-%m-%d') }}",
    "{{ (now_utc() + duration('P1D')).date() }}",
    "{{ (now_utc() - duration('P1M')).strftime('%Y-%m') }}",
    "{{ today_utc() - duration('P1D') }}",
    "{{ today_utc() - duration('PT1H') }}",
    "{{ today_utc() + duration('P1Y') }}",
    "{{ today_with_timezone('UTC') }}",
    "{{ today_with_timezone(config.zone) }}",
    "{{ today_with_timezone('America/New_York') }}",
    "{{ today_with_timezone('Asia/Kolkata') }}",
    "{{ today_with_timezone('Not/AZone') }}",
    "{{ today_with_timezone('Pacific/Kiritimati').strftime('%Y/%m/%d') }}",
    "{{ generate_uuid() | length }}",
    "{{ generate_uuid()[14] }}",
    "{{ generate_uuid().split('-') | length }}",
    "{{ generate_uuid() == generate_uuid() }}",
];

/// A datetime's order only compares in Python; ours compares its text.
const OURS_ONLY_DIFFER: &[&str] =
    &["{{ str_to_datetime(config.start) - duration('P1D') > str_to_datetime(config.day) }}"];

#[test]
fn macros_evaluate_as_the_cdk_evaluates_them() {
    let context = context();
    let queries: Vec<Value> = TEMPLATES
        .iter()
        .map(|t| json!({"template": t, "context": context, "default": null}))
        .collect();
    let answers = common::ask("jinja.py", &queries, None);
    let jinja = Jinja::new();
    let map = context.as_object().expect("an object");
    let mut differences = Vec::new();
    for (template, answer) in TEMPLATES.iter().zip(&answers) {
        let ours = match jinja.eval(template, map, None) {
            Ok(v) => json!({ "value": v }),
            Err(_) => json!({"error": true}),
        };
        let same = match (&ours["value"], &answer["value"]) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (a, b) => a == b,
        } && ours.get("error") == answer.get("error");
        if !same && !OURS_ONLY_DIFFER.contains(template) {
            differences.push(format!("{template:?}: ours {ours}, CDK {answer}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} differ:\n{}",
        differences.len(),
        TEMPLATES.len(),
        differences.join("\n")
    );
}

#[test]
fn generate_uuid_gives_version_4_uuids() {
    let jinja = Jinja::new();
    let context = context();
    let map = context.as_object().expect("an object");
    let a = jinja
        .eval("{{ generate_uuid() }}", map, None)
        .expect("a uuid");
    let b = jinja
        .eval("{{ generate_uuid() }}", map, None)
        .expect("a uuid");
    let text = a.as_str().expect("text");
    let shape =
        regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
            .expect("a regex");
    assert!(shape.is_match(text), "{text}");
    assert_ne!(a, b);
}
