//! TLS for the client: rustls on the ring provider (the one the workspace
//! already builds), Mozilla's root certificates (as the CDK's `certifi`)
//! plus any the connector adds, HTTP/1.1.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};

use crate::error::Error;

/// The rustls config: no process-wide crypto provider is needed or installed.
pub(crate) fn client_config(extra_roots_pem: &[Vec<u8>]) -> Result<ClientConfig, Error> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for pem in extra_roots_pem {
        let mut found = false;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert
                .map_err(|e| Error::config(format!("a root certificate is not valid PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::config(format!("a root certificate cannot be used: {e}")))?;
            found = true;
        }
        if !found {
            return Err(Error::config(
                "a root certificate PEM holds no CERTIFICATE block",
            ));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::system("the TLS protocol versions were refused").with_source(e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
