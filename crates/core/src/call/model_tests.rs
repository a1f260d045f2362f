//! The call model driven by the driver's updates, with a fixed wall clock.

use super::*;
use std::time::Duration;
use voicelamp_net::voicelamp_media::CallQuality as MediaQuality;

const LINE: Line<'static> = Line {
    id: "office",
    name: "Office",
};
const ACCOUNT: AccountId = AccountId(0);
const CALL: NetCallId = NetCallId(7);

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000 + secs)
}

fn ended(cause: EndCause, code: Option<u16>, by_peer: bool) -> CallUpdate {
    CallUpdate::Ended {
        reason: CallEnd {
            code,
            by_peer,
            cause,
        },
    }
}

fn caller() -> Party {
    Party {
        display: Some("Ana Lima".into()),
        uri: "sip:+4930123@pbx.example.com".into(),
        number: Some("+4930123".into()),
    }
}

fn states(events: &[EngineEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            EngineEvent::Call(v) => v.state.word().to_owned(),
            EngineEvent::MissedCall(m) => format!("missed {}", m.why.words()),
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[test]
fn an_outgoing_call_goes_from_dialing_to_connected_to_ended() {
    let mut model = CallModel::new();
    let view = model.dialing(LINE, "*97", true);
    assert_eq!((view.id, view.state.clone()), (1, CallState::Dialing));
    model.bind(ACCOUNT, CALL);
    let mut seen = Vec::new();
    for update in [
        CallUpdate::Ringing,
        CallUpdate::Ringing,
        CallUpdate::EarlyMedia,
        CallUpdate::Connected,
        CallUpdate::Media {
            codec: "PCMU",
            rate: 8000,
            local: "127.0.0.1:40000".parse().expect("address"),
            secure: true,
        },
        CallUpdate::Quality(MediaQuality {
            jitter_ms: 3.4,
            loss_percent: 1.26,
            rtt_ms: Some(11),
        }),
        CallUpdate::FirstAudio,
        ended(EndCause::HungUp, None, true),
    ] {
        seen.extend(model.apply(ACCOUNT, CALL, &update, LINE, at(5)));
    }
    // The second "ringing" changes nothing a person sees.
    assert_eq!(
        states(&seen),
        [
            "ringing",
            "early media",
            "connected",
            "connected",
            "connected",
            "connected",
            "ended"
        ]
    );
    let EngineEvent::Call(last) = seen.last().expect("ended") else {
        panic!()
    };
    assert_eq!(last.codec.as_deref(), Some("G.711 µ-law"));
    assert_eq!(last.quality, Some(CallQuality::new(3, 1.3, Some(11))));
    assert!(last.voicemail && last.heard);
    assert!(last.secure, "SRTP agreed shows as secure");
    let CallState::Ended { why, failed } = &last.state else {
        panic!("{last:?}")
    };
    assert!(!failed && !why.is_empty(), "{why}");
    assert!(model.current().is_none());
}

#[test]
fn a_busy_far_end_is_a_failure_in_words() {
    let mut model = CallModel::new();
    model.dialing(LINE, "1002", false);
    model.bind(ACCOUNT, CALL);
    let out = model.apply(
        ACCOUNT,
        CALL,
        &ended(EndCause::Failed, Some(486), true),
        LINE,
        at(1),
    );
    let [EngineEvent::Call(view)] = out.as_slice() else {
        panic!("{out:?}")
    };
    let CallState::Ended { why, failed } = &view.state else {
        panic!()
    };
    assert!(*failed);
    assert!(why.contains("486") && why.contains("busy"), "{why}");
}

#[test]
fn updates_of_another_call_are_left_aside() {
    let mut model = CallModel::new();
    model.dialing(LINE, "1002", false);
    model.bind(ACCOUNT, CALL);
    assert!(
        model
            .apply(ACCOUNT, NetCallId(8), &CallUpdate::Connected, LINE, at(1))
            .is_empty()
    );
    assert_eq!(model.current().map(|v| &v.state), Some(&CallState::Dialing));
}

#[test]
fn an_incoming_call_not_answered_is_missed_and_a_busy_one_too() {
    let mut model = CallModel::new();
    let out = model.apply(
        ACCOUNT,
        CALL,
        &CallUpdate::Incoming {
            from: caller(),
            to: "sip:1001@pbx".into(),
        },
        LINE,
        at(0),
    );
    let [EngineEvent::Call(view)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(
        (
            view.direction,
            view.remote.as_str(),
            view.remote_name.as_deref()
        ),
        (CallDirection::Incoming, "+4930123", Some("Ana Lima"))
    );
    // A second call while this one rings is answered busy by the user agent.
    let busy = model.apply(
        ACCOUNT,
        NetCallId(9),
        &CallUpdate::Missed {
            from: caller(),
            to: "sip:1001@pbx".into(),
        },
        LINE,
        at(1),
    );
    assert_eq!(states(&busy), ["missed while you were on another call"]);
    let out = model.apply(
        ACCOUNT,
        CALL,
        &ended(EndCause::CallerCancelled, Some(487), true),
        LINE,
        at(2),
    );
    assert_eq!(states(&out), ["ended", "missed not answered"]);
    let missed: Vec<_> = model.missed().collect();
    assert_eq!(missed.len(), 2);
    assert_eq!(missed[1].number.as_deref(), Some("+4930123"));
    assert_eq!(missed[1].at, format_rfc3339(at(2)));
}

#[test]
fn a_declined_call_is_listed_as_declined_and_an_answered_one_not_at_all() {
    let mut model = CallModel::new();
    let incoming = CallUpdate::Incoming {
        from: caller(),
        to: "sip:1001@pbx".into(),
    };
    model.apply(ACCOUNT, CALL, &incoming, LINE, at(0));
    model.declining();
    let out = model.apply(
        ACCOUNT,
        CALL,
        &ended(EndCause::Rejected, Some(486), false),
        LINE,
        at(1),
    );
    assert_eq!(states(&out), ["ended", "missed declined"]);

    model.apply(ACCOUNT, NetCallId(8), &incoming, LINE, at(2));
    model.apply(ACCOUNT, NetCallId(8), &CallUpdate::Connected, LINE, at(3));
    let out = model.apply(
        ACCOUNT,
        NetCallId(8),
        &ended(EndCause::HungUp, None, true),
        LINE,
        at(9),
    );
    assert_eq!(states(&out), ["ended"]);
    assert_eq!(model.missed().count(), 1);
}

#[test]
fn hold_and_mute_show_and_keep_the_answer_time() {
    let mut model = CallModel::new();
    model.dialing(LINE, "1002", false);
    model.bind(ACCOUNT, CALL);
    model.apply(ACCOUNT, CALL, &CallUpdate::Connected, LINE, at(10));
    let held = model.apply(
        ACCOUNT,
        CALL,
        &CallUpdate::Hold { local: true },
        LINE,
        at(20),
    );
    let [EngineEvent::Call(view)] = held.as_slice() else {
        panic!()
    };
    assert_eq!(
        view.state,
        CallState::OnHold {
            since: format_rfc3339(at(10)),
            by_peer: false
        }
    );
    model.apply(ACCOUNT, CALL, &CallUpdate::Muted(true), LINE, at(21));
    let back = model.apply(
        ACCOUNT,
        CALL,
        &CallUpdate::Hold { local: false },
        LINE,
        at(30),
    );
    let [EngineEvent::Call(view)] = back.as_slice() else {
        panic!()
    };
    assert_eq!(
        view.state,
        CallState::Connected {
            since: format_rfc3339(at(10))
        }
    );
    assert!(view.muted);
}

#[test]
fn missed_calls_are_bounded() {
    let mut model = CallModel::new();
    for i in 0..(MAX_MISSED as u32 + 10) {
        model.apply(
            ACCOUNT,
            NetCallId(i),
            &CallUpdate::Missed {
                from: caller(),
                to: "sip:1001@pbx".into(),
            },
            LINE,
            at(u64::from(i)),
        );
    }
    assert_eq!(model.missed().count(), MAX_MISSED);
    assert_eq!(
        model.missed().next().map(|m| m.at.clone()),
        Some(format_rfc3339(at(10)))
    );
}

#[test]
fn a_call_that_cannot_start_ends_failed_with_the_reason() {
    let mut model = CallModel::new();
    model.dialing(LINE, "1002", false);
    let view = model
        .failed_to_start("this line is not connected to its server yet")
        .expect("view");
    assert_eq!(
        view.state,
        CallState::Ended {
            why: "this line is not connected to its server yet".into(),
            failed: true
        }
    );
    assert!(model.current().is_none());
}
