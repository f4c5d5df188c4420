/// Not a config.
#[airbyte_sdk::config]
pub union Bits {
    /// As an integer.
    pub int: u32,
    /// As a float.
    pub float: f32,
}

fn main() {}
