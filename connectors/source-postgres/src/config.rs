//! The spec: the same keys as Airbyte's source-postgres, so its configs work unchanged.

pub use airbyte_postgres_common::SslMode;

/// Connects to a PostgreSQL database and replicates its tables.
#[airbyte_sdk::config(title = "Postgres Source Spec")]
#[airbyte(groups = [("db", "Database"), ("auth", "Authentication"), ("security", "Security"), ("advanced", "Advanced")])]
#[derive(Debug)]
pub struct PostgresConfig {
    /// Hostname of the database.
    #[airbyte(order = 0, group = "db", title = "Host")]
    pub host: String,
    /// Port of the database.
    #[airbyte(order = 1, group = "db", title = "Port", default = 5432, examples = [5432])]
    pub port: u16,
    /// Name of the database.
    #[airbyte(order = 2, group = "db", title = "Database Name")]
    pub database: String,
    /// The list of schemas (case sensitive) to sync from. Defaults to public.
    #[airbyte(order = 3, group = "db", title = "Schemas", default = ["public"])]
    pub schemas: Vec<String>,
    /// Username to access the database.
    #[airbyte(order = 0, group = "auth", title = "Username")]
    pub username: String,
    /// Password associated with the username.
    #[airbyte(order = 1, group = "auth", title = "Password", secret, always_show)]
    pub password: Option<String>,
    /// Additional connection parameters, formatted as 'key=value' pairs separated by '&'
    /// (applicationName, connectTimeout, options, keepalives are understood).
    #[airbyte(
        order = 0,
        group = "advanced",
        title = "JDBC URL Parameters (Advanced)",
        pattern_descriptor = "key1=value1&key2=value2"
    )]
    pub jdbc_url_params: Option<String>,
    /// SSL connection modes.
    #[airbyte(order = 0, group = "security", title = "SSL Modes")]
    pub ssl_mode: Option<SslMode>,
    /// Replication method for extracting data from the database.
    #[airbyte(order = 1, group = "advanced", title = "Replication Method")]
    pub replication_method: Option<ReplicationMethod>,
}

/// Replication method for extracting data from the database.
#[airbyte_sdk::config]
#[airbyte(tag = "method")]
#[derive(Debug, Clone)]
pub enum ReplicationMethod {
    /// Standard replication requires no setup on the DB side but will not be able to represent deletions incrementally.
    #[airbyte(title = "Standard")]
    Standard,
    /// Incrementally reads new inserts and updates via Postgres Xmin system column. Suitable for databases with low transaction pressure.
    #[airbyte(title = "Detect Changes with Xmin System Column")]
    Xmin,
    /// Logical replication uses the Postgres write-ahead log (WAL) to detect inserts, updates, and deletes.
    #[airbyte(rename = "CDC", title = "Logical Replication (CDC)")]
    Cdc {
        /// A logical decoding plugin installed on the PostgreSQL server.
        #[airbyte(order = 2, title = "Plugin", default = "pgoutput")]
        plugin: String,
        /// A plugin logical replication slot.
        #[airbyte(order = 3, title = "Replication Slot")]
        replication_slot: String,
        /// A Postgres publication used for consuming changes.
        #[airbyte(order = 4, title = "Publication")]
        publication: String,
        /// The amount of time the connector will wait when it launches to determine if there is new data to sync or not, in seconds.
        #[airbyte(
            order = 5,
            title = "Initial Waiting Time in Seconds (Advanced)",
            default = 300
        )]
        initial_waiting_seconds: u32,
        /// Determines when Airbyte should flush the LSN of processed WAL logs in the source database.
        #[airbyte(
            order = 6,
            title = "LSN commit behaviour",
            default = "After loading Data in the destination"
        )]
        lsn_commit_behaviour: String,
    },
}

impl PostgresConfig {
    /// The replication method, Standard when absent.
    pub fn method(&self) -> ReplicationMethod {
        self.replication_method
            .clone()
            .unwrap_or(ReplicationMethod::Standard)
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
            application_name: "airbyte-rs source-postgres",
        }
    }

    /// The schemas to read, `public` when the list is empty.
    pub fn schemas(&self) -> Vec<String> {
        if self.schemas.is_empty() {
            vec!["public".to_owned()]
        } else {
            self.schemas.clone()
        }
    }
}
