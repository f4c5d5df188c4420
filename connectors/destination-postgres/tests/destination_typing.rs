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
