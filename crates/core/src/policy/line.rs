//! What the policy remembers per line (a monitored mailbox) and per pending notification.

use super::notification::MessageHint;
use super::text;
use crate::event::MailboxEvent;
use std::collections::VecDeque;
use std::time::Instant;

/// (account id, mailbox URI).
pub(super) type LineKey = (String, String);

/// The counts the policy compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Level {
    /// New voice messages (urgent included).
    pub(super) new: u32,
    /// Urgent new voice messages.
    pub(super) urgent: u32,
    /// `Messages-Waiting: yes` from a server that sends no counts at all.
    pub(super) waiting_without_count: bool,
}

impl Level {
    /// The counts of an active mailbox's event; `None` when it carries none.
    pub(super) fn of(event: &MailboxEvent) -> Option<Self> {
        let no_counts = event.new.is_none() && event.classes.is_empty();
        if no_counts && event.waiting.is_none() {
            return None;
        }
        Some(Self {
            new: event.new.unwrap_or(0),
            urgent: event.urgent_new.unwrap_or(0),
            waiting_without_count: no_counts && event.waiting == Some(true),
        })
    }

    pub(super) fn has_messages(&self) -> bool {
        self.new > 0 || self.waiting_without_count
    }

    /// Whether messages arrived between `before` and `self`.
    pub(super) fn rose_from(&self, before: &Self) -> bool {
        self.new > before.new
            || self.urgent > before.urgent
            || (self.waiting_without_count && !before.waiting_without_count)
    }
}

/// What the policy knows about one line (a monitored mailbox).
#[derive(Debug, Default)]
pub(super) struct Line {
    pub(super) name: Option<String>,
    /// The last known counts (kept while stale, failed or unknown).
    pub(super) level: Option<Level>,
    pub(super) active: bool,
    /// When to remind of its urgent messages; `None` while there is nothing to remind of.
    pub(super) next_reminder: Option<Instant>,
    /// Hints not yet shown, with when they arrived.
    pub(super) hints: VecDeque<(Instant, MessageHint)>,
}

/// Changes waiting to be shown as one notification.
#[derive(Debug)]
pub(super) struct Window {
    pub(super) due: Instant,
    /// Hints that arrived from then on may describe its news.
    pub(super) hints_since: Instant,
    /// The lines of the news notification this one follows within the coalescing time, with
    /// whether their news was urgent: shown again with it, so it supersedes that one.
    pub(super) carried: Vec<(LineKey, bool)>,
    /// Lines in the order their news came, with whether it was urgent.
    pub(super) lines: Vec<(LineKey, bool)>,
}

impl Window {
    /// An empty window due at `due`, describing news with hints from `hints_since` on.
    pub(super) fn new(due: Instant, hints_since: Instant) -> Self {
        Self {
            due,
            hints_since,
            carried: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// Adds news of `key` (or marks it urgent when it is already in).
    pub(super) fn add(&mut self, key: &LineKey, urgent: bool) {
        match self.lines.iter_mut().find(|(k, _)| k == key) {
            Some((_, was_urgent)) => *was_urgent |= urgent,
            None => self.lines.push((key.clone(), urgent)),
        }
    }

    /// The lines to show: those carried (first) and those with news, each once, with whether
    /// its news was urgent and whether it is fresh (news in this window).
    pub(super) fn all_lines(&self) -> Vec<(LineKey, bool, bool)> {
        let mut all: Vec<(LineKey, bool, bool)> = self
            .carried
            .iter()
            .map(|(key, urgent)| (key.clone(), *urgent, false))
            .collect();
        for (key, urgent) in &self.lines {
            match all.iter_mut().find(|(k, ..)| k == key) {
                Some((_, was_urgent, fresh)) => {
                    (*was_urgent, *fresh) = (*was_urgent || *urgent, true)
                }
                None => all.push((key.clone(), *urgent, true)),
            }
        }
        all
    }
}

/// A line chosen for a notification, with what it will say.
#[derive(Debug)]
pub(super) struct Chosen {
    pub(super) key: LineKey,
    pub(super) name: String,
    pub(super) level: Level,
    pub(super) urgent_news: bool,
    pub(super) hint: Option<MessageHint>,
}

/// A name for a line nobody named: the user part of its URI ("sip:desk:pw@pbx" → "desk"),
/// never a password or host.
pub(super) fn fallback_name(uri: &str) -> String {
    let rest = uri.split_once(':').map_or(uri, |(_, rest)| rest);
    let user = rest.split(['@', ':', ';', '?']).next().unwrap_or_default();
    match text::clean(user) {
        name if name.is_empty() => "Voicemail".to_owned(),
        name => name,
    }
}
