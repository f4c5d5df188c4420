//! An example source: two typed streams of deterministic rows, read in full or by `updated_at`.

use airbyte_sdk::prelude::*;
use airbyte_sdk::types::{Decimal, TimestampTz};

/// Generates deterministic rows, for tests and demos.
#[airbyte_sdk::config]
pub struct GeneratorConfig {
    /// How many rows each stream has.
    #[airbyte(order = 0, default = 100)]
    pub count: u64,
    /// An API key, unused: a secret, which the SDK masks in everything it prints.
    #[airbyte(order = 1, secret)]
    pub api_key: Option<String>,
}

/// A user of the shop.
#[airbyte_sdk::record]
pub struct User {
    id: u64,
    email: Option<String>,
    updated_at: TimestampTz,
}

/// A purchase.
#[airbyte_sdk::record]
pub struct Purchase {
    id: u64,
    amount: Decimal,
    updated_at: TimestampTz,
}

/// `count` rows made by a function of `i`, row `i` changed `i` minutes after 2024-01-01.
pub struct Rows<R>(u64, fn(u64, TimestampTz) -> R);

impl<R: Record> Stream for Rows<R> {
    type Record = R;
    type State = CursorState<TimestampTz>;
    const PRIMARY_KEY: &[&str] = &["id"];
    const CURSOR: Option<&str> = Some("updated_at");

    async fn read(&self, state: Option<Self::State>, out: &mut Records<'_, Self>) -> Result<()> {
        let mut cursor = Incremental::from_state(state.as_ref());
        for i in 0..self.0 {
            let at = TimestampTz::from_unix(1_704_067_200 + 60 * i as i64, 0);
            cursor.emit(out, Some(&at), &(self.1)(i, at.clone()))?;
        }
        cursor.checkpoint(out)
    }
}

/// The generator source.
pub struct Generator;

#[airbyte_sdk::source]
impl Source for Generator {
    type Config = GeneratorConfig;

    async fn check(&self, _: &GeneratorConfig) -> Result<()> {
        Ok(()) // Nothing to connect to.
    }

    async fn streams(&self, config: &GeneratorConfig) -> Result<Streams> {
        let users = Rows(config.count, |i, at| User {
            id: i,
            email: (i % 5 != 0).then(|| format!("user{i}@example.com")),
            updated_at: at,
        });
        let purchases = Rows(config.count, |i, at| Purchase {
            id: i,
            amount: Decimal::new(i128::from((1 + i * 3 % 97) * 100 + i % 100), 2),
            updated_at: at,
        });
        let streams = Streams::new().with("users", users);
        Ok(streams.with("purchases", purchases))
    }
}

airbyte_sdk::source_main!(Generator);
