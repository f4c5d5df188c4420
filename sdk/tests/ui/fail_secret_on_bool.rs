/// Connection settings.
#[airbyte_sdk::config]
pub struct Config {
    /// Whether to use a token.
    #[airbyte(secret)]
    pub token: bool,
    /// Whether to use a key.
    #[airbyte(secret)]
    pub key: Option<bool>,
}

fn main() {}
