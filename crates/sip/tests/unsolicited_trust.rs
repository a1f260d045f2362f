//! Who may light a lamp with an unsolicited NOTIFY: only the account's own flow (transport and
//! address) by default, and only the account the NOTIFY is for.

mod common;

use common::ua::{Client, account, pair};
use common::{Pair, Server, server_addr};
use std::net::SocketAddr;
use std::time::Duration;
use voicelamp_sip::config::Transport;
use voicelamp_sip::message::{Message, Response};
use voicelamp_sip::user_agent::{Event, Input, Source, Transmit};

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
