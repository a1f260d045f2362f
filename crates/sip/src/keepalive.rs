//! Keepalive schedule of one flow (RFC 5626 §4.4 style): a CRLFCRLF ping over TCP/TLS, and
//! over UDP either the same CRLFCRLF or an OPTIONS request to the registrar. OPTIONS costs a
//! round trip but tells more: its response carries the address the server sees (`received`/
//! `rport`, so a changed NAT mapping is noticed before the next registration refresh), and no
//! response at all means the flow is dead.

use crate::config::{Flow, Transport};
use crate::ids;
use crate::message::{Method, Response};
use crate::request::{RequestIds, angle, loose_route, response_matches, start};
use crate::transaction::{ClientOutcome, ClientTransaction, TimerConfig};
use rand_core::RngCore;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The bytes of a keepalive ping.
pub const PING: &[u8] = b"\r\n\r\n";

/// How UDP flows are kept alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeepaliveMode {
    /// CRLFCRLF, no answer expected.
    #[default]
    Crlf,
    /// OPTIONS to the registrar; the answer is checked.
    Options,
}

/// What a keepalive learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepaliveOutcome {
    /// The server answered; `observed` is the address it saw, when it said.
    Alive {
        /// `received`/`rport` of the answer.
        observed: Option<SocketAddr>,
    },
    /// No answer before timer F: the flow is dead.
    Dead,
}

/// Who the OPTIONS keepalive is from and to.
#[derive(Debug, Clone, Copy)]
pub struct KeepaliveTarget<'a> {
    /// The account's AOR (From).
    pub aor: &'a str,
    /// The registrar URI (Request-URI and To).
    pub registrar: &'a str,
    /// The flow.
    pub flow: &'a Flow,
    /// `User-Agent`.
    pub user_agent: &'a str,
    /// Outbound proxy URI, sent as a loose `Route`.
    pub outbound_proxy: Option<&'a str>,
}

/// Keepalive state of one flow.
#[derive(Debug)]
pub struct Keepalive {
    mode: KeepaliveMode,
    interval: Option<Duration>,
    timers: TimerConfig,
    next_at: Option<Instant>,
    pending: Option<(String, ClientTransaction)>,
    transmits: VecDeque<Vec<u8>>,
    outcomes: VecDeque<KeepaliveOutcome>,
}

impl Keepalive {
    /// A stopped schedule; `mode` applies to UDP (streams always use CRLFCRLF).
    pub fn new(
        transport: Transport,
        mode: KeepaliveMode,
        interval: Option<Duration>,
        timers: TimerConfig,
    ) -> Self {
        Self {
            mode: if transport == Transport::Udp {
                mode
            } else {
                KeepaliveMode::Crlf
            },
            interval,
            timers,
            next_at: None,
            pending: None,
            transmits: VecDeque::new(),
            outcomes: VecDeque::new(),
        }
    }

    /// Whether pings are scheduled.
    pub fn is_running(&self) -> bool {
        self.next_at.is_some()
    }

    /// Starts the schedule (no effect when running or without an interval).
    pub fn start(&mut self, now: Instant) {
        if self.next_at.is_none() {
            self.next_at = self.interval.map(|d| now + d);
        }
    }

    /// Stops the schedule.
    pub fn stop(&mut self) {
        self.next_at = None;
        self.pending = None;
    }

    /// Whether `response` answers the pending OPTIONS.
    pub fn owns(&self, response: &Response) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|(branch, _)| response_matches(response, branch, &Method::Options))
    }

    /// A response for which [`owns`](Self::owns) is true. Any final answer, even an error,
    /// proves the flow works.
    pub fn handle_response(&mut self, now: Instant, response: &Response) {
        let Some((_, tx)) = self.pending.as_mut() else {
            return;
        };
        if let Some(ClientOutcome::Final(_)) = tx.handle_response(now, response.status) {
            let observed = response.head.vias.first().and_then(|via| {
                let ip = via
                    .received
                    .as_deref()
                    .map(|r| r.trim_start_matches('[').trim_end_matches(']'))
                    .and_then(|r| r.parse::<IpAddr>().ok())?;
                Some(SocketAddr::new(ip, via.rport?))
            });
            self.outcomes
                .push_back(KeepaliveOutcome::Alive { observed });
        }
    }

    /// Time passed.
    pub fn handle_timeout(
        &mut self,
        now: Instant,
        target: KeepaliveTarget<'_>,
        rng: &mut dyn RngCore,
    ) {
        if let Some((_, tx)) = self.pending.as_mut() {
            if let Some(ClientOutcome::Timeout) = tx.handle_timeout(now) {
                self.pending = None;
                self.outcomes.push_back(KeepaliveOutcome::Dead);
            } else if tx.is_terminated() {
                self.pending = None;
            }
        }
        if self.next_at.is_some_and(|t| now >= t) {
            self.next_at = self.interval.map(|d| now + d);
            match self.mode {
                KeepaliveMode::Crlf => self.transmits.push_back(PING.to_vec()),
                KeepaliveMode::Options if self.pending.is_none() => {
                    self.send_options(now, target, rng);
                }
                KeepaliveMode::Options => {}
            }
        }
    }

    /// Bytes to send on the flow.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if let Some(bytes) = self.transmits.pop_front() {
            return Some(bytes);
        }
        self.pending.as_mut().and_then(|(_, tx)| tx.poll_transmit())
    }

    /// What the last OPTIONS learned.
    pub fn poll_outcome(&mut self) -> Option<KeepaliveOutcome> {
        self.outcomes.pop_front()
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.next_at,
            self.pending.as_ref().and_then(|(_, tx)| tx.poll_timeout()),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn send_options(&mut self, now: Instant, target: KeepaliveTarget<'_>, rng: &mut dyn RngCore) {
        let branch = ids::branch(rng);
        let from = format!("{};tag={}", angle(target.aor), ids::tag(rng));
        let to = angle(target.registrar);
        let call_id = ids::call_id(rng);
        let ids = RequestIds {
            method: Method::Options,
            uri: target.registrar,
            branch: &branch,
            from: &from,
            to: &to,
            call_id: &call_id,
            cseq: 1,
        };
        let mut b = start(&ids, target.flow, target.user_agent).header("Accept", "application/sdp");
        if let Some(proxy) = target.outbound_proxy {
            b = b.header("Route", &loose_route(proxy));
        }
        let bytes = b.build();
        let tx =
            ClientTransaction::new(now, bytes, target.flow.transport.is_reliable(), self.timers);
        self.pending = Some((branch, tx));
    }
}
