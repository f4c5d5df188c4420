//! An example source: deterministic rows in two typed streams, `users` and
//! `purchases`, readable in full refresh or incrementally by `updated_at`.

use airbyte_sdk::source::{CursorState, Incremental, Record, Records, Stream, Streams};
use airbyte_sdk::types::{Decimal, TimestampTz};
use airbyte_sdk::{Error, Result, Source};

/// Generates deterministic rows, for tests and demos.
#[airbyte_sdk::config]
#[derive(Debug, Clone)]
pub struct GeneratorConfig {
    /// How many rows each stream has.
    #[airbyte(order = 0, default = 100)]
    pub count: u64,
    /// An API key, unused but marked secret, to show that secrets are masked.
    #[airbyte(order = 1, secret)]
    pub api_key: Option<String>,
    /// For tests: make reading `users` fail (`error`, `panic`), or `check` (`check_config`, `check`).
    #[airbyte(order = 2, hidden)]
    pub test_failure: Option<String>,
}

/// A user of the shop.
#[airbyte_sdk::record]
pub struct User {
    id: u64,
    name: String,
    email: Option<String>,
    updated_at: TimestampTz,
}

/// A purchase by a user.
#[airbyte_sdk::record]
pub struct Purchase {
    id: u64,
    user_id: u64,
    amount: Decimal,
    updated_at: TimestampTz,
}

/// `count` rows made by `row`, row `i` changed `i` minutes after 2024-01-01; `fails` for tests.
pub struct Rows<R>(GeneratorConfig, bool, fn(u64, TimestampTz) -> R);

impl<R: Record> Stream for Rows<R> {
    type Record = R;
    type State = CursorState<TimestampTz>;
    const PRIMARY_KEY: &[&str] = &["id"];
    const CURSOR: Option<&str> = Some("updated_at");

    async fn read(&self, state: Option<Self::State>, out: &mut Records<'_, Self>) -> Result<()> {
        let why = format!("test failure requested with {:?}", self.0);
        match self.0.test_failure.as_deref().filter(|_| self.1) {
            Some("panic") => panic!("{why}"),
            Some("error") => return Err(Error::transient(why)),
            _ => {}
        }
        let mut cursor = Incremental::from_state(state.as_ref());
        for i in 0..self.0.count {
            let at = TimestampTz::from_unix(1_704_067_200 + 60 * i as i64, 0);
            cursor.emit(out, Some(&at), &(self.2)(i, at.clone()))?;
        }
        cursor.checkpoint(out)
    }
}

/// The generator source.
pub struct Generator;

#[airbyte_sdk::source]
impl Source for Generator {
    type Config = GeneratorConfig;

    async fn check(&self, config: &GeneratorConfig) -> Result<()> {
        airbyte_sdk::tracing::info!("checking with {config:?}"); // The SDK masks the secret.
        match config.test_failure.as_deref() {
            Some("check_config") => Err(Error::config("test_failure is check_config")),
            Some("check") => Err(Error::system("test failure requested in check")),
            _ => Ok(()),
        }
    }

    async fn streams(&self, config: &GeneratorConfig) -> Result<Streams> {
        let users = Rows(config.clone(), true, |i, at| User {
            id: i,
            name: format!("User {i}"),
            email: (i % 5 != 0).then(|| format!("user{i}@example.com")),
            updated_at: at,
        });
        let purchases = Rows(config.clone(), false, |i, at| Purchase {
            id: i,
            user_id: i % 7,
            amount: Decimal::new(i128::from((1 + i * 3 % 97) * 100 + i % 100), 2),
            updated_at: at,
        });
        Ok(Streams::new()
            .with("users", users)
            .with("purchases", purchases))
    }
}

airbyte_sdk::source_main!(Generator);
