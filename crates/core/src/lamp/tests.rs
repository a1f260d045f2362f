//! Tests of the lamp model: every event kind, staleness, IMAP counts, totals and snapshots.

use super::*;
use crate::config::{AccountConfig, MailboxConfig};
use std::time::{Duration, Instant};
use voicelamp_sip::subscription::StaleReason;

const OWN: &str = "sip:alice@pbx.example.com";
const SUPPORT: &str = "sip:support@pbx.example.com";

fn config() -> Config {
    let mut office = AccountConfig::new("office", OWN);
    office.mailboxes.push(MailboxConfig {
        uri: SUPPORT.into(),
        display_name: Some("Support".into()),
    });
    let mut silent = AccountConfig::new("fax", "sip:fax@pbx.example.com");
    silent.register = false;
    Config {
        accounts: vec![office, silent],
        ..Config::default()
    }
}

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_737_600 + secs)
}

fn body(text: &str) -> SummaryBody {
    voicelamp_sip::message_summary::parse(text.as_bytes()).expect("body")
}

fn mailbox(uri: &str, text: &str, source: Source) -> Event {
    Event::Mailbox {
        account: AccountId(0),
        mailbox_uri: uri.into(),
        summary: body(text),
        source,
        at: Instant::now(),
    }
}

fn json(events: &[EngineEvent]) -> Vec<String> {
    events.iter().map(EngineEvent::to_json_line).collect()
}

fn registration_failed(reason: RegistrationFailure, retry_in: Option<Duration>) -> Event {
    Event::Registration {
        account: AccountId(0),
        state: RegistrationStatus::Failed { retry_in },
        reason: Some(reason),
    }
}

#[test]
fn every_configured_mailbox_starts_unknown() {
    let model = LampModel::new(&config());
    assert_eq!(
        json(&model.snapshot()),
        [
            r#"{"type":"registration","account":"office","state":"unknown","reason":null}"#,
            r#"{"type":"mailbox","account":"office","mailbox":"sip:alice@pbx.example.com","state":"unknown","waiting":null,"new":null,"old":null,"urgent_new":null,"urgent_old":null,"source":null,"reason":null,"at":null}"#,
            r#"{"type":"mailbox","account":"office","mailbox":"sip:support@pbx.example.com","state":"unknown","waiting":null,"new":null,"old":null,"urgent_new":null,"urgent_old":null,"source":null,"reason":null,"at":null}"#,
            r#"{"type":"registration","account":"fax","state":"disabled","reason":null}"#,
            r#"{"type":"mailbox","account":"fax","mailbox":"sip:fax@pbx.example.com","state":"unknown","waiting":null,"new":null,"old":null,"urgent_new":null,"urgent_old":null,"source":null,"reason":null,"at":null}"#,
        ]
    );
    let totals = model.totals();
    assert_eq!(totals.total_new, 0);
    assert!(totals.any_unknown_or_stale && !totals.any_failed);
    assert_eq!(totals.mailboxes, 3);
}

#[test]
fn a_summary_lights_the_lamp_and_only_changes_are_reported() {
    let mut model = LampModel::new(&config());
    let summary = "Messages-Waiting: yes\r\nVoice-Message: 2/8 (1/0)\r\nFax-Message: 1/0\r\n";
    let events = model.apply(&mailbox(OWN, summary, Source::Subscription), t(0));
    assert_eq!(
        json(&events),
        [
            r#"{"type":"mailbox","account":"office","mailbox":"sip:alice@pbx.example.com","state":"active","waiting":true,"new":2,"old":8,"urgent_new":1,"urgent_old":0,"source":"subscription","reason":null,"at":"2026-11-27T00:00:00Z","classes":{"fax-message":{"new":1,"old":0,"urgent_new":null,"urgent_old":null}}}"#
        ]
    );
    // The same counts again (a refresh, or the same state sent unsolicited): no event.
    assert!(
        model
            .apply(&mailbox(OWN, summary, Source::Unsolicited), t(60))
            .is_empty()
    );
    let events = model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: no\r\nVoice-Message: 0/10\r\n",
            Source::Subscription,
        ),
        t(120),
    );
    assert_eq!(
        json(&events),
        [
            r#"{"type":"mailbox","account":"office","mailbox":"sip:alice@pbx.example.com","state":"active","waiting":false,"new":0,"old":10,"urgent_new":null,"urgent_old":null,"source":"subscription","reason":null,"at":"2026-11-27T00:02:00Z"}"#
        ]
    );
}

#[test]
fn no_information_is_never_zero() {
    let mut model = LampModel::new(&config());
    assert!(
        model
            .apply(&mailbox(OWN, "", Source::Subscription), t(0))
            .is_empty()
    );
    assert_eq!(model.lamp("office", OWN), Some(&Lamp::Unknown));

    model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: yes\r\nVoice-Message: 3/0\r\n",
            Source::Subscription,
        ),
        t(10),
    );
    let events = model.apply(&mailbox(OWN, "  \r\n", Source::Subscription), t(20));
    assert_eq!(
        json(&events),
        [
            r#"{"type":"mailbox","account":"office","mailbox":"sip:alice@pbx.example.com","state":"stale","waiting":true,"new":3,"old":0,"urgent_new":null,"urgent_old":null,"source":"subscription","reason":"the server has no information for this mailbox","at":"2026-11-27T00:00:20Z"}"#
        ]
    );
}

#[test]
fn stale_keeps_the_last_counts_and_the_first_time() {
    let mut model = LampModel::new(&config());
    model.apply(
        &mailbox(
            SUPPORT,
            "Messages-Waiting: yes\r\nVoice-Message: 1/2\r\n",
            Source::Subscription,
        ),
        t(0),
    );
    let stale = |why| Event::MailboxStale {
        account: AccountId(0),
        mailbox_uri: SUPPORT.into(),
        why,
    };
    let events = model.apply(&stale(StaleReason::FlowChanged), t(30));
    assert_eq!(events.len(), 1);
    let events = model.apply(&stale(StaleReason::SubscriptionGone), t(40));
    assert_eq!(
        json(&events),
        [
            r#"{"type":"mailbox","account":"office","mailbox":"sip:support@pbx.example.com","state":"stale","waiting":true,"new":1,"old":2,"urgent_new":null,"urgent_old":null,"source":"subscription","reason":"the server lost the subscription; subscribing again","at":"2026-11-27T00:00:30Z"}"#
        ]
    );
    assert!(
        model
            .apply(&stale(StaleReason::SubscriptionGone), t(50))
            .is_empty()
    );
    let totals = model.totals();
    assert_eq!(totals.total_new, 1);
    assert!(totals.any_unknown_or_stale);
    // A fresh NOTIFY makes it current again.
    let events = model.apply(
        &mailbox(
            SUPPORT,
            "Messages-Waiting: yes\r\nVoice-Message: 1/2\r\n",
            Source::Subscription,
        ),
        t(60),
    );
    assert_eq!(events.len(), 1);
    assert_eq!(
        model.lamp("office", SUPPORT).map(Lamp::state),
        Some(LampState::Active)
    );
}

#[test]
fn registration_failure_makes_every_mailbox_of_the_account_stale() {
    let mut model = LampModel::new(&config());
    model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: no\r\nVoice-Message: 0/1\r\n",
            Source::Subscription,
        ),
        t(0),
    );
    let failed = Event::MailboxFailed {
        account: AccountId(0),
        mailbox_uri: SUPPORT.into(),
        why: SubscriptionFailure::MailboxNotConfigured,
        retry_in: None,
    };
    let events = model.apply(&failed, t(1));
    assert_eq!(
        json(&events),
        [
            r#"{"type":"mailbox","account":"office","mailbox":"sip:support@pbx.example.com","state":"failed","waiting":null,"new":null,"old":null,"urgent_new":null,"urgent_old":null,"source":null,"reason":"mailbox not configured on the server (404)","at":"2026-11-27T00:00:01Z"}"#
        ]
    );
    let event = registration_failed(RegistrationFailure::Timeout, Some(Duration::from_secs(30)));
    let events = json(&model.apply(&event, t(2)));
    assert_eq!(
        events,
        [
            r#"{"type":"registration","account":"office","state":"failed","reason":"the registrar did not answer; trying again in 30 s"}"#,
            r#"{"type":"mailbox","account":"office","mailbox":"sip:alice@pbx.example.com","state":"stale","waiting":false,"new":0,"old":1,"urgent_new":null,"urgent_old":null,"source":"subscription","reason":"registration failed: the registrar did not answer","at":"2026-11-27T00:00:02Z"}"#,
        ]
    );
    assert!(
        model.apply(&event, t(3)).is_empty(),
        "the same failure again changes nothing"
    );
    let later = registration_failed(RegistrationFailure::Timeout, Some(Duration::from_secs(300)));
    assert_eq!(
        json(&model.apply(&later, t(33))),
        [
            r#"{"type":"registration","account":"office","state":"failed","reason":"the registrar did not answer; trying again in 5 min"}"#
        ],
        "a longer backoff is news about the registration, not about the mailboxes"
    );
    let totals = model.account_totals("office").expect("office");
    assert!(totals.any_failed && totals.any_unknown_or_stale);
    assert_eq!(model.account_totals("fax").expect("fax").mailboxes, 1);

    let registered = Event::Registration {
        account: AccountId(0),
        state: RegistrationStatus::Registered { expires: 3600 },
        reason: None,
    };
    assert_eq!(
        json(&model.apply(&registered, t(40))),
        [r#"{"type":"registration","account":"office","state":"registered","reason":null}"#],
        "mailboxes stay stale until a NOTIFY arrives"
    );
    assert_eq!(
        model.lamp("office", OWN).map(Lamp::state),
        Some(LampState::Stale)
    );
}

#[test]
fn a_lost_connection_makes_the_account_stale() {
    let mut model = LampModel::new(&config());
    model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n",
            Source::Subscription,
        ),
        t(0),
    );
    let events = model.apply_connection_lost(AccountId(0), "connection refused", t(5));
    assert_eq!(events.len(), 2, "both mailboxes of the account");
    assert_eq!(
        model.lamp("office", OWN),
        Some(&Lamp::Stale {
            last: Some((
                MailboxCounts {
                    waiting: Some(true),
                    classes: [(
                        VOICE_CLASS.to_owned(),
                        ClassCounts {
                            new: 1,
                            old: Some(0),
                            urgent_new: None,
                            urgent_old: None
                        }
                    )]
                    .into(),
                },
                LampSource::Subscription
            )),
            since: t(5),
            why: "no connection to the server: connection refused".to_owned(),
        })
    );
    assert!(
        model
            .apply_connection_lost(AccountId(0), "connection refused", t(9))
            .is_empty()
    );
    assert!(
        model
            .apply_connection_lost(AccountId(3), "unbound", t(9))
            .is_empty()
    );
    assert_eq!(
        model.lamp("fax", "sip:fax@pbx.example.com"),
        Some(&Lamp::Unknown)
    );
}

#[test]
fn wrong_password_is_said_in_words() {
    let mut model = LampModel::new(&config());
    let events = model.apply(
        &registration_failed(RegistrationFailure::WrongCredentials, None),
        t(0),
    );
    assert_eq!(
        events.len(),
        3,
        "the registration and both unknown mailboxes"
    );
    let EngineEvent::Mailbox(support) = &events[2] else {
        panic!("mailbox event")
    };
    assert_eq!(support.state, LampState::Stale);
    assert_eq!(
        (support.new, support.waiting),
        (None, None),
        "stale without last counts stays null"
    );
    assert_eq!(
        support.reason.as_deref(),
        Some("registration failed: the server refused the user name or password")
    );
}

#[test]
fn server_sending_unsolicited_does_not_fail_a_lit_lamp() {
    let mut model = LampModel::new(&config());
    let refused = Event::MailboxFailed {
        account: AccountId(0),
        mailbox_uri: OWN.into(),
        why: SubscriptionFailure::ServerSendsUnsolicited,
        retry_in: None,
    };
    model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n",
            Source::Unsolicited,
        ),
        t(0),
    );
    assert!(model.apply(&refused, t(1)).is_empty());
    assert_eq!(
        model.lamp("office", OWN).map(Lamp::state),
        Some(LampState::Active)
    );
    let mut fresh = LampModel::new(&config());
    let events = fresh.apply(&refused, t(1));
    assert_eq!(events.len(), 1);
    assert_eq!(
        fresh.lamp("office", OWN).map(Lamp::state),
        Some(LampState::Stale)
    );
    assert!(!fresh.totals().any_failed);
}

#[test]
fn waiting_without_a_count_is_not_zero() {
    let mut model = LampModel::new(&config());
    let events = model.apply(
        &mailbox(OWN, "Messages-Waiting: yes\r\n", Source::Unsolicited),
        t(0),
    );
    assert_eq!(
        json(&events),
        [
            r#"{"type":"mailbox","account":"office","mailbox":"sip:alice@pbx.example.com","state":"active","waiting":true,"new":null,"old":null,"urgent_new":null,"urgent_old":null,"source":"unsolicited","reason":null,"at":"2026-11-27T00:00:00Z"}"#
        ]
    );
    assert!(model.totals().any_waiting_without_count);
}

#[test]
fn totals_add_up_over_accounts_and_classes() {
    let mut model = LampModel::new(&config());
    model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: yes\r\nVoice-Message: 2/0 (1/0)\r\nFax-Message: 1/0\r\n",
            Source::Subscription,
        ),
        t(0),
    );
    model.apply(
        &mailbox(
            SUPPORT,
            "Messages-Waiting: yes\r\nvoice-message: 4/1 (2/0)\r\n",
            Source::Subscription,
        ),
        t(0),
    );
    model.apply_imap_counts("fax", "sip:fax@pbx.example.com", 5, None, t(0));
    assert_eq!(
        model.totals(),
        Totals {
            total_new: 12,
            total_urgent: 3,
            any_waiting_without_count: false,
            any_unknown_or_stale: false,
            any_failed: false,
            mailboxes: 3,
        }
    );
    assert_eq!(model.account_totals("office").map(|t| t.total_new), Some(7));
    assert_eq!(model.account_totals("nobody"), None);
}

#[test]
fn imap_counts_drive_a_lamp() {
    let mut model = LampModel::new(&config());
    let events = model.apply_imap_counts("office", SUPPORT, 3, Some(1), t(5));
    assert_eq!(
        json(&events),
        [
            r#"{"type":"mailbox","account":"office","mailbox":"sip:support@pbx.example.com","state":"active","waiting":true,"new":3,"old":null,"urgent_new":1,"urgent_old":null,"source":"imap","reason":null,"at":"2026-11-27T00:00:05Z"}"#
        ]
    );
    assert!(
        model
            .apply_imap_counts("office", SUPPORT, 3, Some(1), t(6))
            .is_empty()
    );
    assert!(
        model
            .apply_imap_counts("office", "sip:other@pbx.example.com", 1, None, t(6))
            .is_empty()
    );
    assert!(
        model
            .apply_imap_counts("nobody", SUPPORT, 1, None, t(6))
            .is_empty()
    );
}

#[test]
fn a_lost_store_stales_only_lamps_it_drives() {
    let mut model = LampModel::new(&config());
    // Nothing from IMAP yet: losing the store changes nothing (the lamp stays unknown).
    assert!(
        model
            .apply_imap_lost("office", SUPPORT, "connection refused", t(1))
            .is_empty()
    );
    model.apply_imap_counts("office", SUPPORT, 2, Some(0), t(2));
    let events = model.apply_imap_lost("office", SUPPORT, "connection refused", t(3));
    assert_eq!(events.len(), 1);
    let lamp = model.lamp("office", SUPPORT).expect("lamp");
    assert_eq!(lamp.state(), LampState::Stale);
    assert_eq!(lamp.counts().map(MailboxCounts::total_new), Some(2));
    assert!(json(&events)[0].contains("the voicemail store cannot be reached: connection refused"));
}

#[test]
fn a_refused_password_fails_the_lamps_the_store_drives_saying_why() {
    let why = "the mail server mail.example.com refused the password for alice; correct it in \
               Settings (not tried again until the settings change)";
    let mut model = LampModel::new(&config());
    // Nothing heard yet: the lamp says why it never will be until the password is corrected.
    let events = model.apply_imap_refused("office", SUPPORT, why, t(1));
    assert_eq!(events.len(), 1);
    let lamp = model.lamp("office", SUPPORT).expect("lamp");
    assert_eq!(lamp.state(), LampState::Failed);
    assert!(json(&events)[0].contains(why), "{}", json(&events)[0]);
    // Counts from the store, then the password changed on the server.
    model.apply_imap_counts("office", SUPPORT, 2, Some(0), t(2));
    let events = model.apply_imap_refused("office", SUPPORT, why, t(3));
    assert_eq!(events.len(), 1);
    assert_eq!(
        model.lamp("office", SUPPORT).map(Lamp::state),
        Some(LampState::Failed)
    );
    assert!(!json(&events)[0].contains("cannot be reached"));
    // Counts from SIP are left alone.
    model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n",
            Source::Subscription,
        ),
        t(4),
    );
    assert!(
        model
            .apply_imap_refused("office", OWN, why, t(5))
            .is_empty()
    );
}

#[test]
fn unreadable_body_makes_a_lit_lamp_stale() {
    let mut model = LampModel::new(&config());
    let error = voicelamp_sip::message_summary::parse(b"Messages-Waiting: perhaps\r\n")
        .expect_err("bad body");
    let bad = Event::BodyError {
        account: Some(AccountId(0)),
        mailbox_uri: Some(OWN.into()),
        error,
    };
    assert!(model.apply(&bad, t(0)).is_empty(), "unknown stays unknown");
    model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n",
            Source::Subscription,
        ),
        t(1),
    );
    let events = model.apply(&bad, t(2));
    let EngineEvent::Mailbox(event) = &events[0] else {
        panic!("mailbox event")
    };
    assert_eq!((event.state, event.new), (LampState::Stale, Some(1)));
    assert!(event.reason.as_deref().is_some_and(|r| {
        r.starts_with("the server sent a message summary that cannot be read: ")
    }));
}

#[test]
fn events_of_unbound_accounts_and_unmonitored_mailboxes_are_ignored() {
    let mut model = LampModel::new(&config());
    let summary = "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n";
    assert!(
        model
            .apply(
                &mailbox("sip:sales@pbx.example.com", summary, Source::Unsolicited),
                t(0)
            )
            .is_empty()
    );
    let other = Event::Mailbox {
        account: AccountId(7),
        mailbox_uri: OWN.into(),
        summary: body(summary),
        source: Source::Subscription,
        at: Instant::now(),
    };
    assert!(model.apply(&other, t(0)).is_empty());
    // The driver added only the registering account, as AccountId(7).
    assert!(model.bind_sip_account(AccountId(7), "office"));
    assert!(!model.bind_sip_account(AccountId(8), "nobody"));
    assert_eq!(model.apply(&other, t(0)).len(), 1);
    assert!(
        model
            .apply(
                &mailbox(OWN, "Messages-Waiting: no\r\n", Source::Subscription),
                t(1)
            )
            .is_empty(),
        "AccountId(0) is no longer office"
    );
    // URIs match with host case and parameters ignored.
    let mut model = LampModel::new(&config());
    assert_eq!(
        model
            .apply(
                &mailbox(
                    "sip:alice@PBX.example.com;user=phone",
                    summary,
                    Source::Subscription
                ),
                t(0)
            )
            .len(),
        1
    );
}

#[test]
fn sleep_makes_every_sip_lamp_stale_with_its_last_counts() {
    let mut model = LampModel::new(&config());
    model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: yes\r\nVoice-Message: 2/0\r\n",
            Source::Subscription,
        ),
        t(0),
    );
    model.apply_imap_counts("office", SUPPORT, 4, Some(0), t(1));
    let why = "the computer was asleep; checking again…";
    let events = model.apply_computer_slept(why, t(10));
    // The lit SIP lamp and the fax's unknown one; the store's lamp is the store's to renew.
    assert_eq!(events.len(), 2, "{:?}", json(&events));
    let own = model.lamp("office", OWN).expect("own");
    assert_eq!(own.state(), LampState::Stale);
    assert_eq!(own.counts().map(MailboxCounts::total_new), Some(2));
    assert!(json(&events)[0].contains(r#""state":"stale""#));
    assert!(json(&events)[0].contains(why));
    assert_eq!(
        model.lamp("office", SUPPORT).map(Lamp::state),
        Some(LampState::Active)
    );
    assert_eq!(
        model
            .lamp("fax", "sip:fax@pbx.example.com")
            .map(Lamp::state),
        Some(LampState::Stale)
    );
    // Never shown as current again until the server says so; a repeat changes nothing.
    assert!(model.apply_computer_slept(why, t(11)).is_empty());
    model.apply(
        &mailbox(
            OWN,
            "Messages-Waiting: yes\r\nVoice-Message: 3/0\r\n",
            Source::Subscription,
        ),
        t(12),
    );
    assert_eq!(
        model.lamp("office", OWN).map(Lamp::state),
        Some(LampState::Active)
    );
}
