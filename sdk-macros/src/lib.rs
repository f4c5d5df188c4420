//! Derive macros for `airbyte-sdk` (work in progress: see the issues).
//! Use them through `airbyte-sdk`, which re-exports them.
