//! Who may light a lamp with an unsolicited NOTIFY: only the account's own flow (transport and
//! address) by default, and only the account the NOTIFY is for.

mod common;

use common::ua::{Client, account, pair};
use common::{Pair, Server, server_addr};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use voicelamp_sip::config::{AccountConfig, Flow, Transport, UaConfig, UnsolicitedTrust};
use voicelamp_sip::message::{Message, MessageBuilder, Method, Response};
use voicelamp_sip::user_agent::{AccountId, Event, Input, Source, Transmit, UserAgent};

/// Feeds `bytes` as arriving from `from` over `transport`; returns the answers sent and whether
/// a mailbox event followed.
fn deliver(
    pair: &mut Pair<Client>,
    from: SocketAddr,
    transport: Transport,
    bytes: Vec<u8>,
) -> (Vec<(Transmit, Response)>, Vec<Event>) {
    let now = pair.now;
    pair.client.ua.handle_input(
        now,
        Input::Datagram {
            from,
            transport,
            bytes,
        },
    );
    let mut answers = Vec::new();
    while let Some(t) = pair.client.ua.poll_transmit() {
        if let Ok(Message::Response(r)) = Message::parse(&t.payload) {
            answers.push((t, r));
        }
    }
    let mut events = Vec::new();
    while let Some(e) = pair.client.ua.poll_event() {
        events.push(e);
    }
    (answers, events)
}

fn lit(events: &[Event]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            Event::Mailbox {
                source: Source::Unsolicited,
                ..
            }
        )
    })
}

/// A TLS account, registered with the in-memory registrar at [`server_addr`].
fn tls_pair() -> Pair<Client> {
    let mut a = account(&[]);
    a.flow.transport = Transport::Tls;
    let (mut pair, id) = pair(Server::new(), a);
    pair.run_for(Duration::from_secs(5));
    assert!(
        pair.client
            .ua
            .registration_state(id)
            .is_some_and(|s| matches!(
                s,
                voicelamp_sip::registration::RegistrationState::Registered { .. }
            ))
    );
    pair
}

#[test]
fn a_udp_datagram_with_the_tls_registrars_address_is_refused() {
    let mut pair = tls_pair();
    let notify = pair.server.unsolicited_notify(
        "sip:alice@192.0.2.10:5060;transport=tls",
        b"Messages-Waiting: yes\r\nVoice-Message: 3/0\r\n",
    );
    // Spoofed: the registrar's address, but over UDP, not the account's TLS connection.
    let (answers, events) = deliver(&mut pair, server_addr(), Transport::Udp, notify);
    assert!(!lit(&events), "a spoofed datagram lit the lamp: {events:?}");
    assert_eq!(answers.len(), 1);
    let (transmit, response) = &answers[0];
    assert_eq!(response.status, 403);
    assert_eq!(
        transmit.transport,
        Transport::Udp,
        "answered where it came from"
    );
    assert_eq!(transmit.destination, server_addr());
}

#[test]
fn the_genuine_notify_over_the_accounts_flow_is_accepted_and_answered_on_it() {
    let mut pair = tls_pair();
    // Its Via names UDP and another host: the answer still goes back on the connection.
    let notify = pair.server.unsolicited_notify(
        "sip:alice@192.0.2.10:5060;transport=tls",
        b"Messages-Waiting: yes\r\nVoice-Message: 3/0\r\n",
    );
    let text = String::from_utf8(notify).expect("text");
    let via_start = text.find("Via: ").expect("via");
    let via_end = via_start + text[via_start..].find("\r\n").expect("eol");
    let notify = format!(
        "{}Via: SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bKelsewhere{}",
        &text[..via_start],
        &text[via_end..]
    )
    .into_bytes();
    let (answers, events) = deliver(&mut pair, server_addr(), Transport::Tls, notify);
    assert!(lit(&events), "the genuine NOTIFY is taken: {events:?}");
    assert_eq!(answers.len(), 1);
    let (transmit, response) = &answers[0];
    assert_eq!(response.status, 200);
    assert_eq!(transmit.transport, Transport::Tls);
    assert_eq!(transmit.destination, server_addr());
}

// ---- two accounts with the same user part: extension 100 on two PBXs ----

const PBX_A: &str = "203.0.113.5:5060";
const PBX_B: &str = "198.51.100.7:5060";

fn extension_100(host: &str, remote: &str, trust: UnsolicitedTrust) -> AccountConfig {
    let flow = Flow {
        transport: Transport::Udp,
        local: "192.0.2.10:5060".parse().expect("addr"),
        remote: remote.parse().expect("addr"),
    };
    let mut a = AccountConfig::new(
        &format!("sip:100@{host}"),
        &format!("sip:{host}"),
        "100",
        flow,
    );
    a.mailboxes.clear(); // unsolicited only
    a.unsolicited = trust;
    a
}

/// A user agent with extension 100 on `pbx-a.example` (account 0) and on `pbx-b.example`
/// (account 1), both registered.
fn two_pbxs(trust: UnsolicitedTrust) -> UserAgent {
    let now = Instant::now();
    let mut ua = UserAgent::new(UaConfig::default(), ChaCha8Rng::seed_from_u64(21));
    ua.add_account(now, extension_100("pbx-a.example", PBX_A, trust))
        .expect("account");
    ua.add_account(now, extension_100("pbx-b.example", PBX_B, trust))
        .expect("account");
    // Both registrars accept.
    while let Some(t) = ua.poll_transmit() {
        let Ok(Message::Request(register)) = Message::parse(&t.payload) else {
            continue;
        };
        let contact = register.head.header("Contact").unwrap_or_default();
        let ok = MessageBuilder::response_to(&register, 200, "OK", Some("reg"))
            .header("Contact", &format!("{contact};expires=3600"))
            .build();
        ua.handle_input(
            now,
            Input::Datagram {
                from: t.destination,
                transport: Transport::Udp,
                bytes: ok,
            },
        );
    }
    for id in [AccountId(0), AccountId(1)] {
        assert!(matches!(
            ua.registration_state(id),
            Some(voicelamp_sip::registration::RegistrationState::Registered { .. })
        ));
    }
    while ua.poll_event().is_some() {}
    ua
}

/// An unsolicited NOTIFY for extension 100 of `host`, as a PBX sends it to our Contact.
fn notify_for_100(host: &str, call_id: &str, new: u32) -> Vec<u8> {
    let body = format!("Messages-Waiting: yes\r\nVoice-Message: {new}/0\r\n");
    MessageBuilder::request(&Method::Notify, "sip:100@192.0.2.10:5060")
        .header(
            "Via",
            &format!("SIP/2.0/UDP {host};branch=z9hG4bK{call_id}"),
        )
        .header("From", &format!("<sip:asterisk@{host}>;tag=pbx"))
        .header("To", &format!("<sip:100@{host}>"))
        .header("Call-ID", call_id)
        .header("CSeq", "1 NOTIFY")
        .header("Event", "message-summary")
        .header("Subscription-State", "active")
        .body("application/simple-message-summary", body.as_bytes())
        .build()
}

/// Delivers a NOTIFY over UDP from `from`; returns the status and the accounts it lit.
fn light(ua: &mut UserAgent, from: &str, notify: Vec<u8>) -> (u16, Vec<AccountId>) {
    ua.handle_input(
        Instant::now(),
        Input::Datagram {
            from: from.parse().expect("addr"),
            transport: Transport::Udp,
            bytes: notify,
        },
    );
    let mut status = 0;
    while let Some(t) = ua.poll_transmit() {
        if let Ok(Message::Response(r)) = Message::parse(&t.payload) {
            status = r.status;
        }
    }
    let mut lit = Vec::new();
    while let Some(e) = ua.poll_event() {
        if let Event::Mailbox { account, .. } = e {
            lit.push(account);
        }
    }
    (status, lit)
}

#[test]
fn each_pbx_lights_its_own_extension_100() {
    for trust in [UnsolicitedTrust::FlowOnly, UnsolicitedTrust::AnySource] {
        let mut ua = two_pbxs(trust);
        let (status, lit) = light(&mut ua, PBX_B, notify_for_100("pbx-b.example", "b1", 2));
        assert_eq!((status, lit), (200, vec![AccountId(1)]), "{trust:?}: PBX B");
        let (status, lit) = light(&mut ua, PBX_A, notify_for_100("pbx-a.example", "a1", 3));
        assert_eq!((status, lit), (200, vec![AccountId(0)]), "{trust:?}: PBX A");
        // The flow decides even when the To names the other PBX's host.
        let (status, lit) = light(&mut ua, PBX_B, notify_for_100("pbx-a.example", "b2", 4));
        assert_eq!((status, lit), (200, vec![AccountId(1)]), "{trust:?}: PBX B");
    }
}

#[test]
fn from_elsewhere_the_host_decides_and_an_ambiguous_notify_lights_nothing() {
    let stranger = "192.0.2.99:5060";
    let mut ua = two_pbxs(UnsolicitedTrust::FlowOnly);
    let (status, lit) = light(&mut ua, stranger, notify_for_100("pbx-b.example", "s1", 9));
    assert_eq!((status, lit), (403, vec![]));

    let mut ua = two_pbxs(UnsolicitedTrust::AnySource);
    let (status, lit) = light(&mut ua, stranger, notify_for_100("pbx-b.example", "s2", 9));
    assert_eq!((status, lit), (200, vec![AccountId(1)]));
    let (status, lit) = light(&mut ua, stranger, notify_for_100("pbx-a.example", "s3", 9));
    assert_eq!((status, lit), (200, vec![AccountId(0)]));
    // Neither host: which extension 100 is meant cannot be told.
    let (status, lit) = light(&mut ua, stranger, notify_for_100("192.0.2.99", "s4", 9));
    assert_eq!((status, lit), (481, vec![]));
}

#[test]
fn tenants_of_one_server_are_told_apart_by_the_to_host() {
    let now = Instant::now();
    let mut ua = UserAgent::new(UaConfig::default(), ChaCha8Rng::seed_from_u64(22));
    for tenant in ["a.example", "b.example"] {
        let mut a = extension_100(tenant, PBX_A, UnsolicitedTrust::FlowOnly);
        a.register = false; // subscribe-only: judged by the trust setting alone
        ua.add_account(now, a).expect("account");
    }
    while ua.poll_transmit().is_some() {}
    let (status, lit) = light(&mut ua, PBX_A, notify_for_100("b.example", "t1", 1));
    assert_eq!((status, lit), (200, vec![AccountId(1)]));
    let (status, lit) = light(&mut ua, PBX_A, notify_for_100("a.example", "t2", 1));
    assert_eq!((status, lit), (200, vec![AccountId(0)]));
    let (status, lit) = light(&mut ua, PBX_A, notify_for_100("c.example", "t3", 1));
    assert_eq!((status, lit), (481, vec![]));
}
