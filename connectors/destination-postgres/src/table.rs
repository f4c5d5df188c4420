//! Final tables: create, evolve, replace.

use airbyte_postgres_common::{ident, literal};
use airbyte_sdk::Error;
use airbyte_sdk::protocol::columns;
use serde_json::Value;
use tokio_postgres::Client;

use crate::names::fit;
use crate::types::ColumnType;

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

/// The metadata columns, in order, before the user columns.
pub const META: [(&str, &str); 4] = [
    (columns::RAW_ID, "varchar NOT NULL"),
    (columns::EXTRACTED_AT, "timestamptz NOT NULL"),
    (columns::META, "jsonb NOT NULL"),
    (columns::GENERATION_ID, "bigint"),
];

/// A failed statement, as "`what`: the server's message", with the failure
/// type of its SQLSTATE ([`airbyte_postgres_common::sqlstate`]): a missing
/// privilege is a config error, a lost connection transient, a rejected value
/// a system error.
pub(crate) fn db_error(what: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| airbyte_postgres_common::sqlstate::query_error(what, e)
}

/// The user columns of a stream's JSON Schema.
pub fn columns_of(schema: &Value, unconstrained_number: bool) -> Vec<Column> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .filter(|(name, _)| !META.iter().any(|(m, _)| m == name))
        .map(|(name, prop)| Column {
            json: name.clone(),
            sql: fit(name),
            ty: ColumnType::of(prop, unconstrained_number),
        })
        .collect()
}

/// `"schema"."table"`.
pub fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", ident(schema), ident(table))
}

/// Creates the schema and the table if missing; adds new columns; widens
/// columns whose type changed (to jsonb, or varchar) instead of failing.
/// Returns the columns with the types the table really has.
pub async fn ensure(
    client: &Client,
    schema: &str,
    table: &str,
    mut columns: Vec<Column>,
) -> Result<Vec<Column>, Error> {
    client
        .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", ident(schema)))
        .await
        .map_err(db_error(&format!("cannot create schema {schema}")))?;
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
        let mut defs: Vec<String> = META
            .iter()
            .map(|(n, t)| format!("{} {t}", ident(n)))
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
                let widened = match (current, column.ty) {
                    (Some(ColumnType::Jsonb), _) => ColumnType::Jsonb,
                    (Some(ColumnType::Text), ColumnType::Jsonb) | (_, ColumnType::Jsonb) => {
                        ColumnType::Jsonb
                    }
                    (Some(ColumnType::Text), _) => ColumnType::Text,
                    (Some(ColumnType::BigInt), ColumnType::Decimal | ColumnType::Numeric) => {
                        ColumnType::Numeric
                    }
                    (Some(ColumnType::Decimal | ColumnType::Numeric), ColumnType::BigInt) => {
                        ColumnType::Numeric
                    }
                    _ => ColumnType::Text,
                };
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
        ident(&crate::names::fit_with_suffix(table, "_extracted_at")),
        qualified(schema, table),
        columns::EXTRACTED_AT
    )
}

/// The dedup index's name.
fn dedup_index_name(table: &str) -> String {
    crate::names::fit_with_suffix(table, "_pk")
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
