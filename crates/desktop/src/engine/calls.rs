//! The engine task's side of calls: what the window and the tray ask ([`CallCommand`]), the
//! call events of the engine turned into the [`CallsView`] the window and the tray show, and
//! the incoming call that rings here ([`Ringing`]).

use std::sync::PoisonError;

use voicelamp_core::runtime::Engine;
use voicelamp_core::view::LinesView;
use voicelamp_core::{CallCommand as CoreCommand, EngineEvent};

use super::{EngineService, Task};
use crate::badge::Badge;
use crate::protocol::HostEvent;
use crate::tray_menu::TrayMenu;

/// Most missed calls kept (the oldest go first).
pub const MISSED_KEPT: usize = 50;

/// What the window or the tray asks of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallCommand {
    /// Start, answer, end or steer the call (core's commands).
    Call(voicelamp_core::CallCommand),
    /// The far end's loudness, 0–100 %.
    Volume(u8),
    /// Forget the missed calls.
    ClearMissed,
}

impl Task {
    /// Does `command` to the call; what changed, or why not in words. A call that starts or
    /// is answered gets the configured sound devices (silence, saying why, where there are
    /// none), played at the volume the person sets.
    pub(super) async fn call(
        &mut self,
        engine: &mut Engine,
        command: CallCommand,
    ) -> Result<Vec<EngineEvent>, String> {
        match command {
            CallCommand::Call(command) => {
                let opens = matches!(
                    command,
                    CoreCommand::Start { .. } | CoreCommand::Voicemail { .. } | CoreCommand::Answer
                );
                let port = opens.then(|| self.volume.wrap(engine.device_audio()));
                engine
                    .call(command, move || {
                        port.unwrap_or_else(|| Box::new(voicelamp_audio::NoAudio::new()))
                    })
                    .await
            }
            CallCommand::ClearMissed => {
                self.calls
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .missed
                    .clear();
                self.publish_calls();
                Ok(Vec::new())
            }
            CallCommand::Volume(percent) => {
                self.volume.set(percent);
                self.calls
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .volume = self.volume.get();
                self.publish_calls();
                Ok(Vec::new())
            }
        }
    }

    /// Takes the call events among `changes` into the calls view; true when it changed.
    pub(super) fn call_events(&mut self, changes: &[EngineEvent]) -> bool {
        let mut changed = false;
        for change in changes {
            let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
            match change {
                EngineEvent::Call(view) => {
                    if calls.call.as_ref().is_none_or(|c| c.id != view.id) {
                        // A new call plays at full volume.
                        self.volume.set(100);
                        calls.volume = 100;
                    }
                    calls.call = Some(view.clone());
                    changed = true;
                }
                EngineEvent::MissedCall(missed) => {
                    if calls.missed.len() == MISSED_KEPT {
                        calls.missed.remove(0);
                    }
                    calls.missed.push(missed.clone());
                    changed = true;
                }
                _ => {}
            }
        }
        if changed {
            let call = self
                .calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .call
                .clone();
            let service = self.service();
            self.ringing.follow(
                call.as_ref(),
                self.ringer_device.as_deref(),
                service,
                &self.shell,
            );
            self.publish_calls();
        }
        changed
    }

    /// A handle on this task for what acts later (a notification's buttons), while the app runs.
    pub(super) fn service(&self) -> Option<EngineService> {
        Some(EngineService {
            control: self.control.upgrade()?,
            view: self.view.clone(),
            calls: self.calls.clone(),
            config_path: self.config_path.clone(),
            config_lock: self.config_lock.clone(),
        })
    }

    /// Shows the calls in the tray (a call in progress: its words, Hang up) and the window.
    pub(super) fn publish_calls(&mut self) {
        let view = self
            .view
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        self.show_tray(&view.lines, view.config_error.as_deref());
        let calls = self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        self.shell.tell_window(HostEvent::Call(calls));
    }

    /// Shows the lamp, the tooltip and the menu of `lines` and the calls, unless already shown.
    pub(super) fn show_tray(&mut self, lines: &LinesView, config_error: Option<&str>) {
        let badge = Badge {
            new: lines.totals.new,
            urgent: lines.totals.urgent > 0,
            not_known: lines.totals.not_known,
        };
        let calls = self
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let menu = TrayMenu::of(&lines.lines, &calls);
        let tooltip = match config_error {
            Some(e) => format!("Voicelamp: the configuration cannot be used: {e}"),
            None => menu.tooltip(&lines.tooltip),
        };
        let shown = (badge, tooltip, menu);
        if self.shown.as_ref() != Some(&shown) {
            let (badge, tooltip, menu) = &shown;
            self.shell.show_tray(badge, tooltip, menu);
            self.probe.record(badge, tooltip, menu);
            self.shown = Some(shown);
        }
    }
}
