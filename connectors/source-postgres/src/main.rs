//! `source-postgres`: an Airbyte source for PostgreSQL, a drop-in for
//! Airbyte's own (same config keys), native and streaming.

mod catalog;
mod cdc;
mod config;
mod connect;
mod read;
mod row;
mod source;
mod types;

airbyte_sdk::source_main!(source::PostgresSource);
