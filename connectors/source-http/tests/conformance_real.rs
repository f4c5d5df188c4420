//! source-http against Airbyte's `source-declarative-manifest` (airbyte-cdk
//! 7.39.1) on manifests modeled on real manifest-only connectors
//! (tests/manifests/real/, each naming the connector, its version and the
//! components it keeps), each over its stand-in API in
//! tests/fixtures/real_apis.py.
//!
//! For each manifest, each engine gets its own fixture server (the
//! injected 429s and 500s are stateful) and runs, in turn: discover (the
//! catalogs must be equal; SDM's, every stream incremental where it can
//! be, is the catalog of both reads), a read, a second read from the
//! first read's final states where a stream is incremental, then check
//! with a good and with a bad config. The reads must agree per stream:
//! records as multisets, final states (without the per-partition
//! `lookback_window`, the sync's duration), the total of the states'
//! `recordCount`s, the first and last statuses, the RATE_LIMITED ones, and
//! the stream's error traces; and the exit codes. Both servers must have
//! answered the same injected failures, which are pinned, as are the
//! record counts, so that a manifest that both engines read wrongly in the
//! same way still fails here. Each discover, read and check must also have
//! sent the same requests, as the servers logged them: per slice in the
//! same order, and as multisets across slices (tests/common/requests.rs).
//!
//! A failed stream is compared as the others are (its final state too),
//! and so are the failure types of the traces that name no stream (the
//! CDK's closing "did not sync successfully" error).
//!
//! The cases are here; how they run and compare is conformance_real/harness.rs.
//!
//! Airtable's manifest leaves out its `schema_normalization: Default` and
//! selects the Bearer branch of its SelectiveAuthenticator; two tests at
//! the end put the one back and select the OAuth branch.

mod common;
#[path = "conformance_real/harness.rs"]
mod harness;

use harness::{Case, Read, TOKEN, assert_counts, conform};
use serde_json::{Value, json};

#[test]
fn pokeapi() {
    let case = Case::new(
        "pokeapi",
        |base| json!({"base_url": base, "pokemon_name": "ditto"}),
        ("pokemon_name", json!("missingno")),
    );
    let runs = conform(&case, false);
    let (theirs, _) = &runs.first;
    assert_counts(theirs, &[("pokemon", 1)]);
    let record: Value = serde_json::from_str(&theirs.streams["pokemon"].records[0]).unwrap();
    assert_eq!(record["id"], 1000132);
    assert_eq!(record["marker"], "fixture-marker");
}

#[test]
fn exchange_rates() {
    let case = Case::new(
        "exchange_rates",
        |base| json!({"base_url": base, "access_key": TOKEN, "start_date": "2026-11-20"}),
        ("access_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    assert_counts(&runs.first.0, &[("exchange_rates", 1)]);
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_eq!(
        second.state("exchange_rates"),
        &json!({"date": "2026-11-20"})
    );
}

#[test]
fn xkcd_retries_and_ignores() {
    let case = Case::new(
        "xkcd",
        |base| json!({"base_url": base, "comic_number": "3"}),
        // The comic after the last is a 404, which the manifest IGNOREs.
        ("comic_number", json!("99")),
    );
    let runs = conform(&case, false);
    assert_counts(&runs.first.0, &[("xkcd", 4)]);
    assert_eq!(runs.first.0.streams["xkcd"].rate_limited, 1);
    assert_eq!(
        runs.injected,
        json!({"xkcd:comic/4": [429], "xkcd:comic/5": [500]})
    );
}

#[test]
fn pagerduty() {
    let case = Case::new(
        "pagerduty",
        |base| json!({"base_url": base, "token": TOKEN}),
        ("token", json!("wrong")),
    )
    .caching(&["incidents"]);
    let runs = conform(&case, false);
    assert_counts(
        &runs.first.0,
        &[("incident_logs", 6), ("incidents", 3), ("teams", 2)],
    );
}

#[test]
fn sentry_link_headers_and_data_feeds() {
    let case = Case::new(
        "sentry",
        |base| json!({"base_url": base, "auth_token": TOKEN, "organization": "acme", "project": "web", "num_workers": 3}),
        ("auth_token", json!("wrong")),
    );
    let runs = conform(&case, false);
    let (first, _) = &runs.first;
    assert_counts(
        first,
        &[
            ("events", 7),
            ("issues", 5),
            ("project_detail", 1),
            ("projects", 3),
        ],
    );
    // The latest event is at 12:00:00.5+02:00, written in its own zone.
    assert_eq!(
        first.state("events"),
        &json!({"dateCreated": "2026-11-05T12:00:00.500000Z"})
    );
    assert_eq!(
        first.state("issues"),
        &json!({"lastSeen": "2026-11-15T05:00:00.000000Z"})
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_counts(
        second,
        &[
            ("events", 0),
            ("issues", 0),
            ("project_detail", 1),
            ("projects", 0),
        ],
    );
}

#[test]
fn calendly_substreams_with_incremental_dependency() {
    let case = Case::new(
        "calendly",
        |base| json!({"base_url": base, "api_key": TOKEN, "start_date": "2026-11-03T00:00:00Z"}),
        ("api_key", json!("wrong")),
    )
    .caching(&["users/me", "scheduled_events"]);
    let runs = conform(&case, false);
    let (first, _) = &runs.first;
    assert_counts(
        first,
        &[
            ("api_user", 1),
            ("event_invitees", 6),
            ("scheduled_events", 4),
        ],
    );
    let invitees = first.state("event_invitees");
    assert_eq!(invitees["states"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        invitees["parent_state"]["scheduled_events"]["state"],
        json!({"start_time": "2026-11-10T10:00:00.000000Z"})
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_counts(
        second,
        &[
            ("api_user", 1),
            ("event_invitees", 1),
            ("scheduled_events", 1),
        ],
    );
}

#[test]
fn gong_post_bodies_lookback_and_ignored_404() {
    let case = Case::new(
        "gong",
        |base| {
            json!({
                "base_url": base, "access_key": "gong-access-key", "access_key_secret": TOKEN,
                "users_to_fetch": ["u1", "u2"], "start_date": "2026-11-01T00:00:00Z"
            })
        },
        ("access_key_secret", json!("wrong")),
    )
    .caching(&["v2/calls"]);
    let runs = conform(&case, false);
    let (first, _) = &runs.first;
    assert_counts(
        first,
        &[
            ("answeredScorecards", 5),
            ("calls", 4),
            ("transcripts", 3),
            ("users", 3),
        ],
    );
    assert_eq!(
        first.state("calls"),
        &json!({"started": "2026-11-05T08:30:00Z"})
    );
    assert_eq!(runs.injected, json!({"gong:scorecards": [429, 500]}));
    // The one-day lookback reads the last two calls again.
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_eq!(second.records("calls"), 2);
}

fn getlago() -> Case {
    Case::new(
        "getlago",
        |base| json!({"base_url": base, "api_key": TOKEN}),
        ("api_key", json!("wrong")),
    )
    .caching(&["api/v1/customers", "api/v1/subscriptions"])
}

/// `customer_usage` has a list of two SubstreamPartitionRouters over the
/// same parent: their Cartesian product, each reading the parent.
#[test]
fn getlago_query_string_paths_and_substreams() {
    let runs = conform(&getlago(), false);
    assert_counts(
        &runs.first.0,
        &[
            ("customer_usage", 5),
            ("customers", 3),
            ("subscriptions", 3),
        ],
    );
    assert_eq!(
        runs.injected,
        json!({"getlago:usage/cust-1/sub-2": [429, 500]})
    );
}

#[test]
fn launchdarkly_offset_increments() {
    let case = Case::new(
        "launchdarkly",
        |base| json!({"base_url": base, "api_key": TOKEN, "project_key": "default"}),
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    assert_counts(
        &runs.first.0,
        &[
            ("auditlogentries", 7),
            ("members", 45),
            ("metrics", 12),
            ("teams", 5),
        ],
    );
}

/// Only in a gap test: its one stream of interest has the list of routers.
fn k6_cloud() -> Case {
    Case::new(
        "k6_cloud",
        |base| json!({"base_url": base, "api_token": TOKEN}),
        ("api_token", json!("wrong")),
    )
    .caching(&["v3/organizations"])
}

#[test]
fn delighted_epoch_windows_link_paths_and_retry_after() {
    let case = Case::new(
        "delighted",
        |base| json!({"base_url": base, "api_key": TOKEN, "since": "2026-10-01T00:00:00Z"}),
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    let (first, _) = &runs.first;
    assert_counts(first, &[("people", 7), ("unsubscribes", 3)]);
    assert_eq!(first.state("people"), &json!({"created_at": "1792411200"}));
    assert_eq!(first.streams["people"].rate_limited, 1);
    assert_eq!(
        runs.injected,
        json!({"delighted:people": [429], "delighted:unsubscribes": [500]})
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_counts(second, &[("people", 1), ("unsubscribes", 1)]);
}

#[test]
fn nasa_overlapping_monthly_windows_with_lookback() {
    let case = Case::new(
        "nasa",
        |base| json!({"base_url": base, "api_key": TOKEN, "start_date": "2026-09-15"}),
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    assert_counts(&runs.first.0, &[("nasa_apod", 23)]);
    assert_eq!(
        runs.first.0.state("nasa_apod"),
        &json!({"date": "2026-11-26"})
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    assert_counts(second, &[("nasa_apod", 7)]);
}

#[test]
fn jotform_unfiltered_cursors_and_star_paths() {
    let case = Case::new(
        "jotform",
        |base| {
            json!({
                "api_key": TOKEN, "api_endpoint": {"api_endpoint": "enterprise", "enterprise_url": base},
                "start_date": "2026-11-01T00:00:00Z", "end_date": "2026-11-20T00:00:00Z"
            })
        },
        ("api_key", json!("wrong")),
    )
    .caching(&["user/forms"]);
    let runs = conform(&case, false);
    assert_counts(
        &runs.first.0,
        &[("forms", 3), ("questions", 6), ("submissions", 25)],
    );
    let (second, _) = runs.second.as_ref().expect("a second read");
    // The submissions' state is past the end date: no slice is left.
    assert_counts(
        second,
        &[("forms", 3), ("questions", 6), ("submissions", 0)],
    );
}

#[test]
fn emailoctopus_page_increments_and_removed_fields() {
    let case = Case::new(
        "emailoctopus",
        |base| json!({"base_url": base, "api_key": TOKEN}),
        ("api_key", json!("wrong")),
    );
    let runs = conform(&case, false);
    // The first page twice: PageIncrement starts from page 0, not sent.
    assert_counts(&runs.first.0, &[("campaigns", 3), ("lists", 105)]);
    let campaign: Value =
        serde_json::from_str(&runs.first.0.streams["campaigns"].records[0]).unwrap();
    assert_eq!(campaign["content"], json!({"subject": "News 0"}));
}

fn secoda() -> Case {
    Case::new(
        "secoda",
        |base| json!({"base_url": base, "api_key": TOKEN}),
        ("api_key", json!("wrong")),
    )
}

#[test]
fn secoda_fails_the_stream_on_500() {
    let runs = conform(&secoda(), false);
    let (first, _) = &runs.first;
    assert_eq!(first.code, 1);
    assert_counts(first, &[("tables", 1), ("terms", 2)]);
    assert_eq!(
        first.streams["tables"].last_status.as_deref(),
        Some("INCOMPLETE")
    );
    let error = (
        "transient_error",
        "HTTP Status Code: 500. Error: Internal server error.",
    );
    assert_eq!(
        first.streams["tables"].errors,
        [(error.0.to_owned(), error.1.to_owned())]
    );
    assert_eq!(
        runs.injected,
        json!({"secoda:tables": [500], "secoda:terms": [429]})
    );
    // Its state counts the record it read; the sync closes with a config
    // error that names no stream.
    let (theirs, mine) = &runs.first;
    let stats = |r: &Read| r.states.get("tables").map(|s| s["sourceStats"].clone());
    assert_eq!(stats(theirs), Some(json!({"recordCount": 1.0})));
    assert_eq!(stats(mine), stats(theirs));
    assert_eq!(theirs.closing_errors, ["config_error"]);
}

fn airtable() -> Case {
    Case::new(
        "airtable",
        |base| json!({"base_url": base, "credentials": {"auth_method": "api_key", "api_key": TOKEN}}),
        // A 401: the manifest's FAIL filter and its own message.
        (
            "credentials",
            json!({"auth_method": "api_key", "api_key": "wrong"}),
        ),
    )
    .caching(&["v0/meta/bases"])
}

#[test]
fn airtable_selective_auth_flattened_renamed_fields_and_fail_filters() {
    let runs = conform(&airtable(), false);
    let (first, _) = &runs.first;
    let deals = "sales_crm/deals/tblDeals";
    assert_counts(first, &[("bases", 2), (deals, 3), ("tables", 2)]);
    let acme: Value = serde_json::from_str(&first.streams[deals].records[0]).unwrap();
    assert_eq!(
        acme,
        json!({
            "_airtable_created_time": "2026-11-01T10:00:00.000Z", "_airtable_id": "rec1",
            "_airtable_table_name": "Deals", "amount": 1200.5, "closed_won": true, "deal_name": "Acme"
        })
    );
    assert_eq!(runs.injected, json!({"airtable:deals": [429, 500]}));
    // The parent's `extra_fields`, as `stream_slice.extra_fields` has them.
    let tables = &first.streams["tables"].records;
    assert!(tables[0].contains("\"base_name\":\"Ops\""), "{tables:?}");
}

// What the airtable case leaves out, and a list of one router.

#[test]
fn k6_cloud_list_of_one_substream_router() {
    let runs = conform(&k6_cloud(), true);
    // Page 1 twice: PageIncrement starts from page 0, not sent.
    assert_eq!(runs.first.0.records("projects"), 75);
}

/// Airtable's streams with `schema_normalization: Default`.
#[test]
fn airtable_schema_normalization() {
    let case = airtable().inserting(
        "| length > 0}}\"\n",
        "          schema_normalization: Default\n",
    );
    let runs = conform(&case, false);
    // "80" is a number in the schema.
    assert!(runs.first.0.streams["sales_crm/deals/tblDeals"].records[1].contains("\"amount\":80"));
}

/// Airtable's OAuth branch of its SelectiveAuthenticator: a refresh (and
/// its CONTROL message with the rotated tokens) before the first request.
#[test]
fn airtable_oauth_with_refresh_token_updater() {
    let case = Case {
        config: |base| {
            json!({"base_url": base, "credentials": {
                "auth_method": "oauth2.0", "client_id": "client-1", "client_secret": "secret-1", "refresh_token": "refresh-1"
            }})
        },
        ..airtable()
    };
    conform(&case, false);
}
