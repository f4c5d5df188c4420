//! Where and how one stream is written: its table (typed, or raw with
//! `disable_type_dedupe`), the table batches go to, its COPY encoder and
//! its dedup SQL. The rules (truncate, dedup order, hard deletes, the raw
//! layout) are the SDK's [`StreamPlan`]; what is here is their SQL.

use airbyte_postgres_common::ident;
use airbyte_sdk::Error;
use airbyte_sdk::destination::{CdcDeletion, OrderColumn, RecordView, StreamPlan, raw_table_name};
use airbyte_sdk::protocol::{StreamDescriptor, columns};
use tokio_postgres::Client;

use crate::config::{CdcDeletionMode, PostgresDestinationConfig};
use crate::raw_row::{self, RawRowEncoder};
use crate::row::RowEncoder;
use crate::table::{self, Column, NAMES, db_error, qualified};

/// Where and how one stream is written.
#[derive(Debug)]
pub struct Target {
    pub schema: String,
    pub table: String,
    /// The table batches go to: the final table, or a temporary one
    /// swapped in at the end when the plan truncates.
    pub write_table: String,
    /// Whether `write_table` replaces `table` at the end ([`StreamPlan::truncates`]).
    pub truncates: bool,
    /// Delete rows of generations below this at the end (0: none).
    pub remove_generations_below: i64,
    pub load: Load,
}

/// How rows are loaded.
#[derive(Debug)]
pub enum Load {
    /// Into a typed table.
    Typed(Box<Typed>),
    /// Into a raw table, as JSON.
    Raw { encoder: RawRowEncoder },
}

/// How rows are loaded into a typed table.
#[derive(Debug)]
pub struct Typed {
    copy_columns: String,
    /// Deduplicates after each batch (append_dedup).
    dedup: Option<Dedup>,
    encoder: RowEncoder,
}

impl Load {
    /// The columns COPY fills, quoted, in the encoder's order.
    pub fn copy_columns(&self) -> String {
        match self {
            Load::Typed(typed) => typed.copy_columns.clone(),
            Load::Raw { .. } => raw_row::copy_columns(),
        }
    }

    /// Appends the COPY rows of `records` of stream `descriptor`.
    pub fn encode<'a>(
        &mut self,
        records: impl Iterator<Item = RecordView<'a>>,
        descriptor: &StreamDescriptor,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        match self {
            Load::Typed(typed) => typed.encoder.encode(records, descriptor, out),
            Load::Raw { encoder } => encoder.encode(records, descriptor, out),
        }
    }

    /// The dedup of a typed append_dedup stream.
    pub fn dedup(&self) -> Option<&Dedup> {
        match self {
            Load::Typed(typed) => typed.dedup.as_ref(),
            Load::Raw { .. } => None,
        }
    }
}

/// The SQL pieces of an append_dedup stream.
#[derive(Debug)]
pub struct Dedup {
    /// The primary key's columns.
    pub key: Vec<String>,
    /// The cursor's column, if the cursor is one.
    pub cursor: Option<String>,
    /// The primary key columns, quoted and joined.
    pub pk: String,
    /// The [`airbyte_sdk::destination::DedupOrder`], rendered for `ORDER BY`.
    pub order_by: String,
    /// The `_ab_cdc_deleted_at` column, when a CDC delete removes its key's row.
    pub hard_delete: Option<String>,
}

impl From<CdcDeletionMode> for CdcDeletion {
    fn from(mode: CdcDeletionMode) -> Self {
        match mode {
            CdcDeletionMode::HardDelete => CdcDeletion::Hard,
            CdcDeletionMode::SoftDelete => CdcDeletion::Soft,
        }
    }
}

/// Prepares the table of one stream and what writes it.
pub async fn open(
    client: &Client,
    config: &PostgresDestinationConfig,
    plan: &StreamPlan,
) -> Result<Target, Error> {
    let namespace = plan
        .descriptor
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or(&config.schema);
    let (schema, table, load) = if config.disable_type_dedupe {
        let (schema, table) = raw_names(config, namespace, &plan.descriptor);
        table::ensure_raw(client, &schema, &table).await?;
        let load = Load::Raw {
            encoder: RawRowEncoder::new(plan)?,
        };
        (schema, table, load)
    } else {
        let schema = NAMES.fit(namespace);
        let table = NAMES.fit(&plan.descriptor.name);
        let columns = table::ensure(
            client,
            &schema,
            &table,
            table::columns_of(plan, config.unconstrained_number),
        )
        .await?;
        let dedup = match plan.dedups() {
            true => Some(dedup(plan, &columns, config.cdc_deletion_mode.into())?),
            false => None,
        };
        let load = Load::Typed(Box::new(Typed {
            copy_columns: copy_columns(&columns),
            dedup,
            encoder: RowEncoder::new(&columns, plan),
        }));
        (schema, table, load)
    };
    let write_table = if plan.truncates() {
        let tmp = NAMES.fit_with_suffix(&table, columns::TMP_TABLE_SUFFIX);
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
    if let Some(dedup) = load.dedup() {
        let cursor = dedup.cursor.as_deref();
        table::dedup_index(client, &schema, &write_table, &dedup.key, cursor).await?;
    }
    Ok(Target {
        schema,
        table,
        write_table,
        truncates: plan.truncates(),
        remove_generations_below: match plan.removes_old_generations() {
            true => plan.minimum_generation_id,
            false => 0,
        },
        load,
    })
}

/// The raw table of a stream: in `raw_data_schema` (default
/// `airbyte_internal`), named by the SDK's rule, lower-cased as Airbyte's
/// PostgreSQL destination does, fitted to 63 bytes.
fn raw_names(
    config: &PostgresDestinationConfig,
    namespace: &str,
    stream: &StreamDescriptor,
) -> (String, String) {
    let table = raw_table_name(namespace, &stream.name).to_lowercase();
    (NAMES.fit(config.raw_schema()), NAMES.fit(&table))
}

/// The SQL name of the column of property `json`.
fn sql_name<'c>(columns: &'c [Column], json: &str) -> Option<&'c str> {
    columns
        .iter()
        .find(|c| c.json == json)
        .map(|c| c.sql.as_str())
}

/// The dedup of a typed stream: its key, its order rendered from the
/// SDK's, and whether CDC deletes remove rows.
fn dedup(plan: &StreamPlan, columns: &[Column], deletion: CdcDeletion) -> Result<Dedup, Error> {
    let pk: Vec<&str> = plan
        .primary_key
        .iter()
        .filter_map(|p| p.first().and_then(|c| sql_name(columns, c)))
        .collect();
    if pk.is_empty() {
        let key: Vec<String> = plan.primary_key.iter().map(|p| p.join(".")).collect();
        return Err(Error::config(format!(
            "stream `{}` is append_dedup but its primary key ({}) is not a property of its JSON Schema: refresh the source schema or choose another key",
            plan.descriptor,
            key.join(", ")
        ))
        .with_stream(plan.descriptor.clone()));
    }
    let order = plan.dedup_order();
    let order_by: Vec<String> = order
        .keys()
        .iter()
        .filter_map(|key| {
            let column = match key.column {
                // A cursor that is not a column of the table cannot order it.
                OrderColumn::Cursor(path) => ident(sql_name(columns, path.first()?)?),
                other => other.meta_column()?.to_owned(),
            };
            let nulls = if key.nulls_last { " NULLS LAST" } else { "" };
            Some(format!("{column} DESC{nulls}"))
        })
        .collect();
    let hard_delete = plan
        .hard_deletes(deletion)
        .then(|| sql_name(columns, columns::CDC_DELETED_AT).map(ident))
        .flatten();
    let cursor = plan
        .cursor
        .as_ref()
        .and_then(|c| c.first())
        .and_then(|c| sql_name(columns, c))
        .map(str::to_owned);
    Ok(Dedup {
        key: pk.iter().map(|c| (*c).to_owned()).collect(),
        cursor,
        pk: pk.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", "),
        order_by: order_by.join(", "),
        hard_delete,
    })
}

/// The columns of the rows [`RowEncoder`] writes, quoted and joined.
fn copy_columns(columns: &[Column]) -> String {
    let mut names = vec![
        columns::RAW_ID.to_owned(),
        columns::EXTRACTED_AT.to_owned(),
        columns::GENERATION_ID.to_owned(),
    ];
    names.extend(columns.iter().map(|c| ident(&c.sql)));
    names.push(columns::META.to_owned());
    names.join(", ")
}
