//! The main window. It exists only while a person looks at it: closing it destroys the webview (the
//! tray and the engine keep running; on Linux the window's whole process ends), and opening it
//! again builds a new one.
//!
//! Where the window should go (a view, a mailbox, a message to play) is a typed [`Navigation`]:
//! kept as pending state for a window that is still loading (the UI takes it with the
//! `take_navigation` command when it starts) and sent as the [`NavigateTo`] event to a window that
//! is already open.

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};
use tauri_specta::Event as _;
pub use voicelamp_desktop::navigation::{Navigation, PendingNavigation, ViewId};

/// The label of the one main window.
pub const MAIN: &str = "main";

/// Go there (sent to an open window).
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
pub struct NavigateTo(pub Navigation);

/// Shows the main window, building it if it was closed.
pub fn open_main<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window(MAIN) {
        window.unminimize()?;
        window.show()?;
        return window.set_focus();
    }
    let window = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Voicelamp")
        .inner_size(960.0, 640.0)
        .min_inner_size(480.0, 360.0)
        .build()?;
    window.set_focus()
}

/// Shows the main window at `navigation`.
pub fn navigate<R: Runtime>(app: &AppHandle<R>, navigation: Navigation) -> tauri::Result<()> {
    let open = app.get_webview_window(MAIN).is_some();
    if open {
        if let Err(e) = NavigateTo(navigation).emit(app) {
            tracing::warn!(error = %e, "the window could not be told where to go");
        }
    } else if let Some(pending) = app.try_state::<PendingNavigation>() {
        pending.set(navigation);
    }
    open_main(app)
}
