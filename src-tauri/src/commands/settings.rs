//! Settings: accounts (the password goes to the OS keyring, never the file), notifications and
//! the "test" button; the rules are core's `settings`, applied by the backend.

use tauri::State;
use voicelamp_core::settings::NotificationsForm;
use voicelamp_desktop::backend::settings::{AccountChange, CheckReport, SettingsView};
use voicelamp_desktop::protocol::Call;

use super::expect_reply;
use crate::HostLink;

/// The accounts and notification settings in the configuration file.
#[tauri::command]
#[specta::specta]
pub async fn settings_get(link: State<'_, HostLink>) -> Result<SettingsView, String> {
    expect_reply!(link.call(Call::SettingsGet).await, Settings(view) => view)
}

/// Adds or changes an account; a new password goes to the OS keyring. The engine restarts the
/// accounts.
#[tauri::command]
#[specta::specta]
pub async fn account_save(link: State<'_, HostLink>, change: AccountChange) -> Result<(), String> {
    expect_reply!(link.call(Call::AccountSave { change }).await, Done)
}

/// Removes an account and its keyring entry.
#[tauri::command]
#[specta::specta]
pub async fn account_remove(link: State<'_, HostLink>, id: String) -> Result<(), String> {
    expect_reply!(link.call(Call::AccountRemove { id }).await, Done)
}

/// Changes the notification settings.
#[tauri::command]
#[specta::specta]
pub async fn notifications_save(
    link: State<'_, HostLink>,
    form: NotificationsForm,
) -> Result<(), String> {
    expect_reply!(link.call(Call::NotificationsSave { form }).await, Done)
}

/// Tries an account as filled in (saved or not): registers it alone, waits for the answers,
/// unregisters, and says in words what works and what to fix.
#[tauri::command]
#[specta::specta]
pub async fn account_test(
    link: State<'_, HostLink>,
    change: AccountChange,
) -> Result<CheckReport, String> {
    expect_reply!(link.call(Call::AccountTest { change }).await, Check(report) => report)
}
