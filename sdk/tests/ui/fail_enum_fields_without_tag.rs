/// Update method.
#[airbyte_sdk::config]
pub enum Method {
    /// Full scans.
    Standard,
    /// Change data capture.
    Cdc {
        /// Replication slot.
        slot: String,
    },
    /// Not allowed either.
    Legacy(String),
}

fn main() {}
