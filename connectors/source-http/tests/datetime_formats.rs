//! Datetime formats compared with airbyte-cdk's own `DatetimeParser`
//! (the `cdk` test venv): the same texts parsed, the same instants
//! formatted, errors where it errs.

mod common;

use serde_json::{Value, json};
use source_http::datetime::{self, DateTime};

fn ask(queries: &[Value]) -> Vec<Value> {
    common::ask("datetimes.py", queries, None)
}

const ISO: &str = "%Y-%m-%dT%H:%M:%S%z";

const PARSES: &[(&str, &str)] = &[
    ("2024-01-01T10:00:00Z", ISO),
    ("2024-01-01T10:00:00+02:00", ISO),
    ("2024-01-01T10:00:00-0530", ISO),
    ("2024-01-01T10:00:00+01:00:30", ISO),
    ("2024-01-01T10:00:00+0100:30", ISO),
    ("2024-01-01T10:00:00z", ISO),
    ("2024-01-01T10:00:00", ISO),
    ("2024-01-01T10:00:00", "%Y-%m-%dT%H:%M:%S"),
    ("2024-1-2T3:4:5", "%Y-%m-%dT%H:%M:%S"),
    ("2024-01-01", "%Y-%m-%d"),
    ("2024-02-29", "%Y-%m-%d"),
    ("2023-02-29", "%Y-%m-%d"),
    ("2024-13-01", "%Y-%m-%d"),
    ("2024-01-01T00:00:00", "%Y-%m-%d"),
    ("20240102", "%Y%m%d"),
    ("2024111", "%Y%m%d"),
    ("2024-01-01 10:00:00.5", "%Y-%m-%d %H:%M:%S.%f"),
    ("2024-01-01 10:00:00.123456", "%Y-%m-%d %H:%M:%S.%f"),
    ("2024-01-01 10:00:00.1234567", "%Y-%m-%d %H:%M:%S.%f"),
    ("2024-01-01T10:00:00.123Z", "%Y-%m-%dT%H:%M:%S.%_msZ"),
    ("2024-01-01T10:00:00.123456Z", "%Y-%m-%dT%H:%M:%S.%fZ"),
    ("2024-01-01   10:00", "%Y-%m-%d %H:%M"),
    ("2024-01-01\t10:00", "%Y-%m-%d %H:%M"),
    ("2024-01-0110:00", "%Y-%m-%d %H:%M"),
    ("Mon, 01 Jan 2024 10:00:00 GMT", "%a, %d %b %Y %H:%M:%S %Z"),
    ("monday, 1 january 2024", "%A, %d %B %Y"),
    ("01/02/24 03:04 PM", "%m/%d/%y %I:%M %p"),
    ("01/02/69 12:00 AM", "%m/%d/%y %I:%M %p"),
    ("12:30 pm", "%I:%M %p"),
    ("2024-032", "%Y-%j"),
    ("2024-01-01T24:00:00", "%Y-%m-%dT%H:%M:%S"),
    ("2024-01-01T10:00:60", "%Y-%m-%dT%H:%M:%S"),
    ("1704067200", "%s"),
    (" 1704067200 ", "%s"),
    ("1_704_067_200", "%s"),
    ("-86400", "%s"),
    ("1704067200.5", "%s"),
    ("1704067200.123456", "%s_as_float"),
    ("1704067200.0000005", "%s_as_float"),
    ("1704067200123", "%ms"),
    ("1704067200123456", "%epoch_microseconds"),
    ("99999999999999", "%s"),
    ("abc", "%s"),
    ("2024-01-01 10%", "%Y-%m-%d %H%%"),
    ("2024-01-01", "%Y-%m-%d %H"),
];

#[test]
fn parsing_agrees_with_the_cdk() {
    let queries: Vec<Value> = PARSES
        .iter()
        .map(|(t, f)| json!({"parse": t, "format": f}))
        .collect();
    let answers = ask(&queries);
    let mut differences = Vec::new();
    for ((text, format), answer) in PARSES.iter().zip(&answers) {
        let ours = datetime::parse(text, format)
            .map(|d| json!({"micros": d.micros, "offset": d.offset}))
            .unwrap_or_else(|_| json!({"error": true}));
        if &ours != answer {
            differences.push(format!(
                "{text:?} with {format:?}: ours {ours}, CDK {answer}"
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "parsing differs:\n{}",
        differences.join("\n")
    );
}

const FORMATS: &[&str] = &[
    ISO,
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S.%_msZ",
    "%s",
    "%ms",
    "%s_as_float",
    "%epoch_microseconds",
    "%a, %d %b %Y %H:%M:%S %Z",
    "%A %B %e %j %y %I %p %w %u",
    "%F %T %R %D",
    "%Y%m%d",
    "%H:%M:%S%:z",
    "100%%",
    "%Y-%m-%dT%H:%M:%S%z (%Z)",
];

#[test]
fn formatting_agrees_with_the_cdk() {
    let instants = [
        (1_704_103_200_000_000_i64, 0_i32),
        (1_686_218_963_123_456, 0),
        (1_686_218_963_000_999, 3600),
        (1_704_103_200_500_000, -19_800),
        (0, 0),
        (-1, 0),
        (-86_400_000_000, 45_296),
        (951_782_400_000_000, 0),
        (1_709_164_800_000_000, 0),
        (1_704_067_199_999_999, 0),
    ];
    let mut queries = Vec::new();
    for (micros, offset) in instants {
        for format in FORMATS {
            queries.push(json!({"micros": micros, "offset": offset, "format": format}));
        }
    }
    let answers = ask(&queries);
    let mut differences = Vec::new();
    for (q, answer) in queries.iter().zip(&answers) {
        let dt = DateTime {
            micros: q["micros"].as_i64().expect("micros"),
            offset: q["offset"].as_i64().expect("offset") as i32,
        };
        let format = q["format"].as_str().expect("format");
        let ours = datetime::format(&dt, format)
            .map(|t| json!({ "text": t }))
            .unwrap_or_else(|_| json!({"error": true}));
        if &ours != answer {
            differences.push(format!(
                "{} at {:+}s with {format:?}: ours {ours}, CDK {answer}",
                dt.micros, dt.offset
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "formatting differs:\n{}",
        differences.join("\n")
    );
}
