//! The far end's INVITE that makes a call: `100 Trying` at once, `180` when the app rings it,
//! `200` with the app's SDP (resent until the ACK), `486` when refused (never a 6xx, which would
//! end the call on every other phone of the person too), CANCEL from the caller (`200`, then
//! `487`), and the ACK that confirms the dialog.

use super::dialog::Dialog;
use super::invite_server::{InviteServer, ServerOutcome};
use super::machine::{ALLOW, Call, Ctx, Dest, InInvite};
use super::outgoing::sdp;
use super::target::party;
use super::{CallEnd, CallError, CallEvent, CallId, CallState, EndCause, MAX_INCOMING_RINGING};
use crate::ids;
use crate::message::{MessageBuilder, Request};
use bytes::Bytes;
use std::time::Instant;

impl Call {
    /// A call for an INVITE out of any dialog; `100 Trying` is its first transmit.
    pub(crate) fn new_incoming(
        now: Instant,
        id: CallId,
        account: usize,
        request: Request,
        dest: Dest,
        contact: String,
        ctx: &mut Ctx<'_>,
    ) -> Self {
        let mut call = Call::blank(
            id,
            account,
            CallState::Incoming { ringing: false },
            request.head.call_id.clone(),
        );
        call.local_tag = ids::tag(ctx.rng);
        call.contact = contact;
        call.dialog = Some(Dialog::from_request(&request, &call.local_tag, 0));
        call.ring_deadline = Some(now + MAX_INCOMING_RINGING);
        let reliable = matches!(dest, Dest::Peer(_, t) if t.is_reliable());
        let trying = MessageBuilder::response_to(&request, 100, "Trying", None).build();
        let offer = sdp(request.head.content_type(), &request.body);
        call.event(CallEvent::Incoming {
            from: party(&request.head.header("From").unwrap_or_default()),
            to: request.head.to.uri.clone(),
            offer,
        });
        call.incoming = Some(InInvite {
            branch: request
                .head
                .vias
                .first()
                .and_then(|v| v.branch.clone())
                .unwrap_or_default(),
            request,
            dest,
            tx: InviteServer::new(reliable, ctx.timers, trying),
            offer_in_2xx: false,
        });
        call.collect();
        call
    }

    /// Whether a request from the far end belongs to this call: the INVITE that made it (a
    /// copy, its CANCEL or ACK), or any request inside the dialog.
    pub(crate) fn claims_request(&self, request: &Request) -> bool {
        if request.head.call_id != self.call_id {
            return false;
        }
        if let Some(inv) = &self.incoming
            && request.head.from.tag == inv.request.head.from.tag
            && (request.head.to.tag.is_none()
                || request.head.to.tag.as_deref() == Some(self.local_tag.as_str()))
        {
            return true;
        }
        self.dialog
            .as_ref()
            .is_some_and(|d| d.matches_request(request, &self.local_tag))
    }

    /// A request [`claims_request`](Self::claims_request) took.
    pub(crate) fn handle_request(
        &mut self,
        now: Instant,
        dest: Dest,
        request: Request,
        ctx: &mut Ctx<'_>,
    ) {
        let branch = request.head.vias.first().and_then(|v| v.branch.clone());
        match request.method.as_str() {
            "ACK" => self.on_ack(now, &request, ctx),
            "CANCEL" => self.on_cancel(now, dest, &request, ctx),
            "INVITE"
                if self.incoming.as_ref().is_some_and(|i| {
                    Some(&i.branch) == branch.as_ref()
                        && i.request.head.cseq.seq == request.head.cseq.seq
                }) =>
            {
                if let Some(inv) = self.incoming.as_mut() {
                    inv.tx.handle_retransmission();
                }
                self.collect();
            }
            _ => self.handle_in_dialog(now, dest, request, ctx),
        }
    }

    /// `180 Ringing` for an incoming call.
    pub(crate) fn ring(&mut self, now: Instant) {
        if self.state != (CallState::Incoming { ringing: false }) {
            return;
        }
        let Some(inv) = self.incoming.as_ref() else {
            return;
        };
        let ringing = self.response(&inv.request, 180).build();
        if let Some(inv) = self.incoming.as_mut() {
            inv.tx.respond(now, 180, ringing);
        }
        self.state = CallState::Incoming { ringing: true };
        self.collect();
    }

    /// `200 OK` with `answer` (our offer when the INVITE had none).
    pub(crate) fn answer(
        &mut self,
        now: Instant,
        answer: Bytes,
        _ctx: &mut Ctx<'_>,
    ) -> Result<(), CallError> {
        if self.ended {
            return Err(CallError::NoCall);
        }
        if !matches!(self.state, CallState::Incoming { .. }) {
            return Err(CallError::NotNow(
                "only a ringing incoming call can be answered",
            ));
        }
        let Some(request) = self.incoming.as_ref().map(|i| i.request.clone()) else {
            return Err(CallError::NoCall);
        };
        let ok = self.ok_with(now, &request, Some(&answer));
        self.local_sdp = answer;
        if let Some(inv) = self.incoming.as_mut() {
            inv.offer_in_2xx = request.body.is_empty();
            inv.tx.respond(now, 200, ok);
        }
        self.ring_deadline = None;
        self.state = CallState::Answering;
        self.collect();
        Ok(())
    }

    /// `486 Busy Here` for an incoming call not answered yet.
    pub(crate) fn reject(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.reject_with(now, 486, ctx);
    }

    /// A 4xx for an incoming call not answered yet.
    pub(crate) fn reject_with(&mut self, now: Instant, status: u16, ctx: &mut Ctx<'_>) {
        let reason = CallEnd::new(EndCause::Rejected, Some(status), false);
        self.refuse(now, status, reason, ctx);
    }

    fn refuse(&mut self, now: Instant, status: u16, reason: CallEnd, ctx: &mut Ctx<'_>) {
        let Some(inv) = self.incoming.as_ref().filter(|i| !i.tx.is_answered()) else {
            return;
        };
        let bytes = self
            .response(&inv.request, status)
            .header("Allow", ALLOW)
            .build();
        if let Some(inv) = self.incoming.as_mut() {
            inv.tx.respond(now, status, bytes);
        }
        self.end(now, reason, ctx.timers);
        self.collect();
    }

    /// The caller gave up: `200` for the CANCEL, `487` for the INVITE.
    fn on_cancel(&mut self, now: Instant, dest: Dest, request: &Request, ctx: &mut Ctx<'_>) {
        let branch = request
            .head
            .vias
            .first()
            .and_then(|v| v.branch.clone())
            .unwrap_or_default();
        if let Some(s) = self
            .servers
            .iter_mut()
            .find(|s| s.branch == branch && s.method == request.method)
        {
            s.tx.handle_retransmission();
            return self.collect();
        }
        let matches = self.incoming.as_ref().is_some_and(|i| i.branch == branch);
        let status = if matches { 200 } else { 481 };
        let bytes = MessageBuilder::response_to(
            request,
            status,
            super::machine::reason(status),
            Some(&self.local_tag),
        )
        .build();
        self.answer_request(now, request, dest, status, Some(bytes), ctx.timers);
        if matches {
            self.refuse(
                now,
                487,
                CallEnd::new(EndCause::CallerCancelled, None, true),
                ctx,
            );
        }
        self.collect();
    }

    /// An ACK: for our error (the transaction absorbs it) or our `2xx` (the dialog is
    /// confirmed; an answer to an offer of ours may ride in it).
    fn on_ack(&mut self, now: Instant, request: &Request, ctx: &mut Ctx<'_>) {
        let seq = request.head.cseq.seq;
        let answer = sdp(request.head.content_type(), &request.body);
        let mut confirmed = false;
        let mut remote_answer = None;
        for inv in self.incoming.iter_mut().chain(self.reinvites_in.iter_mut()) {
            if inv.request.head.cseq.seq != seq {
                continue;
            }
            let was_2xx = inv.tx.awaits_2xx_ack();
            if inv.tx.handle_ack(now) && was_2xx {
                confirmed = true;
                if inv.offer_in_2xx {
                    remote_answer = answer.clone();
                }
            }
        }
        if confirmed {
            if self.state == CallState::Answering {
                self.state = CallState::Connected;
                self.event(CallEvent::Confirmed);
            }
            if let Some(answer) = remote_answer.filter(|_| !self.ended) {
                self.event(CallEvent::RemoteAnswer { answer });
            }
            if std::mem::take(&mut self.bye_after_ack) {
                self.send_bye(now, ctx);
            }
        }
        self.collect();
    }

    /// The far end's INVITE transactions and the ringing bound.
    pub(crate) fn incoming_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let mut no_ack = false;
        for inv in self.incoming.iter_mut().chain(self.reinvites_in.iter_mut()) {
            if inv.tx.poll_timeout().is_some_and(|t| t <= now) {
                let was_2xx = inv.tx.awaits_2xx_ack();
                if inv.tx.handle_timeout(now) == Some(ServerOutcome::NoAck) && was_2xx {
                    no_ack = true;
                }
            }
        }
        if no_ack {
            // RFC 3261 §13.3.1.4: no ACK for our 2xx ends the dialog with BYE (unless the far
            // end's BYE ended it already).
            if !self.ended || std::mem::take(&mut self.bye_after_ack) {
                self.send_bye(now, ctx);
            }
            self.end(now, CallEnd::new(EndCause::NoAck, None, true), ctx.timers);
        }
        if self.ring_deadline.is_some_and(|t| now >= t)
            && matches!(self.state, CallState::Incoming { .. })
        {
            self.ring_deadline = None;
            self.refuse(
                now,
                480,
                CallEnd::new(EndCause::NotAnswered, None, true),
                ctx,
            );
        }
    }
}
