//! Connecting: TLS per `ssl_mode`, extra parameters, and errors a user can act on.

use std::sync::Arc;
use std::time::Duration;

use airbyte_sdk::Error;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

use crate::config::{PostgresConfig, SslMode};

/// Opens a connection (the connection task runs in the background).
pub async fn connect(config: &PostgresConfig) -> Result<Client, Error> {
    let mut pg = tokio_postgres::Config::new();
    pg.host(&config.host)
        .port(config.port)
        .dbname(&config.database)
        .user(&config.username)
        .application_name("airbyte-rs source-postgres")
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
    let described = format!("{}:{}/{}", config.host, config.port, config.database);
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
            let (pg_mode, tls) = tls_config(&mode)?;
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
        .map_err(|e| Error::transient("could not configure the session").with_source(e))?;
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
pub fn classify(e: tokio_postgres::Error, config: &PostgresConfig, described: &str) -> Error {
    let message = match e.code() {
        Some(c)
            if *c == SqlState::INVALID_PASSWORD
                || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            format!(
                "Authentication failed for user \"{}\": check the username and password.",
                config.username
            )
        }
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => format!(
            "Database \"{}\" does not exist on {}:{}.",
            config.database, config.host, config.port
        ),
        Some(c) if *c == SqlState::INSUFFICIENT_PRIVILEGE => format!(
            "User \"{}\" may not connect to database \"{}\".",
            config.username, config.database
        ),
        Some(c) if *c == SqlState::TOO_MANY_CONNECTIONS => {
            return Error::transient(format!(
                "{described} has too many connections; try again later"
            ))
            .with_source(e);
        }
        Some(_) => format!(
            "Could not connect to {described}: {}",
            e.as_db_error()
                .map(|d| d.message().to_owned())
                .unwrap_or_else(|| e.to_string())
        ),
        None => {
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
            format!(
                "Could not reach {}:{} ({detail}). Check the host, the port and that the server accepts connections from here.",
                config.host, config.port
            )
        }
    };
    Error::config(message).with_source(e)
}

fn tls_config(
    mode: &SslMode,
) -> Result<(tokio_postgres::config::SslMode, rustls::ClientConfig), Error> {
    use tokio_postgres::config::SslMode as Pg;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::system("TLS setup failed").with_source(e))?;
    let (pg_mode, builder) = match mode {
        SslMode::Disable => unreachable_mode(),
        // `allow` and `prefer` both try TLS first and accept any certificate, as libpq does.
        SslMode::Allow | SslMode::Prefer => (
            Pg::Prefer,
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verify::AcceptAny(provider))),
        ),
        SslMode::Require => (
            Pg::Require,
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verify::AcceptAny(provider))),
        ),
        SslMode::VerifyCa { ca_certificate, .. } => {
            let roots = roots(ca_certificate)?;
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| Error::config("the CA certificate cannot be used").with_source(e))?;
            (
                Pg::Require,
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(verify::CaOnly(inner))),
            )
        }
        SslMode::VerifyFull { ca_certificate, .. } => (
            Pg::Require,
            builder.with_root_certificates(roots(ca_certificate)?),
        ),
    };
    let client_auth = match mode {
        SslMode::VerifyCa {
            client_certificate: Some(c),
            client_key: Some(k),
            ..
        }
        | SslMode::VerifyFull {
            client_certificate: Some(c),
            client_key: Some(k),
            ..
        } => Some((c.clone(), k.clone())),
        _ => None,
    };
    let config = match client_auth {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let certs = rustls_pemfile::certs(&mut cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    Error::config("the client certificate is not valid PEM").with_source(e)
                })?;
            let key = rustls_pemfile::private_key(&mut key.as_bytes())
                .map_err(|e| Error::config("the client key is not valid PEM").with_source(e))?
                .ok_or_else(|| Error::config("the client key holds no unencrypted private key"))?;
            builder.with_client_auth_cert(certs, key).map_err(|e| {
                Error::config("the client certificate and key do not match").with_source(e)
            })?
        }
    };
    Ok((pg_mode, config))
}

fn unreachable_mode() -> ! {
    unreachable!("disable does not use TLS")
}

fn roots(pem: &str) -> Result<rustls::RootCertStore, Error> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_bytes()) {
        let cert =
            cert.map_err(|e| Error::config("the CA certificate is not valid PEM").with_source(e))?;
        roots
            .add(cert)
            .map_err(|e| Error::config("the CA certificate cannot be used").with_source(e))?;
    }
    if roots.is_empty() {
        return Err(Error::config("the CA certificate holds no certificate"));
    }
    Ok(roots)
}

mod verify {
    //! Certificate verifiers for `require` (encrypt, trust any) and `verify-ca` (chain only).
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, Error, SignatureScheme};

    #[derive(Debug)]
    pub(super) struct AcceptAny(pub(super) Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAny {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            rustls::crypto::verify_tls12_signature(
                m,
                c,
                d,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            rustls::crypto::verify_tls13_signature(
                m,
                c,
                d,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    /// Verifies the chain against the CA, but not the host name.
    #[derive(Debug)]
    pub(super) struct CaOnly(pub(super) Arc<rustls::client::WebPkiServerVerifier>);

    impl ServerCertVerifier for CaOnly {
        fn verify_server_cert(
            &self,
            end: &CertificateDer<'_>,
            inter: &[CertificateDer<'_>],
            name: &ServerName<'_>,
            ocsp: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            match self.0.verify_server_cert(end, inter, name, ocsp, now) {
                Err(Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
                | Err(Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls12_signature(m, c, d)
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.0.verify_tls13_signature(m, c, d)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }
}

/// Quotes an identifier: `"` doubled inside, wrapped in `"`.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal (standard_conforming_strings is on): `'` doubled, wrapped in `'`.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
