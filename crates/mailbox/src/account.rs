//! How to reach one IMAP voicemail box: the crate's own small account settings.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A password or token that never shows up in logs: its `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// IMAPS: TLS from the first byte (port 993).
    Tls,
    /// Plain connection upgraded with STARTTLS before login (port 143); refused if not offered.
    StartTls,
    /// No encryption at all. Only for a lab on loopback; must be chosen explicitly.
    Plain,
}

/// One IMAP account.
#[derive(Debug, Clone)]
pub struct ImapAccount {
    /// Server name or address; also the name the certificate must carry.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport protection.
    pub security: Security,
    /// Login name.
    pub user: String,
    /// Password.
    pub password: Secret,
    /// An extra CA (PEM) trusted for this account, besides the platform's roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate for this account. Logged loudly on every connection.
    pub insecure_skip_verify: bool,
}

/// Timing of the IMAP client.
#[derive(Debug, Clone)]
pub struct ImapTiming {
    /// Limit for each step (connect, TLS, greeting, login, each command).
    pub step_timeout: Duration,
    /// IDLE is restarted after this long (servers may drop an IDLE after 30 min).
    pub idle_refresh: Duration,
    /// Polling period of `watch` when the server has no IDLE (or `use_idle` is off).
    pub poll_interval: Duration,
    /// Use IDLE when the server offers it; off forces polling (for servers whose IDLE is broken).
    pub use_idle: bool,
    /// First reconnect delay of `watch`; doubled after each failure up to `backoff_max`.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A watch session that stayed up this long resets the reconnect delay to `backoff_min`;
    /// one that broke sooner (a server that accepts, then drops) keeps doubling it.
    pub stable_after: Duration,
}

impl Default for ImapTiming {
    fn default() -> Self {
        Self {
            step_timeout: Duration::from_secs(20),
            idle_refresh: Duration::from_secs(25 * 60),
            poll_interval: Duration::from_secs(30),
            use_idle: true,
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            stable_after: Duration::from_secs(60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_hidden_from_debug() {
        let a = ImapAccount {
            host: "h".into(),
            port: 1,
            security: Security::Tls,
            user: "u".into(),
            password: "hunter2".into(),
            ca_file: None,
            insecure_skip_verify: false,
        };
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("hunter2") && dbg.contains("***"), "{dbg}");
    }
}
