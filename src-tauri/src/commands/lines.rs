use crate::engine::{EngineService, EngineView};

/// Every line, account and total as the engine sees them now; changes follow as `LinesChanged`.
#[tauri::command]
#[specta::specta]
pub fn lines_view(engine: tauri::State<'_, EngineService>) -> EngineView {
    engine.view()
}
