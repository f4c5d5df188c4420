//! Partition routers compared with the CDK's (the `cdk` test venv): list
//! values (a manifest list, a template), substream partitions from fake
//! parents (dpath keys, missing and null keys skipped, `parent_slice`,
//! `extra_fields`, the parents' state with `incremental_dependency`), the
//! Cartesian product of a list of routers, grouping with deduplication,
//! and the request parameters each slice gets.
//!
//! Our fake parents count the calls as the CDK's router makes them on
//! its parents' cursors (observe, close a parent slice, the final state),
//! so the states after each partition compare.

mod common;
mod reference;

use serde_json::{Map, Value, json};
use source_http::Error;
use source_http::interpolation::Jinja;
use source_http::partition::{ParentRecord, ParentStreams, PartitionRouter};

/// A parent's pages: each slice's partition and records.
type Pages = Vec<(Map<String, Value>, Vec<Value>)>;

/// Parents that hand out their pages' records, counting as the CDK's
/// `SubstreamPartitionRouter` calls its parents' cursors.
struct FakeParents {
    pages: Vec<Pages>,
    position: Vec<(usize, usize)>,
    counts: Vec<[u64; 3]>,
}

impl FakeParents {
    fn new(parents: &Value) -> FakeParents {
        let pages: Vec<Pages> = parents
            .as_array()
            .into_iter()
            .flatten()
            .map(|pages| {
                pages
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        (
                            p["partition"].as_object().cloned().unwrap_or_default(),
                            p["records"].as_array().cloned().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .collect();
        let n = pages.len().max(4);
        FakeParents {
            pages,
            position: vec![(0, 0); n],
            counts: vec![[0; 3]; n],
        }
    }
}

impl ParentStreams for FakeParents {
    fn next_record(&mut self, parent: usize) -> Result<Option<ParentRecord>, Error> {
        let empty = Vec::new();
        let pages = self.pages.get(parent).unwrap_or(&empty);
        loop {
            let (page, record) = self.position[parent];
            let Some((partition, records)) = pages.get(page) else {
                return Ok(None);
            };
            let last_page = page + 1 == pages.len();
            if records.is_empty() {
                self.counts[parent][1] += 1;
                if last_page {
                    self.counts[parent][2] += 1;
                }
                self.position[parent] = (page + 1, 0);
                continue;
            }
            if record >= records.len() {
                self.position[parent] = (page + 1, 0);
                continue;
            }
            self.counts[parent][0] += 1;
            if record + 1 == records.len() {
                self.counts[parent][1] += 1;
                if last_page {
                    self.counts[parent][2] += 1;
                }
            }
            self.position[parent] = (page, record + 1);
            return Ok(Some((partition.clone(), records[record].clone())));
        }
    }

    fn state(&self, parent: usize) -> Value {
        let [observed, closed, ensured] = self.counts.get(parent).copied().unwrap_or([0; 3]);
        json!({"observed": observed, "closed": closed, "ensured": ensured})
    }
}

/// `get_request_params`: the options injected into the query, the first
/// router's winning.
fn params(options: &[(Value, Value)]) -> Value {
    let mut out = Map::new();
    for (option, value) in options {
        if option["inject_into"] == "request_parameter"
            && let Some(name) = option["field_name"].as_str()
        {
            out.entry(name.to_owned()).or_insert_with(|| value.clone());
        }
    }
    Value::Object(out)
}

fn ours(q: &Value) -> Value {
    let run = || -> Result<Value, Error> {
        let jinja = Jinja::new();
        let router = PartitionRouter::from_manifest(Some(&q["router"]), &jinja, &q["config"])?;
        let mut parents = FakeParents::new(&q["parents"]);
        let mut partitions = router.partitions();
        let mut out = Vec::new();
        while let Some(p) = partitions.next(&mut parents)? {
            out.push(json!({
                "partition": p.slice.partition,
                "cursor_slice": p.slice.cursor_slice,
                "extra_fields": p.slice.extra_fields,
                "state": p.parent_state,
                "params": params(&router.request_options(&p.slice)),
            }));
        }
        Ok(json!({"partitions": out, "final_state": partitions.stream_state(&parents)}))
    };
    run().unwrap_or_else(|e| json!({"error": e.to_string()}))
}

fn option(name: &str) -> Value {
    json!({"type": "RequestOption", "inject_into": "request_parameter", "field_name": name})
}

fn parent(key: &str, field: &str, incremental: bool) -> Value {
    json!({"type": "ParentStreamConfig", "parent_key": key, "partition_field": field,
           "stream": {"type": "DeclarativeStream", "name": format!("parent_{field}")},
           "incremental_dependency": incremental, "request_option": option(field)})
}

fn substream(configs: Vec<Value>) -> Value {
    json!({"type": "SubstreamPartitionRouter", "parent_stream_configs": configs})
}

fn parent_pages() -> Value {
    json!([
        {"partition": {"page": 1}, "records": [
            {"id": 1, "meta": {"id": "a", "tags": ["x"]}, "items": [5, 6], "name": "one"},
            {"id": null, "meta": {}},
            {"meta": {"id": null}},
            {"id": 0, "name": "zero"},
        ]},
        {"partition": {}, "records": []},
        {"partition": {"page": 3}, "records": [
            {"id": "", "meta": {"id": "b"}},
            {"id": [1, 2], "meta": {"id": 7, "x": {"y": 1}}},
            {"id": {"x": 1}},
            {"id": 1, "name": "again"},
        ]},
    ])
}

#[test]
fn routers_agree_with_the_cdk() {
    let config = json!({"ids": [3, "4", 5.5], "text": "ab", "key": "meta/id", "field": "section",
                        "map": {"k": 1}, "number": 7});
    let mut routers = vec![
        json!({"type": "ListPartitionRouter", "cursor_field": "section", "values": ["a", "b", "c"],
               "request_option": option("section")}),
        json!({"type": "ListPartitionRouter", "cursor_field": "{{ config.field }}", "values": [1, 2.5, true]}),
        json!({"type": "ListPartitionRouter", "cursor_field": "s", "values": "{{ config.ids }}",
               "request_option": option("s")}),
        json!({"type": "ListPartitionRouter", "cursor_field": "s", "values": "{{ config.text }}"}),
        json!({"type": "ListPartitionRouter", "cursor_field": "s", "values": "{{ config.map }}"}),
        json!({"type": "ListPartitionRouter", "cursor_field": "s", "values": "{{ config.number }}"}),
        json!({"type": "ListPartitionRouter", "cursor_field": "s", "values": "['', 0, 'x']",
               "request_option": option("s")}),
        json!({"type": "ListPartitionRouter", "values": ["a"]}),
    ];
    for key in [
        "id",
        "meta/id",
        "/meta/id",
        "items/0",
        "items/1",
        "{{ config.key }}",
        "missing",
        "meta/*",
        "*/id",
        "meta/tags/0",
        "name",
    ] {
        routers.push(substream(vec![parent(key, "pid", false)]));
        routers.push(substream(vec![parent(key, "pid", true)]));
    }
    let mut extra = parent("id", "pid", true);
    extra["extra_fields"] = json!([
        ["name"],
        ["meta", "id"],
        ["missing", "deeper"],
        ["meta", "x"]
    ]);
    routers.push(substream(vec![extra]));
    routers.push(substream(vec![
        parent("id", "first", true),
        parent("meta/id", "second", false),
    ]));
    routers.push(substream(vec![
        parent("id", "first", true),
        parent("meta/id", "second", true),
    ]));
    routers.push(json!([
        {"type": "ListPartitionRouter", "cursor_field": "a", "values": ["1", "2"], "request_option": option("a")},
        {"type": "ListPartitionRouter", "cursor_field": "b", "values": ["x", "y", "z"], "request_option": option("a")},
    ]));
    routers.push(json!([
        {"type": "ListPartitionRouter", "cursor_field": "a", "values": ["1", "2"]},
        substream(vec![parent("id", "pid", true)]),
    ]));
    routers.push(json!([
        {"type": "ListPartitionRouter", "cursor_field": "a", "values": ["1"]},
        {"type": "ListPartitionRouter", "cursor_field": "a", "values": ["2"]},
    ]));
    routers.push(json!([
        {"type": "ListPartitionRouter", "cursor_field": "a", "values": []},
        {"type": "ListPartitionRouter", "cursor_field": "b", "values": ["x"]},
    ]));
    for size in [1, 2, 3, 10] {
        for dedup in [true, false] {
            let mut plain = parent("meta/id", "pid", true);
            plain.as_object_mut().map(|p| p.remove("request_option"));
            routers.push(
                json!({"type": "GroupingPartitionRouter", "group_size": size, "deduplicate": dedup,
                                "underlying_partition_router": substream(vec![plain])}),
            );
            routers.push(json!({"type": "GroupingPartitionRouter", "group_size": size, "deduplicate": dedup,
                                "underlying_partition_router": {"type": "ListPartitionRouter", "cursor_field": "s",
                                    "values": ["a", "b", "a", "c", "b", "d"]}}));
        }
    }
    let queries: Vec<Value> = routers
        .into_iter()
        .map(
            |r| json!({"router": r, "config": config, "parents": [parent_pages(), parent_pages()]}),
        )
        .collect();
    reference::compare(
        "routers.py",
        &queries,
        4,
        ours,
        |q| q["router"].to_string(),
        |_| {},
    );
}

#[test]
fn unknown_routers_are_refused() {
    let jinja = Jinja::new();
    for router in [
        json!({"type": "UnionPartitionRouter"}),
        json!({"type": "CustomPartitionRouter", "class_name": "x.Y"}),
        json!({"type": "SubstreamPartitionRouter", "parent_stream_configs": []}),
        json!({"type": "GroupingPartitionRouter", "group_size": 0,
               "underlying_partition_router": {"type": "ListPartitionRouter", "cursor_field": "a", "values": ["1"]}}),
        json!({"type": "GroupingPartitionRouter", "group_size": 2,
               "underlying_partition_router": {"type": "ListPartitionRouter", "cursor_field": "a", "values": ["1"],
                                               "request_option": option("a")}}),
    ] {
        let error =
            PartitionRouter::from_manifest(Some(&router), &jinja, &json!({})).expect_err("refused");
        assert_eq!(
            error.failure_type(),
            airbyte_sdk::protocol::FailureType::ConfigError,
            "{router}"
        );
    }
}
