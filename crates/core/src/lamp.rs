//! The lamp model: per monitored mailbox, what is known about its messages —
//! [`Lamp::Unknown`], [`Lamp::Active`], [`Lamp::Stale`] or [`Lamp::Failed`] — and per account its
//! registration. Pure: no I/O and no clock; every input carries its wall-clock time.
//!
//! [`LampModel::apply`] takes each `voicelamp_sip::Event` (in the order the user agent polled
//! them) and returns the [`EngineEvent`]s for what really changed. Nothing that is missing,
//! broken or out of date ever turns into a zero count.
//!
//! **Account binding.** The user agent names accounts by [`AccountId`], the index in the order
//! of `add_account`. By default `AccountId(i)` is the `i`-th account of the configuration; a
//! driver that adds accounts in another order (or skips some) says so with
//! [`LampModel::bind_sip_account`].

use crate::config::{Config, same_uri};
use crate::event::{EngineEvent, LampState, MailboxEvent, RegistrationEvent, RegistrationState};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;
use voicelamp_sip::registration::RegistrationFailure;
use voicelamp_sip::subscription::SubscriptionFailure;
use voicelamp_sip::{
    AccountId, Event, MessageSummary, RegistrationStatus, Source, SummaryBody, Waiting,
};

/// The reason shown when the server answers with an empty `message-summary`.
pub const NO_INFORMATION: &str = "the server has no information for this mailbox";

/// The class name whose counts appear in the flat fields of events.
pub const VOICE_CLASS: &str = "voice-message";

/// Counts of one message class (RFC 3842). Urgent counts are included in `new` and `old`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct ClassCounts {
    /// New (unheard) messages.
    pub new: u32,
    /// Old (heard) messages; `None` when the source does not say (IMAP unseen counts).
    pub old: Option<u32>,
    /// Urgent new messages; `None` when the server gave none.
    pub urgent_new: Option<u32>,
    /// Urgent old messages; `None` when the server gave none.
    pub urgent_old: Option<u32>,
}

impl From<&voicelamp_sip::Counts> for ClassCounts {
    fn from(c: &voicelamp_sip::Counts) -> Self {
        Self {
            new: c.new,
            old: Some(c.old),
            urgent_new: c.urgent_new,
            urgent_old: c.urgent_old,
        }
    }
}

/// What a mailbox holds, per class.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxCounts {
    /// `Messages-Waiting: yes|no`; `None` when the source does not say.
    pub waiting: Option<bool>,
    /// Counts by class name (`voice-message`, `fax-message`, …, unknown classes kept).
    pub classes: BTreeMap<String, ClassCounts>,
}

impl MailboxCounts {
    /// The counts of a `message-summary` body.
    pub fn from_summary(summary: &MessageSummary) -> Self {
        Self {
            waiting: Some(summary.waiting == Waiting::Yes),
            classes: summary
                .classes
                .iter()
                .map(|(class, counts)| (class.as_str().to_owned(), ClassCounts::from(counts)))
                .collect(),
        }
    }

    /// The `voice-message` counts, when sent.
    pub fn voice(&self) -> Option<&ClassCounts> {
        self.classes.get(VOICE_CLASS)
    }

    /// New messages over all classes.
    pub fn total_new(&self) -> u32 {
        self.classes
            .values()
            .fold(0, |sum, c| sum.saturating_add(c.new))
    }

    /// Urgent new messages over all classes (a class without the urgent part counts 0).
    pub fn total_urgent(&self) -> u32 {
        self.classes
            .values()
            .fold(0, |sum, c| sum.saturating_add(c.urgent_new.unwrap_or(0)))
    }

    /// The server says messages are waiting but gave no positive count.
    pub fn waiting_without_count(&self) -> bool {
        self.waiting == Some(true) && self.total_new() == 0
    }
}

/// Where the counts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum LampSource {
    /// A NOTIFY of our subscription.
    Subscription,
    /// An unsolicited NOTIFY.
    Unsolicited,
    /// The voicemail store over IMAP.
    Imap,
}

impl From<Source> for LampSource {
    fn from(source: Source) -> Self {
        match source {
            Source::Subscription => Self::Subscription,
            Source::Unsolicited => Self::Unsolicited,
        }
    }
}

/// What is known about one mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lamp {
    /// Nothing heard yet. Never shown as zero.
    Unknown,
    /// Current counts.
    Active {
        /// Counts.
        counts: MailboxCounts,
        /// Where they came from.
        source: LampSource,
        /// When they were last confirmed.
        at: SystemTime,
    },
    /// What was known may be out of date.
    Stale {
        /// The last known counts, if any, and where they came from.
        last: Option<(MailboxCounts, LampSource)>,
        /// Since when.
        since: SystemTime,
        /// Why, in words.
        why: String,
    },
    /// The mailbox cannot be watched.
    Failed {
        /// Why, in words (with whether it is tried again).
        why: String,
        /// Since when.
        at: SystemTime,
    },
}

impl Lamp {
    /// The state name of events.
    pub fn state(&self) -> LampState {
        match self {
            Self::Unknown => LampState::Unknown,
            Self::Active { .. } => LampState::Active,
            Self::Stale { .. } => LampState::Stale,
            Self::Failed { .. } => LampState::Failed,
        }
    }

    /// The counts to show: current ones, or the last known ones of a stale mailbox.
    pub fn counts(&self) -> Option<&MailboxCounts> {
        match self {
            Self::Active { counts, .. } => Some(counts),
            Self::Stale {
                last: Some((counts, _)),
                ..
            } => Some(counts),
            _ => None,
        }
    }

    /// Whether two lamps look the same to a person: same state, counts and reason (the time of
    /// confirmation and the source of identical counts do not matter).
    fn same_shown(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Unknown, Self::Unknown) => true,
            (Self::Active { counts: a, .. }, Self::Active { counts: b, .. }) => a == b,
            (
                Self::Stale {
                    last: a, why: wa, ..
                },
                Self::Stale {
                    last: b, why: wb, ..
                },
            ) => a.as_ref().map(|l| &l.0) == b.as_ref().map(|l| &l.0) && wa == wb,
            (Self::Failed { why: a, .. }, Self::Failed { why: b, .. }) => a == b,
            _ => false,
        }
    }

    /// This lamp made stale: last counts kept, `since` kept when already stale.
    fn staled(&self, why: &str, now: SystemTime) -> Self {
        match self {
            Self::Active { counts, source, .. } => Self::Stale {
                last: Some((counts.clone(), *source)),
                since: now,
                why: why.to_owned(),
            },
            Self::Stale { last, since, .. } => Self::Stale {
                last: last.clone(),
                since: *since,
                why: why.to_owned(),
            },
            Self::Unknown | Self::Failed { .. } => Self::Stale {
                last: None,
                since: now,
                why: why.to_owned(),
            },
        }
    }
}

/// One monitored mailbox and its lamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxLamp {
    /// Mailbox URI.
    pub uri: String,
    /// Name to show.
    pub display_name: String,
    /// Whether this is the account's own AOR.
    pub own: bool,
    /// The lamp.
    pub lamp: Lamp,
}

/// An account's registration and mailboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLamps {
    /// Account id.
    pub id: String,
    /// Name to show.
    pub display_name: String,
    /// Registration state.
    pub registration: RegistrationState,
    /// Why registration failed, in words.
    pub registration_reason: Option<String>,
    /// Mailboxes in configuration order.
    pub mailboxes: Vec<MailboxLamp>,
}

/// Aggregates for a badge: over one account or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    /// New messages over all mailboxes and classes (stale mailboxes count with their last known
    /// counts; `any_unknown_or_stale` then says the total may be off).
    pub total_new: u32,
    /// Urgent new messages.
    pub total_urgent: u32,
    /// Some mailbox says messages are waiting without giving a count.
    pub any_waiting_without_count: bool,
    /// Some mailbox is unknown or stale.
    pub any_unknown_or_stale: bool,
    /// Some mailbox failed.
    pub any_failed: bool,
    /// Number of mailboxes counted.
    pub mailboxes: usize,
}

impl Totals {
    fn add(&mut self, lamp: &Lamp) {
        self.mailboxes += 1;
        if let Some(counts) = lamp.counts() {
            self.total_new = self.total_new.saturating_add(counts.total_new());
            self.total_urgent = self.total_urgent.saturating_add(counts.total_urgent());
            self.any_waiting_without_count |= counts.waiting_without_count();
        }
        match lamp {
            Lamp::Unknown | Lamp::Stale { .. } => self.any_unknown_or_stale = true,
            Lamp::Failed { .. } => self.any_failed = true,
            Lamp::Active { .. } => {}
        }
    }
}

/// Every account's registration and every monitored mailbox's lamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LampModel {
    accounts: Vec<AccountLamps>,
    /// User agent account → index in `accounts`.
    bindings: HashMap<AccountId, usize>,
}

impl LampModel {
    /// Every configured mailbox `Unknown`; registrations `unknown` (or `disabled`).
    /// `AccountId(i)` is bound to the `i`-th configured account.
    pub fn new(config: &Config) -> Self {
        let accounts = config
            .accounts
            .iter()
            .map(|account| AccountLamps {
                id: account.id.clone(),
                display_name: account.name().to_owned(),
                registration: if account.register {
                    RegistrationState::Unknown
                } else {
                    RegistrationState::Disabled
                },
                registration_reason: None,
                mailboxes: account
                    .monitored_mailboxes()
                    .into_iter()
                    .map(|m| MailboxLamp {
                        uri: m.uri,
                        display_name: m.display_name,
                        own: m.own,
                        lamp: Lamp::Unknown,
                    })
                    .collect(),
            })
            .collect::<Vec<_>>();
        let bindings = (0..accounts.len()).map(|i| (AccountId(i), i)).collect();
        Self { accounts, bindings }
    }

    // ---- getters ----

    /// Accounts in configuration order.
    pub fn accounts(&self) -> &[AccountLamps] {
        &self.accounts
    }

    /// One account.
    pub fn account(&self, id: &str) -> Option<&AccountLamps> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// One mailbox's lamp.
    pub fn lamp(&self, account: &str, mailbox: &str) -> Option<&Lamp> {
        let account = self.account(account)?;
        find_mailbox(&account.mailboxes, mailbox).map(|i| &account.mailboxes[i].lamp)
    }

    /// Aggregates over every mailbox.
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for mailbox in self.accounts.iter().flat_map(|a| &a.mailboxes) {
            totals.add(&mailbox.lamp);
        }
        totals
    }

    /// Aggregates over one account's mailboxes.
    pub fn account_totals(&self, id: &str) -> Option<Totals> {
        let account = self.account(id)?;
        let mut totals = Totals::default();
        for mailbox in &account.mailboxes {
            totals.add(&mailbox.lamp);
        }
        Some(totals)
    }

    /// The whole current state as events: per account its registration, then its mailboxes.
    pub fn snapshot(&self) -> Vec<EngineEvent> {
        let mut out = Vec::new();
        for account in &self.accounts {
            out.push(registration_event(account));
            for mailbox in &account.mailboxes {
                out.push(mailbox_event(&account.id, mailbox));
            }
        }
        out
    }

    // ---- mutators ----

    /// Binds a user agent account to a configured account id; false when the id is unknown.
    pub fn bind_sip_account(&mut self, sip: AccountId, account_id: &str) -> bool {
        match self.accounts.iter().position(|a| a.id == account_id) {
            Some(index) => {
                self.bindings.retain(|_, i| *i != index);
                self.bindings.insert(sip, index);
                true
            }
            None => false,
        }
    }

    /// Applies one user agent event observed at `now` (wall clock); returns what changed.
    pub fn apply(&mut self, event: &Event, now: SystemTime) -> Vec<EngineEvent> {
        match event {
            Event::Registration {
                account,
                state,
                reason,
            } => self.apply_registration(*account, *state, reason.as_ref(), now),
            Event::Mailbox {
                account,
                mailbox_uri,
                summary,
                source,
                ..
            } => self.update(*account, mailbox_uri, |lamp| match summary {
                SummaryBody::Summary(summary) => Lamp::Active {
                    counts: MailboxCounts::from_summary(summary),
                    source: (*source).into(),
                    at: now,
                },
                SummaryBody::NoInformation => match lamp {
                    Lamp::Unknown | Lamp::Failed { .. } => Lamp::Unknown,
                    other => other.staled(NO_INFORMATION, now),
                },
            }),
            Event::MailboxStale {
                account,
                mailbox_uri,
                why,
            } => {
                let why = stale_reason(why);
                self.update(*account, mailbox_uri, |lamp| lamp.staled(&why, now))
            }
            Event::MailboxFailed {
                account,
                mailbox_uri,
                why,
                retry_in,
            } => {
                self.update(*account, mailbox_uri, |lamp| match (why, lamp) {
                    // The server sends this mailbox unsolicited: what it sends is current.
                    (SubscriptionFailure::ServerSendsUnsolicited, Lamp::Active { .. }) => lamp.clone(),
                    (SubscriptionFailure::ServerSendsUnsolicited, _) => lamp.staled(
                        "the server sends this mailbox's state unsolicited (it answered the subscription with 500); waiting for its next NOTIFY",
                        now,
                    ),
                    _ => Lamp::Failed { why: subscription_failure(why, *retry_in), at: now },
                })
            }
            Event::BodyError {
                account: Some(account),
                mailbox_uri: Some(mailbox),
                error,
            } => {
                let why = format!("the server sent a message summary that cannot be read: {error}");
                self.update(*account, mailbox, |lamp| match lamp {
                    Lamp::Active { .. } | Lamp::Stale { .. } => lamp.staled(&why, now),
                    Lamp::Unknown | Lamp::Failed { .. } => lamp.clone(),
                })
            }
            Event::BodyError { .. }
            | Event::InvalidMessage { .. }
            | Event::Call { .. }
            | Event::Bindings { .. } => Vec::new(),
        }
    }

    /// The driver lost the path to an account's server (name not resolved, connection failed
    /// or closed): every mailbox of the account that is not failed becomes stale, with `why`.
    /// The next NOTIFY after reconnecting makes them current again.
    pub fn apply_connection_lost(
        &mut self,
        sip: AccountId,
        why: &str,
        now: SystemTime,
    ) -> Vec<EngineEvent> {
        let Some(&index) = self.bindings.get(&sip) else {
            return Vec::new();
        };
        self.stale_account(index, &format!("no connection to the server: {why}"), now)
    }

    /// The computer goes to sleep or woke (`why` says which): every mailbox of every account
    /// that SIP drives becomes stale, so that no count that may be old is shown as current. A
    /// lamp its voicemail store drives is left to the store, which reports again when it
    /// reconnects.
    pub fn apply_computer_slept(&mut self, why: &str, now: SystemTime) -> Vec<EngineEvent> {
        let mut out = Vec::new();
        for index in 0..self.accounts.len() {
            let uris: Vec<String> = self.accounts[index]
                .mailboxes
                .iter()
                .map(|m| m.uri.clone())
                .collect();
            for uri in uris {
                out.extend(self.set(index, &uri, |lamp| match lamp {
                    Lamp::Failed { .. }
                    | Lamp::Active {
                        source: LampSource::Imap,
                        ..
                    } => lamp.clone(),
                    other => other.staled(why, now),
                }));
            }
        }
        out
    }

    fn stale_account(&mut self, index: usize, why: &str, now: SystemTime) -> Vec<EngineEvent> {
        let uris: Vec<String> = self.accounts[index]
            .mailboxes
            .iter()
            .map(|m| m.uri.clone())
            .collect();
        let mut out = Vec::new();
        for uri in uris {
            out.extend(self.set(index, &uri, |lamp| match lamp {
                Lamp::Failed { .. } => lamp.clone(),
                other => other.staled(why, now),
            }));
        }
        out
    }

    fn apply_registration(
        &mut self,
        sip: AccountId,
        status: RegistrationStatus,
        reason: Option<&RegistrationFailure>,
        now: SystemTime,
    ) -> Vec<EngineEvent> {
        let Some(&index) = self.bindings.get(&sip) else {
            return Vec::new();
        };
        // The mailboxes' reason leaves out the retry time, so that every retry with a longer
        // backoff does not repeat an event for every mailbox.
        let (state, why, mailbox_why) = match status {
            RegistrationStatus::Registered { .. } => (RegistrationState::Registered, None, None),
            RegistrationStatus::Failed { retry_in } => {
                let failure =
                    reason.map_or_else(|| "no reason given".to_owned(), registration_failure);
                (
                    RegistrationState::Failed,
                    Some(with_retry(failure.clone(), retry_in)),
                    Some(format!("registration failed: {failure}")),
                )
            }
            RegistrationStatus::Unregistered => (
                RegistrationState::Unregistered,
                None,
                Some("the account is no longer registered".to_owned()),
            ),
        };
        let mut out = Vec::new();
        let account = &mut self.accounts[index];
        if account.registration != state || account.registration_reason != why {
            account.registration = state;
            account.registration_reason = why.clone();
            out.push(registration_event(account));
        }
        if let Some(why) = mailbox_why {
            out.extend(self.stale_account(index, &why, now));
        }
        out
    }

    fn update(
        &mut self,
        sip: AccountId,
        mailbox: &str,
        next: impl FnOnce(&Lamp) -> Lamp,
    ) -> Vec<EngineEvent> {
        match self.bindings.get(&sip) {
            Some(&index) => self.set(index, mailbox, next),
            None => Vec::new(),
        }
    }

    fn set(
        &mut self,
        index: usize,
        mailbox: &str,
        next: impl FnOnce(&Lamp) -> Lamp,
    ) -> Vec<EngineEvent> {
        let account = &mut self.accounts[index];
        let Some(m) = find_mailbox(&account.mailboxes, mailbox) else {
            return Vec::new();
        };
        let entry = &mut account.mailboxes[m];
        let lamp = next(&entry.lamp);
        let changed = !entry.lamp.same_shown(&lamp);
        entry.lamp = lamp;
        if changed {
            vec![mailbox_event(&account.id, entry)]
        } else {
            Vec::new()
        }
    }
}

fn find_mailbox(mailboxes: &[MailboxLamp], uri: &str) -> Option<usize> {
    mailboxes
        .iter()
        .position(|m| m.uri == uri)
        .or_else(|| mailboxes.iter().position(|m| same_uri(&m.uri, uri)))
}

fn registration_event(account: &AccountLamps) -> EngineEvent {
    EngineEvent::Registration(RegistrationEvent {
        account: account.id.clone(),
        state: account.registration,
        reason: account.registration_reason.clone(),
    })
}

fn mailbox_event(account: &str, mailbox: &MailboxLamp) -> EngineEvent {
    let lamp = &mailbox.lamp;
    let (source, reason, at) = match lamp {
        Lamp::Unknown => (None, None, None),
        Lamp::Active { source, at, .. } => (Some(*source), None, Some(*at)),
        Lamp::Stale { last, since, why } => {
            (last.as_ref().map(|l| l.1), Some(why.clone()), Some(*since))
        }
        Lamp::Failed { why, at } => (None, Some(why.clone()), Some(*at)),
    };
    let counts = lamp.counts();
    let voice = counts.and_then(MailboxCounts::voice);
    EngineEvent::Mailbox(MailboxEvent {
        account: account.to_owned(),
        mailbox: mailbox.uri.clone(),
        state: lamp.state(),
        waiting: counts.and_then(|c| c.waiting),
        new: voice.map(|v| v.new),
        old: voice.and_then(|v| v.old),
        urgent_new: voice.and_then(|v| v.urgent_new),
        urgent_old: voice.and_then(|v| v.urgent_old),
        source,
        reason,
        at,
        classes: counts
            .map(|c| {
                c.classes
                    .iter()
                    .filter(|(k, _)| *k != VOICE_CLASS)
                    .map(|(k, v)| (k.clone(), *v))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

mod imap;
mod reasons;

use reasons::with_retry;
pub use reasons::{registration_failure, stale_reason, subscription_failure};

#[cfg(test)]
mod tests;
