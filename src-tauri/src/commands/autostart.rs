use tauri_plugin_autostart::AutoLaunchManager;

/// Whether Voicelamp starts (in the tray, without a window) when the person logs in.
#[tauri::command]
#[specta::specta]
pub fn autostart_get(launcher: tauri::State<'_, AutoLaunchManager>) -> Result<bool, String> {
    launcher
        .is_enabled()
        .map_err(|e| format!("the login items cannot be read: {e}"))
}

/// Turns starting at login on or off; returns the state now in effect.
#[tauri::command]
#[specta::specta]
pub fn autostart_set(
    launcher: tauri::State<'_, AutoLaunchManager>,
    enabled: bool,
) -> Result<bool, String> {
    let result = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    result.map_err(|e| format!("the login item cannot be changed: {e}"))?;
    launcher
        .is_enabled()
        .map_err(|e| format!("the login items cannot be read: {e}"))
}
