//! The Voicelamp desktop shell. It builds the Tauri app around the engine of `voicelamp-core`: the
//! tray lamp and its menu, the main window (closed means destroyed; the tray keeps running), the
//! thin commands the UI calls and the typed contract exported to `ui/src/bindings.ts`.
//!
//! It must never hold business logic: commands validate, call the engine and map errors. Everything
//! a person sees about a mailbox comes from the engine's lamp model.

pub mod badge;
pub mod bindings;
pub mod commands;
pub mod tray;
pub mod window;

use tauri::{RunEvent, Runtime};

/// Command-line flag that starts the app in the tray without opening the window (used by autostart).
pub const MINIMIZED_FLAG: &str = "--minimized";

/// Adds Voicelamp's commands, window policy and tray to a Tauri builder.
///
/// Tests pass `tauri::test::mock_builder()`; [`run`] passes the real one. The tray and the first
/// window are created in `setup`, so a builder made here can be inspected before anything shows.
pub fn app_builder<R: Runtime>(builder: tauri::Builder<R>, open_window: bool) -> tauri::Builder<R> {
    let contract = bindings::contract::<R>();
    builder
        .invoke_handler(contract.invoke_handler())
        .setup(move |app| {
            contract.mount_events(app);
            tray::create(app.handle())?;
            if open_window {
                window::open_main(app.handle())?;
            }
            Ok(())
        })
}

/// Starts the desktop app and blocks until the person quits it.
pub fn run() {
    let open_window = !std::env::args().any(|arg| arg == MINIMIZED_FLAG);
    let builder =
        tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            // A second launch means "show me Voicelamp": bring the window back instead.
            if let Err(err) = window::open_main(app) {
                eprintln!("voicelamp: could not open the window: {err}");
            }
        }));
    let app = app_builder(builder, open_window)
        .build(tauri::generate_context!())
        .expect("the Voicelamp app could not be built");
    app.run(|_handle, event| keep_running_in_tray(event));
}

/// The last window closing is not the app quitting: only an explicit exit (the tray's Quit, which
/// carries an exit code) ends it.
fn keep_running_in_tray(event: RunEvent) {
    if let RunEvent::ExitRequested {
        api, code: None, ..
    } = event
    {
        api.prevent_exit();
    }
}
