//! Where a server is (RFC 3263 §4.2, without NAPTR): an IP address is used as it is; a host name
//! with an explicit port is looked up as A/AAAA; a host name without a port is first looked up as
//! SRV (`_sip._udp`, `_sip._tcp`, `_sips._tcp` by transport), targets in priority order (higher
//! weight first within a priority), and falls back to A/AAAA on the default port when there is
//! no SRV record. NAPTR is not used: the transport is always known from the configuration.
//!
//! Tests only: [`NetConfig::dns_server`](crate::NetConfig::dns_server), or else the environment
//! variable `VOICELAMP_DNS_SERVER=IP:PORT`, sends every DNS question (SRV, and A/AAAA of host
//! names) to that one server instead of the system's, e.g. a `dnsmasq` on loopback serving the
//! SRV records of a test. Products never set either.

use crate::config::Target;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use std::cmp::Reverse;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use voicelamp_sip::Transport;

/// Longest wait for one DNS answer.
const DNS_TIMEOUT: Duration = Duration::from_secs(5);
/// Most SRV targets tried.
const MAX_SRV_TARGETS: usize = 8;
/// The test-only override of the DNS server (see the module's documentation).
const DNS_SERVER_VAR: &str = "VOICELAMP_DNS_SERVER";

/// The DNS server to ask instead of the system's: the configured one, else the one named by
/// [`DNS_SERVER_VAR`] (when it is an `IP:PORT`).
fn dns_override(configured: Option<SocketAddr>) -> Option<SocketAddr> {
    if configured.is_some() {
        return configured;
    }
    let value = std::env::var(DNS_SERVER_VAR).ok()?;
    match value.trim().parse() {
        Ok(addr) => Some(addr),
        Err(_) => {
            tracing::warn!(%value, "{DNS_SERVER_VAR} is not an IP:PORT; using the system's DNS");
            None
        }
    }
}

fn resolver(dns: Option<SocketAddr>) -> Result<TokioResolver, String> {
    let built = match dns {
        Some(server) => {
            let mut udp = ConnectionConfig::udp();
            udp.port = server.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = server.port();
            let config = ResolverConfig::from_name_servers(vec![NameServerConfig::new(
                server.ip(),
                true,
                vec![udp, tcp],
            )]);
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default()).build()
        }
        None => TokioResolver::builder_tokio().and_then(|b| b.build()),
    };
    built.map_err(|e| e.to_string())
}

/// The addresses to try, best first.
pub(crate) async fn resolve(
    target: &Target,
    dns_server: Option<SocketAddr>,
) -> Result<Vec<SocketAddr>, String> {
    let dns = dns_override(dns_server);
    let host = target.host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, target.port_or_default())]);
    }
    if target.port.is_none() {
        let srv = srv(host, target.transport, dns).await;
        if !srv.is_empty() {
            return Ok(srv);
        }
    }
    address(host, target.port_or_default(), dns).await
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

async fn srv(host: &str, transport: Transport, dns: Option<SocketAddr>) -> Vec<SocketAddr> {
    let resolver = match resolver(dns) {
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
        match address(&target, port, dns).await {
            Ok(addrs) => out.extend(addrs),
            Err(e) => tracing::debug!(%target, error = %e, "SRV target without address"),
        }
    }
    tracing::debug!(%name, addresses = ?out, "SRV");
    out
}

async fn address(
    host: &str,
    port: u16,
    dns: Option<SocketAddr>,
) -> Result<Vec<SocketAddr>, String> {
    if dns.is_some() {
        let resolver = resolver(dns)?;
        let lookup = tokio::time::timeout(DNS_TIMEOUT, resolver.lookup_ip(host))
            .await
            .map_err(|_| format!("resolving {host} timed out"))?
            .map_err(|e| format!("cannot resolve {host}: {e}"))?;
        let addrs: Vec<SocketAddr> = lookup.iter().map(|ip| SocketAddr::new(ip, port)).collect();
        return if addrs.is_empty() {
            Err(format!("{host} has no address"))
        } else {
            Ok(addrs)
        };
    }
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
            resolve(&target("[::1]", Some(5070)), None).await,
            Ok(vec!["[::1]:5070".parse().expect("addr")])
        );
        assert_eq!(
            resolve(&target("127.0.0.1", None), None).await,
            Ok(vec!["127.0.0.1:5060".parse().expect("addr")])
        );
        let local = resolve(&target("localhost", Some(5080)), None)
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
