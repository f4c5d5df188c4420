use airbyte_sdk::{Error, Source};

/// Nothing.
#[airbyte_sdk::config]
pub struct Empty {}

pub struct Nothing;

// Neither `streams` nor `discover` + `read_stream`/`read`: it would compile
// without the attribute and fail only when run.
#[airbyte_sdk::source]
impl Source for Nothing {
    type Config = Empty;

    async fn check(&self, _config: &Empty) -> Result<(), Error> {
        Ok(())
    }
}

fn main() {}
