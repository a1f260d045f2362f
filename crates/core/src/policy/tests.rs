//! The policy's rules for news, summaries, quiet hours, hints and text, each stepped through
//! simulated time (the timing of news: `coalesce_tests`).

use super::sim::{DESK, NOON, SUPPORT, Sim, hint, mailbox, settings};
use super::*;
use crate::event::{RegistrationEvent, RegistrationState};

#[test]
fn first_counts_raise_one_summary_only_when_something_waits() {
    let mut quiet_start = Sim::new(settings());
    quiet_start.counts(DESK, 0, 0);
    quiet_start.counts(SUPPORT, 0, 0);
    quiet_start.advance(60.0);
    assert!(quiet_start.take().is_empty());

    let mut sim = Sim::new(settings());
    sim.counts(DESK, 2, 0);
    sim.advance(4.0);
    sim.counts(SUPPORT, 1, 0);
    sim.advance(60.0);
    let shown = sim.take();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    let (at, summary) = &shown[0];
    assert_eq!(*at, STARTUP_WINDOW.as_secs_f64());
    assert_eq!(summary.kind, NotificationKind::Waiting);
    assert_eq!(summary.urgency, Urgency::Low);
    assert_eq!(summary.title, "3 voicemails waiting");
    assert_eq!(summary.body, "On Front desk (2) and Support (1)");
    assert_eq!(summary.target, None);

    let mut off = Sim::with(NotificationPolicy::new(settings()).with_startup_summary(false));
    off.counts(DESK, 2, 0);
    off.advance(60.0);
    assert!(off.take().is_empty());
    off.counts(DESK, 3, 0);
    off.advance(3.0);
    assert_eq!(off.take_one().body, "3 new voicemails");
}

#[test]
fn a_reconnect_with_the_same_counts_is_not_news() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 2, 1);
    sim.advance(5.0);
    sim.take();
    for state in [LampState::Stale, LampState::Failed, LampState::Unknown] {
        sim.event(&mailbox(DESK, state, 2, 1));
        sim.advance(30.0);
        sim.counts(DESK, 2, 1);
        sim.advance(30.0);
        assert!(sim.take().is_empty(), "after {state:?}");
    }
    // Messages that came while the connection was down are news.
    sim.event(&mailbox(DESK, LampState::Stale, 2, 1));
    sim.advance(30.0);
    sim.counts(DESK, 3, 1);
    sim.advance(3.0);
    assert_eq!(sim.take_one().body, "3 new voicemails, 1 urgent");
}

#[test]
fn falling_counts_are_not_news_and_withdraw_what_was_shown() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 3, 0);
    sim.advance(3.0);
    let shown = sim.take_one();
    sim.counts(DESK, 1, 0);
    sim.advance(60.0);
    assert!(sim.take().is_empty());
    assert_eq!(sim.policy.poll_withdrawal(), None);
    sim.counts(DESK, 0, 0);
    assert_eq!(sim.policy.poll_withdrawal(), Some(shown.id));
    assert_eq!(sim.policy.poll_withdrawal(), None);
}

#[test]
fn urgent_news_is_critical() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 2, 1);
    sim.advance(3.0);
    let shown = sim.take_one();
    assert_eq!(shown.urgency, Urgency::Critical);
    assert_eq!(shown.body, "2 new voicemails, 1 urgent");
    // A message marked urgent without a new one is news too.
    sim.counts(DESK, 2, 2);
    sim.advance(3.0);
    assert_eq!(sim.take_one().urgency, Urgency::Critical);
}

#[test]
fn quiet_hours_drop_non_urgent_news_but_not_urgent() {
    let mut settings = settings();
    settings.quiet_hours = Some(QuietHours {
        start_minute: 22 * 60,
        end_minute: 7 * 60,
    });
    let mut sim = Sim::started(settings);
    sim.minute = 23 * 60;
    sim.counts(DESK, 1, 0);
    sim.advance(10.0);
    assert!(sim.take().is_empty());
    // Not queued for the end of the quiet time.
    sim.minute = 7 * 60;
    sim.advance(3600.0);
    assert!(sim.take().is_empty());
    sim.minute = 2 * 60;
    sim.counts(DESK, 2, 0);
    sim.counts(SUPPORT, 1, 1);
    sim.advance(3.0);
    let shown = sim.take_one();
    assert_eq!(
        (shown.title.as_str(), shown.urgency),
        ("Support", Urgency::Critical)
    );
    // Outside quiet hours everything notifies.
    sim.minute = NOON;
    sim.counts(DESK, 3, 0);
    sim.advance(3.0);
    assert_eq!(sim.take_one().title, "Front desk");
}

#[test]
fn caller_details_follow_the_privacy_level() {
    let cases = [
        (Privacy::CountOnly, "1 new voicemail"),
        (
            Privacy::Caller,
            "New voicemail from Alice Smith (+1 555 0100)",
        ),
        (
            Privacy::CallerAndDuration,
            "New voicemail from Alice Smith (+1 555 0100), 0:42",
        ),
    ];
    for (privacy, body) in cases {
        let mut sim = Sim::started(NotificationSettings {
            privacy,
            ..settings()
        });
        sim.advance(100.0);
        sim.policy.handle_hint(
            sim.now,
            hint(DESK, "uid-7", "Alice Smith", "+1 555 0100", 42),
        );
        sim.advance(1.0);
        sim.counts(DESK, 1, 0);
        sim.advance(3.0);
        let shown = sim.take_one();
        assert_eq!(shown.body, body, "{privacy:?}");
        let target = shown.target.unwrap();
        assert_eq!(target.message_id.as_deref(), Some("uid-7"));
    }
}

#[test]
fn hints_only_describe_their_own_fresh_news() {
    let mut sim = Sim::started(settings());
    let old = hint(DESK, "uid-1", "Old Caller", "100", 5);
    sim.policy.handle_hint(sim.now, old);
    sim.policy
        .handle_hint(sim.now, hint(SUPPORT, "uid-2", "Other Line", "200", 5));
    sim.advance(HINT_LEAD.as_secs_f64() + 1.0);
    sim.counts(DESK, 1, 0);
    let shown = sim.take_one();
    assert_eq!(shown.body, "1 new voicemail");
    assert_eq!(shown.target.unwrap().message_id, None);
    // A hint arriving before its news is shown is used once. News gathering after a shown
    // one is described only by hints that came after it: a hint arriving just after the news
    // was shown is late news of that message.
    sim.advance(0.5);
    sim.policy
        .handle_hint(sim.now, hint(DESK, "uid-late", "Late Caller", "400", 5));
    sim.advance(0.5);
    sim.counts(DESK, 2, 0);
    sim.advance(1.5);
    assert!(sim.take().is_empty());
    sim.advance(0.5);
    let shown = sim.take_one();
    assert_eq!(shown.body, "2 new voicemails");
    sim.counts(DESK, 3, 0);
    sim.advance(1.0);
    let mut urgent = hint(DESK, "uid-3", "Bob", "300", 5);
    urgent.urgent = true;
    sim.policy.handle_hint(sim.now, urgent);
    sim.advance(2.0);
    let shown = sim.take_one();
    assert_eq!(shown.body, "3 new voicemails; latest from Bob (300)");
    assert_eq!(shown.urgency, Urgency::Critical);
    assert_eq!(shown.target.unwrap().message_id.as_deref(), Some("uid-3"));
    sim.counts(DESK, 4, 0);
    sim.advance(3.0);
    assert_eq!(sim.take_one().body, "4 new voicemails");
}

#[test]
fn unnamed_lines_show_the_user_part_only() {
    assert_eq!(
        fallback_name("sip:desk:hunter2@pbx.example.com;transport=tls"),
        "desk"
    );
    assert_eq!(fallback_name("sips:2001@pbx"), "2001");
    assert_eq!(fallback_name("sip:@pbx"), "Voicemail");
    let mut sim = Sim::started(settings());
    let secret = "sip:sales:hunter2@pbx";
    sim.event(&mailbox(secret, LampState::Active, 0, 0));
    sim.event(&mailbox(secret, LampState::Active, 1, 0));
    sim.advance(3.0);
    let shown = sim.take_one();
    assert_eq!(shown.title, "sales");
    assert!(!format!("{} {}", shown.title, shown.body).contains("hunter2"));
}

#[test]
fn a_server_without_counts_notifies_when_it_starts_waiting() {
    let mut sim = Sim::started(settings());
    let waiting = |yes: bool| {
        let EngineEvent::Mailbox(mut event) = mailbox(DESK, LampState::Active, 0, 0) else {
            unreachable!()
        };
        (event.new, event.old, event.urgent_new, event.urgent_old) = (None, None, None, None);
        event.waiting = Some(yes);
        EngineEvent::Mailbox(event)
    };
    sim.event(&waiting(false));
    sim.event(&waiting(true));
    sim.advance(3.0);
    assert_eq!(sim.take_one().body, "New voicemail waiting");
    sim.event(&waiting(true));
    sim.advance(60.0);
    assert!(sim.take().is_empty());
}

#[test]
fn registrations_are_not_news_and_news_leaves_the_summary() {
    let mut sim = Sim::new(settings());
    sim.event(&EngineEvent::Registration(RegistrationEvent {
        account: "office".into(),
        state: RegistrationState::Registered,
        reason: None,
    }));
    assert_eq!(sim.policy.poll_timeout(), None);
    sim.counts(DESK, 1, 0);
    sim.counts(SUPPORT, 1, 0);
    sim.advance(1.0);
    sim.counts(DESK, 2, 0);
    sim.advance(60.0);
    let shown = sim.take();
    let texts: Vec<(&str, &str)> = shown
        .iter()
        .map(|(_, n)| (n.title.as_str(), n.body.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("Front desk", "2 new voicemails"),
            ("Support", "1 voicemail waiting")
        ]
    );
}
