/// Connection settings.
#[airbyte_sdk::config]
pub struct Config {
    /// Port of the database.
    #[airbyte(default = 5432 + 1)]
    pub port: u16,
    /// Hostname of the database.
    #[airbyte(examples = "localhost")]
    pub host: String,
    /// Title must be a string.
    #[airbyte(title = Database)]
    pub database: String,
    /// Flags take no value.
    #[airbyte(secret = true)]
    pub password: String,
    /// Keys cannot repeat.
    #[airbyte(order = 1, order = 2)]
    pub username: String,
}

fn main() {}
