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
    #[cfg(target_os = "linux")]
    if std::env::var_os(GPU_ENV).is_none() {
        window.with_webview(|webview| render_without_gl(&webview.inner()))?;
    }
    window.set_focus()
}

/// Set (to anything) to let WebKitGTK composite the window with OpenGL.
#[cfg(target_os = "linux")]
pub const GPU_ENV: &str = "VOICELAMP_GPU";

/// Draws the page on the CPU instead of compositing it with OpenGL. The window is flat text and
/// shapes; on the machines receptionists often use (virtual desktops, remote sessions, no GPU:
/// OpenGL is emulated on the CPU) GL compositing took the Lines view with 200 tiles and 50
/// updates a second down to 11 frames a second at 1.5 cores, where drawing on the CPU keeps it
/// above 60 at a third of a core (`tests/e2e/measure tiles`).
#[cfg(target_os = "linux")]
fn render_without_gl(webview: &webkit2gtk::WebView) {
    use webkit2gtk::{SettingsExt as _, WebViewExt as _};
    if let Some(settings) = webview.settings() {
        settings.set_hardware_acceleration_policy(webkit2gtk::HardwareAccelerationPolicy::Never);
    }
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
