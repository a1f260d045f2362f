//! What the policy hands to the desktop shell ([`Notification`]) and what the shell may tell it
//! about messages ([`MessageHint`]).

use serde::Serialize;
use std::fmt;

/// A stable key for a notification. A later notification with the same id replaces the earlier
/// one on screen (its text shows the current counts); [`super::NotificationPolicy::poll_withdrawal`]
/// names ids whose messages have all been heard or that a later notification superseded, so the
/// shell can close them.
///
/// Ids are built from account ids and mailbox URIs, never from caller data; they are keys, not
/// text to show.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NotificationId(pub String);

impl fmt::Display for NotificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How loudly the desktop should present a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Informational: what was already waiting when the app started.
    Low,
    /// New messages.
    Normal,
    /// Urgent messages (shown even in quiet hours).
    Critical,
}

/// Why a notification was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A mailbox's new (or urgent new) count went up.
    NewMessages,
    /// Urgent messages are still unheard after the reminder interval.
    UrgentReminder,
    /// The first counts heard after start: what was already waiting (one summary).
    Waiting,
}

impl NotificationKind {
    /// The prefix of ids of this kind.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::NewMessages => "new",
            Self::UrgentReminder => "reminder",
            Self::Waiting => "waiting",
        }
    }
}

/// What a click on a notification opens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Target {
    /// Account id.
    pub account: String,
    /// Mailbox URI (as in [`crate::MailboxEvent::mailbox`]).
    pub mailbox: String,
    /// The message to open and play, when the mailbox store named it.
    pub message_id: Option<String>,
}

/// A desktop notification to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Stable key: replaces an earlier notification with the same id.
    pub id: NotificationId,
    /// Why it was raised.
    pub kind: NotificationKind,
    /// Short title: the line's name, or the total when several lines are concerned.
    pub title: String,
    /// One short line, as much as the privacy level allows.
    pub body: String,
    /// How loudly to present it.
    pub urgency: Urgency,
    /// What a click opens; `None` when several mailboxes are concerned (open the Lines view).
    pub target: Option<Target>,
}

/// What the mailbox store knows about a newly arrived message. Feed it with
/// [`super::NotificationPolicy::handle_hint`] when the store sees a new unheard message; hints
/// only add caller details (per the privacy level) and the message to open on click, they never
/// raise a notification themselves.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MessageHint {
    /// Account id.
    pub account: String,
    /// Mailbox URI (as in [`crate::MailboxEvent::mailbox`]).
    pub mailbox: String,
    /// The store's id of the message.
    pub message_id: String,
    /// The caller's number, when known.
    pub caller_number: Option<String>,
    /// The caller's name, when known.
    pub caller_name: Option<String>,
    /// The message's length in seconds, when known.
    pub duration_s: Option<u32>,
    /// Whether the message is marked urgent.
    pub urgent: bool,
}
