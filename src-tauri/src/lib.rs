//! The Voicelamp desktop shell: builds the Tauri app around the engine of `voicelamp-core`.

/// Starts the desktop app.
pub fn run() {}
