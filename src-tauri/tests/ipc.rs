//! The shell's commands answered through Tauri's mock runtime: the same IPC path the UI uses.

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow};

/// The app on the mock runtime with its configuration in `dir`, and a window to call from.
fn app(dir: &std::path::Path) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let options = voicelamp_app::AppOptions {
        open_window: false,
        config_path: dir.join("config.toml"),
        tray_probe: None,
        navigation: None,
        sip_trace: Default::default(),
    };
    let app = voicelamp_app::app_builder(mock_builder(), options)
        .build(mock_context(noop_assets()))
        .expect("the app builds on the mock runtime");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("a mock window");
    (app, webview)
}

/// Calls `cmd` with `args`; `Ok` with the answer, `Err` with the error the UI would get.
fn call(webview: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|response| response.deserialize().expect("JSON"))
}

#[test]
fn app_info_reports_the_app_and_engine_versions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, webview) = app(dir.path());
    let info = call(&webview, "app_info", json!({})).expect("app_info answers");
    assert_eq!(info["name"], "Voicelamp");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["engineVersion"], voicelamp_core::VERSION);
}

fn account(id: &str) -> Value {
    json!({
        "id": id,
        "displayName": "Front desk",
        "aor": "sip:1001@pbx.example.com",
        "authUser": null,
        "registrar": null,
        "outboundProxy": null,
        "register": true,
        "monitorOwn": true,
        "mailboxes": [{ "uri": "sip:support@pbx.example.com", "displayName": "Support" }],
        "voicemailAccessCode": null,
        "unsolicited": "registrar",
        "tlsCaFile": null,
        "tlsInsecureSkipVerify": false,
        "expires": 3600,
        "passwordSource": { "kind": "env", "value": "VOICELAMP_TEST_PW" },
        "voicemail": null
    })
}

#[test]
fn settings_add_edit_and_remove_an_account_in_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, webview) = app(dir.path());
    let empty = call(&webview, "settings_get", json!({})).expect("settings");
    assert_eq!(empty["accounts"], json!([]));

    let change =
        json!({ "change": { "existingId": null, "form": account("desk"), "password": null } });
    call(&webview, "account_save", change).expect("saved");
    let written = std::fs::read_to_string(dir.path().join("config.toml")).expect("file");
    assert!(written.contains("sip:1001@pbx.example.com"), "{written}");
    assert!(
        written.contains("password_env = \"VOICELAMP_TEST_PW\""),
        "{written}"
    );
    let settings = call(&webview, "settings_get", json!({})).expect("settings");
    assert_eq!(settings["accounts"][0]["form"]["id"], "desk");
    assert_eq!(
        settings["accounts"][0]["form"]["mailboxes"][0]["displayName"],
        "Support"
    );

    // A password for an account that reads it from the environment is refused, not stored.
    let with_password = json!({ "change": {
        "existingId": "desk", "form": account("desk"), "password": "secret-pw" } });
    let refused = call(&webview, "account_save", with_password).expect_err("refused");
    assert!(refused.to_string().contains("keyring"), "{refused}");
    let written = std::fs::read_to_string(dir.path().join("config.toml")).expect("file");
    assert!(!written.contains("secret-pw"));

    // A field the file's rules refuse is named.
    let mut bad = account("other");
    bad["aor"] = json!("not a uri");
    let change = json!({ "change": { "existingId": null, "form": bad, "password": null } });
    let refused = call(&webview, "account_save", change).expect_err("refused");
    assert!(refused.to_string().contains("aor"), "{refused}");

    call(&webview, "account_remove", json!({ "id": "desk" })).expect("removed");
    let settings = call(&webview, "settings_get", json!({})).expect("settings");
    assert_eq!(settings["accounts"], json!([]));
}

#[test]
fn mailbox_commands_refuse_bad_input_and_explain_a_missing_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, webview) = app(dir.path());
    let change =
        json!({ "change": { "existingId": null, "form": account("desk"), "password": null } });
    call(&webview, "account_save", change).expect("saved");
    let stores = call(&webview, "mailbox_stores", json!({})).expect("stores");
    assert_eq!(stores, json!([]));
    let err = call(
        &webview,
        "mailbox_list",
        json!({ "account": "desk", "folder": null }),
    )
    .expect_err("no store");
    assert!(err.to_string().contains("no voicemail store"), "{err}");
    let err = call(
        &webview,
        "mailbox_act",
        json!({ "account": "desk", "folder": "INBOX", "id": "../x", "action": "markHeard" }),
    )
    .expect_err("bad id");
    assert!(err.to_string().contains("not a message id"), "{err}");
}
