//! Urgent reminders, turning notifications off and on, and bounds on the settings, stepped
//! through simulated time.

use super::sim::{DESK, SUPPORT, Sim, mailbox, settings};
use super::*;

#[test]
fn urgent_messages_are_reminded_until_heard() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 1, 1);
    sim.advance(3.0);
    assert_eq!(sim.take_one().kind, NotificationKind::NewMessages);
    sim.advance(1800.0);
    let shown = sim.take();
    let times: Vec<f64> = shown.iter().map(|(at, _)| *at).collect();
    assert_eq!(times, [600.0, 1200.0, 1800.0]);
    let reminder = &shown[0].1;
    assert_eq!(reminder.kind, NotificationKind::UrgentReminder);
    assert_eq!(reminder.urgency, Urgency::Critical);
    assert_eq!(reminder.title, "Front desk");
    assert_eq!(reminder.body, "1 urgent voicemail still unheard");
    assert_eq!(reminder.id.0, "reminder/office/sip:desk@pbx");
    // Heard: the reminder is withdrawn and stops.
    sim.counts(DESK, 1, 0);
    assert_eq!(sim.policy.poll_withdrawal(), Some(reminder.id.clone()));
    sim.advance(3600.0);
    assert!(sim.take().is_empty());
    assert_eq!(sim.policy.poll_timeout(), None);
}

#[test]
fn reminders_pause_while_the_mailbox_is_not_active() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 1, 1);
    sim.advance(3.0);
    sim.take();
    sim.advance(500.0);
    sim.event(&mailbox(DESK, LampState::Stale, 1, 1));
    sim.advance(3600.0);
    assert!(sim.take().is_empty());
    // Back with the same counts: no news, the interval starts again.
    sim.counts(DESK, 1, 1);
    sim.advance(599.0);
    assert!(sim.take().is_empty());
    sim.advance(1.0);
    assert_eq!(sim.take_one().kind, NotificationKind::UrgentReminder);
}

#[test]
fn reminders_due_close_together_are_one() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 1, 1);
    sim.advance(2.0);
    sim.counts(SUPPORT, 2, 2);
    sim.advance(3.0);
    let news: Vec<(f64, String)> = sim
        .take()
        .into_iter()
        .map(|(at, n)| (at, n.title))
        .collect();
    assert_eq!(
        news,
        [
            (0.0, "Front desk".to_owned()),
            (3.0, "3 new voicemails, 3 urgent".to_owned())
        ]
    );
    sim.advance(605.0);
    let (at, shown) = sim.take().remove(0);
    assert_eq!(at, 600.0);
    assert_eq!(shown.title, "3 urgent voicemails still unheard");
    assert_eq!(shown.body, "On Front desk (1) and Support (2)");
    assert_eq!(shown.target, None);
}

#[test]
fn no_reminder_when_none_is_set() {
    let mut settings = settings();
    settings.urgent_reminder = None;
    let mut sim = Sim::started(settings);
    sim.counts(DESK, 1, 1);
    sim.advance(3.0);
    sim.take_one();
    assert_eq!(sim.policy.poll_timeout(), None);
    sim.advance(86_400.0);
    assert!(sim.take().is_empty());
}

#[test]
fn a_zero_reminder_interval_does_not_spin() {
    let mut settings = settings();
    settings.urgent_reminder = Some(Duration::ZERO);
    settings.coalesce = Duration::ZERO;
    let mut sim = Sim::started(settings);
    sim.counts(DESK, 1, 1);
    sim.advance(10.0);
    let shown = sim.take();
    assert_eq!(
        shown.len(),
        11,
        "the news and one reminder a second: {shown:#?}"
    );
}

#[test]
fn disabled_means_nothing_and_no_replay_when_enabled_again() {
    let mut off = settings();
    off.enabled = false;
    let mut sim = Sim::started(off);
    sim.counts(DESK, 1, 1);
    assert_eq!(sim.policy.poll_timeout(), None);
    sim.advance(86_400.0);
    assert!(sim.take().is_empty());
    let now = sim.now;
    sim.policy.set_settings(now, settings());
    sim.advance(599.0);
    assert!(sim.take().is_empty());
    sim.advance(1.0);
    assert_eq!(sim.take_one().kind, NotificationKind::UrgentReminder);
    sim.counts(DESK, 2, 1);
    sim.advance(3.0);
    assert_eq!(sim.take_one().kind, NotificationKind::NewMessages);
}

#[test]
fn oversized_settings_are_bounded() {
    let mut settings = settings();
    settings.coalesce = Duration::MAX;
    settings.urgent_reminder = Some(Duration::MAX);
    let mut sim = Sim::started(settings);
    sim.counts(DESK, 1, 1);
    sim.advance(MAX_COALESCE.as_secs_f64());
    assert_eq!(sim.take_one().kind, NotificationKind::NewMessages);
    sim.advance(MAX_REMINDER.as_secs_f64());
    assert_eq!(sim.take_one().kind, NotificationKind::UrgentReminder);
}

#[test]
fn settings_applied_again_do_not_postpone_reminders() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 1, 1);
    sim.advance(300.0);
    sim.take();
    let now = sim.now;
    sim.policy.set_settings(now, settings());
    sim.advance(300.0);
    assert_eq!(sim.take_one().kind, NotificationKind::UrgentReminder);
    let now = sim.now;
    let mut longer = settings();
    longer.urgent_reminder = Some(Duration::from_secs(900));
    sim.policy.set_settings(now, longer);
    sim.advance(899.0);
    assert!(sim.take().is_empty());
    sim.advance(1.0);
    assert_eq!(sim.take_one().kind, NotificationKind::UrgentReminder);
}

#[test]
fn a_settings_save_announces_nothing_again_and_keeps_the_reminders() {
    let mut sim = Sim::new(settings());
    sim.counts(DESK, 2, 1);
    sim.advance(STARTUP_WINDOW.as_secs_f64());
    assert_eq!(sim.take_one().kind, NotificationKind::Waiting);
    sim.advance(100.0);

    // Saved with another privacy setting (the reminder interval unchanged), while messages wait.
    let mut config = crate::Config::default();
    config
        .accounts
        .push(crate::AccountConfig::new("office", "sip:desk@pbx"));
    config.notifications = NotificationSettings {
        privacy: Privacy::CountOnly,
        ..settings()
    };
    sim.policy.reconfigure(sim.now, &config);
    // The line goes stale and comes back with the same counts, as on a restart of its account.
    sim.counts(DESK, 2, 1);
    sim.advance(STARTUP_WINDOW.as_secs_f64() * 2.0);
    assert!(sim.take().is_empty(), "nothing is announced again");
    // The reminder keeps its time: 600 s after the first counts, not after the save.
    sim.advance(600.0 - 100.0 - STARTUP_WINDOW.as_secs_f64() * 3.0);
    let shown = sim.take();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(shown[0].0, 600.0);
    assert_eq!(shown[0].1.kind, NotificationKind::UrgentReminder);

    // An account removed in the save takes its lines along.
    sim.policy.reconfigure(sim.now, &crate::Config::default());
    sim.advance(3600.0);
    assert!(sim.take().is_empty(), "no reminder of a removed account");
}
