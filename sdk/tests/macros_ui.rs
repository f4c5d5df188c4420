//! Compile-time behaviour of `#[airbyte_sdk::config]` and `#[airbyte_sdk::source]`, checked with trybuild
//! against `airbyte_sdk` as a dependency, the way connectors use it.
//!
//! Regenerate the `.stderr` snapshots with
//! `TRYBUILD=overwrite cargo test -p airbyte-sdk --test macros_ui` and read
//! them: they are the error messages users see.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail_*.rs");
    cases.pass("tests/ui/pass_*.rs");
}
