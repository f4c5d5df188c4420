//! Initial snapshots of CDC streams (and full refresh streams in CDC mode):
//! `COPY` in primary key order inside a REPEATABLE READ transaction, resumable
//! after the last key, checkpointed in the GLOBAL state.
//!
//! How the snapshot meets the stream: the slot position the changes are read
//! from is fixed (and saved in the state) before any snapshot starts. Every
//! transaction that commits after it is streamed, in this sync or the next,
//! so a change made while a table is copied is in the copy, or in the stream,
//! or in both (at-least-once).
//!
//! Snapshot rows carry `_ab_cdc_lsn` = the slot's `restart_lsn`, which is not
//! above the LSN of any change the stream can deliver (it is where the server
//! keeps WAL from for the transactions still open at the stream's start). So
//! for a destination that keeps the highest `_ab_cdc_lsn` per key, any
//! streamed version of a row wins over its snapshot row, and the last streamed
//! version (the newest: the stream has every change after the start) wins
//! over the others. Even a transaction that was open across the snapshot and
//! committed after it sorts after the snapshot row, unlike with an LSN read as
//! the copy starts.

use airbyte_sdk::Error;
use airbyte_sdk::protocol::columns;
use airbyte_sdk::source::StreamOutput;
use futures_util::{StreamExt, pin_mut};
use tokio_postgres::Client;

use super::state::{Checkpointer, cdc_done, full_refresh_done, snapshot_progress};
use crate::catalog::Table;
use crate::connect::ident;
use crate::read::query_error;
use crate::row::{Column, unescape, write_row};

/// One table to copy.
pub struct Snapshot<'a> {
    /// The stream's index in the checkpointer.
    pub index: usize,
    /// The table.
    pub table: &'a Table,
    /// The selected columns.
    pub columns: &'a [Column],
    /// For a CDC stream, the `_ab_cdc_lsn` of its rows (which then get the `_ab_cdc_*` columns).
    pub cdc: Option<u64>,
    /// Resume after this primary key.
    pub resume: Option<Vec<String>>,
}

impl Snapshot<'_> {
    /// Copies the table, emitting its rows and GLOBAL checkpoints; returns the rows read.
    pub async fn run(
        &self,
        client: &Client,
        ck: &mut Checkpointer,
        out: &mut StreamOutput,
    ) -> Result<u64, Error> {
        let table = self.table;
        let err = query_error(table, "snapshot of");
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(&err)?;
        let result = self.copy(client, ck, out).await;
        // Read only: ending it either way is safe.
        let end = client
            .batch_execute(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })
            .await
            .map_err(&err);
        let rows = result?;
        end?;
        ck.set_stream(
            self.index,
            if self.cdc.is_some() {
                cdc_done()
            } else {
                full_refresh_done()
            },
        );
        Ok(rows)
    }

    async fn copy(
        &self,
        client: &Client,
        ck: &mut Checkpointer,
        out: &mut StreamOutput,
    ) -> Result<u64, Error> {
        let table = self.table;
        let err = query_error(table, "snapshot of");
        // The first statement takes the transaction's snapshot; now() is its start.
        let row = client
            .query_one(
                "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
                &[],
            )
            .await
            .map_err(&err)?;
        let at: String = row.get(0);
        let lsn_json = self.cdc.unwrap_or_default().to_string();
        let at_json = serde_json::to_string(&at).unwrap_or_default();
        let keys = columns::CDC_POSTGRES.map(|c| format!("\"{c}\":"));
        let cdc_extra: [(&[u8], &[u8]); 3] = [
            (keys[0].as_bytes(), lsn_json.as_bytes()),
            (keys[1].as_bytes(), at_json.as_bytes()),
            (keys[2].as_bytes(), b"null"),
        ];
        let extra: &[(&[u8], &[u8])] = if self.cdc.is_some() { &cdc_extra } else { &[] };

        let from = format!("{}.{}", ident(&table.schema), ident(&table.name));
        let select = self
            .columns
            .iter()
            .map(|c| ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let pk = &table.primary_key;
        let pk_index: Vec<usize> = pk
            .iter()
            .filter_map(|k| self.columns.iter().position(|c| &c.name == k))
            .collect();
        let ordered = !pk.is_empty() && pk_index.len() == pk.len();
        let query = if ordered {
            crate::read::pk_ordered_query(table, &select, self.resume.as_deref())
        } else {
            format!("SELECT {select} FROM {from}")
        };
        airbyte_sdk::tracing::info!(
            "snapshot of {}.{}{}",
            table.schema,
            table.name,
            if self.resume.is_some() {
                " (resumed)"
            } else {
                ""
            }
        );

        let copy = format!("COPY ({query}) TO STDOUT");
        let stream = client.copy_out(copy.as_str()).await.map_err(&err)?;
        pin_mut!(stream);
        let mut rows = 0u64;
        let mut last: Option<Vec<String>> = None;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(&err)?;
            for line in chunk.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                if ordered {
                    // The state names the last row emitted: a resume starts after it.
                    if let Some(values) = last.as_ref().filter(|_| ck.due()) {
                        ck.set_stream(self.index, snapshot_progress(pk, values));
                        ck.emit()?;
                    }
                    let fields: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
                    last = Some(
                        pk_index
                            .iter()
                            .map(|&i| {
                                String::from_utf8_lossy(&unescape(
                                    fields.get(i).copied().unwrap_or_default(),
                                ))
                                .into_owned()
                            })
                            .collect(),
                    );
                }
                let mut bad = None;
                out.record_with(|buf| {
                    if let Err(e) = write_row(self.columns, line, extra, buf) {
                        bad = Some(e);
                        buf.extend_from_slice(b"{}");
                    }
                    Ok(())
                })?;
                if let Some(e) = bad {
                    return Err(Error::system(format!(
                        "{}.{}: {e}",
                        table.schema, table.name
                    )));
                }
                ck.count();
                rows += 1;
            }
        }
        Ok(rows)
    }
}
