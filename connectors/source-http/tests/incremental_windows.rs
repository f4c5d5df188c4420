//! The windows of a `DatetimeBasedCursor` compared with the CDK's
//! `ConcurrentCursor` (the `cdk` test venv): steps (calendar months
//! included), granularities, formats, ends before starts, lookback,
//! clamping, strict comparison, the default end (a fixed "now"), and the
//! states emitted as the windows are closed.

mod common;
mod cursors;
mod reference;

use cursors::{NOW, compare, text};
use serde_json::{Value, json};

const DAY: i64 = 86_400_000_000;
/// 2024-01-01T00:00:00Z.
const JAN1: i64 = 1_704_067_200_000_000;

const FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d",
    "%s",
    "%ms",
    "%Y-%m-%dT%H:%M:%S.%f%z",
];

const STEPS: &[Option<(&str, &str)>] = &[
    None,
    Some(("P1D", "PT1S")),
    Some(("P1D", "P1D")),
    Some(("P1M", "P1D")),
    Some(("P1M", "PT1S")),
    Some(("P1W", "PT1S")),
    Some(("PT12H", "PT1S")),
    Some(("P10D", "PT1M")),
    Some(("P1Y", "P1D")),
    Some(("P0D", "PT1S")),
];

/// (start, end) instants.
fn ranges() -> Vec<(i64, i64)> {
    vec![
        (JAN1, JAN1 + 2 * DAY),
        (JAN1 + 30 * DAY, JAN1 + 135 * DAY + 3_600_000_000),
        (JAN1 + 31 * DAY, JAN1),
        (JAN1, JAN1),
        (JAN1 - 16 * DAY + 37_800_000_000, JAN1 + 60 * DAY),
        (JAN1 + 500, JAN1 + DAY / 2),
    ]
}

fn cursor(format: &str, start: i64, end: Option<i64>, step: Option<(&str, &str)>) -> Value {
    let mut c = json!({
        "type": "DatetimeBasedCursor",
        "cursor_field": "updated_at",
        "datetime_format": format,
        "start_datetime": text(start, format),
    });
    if let Some(end) = end {
        c["end_datetime"] = json!(text(end, format));
    }
    if let Some((step, granularity)) = step {
        c["step"] = json!(step);
        c["cursor_granularity"] = json!(granularity);
    }
    c
}

/// Records for each of the first windows: one in it, one without a
/// cursor, one unparseable, one null.
fn reads(format: &str, start: i64) -> Value {
    let mut reads = Vec::new();
    for i in 0..4 {
        reads.push(json!([
            {"updated_at": text(start + i * DAY + 3_600_000_000, format), "id": i},
            {"id": "no cursor"},
            {"updated_at": "not a date"},
            {"updated_at": null},
        ]));
    }
    Value::Array(reads)
}

#[test]
fn windows_agree_with_the_cdk() {
    let mut queries = Vec::new();
    for format in FORMATS {
        for step in STEPS {
            for (start, end) in ranges() {
                queries.push(json!({
                    "cursor": cursor(format, start, Some(end), *step),
                    "now": NOW,
                    "reads": reads(format, start),
                }));
            }
        }
    }
    compare(&queries);
}

#[test]
fn the_default_end_is_now() {
    let mut queries = Vec::new();
    for format in FORMATS {
        for step in [None, Some(("P7D", "PT1S")), Some(("P1M", "P1D"))] {
            queries.push(json!({
                "cursor": cursor(format, NOW - 40 * DAY, None, step),
                "now": NOW,
                "check": [
                    {"updated_at": text(NOW - DAY, format)},
                    {"updated_at": text(NOW + DAY, format)},
                    {"updated_at": text(NOW - 50 * DAY, format)},
                ],
            }));
        }
    }
    compare(&queries);
}

#[test]
fn clamping_and_strict_comparison_agree_with_the_cdk() {
    let mut queries = Vec::new();
    let format = "%Y-%m-%dT%H:%M:%SZ";
    let targets = [
        json!({"target": "DAY"}),
        json!({"target": "WEEK", "target_details": {"weekday": "MONDAY"}}),
        json!({"target": "WEEK", "target_details": {"weekday": "THURSDAY"}}),
        json!({"target": "MONTH"}),
        json!({"target": "YEAR"}),
        json!({"target": "WEEK"}),
    ];
    for target in &targets {
        for step in [
            None,
            Some(("P1D", "PT1S")),
            Some(("P3D", "P1D")),
            Some(("P1M", "P1D")),
        ] {
            for (start, end) in [
                (JAN1 + 37_800_000_000, JAN1 + 75 * DAY + 5_000_000),
                (JAN1 + 3 * DAY, JAN1 + 4 * DAY),
            ] {
                let mut c = cursor(format, start, Some(end), step);
                c["clamping"] = target.clone();
                queries.push(json!({"cursor": c, "now": NOW}));
            }
        }
    }
    for strict in [false, true] {
        for step in [None, Some(("P1D", "P1D")), Some(("P1D", "PT1S"))] {
            for (start, end) in [(JAN1, JAN1), (JAN1, JAN1 + DAY), (JAN1, JAN1 + 2 * DAY)] {
                for state in [json!({}), json!({"updated_at": text(end, format)})] {
                    let mut c = cursor(format, start, Some(end), step);
                    c["is_compare_strictly"] = json!(strict);
                    queries.push(json!({"cursor": c, "now": NOW, "state": state}));
                }
            }
        }
    }
    compare(&queries);
}

#[test]
fn min_max_datetimes_and_templates_agree_with_the_cdk() {
    let config = json!({"start": "2024-01-05", "end": "2024-02-10", "step": "P7D", "lookback": "P2D",
                        "empty": "", "field": "modified", "epoch": "1704067200"});
    let cursors = [
        json!({"start_datetime": "{{ config.start }}", "end_datetime": "{{ config.end }}",
               "datetime_format": "%Y-%m-%d", "step": "{{ config.step }}", "cursor_granularity": "P1D"}),
        json!({"start_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config.start }}",
                                  "min_datetime": "2024-01-20", "datetime_format": "%Y-%m-%d"},
               "end_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config.end }}", "max_datetime": "2024-01-31"},
               "datetime_format": "%Y-%m-%d"}),
        json!({"start_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config.epoch }}", "datetime_format": "%s",
                                  "max_datetime": "1703980800"},
               "end_datetime": "2024-01-03T00:00:00.000000+0000",
               "datetime_format": "%Y-%m-%dT%H:%M:%S.%f%z", "step": "P1D", "cursor_granularity": "PT0.001S"}),
        json!({"start_datetime": "{{ config.start }}", "end_datetime": "{{ config.end }}",
               "datetime_format": "%Y-%m-%d", "step": "{{ config.empty }}", "cursor_granularity": "P1D"}),
        json!({"start_datetime": "{{ config.start }}", "datetime_format": "%Y-%m-%d",
               "end_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config.end }}", "min_datetime": "{{ config.empty }}"}}),
        json!({"start_datetime": "2024-01-05T00:00:00Z", "datetime_format": "%Y-%m-%d"}),
        json!({"start_datetime": "{{ config.start }}", "datetime_format": "%Y-%m-%d", "step": "P1D"}),
        json!({"start_datetime": "{{ config.start }}", "datetime_format": "%Y-%m-%d",
               "end_datetime": "{{ config.end }}", "step": "P1X", "cursor_granularity": "P1D"}),
        json!({"start_datetime": "{{ config.start }}", "datetime_format": "%Y-%m-%d",
               "end_datetime": "{{ config.end }}", "partition_field_start": "since", "partition_field_end": "{{ 'until' }}"}),
    ];
    let mut queries = Vec::new();
    for c in cursors {
        let mut c = c;
        c["type"] = json!("DatetimeBasedCursor");
        c["cursor_field"] = json!("{{ config.field }}");
        for state in [json!({}), json!({"modified": "2024-01-25"})] {
            queries.push(
                json!({"cursor": c, "config": config, "now": NOW, "state": state,
                                "reads": [[{"modified": "2024-01-26"}]]}),
            );
        }
    }
    compare(&queries);
}

#[test]
fn durations_agree_with_isodate() {
    let texts = [
        "P1D",
        "PT1S",
        "P1M",
        "P1Y",
        "P1W",
        "PT12H",
        "P1Y2M3DT4H5M6S",
        "P1.5D",
        "PT0.5S",
        "PT0,25S",
        "P0D",
        "PT0S",
        "P0M",
        "P0Y0M",
        "-P1D",
        "+P1D",
        "-P1M",
        "P1DT",
        "PT",
        "P",
        "1D",
        "P1",
        "PT1D",
        "P1H",
        "P1M1Y",
        "P1.5M",
        "P13M",
        "P25M",
        "PT36H",
        "PT1.0000005S",
        "p1d",
        "P1D\n",
        "P 1D",
        "P1W2D",
        "P2Y",
        "PT1M",
        "P1MT1M",
        "P0001-02-03T04:05:06",
        "P1_0D",
        "P1e3D",
    ];
    let instants = [
        (JAN1 + 30 * DAY, 0),
        (JAN1 + 59 * DAY + 3_600_000_000, -18_000),
        (1_709_164_800_000_000, 0),
        (-62_135_596_800_000_000 + DAY, 0),
        (253_402_214_400_000_000, 3600),
    ];
    let mut queries = Vec::new();
    for text in texts {
        for (micros, offset) in instants {
            queries.push(json!({"duration": text, "micros": micros, "offset": offset}));
        }
    }
    compare(&queries);
}

#[test]
fn offsets_calendar_lookbacks_and_other_formats_agree_with_the_cdk() {
    let mut queries = Vec::new();
    let z = "%Y-%m-%dT%H:%M:%S%z";
    for (start, end) in [
        ("2024-01-01T00:00:00+0200", "2024-01-05T00:00:00-0500"),
        ("2024-01-31T10:00:00+0530", "2024-04-30T23:00:00Z"),
    ] {
        for step in [
            None,
            Some(("P1D", "PT1S")),
            Some(("P1M", "P1M")),
            Some(("P2W", "PT1H")),
        ] {
            for lookback in [None, Some("P1M"), Some("PT36H")] {
                for state in [json!({}), json!({"updated_at": "2024-01-02T10:00:00+0100"})] {
                    let mut c = json!({"type": "DatetimeBasedCursor", "cursor_field": "updated_at",
                        "datetime_format": z, "start_datetime": start, "end_datetime": end});
                    if let Some((s, g)) = step {
                        c["step"] = json!(s);
                        c["cursor_granularity"] = json!(g);
                    }
                    if let Some(l) = lookback {
                        c["lookback_window"] = json!(l);
                    }
                    queries.push(json!({"cursor": c, "now": NOW, "state": state,
                        "reads": [[{"updated_at": "2024-01-02T23:00:00-0300"}, {"updated_at": "2024-01-01T00:30:00+0100"}],
                                  [{"updated_at": "2024-01-03T01:00:00Z"}]],
                        "check": [{"updated_at": "2023-12-31T23:00:00-0100"}, {"updated_at": "2024-01-01T01:00:00+0300"}]}));
                }
            }
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S.%_msZ",
        "%s_as_float",
        "%epoch_microseconds",
        "%Y%m%d",
        "%d/%m/%Y %H:%M",
    ] {
        for step in [None, Some(("PT8H", "PT0.001S")), Some(("P1M", "P1D"))] {
            let mut c = cursor(
                format,
                JAN1 + 1_234_567,
                Some(JAN1 + 3 * DAY + 999_000),
                step,
            );
            c["cursor_datetime_formats"] = json!(["%Y-%m-%d", "%s"]);
            queries.push(json!({"cursor": c, "now": NOW,
                "reads": [[{"updated_at": "2024-01-01"}, {"updated_at": 1704100000}, {"updated_at": text(JAN1 + 7_000_000, format)}]],
                "state": {"updated_at": "2024-01-02"}}));
        }
    }
    compare(&queries);
}
