//! The `Source` implementation.

use airbyte_sdk::protocol::{
    AirbyteCatalog, ConfiguredAirbyteCatalog, ConfiguredAirbyteStream, JsonObject,
};
use airbyte_sdk::source::{
    InputState, ReadMode, SourceOutput, StreamOutput, check_known_streams, read_mode, read_streams,
};
use airbyte_sdk::{Error, Source, SpecOptions};

use crate::catalog::{self, Table};
use crate::config::{PostgresConfig, ReplicationMethod};
use crate::connect::connect;
use crate::read;

/// The PostgreSQL source.
#[derive(Debug, Default)]
pub struct PostgresSource;

async fn find_table(
    config: &PostgresConfig,
    stream: &ConfiguredAirbyteStream,
) -> Result<(tokio_postgres::Client, Table), Error> {
    let client = connect(config).await?;
    let schema = stream
        .stream
        .namespace
        .clone()
        .unwrap_or_else(|| "public".to_owned());
    let tables = catalog::tables(&client, std::slice::from_ref(&schema)).await?;
    let table = tables
        .into_iter()
        .find(|t| t.name == stream.stream.name)
        .ok_or_else(|| {
            Error::config(format!(
                "table {schema}.{} does not exist or cannot be read",
                stream.stream.name
            ))
        })?;
    Ok((client, table))
}

#[airbyte_sdk::source]
impl Source for PostgresSource {
    type Config = PostgresConfig;

    fn spec_options(&self) -> SpecOptions {
        SpecOptions {
            documentation_url: Some(
                "https://docs.airbyte.com/integrations/sources/postgres".into(),
            ),
            ..SpecOptions::default()
        }
    }

    async fn check(&self, config: &PostgresConfig) -> Result<(), Error> {
        let client = connect(config).await?;
        let schemas = config.schemas();
        let tables = catalog::tables(&client, &schemas).await?;
        airbyte_sdk::tracing::info!(
            "connected: {} readable relations in schemas {:?}",
            tables.len(),
            schemas
        );
        if let ReplicationMethod::Cdc { .. } = config.method() {
            crate::cdc::check(&client, config).await?;
        }
        Ok(())
    }

    async fn discover(&self, config: &PostgresConfig) -> Result<AirbyteCatalog, Error> {
        let client = connect(config).await?;
        let tables = catalog::tables(&client, &config.schemas()).await?;
        let publication = match config.method() {
            ReplicationMethod::Cdc { publication, .. } => {
                Some(catalog::publication_tables(&client, &publication).await?)
            }
            _ => None,
        };
        Ok(AirbyteCatalog::new(
            tables
                .iter()
                .map(|t| t.stream(publication.as_deref()))
                .collect(),
        ))
    }

    async fn read(
        &self,
        config: &PostgresConfig,
        catalog: &ConfiguredAirbyteCatalog,
        state: &InputState,
        out: &SourceOutput,
    ) -> Result<(), Error> {
        match config.method() {
            ReplicationMethod::Cdc { .. } => {
                // As the default read does: every configured stream must exist.
                check_known_streams(&self.discover(config).await?, catalog)?;
                crate::cdc::read(config, catalog, state, out).await
            }
            _ => read_streams(self, config, catalog, state, out).await,
        }
    }

    async fn read_stream(
        &self,
        config: &PostgresConfig,
        stream: &ConfiguredAirbyteStream,
        state: Option<&JsonObject>,
        out: &mut StreamOutput,
    ) -> Result<(), Error> {
        let (client, table) = find_table(config, stream).await?;
        let columns = read::selected_columns(&table, stream);
        // The SDK's decision: an incremental stream without a cursor (a table has
        // none unless the catalog names one) is read as a full refresh.
        match read_mode(stream) {
            ReadMode::FullRefresh => {
                read::full_refresh(&client, &table, &columns, state, out).await
            }
            ReadMode::Incremental { cursor } => match config.method() {
                ReplicationMethod::Xmin => Err(Error::config(
                    "the Xmin replication method is not supported yet: use Standard (a cursor column) or CDC",
                )),
                _ => read::incremental(&client, &table, &columns, cursor, state, out).await,
            },
        }
    }

    fn max_concurrent_streams(&self) -> usize {
        2
    }
}
