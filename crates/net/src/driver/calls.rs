//! Calls in the driver: the commands of [`NetHandle`](super::NetHandle) (start, answer, decline,
//! hang up, keys, mute, hold), the user agent's call events, and what the media tasks report.
//! A call's media task is started when its SDP is made (our offer, or our answer to an incoming
//! call) and stopped when the user agent says the call ended; [`NetEvent::Call`] with
//! [`CallUpdate::Ended`] follows once the task is gone, so a recording is complete by then.

use super::{Driver, Internal, NetEvent};
use crate::NetError;
use crate::call::sockets::MediaSockets;
use crate::call::task::{self, TaskHandle, ToTask};
use crate::call::{CallOptions, CallUpdate};
use bytes::Bytes;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::sync::oneshot;
use voicelamp_media::{MediaConfig, Session, SrtpPolicy};
use voicelamp_sip::call::{CallEnd, CallError, CallEvent, CallId};
use voicelamp_sip::{AccountId, Transport};

/// How long a DTMF key pressed by INFO lasts.
const INFO_DTMF_MS: u32 = 160;

/// The call commands of the handle.
pub(crate) enum CallCommand {
    Start {
        account: AccountId,
        target: String,
        options: CallOptions,
        reply: oneshot::Sender<Result<CallId, NetError>>,
    },
    Answer {
        call: CallId,
        options: CallOptions,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Decline(CallId),
    HangUp(CallId),
    Dtmf(CallId, char),
    Mute(CallId, bool),
    Hold(CallId, bool),
}

impl std::fmt::Debug for CallCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Start { .. } => "Start",
            Self::Answer { .. } => "Answer",
            Self::Decline(_) => "Decline",
            Self::HangUp(_) => "HangUp",
            Self::Dtmf(..) => "Dtmf",
            Self::Mute(..) => "Mute",
            Self::Hold(..) => "Hold",
        })
    }
}

/// A call the driver knows.
pub(crate) struct CallEntry {
    /// The public account id.
    account: AccountId,
    /// The media task, once the SDP is made.
    task: Option<TaskHandle>,
    /// An incoming call's offer, until it is answered.
    offer: Option<Bytes>,
    /// The user agent said the call ended; reported once the task is gone.
    ended: Option<CallEnd>,
    /// Our newest offer (hold, resume) waiting for the one under way to be answered.
    queued_offer: Option<Bytes>,
}

impl Driver {
    pub(super) fn handle_call_command(&mut self, command: CallCommand) {
        let now = Instant::now();
        match command {
            CallCommand::Start {
                account,
                target,
                options,
                reply,
            } => {
                let _ = reply.send(self.start_call(now, account, &target, options));
            }
            CallCommand::Answer {
                call,
                options,
                reply,
            } => {
                let _ = reply.send(self.answer_call(now, call, options));
            }
            CallCommand::Decline(call) => self.ua.reject_call(now, call),
            CallCommand::HangUp(call) => self.ua.hang_up(now, call),
            CallCommand::Dtmf(call, digit) => self.to_task(call, ToTask::Dtmf(digit)),
            CallCommand::Mute(call, on) => self.to_task(call, ToTask::Mute(on)),
            CallCommand::Hold(call, on) => self.to_task(call, ToTask::Hold(on)),
        }
    }

    fn to_task(&self, call: CallId, message: ToTask) {
        if let Some(task) = self.calls.get(&call).and_then(|c| c.task.as_ref()) {
            let _ = task.tx.send(message);
        }
    }

    /// The media sockets and configuration of a call on `account`: on the address of its
    /// flow, SRTP offered only when the signaling is TLS.
    fn media_for(
        &self,
        account: AccountId,
        options: &CallOptions,
    ) -> Result<(MediaSockets, MediaConfig), NetError> {
        let entry = self
            .accounts
            .get(&account)
            .ok_or_else(|| NetError::Call("this line is not running; check its settings".into()))?;
        let flow = entry.flow.ok_or_else(|| {
            NetError::Call(
                "this line is not connected to its server yet; wait until it is, then call again"
                    .into(),
            )
        })?;
        let sockets = MediaSockets::bind(flow.local.ip(), Some(flow.remote))
            .map_err(|e| NetError::io("cannot open the call's audio ports", e))?;
        let local: SocketAddr = sockets
            .local_rtp()
            .map_err(|e| NetError::io("cannot open the call's audio ports", e))?;
        let mut config = MediaConfig::new(local);
        if !options.codecs.is_empty() {
            config.codecs = options.codecs.clone();
        }
        config.srtp = if flow.transport == Transport::Tls {
            SrtpPolicy::Offer
        } else {
            SrtpPolicy::Off
        };
        Ok((sockets, config))
    }

    fn start_call(
        &mut self,
        now: Instant,
        account: AccountId,
        target: &str,
        options: CallOptions,
    ) -> Result<CallId, NetError> {
        // One call at a time (the user agent also answers a second incoming one busy).
        if self.calls.values().any(|c| c.ended.is_none()) {
            return Err(NetError::Call(
                "a call is already running; hang it up first".into(),
            ));
        }
        let ua_id = self
            .accounts
            .get(&account)
            .and_then(|a| a.ua)
            .ok_or_else(|| {
                NetError::Call(
                    "this line is not connected to its server yet; wait until it is, then call again"
                        .into(),
                )
            })?;
        let (sockets, config) = self.media_for(account, &options)?;
        let (session, offer) = Session::offer(now, config, &mut self.rng);
        let call = self
            .ua
            .start_call(now, ua_id, target, Bytes::from(offer))
            .map_err(|e| NetError::Call(e.to_string()))?;
        let task = task::spawn(
            call,
            session,
            sockets,
            options.audio,
            options.stutter_dial_tone,
            self.internal_tx.clone(),
        );
        self.calls.insert(
            call,
            CallEntry {
                account,
                task: Some(task),
                offer: None,
                ended: None,
                queued_offer: None,
            },
        );
        Ok(call)
    }

    fn answer_call(
        &mut self,
        now: Instant,
        call: CallId,
        options: CallOptions,
    ) -> Result<(), NetError> {
        let Some(entry) = self.calls.get(&call).filter(|c| c.task.is_none()) else {
            return Err(NetError::Call(
                "there is no ringing call to answer (the caller may have hung up)".into(),
            ));
        };
        let account = entry.account;
        let offer = entry.offer.clone();
        let (sockets, config) = self.media_for(account, &options)?;
        let (session, sdp) = match offer {
            Some(offer) => match Session::answer(now, config, &offer, &mut self.rng) {
                Ok(answered) => answered,
                Err(e) => {
                    // No common codec, or encryption we cannot give: 488, so the line's
                    // other phones may still take it.
                    self.ua.reject_call_with(now, call, 488);
                    return Err(NetError::Call(e.to_string()));
                }
            },
            // No offer in the INVITE: ours goes in the 200, the answer comes with the ACK.
            None => Session::offer(now, config, &mut self.rng),
        };
        self.ua
            .answer_call(now, call, Bytes::from(sdp))
            .map_err(|e| NetError::Call(e.to_string()))?;
        let task = task::spawn(
            call,
            session,
            sockets,
            options.audio,
            false,
            self.internal_tx.clone(),
        );
        let _ = task.tx.send(ToTask::Answered);
        if let Some(entry) = self.calls.get_mut(&call) {
            entry.task = Some(task);
            entry.offer = None;
        }
        Ok(())
    }

    /// A call event of the user agent (`account` already the public id).
    pub(super) fn call_event(&mut self, account: AccountId, call: CallId, event: CallEvent) {
        let now = Instant::now();
        let update = match event {
            CallEvent::Incoming { from, to, offer } => {
                self.calls.insert(
                    call,
                    CallEntry {
                        account,
                        task: None,
                        offer,
                        ended: None,
                        queued_offer: None,
                    },
                );
                self.ua.ring_call(now, call);
                Some(CallUpdate::Incoming { from, to })
            }
            CallEvent::Missed { from, to } => Some(CallUpdate::Missed { from, to }),
            CallEvent::Progress { early_answer, .. } => match early_answer {
                Some(answer) => {
                    self.to_task(call, ToTask::Ringback(false));
                    self.to_task(call, ToTask::SetAnswer(answer));
                    Some(CallUpdate::EarlyMedia)
                }
                None => {
                    self.to_task(call, ToTask::Ringback(true));
                    Some(CallUpdate::Ringing)
                }
            },
            CallEvent::Answered { answer } => {
                self.to_task(call, ToTask::Answered);
                self.to_task(call, ToTask::SetAnswer(answer));
                Some(CallUpdate::Connected)
            }
            CallEvent::Confirmed => Some(CallUpdate::Connected),
            CallEvent::RemoteOffer { offer } => {
                self.to_task(call, ToTask::Reoffer(offer));
                None
            }
            CallEvent::RemoteAnswer { answer } => {
                self.to_task(call, ToTask::SetAnswer(answer));
                self.send_queued_offer(now, call);
                None
            }
            CallEvent::UpdateFailed { code } => {
                let queued = self.send_queued_offer(now, call);
                let code = code.map_or_else(String::new, |c| format!(" (SIP {c})"));
                (!queued).then(|| {
                    CallUpdate::Notice(format!(
                        "the other phone did not accept hold or resume{code}; if you cannot \
                         hear each other, hang up and call again"
                    ))
                })
            }
            CallEvent::DtmfInfo { digit, duration_ms } => Some(CallUpdate::DtmfReceived {
                digit,
                duration_ms,
                by_info: true,
            }),
            CallEvent::Ended { reason } => match self.calls.get_mut(&call) {
                Some(entry) if entry.task.is_some() => {
                    entry.ended = Some(reason);
                    if let Some(task) = &entry.task {
                        let _ = task.tx.send(ToTask::Stop);
                    }
                    None
                }
                _ => {
                    self.calls.remove(&call);
                    Some(CallUpdate::Ended { reason })
                }
            },
        };
        if let Some(update) = update {
            self.report_call(account, call, update);
        }
    }

    /// Sends the offer that waited for the change under way; `true` when one went out.
    fn send_queued_offer(&mut self, now: Instant, call: CallId) -> bool {
        let Some(offer) = self
            .calls
            .get_mut(&call)
            .and_then(|e| e.queued_offer.take())
        else {
            return false;
        };
        self.ua.update_call(now, call, offer).is_ok()
    }

    fn report_call(&self, account: AccountId, call: CallId, update: CallUpdate) {
        let _ = self.events.send(NetEvent::Call {
            account,
            call,
            update,
        });
    }

    /// What a media task said.
    pub(super) fn handle_call_internal(&mut self, message: Internal) {
        let now = Instant::now();
        match message {
            Internal::CallMedia { call, update } => {
                if let Some(entry) = self.calls.get(&call) {
                    self.report_call(entry.account, call, update);
                }
            }
            Internal::CallOfferAnswer { call, answer } => match answer {
                Ok(sdp) => {
                    if self.ua.answer_offer(now, call, Bytes::from(sdp)).is_ok()
                        && let Some(entry) = self.calls.get(&call)
                    {
                        self.report_call(entry.account, call, CallUpdate::Renegotiated);
                    }
                }
                Err(why) => {
                    // An offer we cannot take: 488, the call goes on as it was.
                    let _ = self.ua.refuse_offer(now, call);
                    if let Some(entry) = self.calls.get(&call) {
                        self.report_call(entry.account, call, CallUpdate::Notice(why));
                    }
                }
            },
            Internal::CallUpdateOffer { call, offer } => {
                let offer = Bytes::from(offer);
                match self.ua.update_call(now, call, offer.clone()) {
                    Ok(()) => {}
                    // Another change is under way: the newest offer goes out after it.
                    Err(CallError::NotNow(_)) => {
                        if let Some(entry) = self.calls.get_mut(&call) {
                            entry.queued_offer = Some(offer);
                        }
                    }
                    Err(_) => {}
                }
            }
            Internal::CallDtmfInfo { call, digit } => {
                if self
                    .ua
                    .send_dtmf_info(now, call, digit, INFO_DTMF_MS)
                    .is_ok()
                    && let Some(entry) = self.calls.get(&call)
                {
                    self.report_call(
                        entry.account,
                        call,
                        CallUpdate::DtmfSent {
                            digit,
                            by_info: true,
                        },
                    );
                }
            }
            Internal::CallHangUp { call } => self.ua.hang_up(now, call),
            Internal::CallTaskDone { call } => {
                let Some(entry) = self.calls.get_mut(&call) else {
                    return;
                };
                entry.task = None;
                if let Some(reason) = entry.ended.take() {
                    let account = entry.account;
                    self.calls.remove(&call);
                    self.report_call(account, call, CallUpdate::Ended { reason });
                } else {
                    // The task stopped on its own (it cannot go on): end the call.
                    self.ua.hang_up(now, call);
                }
            }
            _ => {}
        }
    }

    /// Media tasks running now.
    pub(super) fn call_tasks(&self) -> usize {
        self.calls.values().filter(|c| c.task.is_some()).count()
    }

    /// Stops every call (the driver shuts down): hang up, stop the tasks.
    pub(super) fn end_calls(&mut self) {
        let now = Instant::now();
        let calls: Vec<CallId> = self.calls.keys().copied().collect();
        for call in calls {
            self.ua.hang_up(now, call);
            self.to_task(call, ToTask::Stop);
        }
    }
}
