//! Call tests' harness: the user agent and the in-memory [`pbx::Pbx`] stepped through simulated
//! time with a one-way latency, datagrams dropped by rule. Nothing sleeps or binds a socket.

#![allow(dead_code)]

pub mod pbx;

use bytes::Bytes;
use pbx::{PBX, Pbx, Script, UA};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::time::{Duration, Instant};
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::call::{CallEvent, CallId};
use voicelamp_sip::config::{AccountConfig, Flow, IncomingCalls, Transport, UaConfig};
use voicelamp_sip::user_agent::{AccountId, Event, Input, UserAgent};

pub const OFFER: &[u8] = b"v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 8 101\r\n";

/// Drops the next `count` datagrams that start with `prefix`, going to the PBX (`to_pbx`) or
/// to the user agent.
#[derive(Debug, Clone)]
pub struct Drop {
    pub to_pbx: bool,
    pub prefix: &'static str,
    pub count: u32,
}

pub struct CallPair {
    pub ua: UserAgent,
    pub pbx: Pbx,
    pub account: AccountId,
    pub start: Instant,
    pub now: Instant,
    pub latency: Duration,
    pub drops: Vec<Drop>,
    pub dropped: Vec<String>,
    /// Every event of the user agent, with its time.
    pub events: Vec<(Instant, Event)>,
    /// Every datagram the user agent sent.
    pub sent: Vec<(Instant, String)>,
    in_flight: Vec<(Instant, bool, Vec<u8>)>,
    /// Percentage of datagrams lost at random, both ways (a seeded xorshift coin).
    pub loss_percent: u64,
    loss_rng: u64,
    /// The transport datagrams from the PBX arrive on (the account's).
    pub transport: Transport,
}

pub fn account(transport: Transport) -> AccountConfig {
    let flow = Flow {
        transport,
        local: UA.parse().expect("addr"),
        remote: PBX.parse().expect("addr"),
    };
    let mut a = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
    a.credentials = Some(Credentials {
        username: "alice".into(),
        password: "secret".into(),
    });
    a.mailboxes.clear();
    a.register = false;
    a.incoming_calls = IncomingCalls::Ring;
    a
}

pub fn ua_config() -> UaConfig {
    UaConfig {
        udp_keepalive: None,
        stream_keepalive: None,
        ..UaConfig::default()
    }
}

impl CallPair {
    pub fn new(script: Script) -> Self {
        Self::with(script, account(Transport::Udp), ua_config())
    }

    pub fn with(script: Script, account: AccountConfig, config: UaConfig) -> Self {
        let start = Instant::now();
        let mut ua = UserAgent::new(config, ChaCha8Rng::seed_from_u64(3));
        let transport = account.flow.transport;
        let account = ua.add_account(start, account).expect("account");
        Self {
            ua,
            pbx: Pbx::new(script),
            account,
            start,
            now: start,
            latency: Duration::from_millis(20),
            drops: Vec::new(),
            dropped: Vec::new(),
            events: Vec::new(),
            sent: Vec::new(),
            in_flight: Vec::new(),
            loss_percent: 0,
            loss_rng: 0x9e37_79b9_7f4a_7c15,
            transport,
        }
    }

    /// Seeds the random loss.
    pub fn seed_loss(&mut self, percent: u64, seed: u64) {
        self.loss_percent = percent;
        self.loss_rng = seed | 1;
    }

    fn lost(&mut self) -> bool {
        if self.loss_percent == 0 {
            return false;
        }
        let mut x = self.loss_rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.loss_rng = x;
        x % 100 < self.loss_percent
    }

    /// A datagram from the PBX, as if sent now.
    pub fn inject(&mut self, bytes: Vec<u8>) {
        self.in_flight.push((self.now + self.latency, false, bytes));
    }

    pub fn drop_next(&mut self, to_pbx: bool, prefix: &'static str, count: u32) {
        self.drops.push(Drop {
            to_pbx,
            prefix,
            count,
        });
    }

    pub fn call(&mut self, target: &str) -> CallId {
        let now = self.now;
        let id = self
            .ua
            .start_call(now, self.account, target, Bytes::from_static(OFFER))
            .expect("call");
        self.drain();
        id
    }

    fn dropping(&mut self, to_pbx: bool, bytes: &[u8]) -> bool {
        for d in &mut self.drops {
            if d.to_pbx == to_pbx && d.count > 0 && bytes.starts_with(d.prefix.as_bytes()) {
                d.count -= 1;
                self.dropped
                    .push(String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned());
                return true;
            }
        }
        false
    }

    /// Moves what both sides want to send into the network, and the events into `events`.
    pub fn drain(&mut self) {
        while let Some(t) = self.ua.poll_transmit() {
            assert_eq!(t.destination.to_string(), PBX, "everything goes to the PBX");
            self.sent
                .push((self.now, String::from_utf8_lossy(&t.payload).into_owned()));
            if !self.dropping(true, &t.payload) && !self.lost() {
                self.in_flight
                    .push((self.now + self.latency, true, t.payload));
            }
        }
        while let Some(e) = self.ua.poll_event() {
            self.events.push((self.now, e));
        }
        while let Some(bytes) = self.pbx.outbox.pop_front() {
            if !self.dropping(false, &bytes) && !self.lost() {
                self.in_flight.push((self.now + self.latency, false, bytes));
            }
        }
    }

    pub fn run_until(&mut self, until: Instant) {
        let mut steps = 0;
        loop {
            self.drain();
            let delivery = self.in_flight.iter().map(|(t, _, _)| *t).min();
            let next = [delivery, self.ua.poll_timeout(), self.pbx.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next.filter(|n| *n <= until) else {
                self.now = until;
                return;
            };
            steps += 1;
            assert!(steps < 200_000, "no progress: a loop");
            self.now = next.max(self.now);
            let now = self.now;
            if delivery == Some(next) {
                let i = self
                    .in_flight
                    .iter()
                    .position(|(t, _, _)| *t == next)
                    .expect("due");
                let (_, to_pbx, bytes) = self.in_flight.remove(i);
                if to_pbx {
                    self.pbx.handle(now, &bytes);
                } else {
                    self.ua.handle_input(
                        now,
                        Input::Datagram {
                            from: PBX.parse().expect("addr"),
                            transport: self.transport,
                            bytes,
                        },
                    );
                }
                continue;
            }
            if self.ua.poll_timeout().is_some_and(|t| t <= now) {
                self.ua.handle_input(now, Input::Timeout);
            }
            if self.pbx.poll_timeout().is_some_and(|t| t <= now) {
                self.pbx.handle_timeout(now);
            }
        }
    }

    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Runs until a call event matches, at most `limit` of simulated time.
    pub fn run_until_event(
        &mut self,
        limit: Duration,
        matches: impl Fn(&CallEvent) -> bool,
    ) -> Option<CallEvent> {
        let end = self.now + limit;
        let seen = self.events.len();
        while self.now < end {
            let step = (self.now + Duration::from_millis(10)).min(end);
            self.run_until(step);
            if let Some(e) = self.call_events()[..]
                .iter()
                .skip(self.count_before(seen))
                .find(|e| matches(e))
            {
                return Some(e.clone());
            }
        }
        None
    }

    fn count_before(&self, events: usize) -> usize {
        self.events[..events]
            .iter()
            .filter(|(_, e)| matches!(e, Event::Call { .. }))
            .count()
    }

    /// The call events so far, in order.
    pub fn call_events(&self) -> Vec<CallEvent> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Call { event, .. } => Some(event.clone()),
                _ => None,
            })
            .collect()
    }

    /// The call ids that events named.
    pub fn event_calls(&self) -> Vec<CallId> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Call { call, .. } => Some(*call),
                _ => None,
            })
            .collect()
    }

    /// The end reason of the calls so far.
    pub fn ends(&self) -> Vec<voicelamp_sip::call::CallEnd> {
        self.call_events()
            .into_iter()
            .filter_map(|e| match e {
                CallEvent::Ended { reason } => Some(reason),
                _ => None,
            })
            .collect()
    }

    /// How many datagrams the user agent sent that start with `prefix`.
    pub fn sent_count(&self, prefix: &str) -> usize {
        self.sent
            .iter()
            .filter(|(_, s)| s.starts_with(prefix))
            .count()
    }

    pub fn secs(&self, at: Instant) -> f64 {
        (at - self.start).as_secs_f64()
    }
}
