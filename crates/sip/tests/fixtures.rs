//! Real-world shaped messages from `tests/data`, through the parser and the user agent.

mod common;

use common::server_addr;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::time::Instant;
use voicelamp_sip::message::{Message, MessageBuilder};
use voicelamp_sip::message_summary::{self, MessageClass, SummaryBody};
use voicelamp_sip::{AccountConfig, Event, Flow, Input, Source, Transport, UaConfig, UserAgent};

fn registered_ua(now: Instant) -> UserAgent {
    let flow = Flow {
        transport: Transport::Udp,
        local: common::client_addr(),
        remote: server_addr(),
    };
    let mut account = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
    account.mailboxes.clear();
    let mut ua = UserAgent::new(UaConfig::default(), ChaCha8Rng::seed_from_u64(3));
    ua.add_account(now, account).expect("account");
    let register = ua.poll_transmit().expect("REGISTER");
    let Ok(Message::Request(req)) = Message::parse(&register.payload) else {
        panic!("not a request");
    };
    let ok = MessageBuilder::response_to(&req, 200, "OK", Some("srv"))
        .header("Contact", "<sip:alice@192.0.2.10:5060>;expires=3600")
        .build();
    ua.handle_input(
        now,
        Input::Datagram {
            from: server_addr(),
            transport: Transport::Udp,
            bytes: ok,
        },
    );
    while ua.poll_event().is_some() {}
    while ua.poll_transmit().is_some() {}
    ua
}

fn deliver(ua: &mut UserAgent, now: Instant, bytes: &[u8]) -> (u16, Vec<Event>) {
    ua.handle_input(
        now,
        Input::Datagram {
            from: server_addr(),
            transport: Transport::Udp,
            bytes: bytes.to_vec(),
        },
    );
    let answer = ua.poll_transmit().expect("an answer");
    let Ok(Message::Response(r)) = Message::parse(&answer.payload) else {
        panic!("not a response");
    };
    let mut events = Vec::new();
    while let Some(e) = ua.poll_event() {
        events.push(e);
    }
    (r.status, events)
}

#[test]
fn asterisk_unsolicited_notify() {
    let now = Instant::now();
    let mut ua = registered_ua(now);
    let (status, events) = deliver(
        &mut ua,
        now,
        include_bytes!("data/asterisk_unsolicited_notify.sip"),
    );
    assert_eq!(status, 200);
    let [
        Event::Mailbox {
            mailbox_uri,
            summary: SummaryBody::Summary(s),
            source: Source::Unsolicited,
            ..
        },
    ] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    // Asterisk's Message-Account names the server, not a mailbox: the line's AOR is used.
    assert_eq!(mailbox_uri, "sip:alice@example.com");
    assert_eq!(s.account.as_deref(), Some("sip:asterisk@203.0.113.5"));
    assert_eq!(s.new_messages(), Some(1));
    assert_eq!(s.voice().and_then(|c| c.urgent_new), Some(0));
}

#[test]
fn carrier_notify_with_lf_only_compact_headers_and_lowercase_body() {
    let now = Instant::now();
    let mut ua = registered_ua(now);
    let (status, events) = deliver(
        &mut ua,
        now,
        include_bytes!("data/lf_only_lowercase_notify.sip"),
    );
    assert_eq!(status, 200);
    let [
        Event::Mailbox {
            mailbox_uri,
            summary: SummaryBody::Summary(s),
            ..
        },
    ] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(
        mailbox_uri, "sip:alice@example.com",
        "no Message-Account: the AOR"
    );
    assert_eq!(s.new_messages(), Some(3));
}

#[test]
fn rfc3842_body_with_optional_message_headers() {
    let body = include_bytes!("data/rfc3842_body_with_message_headers.txt");
    let Ok(SummaryBody::Summary(s)) = message_summary::parse(body) else {
        panic!("not a summary");
    };
    let voice = s.classes[&MessageClass::Voice];
    assert_eq!((voice.new, voice.old), (4, 8));
    assert_eq!((voice.urgent_new, voice.urgent_old), (Some(1), Some(2)));
    assert_eq!(s.classes.len(), 1);
}
