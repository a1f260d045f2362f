//! The small part of a SIP URI that configuration needs: scheme, user, host, port and the
//! `transport` parameter. Enough to validate what a person typed and to derive where to connect;
//! the full grammar is `voicelamp-sip`'s business.

use std::fmt;

/// `sip:` or `sips:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `sip:`.
    Sip,
    /// `sips:` (TLS on every hop).
    Sips,
}

impl Scheme {
    /// `"sip"` or `"sips"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sip => "sip",
            Self::Sips => "sips",
        }
    }
}

/// A parsed SIP URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SipUri {
    /// Scheme.
    pub scheme: Scheme,
    /// User part, when present (`alice` in `sip:alice@example.com`).
    pub user: Option<String>,
    /// Host: a name, an IPv4 address or an IPv6 address in brackets.
    pub host: String,
    /// Port, when given.
    pub port: Option<u16>,
    /// URI parameters in order, names lower case (`transport=tls` → `("transport", Some("tls"))`).
    pub params: Vec<(String, Option<String>)>,
}

/// Why a string is not a usable SIP URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// Neither `sip:` nor `sips:`.
    #[error(
        "\"{0}\" is not a SIP URI: it must start with sip: or sips: (e.g. sip:alice@example.com)"
    )]
    Scheme(String),
    /// No host after the scheme and user.
    #[error("\"{0}\" has no host")]
    NoHost(String),
    /// The host has characters a host name or address cannot have.
    #[error("\"{uri}\" has an invalid host \"{host}\"")]
    Host {
        /// The URI.
        uri: String,
        /// The host as written.
        host: String,
    },
    /// The port is not a number from 1 to 65535.
    #[error("\"{uri}\" has an invalid port \"{port}\"")]
    Port {
        /// The URI.
        uri: String,
        /// The port as written.
        port: String,
    },
    /// The user part is empty or has spaces or other characters SIP does not allow unescaped.
    #[error("\"{0}\" has an invalid user part")]
    User(String),
    /// Headers (`?`) or whitespace, which configuration does not accept.
    #[error(
        "\"{0}\" contains whitespace, angle brackets or headers (?), which are not accepted here"
    )]
    Characters(String),
}

impl SipUri {
    /// Parses `sip:[user@]host[:port][;params]`. Scheme and parameter names are case-insensitive.
    pub fn parse(text: &str) -> Result<Self, UriError> {
        let owned = || text.to_owned();
        if text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '?' | '"'))
        {
            return Err(UriError::Characters(owned()));
        }
        let (scheme, rest) = match text.split_once(':') {
            Some((s, rest)) if s.eq_ignore_ascii_case("sip") => (Scheme::Sip, rest),
            Some((s, rest)) if s.eq_ignore_ascii_case("sips") => (Scheme::Sips, rest),
            _ => return Err(UriError::Scheme(owned())),
        };
        let (userhost, params) = match rest.split_once(';') {
            Some((uh, p)) => (uh, Some(p)),
            None => (rest, None),
        };
        let (user, hostport) = match userhost.rsplit_once('@') {
            Some((user, hp)) => {
                // Password in the user part (`user:pw@`) is not accepted: no secret in configuration.
                if user.is_empty() || user.contains(':') || user.contains('@') {
                    return Err(UriError::User(owned()));
                }
                (Some(user.to_owned()), hp)
            }
            None => (None, userhost),
        };
        if hostport.is_empty() {
            return Err(UriError::NoHost(owned()));
        }
        let (host, port) = if let Some(after) = hostport.strip_prefix('[') {
            let Some((addr, tail)) = after.split_once(']') else {
                return Err(UriError::Host {
                    uri: owned(),
                    host: hostport.to_owned(),
                });
            };
            if addr.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(UriError::Host {
                    uri: owned(),
                    host: hostport.to_owned(),
                });
            }
            let port = match tail {
                "" => None,
                t => Some(t.strip_prefix(':').unwrap_or(t)),
            };
            (format!("[{addr}]"), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (hostport.to_owned(), None),
            }
        };
        if host.is_empty() {
            return Err(UriError::NoHost(owned()));
        }
        if !host.starts_with('[') && !valid_host_name(&host) {
            return Err(UriError::Host { uri: owned(), host });
        }
        let port = match port {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(UriError::Port {
                        uri: owned(),
                        port: p.to_owned(),
                    });
                }
            },
        };
        let params = params
            .map(|p| {
                p.split(';')
                    .filter(|s| !s.is_empty())
                    .map(|kv| match kv.split_once('=') {
                        Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_owned())),
                        None => (kv.to_ascii_lowercase(), None),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            scheme,
            user,
            host: host.to_ascii_lowercase(),
            port,
            params,
        })
    }

    /// The value of a parameter, by lower-case name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// `scheme:host[:port]`, without user and parameters (e.g. a REGISTER Request-URI).
    pub fn host_uri(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{}:{port}", self.scheme.as_str(), self.host),
            None => format!("{}:{}", self.scheme.as_str(), self.host),
        }
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        f.write_str(":")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        for (k, v) in &self.params {
            match v {
                Some(v) => write!(f, ";{k}={v}")?,
                None => write!(f, ";{k}")?,
            }
        }
        Ok(())
    }
}

fn valid_host_name(host: &str) -> bool {
    host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    }) || host.ends_with('.') && valid_host_name(&host[..host.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_host_port_and_transport() {
        let uri = SipUri::parse("sip:alice@PBX.example.com:5080;transport=TCP;lr").expect("uri");
        assert_eq!(uri.scheme, Scheme::Sip);
        assert_eq!(uri.user.as_deref(), Some("alice"));
        assert_eq!(uri.host, "pbx.example.com");
        assert_eq!(uri.port, Some(5080));
        assert_eq!(uri.param("transport"), Some("TCP"));
        assert_eq!(uri.param("lr"), None);
        assert_eq!(uri.host_uri(), "sip:pbx.example.com:5080");
        assert_eq!(
            uri.to_string(),
            "sip:alice@pbx.example.com:5080;transport=TCP;lr"
        );
    }

    #[test]
    fn parses_ipv6_and_star_codes() {
        let uri = SipUri::parse("sips:[2001:db8::1]:5061").expect("uri");
        assert_eq!(uri.scheme, Scheme::Sips);
        assert_eq!(uri.host, "[2001:db8::1]");
        assert_eq!(uri.port, Some(5061));
        let uri = SipUri::parse("sip:*97@192.0.2.1").expect("uri");
        assert_eq!(uri.user.as_deref(), Some("*97"));
        assert_eq!(uri.host, "192.0.2.1");
    }

    #[test]
    fn rejects_what_is_not_a_sip_uri() {
        for bad in [
            "alice@example.com",
            "tel:+15551234",
            "sip:",
            "sip:alice@",
            "sip:alice@exa mple.com",
            "sip:alice@example.com:0",
            "sip:alice@example.com:99999",
            "sip:alice:secret@example.com",
            "sip:alice@[not-v6]",
            "sip:alice@example.com?subject=x",
            "sip:alice@-bad-.com",
        ] {
            assert!(SipUri::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}

/// The number or address a `sip:`, `sips:` or `tel:` link (from a web page or another app) asks
/// to call, as a person reads it: `sip:1234@pbx.example.com` → `1234`, `tel:+1-555-0100` →
/// `+1-555-0100`. `None` for anything else, for control characters, or beyond 256 characters.
pub fn dial_target(link: &str) -> Option<String> {
    let link = link.trim();
    if link.len() > 256 || link.chars().any(char::is_control) {
        return None;
    }
    let (scheme, rest) = link.split_once(':')?;
    let rest = match scheme.to_ascii_lowercase().as_str() {
        "tel" => rest.split(';').next().unwrap_or_default(),
        "sip" | "sips" => {
            let uri = SipUri::parse(link).ok()?;
            return Some(uri.user.unwrap_or(uri.host));
        }
        _ => return None,
    };
    let number = rest.trim();
    let allowed = |c: char| c.is_ascii_digit() || "+-.()*# ".contains(c);
    (!number.is_empty() && number.chars().all(allowed)).then(|| number.to_owned())
}

#[cfg(test)]
mod dial_tests {
    use super::dial_target;

    #[test]
    fn links_become_what_to_dial() {
        assert_eq!(
            dial_target("sip:1234@pbx.example.com").as_deref(),
            Some("1234")
        );
        assert_eq!(
            dial_target("sips:alice@example.com;transport=tls").as_deref(),
            Some("alice")
        );
        assert_eq!(
            dial_target("tel:+1-555-0100").as_deref(),
            Some("+1-555-0100")
        );
        assert_eq!(
            dial_target("TEL:*97;phone-context=pbx").as_deref(),
            Some("*97")
        );
        for bad in [
            "http://x",
            "tel:",
            "tel:abc",
            "sip:",
            "mailto:a@b",
            "tel:1\n2",
            "--minimized",
        ] {
            assert_eq!(dial_target(bad), None, "{bad}");
        }
        assert_eq!(dial_target(&format!("tel:{}", "1".repeat(300))), None);
    }
}
