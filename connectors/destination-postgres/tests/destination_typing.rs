//! Values that do not fit their column become NULL with a change in `_airbyte_meta`.

mod common;

use airbyte_sdk::testkit::TestDir;
use common::*;
use serde_json::json;

#[test]
fn typecast_failures_become_null_with_changes() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_typing"));
    let dir = TestDir::new("dst-typing");
    let props = json!({
        "id": {"type": "integer"}, "n": {"type": "integer"}, "s": {"type": "string"}, "big": {"type": "string"},
        "amount": {"type": "number"}, "ts": {"type": "string", "format": "date-time"}, "d": {"type": "string", "format": "date"},
        "obj": {"type": "object"}, "arr": {"type": "array"}
    });
    let big = "x".repeat(1024 * 1024);
    let line = format!(
        r#"{{"type":"RECORD","record":{{"stream":"t","data":{{"id":1,"n":"not a number","s":{{"nested":true}},"big":"{big}","amount":12345678901234567890.123456789,"ts":"yesterday","d":"2024-02-30x","obj":{{"a":[1,2]}},"arr":[1,"two"]}},"emitted_at":1,"meta":{{"changes":[{{"field":"other","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}}]}}}}}}"#
    );
    let good = record(
        "t",
        json!({"id": 2, "n": 5, "s": "fine", "amount": 1.5, "ts": "2024-01-01T00:00:00Z", "d": "2024-01-01"}),
        2,
    );
    let out = write(
        &dir,
        "dst_typing",
        None,
        vec![stream("t", "append", props, None, None)],
        &[line, good, state(1)],
    );
    assert_eq!(
        out.exit_code, 0,
        "typecast failures never fail the sync: {}",
        out.stdout
    );
    rt.block_on(async {
        let got = rows(&db, "SELECT id, n, s, length(big) AS big_len, amount::text AS amount, ts, d, obj, arr, _airbyte_meta FROM public.t ORDER BY id").await;
        let bad = &got[0];
        assert_eq!((bad["n"].clone(), bad["s"].clone(), bad["ts"].clone(), bad["d"].clone()), (json!(null), json!(null), json!(null), json!(null)));
        assert_eq!(bad["big_len"], json!(1024 * 1024), "a 1 MB string is kept whole");
        assert_eq!(bad["amount"], json!("12345678901234567890.123456789"));
        assert_eq!(bad["obj"], json!({"a": [1, 2]}));
        assert_eq!(bad["arr"], json!([1, "two"]));
        let changes = bad["_airbyte_meta"]["changes"].as_array().expect("changes");
        let nulled: Vec<&str> = changes.iter().filter(|c| c["reason"] == "DESTINATION_TYPECAST_ERROR").map(|c| c["field"].as_str().expect("field")).collect();
        assert_eq!(nulled, ["d", "n", "s", "ts"]);
        assert!(changes.iter().all(|c| c["change"] == "NULLED" || c["field"] == "other"));
        assert!(changes.iter().any(|c| c["field"] == "other" && c["reason"] == "SOURCE_FIELD_SIZE_LIMITATION"), "source changes are kept");
        assert_eq!(got[1]["_airbyte_meta"]["changes"], json!([]));
        assert_eq!(got[1]["ts"], json!("2024-01-01T00:00:00+00:00"));
    });
}

#[test]
fn new_columns_are_added_and_changed_types_widened() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_evolve"));
    let dir = TestDir::new("dst-evolve");
    let v1 = json!({"id": {"type": "integer"}, "x": {"type": "integer"}});
    write(
        &dir,
        "dst_evolve",
        None,
        vec![stream("e", "append", v1, None, None)],
        &[record("e", json!({"id": 1, "x": 10}), 1), state(1)],
    );
    let v2 =
        json!({"id": {"type": "integer"}, "x": {"type": "string"}, "added": {"type": "boolean"}});
    let out = write(
        &dir,
        "dst_evolve",
        None,
        vec![stream("e", "append", v2, None, None)],
        &[
            record("e", json!({"id": 2, "x": "ten", "added": true}), 2),
            state(2),
        ],
    );
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    rt.block_on(async {
        let got = rows(&db, "SELECT id, x, added FROM public.e ORDER BY id").await;
        assert_eq!(
            got,
            vec![
                json!({"id": 1, "x": "10", "added": null}),
                json!({"id": 2, "x": "ten", "added": true})
            ]
        );
    });
}

/// Every value we accept for a temporal or numeric column is stored exactly
/// as PostgreSQL's own cast of its text would store it; every value that
/// cast rejects is NULL with a change (never a failed load). Our parser may
/// be stricter than PostgreSQL's (`yesterday`), never looser or different.
#[test]
fn values_match_postgresqls_own_casts() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_casts"));
    let dir = TestDir::new("dst-casts");
    // (column, PostgreSQL type, raw JSON value, whether we must accept it)
    let tstz = "timestamptz";
    let cases: &[(&str, &str, &str, bool)] = &[
        ("c_tstz", tstz, r#""2024-01-01T10:00:00Z""#, true),
        ("c_tstz", tstz, r#""2024-01-01 10:00:00+05:30""#, true),
        (
            "c_tstz",
            tstz,
            r#""2024-01-01T10:00:00.123456789-0800""#,
            true,
        ),
        ("c_tstz", tstz, r#""1999-12-31T23:59:59.9999995Z""#, true),
        ("c_tstz", tstz, r#""2024-02-29T23:59:60Z""#, true),
        ("c_tstz", tstz, r#""2024-12-31T24:00:00Z""#, true),
        ("c_tstz", tstz, r#""2024-06-01T12:00:00""#, true),
        ("c_tstz", tstz, r#""2024-06-01""#, true),
        ("c_tstz", tstz, r#""2024-01-01T10:00:00+15:59""#, true),
        ("c_tstz", tstz, r#""0044-03-15 12:00:00+00 BC""#, true),
        ("c_tstz", tstz, r#""4714-11-24 00:00:00+00 BC""#, true),
        ("c_tstz", tstz, r#""infinity""#, true),
        ("c_tstz", tstz, r#""-infinity""#, true),
        ("c_tstz", tstz, r#""2024-02-30T00:00:00Z""#, false),
        ("c_tstz", tstz, r#""2024-13-01T00:00:00Z""#, false),
        ("c_tstz", tstz, r#""2024-01-01T10:00:00+16:00""#, false),
        ("c_tstz", tstz, r#""4714-11-23 00:00:00+00 BC""#, false),
        ("c_tstz", tstz, r#""0000-01-01T00:00:00Z""#, false),
        ("c_tstz", tstz, r#""yesterday""#, false),
        ("c_tstz", tstz, "1704103200", false),
        ("c_ts", "timestamp", r#""2024-01-01T10:00:00+02:00""#, true),
        ("c_ts", "timestamp", r#""2024-01-01 10:00:00.5""#, true),
        ("c_ts", "timestamp", r#""2024-02-30 00:00:00""#, false),
        ("c_date", "date", r#""2024-02-29""#, true),
        ("c_date", "date", r#""0001-01-01 BC""#, true),
        ("c_date", "date", r#""infinity""#, true),
        ("c_date", "date", r#""2023-02-29""#, false),
        ("c_date", "date", r#""2024-04-31""#, false),
        ("c_date", "date", r#""2024-01-01T00:00:00Z""#, false),
        ("c_time", "time", r#""10:00:00""#, true),
        ("c_time", "time", r#""24:00:00""#, true),
        ("c_time", "time", r#""23:59:59.9999999""#, true),
        ("c_time", "time", r#""10:00:00+02:00""#, true),
        ("c_time", "time", r#""24:00:01""#, false),
        ("c_time", "time", r#""10:61:00""#, false),
        ("c_timetz", "timetz", r#""10:00:00+05:30""#, true),
        ("c_timetz", "timetz", r#""10:00:00-15:59:59""#, true),
        ("c_timetz", "timetz", r#""10:00:00Z""#, true),
        ("c_timetz", "timetz", r#""10:00:00""#, true),
        ("c_dec", "numeric(38,9)", "0", true),
        ("c_dec", "numeric(38,9)", "-0.00", true),
        ("c_dec", "numeric(38,9)", "1.0000000005", true),
        ("c_dec", "numeric(38,9)", "0.0000000004", true),
        ("c_dec", "numeric(38,9)", "-1.5e-3", true),
        ("c_dec", "numeric(38,9)", "1E+5", true),
        ("c_dec", "numeric(38,9)", r#""12.50""#, true),
        (
            "c_dec",
            "numeric(38,9)",
            "99999999999999999999999999999.999999999",
            true,
        ),
        (
            "c_dec",
            "numeric(38,9)",
            "99999999999999999999999999999.9999999995",
            false,
        ),
        ("c_dec", "numeric(38,9)", "1e29", false),
        ("c_dec", "numeric(38,9)", r#""NaN""#, false),
        ("c_big", "bigint", "9223372036854775807", true),
        ("c_big", "bigint", "-9223372036854775808", true),
        ("c_big", "bigint", "9223372036854775808", false),
    ];
    let props = json!({
        "id": {"type": "integer"}, "src": {"type": "string"}, "ty": {"type": "string"},
        "c_tstz": {"type": "string", "format": "date-time"},
        "c_ts": {"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
        "c_date": {"type": "string", "format": "date"},
        "c_time": {"type": "string", "format": "time", "airbyte_type": "time_without_timezone"},
        "c_timetz": {"type": "string", "format": "time", "airbyte_type": "time_with_timezone"},
        "c_dec": {"type": "number"}, "c_big": {"type": "integer"}
    });
    let lines: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, (column, ty, raw, _))| {
            let src: String = serde_json::from_str::<serde_json::Value>(raw)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| raw.to_string());
            format!(
                r#"{{"type":"RECORD","record":{{"stream":"c","data":{{"id":{i},"src":{},"ty":"{ty}","{column}":{raw}}},"emitted_at":1}}}}"#,
                serde_json::to_string(&src).expect("json")
            )
        })
        .chain([state(1)])
        .collect();
    let out = write(
        &dir,
        "dst_casts",
        None,
        vec![stream("c", "append", props, None, None)],
        &lines,
    );
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    rt.block_on(async {
        db.batch_execute(
            "SET TimeZone = 'UTC';
             CREATE FUNCTION pg_cast(t text, ty text) RETURNS text LANGUAGE plpgsql AS $$
             DECLARE r text;
             BEGIN EXECUTE format('SELECT (%L::%s)::text', t, ty) INTO r; RETURN r;
             EXCEPTION WHEN others THEN RETURN NULL; END $$;",
        )
        .await
        .expect("setup");
        let got = rows(
            &db,
            "SELECT id, src, ty, pg_cast(src, ty) AS theirs,
                    COALESCE(c_tstz::text, c_ts::text, c_date::text, c_time::text, c_timetz::text, c_dec::text, c_big::text) AS ours,
                    _airbyte_meta->'changes' AS changes
             FROM public.c ORDER BY id",
        )
        .await;
        assert_eq!(got.len(), cases.len());
        for (row, (column, _, raw, accept)) in got.iter().zip(cases) {
            let (ours, theirs) = (&row["ours"], &row["theirs"]);
            if *accept {
                assert!(!ours.is_null(), "{column} {raw}: we must accept it: {row}");
            }
            if !ours.is_null() {
                assert_eq!(ours, theirs, "{column} {raw}: stored unlike PostgreSQL's cast: {row}");
            } else {
                assert_eq!(
                    row["changes"],
                    json!([{"field": column, "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"}]),
                    "{raw}"
                );
            }
            if theirs.is_null() {
                assert!(ours.is_null(), "{column} {raw}: PostgreSQL rejects it, so must we");
            }
        }
    });
}

/// With `unconstrained_number`, numbers are stored exactly as written,
/// however large or precise, as PostgreSQL's numeric cast stores them.
#[test]
fn unconstrained_numbers_are_exact() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_numeric"));
    let dir = TestDir::new("dst-numeric");
    let numbers = [
        "0",
        "-0.00",
        "0.000000000000000000001",
        "-12345678901234567890123456789012345678901234567890.5",
        "1.5e-3",
        "2.50E+20",
        "1e1000",
        "-7e-1000",
    ];
    let lines: Vec<String> = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                r#"{{"type":"RECORD","record":{{"stream":"n","data":{{"id":{i},"src":"{n}","x":{n}}},"emitted_at":1}}}}"#
            )
        })
        .chain([state(1)])
        .collect();
    let mut config = config("dst_numeric");
    config["unconstrained_number"] = json!(true);
    let props =
        json!({"id": {"type": "integer"}, "src": {"type": "string"}, "x": {"type": "number"}});
    let out = write(
        &dir,
        "dst_numeric",
        Some(config),
        vec![stream("n", "append", props, None, None)],
        &lines,
    );
    assert_eq!(out.exit_code, 0, "{}", out.stdout);
    let got = rt.block_on(rows(
        &db,
        "SELECT src, x::text AS ours, src::numeric::text AS theirs, format_type(atttypid, atttypmod) AS ty
         FROM public.n, pg_attribute WHERE attrelid = 'public.n'::regclass AND attname = 'x' ORDER BY id",
    ));
    assert_eq!(got.len(), numbers.len());
    for row in &got {
        assert_eq!(row["ty"], json!("numeric"));
        assert_eq!(row["ours"], row["theirs"], "{row}");
    }
}
