//! One calendar: every edge case of `value::cases` parses to its expected
//! value in each range (PostgreSQL's, Snowflake's), and the cursor
//! comparison agrees with both.

use std::cmp::Ordering;

use airbyte_sdk::source::CursorValue;
use airbyte_sdk::value::cases::{CASES, Case, Kind};
use airbyte_sdk::value::temporal::{self, Timestamp};
use airbyte_sdk::value::{Range, calendar};

/// The case's value in `range`, in the kind's unit.
fn parse(case: &Case, range: &Range) -> Option<i128> {
    match case.kind {
        Kind::Date => temporal::date(case.text, range).map(i128::from),
        Kind::Time | Kind::TimeTz => temporal::time(case.text, range).map(|t| i128::from(t.nanos)),
        Kind::Timestamp => {
            temporal::timestamp_ntz(case.text, range).map(Timestamp::nanos_since_epoch)
        }
        Kind::TimestampTz => {
            temporal::timestamp_tz(case.text, range).map(Timestamp::nanos_since_epoch)
        }
    }
}

/// The instant of nanoseconds since 1970, as RFC 3339.
fn text_of(nanos: i128) -> String {
    let t = Timestamp {
        seconds: nanos.div_euclid(1_000_000_000) as i64,
        nanos: nanos.rem_euclid(1_000_000_000) as u32,
    };
    t.rfc3339(9).to_string()
}

#[test]
fn every_case_in_every_range() {
    let mut failures = Vec::new();
    for case in CASES {
        for (name, range, expected) in [
            ("PostgreSQL", Range::POSTGRES, case.postgres),
            ("Snowflake", Range::SNOWFLAKE, case.snowflake),
        ] {
            let got = parse(case, &range);
            if got != expected {
                failures.push(format!(
                    "{:?} {:?} in {name}: {got:?}, expected {expected:?}",
                    case.kind, case.text
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_table_covers_the_edges() {
    let has = |text: &str| CASES.iter().any(|c| c.text.contains(text));
    for edge in [
        "2024-02-30",
        "24:00:00",
        "23:59:60",
        "1900-02-29",
        "2000-02-29",
        "4714-11-24 BC",
        "5874897-12-31",
        "294276-12-31",
        "9999-12-31",
        "0000-01-01",
    ] {
        assert!(has(edge), "{edge}");
    }
    assert!(
        CASES
            .iter()
            .any(|c| c.postgres.is_some() != c.snowflake.is_some()),
        "the ranges differ somewhere"
    );
}

/// Dates and timestamps as cursors: a cursor is a timestamp exactly when the
/// widest range reads one, every value PostgreSQL or Snowflake accepts is
/// one, and it compares equal to the instant that store reads.
#[test]
fn cursors_agree_with_both_stores() {
    for case in CASES
        .iter()
        .filter(|c| matches!(c.kind, Kind::Date | Kind::TimestampTz | Kind::Timestamp))
    {
        let cursor = CursorValue::timestamp(case.text);
        assert_eq!(
            cursor.is_some(),
            temporal::timestamp_tz(case.text, &Range::CURSOR).is_some(),
            "{}",
            case.text
        );
        if case.postgres.is_some() || case.snowflake.is_some() {
            assert!(
                cursor.is_some(),
                "{}: a store accepts it, so must the cursor",
                case.text
            );
        }
        if case.kind == Kind::Timestamp {
            // A wall clock is no instant: the cursor reads the offset.
            continue;
        }
        let cursor = cursor.as_ref();
        let as_instant = |days_or_nanos: i128| match case.kind {
            Kind::Date => days_or_nanos * i128::from(calendar::NANOS_PER_DAY),
            _ => days_or_nanos,
        };
        if let Some(sf) = case.snowflake {
            let same = CursorValue::timestamp(&text_of(as_instant(sf))).expect("rfc 3339");
            assert_eq!(
                cursor.map(|c| c.cmp(&same)),
                Some(Ordering::Equal),
                "{} (Snowflake)",
                case.text
            );
        }
        if let Some(pg) = case.postgres {
            // PostgreSQL keeps microseconds: the cursor, to the nanosecond,
            // is within half of one of its value, and orders against it so.
            let exact = temporal::timestamp_tz(case.text, &Range::CURSOR)
                .expect("cursor range")
                .nanos_since_epoch();
            let pg = as_instant(pg);
            assert!(
                (exact - pg).abs() <= 500,
                "{} (PostgreSQL): {exact} vs {pg}",
                case.text
            );
            let same = CursorValue::timestamp(&text_of(pg)).expect("rfc 3339");
            assert_eq!(
                cursor.map(|c| c.cmp(&same)),
                Some(exact.cmp(&pg)),
                "{}",
                case.text
            );
        }
    }
}

#[test]
fn cursors_order_across_offsets_and_edges() {
    let ts = |t: &str| CursorValue::timestamp(t).unwrap_or_else(|| panic!("{t}"));
    let ascending = [
        "4714-11-24 00:00:00Z BC",
        "0001-01-01 BC",
        "1999-12-31T23:59:59.999999999Z",
        "1999-12-31T24:00:00Z",
        "2000-01-01T00:00:00.000000001Z",
        "2024-02-29T23:59:59+00:00",
        "2024-02-29T23:59:60Z",
        "2024-03-01T00:00:00.5Z",
        "2024-03-01T02:00:01+02:00",
        "294276-12-31T23:59:59.999999Z",
    ];
    for (i, a) in ascending.iter().enumerate() {
        for (j, b) in ascending.iter().enumerate() {
            assert_eq!(ts(a).cmp(&ts(b)), i.cmp(&j), "{a} vs {b}");
        }
    }
    assert_eq!(
        ts("1999-12-31T24:00:00Z").cmp(&ts("2000-01-01")),
        Ordering::Equal
    );
    assert_eq!(
        ts("2024-02-29T23:59:60Z").cmp(&ts("2024-03-01T00:00:00Z")),
        Ordering::Equal
    );
    assert!(
        CursorValue::timestamp("2024-02-30T00:00:00Z").is_none(),
        "no such day"
    );
}
