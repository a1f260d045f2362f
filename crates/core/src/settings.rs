//! Settings as a person edits them: an account as a form ([`AccountForm`]) and the notification
//! settings ([`NotificationsForm`]), turned into configuration changes that pass the same
//! validation as the file (errors name the field), and back.
//!
//! Passwords are not part of a form: the front end passes a new password separately and it goes
//! to the OS keyring, never into the configuration.

use crate::config::notifications::{format_quiet_hours, parse_quiet_hours};
use crate::config::voicemail::parse_url;
use crate::config::{
    ImapSecurity, IncomingCalls, LampFeed, MailboxConfig, TlsConfig, VoicemailConfig,
};
use crate::policy::Privacy;
use crate::{AccountConfig, Config, ConfigError, PasswordSource, Secret, UnsolicitedPolicy};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One account as the Settings form shows and sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AccountForm {
    /// Unique id (`[a-z0-9_-]`); fixed once the account exists.
    pub id: String,
    /// Name shown to people.
    pub display_name: Option<String>,
    /// Address of record, e.g. `sip:1001@pbx.example.com`.
    pub aor: String,
    /// Authentication user name, when it differs from the AOR's user.
    pub auth_user: Option<String>,
    /// Registrar URI (`sip:pbx.example.com;transport=tls`); from the AOR when empty.
    pub registrar: Option<String>,
    /// Outbound proxy URI.
    pub outbound_proxy: Option<String>,
    /// Register the account (off: subscribe only).
    pub register: bool,
    /// Monitor the account's own mailbox.
    pub monitor_own: bool,
    /// Further monitored (shared) mailboxes.
    pub mailboxes: Vec<MailboxForm>,
    /// The number dialled to reach voicemail, e.g. `*97`.
    pub voicemail_access_code: Option<String>,
    /// Which unsolicited NOTIFYs are accepted.
    pub unsolicited: UnsolicitedForm,
    /// Extra CA certificates (PEM file).
    pub tls_ca_file: Option<String>,
    /// Accept any TLS certificate (dangerous; lab use only).
    pub tls_insecure_skip_verify: bool,
    /// Registration and subscription expiry, seconds.
    pub expires: u32,
    /// Where the password comes from.
    pub password_source: PasswordSourceForm,
    /// Where the account's voicemail messages are kept, when it has a store.
    pub voicemail: Option<VoicemailForm>,
    /// What an incoming call does: ring here, or be refused (off, the default).
    #[serde(default)]
    pub incoming_calls: IncomingCalls,
    /// Seconds after "Call voicemail" connects before the PIN (from the keyring) is sent;
    /// none: never sent.
    #[serde(default)]
    pub voicemail_pin_delay: Option<u32>,
    /// Play the stutter dial tone when a call starts while messages wait.
    #[serde(default)]
    pub stutter_dial_tone: bool,
}

/// The account's voicemail store (IMAP) in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VoicemailForm {
    /// `imaps://mail.example.com` or `imap://mail.example.com` (STARTTLS).
    pub imap: String,
    /// Allow `imap://` without STARTTLS (lab use only).
    pub allow_plaintext: bool,
    /// Login name, when it differs from the account's user.
    pub user: Option<String>,
    /// The store's unheard count drives the lamp too.
    pub lamp_from_imap: bool,
}

/// A monitored mailbox in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct MailboxForm {
    /// Mailbox URI.
    pub uri: String,
    /// Name shown to people.
    pub display_name: Option<String>,
}

/// Unsolicited NOTIFY trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum UnsolicitedForm {
    /// Only over the flow to the registrar (default).
    Registrar,
    /// From anywhere, naming this account.
    Any,
    /// Never.
    Off,
}

/// Where the password comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum PasswordSourceForm {
    /// The OS keyring (default).
    Keyring,
    /// An environment variable of this name.
    Env(String),
    /// An owner-only file at this path.
    File(String),
}

/// The notification settings in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct NotificationsForm {
    /// Raise notifications at all.
    pub enabled: bool,
    /// What a notification may say.
    pub privacy: PrivacyForm,
    /// Quiet hours as `HH:MM-HH:MM` (local time), or none.
    pub quiet_hours: Option<String>,
    /// Remind of unheard urgent messages every so many minutes; 0 = never.
    pub urgent_reminder_minutes: u32,
    /// Changes within this many seconds become one notification.
    pub coalesce_seconds: u32,
}

/// What a notification may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub enum PrivacyForm {
    /// Counts only.
    CountOnly,
    /// The caller.
    Caller,
    /// The caller and the duration.
    CallerAndDuration,
}

/// Why a settings change was refused, in words.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The change does not pass the configuration's rules.
    #[error("{0}")]
    Invalid(String),
    /// The file cannot be written.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl AccountForm {
    /// The form of a configured account.
    pub fn from_config(account: &AccountConfig) -> Self {
        Self {
            id: account.id.clone(),
            display_name: account.display_name.clone(),
            aor: account.aor.clone(),
            auth_user: account.auth_user.clone(),
            registrar: account.registrar.clone(),
            outbound_proxy: account.outbound_proxy.clone(),
            register: account.register,
            monitor_own: account.monitor_own,
            mailboxes: account
                .mailboxes
                .iter()
                .map(|m| MailboxForm {
                    uri: m.uri.clone(),
                    display_name: m.display_name.clone(),
                })
                .collect(),
            voicemail_access_code: account.voicemail_access_code.clone(),
            unsolicited: match account.unsolicited {
                UnsolicitedPolicy::Registrar => UnsolicitedForm::Registrar,
                UnsolicitedPolicy::Any => UnsolicitedForm::Any,
                UnsolicitedPolicy::Off => UnsolicitedForm::Off,
            },
            tls_ca_file: account
                .tls
                .ca_file
                .as_ref()
                .map(|p| p.display().to_string()),
            tls_insecure_skip_verify: account.tls.insecure_skip_verify,
            expires: account.expires,
            password_source: match &account.password {
                PasswordSource::Keyring => PasswordSourceForm::Keyring,
                PasswordSource::Env(var) => PasswordSourceForm::Env(var.clone()),
                PasswordSource::File(path) => PasswordSourceForm::File(path.display().to_string()),
            },
            voicemail: account.voicemail.as_ref().map(|vm| VoicemailForm {
                imap: vm.url(),
                allow_plaintext: vm.security == ImapSecurity::Plain,
                user: vm.user.clone(),
                lamp_from_imap: vm.lamp_feeds(account.register).contains(&LampFeed::Imap),
            }),
            incoming_calls: account.incoming_calls,
            voicemail_pin_delay: account.voicemail_pin_delay,
            stutter_dial_tone: account.stutter_dial_tone,
        }
    }

    /// The voicemail store of the form, keeping what the form does not show (password source,
    /// folders, TLS) from `base`.
    fn voicemail_config(
        &self,
        base: Option<&VoicemailConfig>,
    ) -> Result<Option<VoicemailConfig>, SettingsError> {
        let Some(form) = &self.voicemail else {
            return Ok(None);
        };
        let (host, port, security) = parse_url(form.imap.trim(), form.allow_plaintext)
            .map_err(|e| SettingsError::Invalid(format!("voicemail store: {e}")))?;
        let mut vm = base
            .cloned()
            .unwrap_or_else(|| VoicemailConfig::imaps(&host));
        vm.host = host;
        vm.port = port;
        vm.security = security;
        vm.user = non_empty(&form.user);
        vm.lamp_sources = None;
        let default_has_imap = vm.lamp_feeds(self.register).contains(&LampFeed::Imap);
        if form.lamp_from_imap != default_has_imap {
            vm.lamp_sources = Some(if form.lamp_from_imap {
                vec![LampFeed::Sip, LampFeed::Imap]
            } else {
                vec![LampFeed::Sip]
            });
        }
        Ok(Some(vm))
    }

    /// The account this form describes, keeping what the form does not show (local port, the
    /// voicemail store's folders and password source) from `base`.
    fn to_config(&self, base: AccountConfig) -> Result<AccountConfig, SettingsError> {
        let voicemail = self.voicemail_config(base.voicemail.as_ref())?;
        Ok(AccountConfig {
            id: self.id.trim().to_owned(),
            display_name: non_empty(&self.display_name),
            aor: self.aor.trim().to_owned(),
            auth_user: non_empty(&self.auth_user),
            registrar: non_empty(&self.registrar),
            outbound_proxy: non_empty(&self.outbound_proxy),
            register: self.register,
            monitor_own: self.monitor_own,
            mailboxes: self
                .mailboxes
                .iter()
                .filter(|m| !m.uri.trim().is_empty())
                .map(|m| MailboxConfig {
                    uri: m.uri.trim().to_owned(),
                    display_name: non_empty(&m.display_name),
                })
                .collect(),
            voicemail_access_code: non_empty(&self.voicemail_access_code),
            unsolicited: match self.unsolicited {
                UnsolicitedForm::Registrar => UnsolicitedPolicy::Registrar,
                UnsolicitedForm::Any => UnsolicitedPolicy::Any,
                UnsolicitedForm::Off => UnsolicitedPolicy::Off,
            },
            tls: TlsConfig {
                ca_file: non_empty(&self.tls_ca_file).map(PathBuf::from),
                insecure_skip_verify: self.tls_insecure_skip_verify,
            },
            expires: self.expires,
            password: match &self.password_source {
                PasswordSourceForm::Keyring => PasswordSource::Keyring,
                PasswordSourceForm::Env(var) => PasswordSource::Env(var.trim().to_owned()),
                PasswordSourceForm::File(path) => PasswordSource::File(PathBuf::from(path.trim())),
            },
            voicemail,
            incoming_calls: self.incoming_calls,
            voicemail_pin_delay: self.voicemail_pin_delay,
            stutter_dial_tone: self.stutter_dial_tone,
            ..base
        })
    }
}

/// `config` with the account of `form` added (when `existing` is `None`) or replacing account
/// `existing`, checked by the configuration's own rules as if read from `path`.
pub fn upsert_account(
    config: &Config,
    existing: Option<&str>,
    form: &AccountForm,
    path: &Path,
) -> Result<Config, SettingsError> {
    let mut next = config.clone();
    match existing {
        Some(id) => {
            let Some(index) = next.accounts.iter().position(|a| a.id == id) else {
                return Err(SettingsError::Invalid(format!(
                    "there is no account {id:?} any more; it may have been removed"
                )));
            };
            if form.id.trim() != id {
                return Err(SettingsError::Invalid(
                    "an account's id cannot change; remove it and add a new one".to_owned(),
                ));
            }
            let base = next.accounts[index].clone();
            next.accounts[index] = form.to_config(base)?;
        }
        None => {
            let id = form.id.trim();
            if next.accounts.iter().any(|a| a.id == id) {
                return Err(SettingsError::Invalid(format!(
                    "an account with id {id:?} exists already"
                )));
            }
            let base = AccountConfig::new(id, form.aor.trim());
            next.accounts.push(form.to_config(base)?);
        }
    }
    validate(next, path)
}

/// The longest password accepted.
pub const MAX_PASSWORD: usize = 1024;

/// A password typed in a form: `None` when left empty; refused (without echoing it) when too
/// long or holding control characters.
pub fn checked_password(password: Option<&str>) -> Result<Option<Secret>, SettingsError> {
    match password {
        None | Some("") => Ok(None),
        Some(p) if p.len() > MAX_PASSWORD => Err(SettingsError::Invalid(
            "the password is too long".to_owned(),
        )),
        Some(p) if p.chars().any(char::is_control) => Err(SettingsError::Invalid(
            "the password contains control characters".to_owned(),
        )),
        Some(p) => Ok(Some(Secret::new(p.to_owned()))),
    }
}

/// The password to put in the OS keyring when `form` is saved (`None`: keep what is there):
/// a keyring account needs one when it is new; an account that reads its password from an
/// environment variable or a file takes none.
pub fn password_to_store(
    form: &AccountForm,
    is_new: bool,
    password: Option<Secret>,
) -> Result<Option<Secret>, SettingsError> {
    match (&form.password_source, password) {
        (PasswordSourceForm::Keyring, Some(secret)) => Ok(Some(secret)),
        (PasswordSourceForm::Keyring, None) if is_new => Err(SettingsError::Invalid(
            "enter the account's password".to_owned(),
        )),
        (PasswordSourceForm::Keyring, None) | (_, None) => Ok(None),
        (_, Some(_)) => Err(SettingsError::Invalid(
            "this account reads its password from an environment variable or a file; \
             choose the keyring to store one here"
                .to_owned(),
        )),
    }
}

/// `config` without account `id`.
pub fn remove_account(config: &Config, id: &str) -> Result<Config, SettingsError> {
    let mut next = config.clone();
    let before = next.accounts.len();
    next.accounts.retain(|a| a.id != id);
    if next.accounts.len() == before {
        return Err(SettingsError::Invalid(format!(
            "there is no account {id:?}"
        )));
    }
    Ok(next)
}

/// The notification settings as a form.
pub fn notifications_form(config: &Config) -> NotificationsForm {
    let n = &config.notifications;
    NotificationsForm {
        enabled: n.enabled,
        privacy: match n.privacy {
            Privacy::CountOnly => PrivacyForm::CountOnly,
            Privacy::Caller => PrivacyForm::Caller,
            Privacy::CallerAndDuration => PrivacyForm::CallerAndDuration,
        },
        quiet_hours: n.quiet_hours.as_ref().map(format_quiet_hours),
        urgent_reminder_minutes: n
            .urgent_reminder
            .map_or(0, |d| u32::try_from(d.as_secs() / 60).unwrap_or(u32::MAX)),
        coalesce_seconds: u32::try_from(n.coalesce.as_secs()).unwrap_or(u32::MAX),
    }
}

/// `config` with the notification settings of `form`.
pub fn set_notifications(
    config: &Config,
    form: &NotificationsForm,
    path: &Path,
) -> Result<Config, SettingsError> {
    let mut next = config.clone();
    let n = &mut next.notifications;
    n.enabled = form.enabled;
    n.privacy = match form.privacy {
        PrivacyForm::CountOnly => Privacy::CountOnly,
        PrivacyForm::Caller => Privacy::Caller,
        PrivacyForm::CallerAndDuration => Privacy::CallerAndDuration,
    };
    n.quiet_hours = match non_empty(&form.quiet_hours) {
        None => None,
        Some(text) => Some(
            parse_quiet_hours(&text)
                .map_err(|e| SettingsError::Invalid(format!("quiet hours: {e}")))?,
        ),
    };
    n.urgent_reminder = (form.urgent_reminder_minutes > 0)
        .then(|| Duration::from_secs(u64::from(form.urgent_reminder_minutes) * 60));
    if form.coalesce_seconds > 60 {
        return Err(SettingsError::Invalid(
            "coalescing longer than 60 s would delay every notification too much".to_owned(),
        ));
    }
    n.coalesce = Duration::from_secs(u64::from(form.coalesce_seconds));
    validate(next, path)
}

/// The configuration as the file would be read back: the file's rules, errors naming the field.
fn validate(config: Config, path: &Path) -> Result<Config, SettingsError> {
    match Config::from_toml_str(&config.to_toml()?, path) {
        Ok(read_back) => Ok(read_back),
        Err(ConfigError::Invalid { field, message, .. }) => {
            Err(SettingsError::Invalid(match field {
                Some(field) => format!("{field}: {message}"),
                None => message,
            }))
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> &'static Path {
        Path::new("config.toml")
    }

    fn form(id: &str, aor: &str) -> AccountForm {
        AccountForm::from_config(&AccountConfig::new(id, aor))
    }

    #[test]
    fn add_edit_remove_round_trip() {
        let config = Config::default();
        let mut desk = form("desk", "sip:1001@pbx.example.com");
        desk.display_name = Some("Front desk".into());
        desk.mailboxes.push(MailboxForm {
            uri: "sip:support@pbx.example.com".into(),
            display_name: Some("Support".into()),
        });
        let config = upsert_account(&config, None, &desk, path()).expect("added");
        assert_eq!(config.accounts.len(), 1);
        assert_eq!(AccountForm::from_config(&config.accounts[0]), desk);

        desk.registrar = Some("sip:pbx.example.com;transport=tls".into());
        let config = upsert_account(&config, Some("desk"), &desk, path()).expect("edited");
        assert_eq!(
            config.accounts[0].registrar.as_deref(),
            Some("sip:pbx.example.com;transport=tls")
        );
        let config = remove_account(&config, "desk").expect("removed");
        assert!(config.accounts.is_empty());
        assert!(remove_account(&config, "desk").is_err());
    }

    #[test]
    fn call_settings_round_trip_and_a_pin_delay_out_of_range_names_its_field() {
        let mut desk = form("desk", "sip:1001@pbx");
        assert_eq!(desk.incoming_calls, IncomingCalls::Off, "off by default");
        assert_eq!(
            desk.voicemail_pin_delay, None,
            "the PIN is never sent by default"
        );
        assert!(!desk.stutter_dial_tone);
        desk.incoming_calls = IncomingCalls::Ring;
        desk.voicemail_pin_delay = Some(3);
        desk.stutter_dial_tone = true;
        let config = upsert_account(&Config::default(), None, &desk, path()).expect("added");
        let account = &config.accounts[0];
        assert_eq!(account.incoming_calls, IncomingCalls::Ring);
        assert_eq!(account.voicemail_pin_delay, Some(3));
        assert!(account.stutter_dial_tone);
        assert_eq!(AccountForm::from_config(account), desk);
        desk.voicemail_pin_delay = Some(crate::config::MAX_PIN_DELAY + 1);
        let refused = upsert_account(&Config::default(), None, &desk, path())
            .expect_err("too long a delay")
            .to_string();
        assert!(refused.contains("voicemail_pin_delay"), "{refused}");
    }

    #[test]
    fn voicemail_store_round_trips_and_keeps_what_the_form_hides() {
        let mut desk = form("desk", "sip:1001@pbx");
        desk.voicemail = Some(VoicemailForm {
            imap: "imaps://mail.example.com:993".into(),
            allow_plaintext: false,
            user: Some("1001".into()),
            lamp_from_imap: true,
        });
        let config = upsert_account(&Config::default(), None, &desk, path()).expect("added");
        let vm = config.accounts[0].voicemail.clone().expect("store");
        assert_eq!(vm.port, 993);
        assert_eq!(
            config.accounts[0].lamp_feeds(),
            [LampFeed::Sip, LampFeed::Imap]
        );
        assert_eq!(AccountForm::from_config(&config.accounts[0]), desk);
        // Folders set in the file survive an edit through the form.
        let mut edited = config.clone();
        edited.accounts[0].voicemail.as_mut().expect("vm").folders = vec!["INBOX".into()];
        let again = upsert_account(&edited, Some("desk"), &desk, path()).expect("edited");
        assert_eq!(
            again.accounts[0].voicemail.as_ref().expect("vm").folders,
            ["INBOX"]
        );
        desk.voicemail.as_mut().expect("vm").imap = "http://mail".into();
        let err = upsert_account(&Config::default(), None, &desk, path()).expect_err("bad url");
        assert!(err.to_string().starts_with("voicemail store:"), "{err}");
    }

    #[test]
    fn invalid_fields_are_named() {
        let bad = form("desk", "not a uri");
        let err = upsert_account(&Config::default(), None, &bad, path()).expect_err("refused");
        assert!(err.to_string().contains("aor"), "{err}");

        let ok = form("desk", "sip:1001@pbx");
        let config = upsert_account(&Config::default(), None, &ok, path()).expect("added");
        let err = upsert_account(&config, None, &ok, path()).expect_err("duplicate");
        assert!(err.to_string().contains("exists already"), "{err}");
        let mut renamed = ok.clone();
        renamed.id = "other".into();
        let err = upsert_account(&config, Some("desk"), &renamed, path()).expect_err("rename");
        assert!(err.to_string().contains("cannot change"), "{err}");
    }

    #[test]
    fn passwords_are_checked_never_echoed_and_go_only_to_the_keyring() {
        assert!(checked_password(None).expect("none").is_none());
        assert!(checked_password(Some("")).expect("empty").is_none());
        let err = checked_password(Some("a\nb")).expect_err("control");
        assert!(!err.to_string().contains("a\nb"));
        assert!(checked_password(Some(&"x".repeat(2000))).is_err());
        let ok = checked_password(Some("pw-1001"))
            .expect("ok")
            .expect("some");
        assert_eq!(ok.expose(), "pw-1001");
        assert_eq!(format!("{ok:?}"), "***");

        let secret = || Some(Secret::new("pw".to_owned()));
        let keyring = form("desk", "sip:1001@pbx");
        assert!(
            password_to_store(&keyring, true, secret())
                .expect("new")
                .is_some()
        );
        assert!(password_to_store(&keyring, true, None).is_err());
        assert!(
            password_to_store(&keyring, false, None)
                .expect("kept")
                .is_none()
        );
        let mut env = keyring.clone();
        env.password_source = PasswordSourceForm::Env("PW".into());
        assert!(password_to_store(&env, true, None).expect("none").is_none());
        let err = password_to_store(&env, false, secret()).expect_err("refused");
        assert!(err.to_string().contains("keyring"), "{err}");
    }

    #[test]
    fn notifications_round_trip_and_refuse_nonsense() {
        let form = NotificationsForm {
            enabled: true,
            privacy: PrivacyForm::CountOnly,
            quiet_hours: Some("22:00-07:00".into()),
            urgent_reminder_minutes: 10,
            coalesce_seconds: 5,
        };
        let config = set_notifications(&Config::default(), &form, path()).expect("set");
        assert_eq!(notifications_form(&config), form);
        let bad = NotificationsForm {
            quiet_hours: Some("25:00-07:00".into()),
            ..form
        };
        let err = set_notifications(&Config::default(), &bad, path()).expect_err("refused");
        assert!(err.to_string().starts_with("quiet hours"), "{err}");
    }
}
