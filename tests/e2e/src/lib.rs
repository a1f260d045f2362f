//! End-to-end harness for the real Voicelamp app (tauri-driver + WebKitWebDriver under Xvfb).
