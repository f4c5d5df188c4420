//! The replication slot on an ordinary connection: waiting until it is free,
//! acknowledging the saved LSN, and the sync's target LSN.

use std::time::Duration;

use airbyte_sdk::Error;
use tokio_postgres::Client;

use super::state::{lsn_text, parse_lsn};
use super::stream::MARKER_PREFIX;

/// How long to wait for a slot that another session holds (often the
/// walsender of the previous sync, still exiting).
const SLOT_BUSY_WAIT: Duration = Duration::from_secs(15);

/// A failed statement on the slot, with the failure type of its SQLSTATE
/// (55006 object_in_use, a slot held by another process, is transient).
fn sql_error(what: &'static str) -> impl Fn(tokio_postgres::Error) -> Error {
    airbyte_postgres_common::sqlstate::query_error_fn(what)
}

/// The slot's `confirmed_flush_lsn`, once no process holds the slot.
async fn confirmed_flush_when_free(client: &Client, slot: &str) -> Result<Option<u64>, Error> {
    let deadline = tokio::time::Instant::now() + SLOT_BUSY_WAIT;
    loop {
        let row = client
            .query_opt(
                "SELECT confirmed_flush_lsn::text, active_pid FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()",
                &[&slot],
            )
            .await
            .map_err(sql_error("could not read the replication slot"))?
            .ok_or_else(|| {
                Error::config(format!(
                    "replication slot `{slot}` does not exist in this database: create it with SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')"
                ))
            })?;
        let confirmed = row
            .get::<_, Option<String>>(0)
            .as_deref()
            .and_then(parse_lsn);
        match row.get::<_, Option<i32>>(1) {
            None => return Ok(confirmed),
            Some(pid) if tokio::time::Instant::now() >= deadline => {
                return Err(Error::transient(format!(
                    "replication slot `{slot}` is in use by another process (pid {pid}); only one sync may read a slot at a time"
                )));
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Acknowledges `lsn` to the server: the slot's `confirmed_flush_lsn` moves
/// there (never backwards) so the server may release older WAL.
async fn advance(client: &Client, slot: &str, lsn: u64) -> Result<u64, Error> {
    let row = client
        .query_one(
            "SELECT end_lsn::text FROM pg_replication_slot_advance($1, $2::text::pg_lsn)",
            &[&slot, &lsn_text(lsn)],
        )
        .await
        .map_err(sql_error(
            "could not acknowledge the saved position to the replication slot",
        ))?;
    let end = row
        .get::<_, Option<String>>(0)
        .as_deref()
        .and_then(parse_lsn)
        .unwrap_or(lsn);
    airbyte_sdk::tracing::info!(
        "acknowledged {} to replication slot `{slot}`",
        lsn_text(end)
    );
    Ok(end)
}

/// Where the stream starts, and the slot's `restart_lsn` then.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    /// Where the changes are read from: every transaction that commits later is streamed.
    pub lsn: u64,
    /// The slot's `restart_lsn`: no change the stream delivers has a lower LSN
    /// (the server keeps the WAL of transactions in progress at `lsn` from there).
    pub restart: u64,
}

/// Prepares the slot and returns where to stream from.
///
/// - With a saved LSN: acknowledges it (the previous sync's data is in the
///   destination) and streams from it. A slot already past it lost changes the
///   destination never got: an error, unless `tolerate_lost` (`While reading Data`).
/// - Without one (the first sync): moves the slot to `target`, as every
///   stream will be snapshot after this point.
pub async fn prepare(
    client: &Client,
    slot: &str,
    saved: Option<u64>,
    tolerate_lost: bool,
    target: u64,
) -> Result<Start, Error> {
    let confirmed = confirmed_flush_when_free(client, slot).await?.unwrap_or(0);
    let lsn = match saved {
        Some(saved) if confirmed > saved => {
            let message = format!(
                "replication slot `{slot}` is at {} but the state is at {}: the changes in between were acknowledged without being synced",
                lsn_text(confirmed),
                lsn_text(saved)
            );
            if !tolerate_lost {
                return Err(Error::config(format!(
                    "{message}. Reset the connection to sync everything again."
                )));
            }
            airbyte_sdk::tracing::warn!("{message}; continuing from the slot's position");
            confirmed
        }
        Some(saved) => {
            if confirmed < saved {
                advance(client, slot, saved).await?;
            }
            saved
        }
        None if confirmed < target => advance(client, slot, target).await?,
        None => confirmed,
    };
    let row = client
        .query_one("SELECT restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database()", &[&slot])
        .await
        .map_err(sql_error("could not read the replication slot"))?;
    let restart = row
        .get::<_, Option<String>>(0)
        .as_deref()
        .and_then(parse_lsn)
        .unwrap_or(0)
        .min(lsn);
    Ok(Start { lsn, restart })
}

/// This sync's target: the WAL insert position, after everything committed
/// before it is flushed (so the walsender can read it even with
/// `synchronous_commit = off`). Also writes the marker (a non-transactional
/// logical message just after the target) when there are CDC streams: the
/// stream stops when it arrives, even on a database where only tables outside
/// the publication change. Without the privilege to write one, the stream
/// relies on keepalives.
pub async fn sync_target(client: &Client, marker: bool) -> Result<u64, Error> {
    let err = sql_error("could not read the WAL position");
    // A transaction id, so that the commit writes (and, synchronously, flushes) WAL.
    client
        .batch_execute("BEGIN; SET LOCAL synchronous_commit = on")
        .await
        .map_err(&err)?;
    let row = client
        .query_one(
            "SELECT txid_current(), pg_current_wal_insert_lsn()::text",
            &[],
        )
        .await
        .map_err(&err)?;
    let text: String = row.get(1);
    let target = parse_lsn(&text)
        .ok_or_else(|| Error::system(format!("the server returned an invalid LSN `{text}`")))?;
    if marker {
        client
            .batch_execute("SAVEPOINT marker")
            .await
            .map_err(&err)?;
        let sql = "SELECT pg_logical_emit_message(false, $1, 'sync target')::text";
        match client.query_one(sql, &[&MARKER_PREFIX]).await {
            Ok(_) => client
                .batch_execute("RELEASE SAVEPOINT marker")
                .await
                .map_err(&err)?,
            Err(e) => {
                airbyte_sdk::tracing::debug!("no marker message: {e}");
                client
                    .batch_execute("ROLLBACK TO SAVEPOINT marker")
                    .await
                    .map_err(&err)?;
            }
        }
    }
    client.batch_execute("COMMIT").await.map_err(&err)?;
    Ok(target)
}
