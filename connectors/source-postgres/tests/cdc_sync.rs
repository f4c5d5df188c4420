//! CDC against the real test server: snapshot, changes, acknowledgement, TOAST, resume.
//!
//! Needs the server of `scripts/pg.sh start` (wal_level=logical) and its URL in
//! `AIRBYTE_TEST_PG_URL`. Each test uses its own database, slot and publication.

mod cdc_support;

use std::time::{Duration, Instant};

use airbyte_sdk::protocol::AirbyteStreamStatus;
use cdc_support::*;
use serde_json::{Value, json};

#[test]
fn snapshot_then_changes_then_newer_changes() {
    let rt = runtime();
    let (fx, db) = rt.block_on(Fixture::new(
        "flow",
        "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2), seen timestamptz, tags text[]);
         INSERT INTO items VALUES (1, 'one', 1.50, '2024-01-01 10:00+00', '{a,b}'), (2, 'two', 2.00, NULL, NULL), (3, 'three \"3\"', 3.25, NULL, '{}');
         CREATE TABLE plain (v text);
         INSERT INTO plain VALUES ('x'), ('y');",
        "items",
    ));
    let catalog = fx.catalog(&["items"], &["plain"]);

    // 1. The initial sync: a snapshot with the CDC columns, a GLOBAL state.
    let (first, state1) = fx.read(&catalog, None, "first");
    let items = records(&first, "items");
    assert_eq!(items.len(), 3, "{}", first.stdout);
    for r in &items {
        assert!(r["_ab_cdc_lsn"].as_u64().is_some_and(|l| l > 0), "{r:?}");
        assert!(is_rfc3339_utc(&r["_ab_cdc_updated_at"]), "{r:?}");
        assert_eq!(r["_ab_cdc_deleted_at"], Value::Null);
    }
    assert_eq!(by_id(&items, 1)[0]["price"], json!(1.5));
    assert_eq!(by_id(&items, 1)[0]["tags"], json!(["a", "b"]));
    assert_eq!(
        by_id(&items, 1)[0]["seen"],
        json!("2024-01-01T10:00:00+00:00")
    );
    assert_eq!(by_id(&items, 3)[0]["name"], json!("three \"3\""));
    assert_eq!(
        records(&first, "plain").len(),
        2,
        "the full refresh stream is read too"
    );
    for r in records(&first, "plain") {
        assert!(
            !r.contains_key("_ab_cdc_lsn"),
            "a full refresh stream has no CDC columns"
        );
    }
    for stream in ["items", "plain"] {
        assert_eq!(
            first.statuses(stream),
            [
                AirbyteStreamStatus::Started,
                AirbyteStreamStatus::Running,
                AirbyteStreamStatus::Complete
            ]
        );
    }
    let lsn1 = shared_lsn(&first);
    let snapshot_lsn = items[0]["_ab_cdc_lsn"].as_u64().unwrap_or_default();

    // 2. Insert, update, delete: the next sync emits exactly those.
    rt.block_on(async {
        db.batch_execute(
            "INSERT INTO items VALUES (4, 'four', 4.00, NULL, NULL);
             UPDATE items SET name = 'one again', price = 1.75 WHERE id = 1;
             DELETE FROM items WHERE id = 2;",
        )
        .await
        .expect("changes");
    });
    let began = Instant::now();
    let (second, state2) = fx.read(&catalog, Some(&state1), "second");
    let items = records(&second, "items");
    assert_eq!(items.len(), 3, "only the three changes: {items:?}");
    let (insert, update, delete) = (
        by_id(&items, 4)[0],
        by_id(&items, 1)[0],
        by_id(&items, 2)[0],
    );
    assert_eq!(insert["name"], json!("four"));
    assert_eq!(insert["_ab_cdc_deleted_at"], Value::Null);
    assert_eq!(update["name"], json!("one again"));
    assert_eq!(update["price"], json!(1.75));
    assert_eq!(update["tags"], json!(["a", "b"]));
    assert_eq!(update["_ab_cdc_deleted_at"], Value::Null);
    assert!(is_rfc3339_utc(&delete["_ab_cdc_deleted_at"]), "{delete:?}");
    assert_eq!(
        delete["_ab_cdc_deleted_at"], delete["_ab_cdc_updated_at"],
        "deleted at the commit time"
    );
    assert!(
        !delete.contains_key("name"),
        "a delete carries the old key only (REPLICA IDENTITY DEFAULT): {delete:?}"
    );
    for r in [insert, update, delete] {
        assert!(
            r["_ab_cdc_lsn"].as_u64().is_some_and(|l| l > snapshot_lsn),
            "changes sort after the snapshot: {r:?}"
        );
        assert!(is_rfc3339_utc(&r["_ab_cdc_updated_at"]));
    }
    let lsns: Vec<u64> = [insert, update, delete]
        .iter()
        .map(|r| r["_ab_cdc_lsn"].as_u64().unwrap_or_default())
        .collect();
    assert!(
        lsns.windows(2).all(|w| w[0] < w[1]),
        "in WAL order: {lsns:?}"
    );
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "a sync with changes does not wait: {:?}",
        began.elapsed()
    );
    assert_eq!(
        records(&second, "plain").len(),
        2,
        "full refresh streams are read again"
    );
    let lsn2 = shared_lsn(&second);
    assert!(lsn2 > lsn1, "{lsn2} > {lsn1}");
    let acknowledged = rt.block_on(confirmed_flush(&db, &fx.slot));
    assert!(
        acknowledged >= lsn1,
        "the second sync acknowledged the first sync's LSN: {acknowledged} >= {lsn1}"
    );
    assert!(
        acknowledged < lsn2,
        "nothing is acknowledged past the input state: {acknowledged} < {lsn2}"
    );

    // 3. Only newer changes; the slot moves on to the second sync's LSN.
    rt.block_on(async {
        db.batch_execute("UPDATE items SET name = 'three again' WHERE id = 3")
            .await
            .expect("change");
    });
    let (third, state3) = fx.read(&catalog, Some(&state2), "third");
    let items = records(&third, "items");
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["name"], json!("three again"));
    let acknowledged = rt.block_on(confirmed_flush(&db, &fx.slot));
    assert!(
        acknowledged >= lsn2 && acknowledged > lsn1,
        "{acknowledged} >= {lsn2}"
    );

    // 4. Nothing new: nothing is read, and the sync does not wait for initial_waiting_seconds.
    let began = Instant::now();
    let (fourth, _) = fx.read(&catalog, Some(&state3), "fourth");
    assert_eq!(records(&fourth, "items").len(), 0);
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "an idle sync ends at once: {:?}",
        began.elapsed()
    );
    assert!(shared_lsn(&fourth) >= shared_lsn(&third));

    rt.block_on(fx.drop_all());
}

#[test]
fn unchanged_toast_values_are_not_emitted_as_null() {
    let rt = runtime();
    let (fx, db) = rt.block_on(Fixture::new(
        "toast",
        "CREATE TABLE docs (id int PRIMARY KEY, body text, n int);
         ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
         INSERT INTO docs SELECT 1, string_agg(md5(i::text), '') , 1 FROM generate_series(1, 1000) i;",
        "docs",
    ));
    let catalog = fx.catalog(&["docs"], &[]);
    let (first, state1) = fx.read(&catalog, None, "first");
    let body = records(&first, "docs")[0]["body"]
        .as_str()
        .expect("body")
        .to_owned();
    assert_eq!(body.len(), 32_000);

    rt.block_on(async {
        db.batch_execute("UPDATE docs SET n = 2 WHERE id = 1")
            .await
            .expect("update n");
        db.batch_execute("UPDATE docs SET body = 'short', n = 3 WHERE id = 1")
            .await
            .expect("update body");
    });
    let (second, _) = fx.read(&catalog, Some(&state1), "second");
    let docs = records(&second, "docs");
    assert_eq!(docs.len(), 2, "{docs:?}");
    assert_eq!(docs[0]["n"], json!(2));
    assert!(
        !docs[0].contains_key("body"),
        "an unchanged TOASTed value is left out, never null: {:?}",
        docs[0].keys().collect::<Vec<_>>()
    );
    assert_eq!(docs[1]["body"], json!("short"));
    rt.block_on(fx.drop_all());
}

#[test]
fn snapshot_resumes_after_the_saved_key_and_full_identity_deletes_carry_the_row() {
    let rt = runtime();
    let (fx, db) = rt.block_on(Fixture::new(
        "resume",
        "CREATE TABLE big (id int PRIMARY KEY, v text);
         INSERT INTO big SELECT i, 'v' || i FROM generate_series(1, 12000) i;
         CREATE TABLE full_id (id int PRIMARY KEY, v text);
         ALTER TABLE full_id REPLICA IDENTITY FULL;
         INSERT INTO full_id VALUES (1, 'one'), (2, 'two');",
        "big, full_id",
    ));
    let catalog = fx.catalog(&["big", "full_id"], &[]);
    let (first, state1) = fx.read(&catalog, None, "first");
    assert_eq!(records(&first, "big").len(), 12_000);
    // More than 10 000 records: a state in the middle of the snapshot names the last key read.
    let progress: Vec<Value> = first
        .states()
        .iter()
        .filter_map(|s| {
            let g = s.global.as_ref()?;
            let st = g
                .stream_states
                .iter()
                .find(|st| st.stream_descriptor.name == "big")?;
            let v: Value = st.stream_state.as_ref()?.as_str().parse().ok()?;
            (v["state_type"] == "snapshot").then_some(v)
        })
        .collect();
    assert_eq!(progress.len(), 1, "one checkpoint inside the snapshot");
    assert_eq!(progress[0]["pk_name"], json!(["id"]));
    assert_eq!(progress[0]["pk_val"], json!(["10000"]));

    // A sync interrupted there resumes after key 10000 (and streams changes since the saved LSN).
    let mut state: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&state1).expect("state")).expect("json");
    for s in state[0]["global"]["stream_states"]
        .as_array_mut()
        .expect("stream states")
    {
        if s["stream_descriptor"]["name"] == "big" {
            s["stream_state"] = progress[0].clone();
        }
    }
    let resumed_state = fx
        .dir
        .write_json("state-resume.json", &state)
        .display()
        .to_string();
    let (resumed, _) = fx.read(&catalog, Some(&resumed_state), "resumed");
    let big = records(&resumed, "big");
    assert_eq!(big.len(), 2000, "rows 10001..=12000 only");
    assert_eq!(big[0]["id"], json!(10_001));
    assert!(
        records(&resumed, "full_id").is_empty(),
        "its snapshot was done"
    );

    // REPLICA IDENTITY FULL: a delete carries the whole old row; a key change deletes the old key.
    rt.block_on(async {
        db.batch_execute(
            "DELETE FROM full_id WHERE id = 1; UPDATE big SET id = 20000 WHERE id = 5;",
        )
        .await
        .expect("changes");
    });
    let (second, _) = fx.read(&catalog, Some(&state1), "second");
    let deleted = records(&second, "full_id");
    assert_eq!(deleted.len(), 1);
    assert_eq!(
        deleted[0]["v"],
        json!("one"),
        "the old row: {:?}",
        deleted[0]
    );
    assert!(is_rfc3339_utc(&deleted[0]["_ab_cdc_deleted_at"]));
    let big = records(&second, "big");
    assert_eq!(big.len(), 2, "{big:?}");
    assert_eq!(
        (
            big[0]["id"].clone(),
            is_rfc3339_utc(&big[0]["_ab_cdc_deleted_at"])
        ),
        (json!(5), true),
        "old key deleted"
    );
    assert_eq!(
        (
            big[1]["id"].clone(),
            big[1]["v"].clone(),
            big[1]["_ab_cdc_deleted_at"].clone()
        ),
        (json!(20_000), json!("v5"), Value::Null)
    );
    rt.block_on(fx.drop_all());
}
