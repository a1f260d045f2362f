//! Our INVITE: sending it (again after a digest challenge, a redirect or a `422`), its
//! provisional answers (early dialog, early media), the `2xx` (the dialog confirmed and ACKed,
//! every copy ACKed again; a second fork's `2xx` ACKed and ended with BYE), the failures in
//! words, and CANCEL while it rings.

use super::dialog::Dialog;
use super::invite_client::{AckTemplate, InviteClient, InviteOutcome};
use super::machine::{ALLOW, Call, Ctx, Dest, Outgoing, Purpose, method};
use super::session_timer::{MAX_SESSION_EXPIRES, Refresher, min_se, session_expires};
use super::{
    CallEnd, CallEvent, CallId, CallState, EndCause, MAX_INVITES_PER_CALL, MAX_RINGING,
    MIN_SESSION_EXPIRES,
};
use crate::auth::{Credentials, DigestAuth};
use crate::config::host_port;
use crate::ids;
use crate::message::{MessageBuilder, Response};
use crate::request::{angle, loose_route};
use crate::transaction::ClientTransaction;
use bytes::Bytes;
use std::time::Instant;

/// Most `2xx` from other forks ACKed and ended with BYE per call.
const MAX_EXTRA_FORKS: u32 = 4;

/// The SDP in a message, if it carries one.
pub(crate) fn sdp(content_type: Option<String>, body: &[u8]) -> Option<Bytes> {
    let is_sdp = content_type.is_none_or(|t| t == "application/sdp");
    (is_sdp && !body.is_empty()).then(|| Bytes::copy_from_slice(body))
}

impl Call {
    /// A new outgoing call to `uri`; the INVITE is its first transmit.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_outgoing(
        now: Instant,
        id: CallId,
        account: usize,
        aor: &str,
        uri: String,
        contact: String,
        offer: Bytes,
        credentials: Option<Credentials>,
        ctx: &mut Ctx<'_>,
    ) -> Self {
        let mut call = Call::blank(id, account, CallState::Dialing, ids::call_id(ctx.rng));
        call.local_tag = ids::tag(ctx.rng);
        call.contact = contact;
        call.local_sdp = offer;
        call.ring_deadline = Some(now + MAX_RINGING);
        let from = format!("{};tag={}", angle(aor), call.local_tag);
        let template = AckTemplate {
            uri: uri.clone(),
            headers: Vec::new(),
            cseq: 0,
        };
        call.outgoing = Some(Outgoing {
            from,
            to: angle(&uri),
            uri,
            branch: String::new(),
            cseq: 0,
            tx: InviteClient::new(now, Vec::new(), template.clone(), true, ctx.timers),
            previous: None,
            template,
            auth: credentials.map(DigestAuth::new),
            invites: 0,
            redirected: false,
            session_expires: None,
            reported: None,
            early_answer: None,
            cancel_wanted: false,
            cancel_sent: false,
            forks_dropped: 0,
        });
        call.send_invite(now, ctx);
        call
    }

    /// Sends (a new) INVITE: the first, or after a challenge, redirect or `422`.
    fn send_invite(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let call_id = self.call_id.clone();
        let contact = self.contact.clone();
        let offer = self.local_sdp.clone();
        let Some(o) = self.outgoing.as_mut() else {
            return;
        };
        if o.invites > 0 {
            let old = std::mem::replace(
                &mut o.tx,
                InviteClient::new(now, Vec::new(), o.template.clone(), true, ctx.timers),
            );
            o.previous = (!old.is_terminated()).then(|| (o.branch.clone(), o.cseq, old));
        }
        o.invites += 1;
        o.cseq += 1;
        o.branch = ids::branch(ctx.rng);
        let from = o.from.clone();
        let via = format!(
            "SIP/2.0/{} {};branch={};rport",
            ctx.flow.transport.via_token(),
            host_port(ctx.flow.local),
            o.branch
        );
        let mut common: Vec<(&'static str, String)> = vec![
            ("Via", via),
            ("Max-Forwards", "70".into()),
            ("From", from),
            ("Call-ID", call_id),
        ];
        if let Some(proxy) = ctx.outbound_proxy {
            common.push(("Route", loose_route(proxy)));
        }
        let invite = method("INVITE");
        let mut b = MessageBuilder::request(&invite, &o.uri);
        for (name, value) in &common {
            b = b.header(name, value);
        }
        b = b
            .header("To", &o.to)
            .header("CSeq", &format!("{} INVITE", o.cseq))
            .header("Contact", &format!("<{contact}>"))
            .header("Allow", ALLOW)
            .header("Supported", "timer")
            .header("User-Agent", ctx.user_agent);
        if let Some(se) = o.session_expires {
            b = b
                .header("Session-Expires", &se.to_string())
                .header("Min-SE", &se.to_string());
        }
        if let Some(auth) = o.auth.as_mut().filter(|a| a.has_challenge()) {
            for (name, value) in auth.authorize(&invite, &o.uri, &offer, ctx.rng) {
                b = b.header(name, &value);
            }
        }
        let bytes = b.body("application/sdp", &offer).build();
        o.template = AckTemplate {
            uri: o.uri.clone(),
            headers: common,
            cseq: o.cseq,
        };
        o.tx = InviteClient::new(
            now,
            bytes,
            o.template.clone(),
            ctx.flow.transport.is_reliable(),
            ctx.timers,
        );
        o.cancel_sent = false;
        self.collect();
    }

    /// Whether `response` answers our INVITE (the current one, or a copy of its `2xx` after
    /// the transaction ended) or a CANCEL of ours.
    pub(crate) fn owns_invite_response(&self, response: &Response) -> bool {
        let Some(o) = self.outgoing.as_ref() else {
            return false;
        };
        let previous = o.previous.as_ref().map(|(_, cseq, _)| *cseq);
        response.head.call_id == self.call_id
            && response.head.from.tag.as_deref() == Some(self.local_tag.as_str())
            && response.head.cseq.method == method("INVITE")
            && (response.head.cseq.seq == o.cseq || Some(response.head.cseq.seq) == previous)
    }

    pub(crate) fn on_invite_response(
        &mut self,
        now: Instant,
        response: &Response,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(o) = self.outgoing.as_mut() else {
            return;
        };
        let branch_ok =
            response.head.vias.first().and_then(|v| v.branch.as_deref()) == Some(o.branch.as_str());
        let to = response.head.header("To").unwrap_or_default();
        if let Some((branch, _, tx)) = o.previous.as_mut()
            && response.head.vias.first().and_then(|v| v.branch.as_deref()) == Some(branch.as_str())
        {
            // A copy of the answer to the INVITE before: its transaction ACKs it again.
            tx.handle_response(now, response.status, &to);
            return self.collect();
        }
        let outcome = if branch_ok {
            o.tx.handle_response(now, response.status, &to)
        } else {
            None
        };
        // The ACK of an error leaves before a new INVITE replaces this transaction.
        self.collect();
        match outcome {
            Some(InviteOutcome::Provisional(code)) => self.on_provisional(now, code, response, ctx),
            Some(InviteOutcome::Success) => self.on_2xx(now, response, ctx),
            Some(InviteOutcome::Failure(code)) => self.on_failure(now, code, response, ctx),
            Some(InviteOutcome::Timeout) => {}
            // A 2xx copy after the transaction ended: the dialog ACKs it again.
            None if (200..300).contains(&response.status) => self.on_2xx(now, response, ctx),
            None => {}
        }
        self.collect();
    }

    fn on_provisional(&mut self, now: Instant, code: u16, response: &Response, ctx: &mut Ctx<'_>) {
        let Some(o) = self.outgoing.as_mut() else {
            return;
        };
        if o.cancel_wanted && !o.cancel_sent {
            self.send_cancel(now, ctx);
            return;
        }
        if self.ended || code == 100 {
            return;
        }
        if self.dialog.is_none() {
            let local = o.from.clone();
            self.dialog = Dialog::from_response(response, &local, o.cseq, &o.uri);
        }
        let early = sdp(response.head.content_type(), &response.body);
        if early.is_some() {
            o.early_answer = early.clone();
            self.state = CallState::EarlyMedia;
        } else if self.state == CallState::Dialing {
            self.state = CallState::Ringing;
        }
        let key = (code, early.is_some());
        if o.reported != Some(key) {
            o.reported = Some(key);
            self.event(CallEvent::Progress {
                code,
                early_answer: early,
            });
        }
    }

    fn ack_for(&self, response: &Response, cseq: u32, ctx: &mut Ctx<'_>) -> Option<Vec<u8>> {
        let mut dialog = self.dialog.clone()?;
        dialog.confirm_with(response);
        let branch = ids::branch(ctx.rng);
        Some(
            dialog
                .request(&method("ACK"), cseq, &branch, &ctx.flow, ctx.outbound_proxy)
                .header("User-Agent", ctx.user_agent)
                .build(),
        )
    }

    fn on_2xx(&mut self, now: Instant, response: &Response, ctx: &mut Ctx<'_>) {
        let Some(o) = self.outgoing.as_ref() else {
            return;
        };
        let cseq = o.cseq;
        let tag = response.head.to.tag.clone();
        let confirmed = self.ack.as_ref().is_some_and(|(c, _)| *c == cseq);
        if confirmed {
            let same = self.dialog.as_ref().map(|d| Some(d.remote_tag.clone())) == Some(tag);
            if same {
                if let Some((_, ack)) = self.ack.clone() {
                    self.send(Dest::Flow, ack);
                }
            } else {
                self.drop_fork(now, response, cseq, ctx);
            }
            return;
        }
        // The dialog is the one of this 2xx (an early dialog of another fork gives way).
        let local = o.from.clone();
        let uri = o.uri.clone();
        let early_answer = o.early_answer.clone();
        let cancelled = o.cancel_wanted || self.ended;
        match self.dialog.as_mut() {
            Some(d) if Some(d.remote_tag.clone()) == tag => d.confirm_with(response),
            _ => self.dialog = Dialog::from_response(response, &local, cseq, &uri),
        }
        let Some(ack) = self.ack_for(response, cseq, ctx) else {
            return;
        };
        self.send(Dest::Flow, ack.clone());
        self.ack = Some((cseq, ack));
        self.ring_deadline = None;
        if cancelled {
            // Hung up while the answer was on its way: end the dialog it made.
            self.send_bye(now, ctx);
            return;
        }
        let answer = sdp(response.head.content_type(), &response.body).or(early_answer);
        let Some(answer) = answer else {
            self.send_bye(now, ctx);
            self.end(now, CallEnd::new(EndCause::NoMedia, None, true), ctx.timers);
            return;
        };
        self.state = CallState::Connected;
        if let Some((seconds, refresher)) = session_expires(&response.head) {
            self.timer
                .start(now, seconds, refresher == Some(Refresher::Uac));
        }
        self.event(CallEvent::Answered { answer });
    }

    /// A `2xx` from a second fork: ACK it and end that dialog (RFC 3261 §13.2.2.4).
    fn drop_fork(&mut self, now: Instant, response: &Response, cseq: u32, ctx: &mut Ctx<'_>) {
        let Some(o) = self.outgoing.as_mut() else {
            return;
        };
        if o.forks_dropped >= MAX_EXTRA_FORKS {
            return;
        }
        o.forks_dropped += 1;
        let local = o.from.clone();
        let Some(mut fork) = Dialog::from_response(response, &local, cseq, &o.uri) else {
            return;
        };
        let branch = ids::branch(ctx.rng);
        let ack = fork
            .request(&method("ACK"), cseq, &branch, &ctx.flow, ctx.outbound_proxy)
            .build();
        self.send(Dest::Flow, ack);
        let bye_cseq = fork.next_cseq();
        let branch = ids::branch(ctx.rng);
        let bye = fork
            .request(
                &method("BYE"),
                bye_cseq,
                &branch,
                &ctx.flow,
                ctx.outbound_proxy,
            )
            .build();
        let tx = ClientTransaction::new(now, bye, ctx.flow.transport.is_reliable(), ctx.timers);
        self.clients.push(super::machine::ClientReq {
            branch,
            method: method("BYE"),
            purpose: Purpose::Bye,
            tx,
        });
    }

    fn on_failure(&mut self, now: Instant, code: u16, response: &Response, ctx: &mut Ctx<'_>) {
        self.dialog = None;
        let Some(o) = self.outgoing.as_mut() else {
            return;
        };
        if o.cancel_wanted || self.ended {
            let reason = CallEnd::new(EndCause::Cancelled, Some(code), false);
            return self.end(now, reason, ctx.timers);
        }
        let room = o.invites < MAX_INVITES_PER_CALL;
        let reason = match code {
            401 | 407 => match o.auth.as_mut() {
                Some(auth) if room => match auth.handle_challenge(response) {
                    Ok(()) => return self.send_invite(now, ctx),
                    Err(_) => CallEnd::new(EndCause::AuthFailed, Some(code), true),
                },
                Some(_) => CallEnd::new(EndCause::AuthFailed, Some(code), true),
                None => CallEnd::failed(code),
            },
            300..=399 => {
                let contact = response.head.contacts().first().map(|c| c.uri.clone());
                let sip = contact.filter(|c| {
                    let c = c.to_ascii_lowercase();
                    c.starts_with("sip:") || c.starts_with("sips:")
                });
                match sip {
                    Some(uri) if !o.redirected && room => {
                        o.redirected = true;
                        o.uri = uri;
                        return self.send_invite(now, ctx);
                    }
                    Some(_) if o.redirected => {
                        CallEnd::new(EndCause::TooManyRedirects, Some(code), true)
                    }
                    _ => CallEnd::failed(code),
                }
            }
            422 => match min_se(&response.head) {
                Some(min)
                    if o.session_expires.is_none()
                        && room
                        && (MIN_SESSION_EXPIRES..=MAX_SESSION_EXPIRES).contains(&min) =>
                {
                    o.session_expires = Some(min);
                    return self.send_invite(now, ctx);
                }
                _ => CallEnd::new(EndCause::SessionIntervalRefused, Some(code), true),
            },
            _ => CallEnd::failed(code),
        };
        if let Some(auth) = o.auth.as_mut() {
            auth.on_accepted();
        }
        self.end(now, reason, ctx.timers);
    }

    /// CANCEL for our ringing INVITE (RFC 3261 §9.1): same Request-URI, branch, From, To,
    /// Call-ID, CSeq number and Route as the INVITE.
    pub(crate) fn send_cancel(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(o) = self.outgoing.as_mut() else {
            return;
        };
        if o.cancel_sent || !o.tx.is_pending() {
            return;
        }
        o.cancel_wanted = true;
        if !o.tx.is_proceeding() {
            // Not before a provisional response: it goes out when one comes.
            return;
        }
        o.cancel_sent = true;
        let mut b = MessageBuilder::request(&method("CANCEL"), &o.template.uri);
        for (name, value) in &o.template.headers {
            b = b.header(name, value);
        }
        let bytes = b
            .header("To", &o.to)
            .header("CSeq", &format!("{} CANCEL", o.cseq))
            .header("User-Agent", ctx.user_agent)
            .build();
        let tx = ClientTransaction::new(now, bytes, ctx.flow.transport.is_reliable(), ctx.timers);
        self.clients.push(super::machine::ClientReq {
            branch: o.branch.clone(),
            method: method("CANCEL"),
            purpose: Purpose::Cancel,
            tx,
        });
        self.collect();
    }

    /// Our INVITE's timers and the ringing bound.
    pub(crate) fn outgoing_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        if let Some(o) = self.outgoing.as_mut()
            && let Some((_, _, tx)) = o.previous.as_mut()
        {
            tx.handle_timeout(now);
            if tx.is_terminated() {
                o.previous = None;
            }
        }
        if let Some(o) = self.outgoing.as_mut()
            && o.tx.poll_timeout().is_some_and(|t| t <= now)
            && o.tx.handle_timeout(now) == Some(InviteOutcome::Timeout)
        {
            let reason = if o.cancel_wanted {
                CallEnd::new(EndCause::Cancelled, None, false)
            } else {
                CallEnd::new(EndCause::Timeout, None, true)
            };
            self.end(now, reason, ctx.timers);
        }
        if self.outgoing.is_some() && self.ring_deadline.is_some_and(|t| now >= t) {
            self.ring_deadline = None;
            if self.outgoing.as_ref().is_some_and(|o| o.tx.is_pending()) {
                self.send_cancel(now, ctx);
                self.end(
                    now,
                    CallEnd::new(EndCause::NoAnswer, None, false),
                    ctx.timers,
                );
            }
        }
    }

    /// The user hung up our call before it was answered.
    pub(crate) fn cancel_outgoing(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.send_cancel(now, ctx);
        self.end(
            now,
            CallEnd::new(EndCause::Cancelled, None, false),
            ctx.timers,
        );
        self.state = CallState::Ending;
    }
}
