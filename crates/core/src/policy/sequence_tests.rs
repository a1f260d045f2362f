//! Properties over long pseudo-random sequences of events, hints and time steps (deterministic:
//! a fixed-seed xorshift generator, so a failure names its seed and step).
//!
//! * News is only shown when some mailbox's new or urgent count rose since the last news, and
//!   exactly when the first delay after such a rise is over or, if later, the coalescing time
//!   after the last news; a summary only when some mailbox's first counts had messages.
//! * A reminder only when some mailbox has been active with urgent messages for an interval.
//! * Notifications of one kind are at least the coalescing time apart.
//! * Only notifications on screen are withdrawn, each once.
//! * Count-only privacy never shows caller data; no text shows a URI's password; quiet hours
//!   show only critical notifications; disabled shows nothing.

use super::sim::{DESK, SUPPORT, Sim, hint, mailbox, settings};
use super::*;
use std::collections::{HashMap, HashSet};

const SALES: &str = "sip:sales:hunter2@pbx";
const LINES: [&str; 3] = [DESK, SUPPORT, SALES];
const STEPS: usize = 400;
const SEEDS: u64 = 200;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What an observer of the same inputs knows, without the policy's bookkeeping.
#[derive(Default)]
struct Oracle {
    last: HashMap<&'static str, (u32, u32)>,
    urgent_since: HashMap<&'static str, Instant>,
    /// When counts rose since the last news was shown.
    rises_since_news: Vec<Instant>,
    first_with_messages: bool,
    last_shown: HashMap<String, Instant>,
    on_screen: HashSet<String>,
}

impl Oracle {
    fn counts(&mut self, now: Instant, uri: &'static str, new: u32, urgent: u32) {
        match self.last.insert(uri, (new, urgent)) {
            None => self.first_with_messages |= new > 0,
            Some((n, u)) if new > n || urgent > u => self.rises_since_news.push(now),
            Some(_) => {}
        }
        if urgent == 0 {
            self.urgent_since.remove(uri);
        } else {
            self.urgent_since.entry(uri).or_insert(now);
        }
    }

    fn inactive(&mut self, uri: &'static str) {
        self.urgent_since.remove(uri);
    }
}

#[test]
fn random_sequences_keep_the_rules() {
    let mut shown_total = [0usize; 4];
    for seed in 1..=SEEDS {
        let counts = run(seed);
        for (total, n) in shown_total.iter_mut().zip(counts) {
            *total += n;
        }
    }
    // The sequences do reach every kind, and withdraw (so the checks above were exercised).
    assert!(shown_total.iter().all(|&n| n > 50), "{shown_total:?}");
}

/// One sequence; returns how many news, summaries and reminders it showed, and how many
/// notifications it withdrew.
fn run(seed: u64) -> [usize; 4] {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut settings = settings();
    settings.urgent_reminder = Some(Duration::from_secs(120));
    settings.coalesce = Duration::from_millis(rng.below(5000));
    settings.privacy = [
        Privacy::CountOnly,
        Privacy::Caller,
        Privacy::CallerAndDuration,
    ][rng.below(3) as usize];
    settings.enabled = rng.below(10) != 0;
    if rng.below(2) == 0 {
        settings.quiet_hours = Some(QuietHours {
            start_minute: 22 * 60,
            end_minute: 7 * 60,
        });
    }
    let first_delay = Duration::from_millis(rng.below(2) * rng.below(1000));
    let (coalesce, every) = (settings.coalesce, Duration::from_secs(120));
    let mut sim =
        Sim::with(NotificationPolicy::new(settings.clone()).with_first_delay(first_delay));
    let mut oracle = Oracle::default();
    let mut shown_by_kind = [0usize; 4];
    for step in 0..STEPS {
        let uri = LINES[rng.below(3) as usize];
        match rng.below(10) {
            0..=3 => {
                let new = rng.below(5) as u32;
                let urgent = rng.below(u64::from(new) + 1) as u32;
                oracle.counts(sim.now, uri, new, urgent);
                sim.counts(uri, new, urgent);
            }
            4 => {
                let state = [LampState::Stale, LampState::Failed, LampState::Unknown]
                    [rng.below(3) as usize];
                let (new, urgent) = oracle.last.get(uri).copied().unwrap_or_default();
                oracle.inactive(uri);
                sim.event(&mailbox(uri, state, new, urgent));
            }
            5 => {
                let id = format!("uid-{step}");
                let now = sim.now;
                sim.policy
                    .handle_hint(now, hint(uri, &id, "Zed Sentinel", "5550999", 42));
            }
            6 => sim.minute = rng.below(24 * 60) as u16,
            7 => sim.advance(rng.below(900) as f64),
            _ => sim.advance(rng.below(5000) as f64 / 1000.0),
        }
        for (at, shown) in sim.take_timed() {
            let context = format!("seed {seed} step {step}: {shown:?}");
            assert!(settings.enabled, "{context}");
            let text = format!("{} {}", shown.title, shown.body);
            assert!(!text.contains("hunter2"), "{context}");
            if settings.privacy == Privacy::CountOnly {
                assert!(
                    !text.contains("Zed") && !text.contains("5550999"),
                    "{context}"
                );
            }
            let quiet = settings.quiet_hours.is_some_and(|q| q.contains(sim.minute));
            assert!(!quiet || shown.urgency == Urgency::Critical, "{context}");
            let kind = shown.kind.key().to_owned();
            let before = oracle.last_shown.insert(kind, at);
            if let Some(before) = before {
                assert!(at - before >= coalesce, "{context}");
            }
            oracle.on_screen.insert(shown.id.0.clone());
            match shown.kind {
                NotificationKind::NewMessages => {
                    let due = |rise: &Instant| {
                        let after_delay = *rise + first_delay;
                        before.map_or(after_delay, |last| after_delay.max(last + coalesce))
                    };
                    // Never later than due; earlier only once caller details are there (at or
                    // after a rise, and still spaced from the last news).
                    let on_time = oracle.rises_since_news.iter().any(|r| {
                        due(r) == at
                            || (at >= *r
                                && at < due(r)
                                && before.is_none_or(|last| at >= last + coalesce))
                    });
                    assert!(on_time, "{context}");
                    oracle.rises_since_news.clear();
                    shown_by_kind[0] += 1;
                }
                NotificationKind::Waiting => {
                    assert!(oracle.first_with_messages, "{context}");
                    oracle.first_with_messages = false;
                    shown_by_kind[1] += 1;
                }
                NotificationKind::UrgentReminder => {
                    let due = oracle
                        .urgent_since
                        .values()
                        .any(|since| *since + every <= at);
                    assert!(due, "{context}");
                    shown_by_kind[2] += 1;
                }
            }
        }
        for id in sim.withdrawals() {
            assert!(
                oracle.on_screen.remove(&id),
                "seed {seed} step {step}: {id}"
            );
            shown_by_kind[3] += 1;
        }
    }
    shown_by_kind
}
