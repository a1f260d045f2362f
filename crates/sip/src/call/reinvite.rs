//! Our re-INVITEs inside the confirmed dialog: a new offer of the app's (hold, resume) and
//! RFC 4028 refreshes where UPDATE is not allowed. One at a time; the answer to an offer comes
//! as [`CallEvent::RemoteAnswer`], a refusal as [`CallEvent::UpdateFailed`] with the call going
//! on as it was. Only `481` and `408` (or no answer at all) end the call (RFC 3261 §14.1). A
//! digest challenge is answered once; a `491` (both sides offered at once) is retried once
//! after 2.1–4 s (§14.1), so no answer of the far end makes a loop.

use super::invite_client::{AckTemplate, InviteClient};
use super::machine::{ALLOW, Call, Ctx, method};
use super::outgoing::sdp;
use super::{CallError, CallEvent, CallState};
use crate::auth::{Credentials, DigestAuth};
use crate::ids;
use crate::message::Response;
use bytes::Bytes;
use rand_core::RngCore;
use std::time::{Duration, Instant};

/// Why a re-INVITE of ours went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReinviteKind {
    /// A session refresh with the last local SDP.
    Refresh,
    /// A new offer of the app's ([`Call::update`]).
    Offer,
}

/// A re-INVITE of ours in flight.
#[derive(Debug)]
pub(crate) struct OwnReinvite {
    pub branch: String,
    pub cseq: u32,
    pub tx: InviteClient,
    pub kind: ReinviteKind,
}

/// A new offer of the app's, from [`Call::update`] until its answer or failure.
#[derive(Debug)]
pub(crate) struct OwnUpdate {
    pub offer: Bytes,
    pub auth: Option<DigestAuth>,
    /// A digest challenge was answered already.
    pub auth_tried: bool,
    /// A `491` was retried already.
    pub glare_tried: bool,
    /// When the retry after a `491` goes out.
    pub retry_at: Option<Instant>,
}

/// The wait after a `491` before the one retry: 2.1–4 s in 10 ms steps (RFC 3261 §14.1).
fn glare_wait(rng: &mut dyn RngCore) -> Duration {
    Duration::from_millis(2100 + u64::from(rng.next_u32() % 191) * 10)
}

impl Call {
    /// Starts a re-INVITE carrying `body` (plus `extra` headers) inside the dialog.
    pub(crate) fn start_reinvite(
        &mut self,
        now: Instant,
        kind: ReinviteKind,
        extra: &[(&str, String)],
        body: &Bytes,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let cseq = dialog.next_cseq();
        let branch = ids::branch(ctx.rng);
        let invite = method("INVITE");
        let mut b = dialog
            .request(&invite, cseq, &branch, &ctx.flow, ctx.outbound_proxy)
            .header("Contact", &format!("<{}>", self.contact))
            .header("Allow", ALLOW)
            .header("User-Agent", ctx.user_agent);
        for (name, value) in extra {
            b = b.header(name, value);
        }
        if kind == ReinviteKind::Offer
            && let Some(auth) = self.update.as_mut().and_then(|u| u.auth.as_mut())
            && auth.has_challenge()
        {
            for (name, value) in auth.authorize(&invite, &dialog.remote_target, body, ctx.rng) {
                b = b.header(name, &value);
            }
        }
        let bytes = b.body("application/sdp", body).build();
        // The ACK of an error repeats the INVITE's Via, From, Call-ID and Route (§17.1.1.3).
        let ack = dialog.request(&method("ACK"), cseq, &branch, &ctx.flow, ctx.outbound_proxy);
        let headers = ack_headers(&String::from_utf8_lossy(&ack.build()));
        let template = AckTemplate {
            uri: dialog.remote_target.clone(),
            headers,
            cseq,
        };
        let tx = InviteClient::new(
            now,
            bytes,
            template,
            ctx.flow.transport.is_reliable(),
            ctx.timers,
        );
        self.reinvite_out = Some(OwnReinvite {
            branch,
            cseq,
            tx,
            kind,
        });
        self.collect();
    }

    /// Whether a re-INVITE of ours (or its retry) is under way.
    pub(crate) fn reinvite_busy(&self) -> bool {
        self.update.is_some()
            || self
                .reinvite_out
                .as_ref()
                .is_some_and(|r| r.tx.is_pending())
    }

    /// The app's new offer (hold, resume): a re-INVITE in the confirmed dialog.
    pub(crate) fn update(
        &mut self,
        now: Instant,
        offer: Bytes,
        credentials: Option<Credentials>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), CallError> {
        if self.ended {
            return Err(CallError::NoCall);
        }
        if self.state != CallState::Connected || self.dialog.is_none() {
            return Err(CallError::NotNow(
                "the call is not up yet; wait until it is answered",
            ));
        }
        let theirs =
            self.offer_wait.is_some() || self.reinvites_in.iter().any(|r| !r.tx.is_answered());
        if self.reinvite_busy() || theirs {
            return Err(CallError::NotNow(
                "the call is being changed already; try again in a moment",
            ));
        }
        self.update = Some(OwnUpdate {
            offer: offer.clone(),
            auth: credentials.map(DigestAuth::new),
            auth_tried: false,
            glare_tried: false,
            retry_at: None,
        });
        self.send_update(now, ctx);
        Ok(())
    }

    fn send_update(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let Some(offer) = self.update.as_ref().map(|u| u.offer.clone()) else {
            return;
        };
        let mut extra = vec![("Supported", "timer".to_owned())];
        if let Some(i) = self.timer.interval {
            let who = if self.timer.we_refresh { "uac" } else { "uas" };
            extra.push(("Session-Expires", format!("{i};refresher={who}")));
        }
        self.start_reinvite(now, ReinviteKind::Offer, &extra, &offer, ctx);
    }

    /// The `2xx` to our offer: its SDP is the answer.
    pub(crate) fn update_answered(&mut self, now: Instant, response: &Response) {
        let Some(update) = self.update.take() else {
            return;
        };
        if self.ended {
            return;
        }
        if self.timer.interval.is_some() {
            match super::session_timer::session_expires(&response.head) {
                Some((seconds, refresher)) => self.timer.start(
                    now,
                    seconds,
                    refresher != Some(super::session_timer::Refresher::Uas),
                ),
                None => self.timer.stop(),
            }
        }
        match sdp(response.head.content_type(), &response.body) {
            Some(answer) => {
                self.local_sdp = update.offer;
                self.event(CallEvent::RemoteAnswer { answer });
            }
            // A 2xx without an answer: the session stays as it was.
            None => self.event(CallEvent::UpdateFailed { code: None }),
        }
    }

    /// A final error to our offer (`None`: no answer at all).
    pub(crate) fn update_refused(
        &mut self,
        now: Instant,
        response: Option<&Response>,
        ctx: &mut Ctx<'_>,
    ) {
        if self.ended {
            self.update = None;
            return;
        }
        let code = response.map(|r| r.status);
        match (code, response, self.update.as_mut()) {
            (Some(401 | 407), Some(r), Some(u)) if !u.auth_tried => {
                u.auth_tried = true;
                if let Some(auth) = u.auth.as_mut()
                    && auth.handle_challenge(r).is_ok()
                {
                    return self.send_update(now, ctx);
                }
            }
            (Some(491), _, Some(u)) if !u.glare_tried => {
                u.glare_tried = true;
                u.retry_at = Some(now + glare_wait(ctx.rng));
                return;
            }
            _ => {}
        }
        self.update = None;
        match code {
            None | Some(408 | 481) => self.lost(now, code.is_none(), ctx),
            Some(code) => self.event(CallEvent::UpdateFailed { code: Some(code) }),
        }
    }

    /// The retry after a `491`, when due.
    pub(crate) fn update_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        let due = self
            .update
            .as_ref()
            .and_then(|u| u.retry_at)
            .is_some_and(|t| now >= t);
        if !due {
            return;
        }
        if self.ended || !self.reinvites_in.iter().all(|r| r.tx.is_answered()) {
            // The far end's own change is under way: ours gives way.
            self.update = None;
            if !self.ended {
                self.event(CallEvent::UpdateFailed { code: Some(491) });
            }
            return;
        }
        if let Some(u) = self.update.as_mut() {
            u.retry_at = None;
        }
        self.send_update(now, ctx);
    }

    pub(crate) fn update_deadline(&self) -> Option<Instant> {
        self.update.as_ref().and_then(|u| u.retry_at)
    }
}

/// The Via, From, Call-ID and Route lines of a request we built, for the ACK of an error.
fn ack_headers(request: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for line in request.split("\r\n").skip(1) {
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = match name.trim().to_ascii_lowercase().as_str() {
            "via" => "Via",
            "from" => "From",
            "call-id" => "Call-ID",
            "route" => "Route",
            "max-forwards" => "Max-Forwards",
            _ => continue,
        };
        out.push((name, value.trim().to_owned()));
    }
    out
}
