/// Connection settings.
#[airbyte_sdk::config]
#[airbyte(groups = [("db", "Database")])]
pub struct Config {
    /// Hostname of the database.
    #[airbyte(group = "database")]
    pub host: String,
}

/// Without any `groups`.
#[airbyte_sdk::config]
pub struct Other {
    /// Hostname of the database.
    #[airbyte(group = "db")]
    pub host: String,
}

/// Nested fields cannot have a group.
#[airbyte_sdk::config]
#[airbyte(tag = "method", groups = [("db", "Database")])]
pub enum Method {
    /// Change data capture.
    Cdc {
        /// Replication slot.
        #[airbyte(group = "db")]
        slot: String,
    },
}

fn main() {}
