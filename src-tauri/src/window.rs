//! The main window. It exists only while a person looks at it: closing it destroys the webview (the
//! tray and the engine keep running), and opening it again builds a new one.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// The label of the one main window.
pub const MAIN: &str = "main";

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
