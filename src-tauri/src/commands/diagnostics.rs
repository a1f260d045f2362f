use crate::engine::EngineService;

/// A support report in words: versions, the configuration file, and every account's
/// registration and subscriptions with what to fix. It holds no password (none is kept where
/// the report is made) and no caller details.
#[tauri::command]
#[specta::specta]
pub async fn diagnostics_report(engine: tauri::State<'_, EngineService>) -> Result<String, String> {
    let accounts = engine.report().await;
    Ok(format!(
        "{} {} (engine {})\nconfiguration: {}\n\n{accounts}",
        voicelamp_core::PRODUCT_NAME,
        env!("CARGO_PKG_VERSION"),
        voicelamp_core::VERSION,
        engine.config_path().display(),
    ))
}
