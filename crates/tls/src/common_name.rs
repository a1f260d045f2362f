//! The subject common name (CN) of a certificate, and whether it names a server — for the one
//! case where it is consulted: a certificate the account's CA file lists byte for byte that has
//! no subject alternative names at all, as many PBXs' self-signed certificates are made. RFC 6125
//! §6.4.4: the CN is a fallback only when the certificate presents no subjectAltName.
//!
//! A small DER reader, bounds-checked at every step: a malformed certificate yields `None`.

use rustls_pki_types::{CertificateDer, ServerName};
use std::net::IpAddr;

/// `(tag, content, rest)` of the DER element at the start of `input`.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, rest) = rest.split_at(n);
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    Some((tag, content, rest))
}

/// The content of the element at the start of `input`, which must have `tag`; and what follows.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, content, rest) = element(input)?;
    (found == tag).then_some((content, rest))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
/// id-at-commonName, 2.5.4.3.
const COMMON_NAME: [u8; 3] = [0x55, 0x04, 0x03];
/// UTF8String, PrintableString, IA5String.
const STRINGS: [u8; 3] = [0x0c, 0x13, 0x16];

/// The subject's one common name; `None` when it has none, several, or the DER is malformed.
pub(crate) fn common_name(cert: &CertificateDer<'_>) -> Option<String> {
    let (certificate, _) = expect(cert.as_ref(), SEQUENCE)?;
    let (tbs, _) = expect(certificate, SEQUENCE)?;
    let mut rest = tbs;
    // [0] version, when present.
    if let Some((0xa0, _, after)) = element(rest) {
        rest = after;
    }
    // serialNumber, signature, issuer, validity, then subject.
    let (_, _, after) = element(rest)?;
    let (_, after) = expect(after, SEQUENCE)?;
    let (_, after) = expect(after, SEQUENCE)?;
    let (_, after) = expect(after, SEQUENCE)?;
    let (mut names, _) = expect(after, SEQUENCE)?;
    let mut found = None;
    while !names.is_empty() {
        let (mut set, next) = expect(names, SET)?;
        names = next;
        while !set.is_empty() {
            let (attribute, next) = expect(set, SEQUENCE)?;
            set = next;
            let (oid, value) = expect(attribute, OID)?;
            if oid != COMMON_NAME {
                continue;
            }
            let (tag, text, _) = element(value)?;
            if !STRINGS.contains(&tag) || found.is_some() {
                return None;
            }
            found = Some(std::str::from_utf8(text).ok()?.to_owned());
        }
    }
    found
}

/// Whether `cn` names `server`: the same DNS name (no wildcards, case-insensitive) or the same
/// IP address.
pub(crate) fn names(cn: &str, server: &ServerName<'_>) -> bool {
    match server {
        ServerName::DnsName(dns) => {
            let want = dns.as_ref().trim_end_matches('.');
            !cn.contains('*') && cn.trim_end_matches('.').eq_ignore_ascii_case(want)
        }
        ServerName::IpAddress(ip) => cn.parse::<IpAddr>().ok() == Some(IpAddr::from(*ip)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(host: &str) -> ServerName<'static> {
        ServerName::try_from(host.to_owned()).expect("server name")
    }

    #[test]
    fn a_cn_names_its_host_or_address_only() {
        assert!(names("pbx.example.com", &name("PBX.example.com")));
        assert!(names("pbx.example.com.", &name("pbx.example.com")));
        assert!(!names("*.example.com", &name("pbx.example.com")));
        assert!(!names("pbx.example.com", &name("pbx.example.org")));
        assert!(names("127.0.0.1", &name("127.0.0.1")));
        assert!(!names("127.0.0.1", &name("127.0.0.2")));
        assert!(!names("127.0.0.1", &name("localhost")));
    }

    #[test]
    fn malformed_der_has_no_common_name() {
        for bytes in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x05, 0x30, 0x03, 0x02, 0x01],
            &[0x30, 0x82, 0xff, 0xff],
        ] {
            assert_eq!(common_name(&CertificateDer::from(bytes.to_vec())), None);
        }
    }
}
