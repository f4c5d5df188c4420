use airbyte_sdk::source::{NoState, Records, Stream, Streams};
use airbyte_sdk::{Result, Source};

/// Nothing to set.
#[airbyte_sdk::config]
pub struct Empty {}

/// A row.
#[airbyte_sdk::record]
pub struct Row {
    id: i64,
}

pub struct Rows;

impl Stream for Rows {
    type Record = Row;
    type State = NoState;
    const PRIMARY_KEY: &[&str] = &["id"];

    async fn read(&self, _state: Option<NoState>, out: &mut Records<'_, Self>) -> Result<()> {
        out.record(&Row { id: 1 })
    }
}

pub struct Typed;

#[airbyte_sdk::source]
impl Source for Typed {
    type Config = Empty;

    async fn check(&self, _config: &Empty) -> Result<()> {
        Ok(())
    }

    async fn streams(&self, _config: &Empty) -> Result<Streams> {
        Ok(Streams::new().with("rows", Rows))
    }
}

fn main() {
    let _ = Typed;
}
