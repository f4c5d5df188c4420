//! Tables: create, evolve, replace. Typed (final) tables and raw tables.

use airbyte_postgres_common::{ident, literal};
use airbyte_sdk::Error;
use airbyte_sdk::destination::{
    FINAL_META_COLUMNS, LogicalType, MetaColumn, NameLimit, RAW_COLUMNS, RAW_ID_LENGTH, StreamPlan,
};
use airbyte_sdk::protocol::columns;
use tokio_postgres::Client;

use crate::types::ColumnType;

/// PostgreSQL's identifiers: 63 bytes.
pub const NAMES: NameLimit = NameLimit::POSTGRES;

/// A user column: its name in the stream, its SQL name and type.
#[derive(Debug, Clone)]
pub struct Column {
    /// The property name in the records.
    pub json: String,
    /// The (fitted) column name.
    pub sql: String,
    /// Its type (after schema evolution, the table's).
    pub ty: ColumnType,
}

/// A failed statement, as "`what`: the server's message", with the failure
/// type of its SQLSTATE ([`airbyte_postgres_common::sqlstate`]): a missing
/// privilege is a config error, a lost connection transient, a rejected value
/// a system error.
pub(crate) fn db_error(what: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| airbyte_postgres_common::sqlstate::query_error(what, e)
}

/// The user columns of a stream, with their PostgreSQL names and types.
pub fn columns_of(plan: &StreamPlan, unconstrained_number: bool) -> Vec<Column> {
    plan.columns
        .iter()
        .map(|c| Column {
            json: c.name.clone(),
            sql: NAMES.fit(&c.name),
            ty: ColumnType::of(c.ty, unconstrained_number),
        })
        .collect()
}

/// The definition of a metadata column: `"name" type [NOT NULL]`. A raw
/// table's `_airbyte_raw_id` is `varchar(36)`, as Airbyte's raw tables have it.
fn meta_column_sql(column: &MetaColumn, raw: bool) -> String {
    let ty = match (column.ty, raw) {
        (LogicalType::String, true) => format!("varchar({RAW_ID_LENGTH})"),
        (ty, _) => ColumnType::of(ty, false).sql().to_owned(),
    };
    let not_null = if column.nullable { "" } else { " NOT NULL" };
    format!("{} {ty}{not_null}", ident(column.name))
}

/// `"schema"."table"`.
pub fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", ident(schema), ident(table))
}

async fn create_schema(client: &Client, schema: &str) -> Result<(), Error> {
    client
        .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", ident(schema)))
        .await
        .map_err(db_error(&format!("cannot create schema {schema}")))
}

/// Creates the schema and the raw table if missing (its columns are
/// [`RAW_COLUMNS`]); adds the nullable ones to a raw table of an older
/// layout (one without `_airbyte_generation_id`).
pub async fn ensure_raw(client: &Client, schema: &str, table: &str) -> Result<(), Error> {
    create_schema(client, schema).await?;
    let name = qualified(schema, table);
    let defs: Vec<String> = RAW_COLUMNS
        .iter()
        .map(|c| meta_column_sql(c, true))
        .collect();
    let mut sql = format!(
        "CREATE TABLE IF NOT EXISTS {name} ({}); {};",
        defs.join(", "),
        extracted_at_index(schema, table)
    );
    for column in RAW_COLUMNS.iter().filter(|c| c.nullable) {
        sql.push_str(&format!(
            "ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {};",
            meta_column_sql(column, true)
        ));
    }
    client
        .batch_execute(&sql)
        .await
        .map_err(db_error(&format!("cannot create table {name}")))
}

/// Creates the schema and the typed table if missing; adds new columns;
/// widens columns whose type changed ([`LogicalType::widen`]: to jsonb,
/// varchar or numeric) instead of failing.
/// Returns the columns with the types the table really has.
pub async fn ensure(
    client: &Client,
    schema: &str,
    table: &str,
    mut columns: Vec<Column>,
) -> Result<Vec<Column>, Error> {
    create_schema(client, schema).await?;
    let name = qualified(schema, table);
    let existing = client
        .query(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&name],
        )
        .await
        .map_err(db_error(&format!("cannot read table {name}")))?;
    if existing.is_empty() {
        let mut defs: Vec<String> = FINAL_META_COLUMNS
            .iter()
            .map(|c| meta_column_sql(c, false))
            .collect();
        defs.extend(
            columns
                .iter()
                .map(|c| format!("{} {}", ident(&c.sql), c.ty.sql())),
        );
        client
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {name} ({}); {}",
                defs.join(", "),
                extracted_at_index(schema, table)
            ))
            .await
            .map_err(db_error(&format!("cannot create table {name}")))?;
        return Ok(columns);
    }
    for column in &mut columns {
        let current = existing
            .iter()
            .find(|r| r.get::<_, String>(0) == column.sql)
            .map(|r| r.get::<_, String>(1));
        match current {
            None => {
                client
                    .batch_execute(&format!(
                        "ALTER TABLE {name} ADD COLUMN {} {}",
                        ident(&column.sql),
                        column.ty.sql()
                    ))
                    .await
                    .map_err(db_error(&format!(
                        "cannot add column {} to {name}",
                        column.sql
                    )))?;
            }
            Some(sql_type) => {
                let current = ColumnType::from_sql(&sql_type);
                if current == Some(column.ty) {
                    continue;
                }
                // Keep a column that already holds anything; widen the others.
                let widened = ColumnType::widened(LogicalType::widen(
                    current.map(ColumnType::logical),
                    column.ty.logical(),
                ));
                if current != Some(widened) {
                    let using = match widened {
                        ColumnType::Jsonb => format!("to_jsonb({})", ident(&column.sql)),
                        ColumnType::Text => format!("{}::text", ident(&column.sql)),
                        other => format!("{}::{}", ident(&column.sql), other.sql()),
                    };
                    airbyte_sdk::tracing::warn!(
                        "{name}.{}: type changed from {sql_type} to {}; widening to {}",
                        column.sql,
                        column.ty.sql(),
                        widened.sql()
                    );
                    client
                        .batch_execute(&format!(
                            "ALTER TABLE {name} ALTER COLUMN {} TYPE {} USING {using}",
                            ident(&column.sql),
                            widened.sql()
                        ))
                        .await
                        .map_err(db_error(&format!(
                            "cannot change the type of {name}.{}",
                            column.sql
                        )))?;
                }
                column.ty = widened;
            }
        }
    }
    Ok(columns)
}

/// The index on `_airbyte_extracted_at`, for incremental models downstream
/// (`WHERE _airbyte_extracted_at > ...`). BRIN, not B-tree: rows arrive in
/// extraction order, so block ranges summarize them well, the index stays a
/// few pages, and loads do not pay a B-tree insert per row (measured: a
/// B-tree costs the server about 1.5 µs per row, a third of the whole COPY).
fn extracted_at_index(schema: &str, table: &str) -> String {
    format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} USING brin ({})",
        ident(&NAMES.fit_with_suffix(table, "_extracted_at")),
        qualified(schema, table),
        columns::EXTRACTED_AT
    )
}

/// The dedup index's name.
fn dedup_index_name(table: &str) -> String {
    NAMES.fit_with_suffix(table, "_pk")
}

/// An index for dedup on (primary key, cursor, extracted_at).
pub async fn dedup_index(
    client: &Client,
    schema: &str,
    table: &str,
    pk: &[String],
    cursor: Option<&str>,
) -> Result<(), Error> {
    let mut cols: Vec<String> = pk.iter().map(|c| ident(c)).collect();
    if let Some(c) = cursor {
        cols.push(ident(c));
    }
    cols.push(columns::EXTRACTED_AT.into());
    let index = dedup_index_name(table);
    client
        .batch_execute(&format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
            ident(&index),
            qualified(schema, table),
            cols.join(", ")
        ))
        .await
        .map_err(db_error("cannot create the dedup index"))
}

/// Replaces `table` by `tmp` in one transaction: readers see the old rows, then the new.
pub async fn swap(
    client: &mut Client,
    schema: &str,
    table: &str,
    tmp: &str,
    cascade: bool,
) -> Result<(), Error> {
    let tx = client
        .transaction()
        .await
        .map_err(db_error("cannot start a transaction"))?;
    let cascade = if cascade { " CASCADE" } else { "" };
    // The old table's indexes go with it; the new one's take their names.
    tx.batch_execute(&format!(
        "DROP TABLE IF EXISTS {}{cascade}; ALTER TABLE {} RENAME TO {}; \
         ALTER INDEX IF EXISTS {} RENAME TO {}; {}",
        qualified(schema, table),
        qualified(schema, tmp),
        ident(table),
        qualified(schema, &dedup_index_name(tmp)),
        ident(&dedup_index_name(table)),
        extracted_at_index(schema, table),
    ))
    .await
    .map_err(db_error(&format!("cannot replace {schema}.{table}")))?;
    tx.commit()
        .await
        .map_err(db_error(&format!("cannot replace {schema}.{table}")))
}

/// Whether the user may create tables in `schema` (checked by `check`).
pub async fn can_create(client: &Client, schema: &str) -> Result<(), Error> {
    let row = client
        .query_one(
            &format!(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = {lit}) \
                 THEN has_schema_privilege({lit}, 'CREATE') ELSE has_database_privilege(current_database(), 'CREATE') END",
                lit = literal(schema)
            ),
            &[],
        )
        .await
        .map_err(db_error("cannot check privileges"))?;
    if row.get::<_, bool>(0) {
        Ok(())
    } else {
        Err(Error::config(format!(
            "the user may not create tables in schema \"{schema}\": GRANT CREATE on it (or on the database)"
        )))
    }
}
