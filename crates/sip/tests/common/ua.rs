//! The whole user agent as a client [`Peer`] of the in-memory server.

use super::{Pair, Peer, Server, client_addr, server_addr};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::net::SocketAddr;
use std::time::Instant;
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::config::{AccountConfig, Flow, Transport, UaConfig};
use voicelamp_sip::message_summary::SummaryBody;
use voicelamp_sip::subscription::StaleReason;
use voicelamp_sip::user_agent::{AccountId, Event, Input, Source, Transmit, UserAgent};

/// The user agent as a [`Peer`], with everything it reported and sent.
pub struct Client {
    pub ua: UserAgent,
    pub events: Vec<(Instant, Event)>,
    pub sent: Vec<Transmit>,
    pub now: Instant,
    /// The transport datagrams from the server arrive on (the account's).
    pub transport: Transport,
}

impl Client {
    pub fn collect(&mut self) {
        while let Some(e) = self.ua.poll_event() {
            self.events.push((self.now, e));
        }
    }
}

impl Peer for Client {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.now = now;
        self.ua.handle_input(
            now,
            Input::Datagram {
                from,
                transport: self.transport,
                bytes: bytes.to_vec(),
            },
        );
        self.collect();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.ua.handle_input(now, Input::Timeout);
        self.collect();
    }

    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.collect();
        let t = self.ua.poll_transmit()?;
        assert_eq!(t.destination, server_addr());
        self.sent.push(t.clone());
        Some(t.payload)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.ua.poll_timeout()
    }
}

/// Alice over UDP with credentials and these mailboxes.
pub fn account(mailboxes: &[&str]) -> AccountConfig {
    let flow = Flow {
        transport: Transport::Udp,
        local: client_addr(),
        remote: server_addr(),
    };
    let mut a = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
    a.credentials = Some(Credentials {
        username: "alice".into(),
        password: "secret".into(),
    });
    a.mailboxes = mailboxes.iter().map(|m| m.to_string()).collect();
    a
}

/// A user agent with one account against `server`.
pub fn pair(server: Server, account: AccountConfig) -> (Pair<Client>, AccountId) {
    let start = Instant::now();
    let mut ua = UserAgent::new(UaConfig::default(), ChaCha8Rng::seed_from_u64(1));
    let transport = account.flow.transport;
    let id = ua.add_account(start, account).expect("account");
    let client = Client {
        ua,
        events: Vec::new(),
        sent: Vec::new(),
        now: start,
        transport,
    };
    (Pair::new(start, client, server), id)
}

/// Every mailbox event so far: mailbox, summary, source.
pub fn mailbox_events(pair: &Pair<Client>) -> Vec<(String, SummaryBody, Source)> {
    pair.client
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Mailbox {
                mailbox_uri,
                summary,
                source,
                ..
            } => Some((mailbox_uri.clone(), summary.clone(), *source)),
            _ => None,
        })
        .collect()
}

/// The driver reconnected: a new flow between the same addresses (the Contact stays).
pub fn reconnect(pair: &mut Pair<Client>, id: AccountId) {
    let now = pair.now;
    pair.client.ua.set_flow(
        now,
        id,
        Flow {
            transport: Transport::Udp,
            local: client_addr(),
            remote: server_addr(),
        },
    );
}

/// How many mailboxes were reported stale for `why` so far.
pub fn stale_count(pair: &Pair<Client>, why: &StaleReason) -> usize {
    pair.client
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::MailboxStale { why: w, .. } if w == why))
        .count()
}
