//! `voicelamp-tls` decides whom Voicelamp's TLS connections trust, the same way for SIP
//! (`voicelamp-net`) and IMAP (`voicelamp-mailbox`): the platform's roots plus an account's own CA
//! file, with certificate verification on unless that one account explicitly opts out — which is
//! logged as a loud warning every time a configuration is built.
//!
//! A server certificate that is itself listed in the account's CA file is trusted as the
//! server's own even when it is a CA certificate (the self-signed `CA:TRUE` certificate many PBXs
//! ship, which rustls alone refuses as `CaUsedAsEndEntity`): only byte for byte, only while it is
//! valid and names the host, and logged each time. It also words handshake failures for people
//! ([`explain`], [`explain_io`]).
//!
//! It must never turn verification off on its own, never trust a CA file that yields no
//! certificate, and never open a connection (the callers own their sockets).

mod common_name;
mod words;

pub use words::{explain, explain_io, is_untrusted};

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::{
    self, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
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

/// The cryptography of every TLS connection: *ring*, on every platform. It is the most used
/// rustls provider, its primitives are BoringSSL's constant-time assembly and C, and it offers the
/// suites a PBX or mail server speaks (TLS 1.3 and 1.2 with ECDHE, AES-GCM and ChaCha20-Poly1305;
/// RSA and ECDSA certificates). Its C needs the target's C compiler to build, which every
/// platform's own toolchain has (MSVC, Xcode, gcc). The pure-Rust providers were weighed and not
/// taken: `rustls-rustcrypto` is an alpha, and Graviola says it is very new and needs AVX2, ADX
/// and BMI2 on x86_64, which older laptops lack.
#[cfg(not(voicelamp_check_without_c))]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(crypto::ring::default_provider())
}

/// Only for type-checking the Windows (MSVC) and macOS targets on a machine without their C
/// compilers (`scripts/check-targets` sets `--cfg voicelamp_check_without_c`): *ring* is left out of
/// the graph there, and so is every provider. Such a build is never run; a program built this
/// way would refuse every TLS connection (no provider installed) rather than use a weaker one.
#[cfg(voicelamp_check_without_c)]
fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .expect("a type-checking build has no TLS provider")
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
            .dangerous()
            .with_custom_certificate_verifier(verifier(trust.ca_file, trust.what)?)
            .with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// The verifier of an account that verifies: WebPKI over the platform's roots and `ca_file`'s
/// certificates, with [`ListedServerCert`]'s exception when there is a CA file.
fn verifier(ca_file: Option<&Path>, what: &str) -> Result<Arc<dyn ServerCertVerifier>, TlsError> {
    let mut roots = platform_store();
    let mut listed = Vec::new();
    if let Some(path) = ca_file {
        listed = ca_certificates(path)?;
        for cert in &listed {
            roots.add(cert.clone()).map_err(|_| TlsError::CaFile {
                path: path.to_owned(),
                why: "holds a certificate that is malformed and cannot be trusted; export it \
                      again as PEM"
                    .into(),
            })?;
        }
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    if listed.is_empty() {
        return Ok(webpki);
    }
    Ok(Arc::new(ListedServerCert {
        webpki,
        listed,
        what: what.to_owned(),
    }))
}

/// The name a server certificate must carry: a DNS name or an IP address.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned()).map_err(|e| TlsError::ServerName {
        host: host.to_owned(),
        why: e.to_string(),
    })
}

fn platform_store() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let (_added, _ignored) = roots.add_parsable_certificates(platform_roots().iter().cloned());
    roots
}

/// Every certificate of the CA file at `path`; at least one.
fn ca_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let ca_error = |why: String| TlsError::CaFile {
        path: path.to_owned(),
        why,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| ca_error(pem_words(e)))?
        .collect::<Result<_, _>>()
        .map_err(|e| ca_error(pem_words(e)))?;
    if certs.is_empty() {
        return Err(ca_error("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// Why a PEM file cannot be used, in words (pki-types' own text shows bytes as Debug).
fn pem_words(e: rustls_pki_types::pem::Error) -> String {
    match e {
        rustls_pki_types::pem::Error::Io(e) => format!("cannot be read: {e}"),
        _ => "is not a readable PEM file (a section is cut off or damaged); export the \
              certificate again as PEM"
            .into(),
    }
}

/// The usual WebPKI check, plus exceptions for a server certificate the account's CA file lists
/// exactly, byte for byte: it is trusted although it is a CA certificate (`CaUsedAsEndEntity`),
/// and, when it has no subjectAltName at all, when its common name names the server (RFC 6125
/// §6.4.4) — it must name the server either way. webpki checks an end-entity certificate's validity
/// period before its basic constraints, so a certificate refused this way is within its validity
/// period; its handshake signatures are still checked with its key.
#[derive(Debug)]
struct ListedServerCert {
    webpki: Arc<WebPkiServerVerifier>,
    /// The certificates of the CA file, DER.
    listed: Vec<CertificateDer<'static>>,
    /// The account, for the log.
    what: String,
}

fn is_ca_used_as_end_entity(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(CertificateError::Other(other))
            if matches!(other.0.downcast_ref::<webpki::Error>(), Some(webpki::Error::CaUsedAsEndEntity))
    )
}

/// A name mismatch of a certificate that presents no subjectAltName at all.
fn has_no_names(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { presented, .. })
            if presented.is_empty()
    )
}

impl ServerCertVerifier for ListedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let refused = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(e) => e,
        };
        let listed = || {
            self.listed
                .iter()
                .any(|c| c.as_ref() == end_entity.as_ref())
        };
        let by_cn = || {
            common_name::common_name(end_entity)
                .is_some_and(|cn| common_name::names(&cn, server_name))
        };
        let how = if is_ca_used_as_end_entity(&refused) && listed() {
            let cert = webpki::EndEntityCert::try_from(end_entity)
                .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
            match cert.verify_is_valid_for_subject_name(server_name) {
                Ok(()) => "although it is a CA certificate (a self-signed server certificate)",
                Err(webpki::Error::CertNotValidForName(names))
                    if names.presented.is_empty() && by_cn() =>
                {
                    "although it is a CA certificate (a self-signed server certificate) and names \
                     the server only in its common name"
                }
                Err(_) => {
                    return Err(rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForName,
                    ));
                }
            }
        } else if has_no_names(&refused) && listed() && by_cn() {
            // The chain and validity passed: webpki checks the name last.
            "although it names the server only in its common name (no subjectAltName)"
        } else {
            return Err(refused);
        };
        tracing::info!(
            server = %server_name.to_str(),
            "{}: trusting the server's certificate because the account's ca_file lists exactly \
             this certificate, {how}",
            self.what
        );
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
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

        let cut = dir.path().join("cut.pem");
        std::fs::write(&cut, "-----BEGIN CERTIFICATE-----\nMIIB\n").expect("write");
        let err = client_config(Trust {
            ca_file: Some(&cut),
            insecure_skip_verify: false,
            what: "test",
        })
        .expect_err("cut off");
        assert_eq!(
            err.to_string(),
            format!(
                "tls.ca_file {}: is not a readable PEM file (a section is cut off or damaged); \
                 export the certificate again as PEM",
                cut.display()
            )
        );
    }

    /// A self-signed certificate made by openssl in `dir`, of subject CN `cn`, with these
    /// `-addext` extensions; returns its PEM path and DER.
    fn self_signed(
        dir: &Path,
        file: &str,
        cn: &str,
        extensions: &[&str],
    ) -> (PathBuf, CertificateDer<'static>) {
        let pem = dir.join(file);
        let key = dir.join(format!("{file}.key"));
        let mut openssl = std::process::Command::new("openssl");
        openssl
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256"])
            .args(["-days", "1", "-subj", &format!("/O=PBX/CN={cn}")])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&pem);
        for extension in extensions {
            openssl.args(["-addext", extension]);
        }
        let status = openssl
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl runs (Debian package openssl)");
        assert!(status.success(), "openssl made the certificate");
        let der = CertificateDer::from_pem_file(&pem).expect("PEM certificate");
        (pem, der)
    }

    /// A self-signed `CA:TRUE` certificate for subjectAltName `names`.
    fn self_signed_ca(dir: &Path, file: &str, names: &str) -> (PathBuf, CertificateDer<'static>) {
        let san = format!("subjectAltName={names}");
        self_signed(
            dir,
            file,
            "pbx",
            &["basicConstraints=critical,CA:TRUE", &san],
        )
    }

    fn check(
        verifier: &dyn ServerCertVerifier,
        cert: &CertificateDer<'_>,
        host: &str,
    ) -> Result<ServerCertVerified, rustls::Error> {
        verifier.verify_server_cert(cert, &[], &server_name(host).unwrap(), &[], UnixTime::now())
    }

    #[test]
    fn a_self_signed_ca_certificate_listed_in_ca_file_is_trusted_for_its_names_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (pem, cert) = self_signed_ca(dir.path(), "pbx.pem", "IP:127.0.0.1,DNS:localhost");
        let (_, stranger) = self_signed_ca(dir.path(), "other.pem", "IP:127.0.0.1");

        let listed = verifier(Some(&pem), "test account").expect("verifier");
        check(listed.as_ref(), &cert, "127.0.0.1").expect("listed, names 127.0.0.1");
        check(listed.as_ref(), &cert, "localhost").expect("listed, names localhost");
        for other_host in ["127.0.0.2", "pbx.example.com"] {
            let e = check(listed.as_ref(), &cert, other_host).expect_err("other host");
            assert_eq!(
                e,
                rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
                "{other_host}"
            );
        }
        // Another self-signed CA certificate for the same address is not listed: refused.
        let e = check(listed.as_ref(), &stranger, "127.0.0.1").expect_err("not listed");
        assert!(is_ca_used_as_end_entity(&e), "{e:?}");
        // Without the CA file the same certificate is refused as before.
        let unlisted = verifier(None, "test account").expect("verifier");
        let e = check(unlisted.as_ref(), &cert, "127.0.0.1").expect_err("no ca_file");
        assert!(is_ca_used_as_end_entity(&e), "{e:?}");
        assert!(
            client_config(Trust {
                ca_file: Some(&pem),
                insecure_skip_verify: false,
                what: "test",
            })
            .is_ok()
        );
    }

    /// Without any subjectAltName, a listed certificate (CA or not) may name the server in its
    /// common name; one with subjectAltNames never by its CN, and an unlisted one never at all.
    #[test]
    fn a_listed_certificate_without_alternative_names_may_name_the_server_in_its_cn() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = "basicConstraints=critical,CA:TRUE";
        let leaf = "basicConstraints=critical,CA:FALSE";
        for (file, cn, extension, host) in [
            ("ca-ip.pem", "127.0.0.1", ca, "127.0.0.1"),
            ("ca-dns.pem", "pbx.example.com", ca, "PBX.example.com"),
            ("leaf-dns.pem", "pbx.example.com", leaf, "pbx.example.com"),
        ] {
            let (pem, cert) = self_signed(dir.path(), file, cn, &[extension]);
            assert_eq!(common_name::common_name(&cert).as_deref(), Some(cn));
            let listed = verifier(Some(&pem), "test account").expect("verifier");
            check(listed.as_ref(), &cert, host).expect("listed, CN names the host");
            let e = check(listed.as_ref(), &cert, "pbx.example.org").expect_err("other host");
            assert!(
                matches!(
                    e,
                    rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForName
                            | CertificateError::NotValidForNameContext { .. }
                    )
                ),
                "{file}: {e:?}"
            );
            let unlisted = verifier(None, "test account").expect("verifier");
            check(unlisted.as_ref(), &cert, host).expect_err("not listed");
        }
        // subjectAltNames present: the CN does not count.
        let (pem, cert) = self_signed(
            dir.path(),
            "san.pem",
            "127.0.0.1",
            &[ca, "subjectAltName=DNS:localhost"],
        );
        let listed = verifier(Some(&pem), "test account").expect("verifier");
        check(listed.as_ref(), &cert, "127.0.0.1").expect_err("CN ignored beside SANs");
    }

    #[test]
    fn server_names_accept_hosts_and_addresses_only() {
        assert!(server_name("pbx.example.com").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("::1").is_ok());
        assert!(server_name("not a host").is_err());
    }
}
