use crate::window::{Navigation, PendingNavigation};

/// Where the window was asked to go before it was ready (a tray row, a notification click); once.
#[tauri::command]
#[specta::specta]
pub fn take_navigation(pending: tauri::State<'_, PendingNavigation>) -> Option<Navigation> {
    pending.take()
}
