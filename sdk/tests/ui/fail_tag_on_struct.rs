/// Connection settings.
#[airbyte_sdk::config]
#[airbyte(tag = "mode")]
pub struct Config {
    /// Hostname of the database.
    pub host: String,
}

fn main() {}
