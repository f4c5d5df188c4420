//! Change data capture over logical replication (pgoutput).
//!
//! - [`state`]: the GLOBAL state's shape, read back and emitted.
//! - [`slot`]: the slot on an ordinary connection (acknowledging, positions).
//! - [`snapshot`]: initial snapshots (COPY), and full refresh streams.
//! - [`stream`]: the walsender connection and when to stop.
//! - [`pgoutput`]: the protocol decoder; [`changes`]: changes → records.

mod changes;
mod pgoutput;
mod slot;
mod snapshot;
mod state;
mod stream;

use std::time::Duration;

use airbyte_sdk::Error;
use airbyte_sdk::protocol::{ConfiguredAirbyteCatalog, StreamDescriptor, SyncMode};
use airbyte_sdk::source::{InputState, SourceOutput, StreamOutput, catch_panic};
use tokio_postgres::Client;

use self::changes::{ChangeStream, Changes};
use self::snapshot::Snapshot;
use self::state::{Advance, CdcInput, Checkpointer, Position, StreamStart};
use self::stream::{StreamPlan, stream_changes};
use crate::catalog::{self, Table};
use crate::config::{PostgresConfig, ReplicationMethod};
use crate::connect::{connect, ident};
use crate::read;
use crate::row::Column;
use crate::types::Kind;

/// Checks what CDC needs: wal_level=logical, the slot (pgoutput) and the publication.
pub async fn check(client: &Client, config: &PostgresConfig) -> Result<(), Error> {
    let ReplicationMethod::Cdc {
        replication_slot,
        publication,
        ..
    } = config.method()
    else {
        return Ok(());
    };
    let q = airbyte_postgres_common::sqlstate::query_error_fn(
        "could not check the replication settings",
    );
    let wal_level: String = client
        .query_one("SHOW wal_level", &[])
        .await
        .map_err(q)?
        .get(0);
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
    let exists = client
        .query_opt(
            "SELECT 1 FROM pg_publication WHERE pubname = $1",
            &[&publication],
        )
        .await
        .map_err(q)?;
    if exists.is_none() {
        return Err(Error::config(format!(
            "publication `{publication}` does not exist: create it with CREATE PUBLICATION {publication} FOR TABLE ..."
        )));
    }
    Ok(())
}

/// One configured stream, resolved against the database.
struct Planned {
    descriptor: StreamDescriptor,
    table: Table,
    columns: Vec<Column>,
    cdc: bool,
    start: StreamStart,
}

/// Reads the catalog in CDC mode: snapshots of new incremental streams, the
/// changes from the slot up to the WAL position at the start of the sync, then
/// full refresh streams; GLOBAL states throughout (see [`state`]).
pub async fn read(
    config: &PostgresConfig,
    catalog: &ConfiguredAirbyteCatalog,
    state: &InputState,
    out: &SourceOutput,
) -> Result<(), Error> {
    let ReplicationMethod::Cdc {
        plugin,
        replication_slot,
        publication,
        initial_waiting_seconds,
        lsn_commit_behaviour,
    } = config.method()
    else {
        return Err(Error::system("cdc::read needs the CDC replication method"));
    };
    if plugin != "pgoutput" {
        return Err(Error::config(format!(
            "the logical decoding plugin `{plugin}` is not supported: use pgoutput"
        )));
    }
    let client = connect(config).await?;
    check(&client, config).await?;
    let input = CdcInput::parse(state)?;
    let plan = plan(&client, catalog, &publication, &input).await?;
    // The SDK's lifecycle of a GLOBAL read: STARTED now; COMPLETE, or
    // INCOMPLETE and the error (a panic included), at the end.
    let mut streams = out.global_streams(plan.iter().map(|p| p.descriptor.clone()).collect())?;
    let settings = Settings {
        slot: &replication_slot,
        publication: &publication,
        wait: Duration::from_secs(u64::from(initial_waiting_seconds.max(1))),
        ack_while_reading: lsn_commit_behaviour
            .trim()
            .eq_ignore_ascii_case("While reading Data"),
    };
    let outs = streams.outputs();
    let result = catch_panic(
        "the CDC streams",
        run(&client, config, &settings, &plan, &input, outs, out),
    )
    .await;
    streams.finish(result)
}

struct Settings<'a> {
    slot: &'a str,
    publication: &'a str,
    wait: Duration,
    ack_while_reading: bool,
}

/// Resolves every configured stream: its table, columns, mode and where it starts.
async fn plan(
    client: &Client,
    catalog: &ConfiguredAirbyteCatalog,
    publication: &str,
    input: &CdcInput,
) -> Result<Vec<Planned>, Error> {
    let mut schemas: Vec<String> = catalog
        .streams
        .iter()
        .map(|c| {
            c.stream
                .namespace
                .clone()
                .unwrap_or_else(|| "public".to_owned())
        })
        .collect();
    schemas.sort();
    schemas.dedup();
    let tables = catalog::tables(client, &schemas).await?;
    let published = catalog::publication_tables(client, publication).await?;
    let mut planned = Vec::with_capacity(catalog.streams.len());
    for configured in &catalog.streams {
        let descriptor = configured.stream.descriptor();
        let schema = configured
            .stream
            .namespace
            .clone()
            .unwrap_or_else(|| "public".to_owned());
        let table = tables
            .iter()
            .find(|t| t.schema == schema && t.name == configured.stream.name)
            .cloned()
            .ok_or_else(|| {
                Error::config(format!(
                    "table {schema}.{} does not exist or cannot be read",
                    configured.stream.name
                ))
            })?;
        let cdc = configured.sync_mode == SyncMode::Incremental;
        if cdc && table.primary_key.is_empty() {
            return Err(Error::config(format!(
                "stream `{descriptor}` has no primary key, so CDC cannot sync it incrementally: sync it as full refresh"
            )));
        }
        if cdc && !published.contains(&format!("{}.{}", table.schema, table.name)) {
            return Err(Error::config(format!(
                "table {schema}.{} is not in publication `{publication}`: add it with ALTER PUBLICATION {} ADD TABLE {}.{}, or sync it as full refresh",
                table.name,
                ident(publication),
                ident(&schema),
                ident(&table.name)
            )));
        }
        let columns = read::selected_columns(&table, configured);
        let start = input.start(&descriptor, &table.primary_key, cdc);
        planned.push(Planned {
            descriptor,
            table,
            columns,
            cdc,
            start,
        });
    }
    Ok(planned)
}

async fn run(
    client: &Client,
    config: &PostgresConfig,
    settings: &Settings<'_>,
    plan: &[Planned],
    input: &CdcInput,
    outs: &mut [StreamOutput],
    out: &SourceOutput,
) -> Result<(), Error> {
    // 1. Fix where the stream ends; acknowledge the saved position, where it starts.
    let cdc_streams = plan.iter().filter(|p| p.cdc).count();
    let target = slot::sync_target(client, cdc_streams > 0).await?;
    let slot::Start {
        lsn: start,
        restart,
    } = slot::prepare(
        client,
        settings.slot,
        input.lsn,
        settings.ack_while_reading,
        target,
    )
    .await?;
    let initial = plan
        .iter()
        .map(|p| {
            let state = match &p.start {
                StreamStart::Done => Some(state::cdc_done()),
                StreamStart::Resume(values) => {
                    Some(state::snapshot_progress(&p.table.primary_key, values))
                }
                StreamStart::Fresh => None,
            };
            (p.descriptor.clone(), state)
        })
        .collect();
    let mut ck = Checkpointer::new(out, Position { lsn: start }, initial);

    // 2. Snapshots of incremental streams that have none yet.
    for (index, p) in plan.iter().enumerate() {
        if !p.cdc || p.start == StreamStart::Done {
            continue;
        }
        let resume = match &p.start {
            StreamStart::Resume(values) => Some(values.clone()),
            _ => None,
        };
        let snapshot = Snapshot {
            index,
            table: &p.table,
            columns: &p.columns,
            cdc: Some(restart),
            resume,
        };
        let rows = snapshot
            .run(client, &mut ck, &mut outs[index])
            .await
            .map_err(|e| e.with_stream(p.descriptor.clone()))?;
        airbyte_sdk::tracing::info!("snapshot of `{}`: {rows} rows", p.descriptor);
        ck.emit()?;
    }

    // 3. The changes, up to the target.
    if cdc_streams > 0 && target > start {
        let mut changes = Changes::new(
            plan.iter()
                .enumerate()
                .filter(|(_, p)| p.cdc)
                .map(|(output, p)| ChangeStream {
                    output,
                    namespace: p.table.schema.clone(),
                    name: p.table.name.clone(),
                    columns: p
                        .columns
                        .iter()
                        .map(|c| {
                            (
                                c.name.clone(),
                                p.table
                                    .column(&c.name)
                                    .map(|t| t.kind())
                                    .unwrap_or(Kind::Text),
                            )
                        })
                        .collect(),
                    primary_key: p.table.primary_key.clone(),
                })
                .collect(),
        );
        let stream_plan = StreamPlan {
            config,
            control: client,
            slot: settings.slot,
            publication: settings.publication,
            start,
            target,
            wait: settings.wait,
            ack_while_reading: settings.ack_while_reading,
        };
        let began = std::time::Instant::now();
        let summary = stream_changes(&stream_plan, &mut changes, outs, &mut ck).await?;
        airbyte_sdk::tracing::info!(
            "streamed {} records from {} transactions in {:.1} s, up to {}: {}",
            summary.records,
            summary.transactions,
            began.elapsed().as_secs_f64(),
            state::lsn_text(ck.lsn()),
            summary.reason
        );
    }

    // 4. Full refresh streams.
    for (index, p) in plan.iter().enumerate() {
        if p.cdc {
            continue;
        }
        let resume = match &p.start {
            StreamStart::Resume(values) => Some(values.clone()),
            _ => None,
        };
        let snapshot = Snapshot {
            index,
            table: &p.table,
            columns: &p.columns,
            cdc: None,
            resume,
        };
        snapshot
            .run(client, &mut ck, &mut outs[index])
            .await
            .map_err(|e| e.with_stream(p.descriptor.clone()))?;
        ck.emit()?;
    }

    // 5. The final state.
    if ck.emitted() == 0 || ck.pending() {
        ck.emit()?;
    }
    Ok(())
}
