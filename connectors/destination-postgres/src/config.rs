//! The spec: the keys of Airbyte's destination-postgres, so its configs work unchanged.

pub use airbyte_postgres_common::SslMode;

/// Loads data into PostgreSQL: one typed table per stream (or one raw table, with `disable_type_dedupe`).
#[airbyte_sdk::config(title = "Postgres Destination Spec")]
#[derive(Debug)]
pub struct PostgresDestinationConfig {
    /// Hostname of the database.
    #[airbyte(order = 0, title = "Host")]
    pub host: String,
    /// Port of the database.
    #[airbyte(order = 1, title = "Port", default = 5432, examples = [5432])]
    pub port: u16,
    /// Name of the database.
    #[airbyte(order = 2, title = "DB Name")]
    pub database: String,
    /// The default schema tables are written to if the source does not specify a namespace.
    #[airbyte(order = 3, title = "Default Schema", default = "public", examples = ["public"])]
    pub schema: String,
    /// Username to use to access the database.
    #[airbyte(order = 4, title = "User")]
    pub username: String,
    /// Password associated with the username.
    #[airbyte(order = 5, title = "Password", secret, always_show)]
    pub password: Option<String>,
    /// SSL connection modes.
    #[airbyte(order = 7, title = "SSL modes")]
    pub ssl_mode: Option<SslMode>,
    /// Additional connection parameters, formatted as 'key=value' pairs separated by '&'.
    #[airbyte(order = 8, title = "JDBC URL Params")]
    pub jdbc_url_params: Option<String>,
    /// The schema raw tables are written to when "Disable Final Tables" is on (default: airbyte_internal).
    #[airbyte(order = 9, title = "Airbyte Internal Table Dataset Name")]
    pub raw_data_schema: Option<String>,
    /// Write numbers as unconstrained `numeric` instead of `decimal(38, 9)`.
    #[airbyte(order = 10, title = "Unconstrained numeric columns", default = false)]
    pub unconstrained_number: bool,
    /// Whether a CDC delete removes the row (Hard delete) or keeps it with `_ab_cdc_deleted_at` set (Soft delete).
    #[airbyte(order = 11, title = "CDC deletion mode", default = "Hard delete")]
    pub cdc_deletion_mode: CdcDeletionMode,
    /// Drop tables with CASCADE when replacing them (dependent views are dropped too).
    #[airbyte(order = 12, title = "Drop tables with CASCADE", default = false)]
    pub drop_cascade: bool,
    /// Raw tables only: write each record untyped, its data as JSON in `_airbyte_data`, to `<raw schema>.<namespace>_raw__stream_<stream>` (lower-cased), with no typed final tables and no deduplication (append_dedup appends).
    #[airbyte(
        order = 13,
        title = "Disable Final Tables (Raw tables only)",
        default = false
    )]
    pub disable_type_dedupe: bool,
}

/// What a CDC delete does in append_dedup mode.
#[airbyte_sdk::config]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CdcDeletionMode {
    /// The row is deleted.
    #[airbyte(rename = "Hard delete")]
    HardDelete,
    /// The row is kept, with `_ab_cdc_deleted_at` set.
    #[airbyte(rename = "Soft delete")]
    SoftDelete,
}

impl PostgresDestinationConfig {
    /// The schema of raw tables: `raw_data_schema`, else `airbyte_internal`.
    pub fn raw_schema(&self) -> &str {
        self.raw_data_schema
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(airbyte_sdk::destination::DEFAULT_RAW_SCHEMA)
    }

    /// The schema `check` must be able to create tables in: the raw schema
    /// in raw-tables mode, else the default schema.
    pub fn checked_schema(&self) -> &str {
        if self.disable_type_dedupe {
            self.raw_schema()
        } else {
            &self.schema
        }
    }

    /// How to connect.
    pub fn connect_options(&self) -> airbyte_postgres_common::ConnectOptions {
        airbyte_postgres_common::ConnectOptions {
            host: self.host.clone(),
            port: self.port,
            database: self.database.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            jdbc_url_params: self.jdbc_url_params.clone(),
            ssl_mode: self.ssl_mode.clone(),
            application_name: "airbyte-rs destination-postgres",
        }
    }
}
