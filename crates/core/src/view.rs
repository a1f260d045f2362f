//! What a person sees of the lamp model: one [`LineView`] per monitored mailbox (sorted by
//! urgency, then count), each account's registration, the totals behind the tray badge, and the
//! words of the tray tooltip. Front ends show these; they do not compute them.
//!
//! A mailbox whose state is not known (`unknown`, `stale`, `failed`) never reads as "no
//! messages": its status says that it is not known and why.

use crate::event::{LampState, RegistrationState, format_rfc3339};
use crate::lamp::{AccountLamps, Lamp, LampModel, LampSource, MailboxCounts, MailboxLamp};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;

/// Every line and account, as shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LinesView {
    /// One per monitored mailbox: urgent first, then by new count, then configuration order.
    pub lines: Vec<LineView>,
    /// Each account's registration, in configuration order.
    pub accounts: Vec<AccountView>,
    /// What the tray badge summarises.
    pub totals: TotalsView,
    /// The tray tooltip: a headline, then one line per mailbox.
    pub tooltip: String,
}

/// One monitored mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LineView {
    /// Stable key: `account` + a space + `mailbox`.
    pub key: String,
    /// Account id.
    pub account: String,
    /// The account's name to show.
    pub account_name: String,
    /// Mailbox URI.
    pub mailbox: String,
    /// The mailbox's name to show.
    pub name: String,
    /// Whether this is the account's own mailbox (else a monitored shared one).
    pub own: bool,
    /// Lamp state.
    pub lamp: LampState,
    /// Current counts when `active`; the last known ones when `stale` (out of date); else none.
    pub counts: Option<CountsView>,
    /// Where the counts came from.
    pub source: Option<LampSource>,
    /// Why the state is not current, in words.
    pub reason: Option<String>,
    /// When the state last changed or was confirmed (RFC 3339).
    pub updated_at: Option<String>,
    /// One short phrase: "3 new (1 urgent), 1 old", "No new messages", "Not known: …".
    pub status: String,
}

/// Voice-message counts (all classes summed) of one mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CountsView {
    /// New (unheard) messages.
    pub new: u32,
    /// Old (heard) messages.
    pub old: u32,
    /// Urgent new messages (part of `new`).
    pub urgent: u32,
    /// Urgent old messages (part of `old`).
    pub urgent_old: u32,
    /// The server says messages are waiting without giving a count.
    pub waiting_without_count: bool,
}

/// An account's registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Account id.
    pub id: String,
    /// Name to show.
    pub name: String,
    /// Registration state.
    pub registration: RegistrationState,
    /// Why it is not registered, in words.
    pub reason: Option<String>,
}

/// Totals over every mailbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TotalsView {
    /// New messages (stale mailboxes count with their last known counts).
    pub new: u32,
    /// Urgent new messages.
    pub urgent: u32,
    /// Some mailbox is unknown, stale or failed: the totals may be off.
    pub not_known: bool,
    /// Some mailbox failed.
    pub failed: bool,
    /// Number of monitored mailboxes.
    pub mailboxes: u32,
}

impl LinesView {
    /// The view of `model`; `problem(account)` overrides an account's registration reason (e.g.
    /// "cannot reach the server") when the engine knows more than the model.
    pub fn build<'a>(model: &'a LampModel, problem: impl Fn(&str) -> Option<&'a str>) -> Self {
        let mut lines = Vec::new();
        let mut accounts = Vec::new();
        for account in model.accounts() {
            let override_reason = problem(&account.id);
            accounts.push(account_view(account, override_reason));
            for mailbox in &account.mailboxes {
                lines.push(line_view(account, mailbox));
            }
        }
        let order = |line: &LineView| {
            let counts = line.counts.filter(|_| line.lamp == LampState::Active);
            (
                Reverse(counts.map_or(0, |c| c.urgent)),
                Reverse(counts.map_or(0, |c| c.new)),
            )
        };
        // Stable: equal lines keep configuration order.
        lines.sort_by_key(order);
        let totals = model.totals();
        let totals = TotalsView {
            new: totals.total_new,
            urgent: totals.total_urgent,
            not_known: totals.any_unknown_or_stale || totals.any_failed,
            failed: totals.any_failed,
            mailboxes: u32::try_from(totals.mailboxes).unwrap_or(u32::MAX),
        };
        let tooltip = tooltip(&totals, &lines);
        Self {
            lines,
            accounts,
            totals,
            tooltip,
        }
    }
}

fn account_view(account: &AccountLamps, problem: Option<&str>) -> AccountView {
    let reason = match account.registration {
        RegistrationState::Registered | RegistrationState::Disabled => None,
        _ => problem
            .map(str::to_owned)
            .or_else(|| account.registration_reason.clone()),
    };
    AccountView {
        id: account.id.clone(),
        name: account.display_name.clone(),
        registration: if reason.is_some() && account.registration == RegistrationState::Unknown {
            RegistrationState::Failed
        } else {
            account.registration
        },
        reason,
    }
}

fn counts_view(counts: &MailboxCounts) -> CountsView {
    let (mut new, mut old, mut urgent, mut urgent_old) = (0u32, 0u32, 0u32, 0u32);
    for c in counts.classes.values() {
        new = new.saturating_add(c.new);
        old = old.saturating_add(c.old.unwrap_or(0));
        urgent = urgent.saturating_add(c.urgent_new.unwrap_or(0));
        urgent_old = urgent_old.saturating_add(c.urgent_old.unwrap_or(0));
    }
    CountsView {
        new,
        old,
        urgent,
        urgent_old,
        waiting_without_count: counts.waiting_without_count(),
    }
}

fn line_view(account: &AccountLamps, mailbox: &MailboxLamp) -> LineView {
    let counts = mailbox.lamp.counts().map(counts_view);
    let (source, reason, at) = match &mailbox.lamp {
        Lamp::Unknown => (None, None, None),
        Lamp::Active { source, at, .. } => (Some(*source), None, Some(*at)),
        Lamp::Stale {
            last, since, why, ..
        } => (last.as_ref().map(|l| l.1), Some(why.clone()), Some(*since)),
        Lamp::Failed { why, at } => (None, Some(why.clone()), Some(*at)),
    };
    let state = mailbox.lamp.state();
    LineView {
        key: format!("{} {}", account.id, mailbox.uri),
        account: account.id.clone(),
        account_name: account.display_name.clone(),
        mailbox: mailbox.uri.clone(),
        name: mailbox.display_name.clone(),
        own: mailbox.own,
        lamp: state,
        status: status_words(state, counts.as_ref(), reason.as_deref()),
        counts,
        source,
        reason,
        updated_at: at.map(format_rfc3339),
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The counts in words: "3 new (1 urgent), 1 old", "No new messages, 2 old".
pub fn counts_words(c: &CountsView) -> String {
    let new = if c.new == 0 && c.waiting_without_count {
        "Messages waiting".to_owned()
    } else if c.new == 0 {
        "No new messages".to_owned()
    } else if c.urgent > 0 {
        format!("{} new ({} urgent)", c.new, c.urgent)
    } else {
        format!("{} new", c.new)
    };
    if c.old > 0 {
        format!("{new}, {} old", c.old)
    } else {
        new
    }
}

fn status_words(state: LampState, counts: Option<&CountsView>, reason: Option<&str>) -> String {
    let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
    match (state, counts) {
        (LampState::Active, Some(c)) => counts_words(c),
        (LampState::Active, None) | (LampState::Unknown, _) => {
            "Not known yet: waiting for the server's first report".to_owned()
        }
        (LampState::Stale, Some(c)) => {
            format!("Out of date (last known: {}){why}", counts_words(c))
        }
        (LampState::Stale, None) => format!("Not known{why}"),
        (LampState::Failed, _) => format!("Not monitored{why}"),
    }
}

fn tooltip(totals: &TotalsView, lines: &[LineView]) -> String {
    if lines.is_empty() {
        return "Voicelamp: no lines configured".to_owned();
    }
    let mut head = match (totals.new, totals.urgent) {
        (0, _) => "Voicelamp: no new voicemail".to_owned(),
        (n, 0) => format!(
            "Voicelamp: {}",
            plural(n, "new voicemail", "new voicemails")
        ),
        (n, u) => format!(
            "Voicelamp: {}, {u} urgent",
            plural(n, "new voicemail", "new voicemails")
        ),
    };
    if totals.not_known {
        head = if totals.new == 0 {
            "Voicelamp: not known — some lines are not up to date".to_owned()
        } else {
            format!("{head} (or more: some lines are not up to date)")
        };
    }
    let mut text = head;
    for line in lines {
        text.push('\n');
        text.push_str(&line.name);
        if line.name != line.account_name && line.own {
            text.push_str(&format!(" ({})", line.account_name));
        }
        text.push_str(": ");
        text.push_str(&line.status);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use std::time::{Instant, SystemTime};
    use voicelamp_sip::{AccountId, Event, Source, message_summary};

    fn model() -> LampModel {
        let config = Config::from_toml_str(
            "[[accounts]]\nid = \"desk\"\ndisplay_name = \"Front desk\"\naor = \"sip:1001@pbx\"\n\
             [[accounts.mailboxes]]\nuri = \"sip:support@pbx\"\n\
             [[accounts]]\nid = \"back\"\naor = \"sip:1002@pbx\"\n",
            "config.toml".as_ref(),
        )
        .expect("config");
        LampModel::new(&config)
    }

    fn notify(model: &mut LampModel, account: usize, uri: &str, body: &[u8]) {
        let event = Event::Mailbox {
            account: AccountId(account),
            mailbox_uri: uri.into(),
            summary: message_summary::parse(body).expect("body"),
            source: Source::Subscription,
            at: Instant::now(),
        };
        model.apply(&event, SystemTime::now());
    }

    #[test]
    fn nothing_known_never_reads_as_no_messages() {
        let view = LinesView::build(&model(), |_| None);
        assert_eq!(view.lines.len(), 3);
        for line in &view.lines {
            assert_eq!(line.lamp, LampState::Unknown);
            assert!(line.counts.is_none());
            assert!(line.status.starts_with("Not known"), "{}", line.status);
            assert!(!line.status.contains('0'));
        }
        assert!(view.totals.not_known);
        assert!(view.tooltip.starts_with("Voicelamp: not known"));
    }

    #[test]
    fn urgent_first_then_count_then_configuration_order() {
        let mut model = model();
        notify(
            &mut model,
            0,
            "sip:1001@pbx",
            b"Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n",
        );
        notify(
            &mut model,
            0,
            "sip:support@pbx",
            b"Messages-Waiting: yes\r\nVoice-Message: 4/2\r\n",
        );
        notify(
            &mut model,
            1,
            "sip:1002@pbx",
            b"Messages-Waiting: yes\r\nVoice-Message: 1/0 (1/0)\r\n",
        );
        let view = LinesView::build(&model, |_| None);
        let order: Vec<&str> = view.lines.iter().map(|l| l.mailbox.as_str()).collect();
        assert_eq!(order, ["sip:1002@pbx", "sip:support@pbx", "sip:1001@pbx"]);
        assert_eq!(view.lines[1].status, "4 new, 2 old");
        assert_eq!(view.lines[0].status, "1 new (1 urgent)");
        assert_eq!(
            view.totals,
            TotalsView {
                new: 6,
                urgent: 1,
                not_known: false,
                failed: false,
                mailboxes: 3
            }
        );
        assert!(
            view.tooltip
                .starts_with("Voicelamp: 6 new voicemails, 1 urgent\n"),
            "{}",
            view.tooltip
        );
        assert_eq!(view.tooltip.lines().count(), 4);
    }

    #[test]
    fn engine_problem_names_the_reason() {
        let view = LinesView::build(&model(), |id| {
            (id == "back").then_some("cannot reach the server: connection refused")
        });
        let back = &view.accounts[1];
        assert_eq!(back.registration, RegistrationState::Failed);
        assert_eq!(
            back.reason.as_deref(),
            Some("cannot reach the server: connection refused")
        );
        assert_eq!(view.accounts[0].reason, None);
    }

    #[test]
    fn counts_in_words() {
        let c = |new, old, urgent, waiting| CountsView {
            new,
            old,
            urgent,
            urgent_old: 0,
            waiting_without_count: waiting,
        };
        assert_eq!(counts_words(&c(0, 0, 0, false)), "No new messages");
        assert_eq!(counts_words(&c(0, 3, 0, false)), "No new messages, 3 old");
        assert_eq!(counts_words(&c(0, 0, 0, true)), "Messages waiting");
        assert_eq!(counts_words(&c(2, 1, 1, false)), "2 new (1 urgent), 1 old");
    }
}
