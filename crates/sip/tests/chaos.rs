//! Random server behaviour and random loss over simulated hours: the user agent never panics,
//! never spins, never turns garbage into a count, and its request rate stays bounded.

mod common;

use common::{NotifyMode, Pair, Peer, Reply, Server, client_addr, server_addr};
use proptest::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::message::Method;
use voicelamp_sip::{
    AccountConfig, Event, Flow, Input, SummaryBody, Transport, UaConfig, UserAgent,
};

struct Client {
    ua: UserAgent,
    events: Vec<Event>,
}

impl Peer for Client {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.ua.handle_input(
            now,
            Input::Datagram {
                from,
                transport: Transport::Udp,
                bytes: bytes.to_vec(),
            },
        );
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.ua.handle_input(now, Input::Timeout);
    }

    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        while let Some(e) = self.ua.poll_event() {
            self.events.push(e);
        }
        self.ua.poll_transmit().map(|t| t.payload)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.ua.poll_timeout()
    }
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(403),
        Just(404),
        Just(408),
        Just(423),
        Just(481),
        Just(489),
        Just(500),
        Just(503),
        Just(603)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_servers_and_loss(
        seed in any::<u64>(),
        loss in 0u64..30,
        register_replies in proptest::collection::vec(status(), 0..6),
        subscribe_replies in proptest::collection::vec(status(), 0..12),
        subscribe_always in proptest::option::of(status()),
        before_ok in any::<bool>(),
        garbage_body in any::<bool>(),
        challenge in any::<bool>(),
    ) {
        let mut server = Server::new();
        if !challenge {
            server.challenge = None;
        }
        server.max_expires = 600;
        for s in register_replies {
            server.register_replies.push_back(Reply::status(s).with("Min-Expires", "900"));
        }
        for s in subscribe_replies {
            server.subscribe_replies.push_back(Reply::status(s).with("Retry-After", "120"));
        }
        server.subscribe_always = subscribe_always.filter(|s| *s != 200);
        server.notify_mode = if before_ok { NotifyMode::BeforeOk } else { NotifyMode::AfterOk };
        if garbage_body {
            server.summary_body = b"Messages-Waiting: yes\r\nVoice-Message: lots\r\n".to_vec();
        }
        let flow = Flow { transport: Transport::Udp, local: client_addr(), remote: server_addr() };
        let mut account = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
        account.credentials = Some(Credentials { username: "alice".into(), password: "secret".into() });
        account.mailboxes.push("sip:support@example.com".into());
        let start = Instant::now();
        let mut ua = UserAgent::new(UaConfig::default(), ChaCha8Rng::seed_from_u64(seed));
        ua.add_account(start, account).expect("account");
        let mut pair = Pair::new(start, Client { ua, events: Vec::new() }, server);
        pair.loss_percent = loss;
        for _ in 0..6 {
            pair.run_for(Duration::from_secs(3600));
        }

        // Bounded: distinct requests (retransmissions excluded) per simulated hour.
        let distinct: HashSet<(String, u32, String)> = pair
            .server
            .seen
            .iter()
            .map(|s| (s.call_id.clone(), s.cseq, format!("{:?}", s.method)))
            .collect();
        let subscribes = pair.server.seen.iter().filter(|s| s.method == Method::Subscribe).count();
        prop_assert!(distinct.len() <= 6 * 60, "{} requests in 6 h", distinct.len());
        prop_assert!(subscribes <= 6 * 2 * 40, "{subscribes} SUBSCRIBEs in 6 h");
        // Garbage is never a count.
        if garbage_body {
            let counted = pair.client.events.iter().any(|e| matches!(
                e,
                Event::Mailbox { summary: SummaryBody::Summary(_), .. }
            ));
            prop_assert!(!counted);
        }
    }
}
