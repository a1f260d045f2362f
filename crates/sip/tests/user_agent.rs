//! The whole user agent against the in-memory registrar/notifier, in simulated time.

mod common;

use common::ua::{Client, account, mailbox_events, pair, reconnect, stale_count};
use common::{Pair, Reply, Server, server_addr};
use proptest::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::time::{Duration, Instant};
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::config::{Transport, UaConfig, UnsolicitedTrust};
use voicelamp_sip::message::{Message, Method};
use voicelamp_sip::message_summary::SummaryBody;
use voicelamp_sip::subscription::{StaleReason, SubscriptionState};
use voicelamp_sip::user_agent::{AccountId, Event, Input, RegistrationStatus, Source, UserAgent};

const SUPPORT: &str = "sip:support@example.com";

#[test]
fn registers_then_subscribes_every_mailbox_and_reports_them() {
    let (mut pair, id) = pair(Server::new(), account(&["sip:alice@example.com", SUPPORT]));
    pair.run_for(Duration::from_secs(10));
    let first = &pair.client.events[0].1;
    assert_eq!(
        *first,
        Event::Registration {
            account: id,
            state: RegistrationStatus::Registered { expires: 3600 },
            reason: None
        }
    );
    let mailboxes = mailbox_events(&pair);
    assert_eq!(mailboxes.len(), 2);
    assert!(
        mailboxes
            .iter()
            .all(|(_, s, src)| *src == Source::Subscription
                && matches!(s, SummaryBody::Summary(m) if m.new_messages() == Some(2)))
    );
    assert_eq!(
        pair.client.ua.subscription_state(id, SUPPORT),
        Some(&SubscriptionState::Active)
    );
    // Subscriptions wait for the registration.
    let first_subscribe = pair
        .server
        .seen
        .iter()
        .position(|s| s.method == Method::Subscribe)
        .expect("subscribe");
    assert!(
        pair.server.seen[..first_subscribe]
            .iter()
            .any(|s| s.method == Method::Register && s.authorized)
    );

    // Several hours: everything refreshed, nothing failed.
    pair.run_for(Duration::from_secs(4 * 3600));
    assert!(
        !pair
            .client
            .events
            .iter()
            .any(|(_, e)| matches!(e, Event::MailboxFailed { .. } | Event::MailboxStale { .. }))
    );
    assert!(pair.server.count(&Method::Register) >= 5);
}

#[test]
fn unsolicited_notify_from_the_registrar_is_accepted() {
    let (mut pair, id) = pair(Server::new(), account(&[]));
    pair.run_for(Duration::from_secs(5));
    let body = b"Messages-Waiting: yes\r\nMessage-Account: sip:alice@example.com\r\nVoice-Message: 3/1\r\n";
    let notify = pair
        .server
        .unsolicited_notify("sip:alice@192.0.2.10:5060", body);
    pair.server_sends(notify);
    pair.run_for(Duration::from_secs(1));
    let events = mailbox_events(&pair);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "sip:alice@example.com");
    assert_eq!(events[0].2, Source::Unsolicited);
    assert_eq!(pair.server.responses_to_notify, vec![200]);
    assert_eq!(pair.server.count(&Method::Subscribe), 0);
    let _ = id;
}

#[test]
fn unsolicited_notify_rules() {
    let (mut pair, _) = pair(Server::new(), account(&[]));
    pair.run_for(Duration::from_secs(5));
    let mut server = Server::new();
    let now = pair.now;
    let ua = &mut pair.client.ua;
    let answer = |ua: &mut UserAgent, from: &str, bytes: Vec<u8>| -> u16 {
        ua.handle_input(
            now,
            Input::Datagram {
                from: from.parse().expect("addr"),
                transport: Transport::Udp,
                bytes,
            },
        );
        let t = ua.poll_transmit().expect("an answer");
        match Message::parse(&t.payload) {
            Ok(Message::Response(r)) => r.status,
            other => panic!("{other:?}"),
        }
    };
    let body = b"Messages-Waiting: no\r\n";
    // From elsewhere than the registrar: refused.
    let n = server.unsolicited_notify("sip:alice@192.0.2.10:5060", body);
    assert_eq!(answer(ua, "198.51.100.99:5060", n), 403);
    // For someone else: no such subscription.
    let n = server.unsolicited_notify("sip:bob@192.0.2.10:5060", body);
    assert_eq!(answer(ua, common::SERVER, n), 481);
    // Another event package.
    let n = server.unsolicited_notify("sip:alice@192.0.2.10:5060", body);
    let n = String::from_utf8(n)
        .expect("utf8")
        .replace("Event: message-summary", "Event: presence")
        .into_bytes();
    assert_eq!(answer(ua, common::SERVER, n), 489);
    // In a dialog that is not ours (an old subscription): gone.
    let n = server.unsolicited_notify("sip:alice@192.0.2.10:5060", body);
    let n = String::from_utf8(n)
        .expect("utf8")
        .replace(
            "To: <sip:alice@192.0.2.10:5060>",
            "To: <sip:alice@192.0.2.10:5060>;tag=old",
        )
        .into_bytes();
    assert_eq!(answer(ua, common::SERVER, n), 481);
    // A call forked to us: refused neutrally.
    let invite = b"INVITE sip:alice@192.0.2.10:5060 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKinv1\r\n\
        From: <sip:bob@example.com>;tag=b\r\nTo: <sip:alice@example.com>\r\n\
        Call-ID: inv1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        .to_vec();
    assert_eq!(answer(ua, common::SERVER, invite), 480);
    // Two requests sharing an RFC 2543 style branch are not retransmissions of each other.
    let options = |call_id: &str| {
        format!(
            "OPTIONS sip:alice@192.0.2.10:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.5:5060;branch=1\r\n\
             From: <sip:p@example.com>;tag=p\r\nTo: <sip:alice@example.com>\r\n\
             Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    };
    assert_eq!(answer(ua, common::SERVER, options("o1")), 200);
    assert_eq!(answer(ua, common::SERVER, options("o2")), 200);
    // Garbage body: 400 and an error event, never a count.
    let n = server.unsolicited_notify("sip:alice@192.0.2.10:5060", b"Messages-Waiting: 7\r\n");
    assert_eq!(answer(ua, common::SERVER, n), 400);
    let mut saw_error = false;
    while let Some(e) = ua.poll_event() {
        assert!(!matches!(e, Event::Mailbox { .. }));
        saw_error |= matches!(e, Event::BodyError { .. });
    }
    assert!(saw_error);
}

#[test]
fn any_source_trust_accepts_unsolicited_from_elsewhere() {
    let mut a = account(&[]);
    a.unsolicited = UnsolicitedTrust::AnySource;
    let (mut pair, _) = pair(Server::new(), a);
    pair.run_for(Duration::from_secs(5));
    let mut server = Server::new();
    let n = server.unsolicited_notify("sip:alice@192.0.2.10:5060", b"Messages-Waiting: no\r\n");
    let now = pair.now;
    pair.client.ua.handle_input(
        now,
        Input::Datagram {
            from: "198.51.100.99:5060".parse().expect("addr"),
            transport: Transport::Udp,
            bytes: n,
        },
    );
    assert!(matches!(
        pair.client.ua.poll_event(),
        Some(Event::Mailbox {
            source: Source::Unsolicited,
            ..
        })
    ));
}

#[test]
fn retransmitted_notify_is_answered_again_but_reported_once() {
    let (mut pair, _) = pair(Server::new(), account(&[]));
    pair.run_for(Duration::from_secs(5));
    let notify = pair
        .server
        .unsolicited_notify("sip:alice@192.0.2.10:5060", b"Messages-Waiting: no\r\n");
    pair.server_sends(notify.clone());
    pair.run_for(Duration::from_millis(600));
    pair.server_sends(notify);
    pair.run_for(Duration::from_secs(1));
    assert_eq!(mailbox_events(&pair).len(), 1);
    assert_eq!(pair.server.responses_to_notify, vec![200, 200]);
}

#[test]
fn options_is_answered_and_keepalives_are_scheduled() {
    let (mut pair, _) = pair(Server::new(), account(&[]));
    pair.run_for(Duration::from_secs(5));
    let options = b"OPTIONS sip:alice@192.0.2.10:5060 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKopt1\r\n\
        From: <sip:ping@203.0.113.5>;tag=p\r\nTo: <sip:alice@192.0.2.10>\r\n\
        Call-ID: opt1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        .to_vec();
    let now = pair.now;
    pair.client.ua.handle_input(
        now,
        Input::Datagram {
            from: server_addr(),
            transport: Transport::Udp,
            bytes: options,
        },
    );
    let t = pair.client.ua.poll_transmit().expect("answer");
    let Ok(Message::Response(r)) = Message::parse(&t.payload) else {
        panic!("not a response");
    };
    assert_eq!(r.status, 200);
    assert!(r.head.to.tag.is_some());

    let before = pair.client.sent.len();
    pair.run_for(Duration::from_secs(100));
    let keepalives = pair.client.sent[before..]
        .iter()
        .filter(|t| t.payload == b"\r\n\r\n")
        .count();
    assert_eq!(keepalives, 4, "every 25 s over UDP");
}

#[test]
fn nat_correction_reaches_the_subscriptions() {
    let mut server = Server::new();
    server.nat = Some("198.51.100.7:40000".parse().expect("addr"));
    let (mut pair, _) = pair(server, account(&["sip:alice@example.com"]));
    pair.run_for(Duration::from_secs(10));
    let sub = pair.server.last(&Method::Subscribe).expect("subscribe");
    assert!(
        sub.contacts[0].contains("198.51.100.7:40000"),
        "{:?}",
        sub.contacts
    );
    assert_eq!(mailbox_events(&pair).len(), 1);
}

#[test]
fn a_changed_mapping_later_resubscribes_and_marks_stale() {
    let mut server = Server::new();
    server.max_expires = 300;
    let (mut pair, id) = pair(server, account(&["sip:alice@example.com"]));
    pair.run_for(Duration::from_secs(10));
    pair.server.nat = Some("198.51.100.7:40001".parse().expect("addr"));
    pair.run_for(Duration::from_secs(300));
    assert!(pair.client.events.iter().any(|(_, e)| *e
        == Event::MailboxStale {
            account: id,
            mailbox_uri: "sip:alice@example.com".into(),
            why: StaleReason::ContactChanged
        }));
    let sub = pair.server.last(&Method::Subscribe).expect("subscribe");
    assert!(sub.contacts[0].contains("198.51.100.7:40001"));
    assert!(
        mailbox_events(&pair).len() >= 2,
        "a fresh NOTIFY after the change"
    );
}

#[test]
fn shutdown_unsubscribes_and_unregisters() {
    let (mut pair, id) = pair(Server::new(), account(&["sip:alice@example.com", SUPPORT]));
    pair.run_for(Duration::from_secs(10));
    let now = pair.now;
    pair.client.ua.shutdown(now);
    pair.run_for(Duration::from_secs(10));
    let zero_subs = pair
        .server
        .seen
        .iter()
        .filter(|s| s.method == Method::Subscribe && s.expires == Some(0) && s.authorized)
        .count();
    assert_eq!(zero_subs, 2);
    assert_eq!(
        pair.server.last(&Method::Register).expect("r").expires,
        Some(0)
    );
    assert!(pair.client.events.iter().any(|(_, e)| *e
        == Event::Registration {
            account: id,
            state: RegistrationStatus::Unregistered,
            reason: None
        }));
    let before = pair.client.sent.len();
    pair.run_for(Duration::from_secs(3600));
    assert_eq!(pair.client.sent.len(), before, "silence after shutdown");
    assert_eq!(pair.client.ua.poll_timeout(), None);
}

#[test]
fn garbage_is_reported_not_fatal() {
    let (mut pair, _) = pair(Server::new(), account(&[]));
    let now = pair.now;
    pair.client.ua.handle_input(
        now,
        Input::Datagram {
            from: server_addr(),
            transport: Transport::Udp,
            bytes: b"\x00\x01garbage".to_vec(),
        },
    );
    pair.client.collect();
    assert!(
        pair.client
            .events
            .iter()
            .any(|(_, e)| matches!(e, Event::InvalidMessage { .. }))
    );
    pair.run_for(Duration::from_secs(5));
    assert!(pair.client.ua.registration_state(AccountId(0)).is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_datagrams_never_panic(datagrams in proptest::collection::vec(
        proptest::collection::vec(any::<u8>(), 0..512), 0..8)) {
        let (mut pair, _) = pair(Server::new(), account(&["sip:alice@example.com"]));
        pair.run_for(Duration::from_secs(5));
        let now = pair.now;
        for bytes in datagrams {
            pair.client.ua.handle_input(now, Input::Datagram { from: server_addr(), transport: Transport::Udp, bytes });
        }
        while pair.client.ua.poll_transmit().is_some() {}
        while pair.client.ua.poll_event().is_some() {}
    }
}

#[test]
fn a_reconnect_registers_again_and_refreshes_every_subscription() {
    let (mut pair, id) = pair(Server::new(), account(&["sip:alice@example.com", SUPPORT]));
    pair.run_for(Duration::from_secs(10));
    let registers = pair.server.count(&Method::Register);
    let subscribes = pair.server.count(&Method::Subscribe);
    let notifies = mailbox_events(&pair).len();
    // The server keeps seeing the same address: the Contact does not change, the flow does.
    reconnect(&mut pair, id);
    pair.run_for(Duration::from_secs(10));
    assert_eq!(pair.server.count(&Method::Register), registers + 1);
    assert_eq!(pair.server.count(&Method::Subscribe), subscribes + 2);
    assert_eq!(stale_count(&pair, &StaleReason::FlowChanged), 2);
    assert_eq!(mailbox_events(&pair).len(), notifies + 2, "fresh NOTIFYs");
}

#[test]
fn accounts_are_independent() {
    let (mut pair, alice) = pair(Server::new(), account(&["sip:alice@example.com"]));
    let mut bob = account(&["sip:bob@example.com"]);
    bob.aor = "sip:bob@example.com".into();
    bob.contact_user = "bob".into();
    bob.credentials = Some(Credentials {
        username: "bob".into(),
        password: "wrong".into(),
    });
    let now = pair.now;
    let bob = pair.client.ua.add_account(now, bob).expect("bob");
    pair.run_for(Duration::from_secs(3600));
    assert!(pair.client.events.iter().any(|(_, e)| matches!(
        e,
        Event::Registration {
            account,
            state: RegistrationStatus::Failed { retry_in: None },
            reason: Some(voicelamp_sip::registration::RegistrationFailure::WrongCredentials),
        } if *account == bob
    )));
    assert!(matches!(
        pair.client.ua.registration_state(alice),
        Some(voicelamp_sip::registration::RegistrationState::Registered { .. })
    ));
    assert_eq!(
        pair.client
            .ua
            .subscription_state(bob, "sip:bob@example.com"),
        None,
        "no subscriptions without a registration"
    );
    assert_eq!(
        pair.client
            .ua
            .subscription_state(alice, "sip:alice@example.com"),
        Some(&SubscriptionState::Active)
    );
}

fn options_pair(server: Server) -> (Pair<Client>, AccountId) {
    let start = Instant::now();
    let config = UaConfig {
        udp_keepalive_mode: voicelamp_sip::keepalive::KeepaliveMode::Options,
        ..UaConfig::default()
    };
    let mut ua = UserAgent::new(config, ChaCha8Rng::seed_from_u64(2));
    let id = ua
        .add_account(start, account(&["sip:alice@example.com"]))
        .expect("account");
    let client = Client {
        ua,
        events: Vec::new(),
        sent: Vec::new(),
        now: start,
        transport: Transport::Udp,
    };
    (Pair::new(start, client, server), id)
}

#[test]
fn options_keepalive_notices_a_new_nat_mapping_at_once() {
    let (mut pair, id) = options_pair(Server::new());
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.server.count(&Method::Options), 2, "every 25 s");
    let registers = pair.server.count(&Method::Register);
    // The NAT gives the flow a new public port.
    pair.server.nat = Some("198.51.100.7:40002".parse().expect("addr"));
    pair.run_for(Duration::from_secs(30));
    assert!(pair.server.count(&Method::Register) > registers);
    let sub = pair.server.last(&Method::Subscribe).expect("subscribe");
    assert!(sub.contacts[0].contains("198.51.100.7:40002"));
    assert!(pair.client.events.iter().any(|(_, e)| *e
        == Event::MailboxStale {
            account: id,
            mailbox_uri: "sip:alice@example.com".into(),
            why: StaleReason::ContactChanged
        }));
}

#[test]
fn a_dead_flow_registers_again_but_never_in_a_loop() {
    let (mut pair, _) = options_pair(Server::new());
    pair.run_for(Duration::from_secs(10));
    let registers = pair.server.count(&Method::Register);
    pair.server.drop_next_requests = u32::MAX;
    pair.run_for(Duration::from_secs(3600));
    // One forced re-registration attempt (with its retransmissions), then the backoff rules.
    let sent_registers = pair
        .client
        .sent
        .iter()
        .filter(|t| t.payload.starts_with(b"REGISTER"))
        .count();
    assert!(pair.server.count(&Method::Register) == registers);
    assert!(sent_registers <= 11 * 8, "{sent_registers}");
    assert!(pair.client.events.iter().any(|(_, e)| matches!(
        e,
        Event::Registration {
            state: RegistrationStatus::Failed { .. },
            ..
        }
    )));
}

#[test]
fn fixing_the_password_starts_again() {
    let mut a = account(&["sip:alice@example.com"]);
    a.credentials = Some(Credentials {
        username: "alice".into(),
        password: "typo".into(),
    });
    let (mut pair, id) = pair(Server::new(), a);
    pair.run_for(Duration::from_secs(600));
    assert_eq!(
        pair.server.count(&Method::Register),
        2,
        "no loop on a wrong password"
    );
    let now = pair.now;
    pair.client.ua.set_credentials(
        now,
        id,
        Some(Credentials {
            username: "alice".into(),
            password: "secret".into(),
        }),
    );
    pair.run_for(Duration::from_secs(10));
    assert!(matches!(
        pair.client.ua.registration_state(id),
        Some(voicelamp_sip::registration::RegistrationState::Registered { .. })
    ));
    assert_eq!(mailbox_events(&pair).len(), 1);
}

#[test]
fn an_outbound_proxy_is_a_loose_route_outside_dialogs_only() {
    let mut a = account(&["sip:alice@example.com"]);
    a.outbound_proxy = Some("sip:proxy.example.com".into());
    let (mut pair, _) = pair(Server::new(), a);
    pair.run_for(Duration::from_secs(4000));
    let register = pair.server.last(&Method::Register).expect("register");
    assert_eq!(register.routes, vec!["<sip:proxy.example.com;lr>"]);
    let subscribes: Vec<_> = pair
        .server
        .seen
        .iter()
        .filter(|s| s.method == Method::Subscribe && s.authorized)
        .collect();
    assert!(subscribes.len() >= 2);
    assert_eq!(subscribes[0].routes, vec!["<sip:proxy.example.com;lr>"]);
    // The refresh follows the dialog's (empty) route set.
    assert!(subscribes[1].routes.is_empty());
}

#[test]
fn retry_now_skips_the_backoff_wait() {
    let mut server = Server::new();
    server.subscribe_replies.push_back(Reply::status(404));
    let (mut pair, id) = pair(server, account(&["sip:alice@example.com"]));
    pair.run_for(Duration::from_secs(5));
    assert!(matches!(
        pair.client
            .ua
            .subscription_state(id, "sip:alice@example.com"),
        Some(SubscriptionState::Waiting { .. })
    ));
    let now = pair.now;
    pair.client.ua.retry_now(now, id);
    pair.run_for(Duration::from_secs(2));
    assert_eq!(
        pair.client
            .ua
            .subscription_state(id, "sip:alice@example.com"),
        Some(&SubscriptionState::Active)
    );
}

/// A server back from an outage remembers nothing: `server_back` registers at once and, once
/// registered, starts every subscription anew (new dialogs) without waiting for the backoff the
/// outage had grown; `set_flow` alone leaves the waiting subscriptions to their backoff.
#[test]
fn a_server_back_from_an_outage_gets_every_subscription_anew_at_once() {
    for back in [true, false] {
        let mut server = Server::new();
        server.max_expires = 60;
        let (mut pair, id) = pair(server, account(&["sip:alice@example.com", SUPPORT]));
        pair.run_for(Duration::from_secs(10));
        assert_eq!(mailbox_events(&pair).len(), 2);
        // The outage: every request is lost for two minutes; refreshes time out and back off.
        // It ends while both subscriptions wait for their backoff (looked at every second of
        // simulated time, for at most ten minutes).
        pair.server.drop_next_requests = u32::MAX;
        pair.run_for(Duration::from_secs(120));
        let waiting = |pair: &Pair<Client>| {
            ["sip:alice@example.com", SUPPORT].iter().all(|m| {
                matches!(
                    pair.client.ua.subscription_state(id, m),
                    Some(SubscriptionState::Waiting { .. })
                )
            })
        };
        for _ in 0..600 {
            if waiting(&pair) {
                break;
            }
            pair.run_for(Duration::from_secs(1));
        }
        assert!(waiting(&pair), "both subscriptions wait for their backoff");
        pair.server.drop_next_requests = 0;
        let notifies = mailbox_events(&pair).len();
        let now = pair.now;
        if back {
            pair.client.ua.server_back(now, id, account(&[]).flow);
        } else {
            reconnect(&mut pair, id);
        }
        pair.run_for(Duration::from_secs(2));
        let fresh = mailbox_events(&pair).len() - notifies;
        if back {
            assert_eq!(
                fresh, 2,
                "both mailboxes heard within 2 s of the server's return"
            );
            assert!(matches!(
                pair.client.ua.registration_state(id),
                Some(voicelamp_sip::registration::RegistrationState::Registered { .. })
            ));
        } else {
            assert_eq!(fresh, 0, "without server_back the backoff is waited out");
        }
    }
}
