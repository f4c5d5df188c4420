//! Failure types from SQLSTATE: one table, used by the source and the
//! destination, that turns a `tokio_postgres` error into an [`Error`] with
//! the Airbyte failure type and a short explanation the user can act on.
//!
//! A server error is looked up by its five-character SQLSTATE
//! ([PostgreSQL's appendix A](https://www.postgresql.org/docs/current/errcodes-appendix.html)),
//! first as an exact code in [`SQLSTATE_RULES`], then by its class (the first
//! two characters), then [`UNKNOWN_SQLSTATE`] (a system error). The choice:
//!
//! - **config_error**: the user must change something (credentials, grants,
//!   the schemas, the catalog after a table was dropped, the server's
//!   settings); a retry gives the same error.
//! - **transient_error**: the server or the network is passing through a
//!   state (restart, too many connections, out of disk or memory, deadlock,
//!   serialization failure, lock timeout, statement timeout); a retry may
//!   succeed.
//! - **system_error**: the connector did something wrong (bad SQL, a value it
//!   should have checked, a constraint it did not expect) or the server
//!   failed internally.
//!
//! An error without SQLSTATE (the connection closed, an I/O error) is looked
//! up in [`NO_SQLSTATE_RULES`] by what `tokio_postgres` says it is; network
//! failures are transient, anything else (an unexpected or undecodable
//! message: the protocol went wrong) is [`UNKNOWN_ERROR`], a system error.
//!
//! ```
//! use airbyte_postgres_common::sqlstate::rule_for_sqlstate;
//! use airbyte_sdk::protocol::FailureType;
//!
//! assert_eq!(rule_for_sqlstate("42501").failure, FailureType::ConfigError);
//! assert_eq!(rule_for_sqlstate("40P01").failure, FailureType::TransientError);
//! // An unlisted code of a listed class: the class's row.
//! assert_eq!(rule_for_sqlstate("08000").key, "08");
//! ```

use std::fmt::Display;

use airbyte_sdk::Error;
use airbyte_sdk::protocol::FailureType;

use FailureType::{ConfigError as Config, SystemError as System, TransientError as Transient};

/// One row of the table: a SQLSTATE (or class, or `tokio_postgres` error
/// kind), its failure type, and what it means for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// A five-character SQLSTATE, a two-character class, or (in
    /// [`NO_SQLSTATE_RULES`]) the text of a `tokio_postgres` error kind.
    pub key: &'static str,
    /// PostgreSQL's condition name (or the class's).
    pub name: &'static str,
    /// The failure type reported.
    pub failure: FailureType,
    /// A short explanation, appended to the server's message.
    pub explanation: &'static str,
}

const fn rule(
    key: &'static str,
    name: &'static str,
    failure: FailureType,
    explanation: &'static str,
) -> Rule {
    Rule {
        key,
        name,
        failure,
        explanation,
    }
}

/// Failure types by SQLSTATE: exact codes, and two-character class fallbacks.
#[rustfmt::skip]
pub const SQLSTATE_RULES: &[Rule] = &[
    // Class 08: connection exception.
    rule("08", "connection_exception", Transient, "the connection to the server failed; a retry may succeed"),
    rule("08P01", "protocol_violation", System, "the server and the connector disagree on the wire protocol (a bug, or a proxy between them)"),
    // Class 0A: feature not supported.
    rule("0A000", "feature_not_supported", Config, "the server does not support this here (its version or settings, or an object such as a view that depends on the column)"),
    // Class 22: data exception.
    rule("22", "data_exception", System, "a value was invalid for the server (a bug: the connector should have checked it)"),
    // Class 23: integrity constraint violation.
    rule("23", "integrity_constraint_violation", System, "a row broke a constraint (a bug, or a constraint added to the table that the connector does not expect)"),
    // Class 25: invalid transaction state.
    rule("25", "invalid_transaction_state", System, "the connector used a transaction wrongly (a bug)"),
    rule("25006", "read_only_sql_transaction", Config, "the server is read-only (a standby, or default_transaction_read_only): connect to the primary"),
    // Class 26: invalid SQL statement name.
    rule("26000", "invalid_sql_statement_name", Config, "a prepared statement vanished: a pooler in transaction mode (such as PgBouncer) is in between; connect to the server directly or use session pooling"),
    // Class 28: invalid authorization specification.
    rule("28", "invalid_authorization_specification", Config, "the server refused the user: check the username, the password and the server's pg_hba.conf"),
    rule("28000", "invalid_authorization_specification", Config, "the server refused the user: check the username, the password and the server's pg_hba.conf"),
    rule("28P01", "invalid_password", Config, "the password is wrong for this user"),
    // Class 2B: dependent privilege descriptors still exist.
    rule("2BP01", "dependent_objects_still_exist", Config, "other objects (such as views) depend on this one: drop them first, or allow cascading drops"),
    // Class 3D: invalid catalog name.
    rule("3D000", "invalid_catalog_name", Config, "the database does not exist: check the database name"),
    // Class 3F: invalid schema name.
    rule("3F000", "invalid_schema_name", Config, "the schema does not exist: check the configured schemas"),
    // Class 40: transaction rollback.
    rule("40", "transaction_rollback", Transient, "the server rolled the transaction back; a retry may succeed"),
    rule("40001", "serialization_failure", Transient, "a concurrent transaction conflicted with this one; a retry may succeed"),
    rule("40P01", "deadlock_detected", Transient, "a deadlock with another session; a retry may succeed"),
    // Class 42: syntax error or access rule violation.
    rule("42", "syntax_error_or_access_rule_violation", System, "the server rejected a statement the connector built (a bug)"),
    rule("42501", "insufficient_privilege", Config, "the user lacks a privilege: GRANT it (USAGE on the schema and SELECT on the table to read; CREATE on the schema, or the database, to write)"),
    rule("42P01", "undefined_table", Config, "the table does not exist (dropped or renamed since the schema was discovered): refresh the source schema"),
    rule("42703", "undefined_column", Config, "a column does not exist (dropped or renamed since the schema was discovered): refresh the source schema"),
    rule("42704", "undefined_object", Config, "an object the sync needs does not exist (a type, a publication, a replication slot or a role)"),
    rule("42809", "wrong_object_type", Config, "an object has the expected name but is of another kind (such as a view where a table is expected)"),
    rule("42883", "undefined_function", Config, "the server lacks a function the connector needs (an older PostgreSQL, or a missing extension)"),
    // Class 53: insufficient resources.
    rule("53", "insufficient_resources", Transient, "the server is short of resources; a retry may succeed"),
    rule("53100", "disk_full", Transient, "the server's disk is full; free space, then retry"),
    rule("53200", "out_of_memory", Transient, "the server ran out of memory; a retry may succeed"),
    rule("53300", "too_many_connections", Transient, "the server has too many connections; a retry may succeed"),
    // Class 54: program limit exceeded.
    rule("54", "program_limit_exceeded", System, "a PostgreSQL limit was exceeded (such as 1,600 columns in a table, or 1 GB in a value)"),
    // Class 55: object not in prerequisite state.
    rule("55", "object_not_in_prerequisite_state", System, "an object was not in the state the connector expected"),
    rule("55000", "object_not_in_prerequisite_state", Config, "an object is not ready for this (such as wal_level not logical, a replication slot that lost the WAL it needs, or a materialized view not yet populated)"),
    rule("55006", "object_in_use", Transient, "the object is in use by another session (such as a replication slot); a retry may succeed"),
    rule("55P03", "lock_not_available", Transient, "another session holds a lock on the object; a retry may succeed"),
    // Class 57: operator intervention.
    rule("57", "operator_intervention", Transient, "an operator or the server stopped the statement; a retry may succeed"),
    rule("57014", "query_canceled", Transient, "the statement was canceled (statement_timeout, or a cancel request); a retry may succeed, or raise statement_timeout"),
    rule("57P01", "admin_shutdown", Transient, "the server is shutting down; a retry may succeed"),
    rule("57P02", "crash_shutdown", Transient, "the server is restarting after a crash; a retry may succeed"),
    rule("57P03", "cannot_connect_now", Transient, "the server is starting up or recovering; a retry may succeed"),
    rule("57P04", "database_dropped", Config, "the database was dropped"),
    // Class 58: system error (errors external to PostgreSQL).
    rule("58", "system_error", System, "the server failed on a file or the operating system"),
    rule("58030", "io_error", Transient, "the server failed to read or write its disk; a retry may succeed"),
    // Class 72: snapshot failure.
    rule("72000", "snapshot_too_old", Transient, "the snapshot became too old (old_snapshot_threshold); a retry may succeed"),
    // Class P0: PL/pgSQL error.
    rule("P0", "plpgsql_error", Config, "a trigger or function in the database raised an error: check the database's triggers and functions"),
    // Class XX: internal error.
    rule("XX", "internal_error", System, "the server failed internally"),
    rule("XX000", "internal_error", System, "the server failed internally"),
];

/// A SQLSTATE that is neither listed nor of a listed class.
pub const UNKNOWN_SQLSTATE: Rule = rule("", "unknown", System, "an unexpected server error");

/// Failure types of errors without SQLSTATE, by `tokio_postgres`'s text for
/// their kind.
#[rustfmt::skip]
pub const NO_SQLSTATE_RULES: &[Rule] = &[
    rule("connection closed", "closed", Transient, "the connection to the server closed (a server restart, or the network); a retry may succeed"),
    rule("error communicating with the server", "io", Transient, "the network connection to the server failed; a retry may succeed"),
    rule("error connecting to server", "connect", Transient, "the connection to the server failed; a retry may succeed"),
    rule("timeout waiting for server", "timeout", Transient, "the server did not answer in time; a retry may succeed"),
];

/// Any other error without SQLSTATE: the protocol went wrong.
pub const UNKNOWN_ERROR: Rule = rule(
    "",
    "unknown",
    System,
    "the connector and the server disagree (a bug)",
);

/// The rule of a SQLSTATE: its exact row, else its class's row, else [`UNKNOWN_SQLSTATE`].
pub fn rule_for_sqlstate(code: &str) -> &'static Rule {
    let find = |key: &str| SQLSTATE_RULES.iter().find(|r| r.key == key);
    if code.len() != 5 || !code.is_ascii() {
        return &UNKNOWN_SQLSTATE;
    }
    find(code)
        .or_else(|| find(&code[..2]))
        .unwrap_or(&UNKNOWN_SQLSTATE)
}

/// The rule of an error: by its SQLSTATE, or by its kind when it has none.
///
/// `tokio_postgres` reports a message it cannot decode as an I/O error too
/// (of kind `InvalidData` or `InvalidInput`); that one is no network failure
/// but a protocol error: [`UNKNOWN_ERROR`].
pub fn rule_for(e: &tokio_postgres::Error) -> &'static Rule {
    if let Some(code) = e.code() {
        return rule_for_sqlstate(code.code());
    }
    let garbled = std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| {
            matches!(
                io.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
            )
        });
    let kind = e.to_string();
    NO_SQLSTATE_RULES
        .iter()
        .find(|r| !garbled && r.key == kind)
        .unwrap_or(&UNKNOWN_ERROR)
}

/// An error of `failure` type with `message`.
pub fn error_of(failure: FailureType, message: impl Into<String>) -> Error {
    match failure {
        Config => Error::config(message),
        Transient => Error::transient(message),
        System => Error::system(message),
    }
}

/// What the server (or the client library) said: the message, the SQLSTATE,
/// the server's detail and hint, e.g. `permission denied for table t (SQLSTATE 42501)`.
pub fn server_says(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {}", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; detail: {detail}"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            text.push(')');
            text
        }
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// A failed statement, as "`what`: the server's message (SQLSTATE, detail,
/// hint) — the rule's explanation", with the rule's failure type.
///
/// The message holds what the server said and `what`, never the connection's
/// config: no password can reach it.
pub fn query_error(what: impl Display, e: tokio_postgres::Error) -> Error {
    let rule = rule_for(&e);
    error_of(
        rule.failure,
        format!("{what}: {} — {}", server_says(&e), rule.explanation),
    )
    .with_source(e)
}

/// [`query_error`] as a closure for `map_err` (`Copy`, to use it more than once).
pub fn query_error_fn<W: Display + Copy>(
    what: W,
) -> impl Fn(tokio_postgres::Error) -> Error + Copy {
    move |e| query_error(what, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_found_by_its_key() {
        for row in SQLSTATE_RULES {
            match row.key.len() {
                5 => assert_eq!(rule_for_sqlstate(row.key), row, "{}", row.key),
                2 => {
                    // A code of the class that no exact row lists falls back to the class.
                    let unlisted = format!("{}ZZZ", row.key);
                    assert_eq!(rule_for_sqlstate(&unlisted), row, "{unlisted}");
                }
                _ => panic!("key {:?} is neither a SQLSTATE nor a class", row.key),
            }
            assert!(
                !row.explanation.is_empty() && !row.name.is_empty(),
                "{row:?}"
            );
        }
    }

    #[test]
    fn keys_are_unique_and_exact_codes_are_postgresqls() {
        for (i, row) in SQLSTATE_RULES.iter().enumerate() {
            assert!(
                SQLSTATE_RULES[i + 1..].iter().all(|r| r.key != row.key),
                "duplicate key {}",
                row.key
            );
        }
        // Every exact code is one PostgreSQL defines (tokio_postgres's list of appendix A).
        for row in SQLSTATE_RULES.iter().filter(|r| r.key.len() == 5) {
            let known = tokio_postgres::error::SqlState::from_code(row.key);
            assert!(
                !format!("{known:?}").contains("Other("),
                "{} is not a PostgreSQL SQLSTATE",
                row.key
            );
        }
    }

    #[test]
    fn failure_types_of_the_codes_that_matter() {
        let expected = [
            // Authorization and missing objects: the user must fix it.
            ("28P01", Config),
            ("28000", Config),
            ("28001", Config),
            ("42501", Config),
            ("42P01", Config),
            ("42703", Config),
            ("3D000", Config),
            ("3F000", Config),
            ("42704", Config),
            ("0A000", Config),
            ("25006", Config),
            ("55000", Config),
            ("57P04", Config),
            // Passing conditions.
            ("08000", Transient),
            ("08001", Transient),
            ("08003", Transient),
            ("08006", Transient),
            ("57P01", Transient),
            ("57P02", Transient),
            ("57P03", Transient),
            ("53000", Transient),
            ("53100", Transient),
            ("53200", Transient),
            ("53300", Transient),
            ("53400", Transient),
            ("40001", Transient),
            ("40P01", Transient),
            ("40003", Transient),
            ("55P03", Transient),
            ("55006", Transient),
            ("57014", Transient),
            // Bugs, or data the connector failed to check.
            ("22001", System),
            ("22003", System),
            ("22P02", System),
            ("22021", System),
            ("23505", System),
            ("23502", System),
            ("42601", System),
            ("42P07", System),
            ("XX000", System),
            ("XX001", System),
            ("08P01", System),
            ("25P02", System),
        ];
        for (code, failure) in expected {
            assert_eq!(rule_for_sqlstate(code).failure, failure, "{code}");
        }
    }

    #[test]
    fn unknown_codes_and_classes_are_system_errors() {
        for code in [
            "HV00N", "0B000", "2F005", "F0000", "00000", "01000", "ZZZZZ",
        ] {
            assert_eq!(rule_for_sqlstate(code), &UNKNOWN_SQLSTATE, "{code}");
        }
        // Not a SQLSTATE at all.
        for code in ["", "42", "4250", "425011", "42é01"] {
            assert_eq!(rule_for_sqlstate(code), &UNKNOWN_SQLSTATE, "{code:?}");
        }
        assert_eq!(UNKNOWN_SQLSTATE.failure, System);
        assert_eq!(UNKNOWN_ERROR.failure, System);
    }

    #[test]
    fn error_of_keeps_the_failure_type() {
        for failure in [Config, Transient, System] {
            assert_eq!(error_of(failure, "m").failure_type(), failure);
        }
    }
}
