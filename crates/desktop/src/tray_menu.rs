//! The tray menu's entries, shared by every tray (the StatusNotifierItem of the Linux tray process
//! and the Tauri tray of the single-process app). Ids are derived from [`TrayItem`], never written
//! as loose strings; [`TrayMenu::entries`] is the one menu order both trays draw.

use voicelamp_core::view::LineView;

use crate::calls::CallsView;
use voicelamp_core::{CallDirection, CallState};

/// The tray menu's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayItem {
    /// A line (by its position in the view's sorted lines): opens its mailbox.
    Line(usize),
    /// Calls the voicemail of a line (by its position in the view's sorted lines).
    Voicemail(usize),
    /// Answers the call that rings.
    Answer,
    /// Declines the call that rings.
    Decline,
    /// Ends the call in progress.
    HangUp,
    Open,
    Settings,
    Quit,
}

impl TrayItem {
    /// The fixed entries, in menu order (the lines come before them).
    pub const FIXED: [TrayItem; 3] = [TrayItem::Open, TrayItem::Settings, TrayItem::Quit];

    /// The call entries (shown while a call rings or goes on).
    const CALL: [TrayItem; 3] = [TrayItem::Answer, TrayItem::Decline, TrayItem::HangUp];

    /// The menu item id.
    pub fn id(self) -> String {
        match self {
            TrayItem::Line(index) => format!("line-{index}"),
            TrayItem::Voicemail(index) => format!("voicemail-{index}"),
            TrayItem::Answer => "answer".to_owned(),
            TrayItem::Decline => "decline".to_owned(),
            TrayItem::HangUp => "hang-up".to_owned(),
            TrayItem::Open => "open".to_owned(),
            TrayItem::Settings => "settings".to_owned(),
            TrayItem::Quit => "quit".to_owned(),
        }
    }

    /// The text shown in the menu for a fixed entry.
    pub fn label(self) -> &'static str {
        match self {
            TrayItem::Line(_) | TrayItem::Voicemail(_) => "",
            TrayItem::Answer => "Answer",
            TrayItem::Decline => "Decline",
            TrayItem::HangUp => "Hang up",
            TrayItem::Open => "Open Voicelamp",
            TrayItem::Settings => "Settings…",
            TrayItem::Quit => "Quit",
        }
    }

    /// The entry a menu event refers to.
    pub fn from_id(id: &str) -> Option<TrayItem> {
        if let Some(index) = id.strip_prefix("line-") {
            return index.parse().ok().map(TrayItem::Line);
        }
        if let Some(index) = id.strip_prefix("voicemail-") {
            return index.parse().ok().map(TrayItem::Voicemail);
        }
        Self::FIXED
            .into_iter()
            .chain(Self::CALL)
            .find(|item| item.id() == id)
    }
}

/// A line's menu row: its name and status, e.g. "Front desk — 3 new (1 urgent)".
pub fn line_row(line: &LineView) -> String {
    format!("{} — {}", line.name, line.status)
}

/// A line's voicemail row: "Call voicemail — Front desk".
pub fn voicemail_row(line: &LineView) -> String {
    format!("Call voicemail — {}", line.name)
}

/// One entry of the menu as a tray draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEntry {
    Item { item: TrayItem, label: String },
    Separator,
}

/// What the tray menu shows: the lines, their voicemail keys, the call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrayMenu {
    /// One row per line ([`line_row`]).
    pub lines: Vec<String>,
    /// One row per line ([`voicemail_row`]), in the same order.
    pub voicemail: Vec<String>,
    /// The call that rings or goes on, in words ("On a call with Alice — Front desk").
    pub call: Option<String>,
    /// The call rings here (Answer and Decline instead of Hang up).
    pub ringing: bool,
}

impl TrayMenu {
    /// The menu of `lines` and `calls`.
    pub fn of(lines: &[LineView], calls: &CallsView) -> Self {
        let live = calls.call.as_ref().filter(|c| !c.state.is_ended());
        let ringing = live.is_some_and(|c| {
            c.direction == CallDirection::Incoming && c.state == CallState::Ringing
        });
        Self {
            lines: lines.iter().map(line_row).collect(),
            voicemail: lines.iter().map(voicemail_row).collect(),
            call: live.map(|call| {
                let doing = if ringing {
                    "Incoming call from"
                } else {
                    "On a call with"
                };
                let who = call.remote_name.as_deref().unwrap_or(&call.remote);
                format!("{doing} {who} — {}", call.line_name)
            }),
            ringing,
        }
    }

    /// The tooltip: the call first while there is one, then the lines' words.
    pub fn tooltip(&self, lines: &str) -> String {
        match &self.call {
            Some(call) => format!("{call}\n{lines}"),
            None => lines.to_owned(),
        }
    }

    /// The entries in menu order: the call (its words, then Answer/Decline or Hang up), the
    /// lines, their voicemail keys, then Open, Settings and Quit.
    pub fn entries(&self) -> Vec<MenuEntry> {
        let item = |item: TrayItem, label: &str| MenuEntry::Item {
            item,
            label: label.to_owned(),
        };
        let mut entries = Vec::new();
        if self.call.is_some() {
            let actions: &[TrayItem] = if self.ringing {
                &[TrayItem::Answer, TrayItem::Decline]
            } else {
                &[TrayItem::HangUp]
            };
            for action in actions {
                entries.push(item(*action, action.label()));
            }
            entries.push(MenuEntry::Separator);
        }
        for (index, row) in self.lines.iter().enumerate() {
            entries.push(item(TrayItem::Line(index), row));
        }
        if !self.lines.is_empty() {
            entries.push(MenuEntry::Separator);
        }
        for (index, row) in self.voicemail.iter().enumerate() {
            entries.push(item(TrayItem::Voicemail(index), row));
        }
        if !self.voicemail.is_empty() {
            entries.push(MenuEntry::Separator);
        }
        for fixed in TrayItem::FIXED {
            if fixed == TrayItem::Quit {
                entries.push(MenuEntry::Separator);
            }
            entries.push(item(fixed, fixed.label()));
        }
        entries
    }

    /// Every row's label in menu order (separators left out), as the tray probe records them.
    pub fn labels(&self) -> Vec<String> {
        self.entries()
            .into_iter()
            .filter_map(|entry| match entry {
                MenuEntry::Item { label, .. } => Some(label),
                MenuEntry::Separator => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voicelamp_core::CallView;

    #[test]
    fn menu_ids_round_trip_and_are_unique() {
        let mut items: Vec<TrayItem> = TrayItem::FIXED.to_vec();
        items.extend(TrayItem::CALL);
        items.extend([TrayItem::Line(0), TrayItem::Line(7), TrayItem::Line(199)]);
        items.extend([TrayItem::Voicemail(0), TrayItem::Voicemail(199)]);
        for item in &items {
            assert_eq!(TrayItem::from_id(&item.id()), Some(*item));
        }
        let ids: std::collections::HashSet<String> = items.iter().map(|i| i.id()).collect();
        assert_eq!(ids.len(), items.len());
        assert_eq!(TrayItem::from_id("nonsense"), None);
        assert_eq!(TrayItem::from_id("line-x"), None);
        assert_eq!(TrayItem::from_id("voicemail-"), None);
    }

    fn call(state: CallState, incoming: bool) -> CallView {
        CallView {
            id: 1,
            line: "desk".into(),
            line_name: "Front desk".into(),
            remote: "1002".into(),
            remote_name: Some("Alice".into()),
            direction: if incoming {
                CallDirection::Incoming
            } else {
                CallDirection::Outgoing
            },
            state,
            muted: false,
            heard: false,
            quality: None,
            codec: None,
            secure: false,
            voicemail: false,
            notice: None,
        }
    }

    fn menu(call: Option<CallView>) -> TrayMenu {
        TrayMenu {
            lines: vec![
                "Front desk — 2 new".into(),
                "Sales — No new messages".into(),
            ],
            voicemail: vec![
                "Call voicemail — Front desk".into(),
                "Call voicemail — Sales".into(),
            ],
            ..TrayMenu::of(
                &[],
                &CallsView {
                    call,
                    ..CallsView::default()
                },
            )
        }
    }

    #[test]
    fn a_voicemail_row_per_line_and_hang_up_only_during_a_call() {
        assert_eq!(
            menu(None).labels(),
            [
                "Front desk — 2 new",
                "Sales — No new messages",
                "Call voicemail — Front desk",
                "Call voicemail — Sales",
                "Open Voicelamp",
                "Settings…",
                "Quit",
            ]
        );
        let talking = menu(Some(call(
            CallState::Connected {
                since: "2026-12-04T21:00:00Z".into(),
            },
            false,
        )));
        assert_eq!(talking.labels()[0], "Hang up");
        assert_eq!(
            talking.tooltip("2 new messages"),
            "On a call with Alice — Front desk\n2 new messages"
        );
        let ringing = menu(Some(call(CallState::Ringing, true)));
        assert_eq!(ringing.labels()[..2], ["Answer", "Decline"]);
        assert!(ringing.tooltip("x").starts_with("Incoming call from Alice"));
        // An ended call is no call: the menu is as without one.
        let ended = menu(Some(call(
            CallState::Ended {
                why: "hung up".into(),
                failed: false,
            },
            false,
        )));
        assert_eq!(ended.labels(), menu(None).labels());
        assert_eq!(ended.tooltip("2 new messages"), "2 new messages");
        // Separators never come twice in a row nor first.
        for menu in [menu(None), talking, ringing, TrayMenu::default()] {
            let entries = menu.entries();
            assert!(!matches!(entries.first(), Some(MenuEntry::Separator)));
            assert!(
                entries
                    .windows(2)
                    .all(|w| !(w[0] == MenuEntry::Separator && w[1] == MenuEntry::Separator))
            );
        }
    }
}
