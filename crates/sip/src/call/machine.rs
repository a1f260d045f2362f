//! One call: its state, its transactions and what it has to send and report. The other files of
//! this module add to it by concept: [`outgoing`](super::outgoing) (our INVITE),
//! [`incoming`](super::incoming) (theirs), [`midcall`](super::midcall) (requests inside the
//! dialog, either way).

use super::dialog::Dialog;
use super::invite_client::InviteClient;
use super::invite_server::InviteServer;
use super::reinvite::{OwnReinvite, OwnUpdate};
use super::session_timer::SessionTimer;
use super::{CallEnd, CallEvent, CallId, CallState};
use crate::auth::DigestAuth;
use crate::config::{Flow, Transport};
use crate::ids;
use crate::message::{MessageBuilder, Method, Request};
use crate::transaction::{ClientOutcome, ClientTransaction, TimerConfig};
use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

/// Most server transactions of one call (requests from the far end inside the dialog); the
/// oldest answered one goes first.
const MAX_CALL_SERVER_TXS: usize = 16;
/// Most far-end re-INVITE transactions of one call kept (answered ones, to absorb copies and
/// ACKs); the oldest goes first.
pub(crate) const MAX_REINVITES_IN: usize = 8;
/// Most transmits and events one call queues.
const MAX_CALL_QUEUE: usize = 256;

/// What every call request is allowed to answer.
pub(crate) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, UPDATE, INFO, OPTIONS, NOTIFY";

pub(crate) fn method(token: &str) -> Method {
    Method::Other(token.to_owned())
}

/// Where a call's bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dest {
    /// The account's flow (requests: the proxy routes them by the route set).
    Flow,
    /// Back where a request came from (responses).
    Peer(SocketAddr, Transport),
}

/// What a call needs from its user agent and account to build messages.
pub(crate) struct Ctx<'a> {
    pub flow: Flow,
    pub timers: TimerConfig,
    pub user_agent: &'a str,
    pub outbound_proxy: Option<&'a str>,
    pub rng: &'a mut ChaCha8Rng,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Bye,
    Cancel,
    Dtmf,
    Refresh,
}

/// A non-INVITE request of ours in flight.
#[derive(Debug)]
pub(crate) struct ClientReq {
    pub branch: String,
    pub method: Method,
    pub purpose: Purpose,
    pub tx: ClientTransaction,
}

/// A request from the far end (not INVITE) and its server transaction.
#[derive(Debug)]
pub(crate) struct ServerReq {
    pub branch: String,
    pub method: Method,
    pub cseq: u32,
    pub dest: Dest,
    pub tx: crate::transaction::ServerTransaction,
}

/// Our INVITE that created the call.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub uri: String,
    /// `From` as sent (with our tag).
    pub from: String,
    /// `To` as sent (no tag).
    pub to: String,
    pub branch: String,
    pub cseq: u32,
    pub tx: InviteClient,
    /// The INVITE before this one (challenged, redirected), kept to ACK copies of its answer.
    pub previous: Option<(String, u32, InviteClient)>,
    pub template: super::invite_client::AckTemplate,
    pub auth: Option<DigestAuth>,
    pub invites: u32,
    pub redirected: bool,
    /// `Session-Expires` to ask for (after a `422`).
    pub session_expires: Option<u32>,
    pub reported: Option<(u16, bool)>,
    pub early_answer: Option<Bytes>,
    pub cancel_wanted: bool,
    pub cancel_sent: bool,
    pub forks_dropped: u32,
}

/// An INVITE from the far end (the one that created the call, or a re-INVITE).
#[derive(Debug)]
pub(crate) struct InInvite {
    pub request: Request,
    pub branch: String,
    pub dest: Dest,
    pub tx: InviteServer,
    /// Our `2xx` carried an offer (the INVITE had none): the ACK brings the answer.
    pub offer_in_2xx: bool,
}

/// A far-end offer waiting for `answer_offer`.
#[derive(Debug)]
pub(crate) struct OfferWait {
    /// An UPDATE (answered from `servers`), else a re-INVITE (in `reinvites_in`).
    pub update: bool,
    /// Its branch and CSeq.
    pub key: (String, u32),
    pub request: Request,
    pub deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct Call {
    pub id: CallId,
    pub account: usize,
    pub state: CallState,
    pub call_id: String,
    pub local_tag: String,
    pub contact: String,
    /// The last SDP we sent (offer or answer): a refresh or an unanswered far-end offer reuses it.
    pub local_sdp: Bytes,
    pub dialog: Option<Dialog>,
    pub outgoing: Option<Outgoing>,
    pub incoming: Option<InInvite>,
    /// The ACK for the last `2xx` to our INVITE or re-INVITE, for its copies: CSeq, bytes.
    pub ack: Option<(u32, Vec<u8>)>,
    pub clients: Vec<ClientReq>,
    pub servers: Vec<ServerReq>,
    pub reinvite_out: Option<OwnReinvite>,
    /// The app's new offer, until its answer or failure.
    pub update: Option<OwnUpdate>,
    /// The far end's re-INVITEs still in their transactions (at most
    /// [`MAX_REINVITES_IN`]), the newest last.
    pub reinvites_in: Vec<InInvite>,
    pub offer_wait: Option<OfferWait>,
    pub dtmf: VecDeque<(char, u32)>,
    pub timer: SessionTimer,
    /// A deadline of the call itself: ringing too long.
    pub ring_deadline: Option<Instant>,
    /// The `Ended` event went out.
    pub ended: bool,
    /// Hung up after our `2xx`: BYE once the ACK comes (or never comes).
    pub bye_after_ack: bool,
    /// Kept until then to absorb retransmissions after the end.
    pub linger_until: Option<Instant>,
    pub out: VecDeque<(Dest, Vec<u8>)>,
    pub events: VecDeque<CallEvent>,
}

impl Call {
    pub(crate) fn blank(id: CallId, account: usize, state: CallState, call_id: String) -> Self {
        Self {
            id,
            account,
            state,
            call_id,
            local_tag: String::new(),
            contact: String::new(),
            local_sdp: Bytes::new(),
            dialog: None,
            outgoing: None,
            incoming: None,
            ack: None,
            clients: Vec::new(),
            servers: Vec::new(),
            reinvite_out: None,
            update: None,
            reinvites_in: Vec::new(),
            offer_wait: None,
            dtmf: VecDeque::new(),
            timer: SessionTimer::default(),
            ring_deadline: None,
            ended: false,
            bye_after_ack: false,
            linger_until: None,
            out: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Whether the call counts against [`MAX_CALLS`](super::MAX_CALLS) and the product's one
    /// call at a time: not ended.
    pub(crate) fn is_active(&self) -> bool {
        !self.ended
    }

    /// Whether nothing is left to do and the call can be dropped.
    pub(crate) fn is_done(&self, now: Instant) -> bool {
        self.ended
            && (self.linger_until.is_none_or(|t| now >= t)
                || (self.clients.is_empty()
                    && self.outgoing.as_ref().is_none_or(|o| o.tx.is_terminated())
                    && self.incoming.as_ref().is_none_or(|i| i.tx.is_terminated())
                    && self.reinvites_in.iter().all(|i| i.tx.is_terminated())
                    && self.ack.is_none()))
    }

    pub(crate) fn event(&mut self, event: CallEvent) {
        if self.events.len() < MAX_CALL_QUEUE {
            self.events.push_back(event);
        }
    }

    pub(crate) fn send(&mut self, dest: Dest, bytes: Vec<u8>) {
        if self.out.len() < MAX_CALL_QUEUE {
            self.out.push_back((dest, bytes));
        }
    }

    /// Reports the end once; the call stays a while for retransmissions.
    pub(crate) fn end(&mut self, now: Instant, reason: CallEnd, timers: TimerConfig) {
        self.ring_deadline = None;
        self.timer.stop();
        self.offer_wait = None;
        self.update = None;
        self.dtmf.clear();
        if self.linger_until.is_none() {
            self.linger_until = Some(now + timers.timeout());
        }
        if !self.ended {
            self.ended = true;
            self.event(CallEvent::Ended { reason });
        }
        let finishing = !self.clients.is_empty() || self.bye_after_ack;
        self.state = if finishing {
            CallState::Ending
        } else {
            CallState::Ended
        };
    }

    /// A response to a request from the far end, with our tag and Contact.
    pub(crate) fn response(&self, request: &Request, status: u16) -> MessageBuilder {
        let b = MessageBuilder::response_to(request, status, reason(status), Some(&self.local_tag));
        if (101..300).contains(&status) && !self.contact.is_empty() {
            b.header("Contact", &format!("<{}>", self.contact))
        } else {
            b
        }
    }

    /// Starts a non-INVITE request of ours inside the dialog.
    pub(crate) fn send_in_dialog(
        &mut self,
        now: Instant,
        token: &str,
        purpose: Purpose,
        extra: &[(&str, String)],
        body: Option<(&str, &[u8])>,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let m = method(token);
        let cseq = dialog.next_cseq();
        let branch = ids::branch(ctx.rng);
        let mut b = dialog
            .request(&m, cseq, &branch, &ctx.flow, ctx.outbound_proxy)
            .header("User-Agent", ctx.user_agent);
        for (name, value) in extra {
            b = b.header(name, value);
        }
        if let Some((content_type, body)) = body {
            b = b.body(content_type, body);
        }
        let tx =
            ClientTransaction::new(now, b.build(), ctx.flow.transport.is_reliable(), ctx.timers);
        self.clients.push(ClientReq {
            branch,
            method: m,
            purpose,
            tx,
        });
    }

    /// Keeps a server transaction for a request from the far end, answered with `bytes`.
    pub(crate) fn answer_request(
        &mut self,
        now: Instant,
        request: &Request,
        dest: Dest,
        status: u16,
        bytes: Option<Vec<u8>>,
        timers: TimerConfig,
    ) {
        let reliable = matches!(dest, Dest::Peer(_, t) if t.is_reliable());
        let mut tx = crate::transaction::ServerTransaction::new(reliable, timers);
        if let Some(bytes) = bytes {
            tx.respond(now, status, bytes);
        }
        if self.servers.len() >= MAX_CALL_SERVER_TXS {
            let oldest = self
                .servers
                .iter()
                .position(|s| s.tx.is_answered())
                .unwrap_or(0);
            self.servers.remove(oldest);
        }
        self.servers.push(ServerReq {
            branch: request
                .head
                .vias
                .first()
                .and_then(|v| v.branch.clone())
                .unwrap_or_default(),
            method: request.method.clone(),
            cseq: request.head.cseq.seq,
            dest,
            tx,
        });
    }

    /// Moves what the transactions have to send into `out`.
    pub(crate) fn collect(&mut self) {
        let mut due = Vec::new();
        if let Some(o) = self.outgoing.as_mut() {
            while let Some(b) = o.tx.poll_transmit() {
                due.push((Dest::Flow, b));
            }
            if let Some((_, _, tx)) = o.previous.as_mut() {
                while let Some(b) = tx.poll_transmit() {
                    due.push((Dest::Flow, b));
                }
            }
        }
        for inv in self.incoming.iter_mut().chain(self.reinvites_in.iter_mut()) {
            while let Some(b) = inv.tx.poll_transmit() {
                due.push((inv.dest, b));
            }
        }
        if let Some(r) = self.reinvite_out.as_mut() {
            while let Some(b) = r.tx.poll_transmit() {
                due.push((Dest::Flow, b));
            }
        }
        for c in &mut self.clients {
            while let Some(b) = c.tx.poll_transmit() {
                due.push((Dest::Flow, b));
            }
        }
        for s in &mut self.servers {
            while let Some(b) = s.tx.poll_transmit() {
                due.push((s.dest, b));
            }
        }
        for (dest, bytes) in due {
            self.send(dest, bytes);
        }
    }

    /// The next deadline.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let mut all = vec![
            self.outgoing.as_ref().and_then(|o| o.tx.poll_timeout()),
            self.outgoing
                .as_ref()
                .and_then(|o| o.previous.as_ref())
                .and_then(|(_, _, tx)| tx.poll_timeout()),
            self.incoming.as_ref().and_then(|i| i.tx.poll_timeout()),
            self.reinvite_out.as_ref().and_then(|r| r.tx.poll_timeout()),
            self.offer_wait.as_ref().map(|w| w.deadline),
            self.update_deadline(),
            self.timer.poll_timeout(),
            self.ring_deadline,
            self.linger_until.filter(|_| self.ended),
        ];
        all.extend(self.clients.iter().map(|c| c.tx.poll_timeout()));
        all.extend(self.reinvites_in.iter().map(|i| i.tx.poll_timeout()));
        all.extend(self.servers.iter().map(|s| s.tx.poll_timeout()));
        all.into_iter().flatten().min()
    }

    /// Time passed: every transaction and deadline of the call.
    pub(crate) fn handle_timeout(&mut self, now: Instant, ctx: &mut Ctx<'_>) {
        self.outgoing_timeout(now, ctx);
        self.incoming_timeout(now, ctx);
        self.midcall_timeout(now, ctx);
        let mut finished = Vec::new();
        for c in &mut self.clients {
            if c.tx.poll_timeout().is_some_and(|t| t <= now)
                && let Some(ClientOutcome::Timeout) = c.tx.handle_timeout(now)
            {
                finished.push(c.purpose);
            }
        }
        for purpose in finished {
            self.on_client_final(now, purpose, None, ctx);
        }
        self.clients.retain(|c| !c.tx.is_terminated());
        for s in &mut self.servers {
            s.tx.handle_timeout(now);
        }
        self.servers.retain(|s| !s.tx.is_terminated());
        self.reinvites_in.retain(|i| !i.tx.is_terminated());
        if self.ended && self.clients.is_empty() && !self.bye_after_ack {
            self.state = CallState::Ended;
        }
        self.collect();
    }
}

/// Reason phrases of the responses calls send.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        415 => "Unsupported Media Type",
        422 => "Session Interval Too Small",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        _ => "Error",
    }
}
