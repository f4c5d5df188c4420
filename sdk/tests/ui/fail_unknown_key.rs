/// Connection settings.
#[airbyte_sdk::config]
pub struct Config {
    /// Password of the user.
    #[airbyte(secret, sekret)]
    pub password: String,
}

fn main() {}
