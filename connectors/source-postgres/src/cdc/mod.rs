//! Change data capture over logical replication (pgoutput).

use airbyte_sdk::Error;
use airbyte_sdk::protocol::ConfiguredAirbyteCatalog;
use airbyte_sdk::source::{InputState, SourceOutput};
use tokio_postgres::Client;

use crate::config::{PostgresConfig, ReplicationMethod};

/// Checks what CDC needs: wal_level=logical, the slot (pgoutput) and the publication.
pub async fn check(client: &Client, config: &PostgresConfig) -> Result<(), Error> {
    let ReplicationMethod::Cdc { replication_slot, publication, .. } = config.method() else { return Ok(()) };
    let q = |e: tokio_postgres::Error| Error::transient("could not check the replication settings").with_source(e);
    let wal_level: String = client.query_one("SHOW wal_level", &[]).await.map_err(q)?.get(0);
    if wal_level != "logical" {
        return Err(Error::config(format!(
            "CDC needs wal_level = logical, but the server has wal_level = {wal_level}: set it in postgresql.conf and restart the server"
        )));
    }
    let slot = client
        .query_opt("SELECT plugin FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()", &[&replication_slot])
        .await
        .map_err(q)?;
    match slot {
        None => {
            return Err(Error::config(format!(
                "replication slot `{replication_slot}` does not exist in this database: create it with SELECT pg_create_logical_replication_slot('{replication_slot}', 'pgoutput')"
            )));
        }
        Some(row) if row.get::<_, Option<String>>(0).as_deref() != Some("pgoutput") => {
            return Err(Error::config(format!(
                "replication slot `{replication_slot}` uses the plugin {:?}, but CDC needs pgoutput",
                row.get::<_, Option<String>>(0)
            )));
        }
        Some(_) => {}
    }
    let exists = client.query_opt("SELECT 1 FROM pg_publication WHERE pubname = $1", &[&publication]).await.map_err(q)?;
    if exists.is_none() {
        return Err(Error::config(format!(
            "publication `{publication}` does not exist: create it with CREATE PUBLICATION {publication} FOR TABLE ..."
        )));
    }
    Ok(())
}

/// Reads the catalog through the replication slot.
pub async fn read(_config: &PostgresConfig, _catalog: &ConfiguredAirbyteCatalog, _state: &InputState, _out: &SourceOutput) -> Result<(), Error> {
    Err(Error::config("CDC reads are not implemented yet: use the Standard replication method"))
}
