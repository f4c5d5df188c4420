//! Writing batches: COPY into the stream's table, dedup, replace at the end.

use airbyte_sdk::Error;
use airbyte_sdk::destination::{Batch, StreamPlan, StreamWriter};
use airbyte_sdk::protocol::columns;
use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::Client;

use crate::config::PostgresDestinationConfig;
use crate::row;
use crate::table::{self, db_error, qualified};
use crate::target::{self, Target};

/// The writer of one sync.
pub struct PgWriter {
    client: Client,
    targets: Vec<Target>,
    cascade: bool,
}

/// Records encoded per COPY chunk.
const COPY_CHUNK_RECORDS: usize = 1000;

/// Prepares every stream's table.
pub async fn open(
    client: Client,
    config: &PostgresDestinationConfig,
    plans: &[StreamPlan],
) -> Result<PgWriter, Error> {
    let mut targets = Vec::with_capacity(plans.len());
    for plan in plans {
        targets.push(target::open(&client, config, plan).await?);
    }
    Ok(PgWriter {
        client,
        targets,
        cascade: config.drop_cascade,
    })
}

#[airbyte_sdk::async_trait]
impl StreamWriter for PgWriter {
    async fn write_batch(&mut self, batch: Batch) -> Result<(), Error> {
        if batch.is_empty() {
            return Ok(());
        }
        let target = &mut self.targets[batch.stream];
        let column_list = target.load.copy_columns();
        let dest = qualified(&target.schema, &target.write_table);
        let tx = self
            .client
            .transaction()
            .await
            .map_err(db_error("cannot start a transaction"))?;
        let copy_into = if target.load.dedup().is_some() {
            tx.batch_execute(&format!("CREATE TEMP TABLE IF NOT EXISTS \"_airbyte_stage_{n}\" (LIKE {dest}) ON COMMIT DELETE ROWS", n = batch.stream))
                .await
                .map_err(db_error("cannot create the staging table"))?;
            format!("\"_airbyte_stage_{}\"", batch.stream)
        } else {
            dest.clone()
        };
        let sink = tx
            .copy_in::<_, Bytes>(&format!(
                "COPY {copy_into} ({column_list}) FROM STDIN WITH (FORMAT binary)"
            ))
            .await
            .map_err(db_error(&format!("cannot load {dest}")))?;
        futures_util::pin_mut!(sink);
        // Chunks, so the server ingests one while the next is encoded.
        let mut records = batch.iter();
        let mut rows = row::HEADER.to_vec();
        while records.len() > 0 {
            let chunk = records.by_ref().take(COPY_CHUNK_RECORDS);
            rows.reserve(batch.bytes / batch.len().max(1) * COPY_CHUNK_RECORDS);
            target.load.encode(chunk, &batch.descriptor, &mut rows)?;
            if records.len() == 0 {
                rows.extend_from_slice(row::TRAILER);
            }
            sink.send(Bytes::from(std::mem::take(&mut rows)))
                .await
                .map_err(db_error(&format!("cannot load {dest}")))?;
        }
        sink.finish()
            .await
            .map_err(db_error(&format!("cannot load {dest}")))?;
        if let Some(dedup) = target.load.dedup() {
            let (pk, order) = (&dedup.pk, &dedup.order_by);
            let mut sql = format!(
                "INSERT INTO {dest} ({column_list}) SELECT {column_list} FROM {copy_into};
                 DELETE FROM {dest} t USING (
                   SELECT tid FROM (
                     SELECT ctid AS tid, row_number() OVER (PARTITION BY {pk} ORDER BY {order}) AS rn
                     FROM {dest} WHERE ({pk}) IN (SELECT {pk} FROM {copy_into})
                   ) ranked WHERE rn > 1
                 ) losers WHERE t.ctid = losers.tid;"
            );
            if let Some(deleted) = &dedup.hard_delete {
                sql.push_str(&format!("DELETE FROM {dest} WHERE {deleted} IS NOT NULL AND ({pk}) IN (SELECT {pk} FROM {copy_into});"));
            }
            tx.batch_execute(&sql)
                .await
                .map_err(db_error(&format!("cannot deduplicate {dest}")))?;
        }
        // Committed: the SDK may now echo the states that follow these records.
        tx.commit()
            .await
            .map_err(db_error(&format!("cannot commit to {dest}")))
    }

    async fn close(&mut self) -> Result<(), Error> {
        for target in &self.targets {
            if target.truncates {
                table::swap(
                    &mut self.client,
                    &target.schema,
                    &target.table,
                    &target.write_table,
                    self.cascade,
                )
                .await?;
            } else if target.remove_generations_below > 0 {
                // Data of generations older than the minimum goes.
                self.client
                    .execute(
                        &format!(
                            "DELETE FROM {} WHERE {generation} IS NULL OR {generation} < $1",
                            qualified(&target.schema, &target.table),
                            generation = columns::GENERATION_ID
                        ),
                        &[&target.remove_generations_below],
                    )
                    .await
                    .map_err(db_error("cannot remove older generations"))?;
            }
        }
        Ok(())
    }
}
