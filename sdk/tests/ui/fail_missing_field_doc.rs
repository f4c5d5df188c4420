/// Connection settings.
#[airbyte_sdk::config]
pub struct Config {
    /// Hostname of the database.
    pub host: String,
    #[airbyte(secret)]
    pub password: String,
}

fn main() {}
