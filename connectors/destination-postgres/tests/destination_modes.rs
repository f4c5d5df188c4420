//! Every sync mode, dedup edge cases, CDC deletes, states, hostile names.

mod common;

use airbyte_sdk::testkit::TestDir;
use common::*;
use serde_json::{Value, json};

fn props() -> Value {
    json!({"id": {"type": "integer"}, "k2": {"type": "string"}, "v": {"type": "integer"}, "name": {"type": ["null", "string"]}})
}

#[test]
fn append_overwrite_and_states() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_modes"));
    let dir = TestDir::new("dst-modes");
    let lines = vec![
        record("app", json!({"id": 1, "v": 1, "name": "a"}), 1000),
        "a log line that is not JSON".to_owned(),
        record("ovr", json!({"id": 1, "v": 1}), 1000),
        state_of("app", 1),
        r#"{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1.0,"stream_status":{"stream_descriptor":{"name":"app"},"status":"COMPLETE"}}}"#.to_owned(),
        record("ovr", json!({"id": 2, "v": 1}), 1001),
        state(2),
    ];
    let streams = || {
        vec![
            stream("app", "append", props(), None, None),
            stream("ovr", "overwrite", props(), None, None),
        ]
    };
    let out = write(&dir, "dst_modes", None, streams(), &lines);
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    let ids: Vec<i64> = out
        .states()
        .iter()
        .filter_map(|s| s.extra.get_as::<i64>("id").ok().flatten())
        .collect();
    assert_eq!(ids, [1, 2], "states echoed in order, with their id");
    // destinationStats counts that stream's records committed since its previous state.
    assert_eq!(
        out.states()[0]
            .destination_stats
            .as_ref()
            .and_then(|s| s.record_count),
        Some(1.0)
    );
    let second = write(
        &dir,
        "dst_modes",
        None,
        streams(),
        &[
            record("app", json!({"id": 2, "v": 1}), 2000),
            record("ovr", json!({"id": 3, "v": 1}), 2000),
            state(3),
        ],
    );
    assert_eq!(second.exit_code, 0);
    rt.block_on(async {
        let app = rows(&db, "SELECT id, v, name FROM public.app ORDER BY id").await;
        assert_eq!(app, vec![json!({"id": 1, "v": 1, "name": "a"}), json!({"id": 2, "v": 1, "name": null})]);
        let ovr = rows(&db, "SELECT id FROM public.ovr").await;
        assert_eq!(ovr, vec![json!({"id": 3})], "overwrite keeps only the last sync");
        let tmp: i64 = db.query_one("SELECT count(*) FROM pg_tables WHERE tablename LIKE '%airbyte_tmp'", &[]).await.expect("q").get(0);
        assert_eq!(tmp, 0, "the temporary table was swapped in");
        // Both tables keep one BRIN index on _airbyte_extracted_at, the swapped one included.
        let indexes = rows(&db, "SELECT tablename::text AS t, indexname::text AS i, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2").await;
        assert_eq!(
            indexes,
            vec![
                json!({"t": "app", "i": "app_extracted_at", "indexdef": "CREATE INDEX app_extracted_at ON public.app USING brin (_airbyte_extracted_at)"}),
                json!({"t": "ovr", "i": "ovr_extracted_at", "indexdef": "CREATE INDEX ovr_extracted_at ON public.ovr USING brin (_airbyte_extracted_at)"}),
            ]
        );
        let meta = rows(&db, "SELECT _airbyte_meta, _airbyte_raw_id IS NOT NULL AS has_id, _airbyte_extracted_at FROM public.app WHERE id = 1").await;
        assert_eq!(meta[0]["_airbyte_meta"], json!({"changes": [], "sync_id": null}));
        assert_eq!(meta[0]["_airbyte_extracted_at"], json!("1970-01-01T00:00:01+00:00"));
    });
}

#[test]
fn dedup_out_of_order_duplicates_in_a_batch_and_composite_keys() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_dedup"));
    let dir = TestDir::new("dst-dedup");
    let s = || {
        vec![stream(
            "d",
            "append_dedup",
            props(),
            Some(&["id", "k2"]),
            Some("v"),
        )]
    };
    let r = |id: i64, k2: &str, v: i64, t: i64| {
        record(
            "d",
            json!({"id": id, "k2": k2, "v": v, "name": format!("{id}{k2}@{v}")}),
            t,
        )
    };
    // One batch: duplicates of one key, an older cursor arriving after a newer one, a tie broken by extraction time.
    let out = write(
        &dir,
        "dst_dedup",
        None,
        s(),
        &[
            r(1, "a", 5, 1),
            r(1, "a", 3, 2),
            r(1, "b", 1, 3),
            r(2, "a", 7, 4),
            r(2, "a", 7, 5),
            state(1),
        ],
    );
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    // A later sync with an out-of-order (older) cursor for (1, a) and a newer one for (1, b).
    let out = write(
        &dir,
        "dst_dedup",
        None,
        s(),
        &[r(1, "a", 4, 10), r(1, "b", 2, 11), state(2)],
    );
    assert_eq!(out.exit_code, 0);
    rt.block_on(async {
        let got = rows(
            &db,
            "SELECT id, k2, v, name, _airbyte_extracted_at FROM public.d ORDER BY id, k2",
        )
        .await;
        let names: Vec<&str> = got
            .iter()
            .map(|r| r["name"].as_str().expect("name"))
            .collect();
        assert_eq!(names, ["1a@5", "1b@2", "2a@7"]);
        assert_eq!(
            got[2]["_airbyte_extracted_at"],
            json!("1970-01-01T00:00:00.005+00:00"),
            "ties go to the latest extraction"
        );
    });
}

#[test]
fn cdc_deletes_hard_and_soft() {
    let rt = runtime();
    for (mode, expected) in [("Hard delete", vec![2]), ("Soft delete", vec![1, 2])] {
        let db_name = if mode == "Hard delete" {
            "dst_cdc_hard"
        } else {
            "dst_cdc_soft"
        };
        let db = rt.block_on(fresh_db(db_name));
        let dir = TestDir::new("dst-cdc");
        let mut properties = props();
        properties["_ab_cdc_lsn"] = json!({"type": ["null", "number"]});
        properties["_ab_cdc_deleted_at"] = json!({"type": ["null", "string"]});
        properties["_ab_cdc_updated_at"] = json!({"type": ["null", "string"]});
        let s = || {
            vec![stream(
                "c",
                "append_dedup",
                properties.clone(),
                Some(&["id"]),
                Some("_ab_cdc_lsn"),
            )]
        };
        let mut cfg = config(db_name);
        cfg["cdc_deletion_mode"] = json!(mode);
        let rec = |id: i64, lsn: i64, deleted: Option<&str>| {
            record(
                "c",
                json!({"id": id, "v": lsn, "_ab_cdc_lsn": lsn, "_ab_cdc_deleted_at": deleted, "_ab_cdc_updated_at": "2024-01-01T00:00:00Z"}),
                lsn,
            )
        };
        write(
            &dir,
            db_name,
            Some(cfg.clone()),
            s(),
            &[rec(1, 10, None), rec(2, 11, None), state(1)],
        );
        let out = write(
            &dir,
            db_name,
            Some(cfg.clone()),
            s(),
            &[rec(1, 20, Some("2024-01-02T00:00:00Z")), state(2)],
        );
        assert_eq!(out.exit_code, 0);
        rt.block_on(async {
            let ids: Vec<i64> = rows(&db, "SELECT id FROM public.c ORDER BY id")
                .await
                .iter()
                .map(|r| r["id"].as_i64().expect("id"))
                .collect();
            assert_eq!(ids, expected, "{mode}");
            if mode == "Soft delete" {
                let deleted =
                    rows(&db, "SELECT _ab_cdc_deleted_at FROM public.c WHERE id = 1").await;
                assert_eq!(
                    deleted[0]["_ab_cdc_deleted_at"],
                    json!("2024-01-02T00:00:00Z")
                );
            }
        });
    }
}

#[test]
fn hostile_identifiers_long_names_and_a_renamed_stream() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_names"));
    let dir = TestDir::new("dst-names");
    let long = "a_very_long_stream_name_that_goes_on_and_on_past_the_postgres_limit_of_63_bytes";
    let weird = "Tab'le \"Q\" Ünï 表; DROP TABLE x;--";
    let properties = json!({"Col \"x\"": {"type": "integer"}, "MiXeD Case": {"type": "string"}, "é".repeat(40): {"type": "string"}, format!("{}2", "é".repeat(40)): {"type": "string"}});
    let mut cfg = config("dst_names");
    cfg["schema"] = json!("Weird \"Schema\"");
    let data = json!({"Col \"x\"": 1, "MiXeD Case": "it's", "é".repeat(40): "one", format!("{}2", "é".repeat(40)): "two"});
    let out = write(
        &dir,
        "dst_names",
        Some(cfg.clone()),
        vec![
            stream(weird, "append", properties.clone(), None, None),
            stream(long, "append", properties.clone(), None, None),
        ],
        &[
            record(weird, data.clone(), 1),
            record(long, data.clone(), 1),
            state(1),
        ],
    );
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    // The stream is renamed in a later sync: a new table, the old one untouched.
    let out = write(
        &dir,
        "dst_names",
        Some(cfg),
        vec![stream("renamed", "append", properties, None, None)],
        &[record("renamed", data, 2), state(2)],
    );
    assert_eq!(out.exit_code, 0);
    rt.block_on(async {
        let tables: Vec<String> = db
            .query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'Weird \"Schema\"' ORDER BY 1",
                &[],
            )
            .await
            .expect("tables")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(tables.len(), 3, "{tables:?}");
        assert!(tables.contains(&weird.to_owned()) && tables.contains(&"renamed".to_owned()));
        assert!(tables.iter().all(|t| t.len() <= 63));
        let row = rows(
            &db,
            &format!(
                "SELECT * FROM \"Weird \"\"Schema\"\"\".\"{}\"",
                weird.replace('"', "\"\"")
            ),
        )
        .await;
        assert_eq!(row[0]["Col \"x\""], json!(1));
        assert_eq!(row[0]["MiXeD Case"], json!("it's"));
        let values: Vec<&Value> = row[0]
            .as_object()
            .expect("row")
            .iter()
            .filter(|(k, _)| k.starts_with('é'))
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            values.len(),
            2,
            "two long column names stay distinct: {row:?}"
        );
    });
}

#[test]
fn generations_truncate_refresh_and_cleanup() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_generations"));
    let dir = TestDir::new("dst-generations");
    let s = |mode: &str, generation: i64, minimum: i64| {
        let mut s = stream("g", mode, props(), Some(&["id"]), Some("v"));
        s["generation_id"] = json!(generation);
        s["minimum_generation_id"] = json!(minimum);
        s["sync_id"] = json!(100 + generation);
        vec![s]
    };
    let r = |id: i64, v: i64| record("g", json!({"id": id, "v": v}), 1000 + v);
    let sync = |mode: &str, generation: i64, minimum: i64, lines: &[String]| {
        let out = write(
            &dir,
            "dst_generations",
            None,
            s(mode, generation, minimum),
            lines,
        );
        assert_eq!(out.exit_code, 0, "{}", out.stdout);
    };
    let table = || {
        rt.block_on(rows(
            &db,
            "SELECT id, v, _airbyte_generation_id AS g, _airbyte_meta->'sync_id' AS sync FROM public.g ORDER BY id",
        ))
    };
    // Generation 1, a merge (minimum 0): rows accumulate and dedup.
    sync("append_dedup", 1, 0, &[r(1, 1), r(2, 1), state(1)]);
    sync("append_dedup", 1, 0, &[r(2, 2), state(2)]);
    assert_eq!(
        table(),
        vec![
            json!({"id": 1, "v": 1, "g": 1, "sync": 101}),
            json!({"id": 2, "v": 2, "g": 1, "sync": 101})
        ]
    );
    // Generation 2 with minimum 2: a truncate refresh. Only its rows remain, swapped in at the end.
    sync("append_dedup", 2, 2, &[r(3, 3), r(3, 4), state(3)]);
    assert_eq!(table(), vec![json!({"id": 3, "v": 4, "g": 2, "sync": 102})]);
    // Generation 3 with minimum 2: a merge that keeps generation 2 and dedups into it.
    sync("append_dedup", 3, 2, &[r(3, 5), r(4, 5), state(4)]);
    assert_eq!(
        table(),
        vec![
            json!({"id": 3, "v": 5, "g": 3, "sync": 103}),
            json!({"id": 4, "v": 5, "g": 3, "sync": 103})
        ]
    );
    // Generation 5 in append with minimum 4: rows of older generations go once the sync ends.
    sync("append", 5, 4, &[r(5, 6), state(5)]);
    assert_eq!(table(), vec![json!({"id": 5, "v": 6, "g": 5, "sync": 105})]);
    // The swap kept exactly one dedup index and one extracted-at index, under the table's names.
    let indexes = rt.block_on(rows(
        &db,
        "SELECT indexname::text AS i FROM pg_indexes WHERE tablename = 'g' ORDER BY 1",
    ));
    assert_eq!(
        indexes,
        vec![json!({"i": "g_extracted_at"}), json!({"i": "g_pk"})]
    );
}
