//! The test PostgreSQL server (`scripts/pg.sh`), for the connectors' tests
//! (feature `testing`).

use tokio_postgres::{Client, NoTls};

/// The server's URL, from `AIRBYTE_TEST_PG_URL`; panics with instructions when unset.
pub fn server_url() -> String {
    std::env::var("AIRBYTE_TEST_PG_URL").unwrap_or_else(|_| {
        panic!("AIRBYTE_TEST_PG_URL is not set: run `scripts/pg.sh start` (it prints the URL) or the full `scripts/test.sh`")
    })
}

/// (host, port) of the test server.
pub fn host_port() -> (String, u16) {
    let url = server_url();
    let host_port = url
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (host, port) = host_port.split_once(':').unwrap_or((&host_port, "5432"));
    (
        host.to_owned(),
        port.parse().unwrap_or_else(|_| panic!("bad port in {url}")),
    )
}

/// A single-threaded runtime for a test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a runtime: {e}"))
}

/// Connects to database `db` of the test server.
pub async fn connect(db: &str) -> Client {
    let url = server_url();
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&url);
    let (client, connection) = tokio_postgres::connect(&format!("{base}/{db}"), NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!("cannot connect to the test server at {url}: {e}; run `scripts/pg.sh start`")
        });
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A fresh database `name` (dropped first if it exists), optionally a copy of `template`.
pub async fn fresh_db(name: &str, template: Option<&str>) -> Client {
    let admin = connect("postgres").await;
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            crate::ident(name)
        ))
        .await
        .unwrap_or_else(|e| panic!("cannot drop database {name}: {e}"));
    let create = match template {
        Some(t) => format!(
            "CREATE DATABASE {} TEMPLATE {}",
            crate::ident(name),
            crate::ident(t)
        ),
        None => format!("CREATE DATABASE {}", crate::ident(name)),
    };
    admin
        .batch_execute(&create)
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    connect(name).await
}

/// Drops a test's database (and role) at the end, even when an assertion failed.
pub struct Cleanup {
    /// The database to drop.
    pub db: &'static str,
    /// The role to drop after it, if any.
    pub role: Option<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (db, role) = (self.db, self.role.take());
        runtime().block_on(async move {
            let admin = connect("postgres").await;
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .await;
            if let Some(role) = role {
                let _ = admin
                    .batch_execute(&format!("DROP ROLE IF EXISTS {role}"))
                    .await;
            }
        });
    }
}

/// A login role `role` with `password` on the test server (dropped first if it exists).
pub async fn create_login_role(role: &str, password: &str) {
    connect("postgres")
        .await
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD '{password}'"
        ))
        .await
        .expect("create the role");
}
