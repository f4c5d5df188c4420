//! The state of a `DatetimeBasedCursor` compared with the CDK's
//! `ConcurrentCursor` and `ConcurrentPerPartitionCursor` (the `cdk` test
//! venv): the input forms (none, legacy with other keys, concurrent
//! `date-range` slices, unreadable), lookback, windows closed out of
//! order or not at all, the client-side filter's bounds, and the
//! per-partition shape (sorted partition keys, the global state, new
//! partitions from the global state less the lookback, parent state,
//! the global cursor of a grouping router).

mod common;
mod cursors;
mod reference;

use cursors::{NOW, compare, text};
use serde_json::{Value, json};

const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;
/// 2024-01-01T00:00:00Z.
const JAN1: i64 = 1_704_067_200_000_000;
const F: &str = "%Y-%m-%dT%H:%M:%SZ";

fn cursor(step: bool, lookback: Option<&str>) -> Value {
    let mut c = json!({
        "type": "DatetimeBasedCursor",
        "cursor_field": "updated_at",
        "datetime_format": F,
        "cursor_datetime_formats": ["%s", "%Y-%m-%dT%H:%M:%S%z"],
        "start_datetime": text(JAN1, F),
        "end_datetime": text(JAN1 + 6 * DAY, F),
    });
    if step {
        c["step"] = json!("P1D");
        c["cursor_granularity"] = json!("PT1S");
    }
    if let Some(lookback) = lookback {
        c["lookback_window"] = json!(lookback);
    }
    c
}

fn input_states() -> Vec<Value> {
    let slice = |s: i64, e: i64, m: Option<i64>| {
        let mut v = json!({"start": text(s, F), "end": text(e, F)});
        if let Some(m) = m {
            v["most_recent_cursor_value"] = json!(text(m, F));
        }
        v
    };
    vec![
        json!({}),
        json!({"updated_at": text(JAN1 + 3 * DAY + 5 * HOUR, F)}),
        json!({"updated_at": text(JAN1 - 3 * DAY, F)}),
        json!({"updated_at": text(JAN1 + 9 * DAY, F)}),
        json!({"updated_at": text(JAN1 + 2 * DAY, F), "other": 1, "nested": {"k": [1]}}),
        json!({"updated_at": (JAN1 + 2 * DAY) / 1_000_000}),
        json!({"updated_at": "2024-01-03T10:00:00+0200"}),
        json!({"other": "no cursor"}),
        json!({"updated_at": "garbage"}),
        json!({"state_type": "date-range", "slices": [slice(JAN1, JAN1 + 2 * DAY, Some(JAN1 + DAY))]}),
        json!({"state_type": "date-range", "slices": [slice(JAN1 + DAY, JAN1 + 2 * DAY, None)]}),
        json!({"state_type": "date-range", "slices": [
            slice(JAN1, JAN1 + DAY, None), slice(JAN1 + 3 * DAY, JAN1 + 4 * DAY, Some(JAN1 + 3 * DAY + HOUR))]}),
        json!({"state_type": "date-range", "slices": []}),
    ]
}

/// Records for each window: two in it (one in another accepted format),
/// one before it.
fn reads() -> Value {
    let mut reads = Vec::new();
    for i in 0..7 {
        let t = JAN1 + i * DAY;
        reads.push(json!([
            {"updated_at": text(t + 2 * HOUR, F)},
            {"updated_at": (t + 5 * HOUR) / 1_000_000},
            {"updated_at": text(t - 20 * DAY, F)},
            {"updated_at": "2024-01-01T03:00:00+0500"},
        ]));
    }
    Value::Array(reads)
}

fn checks() -> Value {
    json!([
        {"updated_at": text(JAN1 + 3 * DAY, F)},
        {"updated_at": text(JAN1 + 3 * DAY + 5 * HOUR, F)},
        {"updated_at": text(JAN1 + 2 * DAY + 20 * HOUR, F)},
        {"updated_at": text(JAN1 + 2 * DAY, F)},
        {"updated_at": text(JAN1 - HOUR, F)},
        {"updated_at": text(JAN1 + 7 * DAY, F)},
        {"updated_at": "unreadable"},
        {"id": 1},
    ])
}

#[test]
fn states_agree_with_the_cdk() {
    let mut queries = Vec::new();
    for step in [false, true] {
        for lookback in [
            None,
            Some("P1D"),
            Some("PT12H"),
            Some("P0D"),
            Some("{{ config.lookback }}"),
        ] {
            for state in input_states() {
                let orders = if step {
                    vec![None, Some(json!([2, 0, 1])), Some(json!([0, 2, 3]))]
                } else {
                    vec![None]
                };
                for order in orders {
                    let mut q = json!({
                        "cursor": cursor(step, lookback),
                        "config": {"lookback": "PT6H"},
                        "state": state,
                        "now": NOW,
                        "reads": reads(),
                        "check": checks(),
                    });
                    if let Some(order) = order {
                        q["close_order"] = order;
                    }
                    queries.push(q);
                }
            }
        }
    }
    compare(&queries);
}

fn partitions() -> Value {
    json!([
        {"partition": {"id": 1, "parent_slice": {"k": "a", "b": 2}}, "parent_state": {"users": {"n": 1}}},
        {"partition": {"id": 2, "parent_slice": {}}, "extra_fields": {"name": "two"}, "parent_state": {"users": {"n": 2}}},
        {"partition": {"id": 3, "parent_slice": {}}, "parent_state": {"users": {"n": 2}}},
        {"partition": {"id": 1, "parent_slice": {"k": "a", "b": 2}}, "parent_state": {"users": {"n": 3}}},
    ])
}

fn partition_states() -> Vec<Value> {
    vec![
        json!({}),
        json!({"updated_at": text(JAN1 + 2 * DAY, F)}),
        json!({
            "use_global_cursor": false,
            "states": [{"partition": {"parent_slice": {"b": 2, "k": "a"}, "id": 1},
                        "cursor": {"updated_at": text(JAN1 + 4 * DAY, F)}}],
            "state": {"updated_at": text(JAN1 + 3 * DAY, F)},
            "lookback_window": 7200,
            "parent_state": {"users": {"n": 0}},
        }),
        json!({
            "states": [{"partition": {"id": 2, "parent_slice": {}}, "cursor": {"updated_at": text(JAN1 + DAY, F)}}],
        }),
        json!({"use_global_cursor": true, "state": {"updated_at": text(JAN1 + 5 * DAY, F)}, "lookback_window": 60}),
        json!({"state": {"updated_at": "garbage"}}),
    ]
}

#[test]
fn per_partition_states_agree_with_the_cdk() {
    let mut queries = Vec::new();
    for step in [false, true] {
        for grouping in [false, true] {
            for state in partition_states() {
                let orders = if step {
                    vec![None, Some(json!([1, 0, 2]))]
                } else {
                    vec![None]
                };
                for order in orders {
                    let mut q = json!({
                        "per_partition": true,
                        "grouping": grouping,
                        "cursor": cursor(step, Some("PT1H")),
                        "state": state,
                        "now": NOW,
                        "partitions": partitions(),
                        "router_state": {"users": {"n": 9}},
                        "reads": reads(),
                        "check": [[0, checks()[0]], [1, checks()[4]], [2, checks()[6]]],
                    });
                    if let Some(order) = order {
                        q["close_order"] = order;
                    }
                    queries.push(q);
                }
            }
        }
    }
    // No records at all: the global state and lookback stay as they were.
    for state in partition_states() {
        queries.push(json!({
            "per_partition": true, "cursor": cursor(false, None), "state": state, "now": NOW,
            "partitions": partitions(), "router_state": null,
        }));
    }
    compare(&queries);
}

#[test]
fn counting_cursors_agree_with_the_cdk() {
    let definitions = [
        json!({"type": "IncrementingCountCursor", "cursor_field": "id"}),
        json!({"type": "IncrementingCountCursor", "cursor_field": "{{ config.field }}", "start_value": 10}),
        json!({"type": "IncrementingCountCursor", "cursor_field": "id", "start_value": "{{ config.start }}"}),
    ];
    let states = [
        json!({}),
        json!({"id": 5}),
        json!({"id": 50, "other": "kept"}),
        json!({"id": 0}),
        json!({"state_type": "integer", "slices": [{"start": 0, "end": 20, "most_recent_cursor_value": 20}]}),
    ];
    let reads = [
        json!([[{"id": 12}, {"id": 30}, {"id": 7}, {"name": "no id"}]]),
        json!([[]]),
        json!([[{"id": 0}]]),
    ];
    let mut queries = Vec::new();
    for definition in &definitions {
        for state in &states {
            for read in &reads {
                queries.push(json!({
                    "cursor": definition, "config": {"field": "id", "start": "25"}, "state": state,
                    "reads": read, "check": [{"id": 1}, {"id": 40}, {"x": 1}],
                }));
            }
        }
    }
    compare(&queries);
}

#[test]
fn many_partitions_switch_to_the_global_cursor() {
    let partitions: Vec<Value> = (0..10_003)
        .map(|i| json!({"partition": {"id": i, "parent_slice": {}}, "parent_state": {"p": {"n": i}}}))
        .collect();
    let mut c = cursor(false, None);
    c["end_datetime"] = json!(text(JAN1 + 2 * DAY, F));
    let queries = [json!({
        "per_partition": true, "cursor": c, "now": NOW, "partitions": partitions,
        "router_state": {"p": {"n": 10_003}},
        "reads": [[{"updated_at": text(JAN1 + HOUR, F)}], [], [{"updated_at": text(JAN1 + DAY, F)}]],
        "check": [[10_002, {"updated_at": text(JAN1 - HOUR, F)}]],
    })];
    cursors::compare_timed(&queries);
}
