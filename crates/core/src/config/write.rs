//! Writing: [`Config`] back to TOML (never a secret, only where it comes from).

use super::notifications::NotificationsOut;
use super::voicemail::VoicemailOut;
use super::{
    AccountConfig, AudioConfig, Config, ConfigError, IncomingCalls, MailboxConfig, PasswordSource,
    TlsConfig, UnsolicitedPolicy, is_false,
};
use serde::Serialize;
use std::path::Path;

/// The configuration as TOML text; an error for values TOML cannot hold (a path that is not
/// UTF-8), never an empty text in place of the configuration.
pub(super) fn to_toml(config: &Config) -> Result<String, ConfigError> {
    let out = ConfigOut {
        notifications: NotificationsOut::from(&config.notifications),
        accounts: config.accounts.iter().map(AccountOut::from).collect(),
        audio: (config.audio != AudioConfig::default()).then_some(&config.audio),
    };
    toml::to_string_pretty(&out).map_err(|e| ConfigError::Unwritable(e.to_string()))
}

#[derive(Serialize)]
struct ConfigOut<'a> {
    notifications: NotificationsOut,
    accounts: Vec<AccountOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audio: Option<&'a AudioConfig>,
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
    #[serde(skip_serializing_if = "is_off")]
    incoming_calls: IncomingCalls,
    #[serde(skip_serializing_if = "Option::is_none")]
    voicemail_pin_delay: Option<u32>,
    #[serde(skip_serializing_if = "is_false")]
    stutter_dial_tone: bool,
    #[serde(skip_serializing_if = "tls_is_default")]
    tls: &'a TlsConfig,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    mailboxes: &'a [MailboxConfig],
    #[serde(skip_serializing_if = "Option::is_none")]
    voicemail: Option<VoicemailOut<'a>>,
}

fn is_off(incoming: &IncomingCalls) -> bool {
    *incoming == IncomingCalls::Off
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
            password_env: password_env(Some(&a.password)),
            password_file: password_file(Some(&a.password)),
            tls: &a.tls,
            mailboxes: &a.mailboxes,
            voicemail: a.voicemail.as_ref().map(VoicemailOut::from),
            incoming_calls: a.incoming_calls,
            voicemail_pin_delay: a.voicemail_pin_delay,
            stutter_dial_tone: a.stutter_dial_tone,
        }
    }
}

/// The `password_env` field of a password source.
pub(super) fn password_env(source: Option<&PasswordSource>) -> Option<&str> {
    match source {
        Some(PasswordSource::Env(var)) => Some(var),
        _ => None,
    }
}

/// The `password_file` field of a password source.
pub(super) fn password_file(source: Option<&PasswordSource>) -> Option<&Path> {
    match source {
        Some(PasswordSource::File(path)) => Some(path),
        _ => None,
    }
}
