//! The typed events the UI listens to (exported to `ui/src/bindings.ts`), and how what the backend
//! tells the window becomes them.

use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Runtime};
use tauri_specta::Event as _;
use voicelamp_desktop::calls::CallsView;
use voicelamp_desktop::engine::EngineView;
use voicelamp_desktop::mailboxes::MailboxUpdate;
use voicelamp_desktop::protocol::HostEvent;

use crate::window;

/// Every line's state changed (the whole view, so the window never has to merge).
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
pub struct LinesChanged(pub EngineView);

/// An account's voicemail changed on the server (a message arrived, was heard or deleted,
/// possibly on another device), or its connection came or went.
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
pub struct MailboxChanged(pub MailboxUpdate);

/// The call in progress or the missed calls changed (the whole view).
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
pub struct CallChanged(pub CallsView);

/// Shows `event` in the window (or closes it, when the person quit).
pub fn apply<R: Runtime>(app: &AppHandle<R>, event: HostEvent) {
    let sent = match event {
        HostEvent::Lines(view) => LinesChanged(view).emit(app),
        HostEvent::Mailbox(update) => MailboxChanged(update).emit(app),
        HostEvent::Call(calls) => CallChanged(calls).emit(app),
        HostEvent::Navigate(navigation) => window::navigate(app, navigation),
        HostEvent::Quit => {
            app.exit(0);
            Ok(())
        }
    };
    if let Err(e) = sent {
        tracing::debug!(error = %e, "the window could not be told");
    }
}
