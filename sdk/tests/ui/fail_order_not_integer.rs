/// Connection settings.
#[airbyte_sdk::config]
pub struct Config {
    /// Hostname of the database.
    #[airbyte(order = "x")]
    pub host: String,
}

fn main() {}
