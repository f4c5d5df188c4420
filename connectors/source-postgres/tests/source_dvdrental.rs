//! The DVD rental database, every table and view, read in full: row counts and
//! content equal the source, and the discovered catalog is snapshotted.

mod common;

use std::collections::BTreeMap;

use airbyte_sdk::testkit::TestDir;
use common::*;

#[test]
fn discover_catalog_snapshot() {
    let dir = TestDir::new("pg-discover");
    let config = dir.write_json("config.json", &config("dvdrental"));
    let out = run(&["discover", "--config", config.to_str().expect("path")]);
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    let catalog = out.catalog().expect("catalog");
    assert_eq!(catalog.streams.len(), 22);
    insta::assert_json_snapshot!(
        "dvdrental_catalog",
        serde_json::to_value(catalog).expect("json")
    );
}

#[test]
fn full_refresh_of_every_table_equals_the_source() {
    let dir = TestDir::new("pg-dvd");
    let config = dir.write_json("config.json", &config("dvdrental"));
    let config = config.to_str().expect("path");
    let catalog = configured(&dir, config, "full_refresh", None, None);
    let out = run(&["read", "--config", config, "--catalog", &catalog]);
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    let by_stream = out.records_by_stream();
    runtime().block_on(async {
        let db = connect("dvdrental").await;
        let mut checked = BTreeMap::new();
        for (stream, records) in &by_stream {
            let table = stream.strip_prefix("public.").expect("namespace");
            let count: i64 = db.query_one(&format!("SELECT count(*) FROM public.\"{table}\""), &[]).await.expect("count").get(0);
            assert_eq!(records.len() as i64, count, "row count of {table}");
            // Load our JSON back into the table's row type and compare both ways: every
            // value (dates, numerics, arrays, bytea, enums, tsvector) must round-trip.
            let json = format!("[{}]", records.iter().map(|r| r.data.as_str()).collect::<Vec<_>>().join(","));
            let diff: i64 = db
                .query_one(
                    &format!(
                        "WITH ours AS (SELECT * FROM json_populate_recordset(NULL::public.\"{table}\", $1::text::json)) \
                         SELECT (SELECT count(*) FROM (SELECT * FROM public.\"{table}\" EXCEPT ALL SELECT * FROM ours) a) \
                              + (SELECT count(*) FROM (SELECT * FROM ours EXCEPT ALL SELECT * FROM public.\"{table}\") b)"
                    ),
                    &[&json],
                )
                .await
                .unwrap_or_else(|e| panic!("{table}: {e}"))
                .get(0);
            assert_eq!(diff, 0, "{table}: {diff} rows differ from the source");
            checked.insert(table.to_owned(), count);
        }
        assert_eq!(checked.len(), 22, "every table and view was read: {checked:?}");
        assert_eq!(checked["payment"], 14596);
        assert_eq!(checked["rental"], 16044);
    });
    // Every stream completed with a final state.
    for s in ["actor", "payment", "film_list"] {
        assert_eq!(
            out.statuses(s).last(),
            Some(&airbyte_sdk::protocol::AirbyteStreamStatus::Complete)
        );
    }
}
