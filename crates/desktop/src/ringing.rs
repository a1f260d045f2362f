//! An incoming call that rings here: the ringer on the ringer device and a notification with
//! Answer and Decline (a click on its body opens the window, where the call view shows the
//! call), both ended as soon as the call stops ringing (answered, declined, the caller gave up).

// Windows and macOS show no notification of their own (see `notify`).
#![cfg_attr(any(windows, target_os = "macos"), allow(unused_imports, dead_code))]

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use tokio::sync::oneshot;
use voicelamp_core::{CallDirection, CallState, CallView};

use crate::engine::{CallCommand, EngineService};
use crate::navigation::{Navigation, ViewId};
use crate::shell::Shell;

const ANSWER: &str = "answer";
const DECLINE: &str = "decline";

/// Whether `call` rings here, waiting for Answer or Decline.
pub fn rings_here(call: &CallView) -> bool {
    call.direction == CallDirection::Incoming && call.state == CallState::Ringing
}

/// The ringing call, if any: its ringer and its notification.
#[derive(Debug, Default)]
pub struct Ringing {
    current: Option<Current>,
}

#[derive(Debug)]
struct Current {
    id: u32,
    /// Stops the ringer's thread.
    ringer: Option<std_mpsc::Sender<()>>,
    /// Closes the notification.
    notification: Option<oneshot::Sender<()>>,
}

impl Drop for Current {
    fn drop(&mut self) {
        if let Some(stop) = self.ringer.take() {
            let _ = stop.send(());
        }
        if let Some(close) = self.notification.take() {
            let _ = close.send(());
        }
    }
}

impl Ringing {
    /// Follows the call: a new call ringing here starts the ringer (on `ringer_device`, the
    /// default when none) and the notification; anything else ends them.
    pub fn follow(
        &mut self,
        call: Option<&CallView>,
        ringer_device: Option<&str>,
        engine: Option<EngineService>,
        shell: &Arc<dyn Shell>,
    ) {
        let ringing = call.filter(|c| rings_here(c));
        match (ringing, &self.current) {
            (Some(call), Some(current)) if current.id == call.id => {}
            (Some(call), _) => {
                self.current = Some(Current {
                    id: call.id,
                    ringer: Some(ring(ringer_device)),
                    notification: Some(notify(call, engine, shell.clone())),
                });
            }
            (None, _) => self.current = None,
        }
    }

    /// The id of the call ringing here, if any.
    pub fn ringing(&self) -> Option<u32> {
        self.current.as_ref().map(|c| c.id)
    }
}

/// Rings on `device` on a thread of its own until told to stop (the sound device's stream
/// stays on the thread that opened it).
fn ring(device: Option<&str>) -> std_mpsc::Sender<()> {
    let (stop, stopped) = std_mpsc::channel::<()>();
    let device = device.map(str::to_owned);
    let started = std::thread::Builder::new()
        .name("voicelamp-ringer".into())
        .spawn(
            move || match voicelamp_audio::Ringer::start(device.as_deref()) {
                Ok(mut ringer) => {
                    if let Some(notice) = ringer.take_notice() {
                        tracing::warn!(%notice, "ringer");
                    }
                    let _ = stopped.recv();
                    ringer.stop();
                }
                Err(e) => tracing::warn!(error = %e, "the ringer cannot ring: no sound device"),
            },
        );
    if let Err(e) = started {
        tracing::warn!(error = %e, "the ringer cannot start");
    }
    stop
}

/// Shows the incoming call's notification; its buttons answer or decline through `engine`.
#[cfg(all(unix, not(target_os = "macos")))]
fn notify(
    call: &CallView,
    engine: Option<EngineService>,
    shell: Arc<dyn Shell>,
) -> oneshot::Sender<()> {
    let (close, closed) = oneshot::channel::<()>();
    let who = match &call.remote_name {
        Some(name) if !name.trim().is_empty() => format!("{name} ({})", call.remote),
        _ => call.remote.clone(),
    };
    let mut desktop = notify_rust::Notification::new();
    desktop
        .appname(voicelamp_core::PRODUCT_NAME)
        .summary(&format!("Incoming call — {}", call.line_name))
        .body(&who)
        .icon("voicelamp")
        .action("default", "Show")
        .action(ANSWER, "Answer")
        .action(DECLINE, "Decline")
        .hint(notify_rust::Hint::Category("call.incoming".to_owned()))
        .hint(notify_rust::Hint::Resident(true));
    #[cfg(all(unix, not(target_os = "macos")))]
    desktop.urgency(notify_rust::Urgency::Critical);
    tokio::spawn(async move {
        let handle = match desktop.show_async().await {
            Ok(handle) => handle,
            Err(e) => {
                tracing::warn!(error = %e, "the incoming call's notification could not be shown");
                return;
            }
        };
        let mut chosen = None;
        tokio::select! {
            () = handle.wait_for_action_async(|action| {
                chosen = Some(match action {
                    notify_rust::NotificationResponse::Action(a) => a.clone(),
                    _ => "default".to_owned(),
                });
            }) => {}
            _ = closed => {
                handle.close_async().await;
                return;
            }
        }
        let command = match chosen.as_deref() {
            Some(ANSWER) => voicelamp_core::CallCommand::Answer,
            Some(DECLINE) => voicelamp_core::CallCommand::Decline,
            Some(_) => {
                shell.navigate(Navigation::view(ViewId::Lines));
                return;
            }
            None => return,
        };
        if let Some(engine) = engine
            && let Err(reason) = engine.call(CallCommand::Call(command)).await
        {
            crate::notify::call_failed(&reason);
        }
    });
    close
}

/// Windows and macOS: no notification buttons through `notify-rust` there; the call view of the
/// window answers and declines.
#[cfg(any(windows, target_os = "macos"))]
fn notify(
    _call: &CallView,
    _engine: Option<EngineService>,
    _shell: Arc<dyn Shell>,
) -> oneshot::Sender<()> {
    oneshot::channel().0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(direction: CallDirection, state: CallState) -> CallView {
        CallView {
            id: 3,
            line: "desk".into(),
            line_name: "Front desk".into(),
            remote: "1002".into(),
            remote_name: Some("Alice".into()),
            direction,
            state,
            muted: false,
            heard: false,
            quality: None,
            codec: None,
            secure: false,
            voicemail: false,
            notice: None,
        }
    }

    #[test]
    fn only_an_incoming_call_that_rings_here_rings() {
        assert!(rings_here(&call(
            CallDirection::Incoming,
            CallState::Ringing
        )));
        assert!(!rings_here(&call(
            CallDirection::Outgoing,
            CallState::Ringing
        )));
        let answered = CallState::Connected {
            since: "2026-12-04T21:00:00Z".into(),
        };
        assert!(!rings_here(&call(CallDirection::Incoming, answered)));
    }
}
