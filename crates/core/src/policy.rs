//! Notification policy: when a change of the lamps becomes a desktop notification, and what it
//! may say. Pure and sans-IO like `voicelamp-sip`: time comes in as arguments (a monotonic
//! `now` and the local minute of the day), nothing reads a clock, nothing is shown from here.
//!
//! # Rules
//!
//! * **News.** A notification ([`NotificationKind::NewMessages`]) is raised when a mailbox's new
//!   count (or its urgent new count) goes up — by `voice-message` counts, or when a server that
//!   sends no counts turns `Messages-Waiting` to yes. Counts that drop, stay the same, or come
//!   back unchanged after the mailbox was stale, failed or unknown (a reconnect) are not news.
//! * **Start.** The first counts a mailbox reports after the policy was created are not news
//!   either. When something is waiting in them, they join one summary
//!   ([`NotificationKind::Waiting`], low urgency) gathered over [`STARTUP_WINDOW`] (or the
//!   coalescing time, if longer). [`NotificationPolicy::with_startup_summary`] turns it off.
//! * **At once.** When no news was shown within the last `coalesce`, news is shown at once, or
//!   after the first delay ([`NotificationPolicy::with_first_delay`], none by default) so that a
//!   hint arriving meanwhile can describe it; more news within the delay joins it.
//! * **Bursts.** News within `coalesce` after a shown one gathers into one notification, shown
//!   when that time is over (or its first delay, if later). It shows the lines of the one it
//!   follows too: about the same single line it has the same id and replaces it on screen;
//!   about several lines (id `new`) it supersedes the earlier ones, which are withdrawn, so one
//!   news notification per burst stays. News also withdraws the startup summary once it shows
//!   every line of it that still has messages. Notifications of one kind are always at least
//!   `coalesce` apart.
//! * **Current counts.** A notification shows the current counts of its lines; lines whose
//!   messages were all heard before it was due are left out, and nothing is shown if none
//!   remain (or only lines shown before, with no news of their own).
//! * **Privacy.** [`Privacy::CountOnly`] shows counts only; [`Privacy::Caller`] adds the caller's
//!   name and number from a [`MessageHint`] when one notification is about one line;
//!   [`Privacy::CallerAndDuration`] adds the length ("0:42"). Line names come from the caller
//!   ([`NotificationPolicy::set_line_name`]); text never holds passwords or URIs' secrets.
//! * **Hints.** A hint describes the next news of its line shown after it when it arrived at
//!   most [`HINT_LEAD`] before that news came, or during the first delay; news gathered after a
//!   shown one only by hints that arrived after it came (one arriving just after a notification
//!   is late word of that notification's message). A hint is used once.
//! * **Urgency.** News with an urgent message, and reminders, are [`Urgency::Critical`].
//! * **Quiet hours.** Inside them, non-urgent notifications are dropped, not queued to fire when
//!   the quiet time ends (the lamp and the tray still show the counts); urgent ones still notify.
//! * **Reminders.** While a mailbox is active with urgent new messages, an
//!   [`NotificationKind::UrgentReminder`] repeats every `urgent_reminder` (at least the coalescing
//!   time and [`MIN_REMINDER`]); it stops when the urgent count drops to zero or the mailbox is
//!   no longer active, and restarts its interval when the urgent count rises or the mailbox comes
//!   back.
//! * **Off.** With `enabled = false` nothing is raised; state is still followed, so turning
//!   notifications back on does not replay old counts as news.
//!
//! # Driving it
//!
//! Inputs: [`NotificationPolicy::handle_event`] (every [`EngineEvent`], in order) and
//! [`NotificationPolicy::handle_hint`]. Outputs: [`NotificationPolicy::poll_notification`] until
//! it returns `None` (a notification with the id of one on screen replaces it), then
//! [`NotificationPolicy::poll_withdrawal`] until it returns `None` (notifications to close:
//! their messages have all been heard, or a later one superseded them). Then wait until
//! [`NotificationPolicy::poll_timeout`] or the next input, whichever comes first.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::time::{Duration, Instant};
//! use voicelamp_core::policy::{NotificationPolicy, NotificationSettings};
//! use voicelamp_core::{EngineEvent, LampState, MailboxEvent};
//!
//! let mut policy = NotificationPolicy::new(NotificationSettings::default()); // coalesce: 3 s
//! policy.set_line_name("office", "sip:desk@pbx", "Front desk");
//! let counts = |new| EngineEvent::Mailbox(MailboxEvent {
//!     account: "office".into(),
//!     mailbox: "sip:desk@pbx".into(),
//!     state: LampState::Active,
//!     waiting: Some(new > 0),
//!     new: Some(new),
//!     old: Some(0),
//!     urgent_new: Some(0),
//!     urgent_old: Some(0),
//!     source: None,
//!     reason: None,
//!     at: None,
//!     classes: BTreeMap::new(),
//! });
//! let start = Instant::now(); // the driver's clock; the policy never reads one
//! policy.handle_event(start, &counts(0)); // first counts: nothing waiting, nothing to say
//! let at = |secs| start + Duration::from_secs(secs);
//! policy.handle_event(at(60), &counts(2)); // news: shown at once
//! let first = policy.poll_notification(at(60), 12 * 60).unwrap();
//! assert_eq!((first.title.as_str(), first.body.as_str()), ("Front desk", "2 new voicemails"));
//! policy.handle_event(at(61), &counts(3)); // more within the coalescing time: it waits
//! assert!(policy.poll_notification(at(61), 12 * 60).is_none());
//! let due = policy.poll_timeout().unwrap();
//! assert_eq!(due, at(63)); // the coalescing time after the first is over
//! let again = policy.poll_notification(due, 12 * 60).unwrap();
//! assert_eq!((again.id, again.body.as_str()), (first.id, "3 new voicemails")); // replaces it
//! assert_eq!(policy.poll_withdrawal(), None);
//! ```

mod line;
mod notification;
pub mod settings;
mod text;

#[cfg(test)]
mod coalesce_tests;
#[cfg(test)]
mod reminder_tests;
#[cfg(test)]
mod sequence_tests;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

pub use notification::{
    MessageHint, Notification, NotificationId, NotificationKind, Target, Urgency,
};
pub use settings::{NotificationSettings, Privacy, QuietHours};

use crate::event::{EngineEvent, LampState};
use crate::lamp::LampModel;
use line::{Chosen, Level, Line, LineKey, Window, fallback_name};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};
use text::LineText;

/// The longest coalescing time honoured; longer settings are shortened to it.
pub const MAX_COALESCE: Duration = Duration::from_secs(5 * 60);
/// The shortest reminder interval honoured (it is also never shorter than the coalescing time).
pub const MIN_REMINDER: Duration = Duration::from_secs(1);
/// The longest reminder interval honoured.
pub const MAX_REMINDER: Duration = Duration::from_secs(24 * 60 * 60);
/// How long the startup summary gathers first counts (unless the coalescing time is longer).
pub const STARTUP_WINDOW: Duration = Duration::from_secs(10);
/// How long before the news a hint may have arrived and still describe it.
pub const HINT_LEAD: Duration = Duration::from_secs(60);
/// How long news waits for a voicemail store to name the caller (see
/// [`NotificationPolicy::for_config`]).
pub const HINT_GRACE: Duration = Duration::from_millis(400);
/// Hints kept per line (the oldest are dropped).
const MAX_HINTS_PER_LINE: usize = 16;

/// The last news notification shown.
#[derive(Debug)]
struct LastNews {
    at: Instant,
    /// Its lines, with whether their news was urgent.
    lines: Vec<(LineKey, bool)>,
}

/// The notification policy of all lines. See the [module documentation](self) for the rules
/// and the order of calls.
///
/// Methods: getters ([`settings`](Self::settings)), mutators ([`set_settings`](Self::set_settings),
/// [`set_line_name`](Self::set_line_name), [`name_lines`](Self::name_lines)), inputs
/// (`handle_*`) and outputs (`poll_*`).
#[derive(Debug)]
pub struct NotificationPolicy {
    settings: NotificationSettings,
    startup_summary: bool,
    lines: BTreeMap<LineKey, Line>,
    first_delay: Duration,
    news: Option<Window>,
    /// The last news notification shown: the next is due no sooner than `coalesce` after it.
    last_news: Option<LastNews>,
    waiting: Option<Window>,
    /// Notifications on screen (as far as the policy knows), with their kind and lines.
    shown: BTreeMap<NotificationId, (NotificationKind, Vec<LineKey>)>,
    withdrawals: VecDeque<NotificationId>,
}

impl NotificationPolicy {
    /// A policy with no lines known yet; the startup summary is on.
    pub fn new(settings: NotificationSettings) -> Self {
        Self {
            settings,
            startup_summary: true,
            first_delay: Duration::ZERO,
            lines: BTreeMap::new(),
            news: None,
            last_news: None,
            waiting: None,
            shown: BTreeMap::new(),
            withdrawals: VecDeque::new(),
        }
    }

    /// Whether the first counts after start raise one summary of what is waiting.
    pub fn with_startup_summary(mut self, on: bool) -> Self {
        self.startup_summary = on;
        self
    }

    /// How long news waits before it is shown when no news was shown within the coalescing
    /// time (default: not at all), so that a [`MessageHint`] arriving meanwhile can describe
    /// it. Longer than [`MAX_COALESCE`] is shortened to it.
    pub fn with_first_delay(mut self, delay: Duration) -> Self {
        self.first_delay = delay.min(MAX_COALESCE);
        self
    }

    /// The policy for `config`: its notification settings, the startup summary on, and news
    /// waiting [`HINT_GRACE`] for the caller only when some account has a voicemail store that
    /// can name them and the privacy setting lets the caller be shown.
    pub fn for_config(config: &crate::Config) -> Self {
        let caller_shown = config.notifications.privacy != Privacy::CountOnly;
        let store = config.accounts.iter().any(|a| a.voicemail.is_some());
        let delay = if caller_shown && store {
            HINT_GRACE
        } else {
            Duration::ZERO
        };
        Self::new(config.notifications.clone())
            .with_startup_summary(true)
            .with_first_delay(delay)
    }

    // ---- getters ----

    /// The settings as given.
    pub fn settings(&self) -> &NotificationSettings {
        &self.settings
    }

    fn coalesce(&self) -> Duration {
        self.settings.coalesce.min(MAX_COALESCE)
    }

    fn reminder(&self) -> Option<Duration> {
        let shortest = MIN_REMINDER.max(self.coalesce());
        self.settings
            .urgent_reminder
            .map(|every| every.clamp(shortest, MAX_REMINDER))
    }

    fn name_of(&self, key: &LineKey) -> String {
        match self.lines.get(key).and_then(|line| line.name.clone()) {
            Some(name) => name,
            None => fallback_name(&key.1),
        }
    }

    // ---- mutators ----

    /// New settings, effective at `now`: pending news is dropped when notifications are turned
    /// off; when they are turned on again or the reminder interval changed, reminders restart
    /// their interval from `now` (the same settings applied again change nothing).
    pub fn set_settings(&mut self, now: Instant, settings: NotificationSettings) {
        let (was_enabled, every_before) = (self.settings.enabled, self.reminder());
        self.settings = settings;
        if !self.settings.enabled {
            self.news = None;
            self.waiting = None;
        }
        if self.settings.enabled == was_enabled && self.reminder() == every_before {
            return;
        }
        let next = self.reminder().and_then(|every| now.checked_add(every));
        for line in self.lines.values_mut() {
            let urgent = line.level.is_some_and(|level| level.urgent > 0);
            line.next_reminder = next.filter(|_| line.active && urgent);
        }
    }

    /// The configuration changed (a Settings save) while the lines keep what they know: its
    /// notification settings apply as [`set_settings`](Self::set_settings) does, the first delay
    /// follows [`for_config`](Self::for_config), and the lines of accounts it no longer has are
    /// forgotten. Nothing already waiting is announced again: the startup summary is for the
    /// first counts of a line, and lines kept here are not new.
    pub fn reconfigure(&mut self, now: Instant, config: &crate::Config) {
        let delay = Self::for_config(config).first_delay;
        self.first_delay = delay;
        self.set_settings(now, config.notifications.clone());
        let ids: std::collections::BTreeSet<&str> =
            config.accounts.iter().map(|a| a.id.as_str()).collect();
        self.lines
            .retain(|(account, _), _| ids.contains(account.as_str()));
    }

    /// The name shown for a line (account id and mailbox URI as in [`crate::MailboxEvent`]). Without
    /// one, the user part of the mailbox URI is shown.
    pub fn set_line_name(&mut self, account: &str, mailbox: &str, name: &str) {
        let key = (account.to_owned(), mailbox.to_owned());
        self.lines.entry(key).or_default().name = Some(name.to_owned());
    }

    /// Names every line of `model` with its mailbox's display name.
    pub fn name_lines(&mut self, model: &LampModel) {
        for account in model.accounts() {
            for mailbox in &account.mailboxes {
                self.set_line_name(&account.id, &mailbox.uri, &mailbox.display_name);
            }
        }
    }

    // ---- inputs ----

    /// One event of the engine's stream, observed at `now`. Registration events are ignored.
    pub fn handle_event(&mut self, now: Instant, event: &EngineEvent) {
        let EngineEvent::Mailbox(event) = event else {
            return;
        };
        let key = (event.account.clone(), event.mailbox.clone());
        let reminder = self.reminder();
        let line = self.lines.entry(key.clone()).or_default();
        if event.state != LampState::Active {
            line.active = false;
            line.next_reminder = None;
            return;
        }
        let Some(level) = Level::of(event) else {
            return;
        };
        let before = line.level.replace(level);
        let was_active = std::mem::replace(&mut line.active, true);
        let urgent_rose = level.urgent > before.map_or(0, |b| b.urgent);
        line.next_reminder = match reminder {
            Some(every) if level.urgent > 0 => {
                if urgent_rose || !was_active || line.next_reminder.is_none() {
                    now.checked_add(every)
                } else {
                    line.next_reminder
                }
            }
            _ => None,
        };
        let enabled = self.settings.enabled;
        match before {
            None if enabled && self.startup_summary && level.has_messages() => {
                let span = self.coalesce().max(STARTUP_WINDOW);
                let due = now.checked_add(span).unwrap_or(now);
                let waiting = self.waiting.get_or_insert_with(|| Window::new(due, now));
                waiting.add(&key, level.urgent > 0);
            }
            None => {}
            Some(before) => {
                if enabled && level.rose_from(&before) {
                    self.add_news(now, &key, urgent_rose);
                }
                if before.rose_from(&level) {
                    self.check_withdrawals();
                }
            }
        }
    }

    /// What the mailbox store knows about a new message, observed at `now`. It describes the
    /// next news of its line shown after it if it arrived at most [`HINT_LEAD`] before that
    /// news came (or during the first delay). News that gathers after a shown one within the
    /// coalescing time is described only by hints that arrived after it came.
    pub fn handle_hint(&mut self, now: Instant, hint: MessageHint) {
        let key = (hint.account.clone(), hint.mailbox.clone());
        let hints = &mut self.lines.entry(key).or_default().hints;
        hints.retain(|(_, h)| h.message_id != hint.message_id);
        if hints.len() >= MAX_HINTS_PER_LINE {
            hints.pop_front();
        }
        hints.push_back((now, hint));
        self.show_early_when_described(now);
    }

    /// A first news window waiting only for caller details is due at once when every line in it
    /// has them (a follow-up keeps its coalescing time).
    fn show_early_when_described(&mut self, now: Instant) {
        let ready = self.news.as_ref().is_some_and(|window| {
            window.carried.is_empty()
                && window.due > now
                && window.lines.iter().all(|(key, _)| {
                    self.lines.get(key).is_some_and(|line| {
                        line.hints.iter().any(|(at, _)| *at >= window.hints_since)
                    })
                })
        });
        if ready && let Some(window) = self.news.as_mut() {
            window.due = now;
        }
    }

    // ---- outputs ----

    /// The next notification to show at `now`, when one is due. `local_minute_of_day`
    /// (0..1440, local time) decides quiet hours. Call until it returns `None`.
    pub fn poll_notification(
        &mut self,
        now: Instant,
        local_minute_of_day: u16,
    ) -> Option<Notification> {
        if !self.settings.enabled {
            self.news = None;
            self.waiting = None;
            return None;
        }
        let quiet = self
            .settings
            .quiet_hours
            .is_some_and(|q| q.contains(local_minute_of_day));
        if let Some(window) = self.news.take_if(|w| w.due <= now)
            && let Some(shown) = self.emit_news(now, &window, quiet)
        {
            return Some(shown);
        }
        if let Some(window) = self.waiting.take_if(|w| w.due <= now)
            && let Some(shown) = self.emit_waiting(&window, quiet)
        {
            return Some(shown);
        }
        self.poll_reminder(now)
    }

    /// The id of a notification shown earlier whose messages have all been heard (for a
    /// reminder: whose urgent messages have), so the shell can close it.
    pub fn poll_withdrawal(&mut self) -> Option<NotificationId> {
        self.withdrawals.pop_front()
    }

    /// When [`poll_notification`](Self::poll_notification) next has something to do, if
    /// nothing else comes in before.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.settings.enabled {
            return None;
        }
        let windows = [&self.news, &self.waiting];
        let windows = windows.into_iter().flatten().map(|w| w.due);
        let reminders = self.lines.values().filter_map(|line| line.next_reminder);
        let reminders = reminders.filter(|_| self.reminder().is_some());
        windows.chain(reminders).min()
    }

    // ---- internals ----

    fn poll_reminder(&mut self, now: Instant) -> Option<Notification> {
        let every = self.reminder()?;
        let due = |line: &Line, at: Instant| line.next_reminder.is_some_and(|t| t <= at);
        if !self.lines.values().any(|line| due(line, now)) {
            return None;
        }
        // Reminders due within the coalescing time are shown now, as one.
        let horizon = now.checked_add(self.coalesce()).unwrap_or(now);
        let next = now.checked_add(every);
        let mut keys = Vec::new();
        for (key, line) in &mut self.lines {
            if due(line, horizon) {
                line.next_reminder = next;
                keys.push(key.clone());
            }
        }
        let chosen = keys
            .into_iter()
            .filter_map(|key| self.choose(key, true, None))
            .collect();
        self.notification(NotificationKind::UrgentReminder, chosen)
    }

    /// News at `now` of `key`: opens a window, or joins the one open. With no news shown
    /// within the coalescing time it is due after the first delay (at once when the caller
    /// details of every line in it are already there); otherwise when the
    /// coalescing time after the shown one is over, and it then shows that one's lines again.
    fn add_news(&mut self, now: Instant, key: &LineKey, urgent: bool) {
        let after_delay = now.checked_add(self.first_delay).unwrap_or(now);
        let coalesce = self.coalesce();
        let last = self.last_news.as_ref();
        let window = self.news.get_or_insert_with(|| {
            let follows = last.and_then(|last| Some((last.at.checked_add(coalesce)?, last)));
            match follows {
                Some((end, last)) if end > now => Window {
                    carried: last.lines.clone(),
                    ..Window::new(end.max(after_delay), now)
                },
                _ => Window::new(after_delay, now.checked_sub(HINT_LEAD).unwrap_or(now)),
            }
        });
        window.add(key, urgent);
        self.show_early_when_described(now);
    }

    /// The news notification of `window`, shown at `now`: its lines that still have messages
    /// (only the urgent ones when `quiet`), if one of them has news in it. It supersedes the
    /// news and summary notifications whose lines it all shows.
    fn emit_news(&mut self, now: Instant, window: &Window, quiet: bool) -> Option<Notification> {
        let mut chosen = Vec::new();
        let mut fresh_any = false;
        for (key, urgent_news, fresh) in window.all_lines() {
            if let Some(line) = self.choose(key, urgent_news, Some(window.hints_since)) {
                let urgent = line.urgent_news || line.hint.as_ref().is_some_and(|h| h.urgent);
                if line.level.has_messages() && (urgent || !quiet) {
                    fresh_any |= fresh;
                    chosen.push(Chosen {
                        urgent_news: urgent,
                        ..line
                    });
                }
            }
        }
        if !fresh_any {
            return None;
        }
        for line in &chosen {
            let hints = &mut self.lines.entry(line.key.clone()).or_default().hints;
            hints.clear();
            if let Some(waiting) = &mut self.waiting {
                waiting.lines.retain(|(key, _)| key != &line.key);
            }
        }
        let lines = chosen
            .iter()
            .map(|line| (line.key.clone(), line.urgent_news))
            .collect();
        let shown = self.notification(NotificationKind::NewMessages, chosen)?;
        self.last_news = Some(LastNews { at: now, lines });
        self.withdraw_superseded(&shown.id);
        Some(shown)
    }

    /// The startup summary of `window`: its lines that still have messages (only the urgent
    /// ones when `quiet`).
    fn emit_waiting(&mut self, window: &Window, quiet: bool) -> Option<Notification> {
        let chosen = window
            .lines
            .iter()
            .filter_map(|(key, urgent)| self.choose(key.clone(), *urgent, None))
            .filter(|line| line.level.has_messages() && (line.urgent_news || !quiet))
            .collect();
        self.notification(NotificationKind::Waiting, chosen)
    }

    /// A line's current counts, name and (for news) newest hint since `hints_since`.
    fn choose(
        &self,
        key: LineKey,
        urgent_news: bool,
        hints_since: Option<Instant>,
    ) -> Option<Chosen> {
        let line = self.lines.get(&key)?;
        let level = line.level?;
        let hint = hints_since.and_then(|since| {
            let fresh = line.hints.iter().rev().find(|(at, _)| *at >= since);
            fresh.map(|(_, hint)| hint.clone())
        });
        Some(Chosen {
            name: self.name_of(&key),
            key,
            level,
            urgent_news,
            hint,
        })
    }

    fn notification(
        &mut self,
        kind: NotificationKind,
        chosen: Vec<Chosen>,
    ) -> Option<Notification> {
        let texts: Vec<LineText<'_>> = chosen
            .iter()
            .map(|line| LineText {
                name: &line.name,
                new: line.level.new,
                urgent: line.level.urgent,
                urgent_news: line.urgent_news,
                hint: line.hint.as_ref(),
            })
            .collect();
        if texts.is_empty() {
            return None;
        }
        let (title, body) = text::compose(kind, self.settings.privacy, &texts);
        let urgency = match kind {
            NotificationKind::UrgentReminder => Urgency::Critical,
            _ if chosen.iter().any(|line| line.urgent_news) => Urgency::Critical,
            NotificationKind::NewMessages => Urgency::Normal,
            NotificationKind::Waiting => Urgency::Low,
        };
        let (id, target) = match chosen.as_slice() {
            [line] => (
                NotificationId(format!("{}/{}/{}", kind.key(), line.key.0, line.key.1)),
                Some(Target {
                    account: line.key.0.clone(),
                    mailbox: line.key.1.clone(),
                    message_id: line.hint.as_ref().map(|h| h.message_id.clone()),
                }),
            ),
            _ => (NotificationId(kind.key().to_owned()), None),
        };
        let keys = chosen.into_iter().map(|line| line.key).collect();
        // Shown again: it is no longer to be closed.
        self.withdrawals.retain(|queued| queued != &id);
        self.shown.insert(id.clone(), (kind, keys));
        Some(Notification {
            id,
            kind,
            title,
            body,
            urgency,
            target,
        })
    }

    /// Queues the ids of the news and summary notifications that `by` (a news notification
    /// just shown) supersedes: each of their lines is in it or has no messages left.
    fn withdraw_superseded(&mut self, by: &NotificationId) {
        let Some((_, covered)) = self.shown.get(by) else {
            return;
        };
        let lines = &self.lines;
        let superseded = |key: &LineKey| {
            let level = lines.get(key).and_then(|line| line.level);
            covered.contains(key) || !level.is_some_and(|level| level.has_messages())
        };
        let done: Vec<NotificationId> = self
            .shown
            .iter()
            .filter(|(id, (kind, keys))| {
                *id != by
                    && *kind != NotificationKind::UrgentReminder
                    && keys.iter().all(superseded)
            })
            .map(|(id, _)| id.clone())
            .collect();
        self.withdraw(done);
    }

    /// Queues the ids of shown notifications whose messages are all gone.
    fn check_withdrawals(&mut self) {
        let lines = &self.lines;
        let gone = |kind: &NotificationKind, key: &LineKey| {
            let level = lines.get(key).and_then(|line| line.level);
            level.is_none_or(|level| match kind {
                NotificationKind::UrgentReminder => level.urgent == 0,
                _ => !level.has_messages(),
            })
        };
        let done: Vec<NotificationId> = self
            .shown
            .iter()
            .filter(|(_, (kind, keys))| keys.iter().all(|key| gone(kind, key)))
            .map(|(id, _)| id.clone())
            .collect();
        self.withdraw(done);
    }

    /// Forgets the notifications `ids` and queues them to be closed.
    fn withdraw(&mut self, ids: Vec<NotificationId>) {
        for id in ids {
            self.shown.remove(&id);
            self.withdrawals.push_back(id);
        }
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;
    use crate::config::VoicemailConfig;
    use crate::{AccountConfig, Config};

    #[test]
    fn news_waits_for_the_caller_only_when_a_store_can_name_them() {
        let mut config = Config::default();
        config
            .accounts
            .push(AccountConfig::new("desk", "sip:1001@pbx"));
        assert_eq!(
            NotificationPolicy::for_config(&config).first_delay,
            Duration::ZERO
        );
        config.accounts[0].voicemail = Some(VoicemailConfig::imaps("mail.example.com"));
        assert_eq!(
            NotificationPolicy::for_config(&config).first_delay,
            HINT_GRACE
        );
        config.notifications.privacy = Privacy::CountOnly;
        assert_eq!(
            NotificationPolicy::for_config(&config).first_delay,
            Duration::ZERO
        );
    }
}
