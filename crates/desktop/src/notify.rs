//! Desktop notifications with `notify-rust` (the Tauri notification plugin has no click events on
//! the desktop). What to show and when is core's `NotificationPolicy`; this module only shows,
//! replaces and closes notifications, and turns a click into a [`Navigation`] to the message.
//!
//! Each shown notification keeps its D-Bus id under the policy's stable id, so a later
//! notification about the same line replaces it instead of piling up, and a withdrawal (every
//! message heard) closes it.

use crate::navigation::{Navigation, ViewId};
use crate::shell::Shell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;
use voicelamp_core::{Notification, NotificationId, Urgency};

/// The action a click on the notification's body invokes.
const DEFAULT_ACTION: &str = "default";

/// Notifications on screen, by the policy's id.
#[derive(Debug, Default, Clone)]
pub struct Notifier {
    shown: Arc<Mutex<HashMap<NotificationId, Shown>>>,
}

#[derive(Debug)]
struct Shown {
    dbus_id: u32,
    /// Ends the click listener: `true` also closes the notification, `false` leaves it (it is
    /// being replaced in place).
    stop: Option<oneshot::Sender<bool>>,
}

impl Notifier {
    /// Shows `notification` (replacing an earlier one with the same id); a click opens its
    /// target and starts playback.
    pub fn show(&self, shell: &Arc<dyn Shell>, notification: Notification) {
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
            let mut desktop = notify_rust::Notification::new();
            desktop
                .appname(voicelamp_core::PRODUCT_NAME)
                .summary(&notification.title)
                .body(&notification.body)
                .icon("voicelamp")
                .action(DEFAULT_ACTION, "Play")
                .hint(notify_rust::Hint::Category("im.received".to_owned()));
            #[cfg(all(unix, not(target_os = "macos")))]
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
            let mut clicked = false;
            tokio::select! {
                () = handle.wait_for_action_async(|response| {
                    clicked = matches!(
                        response,
                        notify_rust::NotificationResponse::Default
                    ) || matches!(
                        response,
                        notify_rust::NotificationResponse::Action(a) if a == DEFAULT_ACTION
                    );
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
            if clicked {
                tracing::debug!(id = %notification.id, "notification clicked");
                let navigation = click_target(&notification);
                shell.navigate(navigation);
            }
        });
    }

    /// Closes the notification with the policy's id `id`, if it is on screen.
    pub fn withdraw(&self, id: &NotificationId) {
        let entry = self
            .shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        if let Some(Shown {
            stop: Some(stop), ..
        }) = entry
        {
            let _ = stop.send(true);
        }
    }
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
    use voicelamp_core::{NotificationKind, Target};

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
}
