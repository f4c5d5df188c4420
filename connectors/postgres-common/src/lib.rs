//! What the PostgreSQL source and destination share: connecting with the TLS
//! modes of Airbyte's Postgres connectors, errors a user can act on (failure
//! types from SQLSTATE: [`sqlstate`]), and SQL quoting.

pub mod sqlstate;
mod ssl;
#[cfg(feature = "testing")]
pub mod testing;

use std::time::Duration;

use airbyte_sdk::Error;
use airbyte_sdk::protocol::FailureType;
use tokio_postgres::{Client, NoTls};

pub use ssl::SslMode;

/// Where and how to connect.
///
/// ```
/// let options = airbyte_postgres_common::ConnectOptions {
///     host: "db.internal".into(), port: 5432, database: "app".into(), username: "airbyte".into(),
///     password: None, jdbc_url_params: None, ssl_mode: None, application_name: "doc",
/// };
/// assert_eq!(options.describe(), "db.internal:5432/app");
/// ```
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Database.
    pub database: String,
    /// User.
    pub username: String,
    /// Password.
    pub password: Option<String>,
    /// `key=value&...` extra parameters.
    pub jdbc_url_params: Option<String>,
    /// TLS mode (disable when absent).
    pub ssl_mode: Option<SslMode>,
    /// The `application_name` shown in `pg_stat_activity`.
    pub application_name: &'static str,
}

impl ConnectOptions {
    /// `host:port/database`, for messages.
    pub fn describe(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }
}

/// Opens a connection (its connection task runs in the background) and sets
/// the session up: standard strings, ISO dates, UTC.
pub async fn connect(config: &ConnectOptions) -> Result<Client, Error> {
    let mut pg = tokio_postgres::Config::new();
    pg.host(&config.host)
        .port(config.port)
        .dbname(&config.database)
        .user(&config.username)
        .application_name(config.application_name)
        .connect_timeout(Duration::from_secs(30))
        .keepalives(true);
    if let Some(password) = &config.password {
        pg.password(password);
    }
    for (key, value) in params(config.jdbc_url_params.as_deref())? {
        match key.as_str() {
            "applicationName" | "ApplicationName" => {
                pg.application_name(&value);
            }
            "connectTimeout" | "loginTimeout" => {
                let secs: u64 = value.parse().map_err(|_| {
                    Error::config(format!(
                        "jdbc_url_params: {key} must be a number of seconds"
                    ))
                })?;
                pg.connect_timeout(Duration::from_secs(secs.max(1)));
            }
            "options" => {
                pg.options(&value);
            }
            "tcpKeepAlive" => {
                pg.keepalives(value == "true");
            }
            other => airbyte_sdk::tracing::warn!(
                "jdbc_url_params: `{other}` is not supported and is ignored"
            ),
        }
    }
    let ssl = config.ssl_mode.clone().unwrap_or(SslMode::Disable);
    let described = config.describe();
    let client = match ssl {
        SslMode::Disable => {
            pg.ssl_mode(tokio_postgres::config::SslMode::Disable);
            let (client, connection) = pg
                .connect(NoTls)
                .await
                .map_err(|e| classify(e, config, &described))?;
            spawn(connection);
            client
        }
        mode => {
            let (pg_mode, tls) = ssl::tls_config(&mode)?;
            pg.ssl_mode(pg_mode);
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
            let (client, connection) = pg
                .connect(tls)
                .await
                .map_err(|e| classify(e, config, &described))?;
            spawn(connection);
            client
        }
    };
    // Literals the connector quotes rely on standard strings; text output must be ISO.
    client
        .batch_execute("SET standard_conforming_strings = on; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3; SET TIME ZONE 'UTC'")
        .await
        .map_err(sqlstate::query_error_fn("could not configure the session"))?;
    Ok(client)
}

fn spawn<F>(connection: F)
where
    F: std::future::Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            airbyte_sdk::tracing::debug!("connection closed: {e}");
        }
    });
}

/// `key=value&key=value` pairs.
fn params(text: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    text.split('&')
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| {
                    Error::config(format!("jdbc_url_params: `{pair}` is not a key=value pair"))
                })
        })
        .collect()
}

/// Turns a connection error into one the user can act on.
///
/// At connect time the only input is the config, so a server error whose
/// SQLSTATE is not transient in [`sqlstate::SQLSTATE_RULES`] (server starting
/// up, too many connections, ...) is a config error; so is an unreachable host,
/// except a timeout (transient). The message names the user, database and
/// host, never the password.
pub fn classify(e: tokio_postgres::Error, config: &ConnectOptions, described: &str) -> Error {
    let Some(db) = e.as_db_error() else {
        let detail = std::error::Error::source(&e)
            .map(|s| s.to_string())
            .unwrap_or_else(|| e.to_string());
        if detail.contains("timed out") {
            return Error::transient(format!(
                "Timed out connecting to {}:{}.",
                config.host, config.port
            ))
            .with_source(e);
        }
        return Error::config(format!(
            "Could not reach {}:{} ({detail}). Check the host, the port and that the server accepts connections from here.",
            config.host, config.port
        ))
        .with_source(e);
    };
    let rule = sqlstate::rule_for_sqlstate(db.code().code());
    // Wordings for the codes a user meets most, keyed as in the table.
    let message = match rule.key {
        "28P01" => format!(
            "Authentication failed for user \"{}\": check the username and password.",
            config.username
        ),
        "28000" | "28" => format!(
            "Authentication failed for user \"{}\": check the username and password. The server says: {}",
            config.username,
            sqlstate::server_says(&e)
        ),
        "3D000" => format!(
            "Database \"{}\" does not exist on {}:{}.",
            config.database, config.host, config.port
        ),
        "42501" => format!(
            "User \"{}\" may not connect to database \"{}\".",
            config.username, config.database
        ),
        "53300" => format!("{described} has too many connections; try again later"),
        _ => format!(
            "Could not connect to {described}: {} — {}",
            sqlstate::server_says(&e),
            rule.explanation
        ),
    };
    let failure = match rule.failure {
        FailureType::TransientError => FailureType::TransientError,
        _ => FailureType::ConfigError,
    };
    sqlstate::error_of(failure, message).with_source(e)
}

/// Quotes an identifier: `"` doubled inside, wrapped in `"`.
///
/// ```
/// assert_eq!(airbyte_postgres_common::ident("a\"b"), "\"a\"\"b\"");
/// ```
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal (standard_conforming_strings is on): `'` doubled, wrapped in `'`.
///
/// ```
/// assert_eq!(airbyte_postgres_common::literal("it's"), "'it''s'");
/// ```
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
