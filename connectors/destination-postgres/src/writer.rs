//! Writing batches: COPY into the stream's table, dedup, replace at the end.

use std::sync::atomic::{AtomicU64, Ordering};

use airbyte_postgres_common::ident;
use airbyte_sdk::Error;
use airbyte_sdk::destination::{Batch, StreamWriter};
use airbyte_sdk::protocol::{
    AirbyteRecordMessage, AirbyteRecordMessageMetaChange, ChangeReason, ChangeType,
    ConfiguredAirbyteCatalog, DestinationSyncMode, StreamDescriptor,
};
use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::Client;

use crate::config::{CdcDeletionMode, PostgresDestinationConfig};
use crate::names::{fit, fit_with_suffix};
use crate::table::{self, Column, db_error, qualified};
use crate::types::{copy_escape, write_field};

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
    generation_id: Option<i64>,
    minimum_generation_id: i64,
    sync_id: Option<i64>,
    hard_delete: bool,
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

static RAW_ID: AtomicU64 = AtomicU64::new(0);

/// A time-ordered unique id (UUID layout): later records sort after earlier ones.
fn raw_id(ms: i64, out: &mut Vec<u8>) {
    let n = RAW_ID.fetch_add(1, Ordering::Relaxed) ^ (u64::from(std::process::id()) << 40);
    let ms = ms.max(0) as u64;
    hex(ms >> 16, 8, out);
    out.push(b'-');
    hex(ms & 0xffff, 4, out);
    out.extend_from_slice(b"-7");
    hex((n >> 60) & 0xfff, 3, out);
    out.push(b'-');
    hex(0x8000 | ((n >> 48) & 0x3fff), 4, out);
    out.push(b'-');
    hex(n & 0xffff_ffff_ffff, 12, out);
}

/// `YYYY-MM-DD HH:MM:SS.mmm+00` for ms since the epoch.
fn timestamp(ms: i64, out: &mut Vec<u8>) {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let text = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03}+00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    out.extend_from_slice(text.as_bytes());
}

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
            let tmp = fit_with_suffix(&table, "_airbyte_tmp");
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
            && columns.iter().any(|c| c.json == "_ab_cdc_deleted_at");
        targets.push(Target {
            schema,
            table,
            write_table,
            columns,
            dedup,
            pk,
            cursor,
            generation_id,
            minimum_generation_id,
            sync_id: configured.sync_id,
            hard_delete,
        });
    }
    Ok(PgWriter {
        client,
        targets,
        cascade: config.drop_cascade,
    })
}

/// Appends `n` in lowercase hex, `width` digits.
fn hex(n: u64, width: u32, out: &mut Vec<u8>) {
    for shift in (0..width).rev() {
        out.push(b"0123456789abcdef"[((n >> (shift * 4)) & 0xf) as usize]);
    }
}

/// The COPY text of one batch, in the column order of [`copy_columns`]:
/// raw id, extracted at, generation, the user columns, then `_airbyte_meta`
/// (last, because its changes are known only once the values are written).
fn copy_rows(
    target: &Target,
    records: &[AirbyteRecordMessage],
    descriptor: &StreamDescriptor,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(records.len() * 256);
    let mut changes: Vec<AirbyteRecordMessageMetaChange> = Vec::new();
    let mut empty_meta = Vec::new();
    copy_escape(
        &serde_json::json!({"sync_id": target.sync_id, "changes": []}).to_string(),
        &mut empty_meta,
    );
    let generation = target
        .generation_id
        .map(|g| g.to_string())
        .unwrap_or_else(|| "\\N".to_owned());
    let mut clock = Clock::default();
    let mut fields = Vec::new();
    for record in records {
        raw_id(record.emitted_at, &mut out);
        out.push(b'\t');
        clock.write(record.emitted_at, &mut out);
        out.push(b'\t');
        out.extend_from_slice(generation.as_bytes());
        fields.clear();
        crate::types::fields(record.data.as_str(), &mut fields).map_err(|e| {
            Error::system(format!(
                "a record of `{}` has data that is not a JSON object",
                descriptor
            ))
            .with_source(e)
        })?;
        changes.clear();
        for column in &target.columns {
            out.push(b'\t');
            let value = fields
                .iter()
                .find(|(k, _)| *k == column.json)
                .map(|(_, v)| *v);
            if !write_field(column.ty, value, &mut out) {
                changes.push(AirbyteRecordMessageMetaChange::new(
                    column.json.clone(),
                    ChangeType::Nulled,
                    ChangeReason::DestinationTypecastError,
                ));
            }
        }
        out.push(b'\t');
        // `_airbyte_meta`: the sync id, the source's changes and ours.
        let source_changes = record
            .meta
            .as_ref()
            .and_then(|m| m.changes.as_ref())
            .filter(|c| !c.is_empty());
        if source_changes.is_none() && changes.is_empty() {
            out.extend_from_slice(&empty_meta);
        } else {
            let mut all: Vec<&AirbyteRecordMessageMetaChange> =
                source_changes.into_iter().flatten().collect();
            all.extend(changes.iter());
            copy_escape(
                &serde_json::json!({"sync_id": target.sync_id, "changes": all}).to_string(),
                &mut out,
            );
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// The columns of [`copy_rows`], quoted and joined.
fn copy_columns(target: &Target) -> String {
    let mut names = vec![
        "_airbyte_raw_id".to_owned(),
        "_airbyte_extracted_at".to_owned(),
        "_airbyte_generation_id".to_owned(),
    ];
    names.extend(target.columns.iter().map(|c| ident(&c.sql)));
    names.push("_airbyte_meta".to_owned());
    names.join(", ")
}

/// Formats `ms` timestamps, reusing the date and time text within a second.
#[derive(Default)]
struct Clock {
    second: Option<i64>,
    text: Vec<u8>,
}

impl Clock {
    fn write(&mut self, ms: i64, out: &mut Vec<u8>) {
        let second = ms.div_euclid(1000);
        if self.second != Some(second) {
            self.text.clear();
            timestamp(second * 1000, &mut self.text);
            self.text.truncate(self.text.len() - ".000+00".len());
            self.second = Some(second);
        }
        out.extend_from_slice(&self.text);
        let millis = ms.rem_euclid(1000) as u32;
        out.extend_from_slice(&[
            b'.',
            b'0' + (millis / 100) as u8,
            b'0' + (millis / 10 % 10) as u8,
            b'0' + (millis % 10) as u8,
        ]);
        out.extend_from_slice(b"+00");
    }
}

#[airbyte_sdk::async_trait]
impl StreamWriter for PgWriter {
    async fn write_batch(&mut self, batch: Batch) -> Result<(), Error> {
        let target = &self.targets[batch.stream];
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
            .copy_in::<_, Bytes>(&format!("COPY {copy_into} ({column_list}) FROM STDIN"))
            .await
            .map_err(db_error(&format!("cannot load {dest}")))?;
        futures_util::pin_mut!(sink);
        // Chunks, so the server ingests one while the next is encoded.
        for chunk in batch.records.chunks(COPY_CHUNK_RECORDS) {
            let rows = copy_rows(target, chunk, &batch.descriptor)?;
            sink.send(Bytes::from(rows))
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
            let order = match &target.cursor {
                Some(c) => format!(
                    "{} DESC NULLS LAST, _airbyte_extracted_at DESC, _airbyte_raw_id DESC",
                    ident(c)
                ),
                None => "_airbyte_extracted_at DESC, _airbyte_raw_id DESC".to_owned(),
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
                    .find(|c| c.json == "_ab_cdc_deleted_at")
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
                            "DELETE FROM {} WHERE _airbyte_generation_id IS NULL OR _airbyte_generation_id < $1",
                            qualified(&target.schema, &target.table)
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

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_and_raw_ids() {
        let mut out = Vec::new();
        super::timestamp(1_700_000_000_123, &mut out);
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "2023-11-14 22:13:20.123+00"
        );
        let (mut a, mut b) = (Vec::new(), Vec::new());
        super::raw_id(5, &mut a);
        super::raw_id(5, &mut b);
        assert!(a < b, "later ids sort after earlier ones");
        assert_eq!(a.len(), 36);
    }
}
