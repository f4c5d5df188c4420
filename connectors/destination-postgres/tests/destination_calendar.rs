//! The SDK's calendar edge cases (`airbyte_sdk::value::cases`) against the
//! server: what the table says PostgreSQL makes of each value is what
//! PostgreSQL's own cast makes of it, and what the destination stores.

mod common;

use airbyte_sdk::testkit::TestDir;
use airbyte_sdk::value::cases::{CASES, Kind};
use common::*;
use serde_json::json;

/// The column and PostgreSQL type of a kind.
fn column(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Date => ("c_date", "date"),
        Kind::Time => ("c_time", "time"),
        Kind::TimeTz => ("c_timetz", "timetz"),
        Kind::Timestamp => ("c_ts", "timestamp"),
        Kind::TimestampTz => ("c_tstz", "timestamptz"),
    }
}

#[test]
fn calendar_cases_match_postgresql() {
    let rt = runtime();
    let db = rt.block_on(fresh_db("dst_calendar"));
    let dir = TestDir::new("dst-calendar");
    let props = json!({
        "id": {"type": "integer"}, "src": {"type": "string"}, "ty": {"type": "string"},
        "c_tstz": {"type": "string", "format": "date-time"},
        "c_ts": {"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
        "c_date": {"type": "string", "format": "date"},
        "c_time": {"type": "string", "format": "time", "airbyte_type": "time_without_timezone"},
        "c_timetz": {"type": "string", "format": "time", "airbyte_type": "time_with_timezone"}
    });
    let lines: Vec<String> = CASES
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let (col, ty) = column(case.kind);
            record(
                "c",
                json!({"id": i, "src": case.text, "ty": ty, col: case.text}),
                1,
            )
        })
        .chain([state(1)])
        .collect();
    let out = write(
        &dir,
        "dst_calendar",
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
            "SELECT id, src, pg_cast(src, ty) AS theirs,
                    COALESCE(c_tstz::text, c_ts::text, c_date::text, c_time::text, c_timetz::text) AS ours
             FROM public.c ORDER BY id",
        )
        .await;
        assert_eq!(got.len(), CASES.len());
        let mut failures = Vec::new();
        for (row, case) in got.iter().zip(CASES) {
            let (ours, theirs) = (&row["ours"], &row["theirs"]);
            let expected = case.postgres.is_some();
            if theirs.is_null() == expected {
                failures.push(format!("{:?} {}: PostgreSQL's cast gives {theirs}, the table says {:?}", case.kind, case.text, case.postgres));
            }
            if ours.is_null() == expected {
                failures.push(format!("{:?} {}: we stored {ours}, the table says {:?}", case.kind, case.text, case.postgres));
            }
            if !ours.is_null() && ours != theirs {
                failures.push(format!("{:?} {}: we stored {ours}, PostgreSQL's cast gives {theirs}", case.kind, case.text));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}
