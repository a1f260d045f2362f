//! `voicelamp-tls` decides whom Voicelamp's TLS connections trust, the same way for SIP
//! (`voicelamp-net`) and IMAP (`voicelamp-mailbox`): the platform's roots plus an account's own CA
//! file, with certificate verification on unless that one account explicitly opts out — which is
//! logged as a loud warning every time a configuration is built.
//!
//! It must never turn verification off on its own, never trust a CA file that yields no
//! certificate, and never open a connection (the callers own their sockets).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::{
    self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// What one account trusts.
#[derive(Debug, Clone, Copy)]
pub struct Trust<'a> {
    /// Extra CA certificates (PEM), trusted beside the platform's roots.
    pub ca_file: Option<&'a Path>,
    /// The account's explicit opt-out of certificate verification.
    pub insecure_skip_verify: bool,
    /// Names the account and protocol in the opt-out warning, e.g. "SIP account office".
    pub what: &'a str,
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA file cannot be read or holds no usable certificate.
    #[error("tls.ca_file {}: {why}", path.display())]
    CaFile { path: PathBuf, why: String },
    /// The host cannot be checked against a certificate.
    #[error("{host:?} is not a valid server name: {why}")]
    ServerName { host: String, why: String },
    /// rustls refused the settings.
    #[error("TLS: {0}")]
    Setup(String),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(crypto::ring::default_provider())
}

/// The platform's trusted roots, loaded once per process.
fn platform_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        for error in &loaded.errors {
            tracing::debug!(%error, "a platform root certificate could not be loaded");
        }
        if loaded.certs.is_empty() {
            tracing::warn!(
                "no platform root certificates found; only configured CA files are trusted"
            );
        }
        loaded.certs
    })
}

/// The client configuration for one account's `trust`.
pub fn client_config(trust: Trust<'_>) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    let config = if trust.insecure_skip_verify {
        tracing::warn!(
            "TLS CERTIFICATE VERIFICATION IS OFF for {} (insecure_skip_verify): anyone on the \
             network path can read and change its traffic, password included",
            trust.what
        );
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider())))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(roots(trust.ca_file)?)
            .with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// The name a server certificate must carry: a DNS name or an IP address.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned()).map_err(|e| TlsError::ServerName {
        host: host.to_owned(),
        why: e.to_string(),
    })
}

fn roots(ca_file: Option<&Path>) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let (_added, _ignored) = roots.add_parsable_certificates(platform_roots().iter().cloned());
    if let Some(path) = ca_file {
        let ca_error = |why: String| TlsError::CaFile {
            path: path.to_owned(),
            why,
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| ca_error(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| ca_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no PEM certificate in the file".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
        }
    }
    Ok(roots)
}

/// The opt-out verifier: accepts any certificate but still checks the handshake signatures.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_refused_with_its_path() {
        let missing = client_config(Trust {
            ca_file: Some(Path::new("does/not/exist.pem")),
            insecure_skip_verify: false,
            what: "test",
        })
        .expect_err("missing file");
        assert!(
            missing
                .to_string()
                .contains("tls.ca_file does/not/exist.pem"),
            "{missing}"
        );

        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let err = client_config(Trust {
            ca_file: Some(&empty),
            insecure_skip_verify: false,
            what: "test",
        })
        .expect_err("no certificate");
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }

    #[test]
    fn server_names_accept_hosts_and_addresses_only() {
        assert!(server_name("pbx.example.com").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("::1").is_ok());
        assert!(server_name("not a host").is_err());
    }
}
