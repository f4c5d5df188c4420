//! `destination-postgres`: loads Airbyte streams into typed PostgreSQL tables
//! (a drop-in for Airbyte's destination-postgres configs), with COPY.

mod config;
mod names;
mod numeric;
mod row;
mod table;
mod temporal;
mod types;
mod value;
mod writer;

use airbyte_sdk::protocol::{ConfiguredAirbyteCatalog, DestinationSyncMode};
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
        table::can_create(&client, &config.schema).await
    }

    async fn open(
        &self,
        config: &PostgresDestinationConfig,
        catalog: &ConfiguredAirbyteCatalog,
    ) -> Result<writer::PgWriter, Error> {
        let client = airbyte_postgres_common::connect(&config.connect_options()).await?;
        writer::open(client, config, catalog).await
    }
}

airbyte_sdk::destination_main!(PostgresDestination);
