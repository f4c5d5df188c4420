//! Writing batches: COPY into the stream's table, dedup, replace at the end.

use airbyte_postgres_common::ident;
use airbyte_sdk::Error;
use airbyte_sdk::destination::{Batch, StreamWriter};
use airbyte_sdk::protocol::{ConfiguredAirbyteCatalog, DestinationSyncMode, columns};
use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::Client;

use crate::config::{CdcDeletionMode, PostgresDestinationConfig};
use crate::names::{fit, fit_with_suffix};
use crate::row::{self, RowEncoder};
use crate::table::{self, Column, db_error, qualified};

/// Where and how one stream is written.
#[derive(Debug)]
pub struct Target {
    schema: String,
    table: String,
    /// The table batches go to: the final table, or a temporary one replaced at the end.
    write_table: String,
    columns: Vec<Column>,
    dedup: bool,
    pk: Vec<String>,
    cursor: Option<String>,
    minimum_generation_id: i64,
    hard_delete: bool,
    encoder: RowEncoder,
}

impl Target {
    fn truncates(&self) -> bool {
        self.write_table != self.table
    }
}

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
    catalog: &ConfiguredAirbyteCatalog,
) -> Result<PgWriter, Error> {
    let mut targets = Vec::new();
    for configured in &catalog.streams {
        let stream = &configured.stream;
        let schema = fit(stream
            .namespace
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&config.schema));
        let table = fit(&stream.name);
        let json_schema = stream.json_schema.as_raw().to_value();
        let columns = table::ensure(
            &client,
            &schema,
            &table,
            table::columns_of(&json_schema, config.unconstrained_number),
        )
        .await?;
        let mode = configured.destination_sync_mode;
        if !matches!(
            mode,
            DestinationSyncMode::Append
                | DestinationSyncMode::Overwrite
                | DestinationSyncMode::AppendDedup
        ) {
            return Err(Error::config(format!(
                "stream `{}`: sync mode {mode:?} is not supported by this destination",
                stream.name
            )));
        }
        let generation_id = configured.generation_id;
        let minimum_generation_id = configured.minimum_generation_id.unwrap_or(0);
        // A truncate refresh: overwrite, or a new generation that replaces all older ones.
        let truncate = mode == DestinationSyncMode::Overwrite
            || (generation_id.is_some_and(|g| g > 0 && g == minimum_generation_id));
        let sql_name = |json: &str| {
            columns
                .iter()
                .find(|c| c.json == json)
                .map(|c| c.sql.clone())
        };
        let pk: Vec<String> = configured
            .effective_primary_key()
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.first().and_then(|c| sql_name(c)))
            .collect();
        let cursor = configured
            .effective_cursor_field()
            .and_then(|c| c.first())
            .and_then(|c| sql_name(c));
        let dedup = mode == DestinationSyncMode::AppendDedup;
        if dedup && pk.is_empty() {
            return Err(Error::config(format!(
                "stream `{}` is append_dedup but has no primary key",
                stream.name
            )));
        }
        let write_table = if truncate {
            let tmp = fit_with_suffix(&table, columns::TMP_TABLE_SUFFIX);
            client
                .batch_execute(&format!(
                    "DROP TABLE IF EXISTS {tmp_q}; CREATE TABLE {tmp_q} (LIKE {final_q} INCLUDING DEFAULTS)",
                    tmp_q = qualified(&schema, &tmp),
                    final_q = qualified(&schema, &table)
                ))
                .await
                .map_err(db_error("cannot create the temporary table"))?;
            tmp
        } else {
            table.clone()
        };
        if dedup {
            table::dedup_index(&client, &schema, &write_table, &pk, cursor.as_deref()).await?;
        }
        let hard_delete = config.cdc_deletion_mode == CdcDeletionMode::HardDelete
            && columns.iter().any(|c| c.json == columns::CDC_DELETED_AT);
        let encoder = RowEncoder::new(&columns, generation_id, configured.sync_id);
        targets.push(Target {
            schema,
            table,
            write_table,
            columns,
            dedup,
            pk,
            cursor,
            minimum_generation_id,
            hard_delete,
            encoder,
        });
    }
    Ok(PgWriter {
        client,
        targets,
        cascade: config.drop_cascade,
    })
}

/// The columns of the rows [`RowEncoder`] writes, quoted and joined.
fn copy_columns(target: &Target) -> String {
    let mut names = vec![
        columns::RAW_ID.to_owned(),
        columns::EXTRACTED_AT.to_owned(),
        columns::GENERATION_ID.to_owned(),
    ];
    names.extend(target.columns.iter().map(|c| ident(&c.sql)));
    names.push(columns::META.to_owned());
    names.join(", ")
}

#[airbyte_sdk::async_trait]
impl StreamWriter for PgWriter {
    async fn write_batch(&mut self, batch: Batch) -> Result<(), Error> {
        if batch.is_empty() {
            return Ok(());
        }
        let target = &mut self.targets[batch.stream];
        let column_list = copy_columns(target);
        let dest = qualified(&target.schema, &target.write_table);
        let tx = self
            .client
            .transaction()
            .await
            .map_err(db_error("cannot start a transaction"))?;
        let copy_into = if target.dedup {
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
            target.encoder.encode(chunk, &batch.descriptor, &mut rows)?;
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
        if target.dedup {
            let pk = target
                .pk
                .iter()
                .map(|c| ident(c))
                .collect::<Vec<_>>()
                .join(", ");
            let (extracted_at, raw_id) = (columns::EXTRACTED_AT, columns::RAW_ID);
            let order = match &target.cursor {
                Some(c) => format!(
                    "{} DESC NULLS LAST, {extracted_at} DESC, {raw_id} DESC",
                    ident(c)
                ),
                None => format!("{extracted_at} DESC, {raw_id} DESC"),
            };
            let mut sql = format!(
                "INSERT INTO {dest} ({column_list}) SELECT {column_list} FROM {copy_into};
                 DELETE FROM {dest} t USING (
                   SELECT tid FROM (
                     SELECT ctid AS tid, row_number() OVER (PARTITION BY {pk} ORDER BY {order}) AS rn
                     FROM {dest} WHERE ({pk}) IN (SELECT {pk} FROM {copy_into})
                   ) ranked WHERE rn > 1
                 ) losers WHERE t.ctid = losers.tid;"
            );
            if target.hard_delete {
                let deleted = target
                    .columns
                    .iter()
                    .find(|c| c.json == columns::CDC_DELETED_AT)
                    .map(|c| ident(&c.sql))
                    .unwrap_or_default();
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
            if target.truncates() {
                table::swap(
                    &mut self.client,
                    &target.schema,
                    &target.table,
                    &target.write_table,
                    self.cascade,
                )
                .await?;
            } else if target.minimum_generation_id > 0 {
                // Data of generations older than the minimum goes.
                self.client
                    .execute(
                        &format!(
                            "DELETE FROM {} WHERE {generation} IS NULL OR {generation} < $1",
                            qualified(&target.schema, &target.table),
                            generation = columns::GENERATION_ID
                        ),
                        &[&target.minimum_generation_id],
                    )
                    .await
                    .map_err(db_error("cannot remove older generations"))?;
            }
        }
        Ok(())
    }
}
