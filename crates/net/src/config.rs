//! What the driver is asked to run: its own settings and one [`AccountSpec`] per account.

use crate::error::NetError;
use std::path::PathBuf;
use std::time::Duration;
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::{AccountConfig, Flow, IncomingCalls, Transport, UaConfig, UnsolicitedTrust};

/// Settings of one driver.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Settings of the user agent.
    pub ua: UaConfig,
    /// How long shutdown waits for the unsubscribe and unregister transactions.
    pub shutdown_timeout: Duration,
    /// Longest wait for a TCP connect and TLS handshake.
    pub connect_timeout: Duration,
    /// First wait before reconnecting; it doubles with every failure (with jitter).
    pub reconnect_base: Duration,
    /// Longest wait before reconnecting.
    pub reconnect_max: Duration,
    /// Sleep, wake and network changes.
    pub life: crate::life::LifeConfig,
    /// While a server is away (TCP connect refused or timed out, UDP answered by "port
    /// unreachable"), how often its transport is probed: a TCP/TLS connect attempt or a 4-byte
    /// UDP datagram, never a SIP request. Once it answers, the accounts register and subscribe
    /// again at once.
    pub probe_interval: Duration,
    /// Tests only: the DNS server asked instead of the system's (e.g. a `dnsmasq` on loopback
    /// serving a test's SRV records); `None` (always, in the product): the system's, unless
    /// the environment variable `VOICELAMP_DNS_SERVER=IP:PORT` names one.
    pub dns_server: Option<std::net::SocketAddr>,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            ua: UaConfig::default(),
            shutdown_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(10),
            reconnect_base: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(120),
            life: crate::life::LifeConfig::default(),
            probe_interval: Duration::from_secs(2),
            dns_server: None,
        }
    }
}

/// Where an account's messages are sent: its outbound proxy, else its registrar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP address (IPv6 with or without brackets).
    pub host: String,
    /// Port; `None` is the transport's default (5060, 5061 for TLS).
    pub port: Option<u16>,
    /// Transport.
    pub transport: Transport,
}

impl Target {
    /// Reads `sip:host[:port][;transport=udp|tcp|tls]` or `sips:host[:port]` (TLS).
    /// A user part (`sip:user@host`) is skipped.
    pub fn from_uri(uri: &str) -> Result<Self, NetError> {
        let bad = |why| NetError::BadUri {
            uri: uri.to_owned(),
            why,
        };
        let trimmed = uri.trim().trim_start_matches('<').trim_end_matches('>');
        let (secure, rest) = if let Some(rest) = strip_prefix_ci(trimmed, "sips:") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ci(trimmed, "sip:") {
            (false, rest)
        } else {
            return Err(bad("it must start with sip: or sips:"));
        };
        let (hostport, params) = match rest.split_once(';') {
            Some((h, p)) => (h, p),
            None => (rest, ""),
        };
        let hostport = hostport.split('?').next().unwrap_or(hostport);
        let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or(bad("unclosed '[' in the host"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p.parse().map_err(|_| bad("the port is not a number"))?),
                None if after.is_empty() => None,
                None => return Err(bad("unexpected text after the IPv6 host")),
            };
            (host.to_owned(), port)
        } else {
            match hostport.split_once(':') {
                Some((h, p)) => (
                    h.to_owned(),
                    Some(p.parse().map_err(|_| bad("the port is not a number"))?),
                ),
                None => (hostport.to_owned(), None),
            }
        };
        if host.is_empty() {
            return Err(bad("the host is empty"));
        }
        let mut transport = if secure {
            Transport::Tls
        } else {
            Transport::Udp
        };
        for param in params.split(';') {
            let (name, value) = param.split_once('=').unwrap_or((param, ""));
            if name.trim().eq_ignore_ascii_case("transport") {
                transport = match value.trim().to_ascii_lowercase().as_str() {
                    "udp" if !secure => Transport::Udp,
                    "tcp" if !secure => Transport::Tcp,
                    "tcp" | "tls" => Transport::Tls,
                    _ => return Err(bad("unsupported transport (udp, tcp, tls)")),
                };
            }
        }
        Ok(Self {
            host,
            port,
            transport,
        })
    }

    /// The port to connect to.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.transport {
            Transport::Tls => 5061,
            Transport::Udp | Transport::Tcp => 5060,
        })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// TLS settings of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Extra CA certificates (PEM) trusted besides the platform's roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate. Dangerous: logged as a warning on every connection.
    pub insecure_skip_verify: bool,
}

/// One account as the driver runs it.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    /// Address of record, e.g. `sip:1001@pbx.example.com`.
    pub aor: String,
    /// Registrar URI, e.g. `sip:pbx.example.com;transport=tcp`; also where messages go when
    /// there is no outbound proxy.
    pub registrar: String,
    /// Outbound proxy URI: every message goes there.
    pub outbound_proxy: Option<String>,
    /// Digest credentials.
    pub credentials: Option<Credentials>,
    /// User part of the Contact.
    pub contact_user: String,
    /// Requested registration expiry (seconds).
    pub register_expires: u32,
    /// Requested subscription expiry (seconds).
    pub subscribe_expires: u32,
    /// Mailboxes to subscribe to.
    pub mailboxes: Vec<String>,
    /// Trust in unsolicited NOTIFYs.
    pub unsolicited: UnsolicitedTrust,
    /// TLS settings.
    pub tls: TlsOptions,
    /// Local port (0: any). UDP: the socket of every account with this port. TCP/TLS: the
    /// connection's source port (bound with `SO_REUSEADDR`); accounts that share a server
    /// share its connection, which keeps the port of the account that opened it.
    pub local_port: u16,
    /// Register (default). `false`: subscribe only, never REGISTER (see
    /// [`AccountConfig::register`](voicelamp_sip::AccountConfig::register)).
    pub register: bool,
    /// Ask the registrar which devices are bound before the first REGISTER (see
    /// [`AccountConfig::query_bindings`](voicelamp_sip::AccountConfig::query_bindings)).
    pub query_bindings: bool,
    /// Where to send, when already known (e.g. read from the configuration); `None`: read from
    /// the outbound proxy URI, else the registrar URI.
    pub target: Option<Target>,
    /// Incoming calls ring ([`CallUpdate::Incoming`](crate::CallUpdate::Incoming)) or are
    /// refused with 480 (the default).
    pub incoming_calls: IncomingCalls,
}

impl AccountSpec {
    /// An account with defaults: 3600 s expiries, its own AOR as the only mailbox.
    pub fn new(aor: &str, registrar: &str, credentials: Option<Credentials>) -> Self {
        let contact_user = aor
            .split_once(':')
            .map_or(aor, |(_, r)| r)
            .split('@')
            .next()
            .unwrap_or("voicelamp")
            .to_owned();
        Self {
            aor: aor.to_owned(),
            registrar: registrar.to_owned(),
            outbound_proxy: None,
            credentials,
            contact_user,
            register_expires: 3600,
            subscribe_expires: 3600,
            mailboxes: vec![aor.to_owned()],
            unsolicited: UnsolicitedTrust::default(),
            tls: TlsOptions::default(),
            local_port: 0,
            register: true,
            query_bindings: false,
            target: None,
            incoming_calls: IncomingCalls::default(),
        }
    }

    /// Where messages are sent: the outbound proxy, else the registrar.
    pub fn target(&self) -> Result<Target, NetError> {
        if let Some(target) = &self.target {
            return Ok(target.clone());
        }
        Target::from_uri(self.outbound_proxy.as_deref().unwrap_or(&self.registrar))
    }

    /// The user agent's account over `flow`. The registrar URI loses its `transport`
    /// parameter only when it is the default for the flow.
    pub(crate) fn to_account_config(&self, flow: Flow) -> AccountConfig {
        let mut config = AccountConfig::new(&self.aor, &self.registrar, &self.contact_user, flow);
        config.credentials = self.credentials.clone();
        config.register_expires = self.register_expires;
        config.subscribe_expires = self.subscribe_expires;
        config.mailboxes = self.mailboxes.clone();
        config.unsolicited = self.unsolicited;
        config.register = self.register;
        config.query_bindings = self.query_bindings;
        config.outbound_proxy = self.outbound_proxy.clone();
        config.incoming_calls = self.incoming_calls;
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_server_uris() {
        let t = Target::from_uri("sip:127.0.0.1:35060;transport=tcp").expect("uri");
        assert_eq!(
            t,
            Target {
                host: "127.0.0.1".into(),
                port: Some(35060),
                transport: Transport::Tcp
            }
        );
        let t = Target::from_uri("sips:pbx.example.com").expect("uri");
        assert_eq!(t.transport, Transport::Tls);
        assert_eq!(t.port_or_default(), 5061);
        let t = Target::from_uri("SIP:[::1]:5070;lr").expect("uri");
        assert_eq!((t.host.as_str(), t.port), ("::1", Some(5070)));
        assert_eq!(t.transport, Transport::Udp);
        let t = Target::from_uri("<sip:proxy@pbx;transport=TLS>").expect("uri");
        assert_eq!((t.host.as_str(), t.transport), ("pbx", Transport::Tls));
        assert!(Target::from_uri("http://x").is_err());
        assert!(Target::from_uri("sip:x:notaport").is_err());
        assert!(Target::from_uri("sip:x;transport=sctp").is_err());
        assert!(Target::from_uri("sips:x;transport=udp").is_err());
    }

    #[test]
    fn contact_user_from_the_aor() {
        let spec = AccountSpec::new("sip:1001@127.0.0.1", "sip:127.0.0.1", None);
        assert_eq!(spec.contact_user, "1001");
        assert_eq!(spec.mailboxes, vec!["sip:1001@127.0.0.1".to_owned()]);
    }
}
