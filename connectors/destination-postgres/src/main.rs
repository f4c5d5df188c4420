//! `destination-postgres`: loads Airbyte streams into typed PostgreSQL tables
//! (a drop-in for Airbyte's destination-postgres configs), with COPY; or,
//! with `disable_type_dedupe`, into raw tables. The Destinations V2 rules
//! are the SDK's (`airbyte_sdk::destination`); this crate holds their SQL,
//! DDL, binary COPY encoding and PostgreSQL's value ranges.

mod config;
mod numeric;
mod raw_row;
mod row;
mod table;
mod target;
mod temporal;
mod types;
mod value;
mod writer;

use airbyte_sdk::destination::StreamPlan;
use airbyte_sdk::protocol::DestinationSyncMode;
use airbyte_sdk::{Destination, Error, SpecOptions};

use config::PostgresDestinationConfig;

/// The PostgreSQL destination.
#[derive(Debug, Default)]
pub struct PostgresDestination;

#[airbyte_sdk::async_trait]
impl Destination for PostgresDestination {
    type Config = PostgresDestinationConfig;
    type Writer = writer::PgWriter;

    fn spec_options(&self) -> SpecOptions {
        SpecOptions {
            documentation_url: Some(
                "https://docs.airbyte.com/integrations/destinations/postgres".into(),
            ),
            supported_destination_sync_modes: Some(vec![
                DestinationSyncMode::Append,
                DestinationSyncMode::Overwrite,
                DestinationSyncMode::AppendDedup,
            ]),
            ..SpecOptions::default()
        }
    }

    async fn check(&self, config: &PostgresDestinationConfig) -> Result<(), Error> {
        let client = airbyte_postgres_common::connect(&config.connect_options()).await?;
        table::can_create(&client, &table::NAMES.fit(config.checked_schema())).await
    }

    async fn open(
        &self,
        config: &PostgresDestinationConfig,
        plans: &[StreamPlan],
    ) -> Result<writer::PgWriter, Error> {
        let client = airbyte_postgres_common::connect(&config.connect_options()).await?;
        writer::open(client, config, plans).await
    }
}

airbyte_sdk::destination_main!(PostgresDestination);
