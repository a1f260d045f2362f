//! A failed TLS handshake in words a person can act on: what is wrong with the server's
//! certificate or the TLS exchange, and what to do about it — never a `Debug` dump of rustls'
//! error types.

use rustls_pki_types::UnixTime;
use tokio_rustls::rustls::{self, AlertDescription, CertificateError};

/// Where the trust settings live, said the same way in every hint.
const SETTINGS: &str = "ca_file in the account's TLS settings";

/// What to do when the certificate comes from an authority this computer does not know.
fn add_authority() -> String {
    format!(
        "add the certificate of the authority that signed it (for a self-signed certificate, the \
         server's certificate itself) to {SETTINGS}"
    )
}

/// The handshake with `host` (the name as configured: `127.0.0.1`, `pbx.example.com`) failed
/// with the I/O error a TLS connector returns: the rustls error inside it in words, or the
/// connection's own failure.
pub fn explain_io(host: &str, error: &std::io::Error) -> String {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => explain(host, tls),
        None if error.kind() == std::io::ErrorKind::UnexpectedEof => format!(
            "{host} closed the connection during the TLS handshake: check that the port is the \
             server's TLS port and that the server accepts TLS 1.2 or 1.3"
        ),
        None => format!("the TLS handshake with {host} broke off: {error}"),
    }
}

/// Whether `error` is a refusal of the server's certificate (as opposed to a failure of the
/// exchange itself).
pub fn is_untrusted(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
    )
}

/// The rustls `error` of a handshake with `host`, in words that say what to do.
pub fn explain(host: &str, error: &rustls::Error) -> String {
    use rustls::Error as E;
    match error {
        E::InvalidCertificate(cert) => {
            format!(
                "the certificate of {host} is not trusted: {}",
                certificate(host, cert)
            )
        }
        E::NoCertificatesPresented => format!(
            "{host} sent no certificate in the TLS handshake, so it cannot be trusted: check the \
             server's TLS setup"
        ),
        E::AlertReceived(alert) => alert_words(host, *alert),
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => format!(
            "{host} did not answer in TLS: check that the port is the server's TLS port (for \
             SIP usually 5061, for IMAP 993) and that the account's transport is right"
        ),
        E::PeerIncompatible(_) => format!(
            "{host} and this computer have no TLS version or cipher in common: the server must \
             offer TLS 1.2 or 1.3 with a current cipher; ask its administrator"
        ),
        E::PeerMisbehaved(_) | E::DecryptError | E::PeerSentOversizedRecord => format!(
            "the TLS handshake with {host} failed because the server broke the TLS protocol, or \
             something between this computer and the server changed the data; try again, and \
             ask the server's administrator if it persists"
        ),
        E::FailedToGetCurrentTime => format!(
            "the TLS handshake with {host} failed: this computer's clock cannot be read, so \
             certificates cannot be checked"
        ),
        _ => format!(
            "the TLS handshake with {host} failed unexpectedly; try again, and check the \
             account's TLS settings if it persists"
        ),
    }
}

/// Why the certificate is refused, and what to do.
fn certificate(host: &str, error: &CertificateError) -> String {
    use CertificateError as C;
    match error {
        C::UnknownIssuer => format!(
            "it is signed by an authority this computer does not know; {}",
            add_authority()
        ),
        C::NotValidForName => format!(
            "it is not made out to {host}; connect with the name the certificate carries, or \
             have the server's certificate reissued for {host}"
        ),
        C::NotValidForNameContext { presented, .. } => {
            let presented: Vec<&str> = presented.iter().filter_map(|p| name_of(p)).collect();
            let names = if presented.is_empty() {
                "no server name at all".to_owned()
            } else {
                let shown: Vec<&str> = presented.iter().take(4).copied().collect();
                let more = presented.len().saturating_sub(shown.len());
                let mut names = shown.join(", ");
                if more > 0 {
                    names.push_str(&format!(" and {more} more"));
                }
                names
            };
            format!(
                "it is made out to {names} but not to {host}; connect with a name the certificate \
                 carries, or have the server's certificate reissued for {host}"
            )
        }
        C::Expired => "it has expired; the server needs a new certificate (or, if the date \
                       of this computer is wrong, correct it)"
            .to_owned(),
        C::ExpiredContext { not_after, .. } => format!(
            "it expired on {}; the server needs a new certificate (or, if the date of this \
             computer is wrong, correct it)",
            date(*not_after)
        ),
        C::NotValidYet => "it is not valid yet; check the date of this computer, or have \
                           the server's certificate reissued"
            .to_owned(),
        C::NotValidYetContext { not_before, .. } => format!(
            "it is only valid from {}; check the date of this computer, or have the server's \
             certificate reissued",
            date(*not_before)
        ),
        C::Revoked => "the authority that issued it has revoked it; the server needs a new \
                       certificate"
            .to_owned(),
        C::UnknownRevocationStatus
        | C::ExpiredRevocationList
        | C::ExpiredRevocationListContext { .. } => {
            "whether it was revoked cannot be determined; ask the server's administrator".to_owned()
        }
        C::BadSignature => "its signature does not match the authority that supposedly issued \
                            it: the certificate is damaged or forged; do not trust this server \
                            until its administrator has checked it"
            .to_owned(),
        #[allow(deprecated)]
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "it is signed with an algorithm that is no longer accepted (such as SHA-1 or MD5); \
             the server needs a certificate signed with SHA-256 or better"
                .to_owned()
        }
        C::BadEncoding => "it is malformed and cannot be read; the server needs a new \
                           certificate"
            .to_owned(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "it is not meant for a server (its extended key usage lacks server authentication); \
             the server needs a certificate made for TLS servers"
                .to_owned()
        }
        C::UnhandledCriticalExtension => "it carries a critical extension this app does not \
                                          understand; the server needs a plainer certificate"
            .to_owned(),
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(webpki::Error::CaUsedAsEndEntity) => format!(
                "it is a CA certificate used as the server's own (a self-signed PBX certificate \
                 with CA:TRUE); if it is your server's certificate, put exactly this \
                 certificate in {SETTINGS}"
            ),
            Some(webpki::Error::EndEntityUsedAsCa) => {
                format!(
                    "its chain uses a server certificate as an authority; {}",
                    add_authority()
                )
            }
            Some(webpki::Error::NameConstraintViolation) => format!(
                "its authority is not allowed to issue certificates for {host}; ask the \
                 server's administrator"
            ),
            Some(webpki::Error::PathLenConstraintViolated) => {
                "its chain of authorities is longer than they allow; ask the server's \
                 administrator"
                    .to_owned()
            }
            _ => format!(
                "the certificate check refused it; {}, or ask the server's administrator",
                add_authority()
            ),
        },
        _ => format!(
            "the certificate check refused it; {}, or ask the server's administrator",
            add_authority()
        ),
    }
}

/// The name in one of webpki's renderings of a certificate's subject alternative names
/// (`DnsName("localhost")`, `IpAddress(127.0.0.1)`); `None` for kinds that name no server.
fn name_of(presented: &str) -> Option<&str> {
    if let Some(dns) = presented.strip_prefix("DnsName(\"") {
        return dns.strip_suffix("\")");
    }
    presented.strip_prefix("IpAddress(")?.strip_suffix(')')
}

/// A fatal alert from the server, in words.
fn alert_words(host: &str, alert: AlertDescription) -> String {
    use AlertDescription as A;
    match alert {
        A::ProtocolVersion | A::InsufficientSecurity => format!(
            "{host} refused this computer's TLS version: the server must accept TLS 1.2 or 1.3; \
             ask its administrator"
        ),
        A::HandshakeFailure | A::IllegalParameter => format!(
            "{host} refused the TLS handshake: it shares no TLS version or cipher with this \
             computer, or it wants a client certificate, which this app does not send; ask its \
             administrator"
        ),
        A::CertificateRequired
        | A::NoCertificate
        | A::BadCertificate
        | A::UnsupportedCertificate
        | A::CertificateUnknown
        | A::CertificateRevoked
        | A::CertificateExpired
        | A::UnknownCA
        | A::AccessDenied => format!(
            "{host} refused the connection: it requires a client certificate, which this app \
             does not send, or refuses this computer; ask its administrator"
        ),
        A::UnrecognisedName => format!(
            "{host} does not know itself by that name: use the server name its administrator \
             gives for TLS"
        ),
        _ => format!(
            "{host} ended the TLS handshake with an error; try again, and ask the server's \
             administrator if it persists"
        ),
    }
}

/// `2026-12-04` for a certificate's validity bound (UTC).
fn date(time: UnixTime) -> String {
    let days = i64::try_from(time.as_secs() / 86_400).unwrap_or(i64::MAX / 2);
    // Days to civil date (H. Hinnant's algorithm), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} (UTC)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio_rustls::rustls::OtherError;

    fn cert(e: CertificateError) -> rustls::Error {
        rustls::Error::InvalidCertificate(e)
    }

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    fn webpki_other(e: webpki::Error) -> rustls::Error {
        cert(CertificateError::Other(OtherError(Arc::new(e))))
    }

    /// Every case the product meets, with its exact words.
    #[test]
    fn each_refusal_has_its_words() {
        let host = "127.0.0.1";
        let cases: Vec<(rustls::Error, &str)> = vec![
            (
                cert(CertificateError::UnknownIssuer),
                "the certificate of 127.0.0.1 is not trusted: it is signed by an authority this \
                 computer does not know; add the certificate of the authority that signed it (for \
                 a self-signed certificate, the server's certificate itself) to ca_file in the \
                 account's TLS settings",
            ),
            (
                webpki_other(webpki::Error::CaUsedAsEndEntity),
                "the certificate of 127.0.0.1 is not trusted: it is a CA certificate used as the \
                 server's own (a self-signed PBX certificate with CA:TRUE); if it is your \
                 server's certificate, put exactly this certificate in ca_file in the account's \
                 TLS settings",
            ),
            (
                cert(CertificateError::Expired),
                "the certificate of 127.0.0.1 is not trusted: it has expired; the server needs a \
                 new certificate (or, if the date of this computer is wrong, correct it)",
            ),
            (
                cert(CertificateError::ExpiredContext {
                    time: at(1_796_000_000),
                    not_after: at(1_764_806_400),
                }),
                "the certificate of 127.0.0.1 is not trusted: it expired on 2025-12-04 (UTC); the \
                 server needs a new certificate (or, if the date of this computer is wrong, \
                 correct it)",
            ),
            (
                cert(CertificateError::NotValidYetContext {
                    time: at(0),
                    not_before: at(951_782_400),
                }),
                "the certificate of 127.0.0.1 is not trusted: it is only valid from 2000-02-29 \
                 (UTC); check the date of this computer, or have the server's certificate \
                 reissued",
            ),
            (
                cert(CertificateError::NotValidYet),
                "the certificate of 127.0.0.1 is not trusted: it is not valid yet; check the date \
                 of this computer, or have the server's certificate reissued",
            ),
            (
                cert(CertificateError::NotValidForName),
                "the certificate of 127.0.0.1 is not trusted: it is not made out to 127.0.0.1; \
                 connect with the name the certificate carries, or have the server's certificate \
                 reissued for 127.0.0.1",
            ),
            (
                cert(CertificateError::NotValidForNameContext {
                    expected: rustls_pki_types::ServerName::try_from("127.0.0.1")
                        .expect("name")
                        .to_owned(),
                    presented: vec![
                        "DnsName(\"localhost\")".into(),
                        "DirectoryName".into(),
                        "IpAddress(::1)".into(),
                    ],
                }),
                "the certificate of 127.0.0.1 is not trusted: it is made out to localhost, ::1 \
                 but not to 127.0.0.1; connect with a name the certificate carries, or have the \
                 server's certificate reissued for 127.0.0.1",
            ),
            (
                cert(CertificateError::BadSignature),
                "the certificate of 127.0.0.1 is not trusted: its signature does not match the \
                 authority that supposedly issued it: the certificate is damaged or forged; do \
                 not trust this server until its administrator has checked it",
            ),
            (
                cert(CertificateError::Revoked),
                "the certificate of 127.0.0.1 is not trusted: the authority that issued it has \
                 revoked it; the server needs a new certificate",
            ),
            (
                cert(CertificateError::InvalidPurpose),
                "the certificate of 127.0.0.1 is not trusted: it is not meant for a server (its \
                 extended key usage lacks server authentication); the server needs a certificate \
                 made for TLS servers",
            ),
            (
                #[allow(deprecated)]
                cert(CertificateError::UnsupportedSignatureAlgorithm),
                "the certificate of 127.0.0.1 is not trusted: it is signed with an algorithm that \
                 is no longer accepted (such as SHA-1 or MD5); the server needs a certificate \
                 signed with SHA-256 or better",
            ),
            (
                webpki_other(webpki::Error::MaximumPathDepthExceeded),
                "the certificate of 127.0.0.1 is not trusted: the certificate check refused it; \
                 add the certificate of the authority that signed it (for a self-signed \
                 certificate, the server's certificate itself) to ca_file in the account's TLS \
                 settings, or ask the server's administrator",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
                "127.0.0.1 refused the TLS handshake: it shares no TLS version or cipher with \
                 this computer, or it wants a client certificate, which this app does not send; \
                 ask its administrator",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
                "127.0.0.1 refused this computer's TLS version: the server must accept TLS 1.2 or \
                 1.3; ask its administrator",
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::CertificateRequired),
                "127.0.0.1 refused the connection: it requires a client certificate, which this \
                 app does not send, or refuses this computer; ask its administrator",
            ),
            (
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
                "127.0.0.1 did not answer in TLS: check that the port is the server's TLS port \
                 (for SIP usually 5061, for IMAP 993) and that the account's transport is right",
            ),
            (
                rustls::Error::PeerIncompatible(
                    rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13,
                ),
                "127.0.0.1 and this computer have no TLS version or cipher in common: the server \
                 must offer TLS 1.2 or 1.3 with a current cipher; ask its administrator",
            ),
            (
                rustls::Error::PeerMisbehaved(rustls::PeerMisbehaved::InvalidKeyShare),
                "the TLS handshake with 127.0.0.1 failed because the server broke the TLS \
                 protocol, or something between this computer and the server changed the data; \
                 try again, and ask the server's administrator if it persists",
            ),
            (
                rustls::Error::NoCertificatesPresented,
                "127.0.0.1 sent no certificate in the TLS handshake, so it cannot be trusted: \
                 check the server's TLS setup",
            ),
            (
                rustls::Error::InvalidCertRevocationList(
                    rustls::CertRevocationListError::BadSignature,
                ),
                "the TLS handshake with 127.0.0.1 failed unexpectedly; try again, and check the \
                 account's TLS settings if it persists",
            ),
        ];
        for (error, words) in cases {
            let said = explain(host, &error);
            assert_eq!(said, words, "for {error:?}");
            for dump in ["IpAddress(", "Other(", "Error(", "DnsName(", "Context {"] {
                assert!(!said.contains(dump), "{said}");
            }
        }
    }

    #[test]
    fn io_errors_carry_the_rustls_words_or_the_connection_failure() {
        let wrapped = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            cert(CertificateError::UnknownIssuer),
        );
        assert_eq!(
            explain_io("pbx.example.com", &wrapped),
            explain("pbx.example.com", &cert(CertificateError::UnknownIssuer))
        );
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert_eq!(
            explain_io("pbx.example.com", &eof),
            "pbx.example.com closed the connection during the TLS handshake: check that the port \
             is the server's TLS port and that the server accepts TLS 1.2 or 1.3"
        );
        assert!(is_untrusted(&cert(CertificateError::UnknownIssuer)));
        assert!(!is_untrusted(&rustls::Error::AlertReceived(
            AlertDescription::HandshakeFailure
        )));
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(date(at(0)), "1970-01-01 (UTC)");
        assert_eq!(date(at(951_782_400)), "2000-02-29 (UTC)");
        assert_eq!(date(at(1_764_806_400)), "2025-12-04 (UTC)");
    }
}
