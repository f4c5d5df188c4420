//! Real `tokio_postgres` errors (from a scripted server on a local socket:
//! no PostgreSQL needed) through the SQLSTATE table: server errors by code,
//! a closed connection, a protocol error, and connect-time wordings.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;

use airbyte_postgres_common::sqlstate::{self, rule_for, rule_for_sqlstate};
use airbyte_postgres_common::{ConnectOptions, connect};
use airbyte_sdk::protocol::FailureType;

/// What the scripted server does after reading the startup message.
#[derive(Clone, Copy)]
enum Script {
    /// Answers the startup with this error (code, message, detail).
    RefuseStartup(&'static str, &'static str, Option<&'static str>),
    /// Accepts the connection, then answers the first query with this error.
    FailQuery(&'static str, &'static str, Option<&'static str>),
    /// Accepts the connection, then closes it at the first query.
    CloseAtQuery,
    /// Answers the startup with a message of an unknown type.
    Garbage,
    /// Answers the startup with a message that is valid but out of place.
    Unexpected,
}

fn read_exact(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf).expect("read from the client");
    buf
}

fn read_len(stream: &mut TcpStream) -> usize {
    let len = read_exact(stream, 4);
    u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize
}

fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn error_response(code: &str, text: &str, detail: Option<&str>) -> Vec<u8> {
    let mut body = Vec::new();
    let mut field = |tag: u8, value: &str| {
        body.push(tag);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    };
    field(b'S', "ERROR");
    field(b'V', "ERROR");
    field(b'C', code);
    field(b'M', text);
    if let Some(d) = detail {
        field(b'D', d);
    }
    body.push(0);
    message(b'E', &body)
}

fn ready() -> Vec<u8> {
    let mut out = message(b'R', &0u32.to_be_bytes());
    out.extend(message(b'Z', b"I"));
    out
}

/// A one-connection server on 127.0.0.1 that plays `script`; returns its port.
fn serve(script: Script) -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let len = read_len(&mut stream);
        read_exact(&mut stream, len - 4);
        let reply = match script {
            Script::RefuseStartup(code, text, detail) => error_response(code, text, detail),
            Script::Garbage => message(b'y', b""),
            Script::Unexpected => message(b'Z', b"I"),
            Script::FailQuery(..) | Script::CloseAtQuery => ready(),
        };
        stream.write_all(&reply).expect("write");
        match script {
            Script::FailQuery(code, text, detail) => {
                read_exact(&mut stream, 1);
                let len = read_len(&mut stream);
                read_exact(&mut stream, len - 4);
                let mut reply = error_response(code, text, detail);
                reply.extend(message(b'Z', b"I"));
                stream.write_all(&reply).expect("write");
                // Wait for the client to hang up.
                let _ = stream.read(&mut [0; 64]);
            }
            Script::CloseAtQuery => {
                read_exact(&mut stream, 1);
                drop(stream);
            }
            _ => {}
        }
    });
    (port, handle)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The error `tokio_postgres` gives for `script` (at connect, or at the first query).
fn tokio_error(script: Script) -> tokio_postgres::Error {
    let (port, server) = serve(script);
    let error = runtime().block_on(async move {
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(port)
            .user("u")
            .dbname("d")
            .ssl_mode(tokio_postgres::config::SslMode::Disable);
        let (client, connection) = match config.connect(tokio_postgres::NoTls).await {
            Ok(pair) => pair,
            Err(e) => return e,
        };
        tokio::spawn(connection);
        client
            .batch_execute("SELECT 1")
            .await
            .expect_err("the scripted server fails the query")
    });
    server.join().expect("server thread");
    error
}

fn options(port: u16) -> ConnectOptions {
    ConnectOptions {
        host: "127.0.0.1".into(),
        port,
        database: "appdb".into(),
        username: "app".into(),
        password: Some("s3cret-pw".into()),
        jdbc_url_params: None,
        ssl_mode: None,
        application_name: "wire-test",
    }
}

/// What [`connect`] returns against `script`.
fn connect_error(script: Script) -> airbyte_sdk::Error {
    let (port, server) = serve(script);
    let result = runtime().block_on(connect(&options(port)));
    server.join().expect("server thread");
    match result {
        Ok(_) => panic!("connect succeeded against a failing server"),
        Err(e) => e,
    }
}

#[test]
fn server_errors_are_looked_up_by_their_sqlstate() {
    for (code, failure) in [
        ("42501", FailureType::ConfigError),
        ("42P01", FailureType::ConfigError),
        ("40P01", FailureType::TransientError),
        ("57014", FailureType::TransientError),
        ("08006", FailureType::TransientError),
        ("22P02", FailureType::SystemError),
        ("XX000", FailureType::SystemError),
        ("HV00N", FailureType::SystemError),
    ] {
        let e = tokio_error(Script::FailQuery(code, "it failed", None));
        assert_eq!(e.code().map(|c| c.code()), Some(code));
        assert_eq!(rule_for(&e), rule_for_sqlstate(code), "{code}");
        let error = sqlstate::query_error("reading public.t failed", e);
        assert_eq!(error.failure_type(), failure, "{code}: {error}");
    }
}

#[test]
fn a_query_error_keeps_the_server_message_detail_and_sqlstate() {
    let e = tokio_error(Script::FailQuery(
        "23505",
        "duplicate key value violates unique constraint \"t_pkey\"",
        Some("Key (id)=(1) already exists."),
    ));
    let error = sqlstate::query_error(format_args!("cannot load {}", "\"public\".\"t\""), e);
    assert_eq!(error.failure_type(), FailureType::SystemError);
    assert_eq!(
        error.to_string(),
        format!(
            "cannot load \"public\".\"t\": duplicate key value violates unique constraint \"t_pkey\" (SQLSTATE 23505; detail: Key (id)=(1) already exists.) — {}",
            rule_for_sqlstate("23505").explanation
        )
    );
    // The cause stays attached for the TRACE's internal_message.
    assert!(
        error
            .internal_message()
            .is_some_and(|m| m.contains("duplicate key")),
        "{:?}",
        error.internal_message()
    );
}

#[test]
fn a_closed_connection_is_transient() {
    let e = tokio_error(Script::CloseAtQuery);
    assert!(e.code().is_none());
    assert_eq!(e.to_string(), "connection closed");
    let rule = rule_for(&e);
    assert_eq!(rule.failure, FailureType::TransientError, "{e}");
    assert!(
        sqlstate::NO_SQLSTATE_RULES.contains(rule),
        "{e} fell through to {rule:?}"
    );
    let error = sqlstate::query_error("reading public.t failed", e);
    assert_eq!(error.failure_type(), FailureType::TransientError);
    assert!(
        error.to_string().starts_with("reading public.t failed: "),
        "{error}"
    );
}

#[test]
fn an_unreadable_answer_without_sqlstate_is_a_system_error() {
    // An unknown message type: tokio_postgres's parse error (which wraps an
    // io::Error, yet is no network failure).
    for (script, kind) in [
        // tokio_postgres calls an undecodable message an I/O error.
        (Script::Garbage, "error communicating with the server"),
        (Script::Unexpected, "unexpected message from server"),
    ] {
        let e = tokio_error(script);
        assert!(e.code().is_none());
        assert_eq!(e.to_string(), kind);
        assert_eq!(rule_for(&e), &sqlstate::UNKNOWN_ERROR, "{e}");
        assert_eq!(
            sqlstate::query_error("x", e).failure_type(),
            FailureType::SystemError
        );
    }
}

#[test]
fn connect_keeps_its_wordings_and_types() {
    let e = connect_error(Script::RefuseStartup(
        "28P01",
        "password authentication failed for user \"app\"",
        None,
    ));
    assert_eq!(e.failure_type(), FailureType::ConfigError);
    assert_eq!(
        e.to_string(),
        "Authentication failed for user \"app\": check the username and password."
    );
    let e = connect_error(Script::RefuseStartup(
        "3D000",
        "database \"appdb\" does not exist",
        None,
    ));
    assert_eq!(e.failure_type(), FailureType::ConfigError);
    assert!(
        e.to_string()
            .starts_with("Database \"appdb\" does not exist on 127.0.0.1:"),
        "{e}"
    );
    let e = connect_error(Script::RefuseStartup(
        "53300",
        "sorry, too many clients already",
        None,
    ));
    assert_eq!(e.failure_type(), FailureType::TransientError);
    assert!(e.to_string().contains("too many connections"), "{e}");
    // pg_hba.conf: the server's reason is kept.
    let e = connect_error(Script::RefuseStartup(
        "28000",
        "no pg_hba.conf entry for host \"10.0.0.1\", user \"app\", database \"appdb\"",
        None,
    ));
    assert_eq!(e.failure_type(), FailureType::ConfigError);
    assert!(e.to_string().contains("no pg_hba.conf entry"), "{e}");
}

#[test]
fn connect_time_errors_are_transient_only_when_the_table_says_so() {
    // Starting up, restarting: retry.
    for code in ["57P03", "57P01", "53200"] {
        let e = connect_error(Script::RefuseStartup(code, "not now", None));
        assert_eq!(e.failure_type(), FailureType::TransientError, "{code}: {e}");
    }
    // Anything else at connect comes from the config (here an invalid option of
    // jdbc_url_params, 22023), not a bug.
    let e = connect_error(Script::RefuseStartup(
        "22023",
        "invalid value for parameter \"statement_timeout\": \"soon\"",
        None,
    ));
    assert_eq!(e.failure_type(), FailureType::ConfigError);
    assert!(
        e.to_string().starts_with("Could not connect to 127.0.0.1:")
            && e.to_string().contains("statement_timeout")
            && e.to_string().contains("SQLSTATE 22023"),
        "{e}"
    );
}

#[test]
fn session_setup_errors_go_through_the_table_and_never_show_the_password() {
    // The server accepts the login, then fails the session's SET statements.
    let (port, server) = serve(Script::FailQuery(
        "57P01",
        "terminating connection due to administrator command",
        None,
    ));
    let result = runtime().block_on(connect(&options(port)));
    server.join().expect("server thread");
    let Err(e) = result else {
        panic!("the session setup succeeded against a failing server")
    };
    assert_eq!(e.failure_type(), FailureType::TransientError);
    assert!(
        e.to_string()
            .starts_with("could not configure the session: terminating connection"),
        "{e}"
    );
    for script in [
        Script::RefuseStartup("28P01", "password authentication failed", None),
        Script::RefuseStartup("XX000", "boom", None),
        Script::Garbage,
    ] {
        let e = connect_error(script);
        let all = format!("{e} {:?}", e.internal_message());
        assert!(!all.contains("s3cret-pw"), "{all}");
    }
}
