//! Streaming changes from the slot: the walsender connection (pgwire-replication),
//! when to stop, and checkpoints at transaction boundaries.
//!
//! The stream starts at the saved LSN and stops at the first of:
//! - a transaction that commits at or after the target LSN (the WAL insert
//!   position at the start of the sync, see `slot::sync_target`), or the
//!   commit that reaches it;
//! - the marker this sync wrote (`pg_logical_emit_message`, non-transactional)
//!   or a keepalive showing the server sent everything up to the target:
//!   nothing is left to read;
//! - `initial_waiting_seconds` without any change or transaction boundary,
//!   while the walsender is not reading WAL either (`pg_stat_replication.sent_lsn`).
//!
//! The connection acknowledges (flushes) the start LSN and nothing later:
//! the next sync acknowledges what the destination committed.

use std::time::Duration;

use airbyte_sdk::Error;
use airbyte_sdk::source::StreamOutput;
use pgwire_replication::{
    Lsn, PgWireError, ReplicationClient, ReplicationConfig, ReplicationEvent, TlsConfig,
};
use tokio::time::{Instant, timeout, timeout_at};
use tokio_postgres::Client;

use super::changes::Changes;
use super::pgoutput::{Message, decode};
use super::state::{Advance, Checkpointer, lsn_text, parse_lsn, pg_time_rfc3339};
use crate::config::{PostgresConfig, SslMode};
use crate::connect::ident;

/// The prefix of the marker message each sync writes at its target LSN.
pub const MARKER_PREFIX: &str = "airbyte-rs/source-postgres";

/// Session settings for the walsender, as `connect()` sets them for COPY, so
/// that values print the same in snapshots and in changes.
const SESSION_OPTIONS: &str =
    "-c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c extra_float_digits=3 -c TimeZone=UTC";

/// What to stream.
pub struct StreamPlan<'a> {
    /// The connection settings.
    pub config: &'a PostgresConfig,
    /// An ordinary connection, to watch the walsender.
    pub control: &'a Client,
    /// The slot.
    pub slot: &'a str,
    /// The publication.
    pub publication: &'a str,
    /// Where to start (and what to acknowledge).
    pub start: u64,
    /// Where to stop.
    pub target: u64,
    /// How long to wait with nothing arriving.
    pub wait: Duration,
    /// Acknowledge each checkpoint as it is emitted (`While reading Data`).
    pub ack_while_reading: bool,
}

/// Why and where the stream stopped.
#[derive(Debug)]
pub struct StreamSummary {
    /// Why it stopped.
    pub reason: &'static str,
    /// Transactions with changes of the publication.
    pub transactions: u64,
    /// Records emitted.
    pub records: u64,
}

/// Turns a replication error into one the user can act on.
pub fn classify(e: PgWireError, slot: &str, publication: &str) -> Error {
    let text = e.to_string();
    let code = text
        .rsplit_once("(SQLSTATE ")
        .map(|(_, c)| c.trim_end_matches(')').to_owned())
        .unwrap_or_default();
    match (&e, code.as_str()) {
        (PgWireError::Server(_), "55006") => Error::transient(format!(
            "replication slot `{slot}` is in use by another process; a sync cannot share it: {text}"
        )),
        (PgWireError::Server(m), "42704") if m.contains("publication") => Error::config(format!(
            "publication `{publication}` does not exist: create it with CREATE PUBLICATION {publication} FOR TABLE ... ({text})"
        )),
        (PgWireError::Server(_), "42704") => Error::config(format!(
            "replication slot `{slot}` does not exist: create it with SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput') ({text})"
        )),
        (PgWireError::Server(_), "55000" | "58P01") => Error::config(format!(
            "replication slot `{slot}` can no longer stream the changes the state needs ({text}): recreate the slot and reset the connection to sync everything again"
        )),
        (PgWireError::Server(_), "42501") => Error::config(format!(
            "the user may not stream changes ({text}): it needs the REPLICATION attribute (ALTER ROLE ... REPLICATION)"
        )),
        (PgWireError::Auth(_), _) | (PgWireError::Tls(_), _) => Error::config(format!("the replication connection failed: {text}")),
        (PgWireError::Io(_) | PgWireError::Task(_), _) => Error::transient(format!("the replication connection failed: {text}")),
        (PgWireError::Server(_), code) if !code.is_empty() => {
            let rule = airbyte_postgres_common::sqlstate::rule_for_sqlstate(code);
            airbyte_postgres_common::sqlstate::error_of(
                rule.failure,
                format!("replication failed: {text} — {}", rule.explanation),
            )
        }
        _ => Error::transient(format!("replication failed: {text}")),
    }
    .with_source(e)
}

fn tls(config: &PostgresConfig) -> Result<TlsConfig, Error> {
    match config.ssl_mode.clone().unwrap_or(SslMode::Disable) {
        SslMode::Disable => Ok(TlsConfig::disabled()),
        #[cfg(not(feature = "cdc-tls"))]
        SslMode::Allow | SslMode::Prefer => {
            airbyte_sdk::tracing::warn!(
                "this build has no TLS for the replication connection: it is not encrypted"
            );
            Ok(TlsConfig::disabled())
        }
        #[cfg(not(feature = "cdc-tls"))]
        _ => Err(Error::config(
            "CDC over TLS needs a build with the `cdc-tls` feature (this one has none): use ssl_mode disable, allow or prefer, or such a build",
        )),
        #[cfg(feature = "cdc-tls")]
        SslMode::Allow | SslMode::Prefer => Ok(TlsConfig {
            mode: pgwire_replication::SslMode::Prefer,
            ..TlsConfig::default()
        }),
        #[cfg(feature = "cdc-tls")]
        SslMode::Require => Ok(TlsConfig::require()),
        #[cfg(feature = "cdc-tls")]
        SslMode::VerifyCa {
            ca_certificate,
            client_certificate,
            client_key,
            ..
        } => tls_files(
            TlsConfig::verify_ca(Some(pem_file("ca", &ca_certificate)?)),
            client_certificate,
            client_key,
        ),
        #[cfg(feature = "cdc-tls")]
        SslMode::VerifyFull {
            ca_certificate,
            client_certificate,
            client_key,
            ..
        } => tls_files(
            TlsConfig::verify_full(Some(pem_file("ca", &ca_certificate)?)),
            client_certificate,
            client_key,
        ),
    }
}

/// pgwire-replication reads certificates from files: writes them (mode 0600) in the temporary directory.
#[cfg(feature = "cdc-tls")]
fn pem_file(what: &str, pem: &str) -> Result<std::path::PathBuf, Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path =
        std::env::temp_dir().join(format!("source-postgres-{}-{what}.pem", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::system("cannot write a certificate file").with_source(e))?;
    file.write_all(pem.as_bytes())
        .map_err(|e| Error::system("cannot write a certificate file").with_source(e))?;
    Ok(path)
}

#[cfg(feature = "cdc-tls")]
fn tls_files(
    tls: TlsConfig,
    cert: Option<String>,
    key: Option<String>,
) -> Result<TlsConfig, Error> {
    match (cert, key) {
        (Some(cert), Some(key)) => {
            Ok(tls.with_client_cert(pem_file("cert", &cert)?, pem_file("key", &key)?))
        }
        _ => Ok(tls),
    }
}

fn replication_config(plan: &StreamPlan<'_>) -> Result<ReplicationConfig, Error> {
    let c = plan.config;
    let mut options = SESSION_OPTIONS.to_owned();
    if let Some(params) = c.jdbc_url_params.as_deref() {
        for (key, value) in params.split('&').filter_map(|p| p.split_once('=')) {
            if key.trim() == "options" {
                options = format!("{options} {}", value.trim());
            }
        }
    }
    // publication_names is a list of identifiers: quoted, the name is taken as is.
    let publication = ident(plan.publication);
    Ok(ReplicationConfig::new(
        &c.host,
        &c.username,
        c.password.clone().unwrap_or_default(),
        &c.database,
        plan.slot,
        publication,
    )
    .with_port(c.port)
    .with_tls(tls(c)?)
    .with_start_lsn(Lsn(plan.start))
    .with_ack_lsn(Lsn(plan.start))
    .with_status_interval(Duration::from_secs(1))
    .with_wakeup_interval(Duration::from_secs(1))
    .with_options(options)
    .with_application_name("airbyte-rs source-postgres (cdc)"))
}

/// Streams changes from `plan.start` to `plan.target`, emitting records and
/// checkpoints; the checkpointer's LSN ends at the last position fully read.
pub async fn stream_changes(
    plan: &StreamPlan<'_>,
    changes: &mut Changes,
    outs: &mut [StreamOutput],
    ck: &mut Checkpointer,
) -> Result<StreamSummary, Error> {
    let classify = |e| classify(e, plan.slot, plan.publication);
    let mut client = ReplicationClient::connect(replication_config(plan)?)
        .await
        .map_err(classify)?;
    match timeout(Duration::from_secs(60), client.wait_started()).await {
        Err(_) => {
            return Err(Error::transient(
                "the server did not start the replication stream within 60 s",
            ));
        }
        Ok(result) => result.map_err(classify)?,
    }
    airbyte_sdk::tracing::info!(
        "streaming changes from {} to {}",
        lsn_text(plan.start),
        lsn_text(plan.target)
    );
    let result = read_events(&mut client, plan, changes, outs, ck).await;
    // Ends the stream (CopyDone) so the slot is released at once.
    if let Err(e) = client.shutdown().await {
        airbyte_sdk::tracing::debug!("closing the replication stream: {e}");
    }
    result
}

/// How far our walsender has read the WAL (`pg_stat_replication.sent_lsn`).
async fn sent_lsn(control: &Client, slot: &str) -> Option<u64> {
    let sql = "SELECT r.sent_lsn::text FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = $1";
    let row = control.query_opt(sql, &[&slot]).await.ok()??;
    row.get::<_, Option<String>>(0)
        .as_deref()
        .and_then(parse_lsn)
}

async fn read_events(
    client: &mut ReplicationClient,
    plan: &StreamPlan<'_>,
    changes: &mut Changes,
    outs: &mut [StreamOutput],
    ck: &mut Checkpointer,
) -> Result<StreamSummary, Error> {
    let classify = |e| classify(e, plan.slot, plan.publication);
    let mut summary = StreamSummary {
        reason: "",
        transactions: 0,
        records: 0,
    };
    // The commit time of the open transaction.
    let mut open: Option<String> = None;
    let mut last_data = Instant::now();
    let mut last_sent = plan.start;
    loop {
        let event = match timeout_at(last_data + plan.wait, client.recv()).await {
            Err(_) => {
                // Quiet, but is the server still reading WAL (a backlog of changes to other tables)?
                match sent_lsn(plan.control, plan.slot).await {
                    Some(sent) if sent > last_sent => {
                        airbyte_sdk::tracing::info!(
                            "the server is still reading WAL (at {}): waiting on",
                            lsn_text(sent)
                        );
                        last_sent = sent;
                        last_data = Instant::now();
                        continue;
                    }
                    _ => {
                        summary.reason = "nothing arrived within initial_waiting_seconds";
                        break;
                    }
                }
            }
            Ok(Ok(Some(event))) => event,
            Ok(Ok(None)) => {
                summary.reason = "the server ended the stream";
                break;
            }
            Ok(Err(e)) => return Err(classify(e)),
        };
        match event {
            ReplicationEvent::Begin {
                final_lsn,
                commit_time_micros,
                ..
            } => {
                last_data = Instant::now();
                if final_lsn.0 >= plan.target {
                    summary.reason = "reached a transaction that commits after the target";
                    break;
                }
                open = Some(pg_time_rfc3339(commit_time_micros));
            }
            ReplicationEvent::XLogData {
                wal_start, data, ..
            } => {
                last_data = Instant::now();
                let message =
                    decode(&data).map_err(|e| Error::system(format!("at {wal_start}: {e}")))?;
                match message {
                    Message::Relation(relation) => changes.relation(relation),
                    Message::Insert { .. } | Message::Update { .. } | Message::Delete { .. } => {
                        let commit_time = open.as_deref().ok_or_else(|| {
                            Error::system(format!(
                                "a change at {wal_start} came outside a transaction"
                            ))
                        })?;
                        let n = changes.apply(&message, wal_start.0, commit_time, outs)?;
                        for _ in 0..n {
                            ck.count();
                        }
                        summary.records += n;
                    }
                    Message::Truncate { relations, .. } => {
                        airbyte_sdk::tracing::warn!(
                            "TRUNCATE of relation(s) {relations:?} at {wal_start}: not replicated (no row deletes are emitted)"
                        );
                    }
                    _ => {}
                }
            }
            ReplicationEvent::Commit { end_lsn, .. } => {
                last_data = Instant::now();
                open = None;
                summary.transactions += 1;
                ck.advance(end_lsn.0);
                if ck.due() {
                    ck.emit()?;
                    if plan.ack_while_reading {
                        client.update_applied_lsn(Lsn(ck.lsn()));
                    }
                }
                if end_lsn.0 >= plan.target {
                    summary.reason = "reached the target LSN";
                    break;
                }
            }
            ReplicationEvent::Message {
                transactional: false,
                lsn,
                prefix,
                ..
            } if prefix == MARKER_PREFIX && lsn.0 >= plan.target && open.is_none() => {
                ck.advance(lsn.0);
                summary.reason = "reached this sync's marker";
                break;
            }
            ReplicationEvent::KeepAlive { wal_end, .. }
                if open.is_none() && wal_end.0 >= plan.target =>
            {
                ck.advance(wal_end.0);
                summary.reason = "the server sent everything up to the target";
                break;
            }
            ReplicationEvent::StoppedAt { .. } => {
                summary.reason = "stopped";
                break;
            }
            _ => {}
        }
    }
    Ok(summary)
}
