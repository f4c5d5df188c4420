use airbyte_sdk::protocol::{ConfiguredAirbyteStream, JsonObject};
use airbyte_sdk::source::StreamOutput;
use airbyte_sdk::{Error, Source};

/// Nothing.
#[airbyte_sdk::config]
pub struct Empty {}

pub struct Untyped;

// `read_stream` without `discover` (and without typed `streams`).
#[airbyte_sdk::source]
impl Source for Untyped {
    type Config = Empty;

    async fn check(&self, _config: &Empty) -> Result<(), Error> {
        Ok(())
    }

    async fn read_stream(
        &self,
        _config: &Empty,
        _stream: &ConfiguredAirbyteStream,
        _state: Option<&JsonObject>,
        _out: &mut StreamOutput,
    ) -> Result<(), Error> {
        Ok(())
    }
}

fn main() {}
