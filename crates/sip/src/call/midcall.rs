//! Inside the dialog, either way: BYE, the far end's re-INVITE and UPDATE (a new offer waits
//! for `answer_offer`, or is answered with the last local SDP after
//! [`ANSWER_OFFER_WAIT`](super::ANSWER_OFFER_WAIT); a re-INVITE without SDP gets our last SDP as
//! the offer), INFO (DTMF both ways), OPTIONS, and RFC 4028 refreshes when we are the refresher.

use super::dtmf::parse_dtmf;
use super::invite_client::InviteOutcome;
use super::machine::{ALLOW, Call, Ctx, Dest, OfferWait, Purpose, method};
use super::outgoing::sdp;
use super::reinvite::ReinviteKind;
use super::session_timer::{
    MAX_SESSION_EXPIRES, Refresher, min_se, session_expires, supports_timer,
};
use super::{
    ANSWER_OFFER_WAIT, CallEnd, CallError, CallEvent, CallState, EndCause, MIN_SESSION_EXPIRES,
};
use crate::ids;
use crate::message::{Request, Response};
use crate::transaction::ClientOutcome;
use bytes::Bytes;
use std::time::Instant;

impl Call {
    pub(crate) fn send_bye(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.send_in_dialog(now, "BYE", Purpose::Bye, &[], None, ctx);
        self.collect();
    }

    /// The user hangs up, whatever the state.
    pub(crate) fn hang_up(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if self.ended {
            return;
        }
        let mine = || CallEnd::new(EndCause::HungUp, None, false);
        match self.state {
            CallState::Dialing | CallState::Ringing | CallState::EarlyMedia => {
                self.cancel_outgoing(now, ctx)
            }
            CallState::Incoming { .. } => self.reject(now, ctx),
            CallState::Answering => {
                self.bye_after_ack = true;
                self.end(now, mine(), ctx.timers);
            }
            CallState::Connected => {
                self.send_bye(now, ctx);
                self.end(now, mine(), ctx.timers);
            }
            CallState::Ending | CallState::Ended => {}
        }
    }

    /// The far end no longer knows the dialog, or stopped answering in it.
    pub(crate) fn lost(&mut self, now: Instant, bye: bool, ctx: &mut Ctx<'_>) {
        if self.ended {
            return;
        }
        if bye {
            self.send_bye(now, ctx);
        }
        self.end(
            now,
            CallEnd::new(EndCause::DialogLost, None, true),
            ctx.timers,
        );
    }

    /// A response to one of our requests inside the dialog; `false` when not ours.
    pub(crate) fn on_dialog_response(
        &mut self,
        now: Instant,
        response: &Response,
        ctx: &mut Ctx<'_>,
    ) -> bool {
        let branch = response.head.vias.first().and_then(|v| v.branch.clone());
        let Some(branch) = branch else { return false };
        if let Some(r) = self.reinvite_out.as_mut()
            && r.branch == branch
            && response.head.cseq.method == method("INVITE")
        {
            let to = response.head.header("To").unwrap_or_default();
            let kind = r.kind;
            match r.tx.handle_response(now, response.status, &to) {
                Some(InviteOutcome::Success) => {
                    let cseq = r.cseq;
                    if let Some(dialog) = self.dialog.clone() {
                        let ack = dialog
                            .request(
                                &method("ACK"),
                                cseq,
                                &ids::branch(ctx.rng),
                                &ctx.flow,
                                ctx.outbound_proxy,
                            )
                            .build();
                        self.send(Dest::Flow, ack.clone());
                        let first = self.ack.as_ref().is_none_or(|(c, _)| *c != cseq);
                        self.ack = Some((cseq, ack));
                        if first && kind == ReinviteKind::Offer {
                            self.update_answered(now, response);
                        } else if first {
                            self.refresh_result(now, Some(response), ctx);
                        }
                    }
                }
                Some(InviteOutcome::Failure(_)) if kind == ReinviteKind::Offer => {
                    self.collect();
                    self.update_refused(now, Some(response), ctx)
                }
                Some(InviteOutcome::Failure(_)) => self.refresh_result(now, Some(response), ctx),
                _ => {}
            }
            self.collect();
            return true;
        }
        let Some(i) = self
            .clients
            .iter()
            .position(|c| c.branch == branch && c.method == response.head.cseq.method)
        else {
            return false;
        };
        let outcome = self.clients[i].tx.handle_response(now, response.status);
        if let Some(ClientOutcome::Final(_)) = outcome {
            let purpose = self.clients[i].purpose;
            self.on_client_final(now, purpose, Some(response), ctx);
        }
        self.clients.retain(|c| !c.tx.is_terminated());
        self.collect();
        true
    }

    /// The final answer (`None`: timed out) to a non-INVITE request of ours.
    pub(crate) fn on_client_final(
        &mut self,
        now: Instant,
        purpose: Purpose,
        response: Option<&Response>,
        ctx: &mut Ctx<'_>,
    ) {
        let status = response.map(|r| r.status);
        match purpose {
            Purpose::Bye | Purpose::Cancel => {}
            Purpose::Dtmf => match status {
                None | Some(408 | 481) => self.lost(now, status.is_none(), ctx),
                _ => self.send_next_dtmf(now, ctx),
            },
            Purpose::Refresh => self.refresh_result(now, response, ctx),
        }
    }

    fn refresh_result(&mut self, now: Instant, response: Option<&Response>, ctx: &mut Ctx<'_>) {
        if self.ended {
            return;
        }
        match response.map(|r| (r.status, r)) {
            Some((200..=299, r)) => match session_expires(&r.head) {
                // We sent the refresh: `uac` is us.
                Some((seconds, refresher)) => {
                    self.timer
                        .start(now, seconds, refresher != Some(Refresher::Uas))
                }
                None => self.timer.stop(),
            },
            Some((422, r)) => match min_se(&r.head) {
                Some(min)
                    if self.timer.interval.is_some_and(|i| min > i)
                        && min <= MAX_SESSION_EXPIRES
                        && self.timer.steps == 0 =>
                {
                    self.timer.steps += 1;
                    self.send_refresh(now, min, ctx)
                }
                _ => {}
            },
            None | Some((408 | 481, _)) => self.lost(now, response.is_none(), ctx),
            // Anything else: the session goes on until the timer's own end.
            Some(_) => {}
        }
    }

    /// Our session refresh (RFC 4028 §7.4): UPDATE without a body when the far end allows it,
    /// else a re-INVITE with the last local SDP.
    fn send_refresh(&mut self, now: Instant, interval: u32, ctx: &mut Ctx<'_>) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let headers = [
            ("Session-Expires", format!("{interval};refresher=uac")),
            ("Supported", "timer".to_owned()),
        ];
        // The timer restarts with the answer; until then the session's end stays set.
        self.timer.interval = Some(interval);
        if dialog.peer_allows_update {
            self.send_in_dialog(now, "UPDATE", Purpose::Refresh, &headers, None, ctx);
        } else if !self.reinvite_busy() {
            let body = self.local_sdp.clone();
            self.start_reinvite(now, ReinviteKind::Refresh, &headers, &body, ctx);
        }
        self.collect();
    }

    /// Deadlines of the confirmed call: our refresh, the session's end, an unanswered offer.
    pub(crate) fn midcall_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if let Some(r) = self.reinvite_out.as_mut()
            && r.tx.poll_timeout().is_some_and(|t| t <= now)
            && r.tx.handle_timeout(now) == Some(InviteOutcome::Timeout)
        {
            if r.kind == ReinviteKind::Offer {
                self.update_refused(now, None, ctx);
            } else {
                self.refresh_result(now, None, ctx);
            }
        }
        self.update_timeout(now, ctx);
        if self.offer_wait.as_ref().is_some_and(|w| now >= w.deadline) {
            let last = self.local_sdp.clone();
            self.answer_waiting_offer(now, last);
        }
        if self.timer.expired(now) {
            self.timer.stop();
            self.send_bye(now, ctx);
            self.end(
                now,
                CallEnd::new(EndCause::SessionExpired, None, true),
                ctx.timers,
            );
        } else if self.timer.take_refresh(now)
            && let Some(interval) = self.timer.interval
        {
            self.send_refresh(now, interval, ctx);
        }
    }

    /// The `Session-Expires` value for our `2xx` to a far-end INVITE or UPDATE, with the
    /// session timer restarted (RFC 4028 §9); `None`: no session timer.
    pub(crate) fn session_for(&mut self, now: Instant, request: &Request) -> Option<String> {
        let Some((seconds, refresher)) = session_expires(&request.head) else {
            self.timer.stop();
            return None;
        };
        let seconds = seconds.clamp(
            MIN_SESSION_EXPIRES,
            super::session_timer::MAX_SESSION_EXPIRES,
        );
        let refresher = refresher.unwrap_or(if supports_timer(&request.head) {
            Refresher::Uac
        } else {
            Refresher::Uas
        });
        // We are the UAS of this request: `uas` is us.
        self.timer.start(now, seconds, refresher == Refresher::Uas);
        let who = if refresher == Refresher::Uac {
            "uac"
        } else {
            "uas"
        };
        Some(format!("{seconds};refresher={who}"))
    }

    /// A `2xx` to a far-end INVITE or UPDATE carrying `body`.
    pub(crate) fn ok_with(
        &mut self,
        now: Instant,
        request: &Request,
        body: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut b = self
            .response(request, 200)
            .header("Allow", ALLOW)
            .header("Supported", "timer");
        if let Some(se) = self.session_for(now, request) {
            if se.ends_with("uac") {
                b = b.header("Require", "timer");
            }
            b = b.header("Session-Expires", &se);
        }
        match body {
            Some(body) => b.body("application/sdp", body).build(),
            None => b.build(),
        }
    }

    /// Whether a request's `Session-Expires` is below our minimum: then the answer is `422`.
    fn too_brief(&self, request: &Request) -> Option<Vec<u8>> {
        let (seconds, _) = session_expires(&request.head)?;
        (seconds < MIN_SESSION_EXPIRES).then(|| {
            self.response(request, 422)
                .header("Min-SE", &MIN_SESSION_EXPIRES.to_string())
                .build()
        })
    }

    /// A request from the far end inside the dialog (not ACK, not CANCEL, not a copy of the
    /// INVITE that made the call).
    pub(crate) fn handle_in_dialog(
        &mut self,
        now: Instant,
        dest: Dest,
        request: Request,
        ctx: &mut Ctx<'_>,
    ) {
        let reliable = matches!(dest, Dest::Peer(_, t) if t.is_reliable());
        let branch = request
            .head
            .vias
            .first()
            .and_then(|v| v.branch.clone())
            .unwrap_or_default();
        let seq = request.head.cseq.seq;
        let is_invite = request.method == method("INVITE");
        // A copy of a request already seen: its transaction answers.
        if let Some(s) = self
            .servers
            .iter_mut()
            .find(|s| s.branch == branch && s.method == request.method && s.cseq == seq)
        {
            s.tx.handle_retransmission();
            return self.collect();
        }
        if let Some(r) = self
            .reinvites_in
            .iter_mut()
            .find(|r| is_invite && r.branch == branch && r.request.head.cseq.seq == seq)
        {
            r.tx.handle_retransmission();
            return self.collect();
        }
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        // CSeq must grow (RFC 3261 §12.2.2).
        if dialog.remote_cseq.is_some_and(|r| seq <= r) {
            let bytes = self.response(&request, 500).build();
            self.answer_request(now, &request, dest, 500, Some(bytes), ctx.timers);
            return self.collect();
        }
        dialog.remote_cseq = Some(seq);
        if let Some(contact) = request.head.contacts().first()
            && (is_invite || request.method == method("UPDATE"))
        {
            dialog.remote_target = contact.uri.clone();
        }
        let (status, bytes) = match request.method.as_str() {
            "BYE" => {
                let ok = self.response(&request, 200).build();
                self.answer_request(now, &request, dest, 200, Some(ok), ctx.timers);
                let unanswered = self.incoming.as_ref().filter(|i| !i.tx.is_answered());
                if let Some(terminated) = unanswered.map(|i| self.response(&i.request, 487).build())
                    && let Some(inv) = self.incoming.as_mut()
                {
                    inv.tx.respond(now, 487, terminated);
                }
                self.end(now, CallEnd::new(EndCause::HungUp, None, true), ctx.timers);
                return self.collect();
            }
            "INFO" => {
                if let Some((digit, duration_ms)) =
                    parse_dtmf(request.head.content_type().as_deref(), &request.body)
                    && !self.ended
                {
                    self.event(CallEvent::DtmfInfo { digit, duration_ms });
                }
                (200, self.response(&request, 200).build())
            }
            "OPTIONS" => (
                200,
                self.response(&request, 200).header("Allow", ALLOW).build(),
            ),
            "UPDATE" | "INVITE" => return self.on_remote_offer(now, dest, request, reliable, ctx),
            _ => (
                501,
                self.response(&request, 501).header("Allow", ALLOW).build(),
            ),
        };
        self.answer_request(now, &request, dest, status, Some(bytes), ctx.timers);
        self.collect();
    }

    /// A re-INVITE or UPDATE: a new offer for the app, or a session refresh.
    fn on_remote_offer(
        &mut self,
        now: Instant,
        dest: Dest,
        request: Request,
        reliable: bool,
        ctx: &mut Ctx<'_>,
    ) {
        let is_invite = request.method == method("INVITE");
        let offer = sdp(request.head.content_type(), &request.body);
        let pending_theirs =
            self.offer_wait.is_some() || self.reinvites_in.iter().any(|r| !r.tx.is_answered());
        let pending_ours = self
            .reinvite_out
            .as_ref()
            .is_some_and(|r| r.tx.is_pending())
            || self
                .clients
                .iter()
                .any(|c| c.purpose == Purpose::Refresh && !c.tx.is_finished());
        let refusal =
            if self.ended || !matches!(self.state, CallState::Connected | CallState::Answering) {
                Some(self.response(&request, 481).build())
            } else if pending_theirs {
                Some(
                    self.response(&request, 500)
                        .header("Retry-After", "1")
                        .build(),
                )
            } else if pending_ours && offer.is_some() {
                Some(self.response(&request, 491).build())
            } else {
                self.too_brief(&request)
            };
        let bytes = match (&refusal, &offer) {
            (Some(_), _) | (None, Some(_)) => refusal,
            // No offer: a session refresh (UPDATE) or an offer of ours in the 2xx (re-INVITE).
            (None, None) => {
                let body = is_invite.then(|| self.local_sdp.clone());
                Some(self.ok_with(now, &request, body.as_deref()))
            }
        };
        let status = bytes.as_ref().map_or(0, |b| status_of(b));
        let wait_for_app = bytes.is_none();
        if wait_for_app && let Some(offer) = offer {
            self.event(CallEvent::RemoteOffer { offer });
        }
        if is_invite {
            let trying =
                crate::message::MessageBuilder::response_to(&request, 100, "Trying", None).build();
            let mut tx = super::invite_server::InviteServer::new(reliable, ctx.timers, trying);
            if let Some(bytes) = bytes {
                tx.respond(now, status, bytes);
            }
            let branch = request
                .head
                .vias
                .first()
                .and_then(|v| v.branch.clone())
                .unwrap_or_default();
            if self.reinvites_in.len() >= super::machine::MAX_REINVITES_IN {
                // The one that waits for the app stays.
                let oldest = self.reinvites_in.iter().position(|r| r.tx.is_answered());
                self.reinvites_in.remove(oldest.unwrap_or(0));
            }
            self.reinvites_in.push(super::machine::InInvite {
                offer_in_2xx: request.body.is_empty() && status == 200,
                request: request.clone(),
                branch: branch.clone(),
                dest,
                tx,
            });
            if wait_for_app {
                self.offer_wait = Some(OfferWait {
                    update: false,
                    key: (branch, request.head.cseq.seq),
                    request,
                    deadline: now + ANSWER_OFFER_WAIT,
                });
            }
        } else {
            let branch = request
                .head
                .vias
                .first()
                .and_then(|v| v.branch.clone())
                .unwrap_or_default();
            self.answer_request(now, &request, dest, status, bytes, ctx.timers);
            if wait_for_app {
                self.offer_wait = Some(OfferWait {
                    update: true,
                    key: (branch, request.head.cseq.seq),
                    request,
                    deadline: now + ANSWER_OFFER_WAIT,
                });
            }
        }
        self.collect();
    }

    /// Answers the far end's waiting offer with `answer`.
    pub(crate) fn answer_waiting_offer(&mut self, now: Instant, answer: Bytes) -> bool {
        let Some(wait) = self.offer_wait.take() else {
            return false;
        };
        let ok = self.ok_with(now, &wait.request, Some(&answer));
        self.local_sdp = answer;
        self.respond_to_offer(now, &wait, 200, ok);
        true
    }

    /// `488` for the far end's waiting offer.
    pub(crate) fn refuse_offer(&mut self, now: Instant) -> Result<(), CallError> {
        let Some(wait) = self.offer_wait.take() else {
            return Err(CallError::NotNow(
                "the far end has no new offer waiting for an answer",
            ));
        };
        let bytes = self.response(&wait.request, 488).build();
        self.respond_to_offer(now, &wait, 488, bytes);
        Ok(())
    }

    /// Sends the final response to the waiting offer through the server transaction of its
    /// UPDATE or re-INVITE.
    fn respond_to_offer(&mut self, now: Instant, wait: &OfferWait, status: u16, bytes: Vec<u8>) {
        let (branch, cseq) = &wait.key;
        if wait.update {
            if let Some(s) = self
                .servers
                .iter_mut()
                .find(|s| &s.branch == branch && s.cseq == *cseq)
            {
                s.tx.respond(now, status, bytes);
            }
        } else if let Some(r) = self
            .reinvites_in
            .iter_mut()
            .find(|r| &r.branch == branch && r.request.head.cseq.seq == *cseq)
        {
            r.tx.respond(now, status, bytes);
        }
        self.collect();
    }

    pub(crate) fn answer_offer(&mut self, now: Instant, answer: Bytes) -> Result<(), CallError> {
        if self.ended {
            return Err(CallError::NoCall);
        }
        if self.answer_waiting_offer(now, answer) {
            Ok(())
        } else {
            Err(CallError::NotNow(
                "the far end has no new offer waiting for an answer",
            ))
        }
    }
}

/// The status code of a response we built.
fn status_of(bytes: &[u8]) -> u16 {
    std::str::from_utf8(bytes.get(8..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(500)
}
