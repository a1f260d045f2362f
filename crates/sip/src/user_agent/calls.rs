//! The user agent's calls: the public call API ([`UserAgent::start_call`] and the rest), the
//! routing of responses and requests to the call they belong to, incoming INVITEs (ring, `480`
//! when the account takes no calls, `486` when the user agent is busy) and the queues.

use super::{AccountId, Event, Transmit, UserAgent, push_bounded};
use crate::call::target::{party, resolve};
use crate::call::{Call, CallError, CallEvent, CallId, CallState, Dest, MAX_CALLS};
use crate::config::{IncomingCalls, Transport};
use crate::message::{MessageBuilder, Request, Response};
use bytes::Bytes;
use std::net::SocketAddr;
use std::time::Instant;

/// Runs `$body` with the call at index `$i` and a call context for its account.
macro_rules! with_ctx {
    ($ua:expr, $i:expr, |$call:ident, $ctx:ident| $body:expr) => {{
        let i = $i;
        let account = &$ua.accounts[$ua.calls[i].account];
        let mut $ctx = crate::call::Ctx {
            flow: account.config.flow,
            timers: $ua.config.timers,
            user_agent: &$ua.config.user_agent,
            outbound_proxy: account.config.outbound_proxy.as_deref(),
            rng: &mut $ua.rng,
        };
        let $call = &mut $ua.calls[i];
        $body
    }};
}

impl UserAgent {
    // ---- getters ----

    /// Where a call stands; `None` once it is gone (a while after it ended).
    pub fn call_state(&self, call: CallId) -> Option<CallState> {
        self.calls.iter().find(|c| c.id == call).map(|c| c.state)
    }

    /// The calls held now (ended ones linger a little to absorb retransmissions).
    pub fn calls(&self) -> Vec<CallId> {
        self.calls.iter().map(|c| c.id).collect()
    }

    fn active_calls(&self) -> usize {
        self.calls.iter().filter(|c| c.is_active()).count()
    }

    fn max_calls(&self) -> usize {
        self.config.max_calls.clamp(1, MAX_CALLS)
    }

    fn call_index(&self, call: CallId) -> Result<usize, CallError> {
        self.calls
            .iter()
            .position(|c| c.id == call)
            .ok_or(CallError::NoCall)
    }

    // ---- mutators ----

    /// Calls `target` from `account` with the SDP `offer`: a SIP URI (`sip:*97@pbx`), a bare user
    /// or number (`*97`, `+4930123`) at the account's domain, or a `tel:` URI (the number at the
    /// account's domain). [`CallEvent::Progress`], [`CallEvent::Answered`] and finally
    /// [`CallEvent::Ended`] follow.
    pub fn start_call(
        &mut self,
        now: Instant,
        account: AccountId,
        target: &str,
        offer: Bytes,
    ) -> Result<CallId, CallError> {
        let now = self.monotonic(now);
        let a = self.accounts.get(account.0).ok_or(CallError::NoAccount)?;
        if a.closing {
            return Err(CallError::NoAccount);
        }
        if self.active_calls() >= self.max_calls() || self.calls.len() >= MAX_CALLS * 2 {
            return Err(CallError::Busy);
        }
        let uri = resolve(target, &a.config.aor)
            .ok_or_else(|| CallError::BadTarget(target.chars().take(64).collect()))?;
        let id = self.next_call_id();
        let a = &self.accounts[account.0];
        let mut ctx = crate::call::Ctx {
            flow: a.config.flow,
            timers: self.config.timers,
            user_agent: &self.config.user_agent,
            outbound_proxy: a.config.outbound_proxy.as_deref(),
            rng: &mut self.rng,
        };
        let call = Call::new_outgoing(
            now,
            id,
            account.0,
            &a.config.aor,
            uri,
            a.registration.contact_uri(),
            offer,
            a.config.credentials.clone(),
            &mut ctx,
        );
        self.calls.push(call);
        self.pump(now);
        Ok(id)
    }

    /// Rings an incoming call (`180 Ringing`).
    pub fn ring_call(&mut self, now: Instant, call: CallId) {
        let now = self.monotonic(now);
        if let Ok(i) = self.call_index(call) {
            self.calls[i].ring(now);
            self.pump(now);
        }
    }

    /// Answers an incoming call with the SDP `answer` (`200 OK`; resent until the ACK, which
    /// is reported as [`CallEvent::Confirmed`]). When the INVITE had no offer, `answer` is our
    /// offer and the far end's answer comes as [`CallEvent::RemoteAnswer`].
    pub fn answer_call(
        &mut self,
        now: Instant,
        call: CallId,
        answer: Bytes,
    ) -> Result<(), CallError> {
        let now = self.monotonic(now);
        let i = self.call_index(call)?;
        let result = with_ctx!(self, i, |c, ctx| c.answer(now, answer, &mut ctx));
        self.pump(now);
        result
    }

    /// Answers the far end's new offer ([`CallEvent::RemoteOffer`]) with `answer`.
    pub fn answer_offer(
        &mut self,
        now: Instant,
        call: CallId,
        answer: Bytes,
    ) -> Result<(), CallError> {
        let now = self.monotonic(now);
        let i = self.call_index(call)?;
        let result = self.calls[i].answer_offer(now, answer);
        self.pump(now);
        result
    }

    /// Declines an incoming call: `486 Busy Here`, never a 6xx (a `603` would stop the call
    /// ringing on the person's other phones too).
    pub fn reject_call(&mut self, now: Instant, call: CallId) {
        self.reject_call_with(now, call, 486);
    }

    /// Declines an incoming call with another 4xx status than `486`, e.g. `488 Not Acceptable
    /// Here` when the media layer finds no common codec. Anything outside 400–499 is sent as
    /// `486` (a 6xx would end the call on the person's other phones too).
    pub fn reject_call_with(&mut self, now: Instant, call: CallId, status: u16) {
        let now = self.monotonic(now);
        let status = if (400..500).contains(&status) {
            status
        } else {
            486
        };
        if let Ok(i) = self.call_index(call) {
            with_ctx!(self, i, |c, ctx| c.reject_with(now, status, &mut ctx));
            self.pump(now);
        }
    }

    /// Sends our new SDP `offer` inside the confirmed call (a re-INVITE: hold, resume). The
    /// far end's answer comes as [`CallEvent::RemoteAnswer`]; a refusal as
    /// [`CallEvent::UpdateFailed`], the call going on as it was (only `481`, `408` or no answer
    /// end it). One change at a time: another one before the answer is refused.
    pub fn update_call(
        &mut self,
        now: Instant,
        call: CallId,
        offer: Bytes,
    ) -> Result<(), CallError> {
        let now = self.monotonic(now);
        let i = self.call_index(call)?;
        let credentials = self.accounts[self.calls[i].account]
            .config
            .credentials
            .clone();
        let result = with_ctx!(self, i, |c, ctx| c.update(
            now,
            offer,
            credentials,
            &mut ctx
        ));
        self.pump(now);
        result
    }

    /// Refuses the far end's new offer ([`CallEvent::RemoteOffer`]) with `488 Not Acceptable
    /// Here` (no common codec): the call goes on as it was.
    pub fn refuse_offer(&mut self, now: Instant, call: CallId) -> Result<(), CallError> {
        let now = self.monotonic(now);
        let i = self.call_index(call)?;
        let result = self.calls[i].refuse_offer(now);
        self.pump(now);
        result
    }

    /// Ends a call whatever its state: CANCEL while ours rings, BYE once up, `486` for an
    /// incoming call not answered yet. [`CallEvent::Ended`] follows at once.
    pub fn hang_up(&mut self, now: Instant, call: CallId) {
        let now = self.monotonic(now);
        if let Ok(i) = self.call_index(call) {
            with_ctx!(self, i, |c, ctx| c.hang_up(now, &mut ctx));
            self.pump(now);
        }
    }

    /// Sends a keypad press by SIP INFO (`application/dtmf-relay`), for a far end that offered
    /// no RFC 4733 telephone-event. Presses go out one at a time, in order.
    pub fn send_dtmf_info(
        &mut self,
        now: Instant,
        call: CallId,
        digit: char,
        duration_ms: u32,
    ) -> Result<(), CallError> {
        let now = self.monotonic(now);
        let i = self.call_index(call)?;
        let result = with_ctx!(self, i, |c, ctx| c.send_dtmf_info(
            now,
            digit,
            duration_ms,
            &mut ctx
        ));
        self.pump(now);
        result
    }

    // ---- internals ----

    /// Hangs up every call of account `account` (it is shutting down).
    pub(super) fn hang_up_account_calls(&mut self, now: Instant, account: usize) {
        for i in 0..self.calls.len() {
            if self.calls[i].account == account {
                with_ctx!(self, i, |c, ctx| c.hang_up(now, &mut ctx));
            }
        }
    }

    fn next_call_id(&mut self) -> CallId {
        self.next_call = self.next_call.wrapping_add(1);
        CallId(self.next_call)
    }

    /// A response for a call; `false` when it belongs to none.
    pub(super) fn call_response(&mut self, now: Instant, response: &Response) -> bool {
        for i in 0..self.calls.len() {
            if self.calls[i].owns_invite_response(response) {
                with_ctx!(self, i, |c, ctx| {
                    if !c.on_dialog_response(now, response, &mut ctx) {
                        c.on_invite_response(now, response, &mut ctx);
                    }
                });
                return true;
            }
            let handled = with_ctx!(self, i, |c, ctx| c
                .on_dialog_response(now, response, &mut ctx));
            if handled {
                return true;
            }
        }
        false
    }

    /// A request for a call, or an INVITE that makes one; `false` when the ordinary request
    /// handling answers it (an INVITE for an account whose calls are off gets `480` there).
    pub(super) fn call_request(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        request: &Request,
    ) -> bool {
        let dest = Dest::Peer(from, transport);
        if let Some(i) = self.calls.iter().position(|c| c.claims_request(request)) {
            with_ctx!(self, i, |c, ctx| c.handle_request(
                now,
                dest,
                request.clone(),
                &mut ctx
            ));
            return true;
        }
        if request.method.as_str() == "ACK" {
            // An ACK for nothing we know: never answered.
            return true;
        }
        if request.method.as_str() != "INVITE" || request.head.to.tag.is_some() {
            return false;
        }
        let Some(account) = self.account_for_invite(from, request) else {
            return false;
        };
        if self.accounts[account].config.incoming_calls == IncomingCalls::Off {
            return false;
        }
        if let Some(unsupported) = crate::call::unsupported_required(request) {
            let bytes =
                MessageBuilder::response_to(request, 420, "Bad Extension", Some(&self.local_tag))
                    .header("Unsupported", &unsupported)
                    .build();
            self.remember_answer(now, from, transport, request, 420, bytes);
            return true;
        }
        if crate::call::too_brief(request) {
            let min = crate::call::MIN_SESSION_EXPIRES.to_string();
            let bytes = MessageBuilder::response_to(
                request,
                422,
                "Session Interval Too Small",
                Some(&self.local_tag),
            )
            .header("Min-SE", &min)
            .build();
            self.remember_answer(now, from, transport, request, 422, bytes);
            return true;
        }
        if self.active_calls() >= self.max_calls() || self.calls.len() >= MAX_CALLS * 2 {
            self.refuse_busy(now, from, transport, account, request);
            return true;
        }
        let id = self.next_call_id();
        let a = &self.accounts[account];
        let mut ctx = crate::call::Ctx {
            flow: a.config.flow,
            timers: self.config.timers,
            user_agent: &self.config.user_agent,
            outbound_proxy: a.config.outbound_proxy.as_deref(),
            rng: &mut self.rng,
        };
        let contact = a.registration.contact_uri();
        let call = Call::new_incoming(now, id, account, request.clone(), dest, contact, &mut ctx);
        self.calls.push(call);
        true
    }

    /// `486` for an INVITE while the user agent is busy, and a missed-call event. The answer
    /// goes through an ordinary server transaction, so copies of the INVITE get it again.
    fn refuse_busy(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        account: usize,
        request: &Request,
    ) {
        let bytes =
            MessageBuilder::response_to(request, 486, "Busy Here", Some(&self.local_tag)).build();
        self.remember_answer(now, from, transport, request, 486, bytes);
        let id = self.next_call_id();
        push_bounded(
            &mut self.events,
            Event::Call {
                account: AccountId(account),
                call: id,
                event: CallEvent::Missed {
                    from: party(&request.head.header("From").unwrap_or_default()),
                    to: request.head.to.uri.clone(),
                },
            },
        );
    }

    /// Which account an INVITE is for: the Request-URI's user is its Contact user, or the
    /// To user its AOR's; else the account whose server sent it.
    fn account_for_invite(&self, from: SocketAddr, request: &Request) -> Option<usize> {
        let live = |a: &&super::Account| !a.closing;
        let by_contact = self.accounts.iter().position(|a| {
            live(&a) && request.uri_user.as_deref() == Some(a.config.contact_user.as_str())
        });
        let aor_user = |aor: &str| {
            let rest = aor.trim_start_matches('<').split_once(':')?.1;
            Some(rest.split_once('@')?.0.to_owned())
        };
        by_contact
            .or_else(|| {
                self.accounts.iter().position(|a| {
                    live(&a)
                        && request.head.to.user.is_some()
                        && request.head.to.user == aor_user(&a.config.aor)
                })
            })
            .or_else(|| {
                self.accounts
                    .iter()
                    .position(|a| live(&a) && a.config.flow.remote == from)
            })
    }

    /// Every call's deadline.
    pub(super) fn calls_timeout(&self) -> Option<Instant> {
        self.calls.iter().filter_map(|c| c.poll_timeout()).min()
    }

    pub(super) fn handle_calls_timeout(&mut self, now: Instant) {
        for i in 0..self.calls.len() {
            if self.calls[i].poll_timeout().is_some_and(|t| t <= now) {
                with_ctx!(self, i, |c, ctx| c.handle_timeout(now, &mut ctx));
            }
        }
    }

    /// Moves the calls' transmits and events into the user agent's queues and drops the calls
    /// that are done.
    pub(super) fn drain_calls(&mut self, now: Instant) {
        for c in &mut self.calls {
            let account = &self.accounts[c.account];
            while let Some((dest, payload)) = c.out.pop_front() {
                let (destination, transport) = match dest {
                    Dest::Flow => (account.config.flow.remote, account.config.flow.transport),
                    Dest::Peer(addr, transport) => (addr, transport),
                };
                push_bounded(
                    &mut self.transmits,
                    Transmit {
                        destination,
                        transport,
                        payload,
                    },
                );
            }
            while let Some(event) = c.events.pop_front() {
                push_bounded(
                    &mut self.events,
                    Event::Call {
                        account: AccountId(c.account),
                        call: c.id,
                        event,
                    },
                );
            }
        }
        self.calls.retain(|c| !c.is_done(now));
    }
}
