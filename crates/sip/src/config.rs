//! Configuration of accounts and of the local endpoint they use.

use crate::auth::Credentials;
use crate::backoff::BackoffConfig;
use crate::transaction::TimerConfig;
use std::net::SocketAddr;

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP: retransmissions, keepalive by CRLF or OPTIONS.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl Transport {
    /// The `Via` transport token.
    pub fn via_token(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
        }
    }

    /// Reliable transports do not retransmit.
    pub fn is_reliable(self) -> bool {
        !matches!(self, Self::Udp)
    }

    /// The `transport=` URI parameter for Contact, if one is needed.
    pub fn uri_param(self) -> Option<&'static str> {
        match self {
            Self::Udp => None,
            Self::Tcp => Some("tcp"),
            Self::Tls => Some("tls"),
        }
    }
}

/// Where an account's messages go and come from: the flow to its registrar or outbound proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// Transport.
    pub transport: Transport,
    /// The local address the driver sends from (used in `Via` and, until the server tells
    /// otherwise through `received`/`rport`, in `Contact`).
    pub local: SocketAddr,
    /// The resolved address of the registrar or outbound proxy.
    pub remote: SocketAddr,
}

/// How far unsolicited NOTIFYs are trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnsolicitedTrust {
    /// Accept only from the account's flow address (registrar/outbound proxy). Default.
    #[default]
    FlowOnly,
    /// Accept from any source as long as the Request-URI or To user matches the account.
    AnySource,
    /// Reject all unsolicited NOTIFYs (403).
    Never,
}

/// What an account does with an incoming call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncomingCalls {
    /// Ring: the call is reported ([`CallEvent::Incoming`](crate::call::CallEvent::Incoming))
    /// for the app to answer or decline.
    Ring,
    /// Refuse with `480 Temporarily Unavailable`, the most neutral answer: the caller hears the
    /// person's other phones (a desk phone on the same extension) instead. The default: an
    /// account that only watched voicemail keeps behaving as before until its person asks for
    /// calls here, and Voicelamp never starts taking calls away from a desk phone on its own.
    #[default]
    Off,
}

/// One SIP account.
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// Address of record, e.g. `sip:alice@example.com`.
    pub aor: String,
    /// Request-URI of REGISTER, e.g. `sip:example.com`.
    pub registrar: String,
    /// Digest credentials, if the server challenges.
    pub credentials: Option<Credentials>,
    /// User part of our Contact.
    pub contact_user: String,
    /// Requested registration expiry in seconds.
    pub register_expires: u32,
    /// Requested subscription expiry in seconds.
    pub subscribe_expires: u32,
    /// Mailbox URIs to subscribe to (the account's AOR, a voicemail URI such as
    /// `sip:*97@pbx`, shared mailboxes). Empty: no subscriptions (unsolicited only).
    pub mailboxes: Vec<String>,
    /// Trust in unsolicited NOTIFYs.
    pub unsolicited: UnsolicitedTrust,
    /// Register (the default). `false`: a subscribe-only account that never sends REGISTER;
    /// its subscriptions start at once, with a Contact made from the flow's local address,
    /// and unsolicited NOTIFYs for it are judged by [`unsolicited`](Self::unsolicited) alone.
    pub register: bool,
    /// Ask the registrar which contacts are bound (a REGISTER without Contact) before the
    /// first REGISTER, so that a device our registration replaces can be named (off by
    /// default: one more request).
    pub query_bindings: bool,
    /// Outbound proxy URI (e.g. `sip:proxy.example.com`): sent as a loose `Route` on every
    /// request outside a dialog. The driver sends everything to [`Flow::remote`] anyway.
    pub outbound_proxy: Option<String>,
    /// The flow to the server.
    pub flow: Flow,
    /// Incoming calls ring or are refused (`480`); [`IncomingCalls::Off`] by default.
    pub incoming_calls: IncomingCalls,
}

impl AccountConfig {
    /// An account with defaults: 3600 s expiries, the AOR as the only mailbox.
    pub fn new(aor: &str, registrar: &str, contact_user: &str, flow: Flow) -> Self {
        Self {
            aor: aor.to_owned(),
            registrar: registrar.to_owned(),
            credentials: None,
            contact_user: contact_user.to_owned(),
            register_expires: 3600,
            subscribe_expires: 3600,
            mailboxes: vec![aor.to_owned()],
            unsolicited: UnsolicitedTrust::default(),
            register: true,
            query_bindings: false,
            outbound_proxy: None,
            flow,
            incoming_calls: IncomingCalls::default(),
        }
    }
}

/// Settings shared by all accounts of a user agent.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// Transaction timers.
    pub timers: TimerConfig,
    /// Failure backoff.
    pub backoff: BackoffConfig,
    /// `User-Agent` header value.
    pub user_agent: String,
    /// Keepalive interval for UDP flows; `None` disables.
    pub udp_keepalive: Option<std::time::Duration>,
    /// CRLFCRLF or OPTIONS over UDP.
    pub udp_keepalive_mode: crate::keepalive::KeepaliveMode,
    /// Keepalive interval for TCP/TLS flows (CRLFCRLF); `None` disables.
    pub stream_keepalive: Option<std::time::Duration>,
    /// Most calls at once (at most [`MAX_CALLS`](crate::call::MAX_CALLS)); 1 by default, the
    /// product's rule: a call coming in while one is going on is answered `486` and reported as
    /// missed, and a second call cannot be started.
    pub max_calls: usize,
}

impl Default for UaConfig {
    fn default() -> Self {
        Self {
            timers: TimerConfig::default(),
            backoff: BackoffConfig::default(),
            user_agent: "Voicelamp".to_owned(),
            udp_keepalive: Some(std::time::Duration::from_secs(25)),
            udp_keepalive_mode: crate::keepalive::KeepaliveMode::Crlf,
            stream_keepalive: Some(std::time::Duration::from_secs(120)),
            max_calls: 1,
        }
    }
}

/// Formats a socket address as a SIP host:port (IPv6 in brackets).
pub fn host_port(addr: SocketAddr) -> String {
    addr.to_string()
}

/// Compares two SIP URIs by scheme-less `user@host:port`, ignoring parameters and case of host.
pub fn same_contact(a: &str, b: &str) -> bool {
    fn key(uri: &str) -> String {
        let uri = uri.trim().trim_start_matches('<').trim_end_matches('>');
        let uri = uri
            .strip_prefix("sips:")
            .or_else(|| uri.strip_prefix("sip:"))
            .unwrap_or(uri);
        let end = uri.find([';', '?', '>']).unwrap_or(uri.len());
        let base = &uri[..end];
        match base.rsplit_once('@') {
            Some((user, host)) => format!("{user}@{}", host.to_ascii_lowercase()),
            None => base.to_ascii_lowercase(),
        }
    }
    key(a) == key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_comparison_ignores_parameters() {
        assert!(same_contact(
            "sip:alice@192.0.2.1:5060;transport=udp",
            "<sip:alice@192.0.2.1:5060>"
        ));
        assert!(same_contact("sip:a@HOST", "sip:a@host"));
        assert!(!same_contact("sip:a@host:5060", "sip:a@host:5062"));
        assert!(!same_contact("sip:a@host", "sip:b@host"));
        assert_eq!(
            host_port("[2001:db8::1]:5060".parse().expect("addr")),
            "[2001:db8::1]:5060"
        );
    }
}
