//! Raw tables only (`disable_type_dedupe`): each record lands untyped, its
//! `data` as jsonb, in `<raw_data_schema>."<namespace>_raw__stream_<stream>"`
//! (lower-cased), in every sync mode; no typed table is made and nothing is
//! deduplicated.

mod common;

use airbyte_sdk::testkit::{Output, TestDir};
use common::*;
use serde_json::{Value, json};

fn props() -> Value {
    json!({"id": {"type": "integer"}, "v": {"type": "integer"}, "_ab_cdc_deleted_at": {"type": ["null", "string"], "format": "date-time"}})
}

fn raw_config(db: &str, raw_schema: Option<&str>) -> Value {
    let mut c = config(db);
    c["disable_type_dedupe"] = json!(true);
    if let Some(schema) = raw_schema {
        c["raw_data_schema"] = json!(schema);
    }
    c
}

/// A record of `stream` in `namespace`.
fn record_in(namespace: &str, stream: &str, data: Value, emitted_at: i64) -> String {
    json!({"type": "RECORD", "record": {"namespace": namespace, "stream": stream, "data": data, "emitted_at": emitted_at}})
        .to_string()
}

/// A configured stream with generation ids and a sync id.
fn generation(mut s: Value, generation: i64, minimum: i64, sync_id: i64) -> Value {
    s["generation_id"] = json!(generation);
    s["minimum_generation_id"] = json!(minimum);
    s["sync_id"] = json!(sync_id);
    s
}

/// The `id`s of the states echoed, in order.
fn state_ids(out: &Output) -> Vec<i64> {
    out.states()
        .iter()
        .filter_map(|s| s.extra.get_as::<i64>("id").ok().flatten())
        .collect()
}

/// The tables of the database outside the system schemas, as `schema.table`.
async fn tables(db: &tokio_postgres::Client) -> Vec<String> {
    rows(
        db,
        "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg_temp%' ORDER BY 1",
    )
    .await
    .iter()
    .map(|r| r["t"].as_str().expect("name").to_owned())
    .collect()
}

#[test]
fn raw_tables_append_twice_and_overwrite() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_raw"));
    let dir = TestDir::new("dst-raw");
    let streams = || {
        vec![
            generation(stream("App", "append", props(), None, None), 1, 0, 7),
            {
                let mut s = generation(stream("Ovr", "overwrite", props(), None, None), 4, 0, 7);
                s["stream"]["namespace"] = json!("Sales");
                s
            },
        ]
    };
    let first = write(
        &dir,
        "dst_raw",
        Some(raw_config("dst_raw", None)),
        streams(),
        &[
            // A value that does not fit the schema's type is kept as sent: no typing.
            record(
                "App",
                json!({"id": "not an integer", "v": 1, "extra": {"deep": [1, null]}}),
                1000,
            ),
            record_in("Sales", "Ovr", json!({"id": 1}), 1000),
            state_of("App", 1),
            record("App", json!({"id": 2, "v": 2}), 2000),
            record_in("Sales", "Ovr", json!({"id": 2}), 2000),
            state_of("Ovr", 2),
        ],
    );
    assert_eq!(first.exit_code, 0, "{}", first.stdout);
    assert_eq!(state_ids(&first), [1, 2], "states echoed in order");
    let second = write(
        &dir,
        "dst_raw",
        Some(raw_config("dst_raw", None)),
        streams(),
        &[
            record("App", json!({"id": 3, "v": 3}), 3000),
            record_in("Sales", "Ovr", json!({"id": 3}), 3000),
            state_of("App", 3),
        ],
    );
    assert_eq!(second.exit_code, 0, "{}", second.stdout);
    assert_eq!(state_ids(&second), [3]);
    rt.block_on(async {
        assert_eq!(
            tables(&db).await,
            [
                "airbyte_internal.public_raw__stream_app",
                "airbyte_internal.sales_raw__stream_ovr"
            ],
            "raw tables only, lower-cased, no final or temporary tables"
        );
        let layout = rows(
            &db,
            "SELECT attname::text AS name, format_type(atttypid, atttypmod) AS ty, attnotnull AS not_null \
             FROM pg_attribute WHERE attrelid = 'airbyte_internal.public_raw__stream_app'::regclass \
             AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        )
        .await;
        assert_eq!(
            layout,
            [
                json!({"name": "_airbyte_raw_id", "ty": "character varying(36)", "not_null": true}),
                json!({"name": "_airbyte_extracted_at", "ty": "timestamp with time zone", "not_null": true}),
                json!({"name": "_airbyte_loaded_at", "ty": "timestamp with time zone", "not_null": false}),
                json!({"name": "_airbyte_data", "ty": "jsonb", "not_null": true}),
                json!({"name": "_airbyte_meta", "ty": "jsonb", "not_null": false}),
                json!({"name": "_airbyte_generation_id", "ty": "bigint", "not_null": false}),
            ]
        );
        let app = rows(
            &db,
            "SELECT _airbyte_data AS data, _airbyte_loaded_at AS loaded, _airbyte_meta AS meta, \
             _airbyte_generation_id AS g, _airbyte_extracted_at AS at, length(_airbyte_raw_id) AS id_len \
             FROM airbyte_internal.public_raw__stream_app ORDER BY _airbyte_extracted_at",
        )
        .await;
        assert_eq!(app.len(), 3, "append keeps both syncs: {app:?}");
        let data: Vec<&Value> = app.iter().map(|r| &r["data"]).collect();
        assert_eq!(
            data,
            [
                &json!({"id": "not an integer", "v": 1, "extra": {"deep": [1, null]}}),
                &json!({"id": 2, "v": 2}),
                &json!({"id": 3, "v": 3}),
            ],
            "_airbyte_data is the record's data"
        );
        for row in &app {
            assert_eq!(row["loaded"], Value::Null, "_airbyte_loaded_at is NULL");
            assert_eq!(row["meta"], json!({"sync_id": 7, "changes": []}));
            assert_eq!(row["g"], json!(1));
            assert_eq!(row["id_len"], json!(36));
        }
        assert_eq!(app[0]["at"], json!("1970-01-01T00:00:01+00:00"));
        let ovr = rows(
            &db,
            "SELECT _airbyte_data AS data, _airbyte_generation_id AS g FROM airbyte_internal.sales_raw__stream_ovr",
        )
        .await;
        assert_eq!(ovr, [json!({"data": {"id": 3}, "g": 4})], "overwrite keeps only the last sync");
        // The swapped-in table keeps the BRIN index on _airbyte_extracted_at, under the table's name.
        let indexes = rows(
            &db,
            "SELECT tablename::text AS t, indexname::text AS i FROM pg_indexes WHERE schemaname = 'airbyte_internal' ORDER BY 1",
        )
        .await;
        assert_eq!(
            indexes,
            [
                json!({"t": "public_raw__stream_app", "i": "public_raw__stream_app_extracted_at"}),
                json!({"t": "sales_raw__stream_ovr", "i": "sales_raw__stream_ovr_extracted_at"}),
            ]
        );
    });
}

#[test]
fn raw_tables_append_dedup_appends_and_old_generations_go() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_raw_dedup"));
    let dir = TestDir::new("dst-raw-dedup");
    let sync = |g: i64, minimum: i64, lines: &[String]| {
        let s = stream("d", "append_dedup", props(), Some(&["id"]), Some("v"));
        let out = write(
            &dir,
            "dst_raw_dedup",
            Some(raw_config("dst_raw_dedup", Some("Raw_Override"))),
            vec![generation(s, g, minimum, 100 + g)],
            lines,
        );
        assert_eq!(out.exit_code, 0, "{}", out.stdout);
        out
    };
    let r = |id: i64, v: i64, t: i64| record("d", json!({"id": id, "v": v}), t);
    let deleted = record(
        "d",
        json!({"id": 1, "v": 9, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"}),
        5,
    );
    // Duplicates of one key, an older cursor after a newer one, a CDC delete: all appended.
    let first = sync(
        1,
        0,
        &[r(1, 2, 1), r(1, 1, 2), r(2, 1, 3), deleted, state(1)],
    );
    assert_eq!(state_ids(&first), [1]);
    let second = sync(2, 0, &[r(1, 3, 6), state(2)]);
    assert_eq!(state_ids(&second), [2]);
    rt.block_on(async {
        assert_eq!(
            tables(&db).await,
            ["Raw_Override.public_raw__stream_d"],
            "the raw schema as configured; no typed table"
        );
        let got = rows(
            &db,
            "SELECT _airbyte_data AS data, _airbyte_generation_id AS g, _airbyte_meta->'sync_id' AS sync \
             FROM \"Raw_Override\".public_raw__stream_d ORDER BY _airbyte_extracted_at",
        )
        .await;
        assert_eq!(
            got,
            [
                json!({"data": {"id": 1, "v": 2}, "g": 1, "sync": 101}),
                json!({"data": {"id": 1, "v": 1}, "g": 1, "sync": 101}),
                json!({"data": {"id": 2, "v": 1}, "g": 1, "sync": 101}),
                json!({"data": {"id": 1, "v": 9, "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z"}, "g": 1, "sync": 101}),
                json!({"data": {"id": 1, "v": 3}, "g": 2, "sync": 102}),
            ],
            "append_dedup appends in raw mode: no dedup, no hard delete"
        );
    });
    // Generation 3 with minimum 2: the rows of generation 1 go at the end of the sync.
    let third = sync(3, 2, &[r(3, 1, 7), state(3)]);
    assert_eq!(state_ids(&third), [3]);
    rt.block_on(async {
        let got = rows(
            &db,
            "SELECT _airbyte_generation_id AS g, count(*) AS n FROM \"Raw_Override\".public_raw__stream_d GROUP BY 1 ORDER BY 1",
        )
        .await;
        assert_eq!(got, [json!({"g": 2, "n": 1}), json!({"g": 3, "n": 1})]);
        let stage: i64 = db
            .query_one(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%airbyte_tmp' OR tablename LIKE '_airbyte_stage%'",
                &[],
            )
            .await
            .expect("count")
            .get(0);
        assert_eq!(stage, 0);
    });
    // A refresh whose generation is the minimum replaces the raw table, even in append_dedup.
    let fourth = sync(4, 4, &[r(9, 1, 8), state(4)]);
    assert_eq!(state_ids(&fourth), [4]);
    rt.block_on(async {
        let got = rows(
            &db,
            "SELECT _airbyte_data AS data, _airbyte_generation_id AS g FROM \"Raw_Override\".public_raw__stream_d",
        )
        .await;
        assert_eq!(got, [json!({"data": {"id": 9, "v": 1}, "g": 4})]);
    });
}

#[test]
fn long_raw_names_fit_in_63_bytes() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_raw_long"));
    let dir = TestDir::new("dst-raw-long");
    let name = format!("Événements_{}", "x".repeat(60));
    let out = write(
        &dir,
        "dst_raw_long",
        Some(raw_config("dst_raw_long", None)),
        vec![stream(&name, "append", props(), None, None)],
        &[record(&name, json!({"id": 1}), 1), state_of(&name, 1)],
    );
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    rt.block_on(async {
        let tables = tables(&db).await;
        assert_eq!(tables.len(), 1, "{tables:?}");
        let table = tables[0]
            .strip_prefix("airbyte_internal.")
            .expect("raw schema");
        assert_eq!(table.len(), 63, "{table}");
        assert!(
            table.starts_with("public_raw__stream_événements_xxx"),
            "{table}"
        );
    });
}

/// `check` in raw-tables mode checks the raw schema, where the tables go,
/// not the default schema.
#[test]
fn check_in_raw_mode_checks_the_raw_schema() {
    use airbyte_postgres_common::testing::{Cleanup, create_login_role};
    use airbyte_sdk::protocol::ConnectionStatus;
    use airbyte_sdk::testkit::run_binary;

    let db = "dst_raw_check";
    let writer = format!("dst_raw_writer_{}", std::process::id());
    let password = "raw-writer-pw-5d1e";
    let _cleanup = Cleanup {
        db,
        role: Some(writer.clone()),
    };
    let rt = runtime();
    let client = rt.block_on(async {
        let client = fresh_db(db).await;
        create_login_role(&writer, password).await;
        // The writer may create in `open_raw` (and schemas in the database), not in `locked`.
        client
            .batch_execute(&format!(
                "CREATE SCHEMA locked; GRANT USAGE ON SCHEMA locked TO {writer}; \
                 CREATE SCHEMA open_raw; GRANT USAGE, CREATE ON SCHEMA open_raw TO {writer}; \
                 GRANT CREATE ON DATABASE {db} TO {writer}"
            ))
            .await
            .expect("setup");
        client
    });
    let dir = TestDir::new("dst-raw-check");
    let mut cfg = config(db);
    cfg["schema"] = json!("locked");
    cfg["username"] = json!(writer);
    cfg["password"] = json!(password);
    cfg["raw_data_schema"] = json!("open_raw");
    let check = |cfg: &Value| {
        let path = dir.write_json("check.json", cfg);
        let out = run_binary(
            BIN,
            &["check", "--config", path.to_str().expect("path")],
            b"",
        );
        out.connection_status().expect("a connection status").status
    };
    assert_eq!(
        check(&cfg),
        ConnectionStatus::Failed,
        "typed tables go to `locked`"
    );
    cfg["disable_type_dedupe"] = json!(true);
    assert_eq!(
        check(&cfg),
        ConnectionStatus::Succeeded,
        "raw tables go to `open_raw`"
    );
    let out = write(
        &dir,
        db,
        Some(cfg),
        vec![stream("s", "append", props(), None, None)],
        &[record("s", json!({"id": 1}), 1), state(1)],
    );
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    assert_eq!(state_ids(&out), [1]);
    rt.block_on(async {
        assert_eq!(tables(&client).await, ["open_raw.locked_raw__stream_s"]);
    });
}
