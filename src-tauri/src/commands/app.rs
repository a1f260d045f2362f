//! The app as a whole: versions, the lines, where to go, start at login, diagnostics.

use tauri::{AppHandle, Manager, Runtime, State};
use voicelamp_desktop::backend::AppInfo;
use voicelamp_desktop::engine::EngineView;
use voicelamp_desktop::navigation::{Navigation, PendingNavigation};
use voicelamp_desktop::protocol::{Call, Reply};
use voicelamp_desktop::sip_trace::SipExchange;

use super::expect_reply;
use crate::HostLink;

/// Name and version of the running app and engine.
#[tauri::command]
#[specta::specta]
pub fn app_info() -> AppInfo {
    voicelamp_desktop::backend::app_info()
}

/// Every line, account and total as the engine sees them now; changes follow as `LinesChanged`.
/// When the backend cannot be asked, the view says why (nothing is shown as known).
#[tauri::command]
#[specta::specta]
pub async fn lines_view<R: Runtime>(app: AppHandle<R>) -> EngineView {
    let link = app.state::<HostLink>().inner().clone();
    match link.call(Call::LinesView).await {
        Ok(Reply::Lines(view)) => view,
        Ok(other) => EngineView {
            config_error: Some(super::unexpected(&other)),
            ..EngineView::default()
        },
        Err(e) => EngineView {
            config_error: Some(e),
            ..EngineView::default()
        },
    }
}

/// Where the window was asked to go before it was ready (a tray row, a notification click); once.
#[tauri::command]
#[specta::specta]
pub async fn take_navigation<R: Runtime>(app: AppHandle<R>) -> Option<Navigation> {
    if let Some(navigation) = app.state::<PendingNavigation>().take() {
        return Some(navigation);
    }
    let link = app.state::<HostLink>().inner().clone();
    match link.call(Call::TakeNavigation).await {
        Ok(Reply::Navigation(navigation)) => navigation,
        _ => None,
    }
}

/// The last SIP messages sent and received (redacted: no `Authorization` values), oldest first.
#[tauri::command]
#[specta::specta]
pub async fn sip_trace<R: Runtime>(app: AppHandle<R>) -> Vec<SipExchange> {
    let link = app.state::<HostLink>().inner().clone();
    match link.call(Call::SipTrace).await {
        Ok(Reply::Trace(trace)) => trace,
        _ => Vec::new(),
    }
}

/// A support report in words: versions, the configuration file, and every account's
/// registration and subscriptions with what to fix. It holds no password and no caller details.
#[tauri::command]
#[specta::specta]
pub async fn diagnostics_report(link: State<'_, HostLink>) -> Result<String, String> {
    expect_reply!(link.call(Call::DiagnosticsReport).await, Text(text) => text)
}

/// Whether Voicelamp starts (in the tray, without a window) when the person logs in.
#[tauri::command]
#[specta::specta]
pub async fn autostart_get(link: State<'_, HostLink>) -> Result<bool, String> {
    expect_reply!(link.call(Call::AutostartGet).await, Flag(on) => on)
}

/// Turns starting at login on or off; returns the state now in effect.
#[tauri::command]
#[specta::specta]
pub async fn autostart_set(link: State<'_, HostLink>, enabled: bool) -> Result<bool, String> {
    expect_reply!(link.call(Call::AutostartSet { enabled }).await, Flag(on) => on)
}
