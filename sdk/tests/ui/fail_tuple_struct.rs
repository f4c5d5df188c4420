/// Connection settings.
#[airbyte_sdk::config]
pub struct Config(String, u16);

fn main() {}
