//! Desktop notifications with `notify-rust` (the Tauri notification plugin has no click events on
//! the desktop). What to show and when is core's `NotificationPolicy`; this module only shows,
//! replaces and closes notifications, and turns a click into a [`Navigation`] to the message (on
//! Linux also "Call voicemail", and "Listen" calls voicemail for a line without a store).
//!
//! - Linux (D-Bus): each shown notification keeps its D-Bus id under the policy's stable id, so a
//!   later notification about the same line replaces it instead of piling up, and a withdrawal
//!   (every message heard) closes it.
//! - Windows: a toast whose activation (a click on it or on its Play button) is heard through
//!   `tauri-winrt-notification`'s `Activated` event; it is attributed to the app's
//!   AppUserModelID, which the installers give the Start menu shortcut.
//! - macOS: a notification of the app's bundle with a Play action; a click on it or on the action
//!   comes back from Notification Center (`mac-notification-sys`, over the main run loop the
//!   window's event loop runs).
//!
//! Windows and macOS have no replace-or-close through `notify-rust`: there a newer notification is
//! added beside the older one, a withdrawal leaves it in the notification centre, and a late click
//! on it still opens the line's mailbox.

use crate::navigation::{Navigation, ViewId};
use crate::shell::Shell;
use std::sync::Arc;
use voicelamp_core::{Notification, NotificationId};

/// The action a click on the notification's body invokes.
const DEFAULT_ACTION: &str = "default";

/// Notifications on screen, by the policy's id.
#[derive(Debug, Default, Clone)]
pub struct Notifier {
    #[cfg(all(unix, not(target_os = "macos")))]
    shown: Arc<std::sync::Mutex<std::collections::HashMap<NotificationId, Shown>>>,
    /// Notifications waiting for a click (each wait holds a thread of the blocking pool).
    #[cfg(any(windows, target_os = "macos"))]
    listening: Arc<std::sync::atomic::AtomicUsize>,
}

/// At most this many notifications wait for a click at once off Linux; beyond it one is shown
/// without a listener (a click on it does nothing), so unanswered notifications cannot pile up
/// threads.
#[cfg(any(windows, target_os = "macos"))]
const MAX_LISTENING: usize = 8;

#[cfg(all(unix, not(target_os = "macos")))]
#[derive(Debug)]
struct Shown {
    dbus_id: u32,
    /// Ends the click listener: `true` also closes the notification, `false` leaves it (it is
    /// being replaced in place).
    stop: Option<tokio::sync::oneshot::Sender<bool>>,
}

/// The second action: call the line's voicemail.
#[cfg(all(unix, not(target_os = "macos")))]
const VOICEMAIL_ACTION: &str = "call-voicemail";

/// What a notification's buttons do besides opening the window: call voicemail.
#[derive(Debug, Clone)]
pub struct Actions {
    /// The account has a voicemail store: "Listen" plays from it (else it calls voicemail).
    pub store: bool,
    /// Calls voicemail, while the app runs.
    pub engine: Option<crate::engine::EngineService>,
}

impl Notifier {
    /// Shows `notification` (replacing an earlier one with the same id where the platform
    /// can). On Linux, about one line, its "Listen" (also a click) opens the message and plays
    /// it when the account has a voicemail store, else calls voicemail; "Call voicemail" is
    /// always there too. Elsewhere a click opens its target and starts playback.
    pub fn show(&self, shell: &Arc<dyn Shell>, notification: Notification, actions: Actions) {
        #[cfg(all(unix, not(target_os = "macos")))]
        self.show_dbus(shell, notification, actions);
        #[cfg(any(windows, target_os = "macos"))]
        {
            let _ = actions;
            self.show_native(shell, notification);
        }
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    fn show_dbus(&self, shell: &Arc<dyn Shell>, notification: Notification, actions: Actions) {
        use std::sync::PoisonError;
        use tokio::sync::oneshot;
        use voicelamp_core::Urgency;
        let shown = self.shown.clone();
        let shell = shell.clone();
        tokio::spawn(async move {
            let replaces = {
                let mut map = shown.lock().unwrap_or_else(PoisonError::into_inner);
                map.remove(&notification.id).map(|old| {
                    if let Some(stop) = old.stop {
                        // The replaced one's click listener stops; the notification stays and
                        // is replaced in place (same id on the server).
                        let _ = stop.send(false);
                    }
                    old.dbus_id
                })
            };
            let line = notification.target.as_ref().map(|t| t.account.clone());
            let mut desktop = notify_rust::Notification::new();
            desktop
                .appname(voicelamp_core::PRODUCT_NAME)
                .summary(&notification.title)
                .body(&notification.body)
                .icon("voicelamp")
                .action(
                    DEFAULT_ACTION,
                    if line.is_some() { "Listen" } else { "Show" },
                )
                .hint(notify_rust::Hint::Category("im.received".to_owned()));
            if line.is_some() {
                desktop.action(VOICEMAIL_ACTION, "Call voicemail");
            }
            desktop.urgency(match notification.urgency {
                Urgency::Low => notify_rust::Urgency::Low,
                Urgency::Normal => notify_rust::Urgency::Normal,
                Urgency::Critical => notify_rust::Urgency::Critical,
            });
            if let Some(id) = replaces {
                desktop.id(id);
            }
            let handle = match desktop.show_async().await {
                Ok(handle) => handle,
                Err(e) => {
                    tracing::warn!(error = %e, "the notification could not be shown");
                    return;
                }
            };
            tracing::debug!(id = %notification.id, kind = ?notification.kind, "notification shown");
            let (close_tx, close_rx) = oneshot::channel();
            shown.lock().unwrap_or_else(PoisonError::into_inner).insert(
                notification.id.clone(),
                Shown {
                    dbus_id: handle.id(),
                    stop: Some(close_tx),
                },
            );
            let mut chosen = None;
            tokio::select! {
                () = handle.wait_for_action_async(|response| {
                    chosen = match response {
                        notify_rust::NotificationResponse::Default => Some(DEFAULT_ACTION),
                        notify_rust::NotificationResponse::Action(a) if a == DEFAULT_ACTION => {
                            Some(DEFAULT_ACTION)
                        }
                        notify_rust::NotificationResponse::Action(a) if a == VOICEMAIL_ACTION => {
                            Some(VOICEMAIL_ACTION)
                        }
                        _ => None,
                    };
                }) => {}
                stop = close_rx => {
                    if stop.unwrap_or(false) {
                        handle.close_async().await;
                    }
                    return;
                }
            }
            {
                let mut map = shown.lock().unwrap_or_else(PoisonError::into_inner);
                if map.get(&notification.id).map(|s| s.dbus_id) == Some(handle.id()) {
                    map.remove(&notification.id);
                }
            }
            let listen = chosen == Some(DEFAULT_ACTION);
            match (chosen, line) {
                (Some(_), Some(line)) if !listen || !actions.store => {
                    tracing::debug!(id = %notification.id, "notification: call voicemail");
                    call_voicemail(actions.engine, line).await;
                }
                (Some(_), _) => {
                    tracing::debug!(id = %notification.id, "notification clicked");
                    let navigation = click_target(&notification);
                    shell.navigate(navigation);
                }
                (None, _) => {}
            }
        });
    }

    /// Windows and macOS: shows the notification and waits on the blocking pool for its
    /// activation, bounded by [`MAX_LISTENING`].
    #[cfg(any(windows, target_os = "macos"))]
    fn show_native(&self, shell: &Arc<dyn Shell>, notification: Notification) {
        use std::sync::atomic::Ordering;
        let mut desktop = notify_rust::Notification::new();
        desktop
            .summary(&notification.title)
            .body(&notification.body)
            .action(DEFAULT_ACTION, "Play");
        #[cfg(windows)]
        desktop.app_id(APP_USER_MODEL_ID);
        #[cfg(target_os = "macos")]
        {
            static BUNDLE: std::sync::Once = std::sync::Once::new();
            BUNDLE.call_once(|| {
                if let Err(e) = notify_rust::set_application(BUNDLE_ID) {
                    tracing::debug!(error = %e, "notifications keep the default application");
                }
            });
        }
        let listening = self.listening.clone();
        if listening.fetch_add(1, Ordering::SeqCst) >= MAX_LISTENING {
            listening.fetch_sub(1, Ordering::SeqCst);
            tracing::debug!(id = %notification.id, "shown without a click listener (too many waiting)");
            #[cfg(windows)]
            let shown = desktop.show().map(drop);
            #[cfg(target_os = "macos")]
            let shown = desktop
                .schedule_raw(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs_f64())
                        .unwrap_or(0.0),
                )
                .map(drop);
            if let Err(e) = shown {
                tracing::warn!(error = %e, "the notification could not be shown");
            }
            return;
        }
        let shell = shell.clone();
        tokio::task::spawn_blocking(move || {
            let mut clicked = false;
            let result = desktop.show().and_then(|handle| {
                handle.wait_for_response(|response: &notify_rust::NotificationResponse| {
                    clicked = is_click(response);
                })
            });
            listening.fetch_sub(1, Ordering::SeqCst);
            match result {
                Err(e) => tracing::warn!(error = %e, "the notification could not be shown"),
                Ok(()) if clicked => {
                    tracing::debug!(id = %notification.id, "notification clicked");
                    shell.navigate(click_target(&notification));
                }
                Ok(()) => {}
            }
        });
    }

    /// Closes the notification with the policy's id `id`, if it is on screen (Linux; elsewhere
    /// it stays in the notification centre).
    pub fn withdraw(&self, id: &NotificationId) {
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            let entry = self
                .shown
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(id);
            if let Some(Shown {
                stop: Some(stop), ..
            }) = entry
            {
                let _ = stop.send(true);
            }
        }
        #[cfg(any(windows, target_os = "macos"))]
        tracing::debug!(%id, "withdrawn; the notification centre keeps it");
    }
}

/// The Windows AppUserModelID toasts are attributed to: the app's identifier, which the NSIS and
/// MSI installers give the Start menu shortcut.
#[cfg(windows)]
const APP_USER_MODEL_ID: &str = "com.voicelamp.desktop";

/// The macOS bundle identifier notifications are sent as (`tauri.conf.json`'s `identifier`).
#[cfg(target_os = "macos")]
const BUNDLE_ID: &str = "com.voicelamp.desktop";

/// Whether a notification's answer is the person opening it: a click on its body or on Play.
#[cfg(any(windows, target_os = "macos", test))]
fn is_click(response: &notify_rust::NotificationResponse) -> bool {
    match response {
        notify_rust::NotificationResponse::Default => true,
        notify_rust::NotificationResponse::Action(action) => action == DEFAULT_ACTION,
        _ => false,
    }
}

/// Calls `line`'s voicemail; a refusal is said in a notification.
#[cfg(all(unix, not(target_os = "macos")))]
async fn call_voicemail(engine: Option<crate::engine::EngineService>, line: String) {
    let Some(engine) = engine else {
        return;
    };
    let command = crate::engine::CallCommand::Call(voicelamp_core::CallCommand::Voicemail { line });
    if let Err(reason) = engine.call(command).await {
        call_failed(&reason);
    }
}

/// Says in a notification why a call asked for outside the window (the tray menu, a
/// notification's button) could not be made.
pub fn call_failed(reason: &str) {
    let mut desktop = notify_rust::Notification::new();
    desktop.summary("The call could not be made").body(reason);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        desktop
            .appname(voicelamp_core::PRODUCT_NAME)
            .icon("voicelamp");
        tokio::spawn(async move {
            if let Err(e) = desktop.show_async().await {
                tracing::warn!(error = %e, "the notification could not be shown");
            }
        });
    }
    #[cfg(any(windows, target_os = "macos"))]
    tokio::task::spawn_blocking(move || {
        if let Err(e) = desktop.show() {
            tracing::warn!(error = %e, "the notification could not be shown");
        }
    });
}

/// Where a click on `notification` leads: its message, playing, or the Lines view when it
/// covers several lines.
pub fn click_target(notification: &Notification) -> Navigation {
    match &notification.target {
        Some(target) => Navigation {
            message_id: target.message_id.clone(),
            play: true,
            ..Navigation::mailbox(&target.account, &target.mailbox)
        },
        None => Navigation::view(ViewId::Lines),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voicelamp_core::{NotificationKind, Target, Urgency};

    fn notification(target: Option<Target>) -> Notification {
        Notification {
            id: NotificationId("new/desk/sip:1001@pbx".into()),
            kind: NotificationKind::NewMessages,
            title: "Front desk".into(),
            body: "2 new voicemails".into(),
            urgency: Urgency::Normal,
            target,
        }
    }

    #[test]
    fn a_click_plays_the_message_or_opens_the_lines() {
        let one = click_target(&notification(Some(Target {
            account: "desk".into(),
            mailbox: "sip:1001@pbx".into(),
            message_id: Some("7:42".into()),
        })));
        assert_eq!(one.view, ViewId::Mailbox);
        assert_eq!(one.account.as_deref(), Some("desk"));
        assert_eq!(one.message_id.as_deref(), Some("7:42"));
        assert!(one.play);
        let many = click_target(&notification(None));
        assert_eq!(many.view, ViewId::Lines);
        assert!(!many.play);
    }

    /// Off Linux a body click and the Play button open the message; a dismissal does not.
    #[test]
    fn a_click_or_play_is_a_click_and_a_dismissal_is_not() {
        use notify_rust::{CloseReason, NotificationResponse};
        assert!(is_click(&NotificationResponse::Default));
        assert!(is_click(&NotificationResponse::Action(
            DEFAULT_ACTION.into()
        )));
        assert!(!is_click(&NotificationResponse::Action("__closed".into())));
        assert!(!is_click(&NotificationResponse::Closed(
            CloseReason::Dismissed
        )));
    }
}
