//! Cursor incremental: new and updated rows, rows equal to the cursor, NULL cursors.

mod common;

use airbyte_sdk::testkit::{Output, TestDir};
use common::*;
use serde_json::Value;

fn ids(out: &Output) -> Vec<i64> {
    let mut ids: Vec<i64> = out
        .records()
        .iter()
        .map(|r| r.data.to_map()["id"].as_i64().expect("id"))
        .collect();
    ids.sort();
    ids
}

#[test]
fn two_phases_with_new_updated_equal_and_null_cursor_rows() {
    let rt = runtime();
    let db = rt.block_on(async {
        let db = fresh_db("src_incr", None).await;
        db.batch_execute(
            "CREATE TABLE items (id int PRIMARY KEY, name text, updated_at timestamptz);
             INSERT INTO items VALUES (1, 'a', '2024-01-01 10:00+00'), (2, 'b', '2024-01-02 10:00+00'),
                                      (3, 'c', '2024-01-03 10:00+00'), (4, 'd', '2024-01-03 10:00+00'),
                                      (5, 'no cursor', NULL);",
        )
        .await
        .expect("setup");
        db
    });
    let dir = TestDir::new("pg-incr");
    let config = dir.write_json("config.json", &config("src_incr"));
    let config = config.to_str().expect("path");
    let catalog = configured(
        &dir,
        config,
        "incremental",
        Some(&["items"]),
        Some("updated_at"),
    );

    let first = run(&["read", "--config", config, "--catalog", &catalog]);
    assert_eq!(first.exit_code, 0, "{}", first.stdout);
    assert_eq!(
        ids(&first),
        [1, 2, 3, 4, 5],
        "the first sync reads everything, NULL cursors included"
    );
    let state = first
        .last_state()
        .expect("state")
        .stream
        .clone()
        .expect("stream state")
        .stream_state
        .expect("blob");
    let blob: Value = state.parse().expect("json");
    assert_eq!(blob["cursor"], "2024-01-03 10:00:00+00");
    assert_eq!(blob["cursor_record_count"], 2);
    let state_file = dir.write_json("state.json", &first.final_states());
    let state_path = state_file.to_str().expect("path");

    // Nothing changed: nothing is read again (not the rows equal to the cursor either).
    let again = run(&[
        "read",
        "--config",
        config,
        "--catalog",
        &catalog,
        "--state",
        state_path,
    ]);
    assert_eq!(ids(&again), Vec::<i64>::new());

    // A new row, an updated row, a row equal to the saved cursor, and a NULL cursor.
    rt.block_on(async {
        db.batch_execute(
            "INSERT INTO items VALUES (6, 'e', '2024-01-05 10:00+00'), (7, 'same as cursor', '2024-01-03 10:00+00'), (8, 'null again', NULL);
             UPDATE items SET name = 'a2', updated_at = '2024-01-04 10:00+00' WHERE id = 1;",
        )
        .await
        .expect("changes");
    });
    let second = run(&[
        "read",
        "--config",
        config,
        "--catalog",
        &catalog,
        "--state",
        state_path,
    ]);
    // Row 7 shares the saved cursor value: the rows at that value are read again (3 and 4 too),
    // so no row is lost; 8 has a NULL cursor and is not re-read.
    assert_eq!(ids(&second), [1, 3, 4, 6, 7]);
    let updated = second
        .records()
        .iter()
        .find(|r| r.data.to_map()["id"] == 1)
        .map(|r| r.data.to_map()["name"].clone());
    assert_eq!(updated, Some(Value::from("a2")));
    let state_file = dir.write_json("state2.json", &second.final_states());
    let third = run(&[
        "read",
        "--config",
        config,
        "--catalog",
        &catalog,
        "--state",
        state_file.to_str().expect("path"),
    ]);
    assert_eq!(
        ids(&third),
        Vec::<i64>::new(),
        "and then none is re-read forever"
    );
}

#[test]
fn integer_cursors_compare_as_numbers() {
    let rt = runtime();
    rt.block_on(async {
        let db = fresh_db("src_incr_int", None).await;
        db.batch_execute("CREATE TABLE t (id int PRIMARY KEY, v numeric(30,2)); INSERT INTO t SELECT g, g * 10.5 FROM generate_series(1, 9) g;")
            .await
            .expect("setup");
    });
    let dir = TestDir::new("pg-incr-int");
    let config = dir.write_json("config.json", &config("src_incr_int"));
    let config = config.to_str().expect("path");
    let catalog = configured(&dir, config, "incremental", Some(&["t"]), Some("v"));
    let first = run(&["read", "--config", config, "--catalog", &catalog]);
    assert_eq!(first.records().len(), 9);
    rt.block_on(async {
        // 100.00 > 94.50 as numbers, though "100.00" < "94.50" as strings.
        connect("src_incr_int")
            .await
            .batch_execute("INSERT INTO t VALUES (10, 100.00)")
            .await
            .expect("insert");
    });
    let state = dir.write_json("state.json", &first.final_states());
    let second = run(&[
        "read",
        "--config",
        config,
        "--catalog",
        &catalog,
        "--state",
        state.to_str().expect("path"),
    ]);
    assert_eq!(ids(&second), [10]);
}
