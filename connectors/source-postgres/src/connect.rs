//! Connecting (shared with the destination: `airbyte-postgres-common`).

use airbyte_sdk::Error;
use tokio_postgres::Client;

pub use airbyte_postgres_common::{ident, literal};

use crate::config::PostgresConfig;

/// Opens a connection to the configured database.
pub async fn connect(config: &PostgresConfig) -> Result<Client, Error> {
    airbyte_postgres_common::connect(&config.connect_options()).await
}
