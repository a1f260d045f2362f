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
use std::time::{Duration, SystemTime};
use voicelamp_sip::registration::RegistrationFailure;
use voicelamp_sip::subscription::{StaleReason, SubscriptionFailure};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
            Event::BodyError { .. } | Event::InvalidMessage { .. } => Vec::new(),
        }
    }

    /// Counts of a mailbox whose lamp is driven by its voicemail store (IMAP): unseen messages
    /// as new voice messages, and the urgent ones among them when known.
    pub fn apply_imap_counts(
        &mut self,
        account: &str,
        mailbox: &str,
        unseen: u32,
        urgent_unseen: Option<u32>,
        at: SystemTime,
    ) -> Vec<EngineEvent> {
        let Some(index) = self.accounts.iter().position(|a| a.id == account) else {
            return Vec::new();
        };
        let mut classes = BTreeMap::new();
        classes.insert(
            VOICE_CLASS.to_owned(),
            ClassCounts {
                new: unseen,
                old: None,
                urgent_new: urgent_unseen,
                urgent_old: None,
            },
        );
        let lamp = Lamp::Active {
            counts: MailboxCounts {
                waiting: Some(unseen > 0),
                classes,
            },
            source: LampSource::Imap,
            at,
        };
        self.set(index, mailbox, |_| lamp)
    }

    /// The voicemail store of a mailbox whose lamp it drives cannot be reached: a lamp whose
    /// counts came from IMAP becomes stale with `why` (counts from SIP are left alone).
    pub fn apply_imap_lost(
        &mut self,
        account: &str,
        mailbox: &str,
        why: &str,
        now: SystemTime,
    ) -> Vec<EngineEvent> {
        let Some(index) = self.accounts.iter().position(|a| a.id == account) else {
            return Vec::new();
        };
        let why = format!("the voicemail store cannot be reached: {why}");
        self.set(index, mailbox, |lamp| match lamp {
            Lamp::Active {
                source: LampSource::Imap,
                ..
            } => lamp.staled(&why, now),
            other => other.clone(),
        })
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

fn with_retry(text: String, retry_in: Option<Duration>) -> String {
    match retry_in {
        Some(d) => format!("{text}; trying again in {}", words(d)),
        None => format!("{text}; not tried again until the configuration or password changes"),
    }
}

fn words(d: Duration) -> String {
    let secs = d.as_secs().max(1);
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s.div_ceil(60)),
        s => format!("{} h", s.div_ceil(3600)),
    }
}

/// A registration failure in words.
pub fn registration_failure(failure: &RegistrationFailure) -> String {
    match failure {
        RegistrationFailure::WrongCredentials => {
            "the server refused the user name or password".to_owned()
        }
        RegistrationFailure::AuthUnsupported(what) => {
            format!("the server's authentication cannot be answered: {what}")
        }
        RegistrationFailure::Timeout => "the registrar did not answer".to_owned(),
        RegistrationFailure::Rejected { status, reason } => {
            format!("the registrar refused: {status} {reason}")
        }
        RegistrationFailure::IntervalTooBrief => {
            "the registrar wants a longer expiry but did not say how long (423 without Min-Expires)"
                .to_owned()
        }
        RegistrationFailure::NoBinding => {
            "the registrar's answer did not confirm our contact address".to_owned()
        }
    }
}

/// Why a mailbox went stale, in words.
pub fn stale_reason(why: &StaleReason) -> String {
    match why {
        StaleReason::SubscriptionGone => {
            "the server lost the subscription; subscribing again".to_owned()
        }
        StaleReason::Terminated(reason) => {
            format!("the server ended the subscription ({reason}); subscribing again if allowed")
        }
        StaleReason::ContactChanged => "our network address changed; subscribing again".to_owned(),
        StaleReason::FlowChanged => {
            "the connection to the server was re-established; subscribing again".to_owned()
        }
        StaleReason::RefreshFailed => "refreshing the subscription failed".to_owned(),
    }
}

/// A subscription failure in words, with whether it is tried again.
pub fn subscription_failure(why: &SubscriptionFailure, retry_in: Option<Duration>) -> String {
    let text = match why {
        SubscriptionFailure::MailboxNotConfigured => {
            "mailbox not configured on the server (404)".to_owned()
        }
        SubscriptionFailure::ServerSendsUnsolicited => {
            "server sends unsolicited MWI (500 to the subscription)".to_owned()
        }
        SubscriptionFailure::EventNotSupported => {
            "the server does not support message-waiting subscriptions (489)".to_owned()
        }
        SubscriptionFailure::Forbidden => "the server forbids this subscription (403)".to_owned(),
        SubscriptionFailure::WrongCredentials => {
            "the server refused the user name or password".to_owned()
        }
        SubscriptionFailure::AuthUnsupported(what) => {
            format!("the server's authentication cannot be answered: {what}")
        }
        SubscriptionFailure::Timeout => "the server did not answer the subscription".to_owned(),
        SubscriptionFailure::IntervalTooBrief => {
            "the server wants a longer expiry but did not say how long (423 without Min-Expires)"
                .to_owned()
        }
        SubscriptionFailure::NoNotify => {
            "the server accepted the subscription but sent no NOTIFY".to_owned()
        }
        SubscriptionFailure::Rejected => "the server rejected the subscription".to_owned(),
        SubscriptionFailure::NoResource => "the server says this mailbox does not exist".to_owned(),
        SubscriptionFailure::Status { status, reason } => {
            format!("the server answered the subscription with {status} {reason}")
        }
    };
    match retry_in {
        Some(_) => with_retry(text, retry_in),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AccountConfig, MailboxConfig};
    use std::time::Instant;

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
        let event =
            registration_failed(RegistrationFailure::Timeout, Some(Duration::from_secs(30)));
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
        let later =
            registration_failed(RegistrationFailure::Timeout, Some(Duration::from_secs(300)));
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
        assert!(
            json(&events)[0].contains("the voicemail store cannot be reached: connection refused")
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
}
