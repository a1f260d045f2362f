//! Settings: accounts (with their password in the OS keyring, never in the file), notifications,
//! and the "test" button. Each operation validates its input, changes the configuration through
//! core's `settings` rules, writes the file, and tells the engine to reload.

use crate::engine::{EngineService, load_config};
use serde::{Deserialize, Serialize};
use specta::Type;
use std::time::Duration;
use voicelamp_core::settings::{
    AccountForm, NotificationsForm, PasswordSourceForm, notifications_form, password_to_store,
    remove_account, set_notifications, upsert_account,
};
use voicelamp_core::{Config, MemoryStore, Secret, SecretStore};

/// How long the "test" button waits for the server's answers.
const TEST_WAIT: Duration = Duration::from_secs(10);

/// Everything the Settings view edits.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    /// Accounts in file order.
    pub accounts: Vec<AccountSettings>,
    /// Notifications.
    pub notifications: NotificationsForm,
    /// The configuration file.
    pub config_path: String,
}

/// One account and whether the keyring holds its password.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettings {
    /// The form.
    pub form: AccountForm,
    /// The OS keyring has a password for it (only for the keyring source).
    pub has_password: bool,
    /// The OS keyring has a voicemail PIN for it.
    pub has_voicemail_pin: bool,
}

/// The outcome of the "test" button: the diagnosis in words.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// One finding per line.
    pub report: String,
    /// Everything works.
    pub ok: bool,
}

/// Where a new password goes with a form. Its `Debug` output leaves the password out.
#[derive(Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountChange {
    /// The account being edited; none for a new account.
    pub existing_id: Option<String>,
    /// The account.
    pub form: AccountForm,
    /// A new password (keyring source only); none keeps the stored one.
    pub password: Option<String>,
    /// A new voicemail PIN for the keyring; none keeps the stored one. Empty, or a form that
    /// sends no PIN (`voicemail_pin_delay` none), removes it.
    #[serde(default)]
    pub voicemail_pin: Option<String>,
}

impl std::fmt::Debug for AccountChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountChange")
            .field("existing_id", &self.existing_id)
            .field("form", &self.form)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field(
                "voicemail_pin",
                &self.voicemail_pin.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

fn keyring() -> Result<Box<dyn SecretStore>, String> {
    voicelamp_core::secrets::KeyringStore::open()
        .map(|store| Box::new(store) as Box<dyn SecretStore>)
        .map_err(|e| format!("the OS keyring cannot be opened: {e}"))
}

fn read(engine: &EngineService) -> Result<Config, String> {
    load_config(engine.config_path()).map_err(|e| e.to_string())
}

fn write(engine: &EngineService, config: &Config) -> Result<(), String> {
    config
        .save(engine.config_path())
        .map_err(|e| format!("the configuration could not be written: {e}"))
}

fn checked_password(password: Option<&str>) -> Result<Option<Secret>, String> {
    voicelamp_core::settings::checked_password(password).map_err(|e| e.to_string())
}

/// The accounts and notification settings in the configuration file.
pub fn get(engine: &EngineService) -> Result<SettingsView, String> {
    let config = read(engine)?;
    let store = config
        .accounts
        .iter()
        .any(|a| {
            a.password == voicelamp_core::PasswordSource::Keyring || a.voicemail_pin_delay.is_some()
        })
        .then(keyring)
        .and_then(Result::ok);
    let accounts = config
        .accounts
        .iter()
        .map(|account| {
            let form = AccountForm::from_config(account);
            let has_password = form.password_source == PasswordSourceForm::Keyring
                && store
                    .as_ref()
                    .is_some_and(|s| matches!(s.get(&account.id), Ok(Some(_))));
            let has_voicemail_pin = store
                .as_ref()
                .is_some_and(|s| matches!(s.get(&pin_key(&account.id)), Ok(Some(_))));
            AccountSettings {
                form,
                has_password,
                has_voicemail_pin,
            }
        })
        .collect();
    Ok(SettingsView {
        accounts,
        notifications: notifications_form(&config),
        config_path: engine.config_path().display().to_string(),
    })
}

/// Adds or changes an account; a new password goes to the OS keyring. The engine restarts the
/// accounts.
pub async fn save_account(engine: &EngineService, change: AccountChange) -> Result<(), String> {
    let password = checked_password(change.password.as_deref())?;
    let pin = checked_pin(change.voicemail_pin.as_deref())?;
    let _guard = engine.config_lock().await;
    let config = read(engine)?;
    let next = upsert_account(
        &config,
        change.existing_id.as_deref(),
        &change.form,
        engine.config_path(),
    )
    .map_err(|e| e.to_string())?;
    let id = change.form.id.trim();
    let to_store = password_to_store(&change.form, change.existing_id.is_none(), password)
        .map_err(|e| e.to_string())?;
    if let Some(secret) = to_store {
        keyring()?
            .set(id, &secret)
            .map_err(|e| format!("the password could not be stored: {e}"))?;
    }
    // A PIN no longer sent (no delay, or an empty PIN given) leaves the keyring.
    let remove = matches!(pin, Some(None)) || change.form.voicemail_pin_delay.is_none();
    match pin {
        Some(Some(pin)) if change.form.voicemail_pin_delay.is_some() => keyring()?
            .set(&pin_key(id), &pin)
            .map_err(|e| format!("the voicemail PIN could not be stored: {e}"))?,
        _ if remove => {
            if let Ok(store) = keyring()
                && matches!(store.get(&pin_key(id)), Ok(Some(_)))
                && let Err(e) = store.delete(&pin_key(id))
            {
                tracing::warn!(error = %e, "the voicemail PIN could not be removed");
            }
        }
        _ => {}
    }
    write(engine, &next)?;
    engine.reload();
    Ok(())
}

/// Where an account's voicemail PIN is kept in the keyring (the engine reads it there).
fn pin_key(account: &str) -> String {
    format!("{account}.voicemail-pin")
}

/// The PIN to store (`Some(None)`: remove it; `None`: keep what is stored): keypad keys only.
fn checked_pin(pin: Option<&str>) -> Result<Option<Option<Secret>>, String> {
    let Some(pin) = pin.map(str::trim) else {
        return Ok(None);
    };
    if pin.is_empty() {
        return Ok(Some(None));
    }
    if pin.chars().count() > 16
        || !pin
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
    {
        return Err("a voicemail PIN is made of the keys 0–9, * and # (at most 16)".to_owned());
    }
    Ok(Some(Some(Secret::new(pin.to_owned()))))
}

/// Removes an account and its keyring entry.
pub async fn remove(engine: &EngineService, id: &str) -> Result<(), String> {
    let _guard = engine.config_lock().await;
    let config = read(engine)?;
    let next = remove_account(&config, id).map_err(|e| e.to_string())?;
    write(engine, &next)?;
    if let Ok(store) = keyring() {
        if let Err(e) = store.delete(id) {
            tracing::warn!(error = %e, "the keyring entry could not be removed");
        }
        let _ = store.delete(&pin_key(id));
    }
    engine.reload();
    Ok(())
}

/// Changes the notification settings.
pub async fn save_notifications(
    engine: &EngineService,
    form: &NotificationsForm,
) -> Result<(), String> {
    let _guard = engine.config_lock().await;
    let config = read(engine)?;
    let next = set_notifications(&config, form, engine.config_path()).map_err(|e| e.to_string())?;
    write(engine, &next)?;
    engine.reload_notifications();
    Ok(())
}

/// Tries an account as filled in (saved or not): registers it alone, waits for the answers,
/// unregisters, and says in words what works and what to fix.
pub async fn test(engine: &EngineService, change: AccountChange) -> Result<CheckReport, String> {
    let password = checked_password(change.password.as_deref())?;
    let config = read(engine)?;
    let base = Config {
        accounts: config
            .accounts
            .iter()
            .filter(|a| Some(a.id.as_str()) == change.existing_id.as_deref())
            .cloned()
            .collect(),
        ..Config::default()
    };
    let candidate = upsert_account(
        &base,
        change.existing_id.as_deref(),
        &change.form,
        engine.config_path(),
    )
    .map_err(|e| e.to_string())?;
    let id = change.form.id.trim().to_owned();
    let secrets: Box<dyn SecretStore> = match password {
        Some(secret) => {
            let store = MemoryStore::new();
            store.set(&id, &secret).map_err(|e| e.to_string())?;
            Box::new(store)
        }
        None => voicelamp_core::runtime::secret_store(&candidate),
    };
    let user_agent = format!("Voicelamp/{}", env!("CARGO_PKG_VERSION"));
    let diagnosis = voicelamp_core::runtime::check(
        &candidate,
        &id,
        secrets.as_ref(),
        &user_agent,
        TEST_WAIT,
        std::future::pending(),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(CheckReport {
        report: diagnosis.report,
        ok: diagnosis.ok,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use voicelamp_core::AccountConfig;

    #[test]
    fn an_account_change_never_shows_its_password_in_debug_output() {
        let change = AccountChange {
            existing_id: Some("desk".into()),
            form: AccountForm::from_config(&AccountConfig::new("desk", "sip:1001@pbx.example.com")),
            password: Some("hunter2-secret".into()),
            voicemail_pin: Some("4711".into()),
        };
        for text in [format!("{change:?}"), format!("{change:#?}")] {
            assert!(!text.contains("hunter2-secret"), "{text}");
            assert!(!text.contains("4711"), "the PIN neither: {text}");
            assert!(text.contains("desk"), "the rest stays readable: {text}");
        }
        let call = crate::protocol::Call::AccountSave { change };
        assert!(!format!("{call:?}").contains("hunter2-secret"));
    }

    #[test]
    fn a_voicemail_pin_is_keypad_keys_and_empty_removes_it() {
        assert!(matches!(checked_pin(None), Ok(None)));
        assert!(matches!(checked_pin(Some("  ")), Ok(Some(None))));
        assert!(matches!(checked_pin(Some("1234#")), Ok(Some(Some(_)))));
        for bad in ["12a4", "12 34", "12345678901234567"] {
            let reason = checked_pin(Some(bad)).expect_err(bad);
            assert!(reason.contains("0–9"), "{reason}");
        }
    }
}
