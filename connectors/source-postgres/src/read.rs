//! Standard reads: resumable full refresh, and cursor incremental.

use airbyte_sdk::Error;
use airbyte_sdk::protocol::{ConfiguredAirbyteStream, JsonObject};
use airbyte_sdk::source::{Incremental, Start, StreamOutput};
use std::ops::Bound;

use futures_util::{StreamExt, pin_mut};
use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::catalog::Table;
use crate::connect::{ident, literal};
use crate::row::{Column, unescape, write_row};

/// Pages per ctid chunk (8 MiB of heap with the default block size).
const CTID_CHUNK_PAGES: i64 = 1024;

/// A failed query on `table`, as "`doing` schema.table failed: ...", with
/// the failure type of its SQLSTATE ([`airbyte_postgres_common::sqlstate`]).
/// One builder for reads and CDC snapshots.
pub fn query_error<'a>(
    table: &'a Table,
    doing: &'a str,
) -> impl Fn(tokio_postgres::Error) -> Error + 'a {
    move |e| {
        airbyte_postgres_common::sqlstate::query_error(
            format_args!("{doing} {}.{} failed", table.schema, table.name),
            e,
        )
    }
}

/// The columns to read: those of the configured schema that the table has, in table order.
pub fn selected_columns(table: &Table, stream: &ConfiguredAirbyteStream) -> Vec<Column> {
    let wanted = stream.stream.json_schema.to_map();
    let properties = wanted.get("properties").and_then(Value::as_object);
    table
        .columns
        .iter()
        .filter(|(name, _, _)| properties.is_none_or(|p| p.contains_key(name)))
        .map(|(name, ty, _)| Column::new(name, ty.kind()))
        .collect()
}

/// Field `i` (raw, still COPY-escaped) of a COPY text line.
fn field(line: &[u8], i: usize) -> &[u8] {
    line.split(|&b| b == b'\t').nth(i).unwrap_or(b"\\N")
}

/// `SELECT select FROM table [WHERE (pk) > (resume)] ORDER BY pk`: a read in
/// primary-key order that starts after the last key a state saved.
pub fn pk_ordered_query(table: &Table, select: &str, resume: Option<&[String]>) -> String {
    let from = format!("{}.{}", ident(&table.schema), ident(&table.name));
    let pk_cols = table
        .primary_key
        .iter()
        .map(|k| ident(k))
        .collect::<Vec<_>>()
        .join(", ");
    let mut query = format!("SELECT {select} FROM {from}");
    if let Some(values) = resume.filter(|v| v.len() == table.primary_key.len()) {
        let typed: Vec<String> = table
            .primary_key
            .iter()
            .zip(values)
            .map(|(k, v)| {
                format!(
                    "{}::{}",
                    literal(v),
                    table
                        .column(k)
                        .map(|t| ident(&t.typname))
                        .unwrap_or_else(|| "text".into())
                )
            })
            .collect();
        query.push_str(&format!(" WHERE ({pk_cols}) > ({})", typed.join(", ")));
    }
    query.push_str(&format!(" ORDER BY {pk_cols}"));
    query
}

fn select_list(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `COPY (query) TO STDOUT` and emits each row; `before_row` sees each raw
/// COPY line (see [`field`]) before it is emitted, and may checkpoint what came before.
async fn copy_rows<F>(
    client: &Client,
    table: &Table,
    query: &str,
    columns: &[Column],
    out: &mut StreamOutput,
    on_row: F,
) -> Result<u64, Error>
where
    F: FnMut(&[u8], &mut StreamOutput) -> Result<(), Error>,
{
    let mut on_row = on_row;
    let copy = format!("COPY ({query}) TO STDOUT");
    let stream = client
        .copy_out(copy.as_str())
        .await
        .map_err(query_error(table, "reading"))?;
    pin_mut!(stream);
    let mut rows = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(query_error(table, "reading"))?;
        // One CopyData message per row; be robust to several.
        for line in chunk.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            on_row(line, out)?;
            let mut bad = None;
            out.record_with(|buf| {
                if let Err(e) = write_row(columns, line, &[], buf) {
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
            rows += 1;
        }
    }
    Ok(rows)
}

/// A resumable full refresh: by primary key, else by ctid ranges, else (views) in one go.
pub async fn full_refresh(
    client: &Client,
    table: &Table,
    columns: &[Column],
    state: Option<&JsonObject>,
    out: &mut StreamOutput,
) -> Result<(), Error> {
    let state = state.map(JsonObject::to_map).unwrap_or_default();
    let from = format!("{}.{}", ident(&table.schema), ident(&table.name));
    if !table.primary_key.is_empty() {
        let pk_index: Vec<usize> = table
            .primary_key
            .iter()
            .filter_map(|k| columns.iter().position(|c| &c.name == k))
            .collect();
        if pk_index.len() == table.primary_key.len() {
            let resume: Option<Vec<String>> = match state.get("state_type").and_then(Value::as_str)
            {
                Some("primary_key") => {
                    serde_json::from_value(state.get("pk_val").cloned().unwrap_or(Value::Null)).ok()
                }
                _ => None,
            };
            let query = pk_ordered_query(table, &select_list(columns), resume.as_deref());
            let pk_names = table.primary_key.clone();
            let mut last: Option<Vec<String>> = None;
            copy_rows(client, table, &query, columns, out, |line, out| {
                // The state names the last row emitted: a resume starts after it.
                if let Some(values) = last.as_ref().filter(|_| out.should_checkpoint()) {
                    out.checkpoint_value(&json!({"version": 2, "state_type": "primary_key", "pk_name": pk_names, "pk_val": values}))?;
                }
                last = Some(pk_index.iter().map(|&i| String::from_utf8_lossy(&unescape(field(line, i))).into_owned()).collect());
                Ok(())
            })
            .await?;
            return out.checkpoint_value(&json!({"version": 2, "state_type": "complete"}));
        }
    }
    if table.has_ctid() {
        return ctid_refresh(client, table, columns, &state, out).await;
    }
    let query = format!("SELECT {} FROM {from}", select_list(columns));
    copy_rows(client, table, &query, columns, out, |_, _| Ok(())).await?;
    out.checkpoint_value(&json!({"version": 2, "state_type": "complete"}))
}

/// Reads a table without a primary key in ranges of pages, checkpointing the ctid after each.
async fn ctid_refresh(
    client: &Client,
    table: &Table,
    columns: &[Column],
    state: &serde_json::Map<String, Value>,
    out: &mut StreamOutput,
) -> Result<(), Error> {
    let from = format!("{}.{}", ident(&table.schema), ident(&table.name));
    let row = client
        .query_one(
            "SELECT pg_relation_filenode(c.oid)::int8, (pg_relation_size(c.oid) / current_setting('block_size')::int8)::int8 FROM pg_class c WHERE c.oid = $1::text::regclass",
            &[&from],
        )
        .await
        .map_err(query_error(table, "reading"))?;
    let filenode: i64 = row.get::<_, Option<i64>>(0).unwrap_or(0);
    let pages: i64 = row.get(1);
    // Resume only if the table was not rewritten (VACUUM FULL) since the state.
    let mut page = match (
        state.get("state_type").and_then(Value::as_str),
        state.get("relation_filenode").and_then(Value::as_i64),
    ) {
        (Some("ctid"), Some(node)) if node == filenode => state
            .get("ctid")
            .and_then(Value::as_str)
            .and_then(parse_page)
            .unwrap_or(0),
        _ => 0,
    };
    loop {
        let end = page + CTID_CHUNK_PAGES;
        let last = end >= pages;
        let mut query = format!(
            "SELECT {} FROM {from} WHERE ctid >= '({page},0)'::tid",
            select_list(columns)
        );
        if !last {
            query.push_str(&format!(" AND ctid < '({end},0)'::tid"));
        }
        copy_rows(client, table, &query, columns, out, |_, _| Ok(())).await?;
        if last {
            break;
        }
        page = end;
        out.checkpoint_value(&json!({"version": 2, "state_type": "ctid", "ctid": format!("({page},0)"), "relation_filenode": filenode}))?;
    }
    out.checkpoint_value(&json!({"version": 2, "state_type": "complete"}))
}

fn parse_page(ctid: &str) -> Option<i64> {
    ctid.trim_start_matches('(').split(',').next()?.parse().ok()
}

/// Cursor incremental: rows after the saved cursor, in cursor order, checkpointed
/// between cursor values. Rows equal to the saved cursor are read again only if
/// there are more of them than the state counted (so none is lost, none re-read forever).
/// `cursor` is the stream's cursor path (see [`airbyte_sdk::source::read_mode`]): one column.
pub async fn incremental(
    client: &Client,
    table: &Table,
    columns: &[Column],
    cursor: &[String],
    state: Option<&JsonObject>,
    out: &mut StreamOutput,
) -> Result<(), Error> {
    let descriptor = out.descriptor().clone();
    let cursor = match cursor {
        [c] => c.clone(),
        path => {
            return Err(Error::config(format!(
                "the cursor of stream `{descriptor}` must be one column, not the path {path:?}"
            )));
        }
    };
    let cursor_type = table
        .column(&cursor)
        .ok_or_else(|| {
            Error::config(format!(
                "cursor `{cursor}` is not a column of `{descriptor}`"
            ))
        })?
        .clone();
    if !cursor_type.is_cursor_candidate() {
        return Err(Error::config(format!(
            "column `{cursor}` of `{descriptor}` (type {}) cannot be a cursor",
            cursor_type.typname
        )));
    }
    let cursor_index = columns
        .iter()
        .position(|c| c.name == cursor)
        .ok_or_else(|| {
            Error::config(format!(
                "the cursor `{cursor}` must be one of the selected columns of `{descriptor}`"
            ))
        })?;
    let from = format!("{}.{}", ident(&table.schema), ident(&table.name));
    let typed = |v: &str| format!("{}::{}", literal(v), ident(&cursor_type.typname));
    let state = state.map(JsonObject::to_map).unwrap_or_default();
    let saved = state
        .get("cursor")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let saved_count = state
        .get("cursor_record_count")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    // The SDK's cursor algorithm; the cursor values compare in SQL, by type.
    let mut cursor_read = Incremental::new(saved, saved_count);
    let col = ident(&cursor);
    if let Some(saved) = cursor_read.saved() {
        let equal: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM {from} WHERE {col} = {}", typed(saved)),
                &[],
            )
            .await
            .map_err(query_error(table, "reading"))?
            .get(0);
        cursor_read.ties(Some(equal as u64));
    }
    let mut query = format!("SELECT {} FROM {from}", select_list(columns));
    match cursor_read.start() {
        // The first sync also reads rows whose cursor is NULL (once: later syncs compare).
        Start::Everything => query.push_str(&format!(" ORDER BY {col} NULLS FIRST")),
        Start::From(Bound::Included(v)) => {
            query.push_str(&format!(" WHERE {col} >= {} ORDER BY {col}", typed(&v)))
        }
        Start::From(Bound::Excluded(v)) => {
            query.push_str(&format!(" WHERE {col} > {} ORDER BY {col}", typed(&v)))
        }
        Start::From(Bound::Unbounded) => query.push_str(&format!(" ORDER BY {col}")),
    }
    let base = json!({"version": 2, "state_type": "cursor_based", "stream_name": descriptor.name, "stream_namespace": descriptor.namespace, "cursor_field": [cursor]});
    let make_state = |value: &Option<String>, count: u64| {
        let mut s = base.clone();
        s["cursor"] = json!(value);
        s["cursor_record_count"] = json!(count);
        s
    };
    copy_rows(client, table, &query, columns, out, |line, out| {
        let raw = field(line, cursor_index);
        let value = (raw != b"\\N").then(|| String::from_utf8_lossy(&unescape(raw)).into_owned());
        // A new cursor value: every row of the previous one was read, so a due state goes out.
        if let Some((value, count)) = cursor_read.observe(value.as_ref(), out.should_checkpoint()) {
            out.checkpoint_value(&make_state(&value, count))?;
        }
        Ok(())
    })
    .await?;
    let (value, count) = cursor_read.finish();
    out.checkpoint_value(&make_state(&value, count))
}
