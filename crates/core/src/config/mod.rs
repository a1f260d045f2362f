//! The configuration file: accounts, the mailboxes they monitor and where their passwords come
//! from, in one TOML file (`docs/config.md` describes every field).
//!
//! There is no secret in the configuration: a password comes from an environment variable, a
//! file readable only by its owner, or the OS keyring (see [`crate::secrets`]).
//! [`Config::to_toml`] therefore cannot write one.
//!
//! Errors say where: `path:line:column: field: message`.
//!
//! [`Config::save`] replaces the file atomically (the old file or the new one survives a crash,
//! never an empty or partial one) and keeps a hand-edited file's comments and order.
//!
//! Files: this one has the schema; [`voicemail`] the `[accounts.voicemail]` table,
//! [`notifications`] the `[notifications]` table; `read.rs` validates, `write.rs` writes back,
//! `edit.rs` writes back into the file's own text, `replace.rs` replaces the file on disk,
//! `locate.rs` turns offsets into positions and field paths.

#[cfg(test)]
mod call_tests;
mod edit;
mod locate;
pub mod notifications;
mod read;
mod replace;
#[cfg(test)]
mod save_tests;
#[cfg(test)]
mod tests;
pub mod voicemail;
mod write;

use crate::sip_uri::SipUri;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::policy::NotificationSettings;
pub use voicemail::{ImapSecurity, LampFeed, VoicemailConfig};

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
    /// Sound devices for calls (`[audio]`).
    pub audio: AudioConfig,
}

/// Longest accepted `voicemail_pin_delay`, in seconds.
pub const MAX_PIN_DELAY: u32 = 60;

/// The sound devices calls use (`[audio]`): a device's name as the system lists it; `None`
/// (default) is the system's default device. A device that is gone falls back to the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct AudioConfig {
    /// Capture device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microphone: Option<String>,
    /// Playback device for the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// Playback device for the ringer of incoming calls (the speaker's when `None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ringer: Option<String>,
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
    /// Where the account's voicemail messages are kept (`[accounts.voicemail]`), when set.
    pub voicemail: Option<VoicemailConfig>,
    /// What an incoming call does: ring here, or be refused as today (default).
    pub incoming_calls: IncomingCalls,
    /// Seconds after "Call voicemail" connects before the voicemail PIN (from the keyring) is
    /// sent as DTMF; `None` (default): the PIN is never sent.
    pub voicemail_pin_delay: Option<u32>,
    /// Play the stutter dial tone when a call starts on this line while messages wait.
    pub stutter_dial_tone: bool,
}

/// What an incoming call to an account does.
///
/// `Off` is the default: Voicelamp often runs beside a desk phone on the same extension, and a
/// lamp that starts ringing after an update would take calls a person expects on the desk
/// phone (or ring on a computer nobody sits at). Off answers 480 as before, so a PBX that forks
/// goes on ringing the other phones and one that does not sends the caller to voicemail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum IncomingCalls {
    /// Ring here: a notification with Answer / Decline, the ringer and the call view.
    Ring,
    /// Refuse with 480 Temporarily Unavailable (other phones of the line keep ringing).
    #[default]
    Off,
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
    /// The file holds nothing (or only white space): no configuration, not one without accounts.
    #[error(
        "{}: the configuration file is empty; restore it from a backup, add at least one [[accounts]] entry (see docs/config.md), or delete it to start again from Settings",
        path.display()
    )]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The configuration cannot be written as TOML; the file was left as it was.
    #[error("the configuration cannot be written as TOML ({0}); the file was left unchanged")]
    Unwritable(String),
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
        read::parse(text, path)
    }

    /// The configuration as TOML. It contains no secret: passwords are never part of it, only
    /// where they come from. Fails for values TOML cannot hold (a path that is not UTF-8).
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        write::to_toml(self)
    }

    /// Writes the configuration to `path`, creating its directory. An existing file keeps its
    /// comments, order and spelling wherever the setting did not change, and its permissions;
    /// it is replaced atomically, so a crash leaves the old file or the new one. Nothing is
    /// written when the configuration cannot be written as TOML.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        self.save_with(path, &mut |_| Ok(()))
    }

    /// [`Config::save`] with `before_rename` run once the new text is on disk under its
    /// temporary name.
    fn save_with(
        &self,
        path: &Path,
        before_rename: &mut dyn FnMut(&Path) -> std::io::Result<()>,
    ) -> Result<(), ConfigError> {
        let io = |source| ConfigError::Io {
            path: path.to_owned(),
            source,
        };
        let written = self.to_toml()?;
        let text = match std::fs::read_to_string(path) {
            Ok(old) => self.edited(&old, path, &written).unwrap_or(written),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => written,
            Err(e) => return Err(io(e)),
        };
        replace::replace(path, text.as_bytes(), before_rename).map_err(io)
    }

    /// The file's text `old` changed to say what this configuration says, when it reads back
    /// as exactly this configuration.
    fn edited(&self, old: &str, path: &Path, written: &str) -> Option<String> {
        let was = Self::from_toml_str(old, path).ok()?.to_toml().ok()?;
        let text = edit::merge(old, &was, written)?;
        (Self::from_toml_str(&text, path).ok()? == *self).then_some(text)
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
            voicemail: None,
            incoming_calls: IncomingCalls::default(),
            voicemail_pin_delay: None,
            stutter_dial_tone: false,
        }
    }

    /// What drives this account's lamp: SIP alone without a voicemail store, else the store's
    /// [`VoicemailConfig::lamp_feeds`].
    pub fn lamp_feeds(&self) -> Vec<LampFeed> {
        self.voicemail
            .as_ref()
            .map_or_else(|| vec![LampFeed::Sip], |vm| vm.lamp_feeds(self.register))
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

pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

pub(crate) fn yes() -> bool {
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
