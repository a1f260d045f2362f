//! Subscribe-only accounts (`register = false`): no REGISTER ever, subscriptions at once with a
//! Contact made from the flow, unsolicited NOTIFYs by the trust setting alone. Simulated time
//! against the in-memory registrar/notifier.

mod common;

use common::ua::{account, mailbox_events, pair, reconnect, stale_count};
use common::{SERVER, Server};
use std::time::Duration;
use voicelamp_sip::config::{Transport, UnsolicitedTrust};
use voicelamp_sip::message::{Message, Method};
use voicelamp_sip::subscription::{StaleReason, SubscriptionState};
use voicelamp_sip::user_agent::{Event, Input, Source};

const SUPPORT: &str = "sip:support@example.com";

fn subscribe_only(mailboxes: &[&str]) -> voicelamp_sip::AccountConfig {
    let mut a = account(mailboxes);
    a.register = false;
    a
}

fn registration_events(events: &[(std::time::Instant, Event)]) -> usize {
    events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Registration { .. }))
        .count()
}

#[test]
fn subscribes_at_once_and_never_registers() {
    let (mut pair, id) = pair(
        Server::new(),
        subscribe_only(&["sip:alice@example.com", SUPPORT]),
    );
    pair.run_for(Duration::from_secs(10));
    assert_eq!(pair.server.count(&Method::Register), 0);
    let first = pair.server.last(&Method::Subscribe).expect("a SUBSCRIBE");
    assert_eq!(
        first.contacts,
        vec!["<sip:alice@192.0.2.10:5060>".to_owned()]
    );
    let mailboxes = mailbox_events(&pair);
    assert_eq!(mailboxes.len(), 2, "{mailboxes:?}");
    assert!(mailboxes.iter().all(|(_, _, s)| *s == Source::Subscription));
    assert_eq!(
        pair.client.ua.subscription_state(id, SUPPORT),
        Some(&SubscriptionState::Active)
    );
    // Hours later: refreshed all along, still no REGISTER, nothing failed or went stale.
    pair.run_for(Duration::from_secs(4 * 3600));
    assert_eq!(pair.server.count(&Method::Register), 0);
    assert!(pair.server.count(&Method::Subscribe) >= 2 * 5);
    assert_eq!(registration_events(&pair.client.events), 0);
    assert!(
        !pair
            .client
            .events
            .iter()
            .any(|(_, e)| matches!(e, Event::MailboxFailed { .. } | Event::MailboxStale { .. }))
    );
}

#[test]
fn unsolicited_notify_is_judged_by_the_trust_setting() {
    for (trust, from, expected) in [
        (UnsolicitedTrust::FlowOnly, SERVER, 200),
        (UnsolicitedTrust::FlowOnly, "198.51.100.99:5060", 403),
        (UnsolicitedTrust::AnySource, "198.51.100.99:5060", 200),
        (UnsolicitedTrust::Never, SERVER, 403),
    ] {
        let mut a = subscribe_only(&[]);
        a.unsolicited = trust;
        let (mut pair, _) = pair(Server::new(), a);
        pair.run_for(Duration::from_secs(1));
        let notify = Server::new().unsolicited_notify(
            "sip:alice@192.0.2.10:5060",
            b"Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n",
        );
        let now = pair.now;
        let ua = &mut pair.client.ua;
        ua.handle_input(
            now,
            Input::Datagram {
                from: from.parse().expect("addr"),
                transport: Transport::Udp,
                bytes: notify,
            },
        );
        let answer = ua.poll_transmit().expect("an answer");
        let status = match Message::parse(&answer.payload) {
            Ok(Message::Response(r)) => r.status,
            other => panic!("{other:?}"),
        };
        assert_eq!(status, expected, "{trust:?} from {from}");
        let accepted = std::iter::from_fn(|| ua.poll_event()).any(|e| {
            matches!(
                e,
                Event::Mailbox {
                    source: Source::Unsolicited,
                    ..
                }
            )
        });
        assert_eq!(accepted, expected == 200, "{trust:?} from {from}");
    }
}

#[test]
fn shutdown_unsubscribes_without_unregistering() {
    let (mut pair, _) = pair(Server::new(), subscribe_only(&["sip:alice@example.com"]));
    pair.run_for(Duration::from_secs(10));
    let now = pair.now;
    pair.client.ua.shutdown(now);
    // Past timer J of the server transaction that answered the final NOTIFY.
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.server.count(&Method::Register), 0);
    let last = pair.server.last(&Method::Subscribe).expect("unsubscribe");
    assert_eq!(last.expires, Some(0));
    assert_eq!(registration_events(&pair.client.events), 0);
    assert_eq!(pair.client.ua.poll_timeout(), None, "nothing left to do");
}

#[test]
fn a_reconnect_refreshes_the_subscriptions_without_registering() {
    let (mut pair, id) = pair(
        Server::new(),
        subscribe_only(&["sip:alice@example.com", SUPPORT]),
    );
    pair.run_for(Duration::from_secs(10));
    let subscribes = pair.server.count(&Method::Subscribe);
    let notifies = mailbox_events(&pair).len();
    reconnect(&mut pair, id);
    pair.run_for(Duration::from_secs(10));
    assert_eq!(pair.server.count(&Method::Register), 0);
    assert_eq!(pair.server.count(&Method::Subscribe), subscribes + 2);
    assert_eq!(stale_count(&pair, &StaleReason::FlowChanged), 2);
    assert_eq!(mailbox_events(&pair).len(), notifies + 2, "fresh NOTIFYs");
}

#[test]
fn many_mailboxes_start_a_few_subscribes_at_a_time() {
    use voicelamp_sip::user_agent::MAX_STARTING_SUBSCRIPTIONS;
    let mailboxes: Vec<String> = (0..64).map(|i| format!("sip:m{i}@example.com")).collect();
    let refs: Vec<&str> = mailboxes.iter().map(String::as_str).collect();
    let (mut pair, id) = pair(Server::new(), subscribe_only(&refs));
    // Before any answer: only the first few SUBSCRIBEs are out.
    let first_burst = std::iter::from_fn(|| pair.client.ua.poll_transmit()).count();
    assert_eq!(first_burst, MAX_STARTING_SUBSCRIPTIONS);
    // That burst was taken here and lost: retransmitted, answered, and the rest follow.
    pair.run_for(Duration::from_secs(20));
    for mailbox in &mailboxes {
        assert_eq!(
            pair.client.ua.subscription_state(id, mailbox),
            Some(&SubscriptionState::Active),
            "{mailbox}"
        );
    }
    assert_eq!(mailbox_events(&pair).len(), 64);
}

#[test]
fn many_mailboxes_are_removed_a_few_at_a_time_on_shutdown() {
    use voicelamp_sip::user_agent::MAX_STARTING_SUBSCRIPTIONS;
    // As many as an account may watch: twice the requests allowed in flight.
    let mailboxes: Vec<String> = (0..64).map(|i| format!("sip:m{i}@example.com")).collect();
    let refs: Vec<&str> = mailboxes.iter().map(String::as_str).collect();
    let (mut pair, id) = pair(Server::new(), subscribe_only(&refs));
    pair.run_for(Duration::from_secs(20));
    let now = pair.now;
    pair.client.ua.shutdown(now);
    // Before any answer: only a few un-SUBSCRIBEs are out, the others wait their turn.
    let first_burst = std::iter::from_fn(|| pair.client.ua.poll_transmit()).count();
    assert_eq!(first_burst, MAX_STARTING_SUBSCRIPTIONS);
    assert!(pair.client.ua.unsubscribes_waiting());
    // That burst was lost here: retransmitted, answered, and the rest follow.
    pair.run_for(Duration::from_secs(30));
    assert!(!pair.client.ua.unsubscribes_waiting());
    for mailbox in &mailboxes {
        assert_eq!(
            pair.client.ua.subscription_state(id, mailbox),
            Some(&SubscriptionState::Stopped),
            "{mailbox}"
        );
    }
    let removed = pair
        .server
        .seen
        .iter()
        .filter(|s| s.method == Method::Subscribe && s.expires == Some(0) && s.authorized)
        .count();
    assert!(removed >= 64, "every subscription removed ({removed})");
    let before = pair.client.sent.len();
    pair.run_for(Duration::from_secs(3600));
    assert_eq!(pair.client.sent.len(), before, "silence after shutdown");
}
