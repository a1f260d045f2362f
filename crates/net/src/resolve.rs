//! Where a server is (RFC 3263 §4.2, without NAPTR): an IP address is used as it is; a host name
//! with an explicit port is looked up as A/AAAA; a host name without a port is first looked up as
//! SRV (`_sip._udp`, `_sip._tcp`, `_sips._tcp` by transport), targets in priority order (higher
//! weight first within a priority), and falls back to A/AAAA on the default port when there is
//! no SRV record. NAPTR is not used: the transport is always known from the configuration.

use crate::config::Target;
use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;
use std::cmp::Reverse;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use voicelamp_sip::Transport;

/// Longest wait for one DNS answer.
const DNS_TIMEOUT: Duration = Duration::from_secs(5);
/// Most SRV targets tried.
const MAX_SRV_TARGETS: usize = 8;

/// The addresses to try, best first.
pub(crate) async fn resolve(target: &Target) -> Result<Vec<SocketAddr>, String> {
    let host = target.host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, target.port_or_default())]);
    }
    if target.port.is_none() {
        let srv = srv(host, target.transport).await;
        if !srv.is_empty() {
            return Ok(srv);
        }
    }
    address(host, target.port_or_default()).await
}

/// The SRV name of a host for a transport.
pub(crate) fn srv_name(host: &str, transport: Transport) -> String {
    let service = match transport {
        Transport::Udp => "_sip._udp",
        Transport::Tcp => "_sip._tcp",
        Transport::Tls => "_sips._tcp",
    };
    format!("{service}.{}.", host.trim_end_matches('.'))
}

async fn srv(host: &str, transport: Transport) -> Vec<SocketAddr> {
    let resolver = match TokioResolver::builder_tokio().and_then(|b| b.build()) {
        Ok(resolver) => resolver,
        Err(e) => {
            tracing::debug!(error = %e, "no DNS resolver configuration; using A/AAAA only");
            return Vec::new();
        }
    };
    let name = srv_name(host, transport);
    let lookup = match tokio::time::timeout(DNS_TIMEOUT, resolver.srv_lookup(name.as_str())).await {
        Ok(Ok(lookup)) => lookup,
        Ok(Err(e)) => {
            tracing::debug!(%name, error = %e, "no SRV record");
            return Vec::new();
        }
        Err(_) => {
            tracing::debug!(%name, "SRV lookup timed out");
            return Vec::new();
        }
    };
    let mut records: Vec<(u16, u16, String, u16)> = lookup
        .answers()
        .iter()
        .filter_map(|record| match &record.data {
            RData::SRV(srv) => Some((
                srv.priority,
                srv.weight,
                srv.target.to_ascii().trim_end_matches('.').to_owned(),
                srv.port,
            )),
            _ => None,
        })
        // A target of "." says the service is not offered there.
        .filter(|(_, _, target, _)| !target.is_empty())
        .collect();
    records.sort_by_key(|(priority, weight, _, _)| (*priority, Reverse(*weight)));
    let mut out = Vec::new();
    for (_, _, target, port) in records.into_iter().take(MAX_SRV_TARGETS) {
        match address(&target, port).await {
            Ok(addrs) => out.extend(addrs),
            Err(e) => tracing::debug!(%target, error = %e, "SRV target without address"),
        }
    }
    tracing::debug!(%name, addresses = ?out, "SRV");
    out
}

async fn address(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> =
        tokio::time::timeout(DNS_TIMEOUT, tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| format!("resolving {host} timed out"))?
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
    if addrs.is_empty() {
        Err(format!("{host} has no address"))
    } else {
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srv_names_by_transport() {
        assert_eq!(
            srv_name("pbx.example.com", Transport::Udp),
            "_sip._udp.pbx.example.com."
        );
        assert_eq!(
            srv_name("pbx.example.com.", Transport::Tcp),
            "_sip._tcp.pbx.example.com."
        );
        assert_eq!(
            srv_name("pbx.example.com", Transport::Tls),
            "_sips._tcp.pbx.example.com."
        );
    }

    #[tokio::test]
    async fn addresses_and_localhost_resolve_without_dns() {
        let target = |host: &str, port| Target {
            host: host.into(),
            port,
            transport: Transport::Udp,
        };
        assert_eq!(
            resolve(&target("[::1]", Some(5070))).await,
            Ok(vec!["[::1]:5070".parse().expect("addr")])
        );
        assert_eq!(
            resolve(&target("127.0.0.1", None)).await,
            Ok(vec!["127.0.0.1:5060".parse().expect("addr")])
        );
        let local = resolve(&target("localhost", Some(5080)))
            .await
            .expect("localhost");
        assert!(
            local
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 5080),
            "{local:?}"
        );
    }
}
