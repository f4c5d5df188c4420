/// Connection settings.
#[airbyte_sdk::config(titel = "Spec")]
#[airbyte(description = "not a key: use the doc comment")]
pub struct Config {
    /// Hostname of the database.
    #[airbyte(tag = "mode")]
    pub host: String,
}

fn main() {}
