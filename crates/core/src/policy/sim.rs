//! The test harness: a policy in simulated time, and the events and hints the tests feed it.

use super::*;
use crate::event::MailboxEvent;

pub(super) const DESK: &str = "sip:desk@pbx";
pub(super) const SUPPORT: &str = "sip:support@pbx";
pub(super) const NOON: u16 = 12 * 60;

/// A mailbox event of the account "office".
pub(super) fn mailbox(uri: &str, state: LampState, new: u32, urgent: u32) -> EngineEvent {
    let known = state != LampState::Unknown && state != LampState::Failed;
    EngineEvent::Mailbox(MailboxEvent {
        account: "office".into(),
        mailbox: uri.into(),
        state,
        waiting: known.then_some(new > 0),
        new: known.then_some(new),
        old: known.then_some(0),
        urgent_new: known.then_some(urgent),
        urgent_old: known.then_some(0),
        source: None,
        reason: (state != LampState::Active).then(|| "no connection to the server".into()),
        at: None,
        classes: BTreeMap::new(),
    })
}

pub(super) fn hint(uri: &str, id: &str, name: &str, number: &str, seconds: u32) -> MessageHint {
    MessageHint {
        account: "office".into(),
        mailbox: uri.into(),
        message_id: id.into(),
        caller_number: Some(number.into()),
        caller_name: Some(name.into()),
        duration_s: Some(seconds),
        urgent: false,
    }
}

pub(super) fn settings() -> NotificationSettings {
    NotificationSettings {
        enabled: true,
        privacy: Privacy::Caller,
        quiet_hours: None,
        urgent_reminder: Some(Duration::from_secs(600)),
        coalesce: Duration::from_secs(3),
    }
}

/// A policy in simulated time that collects what it shows.
pub(super) struct Sim {
    pub policy: NotificationPolicy,
    pub start: Instant,
    pub now: Instant,
    pub minute: u16,
    /// When each notification was shown, and what.
    pub shown: Vec<(Instant, Notification)>,
}

impl Sim {
    pub fn new(settings: NotificationSettings) -> Self {
        Self::with(NotificationPolicy::new(settings))
    }

    pub fn with(mut policy: NotificationPolicy) -> Self {
        policy.set_line_name("office", DESK, "Front desk");
        policy.set_line_name("office", SUPPORT, "Support");
        let start = Instant::now();
        Self {
            policy,
            start,
            now: start,
            minute: NOON,
            shown: Vec::new(),
        }
    }

    /// Starts with both lines active and empty (no startup summary).
    pub fn started(settings: NotificationSettings) -> Self {
        let mut sim = Self::new(settings);
        sim.event(&mailbox(DESK, LampState::Active, 0, 0));
        sim.event(&mailbox(SUPPORT, LampState::Active, 0, 0));
        sim
    }

    pub fn event(&mut self, event: &EngineEvent) {
        self.policy.handle_event(self.now, event);
        self.drain();
    }

    pub fn counts(&mut self, uri: &str, new: u32, urgent: u32) {
        self.event(&mailbox(uri, LampState::Active, new, urgent));
    }

    fn drain(&mut self) {
        while let Some(shown) = self.policy.poll_notification(self.now, self.minute) {
            self.shown.push((self.now, shown));
        }
    }

    /// Moves time forward by `secs`, stopping at every deadline on the way.
    pub fn advance(&mut self, secs: f64) {
        let target = self.now + Duration::from_secs_f64(secs);
        for _ in 0..100_000 {
            self.drain();
            match self.policy.poll_timeout() {
                Some(at) if at <= target => {
                    assert!(at > self.now, "a deadline that polling did not clear");
                    self.now = at;
                }
                _ => {
                    self.now = target;
                    self.drain();
                    return;
                }
            }
        }
        panic!("the policy's deadlines do not advance");
    }

    /// Takes what was shown so far, with when (seconds since the start).
    pub fn take(&mut self) -> Vec<(f64, Notification)> {
        let start = self.start;
        let shown = self.take_timed().into_iter();
        shown
            .map(|(at, n)| ((at - start).as_secs_f64(), n))
            .collect()
    }

    /// Takes what was shown so far, with when.
    pub fn take_timed(&mut self) -> Vec<(Instant, Notification)> {
        std::mem::take(&mut self.shown)
    }

    /// The ids the policy asks to close, in order.
    pub fn withdrawals(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.policy.poll_withdrawal())
            .map(|id| id.0)
            .collect()
    }

    pub fn take_one(&mut self) -> Notification {
        let mut shown = self.take();
        assert_eq!(shown.len(), 1, "{shown:#?}");
        shown.remove(0).1
    }
}
