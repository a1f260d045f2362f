//! Reading: the file's raw shape (serde, with spans) and its validation into [`Config`].

use super::locate::{clean_message, field_at, located};
use super::notifications::{self, RawNotifications};
use super::voicemail::{self, RawVoicemail};
use super::{
    AccountConfig, AudioConfig, Config, ConfigError, DEFAULT_EXPIRES, IncomingCalls, MAX_EXPIRES,
    MAX_ID_LEN, MAX_PIN_DELAY, MIN_EXPIRES, MailboxConfig, PasswordSource, TlsConfig,
    UnsolicitedPolicy, same_uri, yes,
};
use crate::engine_config::{ServerTarget, TargetError};
use crate::sip_uri::SipUri;
use serde::Deserialize;
use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    accounts: Vec<RawAccount>,
    #[serde(default)]
    notifications: RawNotifications,
    #[serde(default)]
    audio: AudioConfig,
}

/// Parses and validates TOML text (see [`Config::from_toml_str`]).
pub(super) fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    if text.trim().is_empty() {
        // What a save cut short by a crash used to leave; reading it as "no accounts" would
        // let the next save write that.
        return Err(ConfigError::Empty {
            path: path.to_owned(),
        });
    }
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
    let notifications =
        notifications::validate(raw.notifications).map_err(|(span, field, message)| {
            located(
                path,
                text,
                span,
                Some(format!("notifications.{field}")),
                message,
            )
        })?;
    let audio = validate_audio(raw.audio).map_err(|(field, message)| {
        let at = text.find("[audio]").unwrap_or(0);
        located(path, text, at..at, Some(format!("audio.{field}")), message)
    })?;
    Ok(Config {
        accounts,
        notifications,
        audio,
    })
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
    voicemail: Option<RawVoicemail>,
    #[serde(default)]
    incoming_calls: IncomingCalls,
    voicemail_pin_delay: Option<Spanned<u32>>,
    #[serde(default)]
    stutter_dial_tone: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMailbox {
    uri: Spanned<String>,
    display_name: Option<String>,
}

/// Builds an error at a span for a field named relative to the account.
pub(super) type ErrAt<'a> = dyn Fn(Range<usize>, &str, String) -> ConfigError + 'a;

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
    let auth_user = non_empty(
        raw.auth_user,
        err,
        "auth_user",
        "leave it out to use the AOR's user",
    )?;
    let check_server =
        |value: Option<Spanned<String>>, field: &str| -> Result<Option<String>, ConfigError> {
            let Some(value) = value else { return Ok(None) };
            let span = value.span();
            let text = value.into_inner();
            let uri = SipUri::parse(&text).map_err(|e| err(span.clone(), field, e.to_string()))?;
            ServerTarget::from_uri(&uri)
                .and_then(|t| t.for_aor(&aor_uri))
                .map_err(|e: TargetError| err(span, field, e.to_string()))?;
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
    let password = password_source(raw.password_env, raw.password_file, base, err, "")?
        .unwrap_or(PasswordSource::Keyring);
    let voicemail = raw
        .voicemail
        .map(|v| voicemail::validate(v, base, err))
        .transpose()?;
    let voicemail_pin_delay = match raw.voicemail_pin_delay {
        None => None,
        Some(d) if (1..=MAX_PIN_DELAY).contains(d.get_ref()) => Some(d.into_inner()),
        Some(d) => {
            return Err(err(
                d.span(),
                "voicemail_pin_delay",
                format!(
                    "{} seconds is out of range; use 1 to {MAX_PIN_DELAY}, or leave it out to never send the PIN",
                    d.get_ref()
                ),
            ));
        }
    };
    let tls = TlsConfig {
        ca_file: raw.tls.ca_file.map(|p| resolve_path(base, &p)),
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
        voicemail,
        incoming_calls: raw.incoming_calls,
        voicemail_pin_delay,
        stutter_dial_tone: raw.stutter_dial_tone,
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

/// `password_env` / `password_file` (at most one) as a source; `None` when neither is set.
/// `prefix` goes before the field names in errors (e.g. `"voicemail."`).
pub(super) fn password_source(
    env: Option<Spanned<String>>,
    file: Option<Spanned<String>>,
    base: &Path,
    err: &ErrAt<'_>,
    prefix: &str,
) -> Result<Option<PasswordSource>, ConfigError> {
    Ok(match (env, file) {
        (Some(_), Some(file)) => {
            return Err(err(
                file.span(),
                &format!("{prefix}password_file"),
                "password_env and password_file are both set; keep at most one".into(),
            ));
        }
        (Some(var), None) => {
            let valid = !var.get_ref().is_empty()
                && !var.get_ref().contains(['=', '\0'])
                && !var.get_ref().chars().any(char::is_whitespace);
            if !valid {
                return Err(err(
                    var.span(),
                    &format!("{prefix}password_env"),
                    format!("\"{}\" is not an environment variable name", var.get_ref()),
                ));
            }
            Some(PasswordSource::Env(var.into_inner()))
        }
        (None, Some(file)) => {
            if file.get_ref().is_empty() {
                return Err(err(
                    file.span(),
                    &format!("{prefix}password_file"),
                    "must not be empty".into(),
                ));
            }
            Some(PasswordSource::File(resolve_path(
                base,
                Path::new(&file.into_inner()),
            )))
        }
        (None, None) => None,
    })
}

/// An optional name that, when given, must not be blank.
pub(super) fn non_empty(
    value: Option<Spanned<String>>,
    err: &ErrAt<'_>,
    field: &str,
    instead: &str,
) -> Result<Option<String>, ConfigError> {
    match value {
        Some(v) if v.get_ref().trim().is_empty() => Err(err(
            v.span(),
            field,
            format!("must not be empty; {instead}"),
        )),
        other => Ok(other.map(Spanned::into_inner)),
    }
}

/// `[audio]`: a device name, when given, must not be blank.
fn validate_audio(audio: AudioConfig) -> Result<AudioConfig, (&'static str, String)> {
    for (field, value) in [
        ("microphone", &audio.microphone),
        ("speaker", &audio.speaker),
        ("ringer", &audio.ringer),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err((
                field,
                "must not be empty; leave it out to use the system's default device".into(),
            ));
        }
    }
    Ok(audio)
}

/// A path written in the configuration, as the program uses it: relative paths are relative to
/// the configuration file's directory `base`, never to the working directory. On Windows a path
/// with a root but no drive (`\etc\ca.pem`, `/etc/ca.pem`: a file copied from Linux) is on the
/// configuration file's drive, not on whichever drive is current when the program starts; a
/// path with a drive (`D:\ca.pem`) or a UNC path (`\\server\share\ca.pem`) is kept.
pub(crate) fn resolve_path(base: &Path, path: &Path) -> std::path::PathBuf {
    // `Path::join` does exactly this: an absolute path replaces `base`; on Windows a rooted path
    // without a prefix keeps `base`'s prefix (its drive or UNC share).
    base.join(path)
}
