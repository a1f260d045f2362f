//! The call model: the network driver's call updates in, [`CallView`]s and [`MissedCall`]s
//! out. One call at a time (the product's rule; the user agent answers a second incoming call
//! busy, which arrives here as a missed call). Pure: the wall clock comes in as an argument.

use super::{CallDirection, CallQuality, CallState, CallView, MissedCall, MissedWhy};
use crate::EngineEvent;
use crate::event::format_rfc3339;
use std::collections::VecDeque;
use std::time::SystemTime;
use voicelamp_net::CallUpdate;
use voicelamp_net::voicelamp_sip::AccountId;
use voicelamp_net::voicelamp_sip::call::{CallEnd, CallId as NetCallId, EndCause, Party};

/// Missed calls kept (the oldest go first).
pub const MAX_MISSED: usize = 50;

/// The line a call is on, as the model needs it.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// Account id.
    pub id: &'a str,
    /// Name to show.
    pub name: &'a str,
}

#[derive(Debug)]
struct Active {
    net: Option<(AccountId, NetCallId)>,
    view: CallView,
    since: Option<SystemTime>,
    from: Option<Party>,
    declined: bool,
}

/// Calls as shown.
#[derive(Debug, Default)]
pub struct CallModel {
    next_id: u32,
    active: Option<Active>,
    missed: VecDeque<MissedCall>,
}

impl CallModel {
    /// No call.
    pub fn new() -> Self {
        Self::default()
    }

    /// The call that runs (or rings), if any.
    pub fn current(&self) -> Option<&CallView> {
        self.active.as_ref().map(|a| &a.view)
    }

    /// The driver's ids of the current call.
    pub fn net_ids(&self) -> Option<(AccountId, NetCallId)> {
        self.active.as_ref().and_then(|a| a.net)
    }

    /// Missed calls, oldest first (at most [`MAX_MISSED`]).
    pub fn missed(&self) -> impl Iterator<Item = &MissedCall> {
        self.missed.iter()
    }

    /// Forgets the missed calls (a person saw them).
    pub fn clear_missed(&mut self) {
        self.missed.clear();
    }

    /// A new outgoing call to `remote` on `line`, before the driver has it (state dialing).
    pub fn dialing(&mut self, line: Line<'_>, remote: &str, voicemail: bool) -> CallView {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let view = CallView {
            id: self.next_id,
            line: line.id.to_owned(),
            line_name: line.name.to_owned(),
            remote: remote.to_owned(),
            remote_name: None,
            direction: CallDirection::Outgoing,
            state: CallState::Dialing,
            muted: false,
            heard: false,
            quality: None,
            codec: None,
            secure: false,
            voicemail,
            notice: None,
        };
        self.active = Some(Active {
            net: None,
            view: view.clone(),
            since: None,
            from: None,
            declined: false,
        });
        view
    }

    /// The driver took the outgoing call.
    pub fn bind(&mut self, account: AccountId, call: NetCallId) {
        if let Some(active) = &mut self.active {
            active.net = Some((account, call));
        }
    }

    /// The outgoing call could not be started: it ends with `why`.
    pub fn failed_to_start(&mut self, why: &str) -> Option<CallView> {
        let mut active = self.active.take()?;
        active.view.state = CallState::Ended {
            why: why.to_owned(),
            failed: true,
        };
        Some(active.view)
    }

    /// We decline the ringing incoming call: it is listed as declined, not as missed by
    /// chance.
    pub fn declining(&mut self) {
        if let Some(active) = &mut self.active {
            active.declined = true;
        }
    }

    /// A call update of the driver; returns what changed.
    pub fn apply(
        &mut self,
        account: AccountId,
        call: NetCallId,
        update: &CallUpdate,
        line: Line<'_>,
        now: SystemTime,
    ) -> Vec<EngineEvent> {
        match update {
            CallUpdate::Incoming { from, .. } => return self.incoming(account, call, from, line),
            CallUpdate::Missed { from, .. } => {
                return vec![self.miss(from, line, now, MissedWhy::Busy)];
            }
            _ => {}
        }
        let Some(active) = self
            .active
            .as_mut()
            .filter(|a| a.net == Some((account, call)))
        else {
            return Vec::new();
        };
        let before = active.view.clone();
        let view = &mut active.view;
        match update {
            CallUpdate::Ringing if view.state == CallState::Dialing => {
                view.state = CallState::Ringing;
            }
            CallUpdate::EarlyMedia if !view.state.is_answered() => {
                view.state = CallState::EarlyMedia;
            }
            CallUpdate::Connected if !view.state.is_answered() => {
                active.since = Some(now);
                view.state = CallState::Connected {
                    since: format_rfc3339(now),
                };
            }
            CallUpdate::Media { codec, secure, .. } => {
                view.codec = Some(codec_name(codec));
                view.secure = *secure;
            }
            CallUpdate::Quality(q) => {
                view.quality = Some(CallQuality::new(
                    q.jitter_ms.round().clamp(0.0, 100_000.0) as u32,
                    (q.loss_percent * 10.0).round() / 10.0,
                    q.rtt_ms,
                ));
            }
            CallUpdate::Hold { local } if view.state.is_answered() => {
                let since = format_rfc3339(active.since.unwrap_or(now));
                view.state = if *local {
                    CallState::OnHold {
                        since,
                        by_peer: false,
                    }
                } else {
                    CallState::Connected { since }
                };
            }
            CallUpdate::Muted(on) => view.muted = *on,
            CallUpdate::FirstAudio => view.heard = true,
            CallUpdate::Notice(words) => view.notice = Some(words.clone()),
            CallUpdate::NoMedia { for_secs } => {
                view.notice = Some(format!(
                    "no sound has come from the far end for {for_secs} s; the connection may be broken"
                ));
            }
            CallUpdate::Ended { reason } => return self.end(reason, line, now),
            _ => {}
        }
        if *view == before {
            Vec::new()
        } else {
            vec![EngineEvent::Call(view.clone())]
        }
    }

    fn incoming(
        &mut self,
        account: AccountId,
        call: NetCallId,
        from: &Party,
        line: Line<'_>,
    ) -> Vec<EngineEvent> {
        if self.active.is_some() {
            // The user agent takes one call at a time; should a second one come anyway, it
            // is not shown over the running one.
            return Vec::new();
        }
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let view = CallView {
            id: self.next_id,
            line: line.id.to_owned(),
            line_name: line.name.to_owned(),
            remote: shown(from),
            remote_name: from.display.clone(),
            direction: CallDirection::Incoming,
            state: CallState::Ringing,
            muted: false,
            heard: false,
            quality: None,
            codec: None,
            secure: false,
            voicemail: false,
            notice: None,
        };
        self.active = Some(Active {
            net: Some((account, call)),
            view: view.clone(),
            since: None,
            from: Some(from.clone()),
            declined: false,
        });
        vec![EngineEvent::Call(view)]
    }

    fn miss(
        &mut self,
        from: &Party,
        line: Line<'_>,
        now: SystemTime,
        why: MissedWhy,
    ) -> EngineEvent {
        let missed = MissedCall {
            line: line.id.to_owned(),
            line_name: line.name.to_owned(),
            from: shown(from),
            from_name: from.display.clone(),
            number: from.number.clone(),
            at: format_rfc3339(now),
            why,
        };
        if self.missed.len() >= MAX_MISSED {
            self.missed.pop_front();
        }
        self.missed.push_back(missed.clone());
        EngineEvent::MissedCall(missed)
    }

    fn end(&mut self, reason: &CallEnd, line: Line<'_>, now: SystemTime) -> Vec<EngineEvent> {
        let Some(mut active) = self.active.take() else {
            return Vec::new();
        };
        let failed = !matches!(
            reason.cause,
            EndCause::HungUp | EndCause::Cancelled | EndCause::CallerCancelled | EndCause::Rejected
        );
        active.view.state = CallState::Ended {
            why: reason.to_string(),
            failed,
        };
        let mut out = vec![EngineEvent::Call(active.view.clone())];
        if active.view.direction == CallDirection::Incoming
            && active.since.is_none()
            && let Some(from) = &active.from
        {
            let why = if active.declined {
                MissedWhy::Declined
            } else {
                MissedWhy::NotAnswered
            };
            out.push(self.miss(from, line, now, why));
        }
        out
    }
}

/// The caller as shown: the number when there is one, else the SIP address.
fn shown(party: &Party) -> String {
    party.number.clone().unwrap_or_else(|| party.uri.clone())
}

/// A codec's name for people.
fn codec_name(sdp_name: &str) -> String {
    match sdp_name.to_ascii_uppercase().as_str() {
        "PCMU" => "G.711 µ-law".into(),
        "PCMA" => "G.711 A-law".into(),
        "G722" => "G.722".into(),
        "OPUS" => "Opus".into(),
        _ => sdp_name.to_owned(),
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
