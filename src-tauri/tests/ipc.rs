//! The shell's commands answered through Tauri's mock runtime: the same IPC path the UI uses.

use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;

#[test]
fn app_info_reports_the_app_and_engine_versions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = voicelamp_app::AppOptions {
        open_window: false,
        config_path: dir.path().join("config.toml"),
        tray_probe: None,
    };
    let app = voicelamp_app::app_builder(mock_builder(), options)
        .build(mock_context(noop_assets()))
        .expect("the app builds on the mock runtime");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("a mock window");
    let response = get_ipc_response(
        &webview,
        InvokeRequest {
            cmd: "app_info".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .expect("app_info answers");
    let info: serde_json::Value = response.deserialize().expect("JSON");
    assert_eq!(info["name"], "Voicelamp");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["engineVersion"], voicelamp_core::VERSION);
}
