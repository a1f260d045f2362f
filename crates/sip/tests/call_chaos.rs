//! Calls through a lossy network and over a reliable transport: whatever is lost, every call
//! ends exactly once, the user agent's requests stay bounded, and it goes quiet afterwards.

mod call;

use bytes::Bytes;
use call::pbx::{ANSWER_SDP, OFFER_SDP, step};
use call::{CallPair, OFFER, account, ua_config};
use std::time::Duration;
use voicelamp_sip::call::{CallEvent, EndCause};
use voicelamp_sip::config::Transport;

fn ends(pair: &CallPair) -> usize {
    pair.call_events()
        .iter()
        .filter(|e| matches!(e, CallEvent::Ended { .. }))
        .count()
}

#[test]
fn outgoing_calls_through_loss_end_once_with_bounded_requests() {
    let mut connected = 0;
    for seed in 1..=40u64 {
        let loss = [10, 30, 50][seed as usize % 3];
        let mut pair = CallPair::new(Box::new(|_, n| match n {
            0 => vec![step(0, 401).with(
                "WWW-Authenticate",
                "Digest realm=\"example.com\", nonce=\"n1\", algorithm=MD5",
            )],
            _ => vec![
                step(0, 100),
                step(100, 180),
                step(1000, 200)
                    .sdp(ANSWER_SDP)
                    .with("Session-Expires", "90;refresher=uac"),
            ],
        }));
        pair.seed_loss(loss, seed * 7919);
        let id = pair.call("bob");
        pair.run_for(Duration::from_secs(100));
        let now = pair.now;
        pair.ua.hang_up(now, id);
        pair.run_for(Duration::from_secs(120));
        if pair.ends().iter().any(|e| e.cause == EndCause::HungUp) {
            connected += 1;
        }
        assert_eq!(
            ends(&pair),
            1,
            "seed {seed}, loss {loss}%: {:?}",
            pair.call_events()
        );
        assert!(
            pair.sent.len() < 120,
            "seed {seed}: {} datagrams",
            pair.sent.len()
        );
        assert_eq!(pair.ua.calls(), Vec::new(), "seed {seed}: the call is gone");
        assert_eq!(
            pair.ua.poll_timeout(),
            None,
            "seed {seed}: nothing left to do"
        );
    }
    assert!(
        connected >= 30,
        "most calls get through the loss: {connected} of 40"
    );
}

#[test]
fn incoming_calls_through_loss_end_once_with_bounded_answers() {
    let mut connected = 0;
    for seed in 1..=40u64 {
        let loss = [10, 30, 50][seed as usize % 3];
        let mut pair = CallPair::new(Box::new(|_, _| Vec::new()));
        pair.seed_loss(loss, seed * 104_729);
        let now = pair.now;
        pair.pbx
            .invite(now, Some(OFFER_SDP), &[("Session-Expires", "120")]);
        pair.run_for(Duration::from_secs(3));
        if let Some(&id) = pair.event_calls().first() {
            let now = pair.now;
            let _ = pair.ua.answer_call(now, id, Bytes::from_static(OFFER));
            pair.run_for(Duration::from_secs(20));
            let now = pair.now;
            pair.pbx.in_dialog(now, "BYE", &[], None);
        }
        pair.run_for(Duration::from_secs(300));
        let incoming = pair.event_calls().len();
        if pair.ends().iter().any(|e| e.cause == EndCause::HungUp) {
            connected += 1;
        }
        if incoming > 0 {
            assert_eq!(
                ends(&pair),
                1,
                "seed {seed}, loss {loss}%: {:?}",
                pair.call_events()
            );
        }
        assert!(
            pair.sent.len() < 120,
            "seed {seed}: {} datagrams",
            pair.sent.len()
        );
        assert_eq!(
            pair.ua.poll_timeout(),
            None,
            "seed {seed}: nothing left to do"
        );
    }
    assert!(
        connected >= 30,
        "most calls get through the loss: {connected} of 40"
    );
}

#[test]
fn over_tcp_nothing_is_retransmitted() {
    let mut pair = CallPair::with(
        Box::new(|_, _| vec![step(0, 180), step(500, 200).sdp(ANSWER_SDP)]),
        account(Transport::Tcp),
        ua_config(),
    );
    pair.drop_next(true, "ACK", 1);
    let id = pair.call("bob");
    pair.run_for(Duration::from_secs(2));
    assert_eq!(pair.pbx.count("INVITE"), 1);
    let invite = pair.pbx.last("INVITE").expect("invite");
    assert!(invite.head.vias[0].transport == "TCP");
    assert!(invite.head.contacts()[0].uri.contains("transport=tcp"));
    let now = pair.now;
    pair.ua.hang_up(now, id);
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.sent_count("INVITE"), 1);
    assert_eq!(pair.sent_count("BYE"), 1);
    // The harness PBX resends its 200 (it plays UDP), each copy ACKed: the ACK is the dialog's.
    assert!(pair.sent_count("ACK") >= 2);
}
