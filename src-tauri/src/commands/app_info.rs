use serde::Serialize;
use specta::Type;

/// Name and versions of the running app, shown in Diagnostics and in bug reports.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub engine_version: String,
}

/// Name and version of the running app and engine.
#[tauri::command]
#[specta::specta]
pub fn app_info() -> AppInfo {
    AppInfo {
        name: voicelamp_core::PRODUCT_NAME.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        engine_version: voicelamp_core::VERSION.to_owned(),
    }
}
