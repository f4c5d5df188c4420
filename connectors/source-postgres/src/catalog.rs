//! Discovering tables, views, materialized views and partitioned tables.

use std::collections::BTreeMap;

use airbyte_sdk::Error;
use airbyte_sdk::protocol::{AirbyteStream, JsonObject, SyncMode, columns};
use serde_json::{Map, Value, json};
use tokio_postgres::Client;

use crate::types::{ColumnType, cdc_columns};

/// A discovered relation.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// `r` table, `p` partitioned, `v` view, `m` materialized view, `f` foreign.
    pub relkind: String,
    /// Columns in order: name, type, nullable.
    pub columns: Vec<(String, ColumnType, bool)>,
    /// Primary key columns, in key order.
    pub primary_key: Vec<String>,
    /// Whether the user may read it.
    pub readable: bool,
}

impl Table {
    /// Whether rows have a ctid to resume by (plain and materialized tables).
    pub fn has_ctid(&self) -> bool {
        matches!(self.relkind.as_str(), "r" | "m")
    }

    /// The Airbyte stream for this table; with `cdc`, the CDC columns and modes.
    pub fn stream(&self, cdc_publication: Option<&[String]>) -> AirbyteStream {
        let mut properties = Map::new();
        for (name, ty, nullable) in &self.columns {
            properties.insert(name.clone(), ty.schema(*nullable));
        }
        let in_publication = cdc_publication
            .is_some_and(|tables| tables.contains(&format!("{}.{}", self.schema, self.name)));
        let cdc = in_publication && !self.primary_key.is_empty();
        if cdc {
            for (name, schema) in cdc_columns() {
                properties.insert(name.to_owned(), schema);
            }
        }
        let schema = json!({"type": "object", "properties": Value::Object(properties)});
        let modes = if cdc_publication.is_some() && !cdc {
            vec![SyncMode::FullRefresh]
        } else {
            vec![SyncMode::FullRefresh, SyncMode::Incremental]
        };
        let mut stream = AirbyteStream::new(
            self.name.clone(),
            JsonObject::try_from(schema).unwrap_or_default(),
            modes,
        );
        stream.namespace = Some(self.schema.clone());
        if !self.primary_key.is_empty() {
            stream.source_defined_primary_key =
                Some(self.primary_key.iter().map(|c| vec![c.clone()]).collect());
        }
        if cdc {
            stream.source_defined_cursor = Some(true);
            stream.default_cursor_field = Some(vec![columns::CDC_LSN.to_owned()]);
        } else {
            stream.source_defined_cursor = Some(false);
        }
        stream.is_resumable = Some(!self.primary_key.is_empty() || self.has_ctid());
        stream
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnType> {
        self.columns
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, t, _)| t)
    }
}

const COLUMNS: &str = r#"
SELECT n.nspname, c.relname, c.relkind::text, a.attname,
       COALESCE(bt.typname, t.typname) AS typname,
       COALESCE(bt.typtype, t.typtype)::text AS typtype,
       et.typname AS element,
       CASE WHEN COALESCE(bt.typname, t.typname) = 'numeric' AND COALESCE(NULLIF(t.typtypmod, -1), a.atttypmod) > 0
            THEN (COALESCE(NULLIF(t.typtypmod, -1), a.atttypmod) - 4) & 65535 END AS scale,
       NOT a.attnotnull AS nullable,
       has_table_privilege(c.oid, 'SELECT') AS readable
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
LEFT JOIN pg_type et ON et.oid = COALESCE(bt.typelem, t.typelem) AND COALESCE(bt.typcategory, t.typcategory) = 'A'
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
ORDER BY n.nspname, c.relname, a.attnum"#;

const PRIMARY_KEYS: &str = r#"
SELECT n.nspname, c.relname, a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
WHERE i.indisprimary AND n.nspname = ANY($1)
ORDER BY n.nspname, c.relname, array_position(i.indkey::int2[], a.attnum)"#;

/// Every relation of `schemas`, with columns and primary keys.
pub async fn tables(client: &Client, schemas: &[String]) -> Result<Vec<Table>, Error> {
    let query_error =
        airbyte_postgres_common::sqlstate::query_error_fn("could not read the database catalog");
    let mut by_name: BTreeMap<(String, String), Table> = BTreeMap::new();
    for row in client
        .query(COLUMNS, &[&schemas])
        .await
        .map_err(query_error)?
    {
        let key: (String, String) = (row.get(0), row.get(1));
        let table = by_name.entry(key.clone()).or_insert_with(|| Table {
            schema: key.0.clone(),
            name: key.1.clone(),
            relkind: row.get(2),
            columns: Vec::new(),
            primary_key: Vec::new(),
            readable: row.get(9),
        });
        let ty = ColumnType {
            typname: row.get(4),
            typtype: row.get(5),
            element: row.get(6),
            numeric_scale: row.get(7),
        };
        table.columns.push((row.get(3), ty, row.get(8)));
    }
    for row in client
        .query(PRIMARY_KEYS, &[&schemas])
        .await
        .map_err(query_error)?
    {
        if let Some(table) = by_name.get_mut(&(row.get(0), row.get(1))) {
            table.primary_key.push(row.get(2));
        }
    }
    let mut tables = Vec::new();
    for table in by_name.into_values() {
        if table.readable {
            tables.push(table);
        } else {
            airbyte_sdk::tracing::warn!(
                "skipping {}.{}: the user may not SELECT from it",
                table.schema,
                table.name
            );
        }
    }
    Ok(tables)
}

/// The `schema.table` names in a publication.
pub async fn publication_tables(client: &Client, publication: &str) -> Result<Vec<String>, Error> {
    let rows = client
        .query(
            "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = $1",
            &[&publication],
        )
        .await
        .map_err(airbyte_postgres_common::sqlstate::query_error_fn(
            "could not read the publication",
        ))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
