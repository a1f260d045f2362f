//! When news is shown: at once (or after the first delay), bursts gathered into one trailing
//! notification that replaces or withdraws the ones it follows, stepped through simulated time.

use super::sim::{DESK, SUPPORT, Sim, hint, settings};
use super::*;

const DESK_ID: &str = "new/office/sip:desk@pbx";
const SUPPORT_ID: &str = "new/office/sip:support@pbx";

#[test]
fn a_rise_notifies_at_once() {
    let mut sim = Sim::started(settings());
    sim.advance(60.0);
    sim.counts(DESK, 1, 0);
    let (at, shown) = sim.take().remove(0);
    assert_eq!(at, 60.0);
    assert_eq!(shown.title, "Front desk");
    assert_eq!(shown.body, "1 new voicemail");
    assert_eq!(shown.kind, NotificationKind::NewMessages);
    assert_eq!(shown.urgency, Urgency::Normal);
    assert_eq!(shown.id.0, DESK_ID);
    let target = shown.target.unwrap();
    assert_eq!(
        (target.account.as_str(), target.mailbox.as_str()),
        ("office", DESK)
    );
    assert_eq!(target.message_id, None);
    assert_eq!(sim.policy.poll_timeout(), None);
    // A coalescing time after the last news, news is at once again.
    sim.advance(3.0);
    sim.counts(SUPPORT, 1, 0);
    assert_eq!(sim.take_one().title, "Support");
}

#[test]
fn a_burst_becomes_one_notification_after_the_first() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 1, 0);
    assert_eq!(sim.take_one().id.0, DESK_ID);
    sim.advance(1.0);
    sim.counts(SUPPORT, 1, 0);
    sim.advance(1.0);
    sim.counts(DESK, 2, 0);
    assert_eq!(
        sim.policy.poll_timeout(),
        Some(sim.start + Duration::from_secs(3))
    );
    sim.advance(0.9);
    assert!(sim.take().is_empty());
    sim.advance(0.1);
    let (at, shown) = sim.take().remove(0);
    assert_eq!(at, 3.0);
    assert_eq!(shown.title, "3 new voicemails");
    assert_eq!(shown.body, "On Front desk (2) and Support (1)");
    assert_eq!(shown.id.0, "new");
    assert_eq!(shown.target, None);
    // It supersedes the first, which is closed: one news notification per burst.
    assert_eq!(sim.withdrawals(), [DESK_ID]);
    // A change just after waits a whole coalescing time, and shows the burst again.
    sim.counts(SUPPORT, 2, 0);
    sim.advance(2.9);
    assert!(sim.take().is_empty());
    sim.advance(0.1);
    let shown = sim.take_one();
    assert_eq!(shown.id.0, "new");
    assert_eq!(shown.body, "On Front desk (2) and Support (2)");
    assert!(sim.withdrawals().is_empty());
    // After a quiet coalescing time a new burst starts; the last one's summary stays.
    sim.advance(3.0);
    sim.counts(DESK, 3, 0);
    let shown = sim.take_one();
    assert_eq!(
        (shown.id.0.as_str(), shown.body.as_str()),
        (DESK_ID, "3 new voicemails")
    );
    assert!(sim.withdrawals().is_empty());
}

#[test]
fn more_news_of_one_line_replaces_its_notification() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 1, 0);
    let first = sim.take_one();
    sim.advance(1.0);
    sim.counts(DESK, 2, 1);
    sim.advance(2.0);
    let second = sim.take_one();
    assert_eq!(second.id, first.id);
    assert_eq!(second.body, "2 new voicemails, 1 urgent");
    assert_eq!(second.urgency, Urgency::Critical);
    assert!(sim.withdrawals().is_empty());
    // A replacement keeps the urgency of what it replaces.
    sim.counts(DESK, 3, 1);
    sim.advance(3.0);
    assert_eq!(sim.take_one().urgency, Urgency::Critical);
}

#[test]
fn a_trailing_notification_about_another_line_shows_both() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 1, 0);
    sim.take_one();
    sim.advance(1.0);
    sim.counts(SUPPORT, 1, 0);
    sim.advance(2.0);
    let shown = sim.take_one();
    assert_eq!(shown.id.0, "new");
    assert_eq!(shown.title, "2 new voicemails");
    assert_eq!(sim.withdrawals(), [DESK_ID]);
    // A new burst about one line; once it is heard, the summary of the last burst is
    // superseded by news that shows all its lines still waiting.
    sim.advance(3.0);
    sim.counts(DESK, 2, 0);
    sim.take_one();
    sim.advance(1.0);
    sim.counts(DESK, 0, 0);
    assert_eq!(sim.withdrawals(), [DESK_ID]);
    sim.counts(SUPPORT, 2, 0);
    sim.advance(2.0);
    let shown = sim.take_one();
    assert_eq!(
        (shown.id.0.as_str(), shown.body.as_str()),
        (SUPPORT_ID, "2 new voicemails")
    );
    assert_eq!(sim.withdrawals(), ["new"]);
}

#[test]
fn messages_heard_before_the_notification_is_due_are_left_out() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 1, 0);
    assert_eq!(sim.take_one().title, "Front desk");
    sim.counts(SUPPORT, 1, 0);
    sim.counts(DESK, 2, 0);
    sim.advance(1.0);
    sim.counts(DESK, 0, 0);
    assert_eq!(sim.withdrawals(), [DESK_ID]);
    sim.advance(2.0);
    let shown = sim.take_one();
    assert_eq!(
        (shown.title.as_str(), shown.body.as_str()),
        ("Support", "1 new voicemail")
    );
    assert!(sim.withdrawals().is_empty());
    sim.counts(SUPPORT, 2, 0);
    sim.counts(SUPPORT, 1, 0);
    sim.advance(1.0);
    sim.counts(SUPPORT, 0, 0);
    sim.advance(60.0);
    assert!(sim.take().is_empty());
}

#[test]
fn the_first_delay_lets_a_hint_describe_the_news() {
    let delayed =
        || NotificationPolicy::new(settings()).with_first_delay(Duration::from_millis(400));
    let mut sim = Sim::with(delayed());
    sim.counts(DESK, 0, 0);
    sim.counts(SUPPORT, 0, 0);
    sim.advance(10.0);
    sim.counts(DESK, 1, 0);
    assert_eq!(
        sim.policy.poll_timeout(),
        Some(sim.now + Duration::from_millis(400))
    );
    sim.advance(0.2);
    sim.policy.handle_hint(
        sim.now,
        hint(DESK, "uid-9", "Alice Smith", "+1 555 0100", 42),
    );
    // The details are there: it is shown at once instead of at the end of the delay.
    sim.advance(0.1);
    let (at, shown) = sim.take().remove(0);
    assert!((at - 10.2).abs() < 1e-6, "{at}");
    assert_eq!(shown.body, "New voicemail from Alice Smith (+1 555 0100)");
    assert_eq!(shown.target.unwrap().message_id.as_deref(), Some("uid-9"));
    // Without a hint it is shown when the delay is over, with the counts.
    sim.advance(10.0);
    sim.counts(SUPPORT, 1, 0);
    sim.advance(0.4);
    assert_eq!(sim.take_one().body, "1 new voicemail");
    // News gathering after a shown one also gets the delay when it is later.
    sim.advance(2.9);
    sim.counts(SUPPORT, 2, 0);
    sim.advance(0.3);
    assert!(sim.take().is_empty());
    sim.advance(0.1);
    assert_eq!(sim.take_one().body, "2 new voicemails");
    // Heard within the delay: nothing to show.
    sim.advance(10.0);
    sim.counts(DESK, 2, 0);
    sim.advance(0.1);
    sim.counts(DESK, 0, 0);
    sim.advance(10.0);
    assert!(sim.take().is_empty());
}

#[test]
fn news_supersedes_the_startup_summary_of_its_lines() {
    let mut sim = Sim::new(settings());
    sim.counts(DESK, 2, 0);
    sim.advance(20.0);
    let summary = sim.take_one();
    assert_eq!(summary.id.0, "waiting/office/sip:desk@pbx");
    sim.counts(DESK, 3, 0);
    assert_eq!(sim.take_one().id.0, DESK_ID);
    assert_eq!(sim.withdrawals(), [summary.id.0]);

    // A summary of several lines stays while news covers only some of them.
    let mut sim = Sim::new(settings());
    sim.counts(DESK, 2, 0);
    sim.counts(SUPPORT, 1, 0);
    sim.advance(20.0);
    assert_eq!(sim.take_one().id.0, "waiting");
    sim.counts(DESK, 3, 0);
    sim.take_one();
    assert!(sim.withdrawals().is_empty());
}

#[test]
fn a_notification_shown_again_before_it_was_closed_stays() {
    let mut sim = Sim::started(settings());
    sim.counts(DESK, 1, 0);
    sim.take_one();
    sim.advance(5.0);
    sim.counts(DESK, 0, 0);
    sim.counts(DESK, 1, 0);
    assert_eq!(sim.take_one().id.0, DESK_ID);
    assert!(sim.withdrawals().is_empty());
    sim.counts(DESK, 0, 0);
    assert_eq!(sim.withdrawals(), [DESK_ID]);
}

#[test]
fn details_that_came_first_let_the_news_show_at_once() {
    let delayed =
        || NotificationPolicy::new(settings()).with_first_delay(Duration::from_millis(400));
    let mut sim = Sim::with(delayed());
    sim.counts(DESK, 0, 0);
    sim.advance(10.0);
    sim.policy
        .handle_hint(sim.now, hint(DESK, "uid-3", "Bob Jones", "300", 7));
    sim.advance(0.05);
    sim.counts(DESK, 1, 0);
    sim.advance(0.01);
    let (at, shown) = sim.take().remove(0);
    assert!((at - 10.05).abs() < 1e-6, "shown at {at}, not at once");
    assert_eq!(shown.body, "New voicemail from Bob Jones (300)");
}
