//! The tray menu's entries, shared by every tray (the StatusNotifierItem of the Linux tray process
//! and the Tauri tray of the single-process app). Ids are derived from [`TrayItem`], never written
//! as loose strings.

use voicelamp_core::view::LineView;

/// The tray menu's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayItem {
    /// A line (by its position in the view's sorted lines): opens its mailbox.
    Line(usize),
    Open,
    Settings,
    Quit,
}

impl TrayItem {
    /// The fixed entries, in menu order (the lines come before them).
    pub const FIXED: [TrayItem; 3] = [TrayItem::Open, TrayItem::Settings, TrayItem::Quit];

    /// The menu item id.
    pub fn id(self) -> String {
        match self {
            TrayItem::Line(index) => format!("line-{index}"),
            TrayItem::Open => "open".to_owned(),
            TrayItem::Settings => "settings".to_owned(),
            TrayItem::Quit => "quit".to_owned(),
        }
    }

    /// The text shown in the menu for a fixed entry.
    pub fn label(self) -> &'static str {
        match self {
            TrayItem::Line(_) => "",
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
        Self::FIXED.into_iter().find(|item| item.id() == id)
    }
}

/// A line's menu row: its name and status, e.g. "Front desk — 3 new (1 urgent)".
pub fn line_row(line: &LineView) -> String {
    format!("{} — {}", line.name, line.status)
}

#[cfg(test)]
mod tests {
    use super::TrayItem;

    #[test]
    fn menu_ids_round_trip_and_are_unique() {
        let mut items: Vec<TrayItem> = TrayItem::FIXED.to_vec();
        items.extend([TrayItem::Line(0), TrayItem::Line(7), TrayItem::Line(199)]);
        for item in &items {
            assert_eq!(TrayItem::from_id(&item.id()), Some(*item));
        }
        let ids: std::collections::HashSet<String> = items.iter().map(|i| i.id()).collect();
        assert_eq!(ids.len(), items.len());
        assert_eq!(TrayItem::from_id("nonsense"), None);
        assert_eq!(TrayItem::from_id("line-x"), None);
    }
}
