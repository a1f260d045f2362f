//! Registration against the in-memory registrar, stepped through simulated time.

mod common;

use common::{Pair, Peer, Reply, Server, client_addr, server_addr};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::backoff::BackoffConfig;
use voicelamp_sip::config::{AccountConfig, Flow, Transport};
use voicelamp_sip::message::{Message, Method};
use voicelamp_sip::registration::{
    Registration, RegistrationEvent, RegistrationFailure, RegistrationState,
};
use voicelamp_sip::transaction::TimerConfig;

struct Client {
    reg: Registration,
    rng: ChaCha8Rng,
    events: Vec<(Instant, RegistrationEvent)>,
}

impl Peer for Client {
    fn handle_datagram(&mut self, now: Instant, _from: SocketAddr, bytes: &[u8]) {
        if let Ok(Message::Response(r)) = Message::parse(bytes)
            && self.reg.owns(&r)
        {
            self.reg.handle_response(now, &r, &mut self.rng);
        }
        self.collect(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.reg.handle_timeout(now, &mut self.rng);
        self.collect(now);
    }

    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.reg.poll_transmit()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.reg.poll_timeout()
    }
}

impl Client {
    fn collect(&mut self, now: Instant) {
        while let Some(e) = self.reg.poll_event() {
            self.events.push((now, e));
        }
    }
}

fn account(transport: Transport) -> AccountConfig {
    let flow = Flow {
        transport,
        local: client_addr(),
        remote: server_addr(),
    };
    let mut a = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
    a.credentials = Some(Credentials {
        username: "alice".into(),
        password: "secret".into(),
    });
    a
}

fn pair_with(account: AccountConfig, server: Server, seed: u64) -> Pair<Client> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let reg = Registration::new(
        &account,
        TimerConfig::default(),
        BackoffConfig::default(),
        "test",
        &mut rng,
    );
    let client = Client {
        reg,
        rng,
        events: Vec::new(),
    };
    Pair::new(Instant::now(), client, server)
}

fn start(pair: &mut Pair<Client>) {
    let now = pair.now;
    let Client { reg, rng, .. } = &mut pair.client;
    reg.start(now, rng);
}

fn registered_at(pair: &Pair<Client>) -> Vec<(f64, u32)> {
    pair.client
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            RegistrationEvent::Registered { expires, .. } => Some((pair.elapsed(*t), *expires)),
            _ => None,
        })
        .collect()
}

#[test]
fn registers_with_digest_and_refreshes_at_about_90_percent() {
    let mut server = Server::new();
    server.max_expires = 600;
    let mut pair = pair_with(account(Transport::Udp), server, 1);
    start(&mut pair);
    pair.run_for(Duration::from_secs(4 * 600));

    let regs = registered_at(&pair);
    assert!(regs.len() >= 4, "{regs:?}");
    assert!(regs.iter().all(|(_, e)| *e == 600));
    assert!(
        regs[0].0 < 1.0,
        "first registration within a round trip or two"
    );
    for w in regs.windows(2) {
        let gap = w[1].0 - w[0].0;
        // 90 % of 600 s minus up to 5 % jitter, plus a round trip.
        assert!((510.0..=541.0).contains(&gap), "refresh gap {gap}");
    }
    // First REGISTER challenged, the rest reuse the answer with a growing nonce count.
    assert!(!pair.server.seen[0].authorized);
    assert!(pair.server.seen[1..].iter().all(|s| s.authorized));
    assert_eq!(pair.server.count(&Method::Register), regs.len() + 1);
    assert!(matches!(
        pair.client.reg.state(),
        RegistrationState::Registered { expires: 600 }
    ));
}

#[test]
fn honours_423_min_expires() {
    let mut server = Server::new();
    server.challenge = None;
    server
        .register_replies
        .push_back(Reply::status(423).with("Min-Expires", "1800"));
    let mut account = account(Transport::Udp);
    account.register_expires = 60;
    let mut pair = pair_with(account, server, 2);
    start(&mut pair);
    pair.run_for(Duration::from_secs(10));
    assert_eq!(pair.server.seen[1].expires, Some(1800));
    assert_eq!(pair.client.reg.requested_expires(), 1800);
    assert_eq!(registered_at(&pair).len(), 1);
}

#[test]
fn wrong_password_fails_once_without_a_loop() {
    let mut server = Server::new();
    server.password = "other".into();
    let mut pair = pair_with(account(Transport::Udp), server, 3);
    start(&mut pair);
    pair.run_for(Duration::from_secs(3 * 3600));
    assert_eq!(pair.server.count(&Method::Register), 2);
    let failures: Vec<_> = pair
        .client
        .events
        .iter()
        .filter(|(_, e)| matches!(e, RegistrationEvent::Failed { .. }))
        .collect();
    assert_eq!(failures.len(), 1);
    assert!(matches!(
        failures[0].1,
        RegistrationEvent::Failed {
            reason: RegistrationFailure::WrongCredentials,
            retry_in: None
        }
    ));
}

#[test]
fn stale_nonce_is_answered_silently() {
    let mut server = Server::new();
    server.max_expires = 300;
    server.stale_nonce_after = Some(Duration::from_secs(200));
    let mut pair = pair_with(account(Transport::Udp), server, 4);
    start(&mut pair);
    pair.run_for(Duration::from_secs(1000));
    assert!(registered_at(&pair).len() >= 3);
    assert!(
        !pair
            .client
            .events
            .iter()
            .any(|(_, e)| matches!(e, RegistrationEvent::Failed { .. }))
    );
}

#[test]
fn rport_and_received_correct_the_contact() {
    let mut server = Server::new();
    server.challenge = None;
    let nat: SocketAddr = "198.51.100.7:40000".parse().expect("addr");
    server.nat = Some(nat);
    let mut pair = pair_with(account(Transport::Udp), server, 5);
    start(&mut pair);
    pair.run_for(Duration::from_secs(5));
    assert_eq!(
        pair.client.reg.contact_uri(),
        "sip:alice@198.51.100.7:40000"
    );
    let second = &pair.server.seen[1];
    assert!(
        second
            .contacts
            .iter()
            .any(|c| c.contains("198.51.100.7:40000"))
    );
    assert!(
        second
            .contacts
            .iter()
            .any(|c| c.contains("192.0.2.10:5060") && c.contains("expires=0"))
    );
    let regs = registered_at(&pair);
    assert_eq!(regs.len(), 1);
    assert_eq!(pair.server.count(&Method::Register), 2);
}

#[test]
fn failures_back_off_with_jitter_and_honour_retry_after() {
    let mut server = Server::new();
    server.challenge = None;
    for _ in 0..5 {
        server.register_replies.push_back(Reply::status(503));
    }
    let mut pair = pair_with(account(Transport::Udp), server, 6);
    start(&mut pair);
    pair.run_for(Duration::from_secs(4 * 3600));
    let times: Vec<f64> = pair
        .server
        .seen
        .iter()
        .map(|s| pair.elapsed(s.at))
        .collect();
    // Five failures, one success, then refreshes about every 3100 s.
    assert!(times.len() >= 7, "{times:?}");
    assert!(
        (2700.0..3300.0).contains(&(times[6] - times[5])),
        "{times:?}"
    );
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).take(5).collect();
    // 90 s base (nothing else works), doubling, drawn in [50 %, 100 %].
    let ceilings = [90.0, 180.0, 360.0, 720.0, 1440.0];
    for (gap, ceiling) in gaps.iter().zip(ceilings) {
        assert!(*gap >= ceiling / 2.0 && *gap <= ceiling + 0.1, "{gaps:?}");
    }
    assert!(pair.client.reg.is_registered());

    let mut server = Server::new();
    server.challenge = None;
    server
        .register_replies
        .push_back(Reply::status(503).with("Retry-After", "600"));
    let mut pair = pair_with(account(Transport::Udp), server, 7);
    start(&mut pair);
    pair.run_for(Duration::from_secs(700));
    let second = pair.elapsed(pair.server.seen[1].at);
    assert!((600.0..=601.0).contains(&second), "{second}");
}

#[test]
fn lost_requests_are_retransmitted_on_udp_only() {
    let mut server = Server::new();
    server.challenge = None;
    let mut pair = pair_with(account(Transport::Udp), server, 8);
    pair.drop_to_server = 2;
    start(&mut pair);
    pair.run_for(Duration::from_secs(5));
    // Sent at 0, 0.5 (both lost), 1.5 answered.
    let regs = registered_at(&pair);
    assert_eq!(regs.len(), 1);
    assert!((1.5..1.6).contains(&regs[0].0), "{regs:?}");
    assert_eq!(pair.sent_by_client, 3);

    let mut server = Server::new();
    server.challenge = None;
    let mut pair = pair_with(account(Transport::Tcp), server, 9);
    pair.drop_to_server = 1;
    start(&mut pair);
    pair.run_for(Duration::from_secs(40));
    assert_eq!(pair.sent_by_client, 1, "no retransmission over TCP");
    assert!(pair.client.events.iter().any(|(_, e)| matches!(
        e,
        RegistrationEvent::Failed {
            reason: RegistrationFailure::Timeout,
            ..
        }
    )));
}

#[test]
fn shutdown_unregisters_with_expires_zero() {
    let mut pair = pair_with(account(Transport::Udp), Server::new(), 10);
    start(&mut pair);
    pair.run_for(Duration::from_secs(5));
    assert!(pair.client.reg.is_registered());
    let now = pair.now;
    {
        let Client { reg, rng, .. } = &mut pair.client;
        reg.shutdown(now, rng);
    }
    pair.run_for(Duration::from_secs(5));
    let last = pair.server.last(&Method::Register).expect("register");
    assert_eq!(last.expires, Some(0));
    assert!(last.authorized);
    assert_eq!(pair.client.reg.state(), &RegistrationState::Stopped);
    assert!(
        pair.client
            .events
            .iter()
            .any(|(_, e)| *e == RegistrationEvent::Unregistered)
    );
    // Nothing more is sent.
    let before = pair.sent_by_client;
    pair.run_for(Duration::from_secs(7200));
    assert_eq!(pair.sent_by_client, before);
}

#[test]
fn a_longer_expiry_than_asked_is_not_believed() {
    let mut server = Server::new();
    server.challenge = None;
    server
        .register_replies
        .push_back(Reply::status(200).with("Expires", "4294967295"));
    let mut pair = pair_with(account(Transport::Udp), server, 11);
    start(&mut pair);
    pair.run_for(Duration::from_secs(4000));
    let regs = registered_at(&pair);
    assert_eq!(regs[0].1, 3600);
    assert!(regs.len() >= 2, "refreshed within the hour: {regs:?}");
}

#[test]
fn shutdown_while_the_first_register_is_in_flight_still_unregisters() {
    let mut server = Server::new();
    server.challenge = None;
    let mut pair = pair_with(account(Transport::Udp), server, 12);
    start(&mut pair);
    let now = pair.now;
    {
        let Client { reg, rng, .. } = &mut pair.client;
        let first = reg.poll_transmit().expect("REGISTER");
        pair.server.handle_datagram(now, client_addr(), &first);
        reg.shutdown(now, rng);
    }
    pair.run_for(Duration::from_secs(10));
    assert_eq!(
        pair.server.last(&Method::Register).and_then(|s| s.expires),
        Some(0)
    );
    assert_eq!(pair.client.reg.state(), &RegistrationState::Stopped);
}
