//! The engine's calls: [`CallCommand`]s from the front ends become the driver's call methods,
//! its call updates go through the [`CallModel`] into [`EngineEvent`]s. "Call voicemail"
//! dials the line's `voicemail_access_code`, else the voicemail address its server named
//! (`Message-Account`); on a line with `voicemail_pin_delay` the PIN from the keyring follows
//! as DTMF once the call is connected that long. Keys go out one at a time, [`KEY_GAP`]
//! apart, at most [`MAX_QUEUED_KEYS`] waiting.

use super::Engine;
use crate::call::{CallCommand, CallView, Line, is_dtmf_key};
use crate::{EngineEvent, Secret};
use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};
use voicelamp_net::voicelamp_media::AudioPort;
use voicelamp_net::voicelamp_sip::AccountId;
use voicelamp_net::voicelamp_sip::call::CallId as NetCallId;
use voicelamp_net::{CallOptions, CallUpdate};

/// Time between two keys sent (each lasts about 160 ms; IVRs miss keys sent back to back).
pub const KEY_GAP: Duration = Duration::from_millis(300);
/// Most keys waiting to be sent.
pub const MAX_QUEUED_KEYS: usize = 64;

/// What the engine keeps about a line for calls.
#[derive(Debug, Default)]
pub(crate) struct LineCalls {
    /// `voicemail_access_code`.
    pub access_code: Option<String>,
    /// The voicemail address the server named (`Message-Account`), from its last summary.
    pub message_account: Option<String>,
    /// The PIN (from the keyring) and the delay after connecting; only when configured.
    pub pin: Option<(Secret, Duration)>,
    /// Play the stutter dial tone when messages wait.
    pub stutter_dial_tone: bool,
}

/// Keys waiting to go out, and the PIN waiting for its time.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    queue: VecDeque<char>,
    next_at: Option<Instant>,
    pin_at: Option<Instant>,
    pin: Option<Secret>,
}

impl Keys {
    fn push(&mut self, digits: &str) -> Result<(), String> {
        if let Some(bad) = digits.chars().find(|c| !is_dtmf_key(*c)) {
            return Err(format!(
                "\u{201c}{bad}\u{201d} is not a key of the dial pad; use 0-9, *, # (and A-D)"
            ));
        }
        if self.queue.len() + digits.chars().count() > MAX_QUEUED_KEYS {
            return Err(format!(
                "too many keys at once; send at most {MAX_QUEUED_KEYS} at a time"
            ));
        }
        self.queue.extend(digits.chars());
        if self.next_at.is_none() {
            self.next_at = Some(Instant::now());
        }
        Ok(())
    }

    fn clear(&mut self) {
        *self = Self::default();
    }

    /// When something is due.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        [self.next_at.filter(|_| !self.queue.is_empty()), self.pin_at]
            .into_iter()
            .flatten()
            .min()
    }
}

/// Why a call command was refused, in words.
pub type CallRefused = String;

impl Engine {
    /// The running call, if any.
    pub fn current_call(&self) -> Option<&CallView> {
        self.calls.current()
    }

    /// The missed calls, oldest first.
    pub fn missed_calls(&self) -> Vec<crate::call::MissedCall> {
        self.calls.missed().cloned().collect()
    }

    /// Carries out a front end's call command; `audio` opens the sound for a call that starts
    /// or is answered (see [`Engine::device_audio`]). Returns what changed.
    pub async fn call(
        &mut self,
        command: CallCommand,
        audio: impl FnOnce() -> Box<dyn AudioPort>,
    ) -> Result<Vec<EngineEvent>, CallRefused> {
        match command {
            CallCommand::Start { line, target } => {
                self.start_call(&line, &target, false, audio()).await
            }
            CallCommand::Voicemail { line } => {
                let target = self.voicemail_target(&line)?;
                self.start_call(&line, &target, true, audio()).await
            }
            CallCommand::Answer => {
                let (_, call) = self.ringing_call()?;
                self.net
                    .handle
                    .answer(call, CallOptions::new(audio()))
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Vec::new())
            }
            CallCommand::Decline => {
                let (_, call) = self.ringing_call()?;
                self.calls.declining();
                self.net.handle.decline(call).map_err(|e| e.to_string())?;
                Ok(Vec::new())
            }
            CallCommand::HangUp => {
                let (_, call) = self.running_call()?;
                self.keys.clear();
                self.net.handle.hang_up(call).map_err(|e| e.to_string())?;
                Ok(Vec::new())
            }
            CallCommand::Dtmf { digit } => {
                self.running_call()?;
                self.keys.push(&digit.to_string())?;
                Ok(Vec::new())
            }
            CallCommand::Mute { on } => {
                let (_, call) = self.running_call()?;
                self.net
                    .handle
                    .set_mute(call, on)
                    .map_err(|e| e.to_string())?;
                Ok(Vec::new())
            }
            CallCommand::Hold { on } => {
                let (_, call) = self.running_call()?;
                self.net
                    .handle
                    .set_hold(call, on)
                    .map_err(|e| e.to_string())?;
                Ok(Vec::new())
            }
        }
    }

    /// Sends `digits` as DTMF in the running call, one key at a time.
    pub fn send_keys(&mut self, digits: &str) -> Result<(), CallRefused> {
        self.running_call()?;
        self.keys.push(digits)
    }

    /// What "Call voicemail" dials on `line`: its access code, else the voicemail address
    /// its server named.
    pub fn voicemail_target(&self, line: &str) -> Result<String, CallRefused> {
        let account = self.line(line)?;
        account
            .calls
            .access_code
            .clone()
            .or_else(|| account.calls.message_account.clone())
            .ok_or_else(|| {
                format!(
                    "the line \u{201c}{}\u{201d} has no voicemail number: set its voicemail access code (e.g. *97) in Settings",
                    account.name
                )
            })
    }

    fn line(&self, line: &str) -> Result<&super::EngineAccount, CallRefused> {
        self.accounts
            .iter()
            .find(|a| a.id == line)
            .ok_or_else(|| format!("there is no line \u{201c}{line}\u{201d}"))
    }

    fn ringing_call(&self) -> Result<(AccountId, NetCallId), CallRefused> {
        match (self.calls.current(), self.calls.net_ids()) {
            (Some(view), Some(ids))
                if view.direction == crate::call::CallDirection::Incoming
                    && !view.state.is_answered()
                    && !view.state.is_ended() =>
            {
                Ok(ids)
            }
            _ => Err("no call is ringing (the caller may have hung up)".into()),
        }
    }

    fn running_call(&self) -> Result<(AccountId, NetCallId), CallRefused> {
        self.calls
            .net_ids()
            .ok_or_else(|| "there is no call".to_owned())
    }

    /// Whether messages wait on `line` (any of its mailboxes has new ones).
    fn messages_wait(&self, line: &str) -> bool {
        self.model.account(line).is_some_and(|a| {
            a.mailboxes.iter().any(|m| {
                m.lamp.counts().is_some_and(|c| {
                    c.waiting == Some(true)
                        || c.classes.get("voice-message").is_some_and(|v| v.new > 0)
                })
            })
        })
    }

    async fn start_call(
        &mut self,
        line: &str,
        target: &str,
        voicemail: bool,
        audio: Box<dyn AudioPort>,
    ) -> Result<Vec<EngineEvent>, CallRefused> {
        if self.calls.current().is_some() {
            return Err("a call is already running; hang it up first".into());
        }
        let target = target.trim();
        if target.is_empty() {
            return Err("nothing to dial: enter a number or a SIP address".into());
        }
        let account = self.line(line)?;
        let Some(net_id) = account.net_id else {
            return Err(account.problem.clone().unwrap_or_else(|| {
                format!("the line \u{201c}{}\u{201d} is not running", account.name)
            }));
        };
        let name = account.name.clone();
        let stutter = account.calls.stutter_dial_tone && self.messages_wait(line);
        let pin = voicemail.then(|| account.calls.pin.clone()).flatten();
        let view = self.calls.dialing(
            Line {
                id: line,
                name: &name,
            },
            target,
            voicemail,
        );
        let mut options = CallOptions::new(audio);
        options.stutter_dial_tone = stutter;
        match self.net.handle.start_call(net_id, target, options).await {
            Ok(call) => {
                self.calls.bind(net_id, call);
                self.keys.clear();
                if let Some((pin, delay)) = pin {
                    self.keys.pin = Some(pin);
                    // Counted from the answer; kept here until then.
                    self.keys.pin_at = None;
                    self.pin_delay = Some(delay);
                } else {
                    self.pin_delay = None;
                }
                Ok(vec![EngineEvent::Call(view)])
            }
            Err(e) => {
                let why = e.to_string();
                Ok(self
                    .calls
                    .failed_to_start(&why)
                    .map(EngineEvent::Call)
                    .into_iter()
                    .collect())
            }
        }
    }

    /// A call update of the driver.
    pub(super) fn apply_call(
        &mut self,
        account: AccountId,
        call: NetCallId,
        update: &CallUpdate,
    ) -> Vec<EngineEvent> {
        let Some(index) = self.by_net_id.get(&account.0).copied() else {
            return Vec::new();
        };
        let (id, name) = {
            let a = &self.accounts[index];
            (a.id.clone(), a.name.clone())
        };
        if matches!(update, CallUpdate::Connected)
            && self.calls.net_ids() == Some((account, call))
            && let Some(delay) = self.pin_delay.take()
        {
            self.keys.pin_at = Some(Instant::now() + delay);
        }
        if matches!(update, CallUpdate::Ended { .. })
            && self.calls.net_ids() == Some((account, call))
        {
            self.keys.clear();
            self.pin_delay = None;
        }
        self.calls.apply(
            account,
            call,
            update,
            Line {
                id: &id,
                name: &name,
            },
            SystemTime::now(),
        )
    }

    /// Sends what is due: the PIN once its time came, then one key.
    pub(super) fn keys_due(&mut self) {
        let now = Instant::now();
        if self.keys.pin_at.is_some_and(|t| t <= now) {
            self.keys.pin_at = None;
            if let Some(pin) = self.keys.pin.take()
                && self.keys.push(pin.expose()).is_err()
            {
                tracing::warn!("the voicemail PIN is not made of dial-pad keys; not sent");
            }
        }
        if self.keys.next_at.is_some_and(|t| t <= now) {
            match (self.keys.queue.pop_front(), self.calls.net_ids()) {
                (Some(digit), Some((_, call))) => {
                    let _ = self.net.handle.send_dtmf(call, digit);
                    self.keys.next_at = Some(now + KEY_GAP);
                }
                _ => self.keys.next_at = None,
            }
        }
    }

    /// The sound of a call on the configured devices, or silence (saying why) where they
    /// cannot be opened.
    pub fn device_audio(&self) -> Box<dyn AudioPort> {
        let choice = voicelamp_audio::AudioChoice {
            microphone: self.audio.microphone.clone(),
            speaker: self.audio.speaker.clone(),
            ringer: self.audio.ringer.clone(),
        };
        match voicelamp_audio::DeviceAudio::open(&choice) {
            Ok(audio) => Box::new(audio),
            Err(e) => Box::new(voicelamp_audio::NoAudio::with_notice(e.to_string())),
        }
    }
}

/// The PIN of a line from the secret store (key `<id>.voicemail-pin`), when the line sends it.
pub(super) fn line_calls(
    account: &crate::AccountConfig,
    secrets: &dyn crate::SecretStore,
) -> LineCalls {
    let pin = account.voicemail_pin_delay.and_then(|delay| {
        match secrets.get(&format!("{}.voicemail-pin", account.id)) {
            Ok(Some(pin)) => Some((pin, Duration::from_secs(u64::from(delay)))),
            Ok(None) => {
                tracing::warn!(account = %account.id, "voicemail_pin_delay is set but no PIN is stored");
                None
            }
            Err(e) => {
                tracing::warn!(account = %account.id, error = %e, "the voicemail PIN cannot be read");
                None
            }
        }
    });
    LineCalls {
        access_code: account.voicemail_access_code.clone(),
        message_account: None,
        pin,
        stutter_dial_tone: account.stutter_dial_tone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretStore;

    #[test]
    fn keys_are_checked_bounded_and_due_at_once() {
        let mut keys = Keys::default();
        assert!(keys.poll_timeout().is_none());
        keys.push("1234#").expect("dial-pad keys");
        assert!(keys.poll_timeout().is_some_and(|t| t <= Instant::now()));
        let bad = keys.push("12x").expect_err("not a key");
        assert!(bad.contains('x'), "{bad}");
        assert_eq!(keys.queue.len(), 5, "nothing of a refused batch is queued");
        let too_many = "1".repeat(MAX_QUEUED_KEYS);
        assert!(keys.push(&too_many).is_err());
        assert_eq!(keys.queue.len(), 5);
        keys.clear();
        assert!(keys.poll_timeout().is_none());
    }

    #[test]
    fn the_pin_comes_from_the_store_only_when_the_line_sends_it() {
        let store = crate::MemoryStore::new();
        store
            .set("office.voicemail-pin", &Secret::new("4711#".into()))
            .expect("stored");
        let mut account = crate::AccountConfig::new("office", "sip:alice@pbx.example.com");
        account.voicemail_access_code = Some("*97".into());
        let off = line_calls(&account, &store);
        assert!(off.pin.is_none());
        assert_eq!(off.access_code.as_deref(), Some("*97"));
        account.voicemail_pin_delay = Some(3);
        let on = line_calls(&account, &store);
        // Debug output never shows it.
        assert!(!format!("{on:?}").contains("4711"));
        let (pin, delay) = on.pin.expect("the PIN");
        assert_eq!((pin.expose(), delay), ("4711#", Duration::from_secs(3)));
    }
}
