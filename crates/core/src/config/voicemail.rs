//! `[accounts.voicemail]`: where an account's voicemail messages are kept (an IMAP server), how
//! to log in, which folders to show, and which sources drive the account's lamp.

use super::ConfigError;
use super::read::{ErrAt, non_empty, password_source};
use super::write::{password_env, password_file};
use super::{PasswordSource, TlsConfig};
use serde::{Deserialize, Serialize};
use std::path::Path;
use toml::Spanned;

/// Default port of `imaps://`.
pub const IMAPS_PORT: u16 = 993;
/// Default port of `imap://`.
pub const IMAP_PORT: u16 = 143;

/// How the connection to the IMAP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapSecurity {
    /// `imaps://`: TLS from the first byte.
    Tls,
    /// `imap://`: upgraded with STARTTLS before login; refused if the server does not offer it.
    StartTls,
    /// `imap://` with `allow_plaintext = true`: no encryption at all (a lab on loopback only).
    Plain,
}

/// What may drive an account's lamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LampFeed {
    /// SIP message-waiting (subscriptions and unsolicited NOTIFYs).
    Sip,
    /// Unheard counts of the IMAP voicemail store.
    Imap,
}

/// The voicemail store of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailConfig {
    /// Server host name or address (without brackets for IPv6).
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport protection.
    pub security: ImapSecurity,
    /// Login name; the account's authentication user when absent.
    pub user: Option<String>,
    /// Own password source; the account's SIP password when absent. `Keyring` means the OS
    /// keyring under the key `<account id>.voicemail`.
    pub password: Option<PasswordSource>,
    /// Folders to show, in this order; every folder the server has when empty.
    pub folders: Vec<String>,
    /// What drives the lamp; see [`VoicemailConfig::lamp_feeds`] for the default.
    pub lamp_sources: Option<Vec<LampFeed>>,
    /// TLS settings for the mail server; the account's `[accounts.tls]` when absent.
    pub tls: Option<TlsConfig>,
    /// Senders whose mail is voicemail even without Asterisk headers or an audio attachment:
    /// addresses (`voicemail@carrier.example`) or domains (`@carrier.example`).
    pub match_from: Vec<String>,
    /// Subject text (any case) that makes a message voicemail, e.g. `"New voicemail"`.
    pub match_subject: Vec<String>,
}

impl VoicemailConfig {
    /// A store at `imaps://host` with every default.
    pub fn imaps(host: &str) -> Self {
        Self {
            host: host.to_owned(),
            port: IMAPS_PORT,
            security: ImapSecurity::Tls,
            user: None,
            password: None,
            folders: Vec::new(),
            lamp_sources: None,
            tls: None,
            match_from: Vec::new(),
            match_subject: Vec::new(),
        }
    }

    /// The server as a URL: `imaps://host:port` or `imap://host:port`.
    pub fn url(&self) -> String {
        let scheme = match self.security {
            ImapSecurity::Tls => "imaps",
            ImapSecurity::StartTls | ImapSecurity::Plain => "imap",
        };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    /// What drives the lamp: `lamp_sources` when set; otherwise SIP for an account that registers
    /// (its server sends MWI; the IMAP store is only browsed), and SIP plus IMAP for one with
    /// `register = false`, whose MWI depends on another registration and may never come.
    pub fn lamp_feeds(&self, register: bool) -> Vec<LampFeed> {
        match &self.lamp_sources {
            Some(list) => list.clone(),
            None if register => vec![LampFeed::Sip],
            None => vec![LampFeed::Sip, LampFeed::Imap],
        }
    }
}

/// The table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVoicemail {
    imap: Spanned<String>,
    #[serde(default)]
    allow_plaintext: bool,
    user: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    #[serde(default)]
    password_keyring: bool,
    #[serde(default)]
    folders: Vec<Spanned<String>>,
    lamp_sources: Option<Spanned<Vec<LampFeed>>>,
    tls: Option<TlsConfig>,
    #[serde(default)]
    match_from: Vec<Spanned<String>>,
    #[serde(default)]
    match_subject: Vec<Spanned<String>>,
}

/// Validates `[accounts.voicemail]`; field names in errors are relative to the account.
pub(super) fn validate(
    raw: RawVoicemail,
    base: &Path,
    err: &ErrAt<'_>,
) -> Result<VoicemailConfig, ConfigError> {
    let span = raw.imap.span();
    let (host, port, security) = parse_url(raw.imap.get_ref(), raw.allow_plaintext)
        .map_err(|message| err(span.clone(), "voicemail.imap", message))?;
    let user = non_empty(
        raw.user,
        err,
        "voicemail.user",
        "leave it out to log in as the account's user",
    )?;
    let keyring_span = raw
        .password_env
        .as_ref()
        .or(raw.password_file.as_ref())
        .map_or(span.clone(), Spanned::span);
    let password =
        match password_source(raw.password_env, raw.password_file, base, err, "voicemail.")? {
            Some(_) if raw.password_keyring => {
                return Err(err(
                    keyring_span,
                    "voicemail.password_keyring",
                    "password_keyring and password_env or password_file are both set; keep one"
                        .into(),
                ));
            }
            Some(source) => Some(source),
            None if raw.password_keyring => Some(PasswordSource::Keyring),
            None => None,
        };
    let mut folders: Vec<String> = Vec::with_capacity(raw.folders.len());
    for (i, folder) in raw.folders.into_iter().enumerate() {
        let field = format!("voicemail.folders[{i}]");
        if folder.get_ref().trim().is_empty() {
            return Err(err(folder.span(), &field, "a folder name is empty".into()));
        }
        if folders.contains(folder.get_ref()) {
            return Err(err(
                folder.span(),
                &field,
                format!("the folder \"{}\" is listed twice", folder.get_ref()),
            ));
        }
        folders.push(folder.into_inner());
    }
    let lamp_sources = match raw.lamp_sources {
        Some(list) if list.get_ref().is_empty() => {
            return Err(err(
                list.span(),
                "voicemail.lamp_sources",
                "lists nothing, so the lamp would never light; use [\"sip\"], [\"imap\"] or both"
                    .into(),
            ));
        }
        Some(list) => {
            let mut unique: Vec<LampFeed> = Vec::with_capacity(2);
            for feed in list.get_ref() {
                if !unique.contains(feed) {
                    unique.push(*feed);
                }
            }
            if unique.len() != list.get_ref().len() {
                return Err(err(
                    list.span(),
                    "voicemail.lamp_sources",
                    "names a source twice".into(),
                ));
            }
            Some(unique)
        }
        None => None,
    };
    let match_from = rules(raw.match_from, err, "voicemail.match_from", |rule| {
        let address = rule.strip_prefix('@').unwrap_or(rule);
        if address.contains(char::is_whitespace) || address.is_empty() {
            Some("is not an address (voicemail@pbx.example.com) or a domain (@pbx.example.com)")
        } else if rule.starts_with('@') && address.contains('@') {
            Some("names a domain with two @; write @pbx.example.com")
        } else if !rule.starts_with('@') && !address.contains('@') {
            Some(
                "is neither an address nor a domain; write voicemail@pbx.example.com or @pbx.example.com",
            )
        } else {
            None
        }
    })?;
    let match_subject = rules(raw.match_subject, err, "voicemail.match_subject", |_| None)?;
    let tls = raw.tls.map(|t| TlsConfig {
        ca_file: t.ca_file.map(|p| super::read::resolve_path(base, &p)),
        insecure_skip_verify: t.insecure_skip_verify,
    });
    Ok(VoicemailConfig {
        host,
        port,
        security,
        user,
        password,
        folders,
        lamp_sources,
        tls,
        match_from,
        match_subject,
    })
}

/// A list of non-empty rules, each checked by `bad` (what is wrong with it, in words).
fn rules(
    raw: Vec<Spanned<String>>,
    err: &ErrAt<'_>,
    field: &str,
    bad: impl Fn(&str) -> Option<&'static str>,
) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, rule) in raw.into_iter().enumerate() {
        let text = rule.get_ref().trim();
        let problem = if text.is_empty() {
            Some("is empty, so it would match nothing; remove it")
        } else {
            bad(text)
        };
        if let Some(problem) = problem {
            return Err(err(
                rule.span(),
                &format!("{field}[{i}]"),
                format!("\"{}\" {problem}", rule.get_ref()),
            ));
        }
        out.push(text.to_owned());
    }
    Ok(out)
}

/// `imaps://host[:port]` or `imap://host[:port]` (IPv6 in brackets); nothing else. Returns
/// host, port and security, or what is wrong in words.
pub fn parse_url(text: &str, allow_plaintext: bool) -> Result<(String, u16, ImapSecurity), String> {
    let shape = "write it as imaps://mail.example.com (port 993) or imap://mail.example.com \
                 (port 143, STARTTLS)";
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("\"{text}\" is not an IMAP URL; {shape}"))?;
    let (security, default_port) = match scheme.to_ascii_lowercase().as_str() {
        "imaps" if allow_plaintext => {
            return Err(
                "allow_plaintext is set but the URL is imaps://; leave allow_plaintext out".into(),
            );
        }
        "imaps" => (ImapSecurity::Tls, IMAPS_PORT),
        "imap" if allow_plaintext => (ImapSecurity::Plain, IMAP_PORT),
        "imap" => (ImapSecurity::StartTls, IMAP_PORT),
        other => return Err(format!("the scheme \"{other}\" is not IMAP; {shape}")),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '@', '?', '#']) || rest.is_empty() {
        return Err(format!(
            "\"{text}\" must name only the server (no user, folder or path: the login goes in \
             user, folders in folders); {shape}"
        ));
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("\"{text}\" has an unclosed [ in its host"))?;
        (host, after.strip_prefix(':'))
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("\"{text}\" has no usable host; {shape}"));
    }
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("\"{p}\" is not a port number (1 to 65535)"))?,
    };
    Ok((host.to_owned(), port, security))
}

/// The table as written back.
#[derive(Serialize)]
pub(super) struct VoicemailOut<'a> {
    imap: String,
    #[serde(skip_serializing_if = "super::is_false")]
    allow_plaintext: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_env: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_file: Option<&'a Path>,
    #[serde(skip_serializing_if = "super::is_false")]
    password_keyring: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    folders: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    lamp_sources: Option<&'a [LampFeed]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<&'a TlsConfig>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    match_from: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    match_subject: &'a [String],
}

impl<'a> From<&'a VoicemailConfig> for VoicemailOut<'a> {
    fn from(v: &'a VoicemailConfig) -> Self {
        Self {
            imap: v.url(),
            allow_plaintext: v.security == ImapSecurity::Plain,
            user: v.user.as_deref(),
            password_env: password_env(v.password.as_ref()),
            password_file: password_file(v.password.as_ref()),
            password_keyring: v.password == Some(PasswordSource::Keyring),
            folders: &v.folders,
            lamp_sources: v.lamp_sources.as_deref(),
            tls: v.tls.as_ref(),
            match_from: &v.match_from,
            match_subject: &v.match_subject,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let ok = |t: &str, plain| parse_url(t, plain).expect(t);
        assert_eq!(
            ok("imaps://mail.example.com", false),
            ("mail.example.com".into(), 993, ImapSecurity::Tls)
        );
        assert_eq!(
            ok("imap://h:1143/", false),
            ("h".into(), 1143, ImapSecurity::StartTls)
        );
        assert_eq!(
            ok("IMAP://[::1]:31143", true),
            ("::1".into(), 31143, ImapSecurity::Plain)
        );
        for bad in [
            "mail.example.com",
            "http://h",
            "imaps://",
            "imaps://u@h",
            "imaps://h/INBOX",
            "imaps://h:0",
            "imaps://h:99999",
            "imaps://[::1",
        ] {
            assert!(parse_url(bad, false).is_err(), "{bad}");
        }
        assert!(parse_url("imaps://h", true).is_err());
    }

    #[test]
    fn url_round_trips() {
        let mut v = VoicemailConfig::imaps("::1");
        v.port = 31993;
        assert_eq!(v.url(), "imaps://[::1]:31993");
        assert_eq!(
            parse_url(&v.url(), false).unwrap(),
            ("::1".into(), 31993, ImapSecurity::Tls)
        );
    }

    #[test]
    fn default_lamp_feeds_follow_registration() {
        let mut v = VoicemailConfig::imaps("h");
        assert_eq!(v.lamp_feeds(true), [LampFeed::Sip]);
        assert_eq!(v.lamp_feeds(false), [LampFeed::Sip, LampFeed::Imap]);
        v.lamp_sources = Some(vec![LampFeed::Imap]);
        assert_eq!(v.lamp_feeds(true), [LampFeed::Imap]);
    }
}
