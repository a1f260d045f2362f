//! Incoming calls against the in-memory PBX in simulated time: ring, answer (the 200 resent
//! until the ACK), decline with 486, CANCEL from the caller, busy with a missed call, the
//! account that takes no calls, and loss of INVITE, 100, 200 and ACK.

mod call;

use bytes::Bytes;
use call::pbx::OFFER_SDP;
use call::{CallPair, OFFER, account, ua_config};
use std::time::Duration;
use voicelamp_sip::call::{CallEnd, CallEvent, CallId, CallState, EndCause, MAX_INCOMING_RINGING};
use voicelamp_sip::config::{IncomingCalls, Transport, UaConfig};

fn idle() -> CallPair {
    CallPair::new(Box::new(|_, _| Vec::new()))
}

/// The PBX calls; returns the call the user agent reported.
fn incoming(pair: &mut CallPair, offer: Option<&[u8]>) -> CallId {
    let now = pair.now;
    pair.pbx.invite(now, offer, &[]);
    let e = pair.run_until_event(Duration::from_secs(2), |e| {
        matches!(e, CallEvent::Incoming { .. })
    });
    assert!(e.is_some(), "incoming: {:?}", pair.call_events());
    pair.run_for(Duration::from_millis(50));
    *pair.event_calls().last().expect("a call")
}

fn answer(pair: &mut CallPair, id: CallId) {
    let now = pair.now;
    pair.ua
        .answer_call(now, id, Bytes::from_static(OFFER))
        .expect("answer");
    pair.run_for(Duration::from_secs(1));
}

#[test]
fn an_incoming_call_rings_is_answered_and_confirmed_by_its_ack() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    match &pair.call_events()[0] {
        CallEvent::Incoming { from, to, offer } => {
            assert_eq!(from.display.as_deref(), Some("Bob"));
            assert_eq!(from.number.as_deref(), Some("+4930123"));
            assert_eq!(to, "sip:alice@example.com");
            assert_eq!(offer.as_deref(), Some(OFFER_SDP));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pair.pbx.statuses("INVITE"), vec![100], "100 Trying at once");
    assert_eq!(
        pair.ua.call_state(id),
        Some(CallState::Incoming { ringing: false })
    );
    let now = pair.now;
    pair.ua.ring_call(now, id);
    pair.run_for(Duration::from_millis(100));
    assert_eq!(
        pair.ua.call_state(id),
        Some(CallState::Incoming { ringing: true })
    );
    answer(&mut pair, id);
    assert_eq!(pair.pbx.statuses("INVITE"), vec![100, 180, 200]);
    let (_, ok) = pair
        .pbx
        .responses
        .iter()
        .rev()
        .find(|(_, r)| r.status == 200)
        .expect("200");
    assert_eq!(ok.body, OFFER);
    let tag = ok.head.to.tag.clone().expect("our tag");
    let (_, ringing) = pair
        .pbx
        .responses
        .iter()
        .find(|(_, r)| r.status == 180)
        .expect("180");
    assert_eq!(
        ringing.head.to.tag.as_ref(),
        Some(&tag),
        "one tag for the dialog"
    );
    assert_eq!(ok.head.contacts()[0].uri, "sip:alice@192.0.2.10:5060");
    assert_eq!(pair.pbx.count("ACK"), 0);
    assert_eq!(pair.call_events().last(), Some(&CallEvent::Confirmed));
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
    // Our BYE goes to the caller's Contact through its Record-Route.
    let now = pair.now;
    pair.ua.hang_up(now, id);
    pair.run_for(Duration::from_secs(1));
    let bye = pair.pbx.last("BYE").expect("bye");
    assert_eq!(bye.uri, "sip:bob@203.0.113.5:5060");
    assert_eq!(
        bye.head.header_values("Route"),
        vec!["<sip:203.0.113.5:5060;lr>"]
    );
    assert_eq!(bye.head.from.tag.as_ref(), Some(&tag));
    assert_eq!(bye.head.cseq.seq, 1);
}

#[test]
fn copies_of_the_invite_get_the_last_response_and_one_event() {
    let mut pair = idle();
    pair.drop_next(false, "INVITE", 1);
    pair.drop_next(true, "SIP/2.0 100", 1);
    let now = pair.now;
    pair.pbx.invite(now, Some(OFFER_SDP), &[]);
    pair.run_for(Duration::from_secs(3));
    let incoming = pair
        .call_events()
        .iter()
        .filter(|e| matches!(e, CallEvent::Incoming { .. }))
        .count();
    assert_eq!(incoming, 1);
    assert_eq!(
        pair.sent_count("SIP/2.0 100"),
        2,
        "the copy got the 100 again"
    );
    assert_eq!(pair.pbx.statuses("INVITE"), vec![100]);
}

#[test]
fn a_lost_200_is_resent_until_the_ack_comes() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    pair.drop_next(true, "SIP/2.0 200", 2);
    answer(&mut pair, id);
    pair.run_for(Duration::from_secs(2));
    let times: Vec<f64> = pair
        .sent
        .iter()
        .filter(|(_, s)| s.starts_with("SIP/2.0 200"))
        .map(|(t, _)| pair.secs(*t))
        .collect();
    assert_eq!(times.len(), 3, "{times:?}");
    assert!(
        (times[1] - times[0] - 0.5).abs() < 1e-6 && (times[2] - times[1] - 1.0).abs() < 1e-6,
        "T1 doubling: {times:?}"
    );
    assert_eq!(
        pair.call_events()
            .iter()
            .filter(|e| **e == CallEvent::Confirmed)
            .count(),
        1
    );
    pair.run_for(Duration::from_secs(40));
    assert_eq!(pair.sent_count("SIP/2.0 200"), 3, "not after the ACK");
}

#[test]
fn no_ack_ever_ends_the_call_with_bye_after_64_t1() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    pair.drop_next(false, "ACK", 1000);
    answer(&mut pair, id);
    pair.run_for(Duration::from_secs(40));
    assert_eq!(
        pair.sent_count("SIP/2.0 200"),
        11,
        "T1 doubling to T2 for 32 s"
    );
    assert_eq!(pair.pbx.count("BYE"), 1);
    assert_eq!(
        pair.ends(),
        vec![CallEnd {
            code: None,
            by_peer: true,
            cause: EndCause::NoAck
        }]
    );
    assert!(pair.ends()[0].to_string().contains("firewall"));
}

#[test]
fn declining_answers_486_never_603() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    let now = pair.now;
    pair.ua.reject_call(now, id);
    pair.run_for(Duration::from_secs(2));
    assert_eq!(pair.pbx.statuses("INVITE"), vec![100, 486]);
    assert_eq!(pair.ends()[0].cause, EndCause::Rejected);
    assert_eq!(pair.sent_count("SIP/2.0 486"), 1, "the ACK stopped timer G");
    assert!(!pair.sent.iter().any(|(_, s)| s.starts_with("SIP/2.0 6")));
    // Hanging up an unanswered call is the same.
    let id = incoming(&mut pair, Some(OFFER_SDP));
    let now = pair.now;
    pair.ua.hang_up(now, id);
    pair.run_for(Duration::from_secs(2));
    assert_eq!(pair.sent_count("SIP/2.0 486"), 2);
}

#[test]
fn the_caller_cancelling_gets_200_and_487_and_a_missed_call() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    let now = pair.now;
    pair.ua.ring_call(now, id);
    pair.run_for(Duration::from_millis(500));
    let now = pair.now;
    pair.pbx.cancel(now);
    pair.run_for(Duration::from_secs(2));
    assert_eq!(pair.pbx.statuses("CANCEL"), vec![200]);
    assert_eq!(pair.pbx.statuses("INVITE"), vec![100, 180, 487]);
    assert_eq!(
        pair.ends(),
        vec![CallEnd {
            code: None,
            by_peer: true,
            cause: EndCause::CallerCancelled
        }]
    );
    assert!(pair.ends()[0].to_string().starts_with("missed"));
    assert_eq!(
        pair.ua.answer_call(pair.now, id, Bytes::from_static(OFFER)),
        Err(voicelamp_sip::call::CallError::NoCall)
    );
}

#[test]
fn a_second_call_while_one_is_up_gets_486_and_is_reported_missed() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    answer(&mut pair, id);
    let now = pair.now;
    pair.pbx.invite(now, Some(OFFER_SDP), &[]);
    pair.run_for(Duration::from_secs(2));
    let last = pair.pbx.responses.last().map(|(_, r)| r.status);
    assert_eq!(last, Some(486));
    let missed: Vec<_> = pair
        .call_events()
        .into_iter()
        .filter(|e| matches!(e, CallEvent::Missed { .. }))
        .collect();
    assert_eq!(missed.len(), 1);
    assert!(
        matches!(&missed[0], CallEvent::Missed { from, .. } if from.number.as_deref() == Some("+4930123"))
    );
    assert_eq!(
        pair.ua.call_state(id),
        Some(CallState::Connected),
        "the first call goes on"
    );
    // A start_call is refused too: one call at a time.
    let now = pair.now;
    assert_eq!(
        pair.ua
            .start_call(now, pair.account, "*97", Bytes::from_static(OFFER)),
        Err(voicelamp_sip::call::CallError::Busy)
    );
}

#[test]
fn the_machine_holds_a_few_calls_when_configured_and_no_more() {
    let config = UaConfig {
        max_calls: 100,
        ..ua_config()
    };
    let mut pair = CallPair::with(Box::new(|_, _| Vec::new()), account(Transport::Udp), config);
    for _ in 0..5 {
        let now = pair.now;
        pair.pbx.invite(now, Some(OFFER_SDP), &[]);
        pair.run_for(Duration::from_millis(200));
    }
    let incoming = pair
        .call_events()
        .iter()
        .filter(|e| matches!(e, CallEvent::Incoming { .. }))
        .count();
    let missed = pair
        .call_events()
        .iter()
        .filter(|e| matches!(e, CallEvent::Missed { .. }))
        .count();
    assert_eq!((incoming, missed), (voicelamp_sip::call::MAX_CALLS, 1));
    assert_eq!(pair.ua.calls().len(), voicelamp_sip::call::MAX_CALLS);
}

#[test]
fn an_account_that_takes_no_calls_answers_480_as_before() {
    let mut a = account(Transport::Udp);
    a.incoming_calls = IncomingCalls::Off;
    let mut pair = CallPair::with(Box::new(|_, _| Vec::new()), a, ua_config());
    let now = pair.now;
    pair.pbx.invite(now, Some(OFFER_SDP), &[]);
    pair.run_for(Duration::from_secs(2));
    assert_eq!(pair.pbx.statuses("INVITE"), vec![480]);
    assert!(pair.call_events().is_empty());
    assert_eq!(
        voicelamp_sip::config::AccountConfig::new("sip:a@b", "sip:b", "a", pair_flow())
            .incoming_calls,
        IncomingCalls::Off,
        "the default"
    );
}

fn pair_flow() -> voicelamp_sip::config::Flow {
    account(Transport::Udp).flow
}

#[test]
fn hanging_up_before_the_ack_sends_bye_once_it_comes() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    pair.drop_next(false, "ACK", 1);
    let now = pair.now;
    pair.ua
        .answer_call(now, id, Bytes::from_static(OFFER))
        .expect("answer");
    pair.run_for(Duration::from_millis(100));
    let now = pair.now;
    pair.ua.hang_up(now, id);
    pair.run_for(Duration::from_millis(200));
    assert_eq!(pair.pbx.count("BYE"), 0, "no BYE before the ACK");
    pair.run_for(Duration::from_secs(3));
    assert_eq!(pair.pbx.count("BYE"), 1);
    assert_eq!(pair.ends()[0].cause, EndCause::HungUp);
}

#[test]
fn an_invite_without_sdp_gets_our_offer_and_the_answer_comes_in_the_ack() {
    let mut pair = idle();
    let id = incoming(&mut pair, None);
    assert!(matches!(
        &pair.call_events()[0],
        CallEvent::Incoming { offer: None, .. }
    ));
    answer(&mut pair, id);
    let (_, ok) = pair
        .pbx
        .responses
        .iter()
        .rev()
        .find(|(_, r)| r.status == 200)
        .expect("200");
    assert_eq!(ok.body, OFFER, "our offer in the 200");
    let events = pair.call_events();
    assert_eq!(
        events[events.len() - 2..],
        [
            CallEvent::Confirmed,
            CallEvent::RemoteAnswer {
                answer: Bytes::from_static(call::pbx::ANSWER_SDP)
            }
        ]
    );
}

#[test]
fn a_bye_from_the_caller_is_answered_200() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    answer(&mut pair, id);
    let now = pair.now;
    pair.pbx.in_dialog(now, "BYE", &[], None);
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.pbx.statuses("BYE"), vec![200]);
    assert_eq!(
        pair.ends(),
        vec![CallEnd {
            code: None,
            by_peer: true,
            cause: EndCause::HungUp
        }]
    );
}

#[test]
fn a_call_that_rings_unanswered_is_refused_480_in_the_end() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    let now = pair.now;
    pair.ua.ring_call(now, id);
    pair.run_for(MAX_INCOMING_RINGING + Duration::from_secs(1));
    assert_eq!(pair.pbx.statuses("INVITE"), vec![100, 180, 480]);
    assert_eq!(pair.ends()[0].cause, EndCause::NotAnswered);
}

#[test]
fn requests_for_a_dialog_that_is_gone_get_481() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    answer(&mut pair, id);
    let now = pair.now;
    pair.pbx.in_dialog(now, "BYE", &[], None);
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.ua.call_state(id), None);
    let now = pair.now;
    pair.pbx.in_dialog(
        now,
        "INFO",
        &[],
        Some(("application/dtmf-relay", b"Signal=1\r\nDuration=100\r\n")),
    );
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.pbx.statuses("INFO"), vec![481]);
}

#[test]
fn an_invite_requiring_an_extension_we_lack_gets_420() {
    let mut pair = idle();
    let now = pair.now;
    pair.pbx
        .invite(now, Some(OFFER_SDP), &[("Require", "100rel")]);
    pair.run_for(Duration::from_secs(1));
    let (_, refused) = pair.pbx.responses.last().expect("420");
    assert_eq!(refused.status, 420);
    assert_eq!(
        refused.head.header("Unsupported").as_deref(),
        Some("100rel")
    );
    assert!(pair.call_events().is_empty());
}

#[test]
fn a_call_without_a_common_codec_is_declined_488_and_never_with_a_6xx() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    let now = pair.now;
    pair.ua.reject_call_with(now, id, 488);
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.pbx.statuses("INVITE"), vec![100, 488]);
    assert_eq!(pair.ends()[0].code, Some(488));
    let id = incoming(&mut pair, Some(OFFER_SDP));
    let now = pair.now;
    pair.ua.reject_call_with(now, id, 603);
    pair.run_for(Duration::from_secs(1));
    assert_eq!(
        pair.pbx.statuses("INVITE"),
        vec![100, 488, 100, 486],
        "603 becomes 486"
    );
}

#[test]
fn a_bye_before_the_ack_ends_the_call_without_a_bye_of_ours() {
    let mut pair = idle();
    let id = incoming(&mut pair, Some(OFFER_SDP));
    pair.drop_next(false, "ACK", 1000);
    answer(&mut pair, id);
    let now = pair.now;
    pair.pbx.in_dialog(now, "BYE", &[], None);
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.pbx.statuses("BYE"), vec![200]);
    assert_eq!(
        pair.pbx.count("BYE"),
        0,
        "the dialog is over: no BYE of ours"
    );
    assert_eq!(pair.ends().len(), 1);
    assert_eq!(pair.ends()[0].cause, EndCause::HungUp);
}
