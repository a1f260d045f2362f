//! The AOR's other devices, read from the registrar's 2xx (RFC 3261 §10.2.4), and a device
//! our REGISTER replaced: an in-memory registrar with a binding table, driven through
//! simulated time, that keeps every contact or (like Asterisk's `max_contacts=1` with
//! `remove_existing=yes`) only the newest.

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::time::{Duration, Instant};
use voicelamp_sip::backoff::BackoffConfig;
use voicelamp_sip::config::{AccountConfig, Flow, Transport, same_contact};
use voicelamp_sip::message::{Message, MessageBuilder, Request};
use voicelamp_sip::registration::{Bindings, Registration, RegistrationEvent};
use voicelamp_sip::transaction::TimerConfig;

const DESK: &str = "sip:1001@192.0.2.77:5062";
const OURS: &str = "sip:1001@192.0.2.10:5060";

/// A registrar for one AOR.
struct Registrar {
    /// Keep only the newest contact (replace the others).
    one_per_aor: bool,
    /// Contacts and their expiry.
    table: Vec<(String, u32)>,
    /// Requests seen: whether each had a Contact.
    seen: Vec<bool>,
}

impl Registrar {
    fn new(one_per_aor: bool) -> Self {
        Self {
            one_per_aor,
            table: vec![(DESK.to_owned(), 120)],
            seen: Vec::new(),
        }
    }

    fn answer(&mut self, req: &Request) -> Vec<u8> {
        let contacts = req.head.contacts();
        self.seen.push(!contacts.is_empty());
        let expires = req.head.expires().unwrap_or(3600);
        for c in &contacts {
            self.table.retain(|(uri, _)| !same_contact(uri, &c.uri));
            let e = c.expires.unwrap_or(expires);
            if e > 0 {
                if self.one_per_aor {
                    self.table.clear();
                }
                self.table.push((c.uri.clone(), e));
            }
        }
        let mut b = MessageBuilder::response_to(req, 200, "OK", Some("reg"));
        for (uri, e) in &self.table {
            b = b.header("Contact", &format!("<{uri}>;expires={e}"));
        }
        b.build()
    }
}

struct Run {
    reg: Registration,
    registrar: Registrar,
    rng: ChaCha8Rng,
    now: Instant,
    events: Vec<RegistrationEvent>,
}

impl Run {
    fn new(registrar: Registrar, query: bool) -> Self {
        let flow = Flow {
            transport: Transport::Udp,
            local: "192.0.2.10:5060".parse().expect("addr"),
            remote: "203.0.113.5:5060".parse().expect("addr"),
        };
        let mut account = AccountConfig::new(
            "sip:1001@pbx.example.com",
            "sip:pbx.example.com",
            "1001",
            flow,
        );
        account.register_expires = 600;
        account.query_bindings = query;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let reg = Registration::new(
            &account,
            TimerConfig::default(),
            BackoffConfig::default(),
            "test",
            &mut rng,
        );
        Self {
            reg,
            registrar,
            rng,
            now: Instant::now(),
            events: Vec::new(),
        }
    }

    /// Delivers every request (answered without loss) and collects the events.
    fn exchange(&mut self) {
        for _ in 0..16 {
            let Some(bytes) = self.reg.poll_transmit() else {
                break;
            };
            let Ok(Message::Request(req)) = Message::parse(&bytes) else {
                panic!("the registration sent something that is not a request");
            };
            let answer = self.registrar.answer(&req);
            let Ok(Message::Response(resp)) = Message::parse(&answer) else {
                panic!("the registrar's answer does not parse");
            };
            self.now += Duration::from_millis(20);
            assert!(self.reg.owns(&resp));
            self.reg.handle_response(self.now, &resp, &mut self.rng);
        }
        while let Some(e) = self.reg.poll_event() {
            self.events.push(e);
        }
    }

    fn start(&mut self) {
        self.reg.start(self.now, &mut self.rng);
        self.exchange();
    }

    /// Moves simulated time through the deadlines (timer K, then the refresh) until a request
    /// is sent, and answers it.
    fn next_refresh(&mut self) {
        let sent = self.registrar.seen.len();
        for _ in 0..8 {
            self.now = self.reg.poll_timeout().expect("a refresh is scheduled");
            self.reg.handle_timeout(self.now, &mut self.rng);
            self.exchange();
            if self.registrar.seen.len() > sent {
                return;
            }
        }
        panic!("no refresh was sent");
    }

    fn reported(&self) -> Vec<&Bindings> {
        self.events
            .iter()
            .filter_map(|e| match e {
                RegistrationEvent::Bindings(b) => Some(b),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn a_desk_phone_replaced_by_our_register_is_named() {
    let mut run = Run::new(Registrar::new(true), true);
    run.start();
    // A query without Contact, then the REGISTER.
    assert_eq!(run.registrar.seen, vec![false, true]);
    assert!(run.reg.is_registered());
    assert_eq!(run.registrar.table.len(), 1, "the registrar kept only ours");
    assert!(same_contact(&run.registrar.table[0].0, OURS));
    let expected = Bindings {
        aor: "sip:1001@pbx.example.com".into(),
        others: Vec::new(),
        replaced: vec![DESK.into()],
    };
    assert_eq!(run.reported(), vec![&expected]);
    assert_eq!(run.reg.bindings(), &expected);
    // Registered is reported first, then the bindings.
    assert!(matches!(
        run.events.as_slice(),
        [
            RegistrationEvent::Registered { .. },
            RegistrationEvent::Bindings(_)
        ]
    ));

    // A refresh sends no second query and reports nothing new: what was replaced stays named.
    run.next_refresh();
    assert_eq!(run.registrar.seen, vec![false, true, true]);
    assert_eq!(run.reported().len(), 1);
    assert_eq!(run.reg.bindings(), &expected);
}

#[test]
fn a_desk_phone_that_stays_bound_is_listed_as_another_device() {
    let mut run = Run::new(Registrar::new(false), true);
    run.start();
    assert!(run.reg.is_registered());
    let expected = Bindings {
        aor: "sip:1001@pbx.example.com".into(),
        others: vec![DESK.into()],
        replaced: Vec::new(),
    };
    assert_eq!(run.reported(), vec![&expected]);

    // The desk phone unregisters; the next refresh's 2xx lists ours alone: reported once, as
    // nothing beside us (it went by itself, it was not replaced).
    run.registrar.table.retain(|(uri, _)| uri != DESK);
    run.next_refresh();
    let reported = run.reported();
    assert_eq!(reported.len(), 2);
    assert!(reported[1].is_empty(), "{:?}", reported[1]);
    run.next_refresh();
    assert_eq!(
        run.reported().len(),
        2,
        "an unchanged list is not reported again"
    );
}

#[test]
fn without_a_query_the_2xx_still_lists_the_other_devices() {
    let mut run = Run::new(Registrar::new(false), false);
    run.start();
    assert_eq!(run.registrar.seen, vec![true], "no query unless asked for");
    assert_eq!(run.reg.bindings().others, vec![DESK.to_owned()]);
    // Replacing registrar, no query: nothing is known about what was there before.
    let mut run = Run::new(Registrar::new(true), false);
    run.start();
    assert!(run.reg.bindings().is_empty());
    assert!(run.reported().is_empty());
}

#[test]
fn a_failed_query_still_registers_and_a_lost_one_times_out() {
    // A registrar that rejects the query (some answer 400 to a REGISTER without Contact).
    let mut run = Run::new(Registrar::new(true), true);
    run.reg.start(run.now, &mut run.rng);
    let query = run.reg.poll_transmit().expect("query");
    let Ok(Message::Request(req)) = Message::parse(&query) else {
        panic!("not a request");
    };
    assert!(req.head.contacts().is_empty());
    let answer = MessageBuilder::response_to(&req, 400, "Bad Request", None).build();
    let Ok(Message::Response(resp)) = Message::parse(&answer) else {
        panic!("no parse");
    };
    run.reg.handle_response(run.now, &resp, &mut run.rng);
    run.exchange();
    assert!(run.reg.is_registered());
    assert_eq!(run.registrar.seen, vec![true]);
    assert!(
        run.reg.bindings().is_empty(),
        "nothing known before: nothing named"
    );

    // A query nobody answers fails like a REGISTER (timer F), with the backoff.
    let mut run = Run::new(Registrar::new(true), true);
    run.reg.start(run.now, &mut run.rng);
    let mut sent = 0;
    for _ in 0..64 {
        while run.reg.poll_transmit().is_some() {
            sent += 1;
        }
        let Some(t) = run.reg.poll_timeout() else {
            break;
        };
        run.now = t;
        run.reg.handle_timeout(run.now, &mut run.rng);
        while let Some(e) = run.reg.poll_event() {
            run.events.push(e);
        }
        if !run.events.is_empty() {
            break;
        }
    }
    assert!(matches!(
        run.events.as_slice(),
        [RegistrationEvent::Failed {
            retry_in: Some(_),
            ..
        }]
    ));
    assert!(sent <= 11, "timer E retransmissions only: {sent}");
}
