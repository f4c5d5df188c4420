/// Update method.
#[airbyte_sdk::config]
#[airbyte(tag = "method")]
pub enum Method {
    /// Change data capture.
    Cdc {
        /// Clashes with the tag.
        method: String,
    },
}

fn main() {}
