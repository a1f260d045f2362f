//! Inside a call, against the in-memory PBX in simulated time: the far end's re-INVITE and
//! UPDATE (answered by the app, or with the last local SDP after the bound; without SDP: our
//! offer, the answer in the ACK), RFC 4028 session timers both ways (refresh by UPDATE or
//! re-INVITE, BYE when the session expires, 422), and DTMF by INFO both ways.

mod call;

use bytes::Bytes;
use call::pbx::{ANSWER_SDP, OFFER_SDP, step};
use call::{CallPair, OFFER};
use std::time::Duration;
use voicelamp_sip::call::{ANSWER_OFFER_WAIT, CallError, CallEvent, CallId, CallState, EndCause};

const HOLD_SDP: &[u8] = b"v=0\r\no=pbx 1 2 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendonly\r\n";
const HELD_SDP: &[u8] = b"v=0\r\no=alice 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\na=recvonly\r\n";

/// A call the user agent made, answered with `headers` on the 200.
fn connected_with(headers: &[(&str, &str)], no_update: bool) -> (CallPair, CallId) {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let mut pair = CallPair::new(Box::new(move |_, _| {
        let mut ok = step(100, 200).sdp(ANSWER_SDP);
        for (n, v) in &headers {
            ok = ok.with(n, v);
        }
        vec![step(0, 180), ok]
    }));
    pair.pbx.no_update = no_update;
    let id = pair.call("bob");
    pair.run_for(Duration::from_secs(1));
    assert_eq!(
        pair.ua.call_state(id),
        Some(CallState::Connected),
        "{:?}",
        pair.call_events()
    );
    (pair, id)
}

fn connected() -> (CallPair, CallId) {
    connected_with(&[], false)
}

fn last_ok(pair: &CallPair, method: &str) -> voicelamp_sip::message::Response {
    pair.pbx
        .responses
        .iter()
        .rev()
        .find(|(_, r)| r.status == 200 && r.head.cseq.method.as_str() == method)
        .map(|(_, r)| r.clone())
        .expect("a 200")
}

#[test]
fn a_hold_reinvite_is_offered_to_the_app_and_answered_with_its_sdp() {
    let (mut pair, id) = connected();
    let now = pair.now;
    pair.pbx
        .in_dialog(now, "INVITE", &[], Some(("application/sdp", HOLD_SDP)));
    let offer = pair.run_until_event(Duration::from_secs(1), |e| {
        matches!(e, CallEvent::RemoteOffer { .. })
    });
    assert_eq!(
        offer,
        Some(CallEvent::RemoteOffer {
            offer: Bytes::from_static(HOLD_SDP)
        })
    );
    pair.run_for(Duration::from_millis(100));
    assert_eq!(
        pair.pbx.statuses("INVITE").last(),
        Some(&100),
        "100 Trying while the app decides"
    );
    let now = pair.now;
    pair.ua
        .answer_offer(now, id, Bytes::from_static(HELD_SDP))
        .expect("answer");
    pair.run_for(Duration::from_secs(1));
    assert_eq!(last_ok(&pair, "INVITE").body, HELD_SDP);
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
    assert_eq!(
        pair.sent_count("SIP/2.0 200"),
        1,
        "the PBX's ACK stopped the 200"
    );
    assert_eq!(
        pair.ua
            .answer_offer(pair.now, id, Bytes::from_static(HELD_SDP)),
        Err(CallError::NotNow(
            "the far end has no new offer waiting for an answer"
        ))
    );
}

#[test]
fn an_offer_the_app_does_not_answer_gets_the_last_local_sdp_after_the_bound() {
    let (mut pair, id) = connected();
    let now = pair.now;
    pair.pbx
        .in_dialog(now, "INVITE", &[], Some(("application/sdp", HOLD_SDP)));
    pair.run_for(ANSWER_OFFER_WAIT - Duration::from_millis(100));
    assert!(!pair.pbx.statuses("INVITE").contains(&200));
    pair.run_for(Duration::from_secs(1));
    assert_eq!(
        last_ok(&pair, "INVITE").body,
        OFFER,
        "the peer is never left hanging"
    );
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
}

#[test]
fn an_update_with_sdp_is_offered_and_answered() {
    let (mut pair, id) = connected();
    let now = pair.now;
    pair.pbx
        .in_dialog(now, "UPDATE", &[], Some(("application/sdp", HOLD_SDP)));
    pair.run_until_event(Duration::from_secs(1), |e| {
        matches!(e, CallEvent::RemoteOffer { .. })
    })
    .expect("offer");
    let now = pair.now;
    pair.ua
        .answer_offer(now, id, Bytes::from_static(HELD_SDP))
        .expect("answer");
    pair.run_for(Duration::from_secs(1));
    assert_eq!(last_ok(&pair, "UPDATE").body, HELD_SDP);
    assert_eq!(pair.pbx.statuses("UPDATE"), vec![200]);
}

#[test]
fn a_reinvite_without_sdp_gets_our_offer_and_the_answer_comes_in_the_ack() {
    let (mut pair, _) = connected();
    let now = pair.now;
    pair.pbx.in_dialog(now, "INVITE", &[], None);
    pair.run_for(Duration::from_secs(1));
    assert_eq!(
        last_ok(&pair, "INVITE").body,
        OFFER,
        "the last local SDP as the offer"
    );
    assert_eq!(
        pair.call_events().last(),
        Some(&CallEvent::RemoteAnswer {
            answer: Bytes::from_static(ANSWER_SDP)
        })
    );
}

#[test]
fn as_refresher_the_call_is_refreshed_by_update_at_half_the_interval() {
    let (mut pair, id) = connected_with(
        &[
            ("Session-Expires", "90;refresher=uac"),
            ("Require", "timer"),
        ],
        false,
    );
    pair.run_for(Duration::from_secs(600));
    let updates: Vec<f64> = pair
        .pbx
        .requests
        .iter()
        .filter(|(_, r)| r.method.as_str() == "UPDATE")
        .map(|(t, _)| pair.secs(*t))
        .collect();
    assert_eq!(updates.len(), 13, "{updates:?}");
    assert!((updates[1] - updates[0] - 45.0).abs() < 0.1, "{updates:?}");
    let update = pair.pbx.last("UPDATE").expect("update");
    assert_eq!(
        update.head.header("Session-Expires").as_deref(),
        Some("90;refresher=uac")
    );
    assert!(update.body.is_empty());
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
    assert_eq!(pair.pbx.count("BYE"), 0);
}

#[test]
fn without_update_the_refresh_is_a_reinvite_with_the_last_sdp() {
    let (mut pair, id) = connected_with(&[("Session-Expires", "120;refresher=uac")], true);
    pair.run_for(Duration::from_secs(130));
    let reinvites: Vec<_> = pair
        .pbx
        .requests
        .iter()
        .filter(|(_, r)| r.method.as_str() == "INVITE" && r.head.to.tag.is_some())
        .map(|(_, r)| r.clone())
        .collect();
    assert_eq!(reinvites.len(), 2, "at 60 s and 120 s");
    assert_eq!(reinvites[0].body, OFFER);
    assert_eq!(reinvites[1].head.cseq.seq, reinvites[0].head.cseq.seq + 1);
    let acks = pair
        .pbx
        .requests
        .iter()
        .filter(|(_, r)| r.method.as_str() == "ACK")
        .count();
    assert_eq!(acks, 3, "the call's ACK and one per refresh");
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
}

#[test]
fn when_the_far_end_refreshes_and_stops_the_call_ends_with_bye() {
    let (mut pair, id) = connected_with(&[("Session-Expires", "90;refresher=uas")], false);
    // The PBX refreshes once at 40 s (UPDATE without SDP), then never again.
    pair.run_for(Duration::from_secs(40));
    let now = pair.now;
    pair.pbx.in_dialog(
        now,
        "UPDATE",
        &[("Session-Expires", "90;refresher=uac")],
        None,
    );
    pair.run_for(Duration::from_secs(1));
    let ok = last_ok(&pair, "UPDATE");
    assert_eq!(
        ok.head.header("Session-Expires").as_deref(),
        Some("90;refresher=uac")
    );
    pair.run_for(Duration::from_secs(58));
    assert_eq!(pair.pbx.count("BYE"), 0, "the refresh moved the end");
    pair.run_for(Duration::from_secs(5));
    assert_eq!(pair.pbx.count("BYE"), 1);
    let bye_at = pair
        .pbx
        .requests
        .iter()
        .find(|(_, r)| r.method.as_str() == "BYE")
        .map(|(t, _)| pair.secs(*t))
        .expect("bye");
    assert!(
        (bye_at - 101.0).abs() < 0.5,
        "60 s after the refresh: {bye_at}"
    );
    assert_eq!(pair.ends()[0].cause, EndCause::SessionExpired);
    assert_eq!(pair.ua.call_state(id), Some(CallState::Ending));
}

#[test]
fn a_422_to_the_invite_is_followed_once_with_its_min_se() {
    let mut pair = CallPair::new(Box::new(|req, _| {
        match req.head.header("Session-Expires") {
            Some(se) if se == "1800" => vec![
                step(0, 200)
                    .sdp(ANSWER_SDP)
                    .with("Session-Expires", "1800;refresher=uas"),
            ],
            _ => vec![step(0, 422).with("Min-SE", "1800")],
        }
    }));
    let id = pair.call("bob");
    pair.run_for(Duration::from_secs(2));
    assert_eq!(pair.pbx.count("INVITE"), 2);
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
}

#[test]
fn a_refresh_answered_481_ends_the_call_and_422_steps_once() {
    let (mut pair, _) = connected_with(&[("Session-Expires", "90;refresher=uac")], false);
    pair.pbx.refresh_status = 422;
    pair.pbx.refresh_headers = vec![("Min-SE".into(), "100".into())];
    pair.run_for(Duration::from_secs(50));
    assert_eq!(
        pair.pbx.count("UPDATE"),
        2,
        "one step up to Min-SE, not one per answer"
    );
    pair.pbx.refresh_status = 481;
    pair.pbx.refresh_headers.clear();
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.ends().len(), 1);
    assert!(
        matches!(
            pair.ends()[0].cause,
            EndCause::DialogLost | EndCause::SessionExpired
        ),
        "{:?}",
        pair.ends()
    );
}

#[test]
fn an_incoming_invite_with_session_expires_is_answered_with_the_caller_refreshing() {
    let mut pair = CallPair::new(Box::new(|_, _| Vec::new()));
    let now = pair.now;
    pair.pbx.invite(
        now,
        Some(OFFER_SDP),
        &[("Session-Expires", "1800"), ("Supported", "timer")],
    );
    pair.run_for(Duration::from_millis(100));
    let id = *pair.event_calls().last().expect("call");
    let now = pair.now;
    pair.ua
        .answer_call(now, id, Bytes::from_static(OFFER))
        .expect("answer");
    pair.run_for(Duration::from_secs(1));
    let ok = last_ok(&pair, "INVITE");
    assert_eq!(
        ok.head.header("Session-Expires").as_deref(),
        Some("1800;refresher=uac")
    );
    assert_eq!(ok.head.header("Require").as_deref(), Some("timer"));
    // Too short an interval is refused with our Min-SE.
    let now = pair.now;
    pair.pbx
        .invite(now, Some(OFFER_SDP), &[("Session-Expires", "30")]);
    pair.run_for(Duration::from_secs(1));
    let (_, refused) = pair.pbx.responses.last().expect("422");
    assert_eq!(refused.status, 422);
    assert_eq!(refused.head.header("Min-SE").as_deref(), Some("90"));
}

#[test]
fn dtmf_by_info_goes_one_press_at_a_time_in_order_through_loss() {
    let (mut pair, id) = connected();
    pair.drop_next(true, "INFO", 1);
    let now = pair.now;
    for digit in ['1', '2', '3', '4', '#'] {
        pair.ua.send_dtmf_info(now, id, digit, 160).expect("queued");
    }
    assert_eq!(
        pair.ua.send_dtmf_info(now, id, 'x', 160),
        Err(CallError::BadDigit('x'))
    );
    pair.run_for(Duration::from_secs(5));
    let bodies: Vec<String> = pair
        .pbx
        .requests
        .iter()
        .filter(|(_, r)| r.method.as_str() == "INFO")
        .map(|(_, r)| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    let signals: Vec<&str> = bodies
        .iter()
        .map(|b| b.lines().next().unwrap_or(""))
        .collect();
    assert_eq!(
        signals,
        vec!["Signal=1", "Signal=2", "Signal=3", "Signal=4", "Signal=#"]
    );
    assert_eq!(bodies[0], "Signal=1\r\nDuration=160\r\n");
    let info = pair.pbx.last("INFO").expect("info");
    assert_eq!(
        info.head.content_type().as_deref(),
        Some("application/dtmf-relay")
    );
    assert_eq!(pair.sent_count("INFO"), 6, "the lost first one sent again");
}

#[test]
fn an_incoming_info_is_answered_200_and_reported() {
    let (mut pair, _) = connected();
    let now = pair.now;
    pair.pbx.in_dialog(
        now,
        "INFO",
        &[],
        Some(("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n")),
    );
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.pbx.statuses("INFO"), vec![200]);
    assert_eq!(
        pair.call_events().last(),
        Some(&CallEvent::DtmfInfo {
            digit: '5',
            duration_ms: 160
        })
    );
    // Any other INFO is answered too, without an event.
    let now = pair.now;
    pair.pbx.in_dialog(
        now,
        "INFO",
        &[],
        Some(("application/media_control+xml", b"<x/>")),
    );
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.pbx.statuses("INFO"), vec![200, 200]);
    let dtmf = pair
        .call_events()
        .iter()
        .filter(|e| matches!(e, CallEvent::DtmfInfo { .. }))
        .count();
    assert_eq!(dtmf, 1);
}

#[test]
fn a_flood_of_reinvites_is_answered_once_each_and_never_amplified() {
    let (mut pair, _) = connected();
    for _ in 0..50 {
        let now = pair.now;
        pair.pbx
            .in_dialog(now, "INVITE", &[], Some(("application/sdp", HOLD_SDP)));
        pair.run_for(Duration::from_millis(50));
    }
    pair.run_for(Duration::from_secs(10));
    let sent = pair.sent.len();
    // Each re-INVITE: a 100 and one final answer (a 500 while another offer waits).
    let finals = pair
        .sent
        .iter()
        .filter(|(_, s)| s.starts_with("SIP/2.0 ") && !s.starts_with("SIP/2.0 100"))
        .count();
    let busy = pair.sent_count("SIP/2.0 500");
    assert_eq!(
        finals, 50,
        "one final answer per re-INVITE, each ACKed at once"
    );
    assert!(
        busy > 0 && busy < 50,
        "a re-INVITE while an offer waits gets 500: {busy}"
    );
    let trying = pair.sent_count("SIP/2.0 100");
    assert_eq!(
        sent,
        2 + finals + trying,
        "the call's INVITE and ACK, then answers only"
    );
    assert_eq!(
        pair.sent_count("SIP/2.0 200"),
        trying,
        "each offer let in is answered"
    );
}

#[test]
fn an_offer_without_a_common_codec_is_refused_488_and_the_call_goes_on() {
    let (mut pair, id) = connected();
    let now = pair.now;
    pair.pbx
        .in_dialog(now, "INVITE", &[], Some(("application/sdp", HOLD_SDP)));
    pair.run_until_event(Duration::from_secs(1), |e| {
        matches!(e, CallEvent::RemoteOffer { .. })
    })
    .expect("offer");
    let now = pair.now;
    pair.ua.refuse_offer(now, id).expect("refused");
    pair.run_for(Duration::from_secs(5));
    assert_eq!(pair.pbx.statuses("INVITE"), vec![100, 488]);
    assert_eq!(pair.sent_count("SIP/2.0 488"), 1, "ACKed");
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
}

#[test]
fn an_offer_right_after_our_answered_refresh_is_not_taken_for_glare() {
    let (mut pair, _) = connected_with(&[("Session-Expires", "90;refresher=uac")], false);
    pair.run_for(Duration::from_secs(46));
    assert_eq!(pair.pbx.statuses("UPDATE"), Vec::<u16>::new());
    assert_eq!(pair.pbx.count("UPDATE"), 1, "our refresh, answered");
    // Within Timer K of that UPDATE: a far-end offer is the app's, not a 491.
    let now = pair.now;
    pair.pbx
        .in_dialog(now, "INVITE", &[], Some(("application/sdp", HOLD_SDP)));
    let offer = pair.run_until_event(Duration::from_secs(1), |e| {
        matches!(e, CallEvent::RemoteOffer { .. })
    });
    assert!(offer.is_some(), "{:?}", pair.pbx.statuses("INVITE"));
}
