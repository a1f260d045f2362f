//! Our own re-INVITE inside a call (hold, resume), against the in-memory PBX in simulated
//! time: the answer is reported, a `491` is retried once after 2.1–4 s, a `488` leaves the call
//! up, `481` ends it, a lost re-INVITE is sent again on timer A.

mod call;

use bytes::Bytes;
use call::pbx::{ANSWER_SDP, T1, step};
use call::{CallPair, OFFER};
use std::time::Duration;
use voicelamp_sip::call::{CallError, CallEvent, CallId, CallState, EndCause};

const HOLD_OFFER: &[u8] = b"v=0\r\no=alice 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 8 101\r\na=sendonly\r\n";

fn connected() -> (CallPair, CallId) {
    let mut pair = CallPair::new(Box::new(|_, _| {
        vec![step(0, 180), step(100, 200).sdp(ANSWER_SDP)]
    }));
    let id = pair.call("bob");
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
    (pair, id)
}

/// The user agent's re-INVITEs the PBX got (in-dialog INVITEs), as (time, body).
fn reinvites(pair: &CallPair) -> Vec<(f64, Vec<u8>)> {
    pair.pbx
        .requests
        .iter()
        .filter(|(_, r)| r.method.as_str() == "INVITE" && r.head.to.tag.is_some())
        .map(|(t, r)| (pair.secs(*t), r.body.to_vec()))
        .collect()
}

fn hold(pair: &mut CallPair, id: CallId) {
    let now = pair.now;
    pair.ua
        .update_call(now, id, Bytes::from_static(HOLD_OFFER))
        .expect("the call is up");
    pair.drain();
}

#[test]
fn hold_goes_out_as_a_reinvite_and_the_answer_is_reported() {
    let (mut pair, id) = connected();
    let acks_before = pair.pbx.count("ACK");
    hold(&mut pair, id);
    let answer = pair.run_until_event(Duration::from_secs(5), |e| {
        matches!(
            e,
            CallEvent::RemoteAnswer { .. } | CallEvent::UpdateFailed { .. }
        )
    });
    assert_eq!(
        answer,
        Some(CallEvent::RemoteAnswer {
            answer: Bytes::from_static(ANSWER_SDP)
        })
    );
    let sent = reinvites(&pair);
    assert_eq!(sent.len(), 1, "one re-INVITE");
    assert!(
        String::from_utf8_lossy(&sent[0].1).contains("a=sendonly"),
        "our offer rides in it"
    );
    let invite = pair.pbx.last("INVITE").expect("re-INVITE").clone();
    let first = &pair
        .pbx
        .requests
        .iter()
        .find(|(_, r)| r.method.as_str() == "INVITE")
        .unwrap()
        .1;
    assert_eq!(invite.head.cseq.seq, first.head.cseq.seq + 1, "CSeq grows");
    assert_eq!(
        invite.uri, "sip:bob@203.0.113.5:5060",
        "to the remote target"
    );
    assert_eq!(
        invite.head.header("Route").as_deref(),
        Some("<sip:203.0.113.5:5060;lr>"),
        "through the route set"
    );
    pair.run_for(Duration::from_secs(2));
    assert_eq!(
        pair.pbx.count("ACK"),
        acks_before + 1,
        "the 2xx is ACKed once"
    );
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
    // A second change while none is under way is fine: resume.
    let now = pair.now;
    pair.ua
        .update_call(now, id, Bytes::from_static(OFFER))
        .expect("resume");
    pair.drain();
    let busy = pair.ua.update_call(now, id, Bytes::from_static(HOLD_OFFER));
    assert!(
        matches!(busy, Err(CallError::NotNow(_))),
        "one at a time: {busy:?}"
    );
    pair.run_for(Duration::from_secs(2));
    assert_eq!(reinvites(&pair).len(), 2);
}

#[test]
fn glare_491_is_retried_once_after_the_random_wait_then_given_up() {
    let (mut pair, id) = connected();
    pair.pbx.reinvite_statuses = [491, 491, 491].into_iter().collect();
    hold(&mut pair, id);
    let failed = pair.run_until_event(Duration::from_secs(20), |e| {
        matches!(
            e,
            CallEvent::UpdateFailed { .. } | CallEvent::RemoteAnswer { .. }
        )
    });
    assert_eq!(failed, Some(CallEvent::UpdateFailed { code: Some(491) }));
    let sent = reinvites(&pair);
    assert_eq!(sent.len(), 2, "the first and one retry: {sent:?}");
    let gap = sent[1].0 - sent[0].0;
    assert!((2.1..=4.1).contains(&gap), "retried after {gap} s");
    pair.run_for(Duration::from_secs(30));
    assert_eq!(reinvites(&pair).len(), 2, "never a third");
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
}

#[test]
fn glare_491_then_accepted_reports_the_answer() {
    let (mut pair, id) = connected();
    pair.pbx.reinvite_statuses = [491].into_iter().collect();
    hold(&mut pair, id);
    let answer = pair.run_until_event(Duration::from_secs(10), |e| {
        matches!(
            e,
            CallEvent::UpdateFailed { .. } | CallEvent::RemoteAnswer { .. }
        )
    });
    assert_eq!(
        answer,
        Some(CallEvent::RemoteAnswer {
            answer: Bytes::from_static(ANSWER_SDP)
        })
    );
    assert_eq!(reinvites(&pair).len(), 2);
}

#[test]
fn a_488_keeps_the_call_and_a_481_ends_it() {
    let (mut pair, id) = connected();
    pair.pbx.reinvite_statuses = [488, 481].into_iter().collect();
    hold(&mut pair, id);
    let failed = pair.run_until_event(Duration::from_secs(5), |e| {
        matches!(
            e,
            CallEvent::UpdateFailed { .. } | CallEvent::RemoteAnswer { .. }
        )
    });
    assert_eq!(failed, Some(CallEvent::UpdateFailed { code: Some(488) }));
    pair.run_for(Duration::from_secs(2));
    assert_eq!(
        pair.ua.call_state(id),
        Some(CallState::Connected),
        "488 keeps the call"
    );
    assert!(pair.ends().is_empty());
    assert_eq!(pair.sent_count("BYE"), 0);
    hold(&mut pair, id);
    pair.run_until_event(Duration::from_secs(5), |e| {
        matches!(e, CallEvent::Ended { .. })
    })
    .expect("481 ends the call");
    assert_eq!(pair.ends()[0].cause, EndCause::DialogLost);
}

#[test]
fn a_lost_reinvite_is_sent_again_on_timer_a() {
    let (mut pair, id) = connected();
    pair.drop_next(true, "INVITE", 1);
    hold(&mut pair, id);
    let answer = pair.run_until_event(Duration::from_secs(5), |e| {
        matches!(
            e,
            CallEvent::RemoteAnswer { .. } | CallEvent::UpdateFailed { .. }
        )
    });
    assert!(
        matches!(answer, Some(CallEvent::RemoteAnswer { .. })),
        "{answer:?}"
    );
    assert_eq!(pair.dropped.len(), 1, "the first copy was lost");
    let got = reinvites(&pair);
    assert_eq!(got.len(), 1, "the PBX got the copy");
    let sent: Vec<f64> = pair
        .sent
        .iter()
        .filter(|(_, s)| s.starts_with("INVITE") && s.contains(";tag=pbx"))
        .map(|(t, _)| pair.secs(*t))
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    let gap = sent[1] - sent[0];
    assert!(
        (gap - T1.as_secs_f64()).abs() < 0.02,
        "timer A is T1: {gap}"
    );
}

#[test]
fn no_change_before_the_call_is_up() {
    let mut pair = CallPair::new(Box::new(|_, _| vec![step(0, 180)]));
    let id = pair.call("bob");
    pair.run_for(Duration::from_secs(1));
    let now = pair.now;
    let early = pair.ua.update_call(now, id, Bytes::from_static(HOLD_OFFER));
    assert!(matches!(early, Err(CallError::NotNow(_))), "{early:?}");
    assert_eq!(reinvites(&pair).len(), 0);
}
