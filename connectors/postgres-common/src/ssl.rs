//! TLS: the `ssl_mode` of Airbyte's Postgres connectors, on rustls.

use std::sync::Arc;

use airbyte_sdk::Error;

/// SSL connection modes.
#[airbyte_sdk::config]
#[airbyte(tag = "mode")]
#[derive(Debug, Clone)]
pub enum SslMode {
    /// Disables encryption of communication between Airbyte and the database.
    #[airbyte(rename = "disable")]
    Disable,
    /// Enables encryption only when required by the database.
    #[airbyte(rename = "allow")]
    Allow,
    /// Allows unencrypted connection only if the database does not support encryption.
    #[airbyte(rename = "prefer")]
    Prefer,
    /// Always require encryption. If the database server does not support encryption, connection will fail.
    #[airbyte(rename = "require")]
    Require,
    /// Always require encryption and verifies that the database server has a valid SSL certificate.
    #[airbyte(rename = "verify-ca", title = "verify-ca")]
    VerifyCa {
        /// CA certificate.
        #[airbyte(order = 1, title = "CA Certificate", secret, multiline)]
        ca_certificate: String,
        /// Client certificate.
        #[airbyte(order = 2, title = "Client Certificate", secret, multiline)]
        client_certificate: Option<String>,
        /// Client key.
        #[airbyte(order = 3, title = "Client Key", secret, multiline)]
        client_key: Option<String>,
        /// Password for the client key, if it is encrypted (not supported: use an unencrypted key).
        #[airbyte(order = 4, title = "Client key password", secret)]
        client_key_password: Option<String>,
    },
    /// This is the most secure mode. Always require encryption and verifies the identity of the database server.
    #[airbyte(rename = "verify-full", title = "verify-full")]
    VerifyFull {
        /// CA certificate.
        #[airbyte(order = 1, title = "CA Certificate", secret, multiline)]
        ca_certificate: String,
        /// Client certificate.
        #[airbyte(order = 2, title = "Client Certificate", secret, multiline)]
        client_certificate: Option<String>,
        /// Client key.
        #[airbyte(order = 3, title = "Client Key", secret, multiline)]
        client_key: Option<String>,
        /// Password for the client key, if it is encrypted (not supported: use an unencrypted key).
        #[airbyte(order = 4, title = "Client key password", secret)]
        client_key_password: Option<String>,
    },
}

pub(crate) fn tls_config(
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
