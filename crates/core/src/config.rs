//! The configuration file: accounts, the mailboxes they monitor and where their passwords come
//! from, in one TOML file (`docs/config.md` describes every field).
//!
//! There is no secret in the configuration: a password comes from an environment variable, a
//! file readable only by its owner, or the OS keyring (see [`crate::secrets`]).
//! [`Config::to_toml`] therefore cannot write one.
//!
//! Errors say where: `path:line:column: field: message`.

use crate::engine_config::{ServerTarget, TargetError};
use crate::sip_uri::SipUri;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name inside the OS configuration directory.
pub const FILE_NAME: &str = "config.toml";
/// The directory name inside the OS configuration directory.
pub const DIR_NAME: &str = "voicelamp";
/// Default registration and subscription expiry in seconds.
pub const DEFAULT_EXPIRES: u32 = 3600;
/// Shortest accepted expiry (RFC 3261 suggests servers refuse less than 60 s).
pub const MIN_EXPIRES: u32 = 60;
/// Longest accepted expiry.
pub const MAX_EXPIRES: u32 = 86_400;
/// Longest account id.
pub const MAX_ID_LEN: usize = 64;

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Accounts in file order (ids are unique).
    pub accounts: Vec<AccountConfig>,
    /// Notification settings.
    pub notifications: NotificationSettings,
}

/// One SIP account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountConfig {
    /// Unique id, `[a-z0-9_-]`, used in events, the CLI and as the keyring key.
    pub id: String,
    /// Name shown to people; the id when absent.
    pub display_name: Option<String>,
    /// Address of record (`sip:` or `sips:` URI).
    pub aor: String,
    /// Authentication user name; the AOR's user part when absent.
    pub auth_user: Option<String>,
    /// Registrar URI, optionally with `;transport=udp|tcp|tls`; derived from the AOR host when
    /// absent.
    pub registrar: Option<String>,
    /// Outbound proxy URI: every request is sent there.
    pub outbound_proxy: Option<String>,
    /// Whether to register (default true).
    pub register: bool,
    /// Whether the account's own AOR is monitored (default true).
    pub monitor_own: bool,
    /// Further monitored mailboxes (shared ones such as `sip:support@pbx`).
    pub mailboxes: Vec<MailboxConfig>,
    /// The number dialled to reach voicemail, e.g. `*97`.
    pub voicemail_access_code: Option<String>,
    /// Which unsolicited NOTIFYs are accepted.
    pub unsolicited: UnsolicitedPolicy,
    /// TLS settings.
    pub tls: TlsConfig,
    /// Local port; 0 is an ephemeral port.
    pub local_port: u16,
    /// Requested registration and subscription expiry in seconds.
    pub expires: u32,
    /// Where the password comes from.
    pub password: PasswordSource,
}

/// A monitored mailbox as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailboxConfig {
    /// Mailbox URI (`sip:support@pbx.example.com`).
    pub uri: String,
    /// Name shown to people; the URI when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// A mailbox the account monitors, own AOR included, with the name to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoredMailbox {
    /// Mailbox URI.
    pub uri: String,
    /// Name to show.
    pub display_name: String,
    /// Whether this is the account's own AOR.
    pub own: bool,
}

/// Trust in unsolicited (out-of-dialog) `message-summary` NOTIFYs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsolicitedPolicy {
    /// Accept only what arrives over the flow to the registrar or outbound proxy (default).
    #[default]
    Registrar,
    /// Accept from any address, as long as it names this account.
    Any,
    /// Refuse all unsolicited NOTIFYs.
    Off,
}

/// TLS settings of an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// A PEM file of CA certificates trusted in addition to the platform's roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// **Dangerous**: accept any certificate. Anyone on the path can then read and change the
    /// traffic, including the digest exchange. For lab use only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub insecure_skip_verify: bool,
}

/// Where an account's password comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PasswordSource {
    /// The OS keyring, service `voicelamp`, the account id as key (default).
    #[default]
    Keyring,
    /// An environment variable of this name.
    Env(String),
    /// A file readable only by its owner (mode 0600 or stricter on Unix); one line.
    File(PathBuf),
}

/// How much a notification reveals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyLevel {
    /// Only that there are new messages and how many (default).
    #[default]
    CountOnly,
    /// Also the caller's number and name.
    Caller,
    /// Also the caller and the message's duration.
    CallerAndDuration,
}

/// A daily period without notification sounds or pop-ups, in local time (`"22:00"`–`"07:00"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Start, `HH:MM`.
    pub start: String,
    /// End, `HH:MM` (may be earlier than the start: the period spans midnight).
    pub end: String,
}

/// The `[notifications]` section (a placeholder for the notification policy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// How much a notification reveals.
    #[serde(default)]
    pub privacy: PrivacyLevel,
    /// Quiet hours, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file does not exist.
    #[error(
        "{}: no configuration file; create it with at least one [[accounts]] entry (see docs/config.md)",
        path.display()
    )]
    NotFound {
        /// The path looked at.
        path: PathBuf,
    },
    /// The file exists but cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The OS has no configuration directory (no home directory).
    #[error(
        "this system has no configuration directory (is HOME set?); pass the configuration file's path explicitly"
    )]
    NoConfigDir,
    /// The content is wrong at a position.
    #[error("{}", Located { path, line: *line, column: *column, field: field.as_deref(), message })]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column (characters), from 1.
        column: usize,
        /// The field, as a path such as `accounts[1].registrar`, when known.
        field: Option<String>,
        /// What is wrong and, where possible, how to fix it.
        message: String,
    },
}

struct Located<'a> {
    path: &'a Path,
    line: usize,
    column: usize,
    field: Option<&'a str>,
    message: &'a str,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.line, self.column)?;
        if let Some(field) = self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(self.message)
    }
}

impl Config {
    /// The default file: `<OS config dir>/voicelamp/config.toml` (on Linux
    /// `$XDG_CONFIG_HOME/voicelamp/config.toml`, usually `~/.config/voicelamp/config.toml`).
    pub fn default_path() -> Result<PathBuf, ConfigError> {
        dirs::config_dir()
            .map(|dir| dir.join(DIR_NAME).join(FILE_NAME))
            .ok_or(ConfigError::NoConfigDir)
    }

    /// Reads the file at the default path.
    pub fn load_default() -> Result<Self, ConfigError> {
        Self::load(&Self::default_path()?)
    }

    /// Reads and validates a file. Relative `password_file` and `tls.ca_file` paths are taken
    /// relative to the file's directory and kept as absolute paths.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_owned(),
                }
            } else {
                ConfigError::Io {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        Self::from_toml_str(&text, path)
    }

    /// Parses and validates TOML text; `path` is used in error messages and to resolve relative
    /// paths (it need not exist).
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            located(
                path,
                text,
                span.clone(),
                field_at(text, span.start),
                clean_message(e.message()),
            )
        })?;
        let parent = path.parent().unwrap_or(Path::new(""));
        let base = std::path::absolute(parent).unwrap_or_else(|_| parent.to_owned());
        let base = base.as_path();
        let mut accounts: Vec<AccountConfig> = Vec::with_capacity(raw.accounts.len());
        let mut ids = HashSet::new();
        for (index, account) in raw.accounts.into_iter().enumerate() {
            let err = |span: Range<usize>, field: &str, message: String| {
                located(
                    path,
                    text,
                    span,
                    Some(format!("accounts[{index}].{field}")),
                    message,
                )
            };
            let account = validate_account(account, base, &err)?;
            if !ids.insert(account.0.id.clone()) {
                return Err(err(
                    account.1,
                    "id",
                    format!(
                        "the id \"{}\" is used by another account; ids must be unique",
                        account.0.id
                    ),
                ));
            }
            accounts.push(account.0);
        }
        if let Some(quiet) = &raw.notifications.get_ref().quiet_hours {
            for (field, value) in [("start", &quiet.start), ("end", &quiet.end)] {
                if parse_hh_mm(value).is_none() {
                    return Err(located(
                        path,
                        text,
                        raw.notifications.span(),
                        Some(format!("notifications.quiet_hours.{field}")),
                        format!(
                            "\"{value}\" is not a time of day; write it as HH:MM, e.g. \"22:00\""
                        ),
                    ));
                }
            }
        }
        Ok(Self {
            accounts,
            notifications: raw.notifications.into_inner(),
        })
    }

    /// The configuration as TOML. It contains no secret: passwords are never part of it, only
    /// where they come from.
    pub fn to_toml(&self) -> String {
        let out = ConfigOut {
            notifications: &self.notifications,
            accounts: self.accounts.iter().map(AccountOut::from).collect(),
        };
        // Serializing plain strings, numbers, booleans and tables cannot fail.
        toml::to_string_pretty(&out).unwrap_or_default()
    }

    /// Writes [`Config::to_toml`] to `path`, creating its directory.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let io = |source| ConfigError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(path, self.to_toml()).map_err(io)
    }

    /// The account with this id.
    pub fn account(&self, id: &str) -> Option<&AccountConfig> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

impl AccountConfig {
    /// An account with every default: registers, monitors its own AOR, password from the keyring.
    pub fn new(id: &str, aor: &str) -> Self {
        Self {
            id: id.to_owned(),
            display_name: None,
            aor: aor.to_owned(),
            auth_user: None,
            registrar: None,
            outbound_proxy: None,
            register: true,
            monitor_own: true,
            mailboxes: Vec::new(),
            voicemail_access_code: None,
            unsolicited: UnsolicitedPolicy::default(),
            tls: TlsConfig::default(),
            local_port: 0,
            expires: DEFAULT_EXPIRES,
            password: PasswordSource::default(),
        }
    }

    /// The name to show: `display_name`, else the id.
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.id)
    }

    /// Every monitored mailbox in order: the own AOR first (unless `monitor_own = false`), then
    /// the configured ones; a configured entry for the AOR itself only lends it its name.
    pub fn monitored_mailboxes(&self) -> Vec<MonitoredMailbox> {
        let mut out = Vec::with_capacity(self.mailboxes.len() + 1);
        let own_entry = self.mailboxes.iter().find(|m| same_uri(&m.uri, &self.aor));
        if self.monitor_own || own_entry.is_some() {
            out.push(MonitoredMailbox {
                uri: self.aor.clone(),
                display_name: own_entry
                    .and_then(|m| m.display_name.clone())
                    .unwrap_or_else(|| self.name().to_owned()),
                own: true,
            });
        }
        for mailbox in &self.mailboxes {
            if same_uri(&mailbox.uri, &self.aor) {
                continue;
            }
            out.push(MonitoredMailbox {
                uri: mailbox.uri.clone(),
                display_name: mailbox
                    .display_name
                    .clone()
                    .unwrap_or_else(|| mailbox.uri.clone()),
                own: false,
            });
        }
        out
    }
}

/// Whether two SIP URIs name the same resource (scheme, user, host and port; host case and
/// parameters ignored). Strings that do not parse compare verbatim.
pub fn same_uri(a: &str, b: &str) -> bool {
    match (SipUri::parse(a), SipUri::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.scheme == b.scheme && a.user == b.user && a.host == b.host && a.port == b.port
        }
        _ => a == b,
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn yes() -> bool {
    true
}

/// Parses `HH:MM` (24 h).
pub fn parse_hh_mm(text: &str) -> Option<(u8, u8)> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u8 = h.parse().ok()?;
    let m: u8 = m.parse().ok()?;
    (h < 24 && m < 60).then_some((h, m))
}

// ---- reading ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    accounts: Vec<RawAccount>,
    #[serde(default = "default_notifications")]
    notifications: Spanned<NotificationSettings>,
}

fn default_notifications() -> Spanned<NotificationSettings> {
    Spanned::new(0..0, NotificationSettings::default())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    id: Spanned<String>,
    display_name: Option<String>,
    aor: Spanned<String>,
    auth_user: Option<Spanned<String>>,
    registrar: Option<Spanned<String>>,
    outbound_proxy: Option<Spanned<String>>,
    #[serde(default = "yes")]
    register: bool,
    #[serde(default = "yes")]
    monitor_own: bool,
    #[serde(default)]
    mailboxes: Vec<RawMailbox>,
    voicemail_access_code: Option<Spanned<String>>,
    #[serde(default)]
    unsolicited: UnsolicitedPolicy,
    #[serde(default)]
    tls: TlsConfig,
    #[serde(default)]
    local_port: u16,
    expires: Option<Spanned<u32>>,
    password_env: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMailbox {
    uri: Spanned<String>,
    display_name: Option<String>,
}

type ErrAt<'a> = dyn Fn(Range<usize>, &str, String) -> ConfigError + 'a;

fn validate_account(
    raw: RawAccount,
    base: &Path,
    err: &ErrAt<'_>,
) -> Result<(AccountConfig, Range<usize>), ConfigError> {
    let id_span = raw.id.span();
    let id = raw.id.into_inner();
    if id.is_empty()
        || id.len() > MAX_ID_LEN
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(err(
            id_span,
            "id",
            format!(
                "\"{id}\" is not a valid account id: use 1 to {MAX_ID_LEN} characters from a-z, 0-9, - and _"
            ),
        ));
    }
    let aor_span = raw.aor.span();
    let aor = raw.aor.into_inner();
    let aor_uri = SipUri::parse(&aor).map_err(|e| err(aor_span.clone(), "aor", e.to_string()))?;
    if aor_uri.user.is_none() {
        return Err(err(
            aor_span,
            "aor",
            format!(
                "\"{aor}\" has no user part; an address of record looks like sip:alice@example.com"
            ),
        ));
    }
    let auth_user = match raw.auth_user {
        Some(user) if user.get_ref().trim().is_empty() => {
            return Err(err(
                user.span(),
                "auth_user",
                "must not be empty; leave it out to use the AOR's user".into(),
            ));
        }
        other => other.map(Spanned::into_inner),
    };
    let check_server = |value: Option<Spanned<String>>,
                        field: &str|
     -> Result<Option<String>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let span = value.span();
        let text = value.into_inner();
        let uri = SipUri::parse(&text).map_err(|e| err(span.clone(), field, e.to_string()))?;
        ServerTarget::from_uri(&uri).map_err(|e: TargetError| err(span, field, e.to_string()))?;
        Ok(Some(text))
    };
    let registrar = check_server(raw.registrar, "registrar")?;
    let outbound_proxy = check_server(raw.outbound_proxy, "outbound_proxy")?;
    if registrar.is_none() {
        // The derived registrar must be usable too (a sips: AOR gives a sips: registrar).
        ServerTarget::from_uri(&aor_uri)
            .map_err(|e| err(aor_span.clone(), "aor", e.to_string()))?;
    }
    let mut mailboxes: Vec<MailboxConfig> = Vec::with_capacity(raw.mailboxes.len());
    for (i, mailbox) in raw.mailboxes.into_iter().enumerate() {
        let span = mailbox.uri.span();
        let uri = mailbox.uri.into_inner();
        let field = format!("mailboxes[{i}].uri");
        SipUri::parse(&uri).map_err(|e| err(span.clone(), &field, e.to_string()))?;
        if mailboxes.iter().any(|m| same_uri(&m.uri, &uri)) {
            return Err(err(
                span,
                &field,
                format!("the mailbox {uri} is listed twice"),
            ));
        }
        mailboxes.push(MailboxConfig {
            uri,
            display_name: mailbox.display_name,
        });
    }
    let voicemail_access_code = match raw.voicemail_access_code {
        None => None,
        Some(code) => {
            let valid = !code.get_ref().is_empty()
                && code.get_ref().len() <= 32
                && code
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
            if !valid {
                return Err(err(
                    code.span(),
                    "voicemail_access_code",
                    format!(
                        "\"{}\" is not a dialable code; use digits, * and #, e.g. \"*97\"",
                        code.get_ref()
                    ),
                ));
            }
            Some(code.into_inner())
        }
    };
    let expires = match raw.expires {
        None => DEFAULT_EXPIRES,
        Some(e) if (MIN_EXPIRES..=MAX_EXPIRES).contains(e.get_ref()) => e.into_inner(),
        Some(e) => {
            return Err(err(
                e.span(),
                "expires",
                format!(
                    "{} seconds is out of range; use {MIN_EXPIRES} to {MAX_EXPIRES}",
                    e.get_ref()
                ),
            ));
        }
    };
    let password = match (raw.password_env, raw.password_file) {
        (Some(_), Some(file)) => {
            return Err(err(
                file.span(),
                "password_file",
                "password_env and password_file are both set; keep exactly one (or neither, for the OS keyring)".into(),
            ));
        }
        (Some(var), None) => {
            let valid = !var.get_ref().is_empty()
                && !var.get_ref().contains(['=', '\0'])
                && !var.get_ref().chars().any(char::is_whitespace);
            if !valid {
                return Err(err(
                    var.span(),
                    "password_env",
                    format!("\"{}\" is not an environment variable name", var.get_ref()),
                ));
            }
            PasswordSource::Env(var.into_inner())
        }
        (None, Some(file)) => {
            if file.get_ref().is_empty() {
                return Err(err(
                    file.span(),
                    "password_file",
                    "must not be empty".into(),
                ));
            }
            PasswordSource::File(base.join(file.into_inner()))
        }
        (None, None) => PasswordSource::Keyring,
    };
    let tls = TlsConfig {
        ca_file: raw.tls.ca_file.map(|p| base.join(p)),
        insecure_skip_verify: raw.tls.insecure_skip_verify,
    };
    let account = AccountConfig {
        id,
        display_name: raw.display_name,
        aor,
        auth_user,
        registrar,
        outbound_proxy,
        register: raw.register,
        monitor_own: raw.monitor_own,
        mailboxes,
        voicemail_access_code,
        unsolicited: raw.unsolicited,
        tls,
        local_port: raw.local_port,
        expires,
        password,
    };
    if account.monitored_mailboxes().is_empty() {
        return Err(err(
            id_span,
            "mailboxes",
            "the account monitors no mailbox: monitor_own is false and no [[accounts.mailboxes]] is listed".into(),
        ));
    }
    Ok((account, id_span))
}

fn located(
    path: &Path,
    text: &str,
    span: Range<usize>,
    field: Option<String>,
    message: String,
) -> ConfigError {
    let (line, column) = line_column(text, span.start);
    ConfigError::Invalid {
        path: path.to_owned(),
        line,
        column,
        field,
        message,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// toml's messages end with a newline and sometimes say "TOML parse error"; keep the sentence.
fn clean_message(message: &str) -> String {
    message.trim().to_owned()
}

/// The field at a byte offset, as a path (`accounts[1].tls.ca_file`), from the table headers
/// above it and the key on its line.
fn field_at(text: &str, offset: usize) -> Option<String> {
    let mut counters: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut table = String::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let here = pos..pos + line.len();
        pos += line.len();
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|t| t.split_once("]]"))
            .map(|(n, _)| n.trim())
        {
            let path = resolve_table(&table, name);
            let count = counters.entry(path.clone()).or_insert(0);
            *count += 1;
            table = format!("{path}[{}]", *count - 1);
            if here.contains(&offset) {
                return Some(table);
            }
            continue;
        }
        if let Some(name) = trimmed
            .strip_prefix('[')
            .and_then(|t| t.split_once(']'))
            .map(|(n, _)| n.trim())
        {
            table = resolve_table(&table, name);
            if here.contains(&offset) {
                return Some(table);
            }
            continue;
        }
        if here.contains(&offset) || offset >= text.len() && pos >= text.len() {
            let key = trimmed
                .split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"'));
            return match key {
                Some(k) if !k.is_empty() && !trimmed.starts_with('#') => {
                    Some(if table.is_empty() {
                        k.to_owned()
                    } else {
                        format!("{table}.{k}")
                    })
                }
                _ => (!table.is_empty()).then_some(table),
            };
        }
    }
    (!table.is_empty()).then_some(table)
}

/// `accounts.tls` under the current `accounts[2]` becomes `accounts[2].tls`.
fn resolve_table(current: &str, name: &str) -> String {
    let mut out = String::new();
    let mut current_parts = current.split('.');
    let mut matching = true;
    for part in name.split('.') {
        let part = part.trim();
        let cur = if matching { current_parts.next() } else { None };
        let next = match cur {
            Some(c) if c.split('[').next() == Some(part) => c.to_owned(),
            _ => {
                matching = false;
                part.to_owned()
            }
        };
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&next);
    }
    out
}

// ---- writing ----

#[derive(Serialize)]
struct ConfigOut<'a> {
    notifications: &'a NotificationSettings,
    accounts: Vec<AccountOut<'a>>,
}

#[derive(Serialize)]
struct AccountOut<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    aor: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registrar: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outbound_proxy: Option<&'a str>,
    register: bool,
    monitor_own: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    voicemail_access_code: Option<&'a str>,
    unsolicited: UnsolicitedPolicy,
    local_port: u16,
    expires: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_env: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_file: Option<&'a Path>,
    #[serde(skip_serializing_if = "tls_is_default")]
    tls: &'a TlsConfig,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    mailboxes: &'a [MailboxConfig],
}

fn tls_is_default(tls: &&TlsConfig) -> bool {
    **tls == TlsConfig::default()
}

impl<'a> From<&'a AccountConfig> for AccountOut<'a> {
    fn from(a: &'a AccountConfig) -> Self {
        Self {
            id: &a.id,
            display_name: a.display_name.as_deref(),
            aor: &a.aor,
            auth_user: a.auth_user.as_deref(),
            registrar: a.registrar.as_deref(),
            outbound_proxy: a.outbound_proxy.as_deref(),
            register: a.register,
            monitor_own: a.monitor_own,
            voicemail_access_code: a.voicemail_access_code.as_deref(),
            unsolicited: a.unsolicited,
            local_port: a.local_port,
            expires: a.expires,
            password_env: match &a.password {
                PasswordSource::Env(var) => Some(var),
                _ => None,
            },
            password_file: match &a.password {
                PasswordSource::File(path) => Some(path),
                _ => None,
            },
            tls: &a.tls,
            mailboxes: &a.mailboxes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "conf/config.toml";

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml_str(text, Path::new(PATH))
    }

    fn error(text: &str) -> String {
        load(text).expect_err("must be refused").to_string()
    }

    const FULL: &str = r#"
[notifications]
privacy = "caller"
quiet_hours = { start = "22:00", end = "07:00" }

[[accounts]]
id = "office"
display_name = "Office line"
aor = "sip:alice@pbx.example.com"
password_env = "VOICELAMP_OFFICE_PASSWORD"
voicemail_access_code = "*97"

[[accounts.mailboxes]]
uri = "sip:support@pbx.example.com"
display_name = "Support"

[[accounts]]
id = "carrier"
aor = "sips:+15551234@voice.example.net"
auth_user = "15551234"
registrar = "sips:voice.example.net;transport=tls"
outbound_proxy = "sip:edge.example.net:5061;transport=tls"
unsolicited = "any"
expires = 600
local_port = 5062
password_file = "secrets/carrier.pw"

[accounts.tls]
ca_file = "/etc/ssl/carrier-ca.pem"
"#;

    #[test]
    fn reads_every_field() {
        let config = load(FULL).expect("valid");
        assert_eq!(config.notifications.privacy, PrivacyLevel::Caller);
        assert_eq!(
            config.notifications.quiet_hours,
            Some(QuietHours {
                start: "22:00".into(),
                end: "07:00".into()
            })
        );
        let office = &config.accounts[0];
        assert_eq!(office.name(), "Office line");
        assert_eq!(
            office.password,
            PasswordSource::Env("VOICELAMP_OFFICE_PASSWORD".into())
        );
        assert!(office.register && office.monitor_own);
        assert_eq!(office.expires, DEFAULT_EXPIRES);
        assert_eq!(office.unsolicited, UnsolicitedPolicy::Registrar);
        assert_eq!(office.voicemail_access_code.as_deref(), Some("*97"));
        let names: Vec<_> = office
            .monitored_mailboxes()
            .into_iter()
            .map(|m| (m.uri, m.display_name))
            .collect();
        assert_eq!(
            names,
            [
                (
                    "sip:alice@pbx.example.com".to_owned(),
                    "Office line".to_owned()
                ),
                (
                    "sip:support@pbx.example.com".to_owned(),
                    "Support".to_owned()
                ),
            ]
        );
        let carrier = config.account("carrier").expect("carrier");
        assert_eq!(carrier.name(), "carrier");
        assert_eq!(carrier.auth_user.as_deref(), Some("15551234"));
        assert_eq!(carrier.unsolicited, UnsolicitedPolicy::Any);
        assert_eq!(carrier.expires, 600);
        assert_eq!(carrier.local_port, 5062);
        match &carrier.password {
            PasswordSource::File(path) => {
                assert!(
                    path.is_absolute() && path.ends_with("conf/secrets/carrier.pw"),
                    "{path:?}"
                )
            }
            other => panic!("password source {other:?}"),
        }
        assert_eq!(
            carrier.tls.ca_file.as_deref(),
            Some(Path::new("/etc/ssl/carrier-ca.pem"))
        );
        assert!(!carrier.tls.insecure_skip_verify);
    }

    #[test]
    fn to_toml_round_trips_and_has_no_secret_field() {
        let config = load(FULL).expect("valid");
        let text = config.to_toml();
        assert!(!text.contains("password ="), "{text}");
        let again =
            Config::from_toml_str(&text, Path::new("config.toml")).expect("reads its own output");
        assert_eq!(again, config);
        let empty = Config::default().to_toml();
        assert_eq!(
            Config::from_toml_str(&empty, Path::new("c.toml")).expect("empty"),
            Config::default()
        );
    }

    #[test]
    fn an_empty_file_is_a_configuration_without_accounts() {
        assert_eq!(load("").expect("empty"), Config::default());
    }

    #[test]
    fn unknown_fields_are_named_with_their_position() {
        let text = "[[accounts]]\nid = \"a\"\naor = \"sip:a@h\"\npassword = \"hunter2\"\n";
        let message = error(text);
        assert!(
            message.starts_with(
                "conf/config.toml:4:1: accounts[0].password: unknown field `password`"
            ),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn type_errors_name_the_field() {
        let text = "[[accounts]]\nid = \"a\"\naor = \"sip:a@h\"\n[accounts.tls]\ninsecure_skip_verify = \"yes\"\n";
        let message = error(text);
        assert!(
            message.starts_with("conf/config.toml:5:24: accounts[0].tls.insecure_skip_verify: "),
            "{message}"
        );
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let text = "[[accounts]]\nid = \"a\"\naor = \"sip:a@h\"\n\n[[accounts]]\nid = \"a\"\naor = \"sip:b@h\"\n";
        assert_eq!(
            error(text),
            "conf/config.toml:6:6: accounts[1].id: the id \"a\" is used by another account; ids must be unique"
        );
    }

    #[test]
    fn invalid_values_are_refused_where_they_are() {
        let cases = [
            (
                "id = \"Office\"\naor = \"sip:a@h\"",
                "2:6: accounts[0].id: \"Office\" is not a valid account id",
            ),
            (
                "id = \"a\"\naor = \"alice@h\"",
                "3:7: accounts[0].aor: \"alice@h\" is not a SIP URI",
            ),
            (
                "id = \"a\"\naor = \"sip:h\"",
                "3:7: accounts[0].aor: \"sip:h\" has no user part",
            ),
            (
                "id = \"a\"\naor = \"sip:a@h\"\nregistrar = \"sips:h;transport=udp\"",
                "4:13: accounts[0].registrar: ",
            ),
            (
                "id = \"a\"\naor = \"sip:a@h\"\noutbound_proxy = \"sip:p;transport=sctp\"",
                "4:18: accounts[0].outbound_proxy: ",
            ),
            (
                "id = \"a\"\naor = \"sip:a@h\"\nexpires = 5",
                "4:11: accounts[0].expires: 5 seconds is out of range",
            ),
            (
                "id = \"a\"\naor = \"sip:a@h\"\npassword_env = \"V\"\npassword_file = \"f\"",
                "5:17: accounts[0].password_file: password_env and password_file are both set",
            ),
            (
                "id = \"a\"\naor = \"sip:a@h\"\nvoicemail_access_code = \"vm\"",
                "4:25: accounts[0].voicemail_access_code: ",
            ),
            (
                "id = \"a\"\naor = \"sip:a@h\"\nmonitor_own = false",
                "2:6: accounts[0].mailboxes: the account monitors no mailbox",
            ),
            (
                "id = \"a\"\naor = \"sip:a@h\"\n[[accounts.mailboxes]]\nuri = \"support\"",
                "5:7: accounts[0].mailboxes[0].uri: \"support\" is not a SIP URI",
            ),
            (
                "id = \"a\"\naor = \"sip:a@h\"\nlocal_port = 70000",
                "4:14: accounts[0].local_port: ",
            ),
        ];
        for (body, expected) in cases {
            let message = error(&format!("[[accounts]]\n{body}\n"));
            let expected = format!("{PATH}:{expected}");
            assert!(
                message.starts_with(&expected),
                "got {message:?}, expected {expected:?}"
            );
        }
    }

    #[test]
    fn missing_required_fields_are_named() {
        let message = error("[[accounts]]\nid = \"a\"\n");
        assert!(
            message.contains("accounts[0]") && message.contains("missing field `aor`"),
            "{message}"
        );
    }

    #[test]
    fn quiet_hours_must_be_times_of_day() {
        let message =
            error("[notifications]\nquiet_hours = { start = \"25:00\", end = \"07:00\" }\n");
        assert!(
            message.contains("notifications.quiet_hours.start: \"25:00\" is not a time of day"),
            "{message}"
        );
        assert_eq!(parse_hh_mm("07:05"), Some((7, 5)));
        assert_eq!(parse_hh_mm("7:05"), None);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let message = error("[[accounts]]\nid = \"a\n");
        assert!(message.starts_with("conf/config.toml:2:"), "{message}");
    }

    #[test]
    fn own_aor_listed_as_mailbox_is_not_monitored_twice() {
        let mut account = AccountConfig::new("a", "sip:alice@h");
        account.mailboxes.push(MailboxConfig {
            uri: "sip:alice@H".into(),
            display_name: Some("Mine".into()),
        });
        let monitored = account.monitored_mailboxes();
        assert_eq!(monitored.len(), 1);
        assert_eq!(monitored[0].display_name, "Mine");
        assert!(monitored[0].own);
        account.monitor_own = false;
        account.mailboxes.clear();
        assert!(account.monitored_mailboxes().is_empty());
    }

    #[test]
    fn the_documented_example_is_valid() {
        let doc = include_str!("../../../docs/config.md");
        let example = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("docs/config.md has a toml example");
        let config = load(example).expect("the documented example loads");
        let ids: Vec<_> = config.accounts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["office", "carrier", "sales"]);
        assert_eq!(config.accounts[0].password, PasswordSource::Keyring);
        assert!(matches!(
            config.accounts[1].password,
            PasswordSource::File(_)
        ));
        assert_eq!(
            config.accounts[2].password,
            PasswordSource::Env("VOICELAMP_SALES_PASSWORD".into())
        );
        assert_eq!(config.accounts[0].monitored_mailboxes().len(), 2);
        assert!(!config.accounts[2].register);
    }

    #[test]
    fn missing_file_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("none.toml");
        assert!(matches!(
            Config::load(&path),
            Err(ConfigError::NotFound { .. })
        ));
        let config = load(FULL).expect("valid");
        let saved = dir.path().join("sub").join("config.toml");
        config.save(&saved).expect("save");
        assert_eq!(Config::load(&saved).expect("load"), config);
    }
}
