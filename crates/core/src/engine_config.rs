//! From a configured account to what the SIP user agent needs: the registrar and next hop
//! (transport, host, port), the authentication user, the mailboxes to subscribe. Pure: the net
//! driver only resolves the host (RFC 3263), opens the flow and calls [`SipAccount::to_sip`].

use crate::config::{AccountConfig, PasswordSource, TlsConfig, UnsolicitedPolicy};
use crate::secrets::Secret;
use crate::sip_uri::{Scheme, SipUri};
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::{Flow, Transport, UnsolicitedTrust};

/// Default port of SIP over UDP and TCP.
pub const SIP_PORT: u16 = 5060;
/// Default port of SIP over TLS.
pub const SIPS_PORT: u16 = 5061;

/// A server to connect to: the registrar or the outbound proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTarget {
    /// The URI as configured (or derived).
    pub uri: String,
    /// Transport: the `transport` parameter, else TLS for `sips:`, else UDP.
    pub transport: Transport,
    /// Host name or address (IPv6 in brackets) to resolve.
    pub host: String,
    /// The port written in the URI. When `None`, RFC 3263 allows an SRV lookup before falling
    /// back to [`ServerTarget::port_or_default`].
    pub port: Option<u16>,
}

/// Why a server URI cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The `transport` parameter names something we do not speak.
    #[error("transport \"{0}\" is not supported; use udp, tcp or tls")]
    UnknownTransport(String),
    /// A `sips:` URI with a transport other than TLS.
    #[error("a sips: URI requires TLS; remove ;transport={0} or use a sip: URI")]
    SipsWithoutTls(String),
    /// A server reached without TLS for a `sips:` address of record.
    #[error(
        "the address of record is a sips: URI, which requires TLS on every hop (RFC 3261 \
         §26.2), but this server is reached over {0}; write it as a sips: URI or add \
         ;transport=tls, or use a sip: address of record"
    )]
    SipsAorWithoutTls(&'static str),
}

impl ServerTarget {
    /// Derives transport, host and port from a URI.
    pub fn from_uri(uri: &SipUri) -> Result<Self, TargetError> {
        let transport = match uri.param("transport").map(str::to_ascii_lowercase) {
            None => match uri.scheme {
                Scheme::Sips => Transport::Tls,
                Scheme::Sip => Transport::Udp,
            },
            Some(t) => {
                let transport = match t.as_str() {
                    "udp" => Transport::Udp,
                    "tcp" => Transport::Tcp,
                    "tls" => Transport::Tls,
                    _ => return Err(TargetError::UnknownTransport(t)),
                };
                if uri.scheme == Scheme::Sips && transport != Transport::Tls {
                    return Err(TargetError::SipsWithoutTls(t));
                }
                transport
            }
        };
        Ok(Self {
            uri: uri.to_string(),
            transport,
            host: uri.host.clone(),
            port: uri.port,
        })
    }

    /// This server as the next hop of an account whose address of record is `aor`: a `sips:`
    /// AOR must be reached over TLS only (RFC 3261 §26.2.1), never a plain hop.
    pub fn for_aor(self, aor: &SipUri) -> Result<Self, TargetError> {
        if aor.scheme == Scheme::Sips && self.transport != Transport::Tls {
            return Err(TargetError::SipsAorWithoutTls(match self.transport {
                Transport::Udp => "UDP",
                Transport::Tcp => "TCP",
                Transport::Tls => "TLS",
            }));
        }
        Ok(self)
    }

    /// The port to use when no SRV record says otherwise: the URI's, else 5061 for TLS and 5060
    /// for UDP and TCP.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.transport {
            Transport::Tls => SIPS_PORT,
            Transport::Udp | Transport::Tcp => SIP_PORT,
        })
    }
}

/// Everything the SIP user agent and the net driver need for one account, derived from its
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipAccount {
    /// The configured account id.
    pub account_id: String,
    /// Address of record.
    pub aor: String,
    /// The REGISTER Request-URI: `scheme:host[:port]` of the registrar.
    pub registrar_uri: String,
    /// The registrar as a server.
    pub registrar: ServerTarget,
    /// The outbound proxy, when configured.
    pub outbound_proxy: Option<ServerTarget>,
    /// Digest user name.
    pub auth_user: String,
    /// User part of the Contact (the AOR's user).
    pub contact_user: String,
    /// Mailbox URIs to subscribe to, in order.
    pub mailboxes: Vec<String>,
    /// Trust in unsolicited NOTIFYs.
    pub unsolicited: UnsolicitedTrust,
    /// Requested registration and subscription expiry in seconds.
    pub expires: u32,
    /// Whether to register.
    pub register: bool,
    /// Whether incoming calls ring.
    pub incoming_calls: crate::IncomingCalls,
    /// Local port (0: ephemeral).
    pub local_port: u16,
    /// TLS settings (custom CA, verification).
    pub tls: TlsConfig,
    /// Where the password comes from.
    pub password: PasswordSource,
}

impl SipAccount {
    /// Derives the SIP settings of a configured account. Fails only on a configuration that
    /// [`crate::config::Config::load`] would have refused.
    pub fn from_config(account: &AccountConfig) -> Result<Self, EngineConfigError> {
        let invalid = |field: &str, message: String| EngineConfigError {
            account: account.id.clone(),
            field: field.to_owned(),
            message,
        };
        let aor = SipUri::parse(&account.aor).map_err(|e| invalid("aor", e.to_string()))?;
        let contact_user = aor
            .user
            .clone()
            .ok_or_else(|| invalid("aor", format!("\"{}\" has no user part", account.aor)))?;
        let registrar_uri = match &account.registrar {
            Some(text) => SipUri::parse(text).map_err(|e| invalid("registrar", e.to_string()))?,
            None => SipUri {
                user: None,
                params: Vec::new(),
                ..aor.clone()
            },
        };
        let registrar = ServerTarget::from_uri(&registrar_uri)
            .and_then(|t| t.for_aor(&aor))
            .map_err(|e| invalid("registrar", e.to_string()))?;
        let outbound_proxy = match &account.outbound_proxy {
            None => None,
            Some(text) => {
                let uri =
                    SipUri::parse(text).map_err(|e| invalid("outbound_proxy", e.to_string()))?;
                Some(
                    ServerTarget::from_uri(&uri)
                        .and_then(|t| t.for_aor(&aor))
                        .map_err(|e| invalid("outbound_proxy", e.to_string()))?,
                )
            }
        };
        Ok(Self {
            account_id: account.id.clone(),
            aor: account.aor.clone(),
            registrar_uri: registrar_uri.host_uri(),
            registrar,
            outbound_proxy,
            auth_user: account
                .auth_user
                .clone()
                .unwrap_or_else(|| contact_user.clone()),
            contact_user,
            mailboxes: account
                .monitored_mailboxes()
                .into_iter()
                .map(|m| m.uri)
                .collect(),
            unsolicited: match account.unsolicited {
                UnsolicitedPolicy::Registrar => UnsolicitedTrust::FlowOnly,
                UnsolicitedPolicy::Any => UnsolicitedTrust::AnySource,
                UnsolicitedPolicy::Off => UnsolicitedTrust::Never,
            },
            expires: account.expires,
            register: account.register,
            incoming_calls: account.incoming_calls,
            local_port: account.local_port,
            tls: account.tls.clone(),
            password: account.password.clone(),
        })
    }

    /// Where every request goes: the outbound proxy when configured, else the registrar. The
    /// driver resolves its host and opens a flow of its transport.
    pub fn next_hop(&self) -> &ServerTarget {
        self.outbound_proxy.as_ref().unwrap_or(&self.registrar)
    }

    /// The user agent's account for an open flow; credentials when a password is known.
    pub fn to_sip(&self, flow: Flow, password: Option<&Secret>) -> voicelamp_sip::AccountConfig {
        let mut config = voicelamp_sip::AccountConfig::new(
            &self.aor,
            &self.registrar_uri,
            &self.contact_user,
            flow,
        );
        config.credentials = password.map(|secret| Credentials {
            username: self.auth_user.clone(),
            password: secret.expose().to_owned(),
        });
        config.register_expires = self.expires;
        config.subscribe_expires = self.expires;
        config.mailboxes = self.mailboxes.clone();
        config.unsolicited = self.unsolicited;
        config.register = self.register;
        config.outbound_proxy = self.outbound_proxy.as_ref().map(|p| p.uri.clone());
        config
    }
}

/// A configured account whose SIP settings cannot be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("account {account}: {field}: {message}")]
pub struct EngineConfigError {
    /// Account id.
    pub account: String,
    /// Field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(aor: &str) -> AccountConfig {
        AccountConfig::new("a", aor)
    }

    fn flow() -> Flow {
        Flow {
            transport: Transport::Udp,
            local: "192.0.2.10:5060".parse().expect("addr"),
            remote: "203.0.113.5:5060".parse().expect("addr"),
        }
    }

    #[test]
    fn registrar_defaults_to_the_aor_host_over_udp() {
        let sip = SipAccount::from_config(&account("sip:alice@PBX.example.com")).expect("sip");
        assert_eq!(sip.registrar_uri, "sip:pbx.example.com");
        assert_eq!(sip.registrar.transport, Transport::Udp);
        assert_eq!(sip.registrar.host, "pbx.example.com");
        assert_eq!(sip.registrar.port, None);
        assert_eq!(sip.registrar.port_or_default(), 5060);
        assert_eq!(sip.auth_user, "alice");
        assert_eq!(sip.contact_user, "alice");
        assert_eq!(sip.mailboxes, ["sip:alice@PBX.example.com"]);
        assert_eq!(sip.next_hop(), &sip.registrar);
    }

    #[test]
    fn sips_aor_gives_a_tls_registrar_on_5061() {
        let sip = SipAccount::from_config(&account("sips:bob@voice.example.net")).expect("sip");
        assert_eq!(sip.registrar_uri, "sips:voice.example.net");
        assert_eq!(sip.registrar.transport, Transport::Tls);
        assert_eq!(sip.registrar.port_or_default(), 5061);
    }

    #[test]
    fn explicit_registrar_transport_port_and_outbound_proxy() {
        let mut config = account("sip:alice@example.com");
        config.registrar = Some("sip:reg.example.com:5070;transport=tcp".into());
        config.outbound_proxy = Some("sip:[2001:db8::5];transport=tls".into());
        config.auth_user = Some("alice-auth".into());
        config.unsolicited = UnsolicitedPolicy::Off;
        config.monitor_own = false;
        config.mailboxes.push(crate::config::MailboxConfig {
            uri: "sip:support@example.com".into(),
            display_name: None,
        });
        let sip = SipAccount::from_config(&config).expect("sip");
        assert_eq!(sip.registrar_uri, "sip:reg.example.com:5070");
        assert_eq!(sip.registrar.transport, Transport::Tcp);
        assert_eq!(sip.registrar.port_or_default(), 5070);
        let proxy = sip.next_hop();
        assert_eq!(proxy.transport, Transport::Tls);
        assert_eq!(proxy.host, "[2001:db8::5]");
        assert_eq!(proxy.port_or_default(), 5061);
        assert_eq!(sip.auth_user, "alice-auth");
        assert_eq!(sip.mailboxes, ["sip:support@example.com"]);
        assert_eq!(sip.unsolicited, UnsolicitedTrust::Never);

        let secret = Secret::new("pw".to_owned());
        let ua = sip.to_sip(flow(), Some(&secret));
        assert_eq!(ua.registrar, "sip:reg.example.com:5070");
        assert_eq!(ua.contact_user, "alice");
        assert_eq!(ua.mailboxes, ["sip:support@example.com"]);
        assert_eq!(
            ua.outbound_proxy.as_deref(),
            Some("sip:[2001:db8::5];transport=tls")
        );
        let credentials = ua.credentials.expect("credentials");
        assert_eq!(credentials.username, "alice-auth");
        assert_eq!(credentials.password, "pw");
        assert_eq!(ua.register_expires, 3600);
        assert!(ua.register);
        assert!(sip.to_sip(flow(), None).credentials.is_none());
        config.register = false;
        let subscribe_only = SipAccount::from_config(&config).expect("sip");
        assert!(!subscribe_only.register);
        assert!(!subscribe_only.to_sip(flow(), None).register);
    }

    #[test]
    fn unusable_transports_are_refused() {
        let target = |uri: &str| ServerTarget::from_uri(&SipUri::parse(uri).expect("uri"));
        assert_eq!(
            target("sip:h;transport=sctp"),
            Err(TargetError::UnknownTransport("sctp".into()))
        );
        assert_eq!(
            target("sips:h;transport=tcp"),
            Err(TargetError::SipsWithoutTls("tcp".into()))
        );
        assert_eq!(
            target("sip:h;transport=TLS").expect("tls").transport,
            Transport::Tls
        );
        let mut secure = account("sips:alice@example.com");
        for (registrar, over) in [
            ("sip:pbx.example.com", "UDP"),
            ("sip:pbx;transport=tcp", "TCP"),
        ] {
            secure.registrar = Some(registrar.into());
            let error = SipAccount::from_config(&secure).expect_err("a plain hop for sips:");
            assert_eq!(error.field, "registrar");
            assert!(
                error.message.contains(&format!("reached over {over}"))
                    && error.message.contains("RFC 3261"),
                "{error}"
            );
        }
        secure.registrar = Some("sip:pbx.example.com;transport=tls".into());
        secure.outbound_proxy = Some("sip:proxy.example.com".into());
        let error = SipAccount::from_config(&secure).expect_err("a plain proxy for sips:");
        assert_eq!(error.field, "outbound_proxy");
        secure.outbound_proxy = Some("sips:proxy.example.com".into());
        let sip = SipAccount::from_config(&secure).expect("TLS on every hop");
        assert_eq!(sip.next_hop().transport, Transport::Tls);

        let mut config = account("sip:alice@example.com");
        config.registrar = Some("sip:h;transport=ws".into());
        let error = SipAccount::from_config(&config).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "account a: registrar: transport \"ws\" is not supported; use udp, tcp or tls"
        );
    }
}
