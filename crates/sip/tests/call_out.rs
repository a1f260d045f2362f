//! Outgoing calls against the in-memory PBX in simulated time: answer, early media, CANCEL,
//! BYE both ways, digest, redirect, failures in words, and loss of INVITE, 200, ACK and BYE.

mod call;

use call::pbx::{ANSWER_SDP, Step, step};
use call::{CallPair, OFFER};
use std::time::Duration;
use voicelamp_sip::auth::{DigestAlgorithm, Qop, digest_response};
use voicelamp_sip::call::{CallEnd, CallEvent, CallState, EndCause, MAX_INVITES_PER_CALL};

fn answering(ring_ms: u64) -> call::pbx::Script {
    Box::new(move |_, _| {
        vec![
            step(0, 100),
            step(50, 180),
            step(ring_ms, 200).sdp(ANSWER_SDP),
        ]
    })
}

fn connected(pair: &mut CallPair) -> voicelamp_sip::call::CallId {
    let id = pair.call("bob");
    let answered = pair.run_until_event(Duration::from_secs(5), |e| {
        matches!(e, CallEvent::Answered { .. })
    });
    assert!(answered.is_some(), "answered: {:?}", pair.call_events());
    pair.run_for(Duration::from_millis(100));
    id
}

#[test]
fn an_answered_call_is_acked_in_its_dialog_and_hung_up_with_bye() {
    let mut pair = CallPair::new(answering(1000));
    let id = pair.call("bob");
    pair.run_for(Duration::from_secs(3));
    let invite = pair.pbx.last("INVITE").expect("invite").clone();
    assert_eq!(invite.uri, "sip:bob@example.com");
    assert_eq!(invite.body, OFFER);
    assert_eq!(
        invite.head.content_type().as_deref(),
        Some("application/sdp")
    );
    assert_eq!(
        pair.call_events(),
        vec![
            CallEvent::Progress {
                code: 180,
                early_answer: None
            },
            CallEvent::Answered {
                answer: ANSWER_SDP.to_vec().into()
            },
        ]
    );
    assert_eq!(pair.ua.call_state(id), Some(CallState::Connected));
    // The ACK goes to the remote target (the 200's Contact) through the route set.
    let ack = pair.pbx.last("ACK").expect("ack");
    assert_eq!(ack.uri, "sip:bob@203.0.113.5:5060");
    assert_eq!(
        ack.head.header_values("Route"),
        vec!["<sip:203.0.113.5:5060;lr>"]
    );
    assert_eq!(
        (ack.head.cseq.seq, ack.head.to.tag.as_deref()),
        (1, Some("pbx1"))
    );
    assert_eq!(pair.pbx.count("ACK"), 1);

    let now = pair.now;
    pair.ua.hang_up(now, id);
    pair.drain();
    assert_eq!(
        pair.ends(),
        vec![CallEnd {
            code: None,
            by_peer: false,
            cause: EndCause::HungUp
        }]
    );
    pair.run_for(Duration::from_secs(1));
    let bye = pair.pbx.last("BYE").expect("bye");
    assert_eq!(
        (bye.head.cseq.seq, bye.uri.as_str()),
        (2, "sip:bob@203.0.113.5:5060")
    );
    assert_eq!(bye.head.from.tag, invite.head.from.tag);
    assert_eq!(bye.head.to.tag.as_deref(), Some("pbx1"));
    pair.run_for(Duration::from_secs(40));
    assert_eq!(
        pair.ua.call_state(id),
        None,
        "the call is gone once its BYE is answered"
    );
    assert_eq!(pair.ua.poll_timeout(), None, "nothing left to do");
    assert_eq!(pair.pbx.count("BYE"), 1);
}

#[test]
fn early_media_in_183_is_reported_once_then_the_answer() {
    let mut pair = CallPair::new(Box::new(|_, _| {
        vec![
            step(0, 183).sdp(ANSWER_SDP),
            step(200, 183).sdp(ANSWER_SDP),
            step(400, 180),
            step(2000, 200).sdp(ANSWER_SDP),
        ]
    }));
    let id = pair.call("*97");
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.ua.call_state(id), Some(CallState::EarlyMedia));
    assert_eq!(
        pair.pbx.last("INVITE").expect("invite").uri,
        "sip:*97@example.com"
    );
    pair.run_for(Duration::from_secs(2));
    let events = pair.call_events();
    assert_eq!(
        events,
        vec![
            CallEvent::Progress {
                code: 183,
                early_answer: Some(ANSWER_SDP.to_vec().into())
            },
            CallEvent::Progress {
                code: 180,
                early_answer: None
            },
            CallEvent::Answered {
                answer: ANSWER_SDP.to_vec().into()
            },
        ],
        "a repeated 183 is not reported again"
    );
}

#[test]
fn a_lost_invite_is_sent_again_on_timer_a() {
    let mut pair = CallPair::new(answering(500));
    pair.drop_next(true, "INVITE", 2);
    connected(&mut pair);
    let invites: Vec<f64> = pair
        .sent
        .iter()
        .filter(|(_, s)| s.starts_with("INVITE"))
        .map(|(t, _)| pair.secs(*t))
        .collect();
    assert_eq!(invites, vec![0.0, 0.5, 1.5], "T1, then 2·T1");
    assert_eq!(pair.pbx.count("INVITE"), 1);
}

#[test]
fn a_lost_ack_makes_the_pbx_resend_200_and_each_copy_is_acked_again() {
    let mut pair = CallPair::new(answering(500));
    pair.drop_next(true, "ACK", 2);
    connected(&mut pair);
    pair.run_for(Duration::from_secs(5));
    assert_eq!(pair.sent_count("ACK"), 3, "one ACK per copy of the 200");
    assert_eq!(pair.pbx.count("ACK"), 1);
    let answered = pair
        .call_events()
        .iter()
        .filter(|e| matches!(e, CallEvent::Answered { .. }))
        .count();
    assert_eq!(answered, 1, "copies are not new answers");
}

#[test]
fn a_lost_200_is_resent_by_the_pbx_and_copies_after_timer_m_are_acked_too() {
    let mut pair = CallPair::new(answering(500));
    pair.drop_next(false, "SIP/2.0 200", 1);
    connected(&mut pair);
    assert_eq!(pair.dropped.len(), 1);
    assert_eq!((pair.sent_count("ACK"), pair.pbx.count("ACK")), (1, 1));
    let answered_at = pair
        .events
        .iter()
        .find(|(_, e)| {
            matches!(
                e,
                voicelamp_sip::Event::Call {
                    event: CallEvent::Answered { .. },
                    ..
                }
            )
        })
        .map(|(t, _)| pair.secs(*t))
        .expect("answered");
    assert!(
        answered_at >= 1.0,
        "answered by the copy sent T1 later: {answered_at}"
    );
    // Long after the INVITE transaction ended (timer M), a copy of the 200 still gets an ACK
    // from the dialog, and no second answer.
    pair.run_for(Duration::from_secs(40));
    let ok = pair.pbx.last_ok.clone().expect("the 200");
    pair.inject(ok);
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.pbx.count("ACK"), 2);
    let answers = pair
        .call_events()
        .iter()
        .filter(|e| matches!(e, CallEvent::Answered { .. }))
        .count();
    assert_eq!(answers, 1);
}

#[test]
fn silence_ends_the_call_on_timer_b_in_words() {
    let mut pair = CallPair::new(Box::new(|_, _| Vec::new()));
    let id = pair.call("bob");
    pair.run_for(Duration::from_secs(40));
    assert_eq!(
        pair.pbx.count("INVITE"),
        7,
        "0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s"
    );
    let end = pair.ends();
    assert_eq!(end.len(), 1);
    assert_eq!(end[0].cause, EndCause::Timeout);
    assert!(
        end[0].to_string().contains("check the network"),
        "{}",
        end[0]
    );
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.ua.call_state(id), None);
}

#[test]
fn cancel_while_ringing_gets_200_and_the_487_is_acked() {
    let mut pair = CallPair::new(Box::new(|_, _| {
        vec![
            step(0, 100),
            step(100, 180),
            step(60_000, 200).sdp(ANSWER_SDP),
        ]
    }));
    let id = pair.call("bob");
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.ua.call_state(id), Some(CallState::Ringing));
    let now = pair.now;
    pair.ua.hang_up(now, id);
    pair.run_for(Duration::from_secs(2));
    let cancel = pair.pbx.last("CANCEL").expect("cancel").clone();
    let invite = pair.pbx.last("INVITE").expect("invite").clone();
    assert_eq!(cancel.head.vias[0].branch, invite.head.vias[0].branch);
    assert_eq!(
        (cancel.head.cseq.seq, cancel.uri.as_str()),
        (1, invite.uri.as_str())
    );
    assert_eq!(cancel.head.to.tag, None, "CANCEL's To is the INVITE's");
    let ack = pair.pbx.last("ACK").expect("ACK of the 487");
    assert_eq!(
        ack.head.vias[0].branch, invite.head.vias[0].branch,
        "inside the INVITE transaction"
    );
    assert_eq!(ack.head.to.tag.as_deref(), Some("pbx1"));
    assert_eq!(
        pair.ends(),
        vec![CallEnd {
            code: None,
            by_peer: false,
            cause: EndCause::Cancelled
        }]
    );
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.pbx.count("INVITE"), 1);
    assert_eq!(pair.ua.call_state(id), None);
}

#[test]
fn hanging_up_before_any_answer_cancels_once_a_provisional_comes() {
    let mut pair = CallPair::new(Box::new(|_, _| {
        vec![step(2000, 180), step(60_000, 200).sdp(ANSWER_SDP)]
    }));
    let id = pair.call("bob");
    pair.run_for(Duration::from_millis(100));
    let now = pair.now;
    pair.ua.hang_up(now, id);
    pair.run_for(Duration::from_millis(1500));
    assert_eq!(
        pair.pbx.count("CANCEL"),
        0,
        "no CANCEL before a provisional response"
    );
    pair.run_for(Duration::from_secs(2));
    assert_eq!(pair.pbx.count("CANCEL"), 1);
    assert_eq!(pair.ends().len(), 1);
}

#[test]
fn an_answer_that_crosses_the_cancel_is_acked_and_ended_with_bye() {
    let mut pair = CallPair::new(Box::new(|_, _| {
        vec![step(0, 180), step(1000, 200).sdp(ANSWER_SDP)]
    }));
    let id = pair.call("bob");
    pair.run_for(Duration::from_millis(1010));
    let now = pair.now;
    pair.ua.hang_up(now, id);
    pair.run_for(Duration::from_secs(3));
    assert_eq!(pair.pbx.count("CANCEL"), 1);
    assert_eq!(pair.pbx.count("ACK"), 1);
    assert_eq!(pair.pbx.count("BYE"), 1, "the dialog the 200 made is ended");
    assert!(
        !pair
            .call_events()
            .iter()
            .any(|e| matches!(e, CallEvent::Answered { .. }))
    );
}

#[test]
fn a_bye_from_the_pbx_is_answered_200_and_ends_the_call() {
    let mut pair = CallPair::new(answering(200));
    let id = connected(&mut pair);
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
    assert_eq!(pair.ends()[0].to_string(), "the other side hung up");
    // A copy of the BYE (its 200 was lost) is answered again, without a second end.
    let copy = pair.pbx.last_sent("BYE");
    assert!(copy.is_none(), "answered: the PBX stopped resending");
    assert_eq!(pair.ua.call_state(id), Some(CallState::Ended));
}

#[test]
fn a_lost_200_to_the_pbx_bye_is_sent_again_for_its_copy() {
    let mut pair = CallPair::new(answering(200));
    connected(&mut pair);
    pair.drop_next(false, "BYE", 1);
    pair.drop_next(true, "SIP/2.0 200", 1);
    let now = pair.now;
    pair.pbx.in_dialog(now, "BYE", &[], None);
    pair.run_for(Duration::from_secs(5));
    assert_eq!(pair.pbx.count("BYE"), 0);
    assert_eq!(
        pair.pbx.statuses("BYE"),
        vec![200],
        "the third copy got its 200"
    );
    assert_eq!(
        pair.sent_count("SIP/2.0 200"),
        2,
        "second copy's 200 lost, third answered"
    );
    assert_eq!(pair.ends().len(), 1);
}

#[test]
fn a_lost_bye_is_sent_again() {
    let mut pair = CallPair::new(answering(200));
    let id = connected(&mut pair);
    pair.drop_next(true, "BYE", 1);
    let now = pair.now;
    pair.ua.hang_up(now, id);
    pair.run_for(Duration::from_secs(2));
    assert_eq!(pair.sent_count("BYE"), 2, "timer E");
    assert_eq!(pair.pbx.count("BYE"), 1);
}

fn challenge(nonce: u32) -> Step {
    step(0, 401).with(
        "WWW-Authenticate",
        &format!("Digest realm=\"example.com\", nonce=\"n{nonce}\", algorithm=MD5, qop=\"auth\""),
    )
}

fn digest_ok(req: &voicelamp_sip::message::Request) -> bool {
    let Some(value) = req.head.header("Authorization") else {
        return false;
    };
    let p = |name: &str| call_param(&value, name);
    let expected = digest_response(
        DigestAlgorithm::Md5,
        "alice",
        "example.com",
        "secret",
        &p("nonce"),
        &p("cnonce"),
        u32::from_str_radix(&p("nc"), 16).unwrap_or(0),
        Some(Qop::Auth),
        "INVITE",
        &p("uri"),
        &req.body,
    );
    p("response") == expected
}

fn call_param(header: &str, name: &str) -> String {
    header
        .split(',')
        .filter_map(|p| p.trim().trim_start_matches("Digest ").split_once('='))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .unwrap_or_default()
}

#[test]
fn a_401_is_acked_and_answered_once_with_the_accounts_digest() {
    let mut pair = CallPair::new(Box::new(|req, n| {
        if n == 0 {
            vec![challenge(1)]
        } else if digest_ok(req) {
            vec![step(0, 180), step(100, 200).sdp(ANSWER_SDP)]
        } else {
            vec![step(0, 403)]
        }
    }));
    connected(&mut pair);
    assert_eq!(pair.pbx.count("INVITE"), 2);
    let first = &pair
        .pbx
        .requests
        .iter()
        .find(|(_, r)| r.method.as_str() == "INVITE")
        .expect("first")
        .1;
    let second = pair.pbx.last("INVITE").expect("second");
    assert_eq!(second.head.cseq.seq, first.head.cseq.seq + 1);
    assert_eq!(second.head.call_id, first.head.call_id);
    assert_ne!(second.head.vias[0].branch, first.head.vias[0].branch);
    // The 401 was ACKed in its transaction, the 200 in the dialog.
    let acks: Vec<u32> = pair
        .pbx
        .requests
        .iter()
        .filter(|(_, r)| r.method.as_str() == "ACK")
        .map(|(_, r)| r.head.cseq.seq)
        .collect();
    assert_eq!(acks, vec![1, 2]);
}

#[test]
fn a_pbx_that_challenges_every_invite_gets_one_answer_then_the_call_ends_in_words() {
    let mut pair = CallPair::new(Box::new(|_, n| vec![challenge(n as u32)]));
    pair.call("bob");
    pair.run_for(Duration::from_secs(60));
    assert_eq!(
        pair.pbx.count("INVITE"),
        2,
        "one answer to the challenge, not a loop"
    );
    let end = pair.ends();
    assert_eq!(end.len(), 1);
    assert_eq!(
        (end[0].cause, end[0].code),
        (EndCause::AuthFailed, Some(401))
    );
    assert!(end[0].to_string().contains("user name and password"));
}

#[test]
fn a_redirect_is_followed_once() {
    let mut pair = CallPair::new(Box::new(|req, _| {
        if req.uri.starts_with("sip:vm@") {
            vec![step(0, 200).sdp(ANSWER_SDP)]
        } else {
            vec![step(0, 302).with("Contact", "<sip:vm@203.0.113.5>")]
        }
    }));
    connected(&mut pair);
    let uris: Vec<String> = pair
        .pbx
        .requests
        .iter()
        .filter(|(_, r)| r.method.as_str() == "INVITE")
        .map(|(_, r)| r.uri.clone())
        .collect();
    assert_eq!(uris, vec!["sip:bob@example.com", "sip:vm@203.0.113.5"]);
}

#[test]
fn a_redirect_to_itself_is_followed_once_and_no_more() {
    let mut pair = CallPair::new(Box::new(|_, _| {
        vec![step(0, 302).with("Contact", "<sip:bob@example.com>")]
    }));
    pair.call("bob");
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.pbx.count("INVITE"), 2);
    assert_eq!(pair.ends()[0].cause, EndCause::TooManyRedirects);
    assert!(pair.ends()[0].to_string().contains("loop"));
}

#[test]
fn every_peer_answer_is_bounded_in_invites() {
    // A challenge, a redirect, a 422 and again: never more than MAX_INVITES_PER_CALL INVITEs.
    let mut pair = CallPair::new(Box::new(|_, n| match n % 3 {
        0 => vec![challenge(n as u32)],
        1 => vec![step(0, 302).with("Contact", "<sip:bob@example.com>")],
        _ => vec![step(0, 422).with("Min-SE", "1800")],
    }));
    pair.call("bob");
    pair.run_for(Duration::from_secs(120));
    assert!(
        pair.pbx.count("INVITE") as u32 <= MAX_INVITES_PER_CALL,
        "{}",
        pair.pbx.count("INVITE")
    );
    assert_eq!(pair.ends().len(), 1);
}

#[test]
fn failures_end_the_call_with_words_that_say_what_to_do() {
    for (code, words) in [
        (404, "does not exist"),
        (480, "cannot be reached"),
        (486, "busy"),
        (488, "codecs"),
        (503, "try again in a minute"),
        (603, "declined"),
    ] {
        let mut pair = CallPair::new(Box::new(move |_, _| vec![step(0, 100), step(300, code)]));
        let id = pair.call("bob");
        pair.run_for(Duration::from_secs(2));
        let ends = pair.ends();
        assert_eq!(ends.len(), 1, "{code}");
        assert_eq!(
            (ends[0].code, ends[0].by_peer, ends[0].cause),
            (Some(code), true, EndCause::Failed)
        );
        let text = ends[0].to_string();
        assert!(
            text.contains(&format!("({code})")) && text.contains(words),
            "{text}"
        );
        assert_eq!(pair.pbx.count("ACK"), 1, "{code} is ACKed");
        assert_eq!(pair.ua.call_state(id), Some(CallState::Ended));
        pair.run_for(Duration::from_secs(40));
        assert_eq!(pair.ua.call_state(id), None);
    }
}

#[test]
fn shutting_down_ends_the_calls_with_bye() {
    let mut pair = CallPair::new(answering(200));
    let id = connected(&mut pair);
    let now = pair.now;
    pair.ua.shutdown(now);
    pair.run_for(Duration::from_secs(1));
    assert_eq!(pair.pbx.count("BYE"), 1);
    assert_eq!(pair.ends()[0].cause, EndCause::HungUp);
    pair.run_for(Duration::from_secs(60));
    assert_eq!(pair.ua.call_state(id), None);
}
