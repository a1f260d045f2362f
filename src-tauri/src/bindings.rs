//! The UI↔backend contract: every command, event and type the UI may use, exported by tauri-specta
//! into `ui/src/bindings.ts`. The UI never names a command or event by a hand-written string.

use tauri::Runtime;
use tauri_specta::{Builder, collect_commands, collect_events};

use crate::commands;

/// Where the generated bindings live, relative to the `src-tauri` folder.
pub const BINDINGS_PATH: &str = "../ui/src/bindings.ts";

/// The contract of this app build: commands and events registered with tauri-specta.
pub fn contract<R: Runtime>() -> Builder<R> {
    Builder::<R>::new()
        .commands(collect_commands![
            commands::app::app_info,
            commands::app::lines_view::<tauri::Wry>,
            commands::app::take_navigation::<tauri::Wry>,
            commands::settings::settings_get,
            commands::settings::account_save,
            commands::settings::account_remove,
            commands::settings::account_test,
            commands::settings::notifications_save,
            commands::mailbox::mailbox_stores,
            commands::mailbox::mailbox_list,
            commands::mailbox::mailbox_audio,
            commands::mailbox::mailbox_audio_chunk,
            commands::mailbox::mailbox_act,
            commands::app::autostart_get,
            commands::app::autostart_set,
            commands::app::diagnostics_report,
            commands::app::sip_trace::<tauri::Wry>,
            commands::call::calls_view,
            commands::call::call_start,
            commands::call::call_voicemail,
            commands::call::call_hang_up,
            commands::call::call_answer,
            commands::call::call_decline,
            commands::call::call_dtmf,
            commands::call::call_mute,
            commands::call::call_hold,
            commands::call::call_volume,
            commands::call::missed_clear,
        ])
        .events(collect_events![
            crate::events::LinesChanged,
            crate::window::NavigateTo,
            crate::events::MailboxChanged,
            crate::events::CallChanged
        ])
}

/// Writes the TypeScript bindings of [`contract`] to `path`.
pub fn export(path: &std::path::Path) -> Result<(), specta_typescript::Error> {
    contract::<tauri::Wry>().export(specta_typescript::Typescript::default(), path)
}
