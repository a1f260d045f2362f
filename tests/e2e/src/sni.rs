//! Reads Voicelamp's tray lamp, its StatusNotifierItem, over D-Bus the way a tray host does, with
//! `busctl --json=short`: the item's bus name, tooltip, icon and menu, and clicks on menu entries.
//!
//! The free functions use the session bus (the end-to-end tests run inside `dbus-run-session`);
//! [`Bus::Address`] reaches a private bus. The module needs only std and `serde_json`, so the
//! desktop crate's own tray test includes this file too. Every call is bounded by busctl's timeout;
//! a failed call reads as "nothing there" (`None`, empty, `false`).

use std::process::{Command, Stdio};

use serde_json::Value;

/// The object path of every StatusNotifierItem.
const ITEM_PATH: &str = "/StatusNotifierItem";
/// The StatusNotifierItem interface ksni serves.
const ITEM_INTERFACE: &str = "org.kde.StatusNotifierItem";
/// The object path of the item's menu.
const MENU_PATH: &str = "/MenuBar";
/// The menu's interface.
const MENU_INTERFACE: &str = "com.canonical.dbusmenu";
/// The prefix of the bus names StatusNotifierItems own.
const ITEM_NAME_PREFIX: &str = "org.kde.StatusNotifierItem-";
/// Voicelamp's item `Id`.
const VOICELAMP_ID: &str = "voicelamp";

/// A D-Bus bus that busctl talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    /// The session bus of the environment (`DBUS_SESSION_BUS_ADDRESS`).
    Session,
    /// A bus by its address, e.g. one a test started with `dbus-daemon --print-address`.
    Address(String),
}

impl Bus {
    /// Runs busctl with `args` (never read as options, so "-1" is a number) and returns its JSON
    /// answer's `data` (null for an empty reply), or `None` when the call fails.
    fn busctl(&self, args: &[&str]) -> Option<Value> {
        let bus = match self {
            Bus::Session => "--user".to_owned(),
            Bus::Address(address) => format!("--address={address}"),
        };
        let output = Command::new("busctl")
            .args([bus.as_str(), "--json=short", "--timeout=5", "--"])
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        if output.stdout.trim_ascii().is_empty() {
            return Some(Value::Null);
        }
        let mut answer: Value = serde_json::from_slice(&output.stdout).ok()?;
        Some(answer.get_mut("data")?.take())
    }

    /// A property of the item `name`.
    fn item_property(&self, name: &str, property: &str) -> Option<Value> {
        self.busctl(&["get-property", name, ITEM_PATH, ITEM_INTERFACE, property])
    }

    /// The bus name of Voicelamp's StatusNotifierItem: the `org.kde.StatusNotifierItem-*` name
    /// whose item has the `Id` "voicelamp".
    pub fn find_item(&self) -> Option<String> {
        let names = self.busctl(&[
            "call",
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "ListNames",
        ])?;
        let names = names.get(0)?.as_array()?.iter().filter_map(Value::as_str);
        names
            .filter(|name| name.starts_with(ITEM_NAME_PREFIX))
            .find(|name| {
                self.item_property(name, "Id")
                    .as_ref()
                    .and_then(Value::as_str)
                    == Some(VOICELAMP_ID)
            })
            .map(str::to_owned)
    }

    /// The item's tooltip text (its description; the heading is the title).
    pub fn tooltip(&self, name: &str) -> Option<String> {
        let tooltip = self.item_property(name, "ToolTip")?;
        Some(tooltip.get(3)?.as_str()?.to_owned())
    }

    /// The item's status: "Passive", "Active" or "NeedsAttention".
    pub fn status(&self, name: &str) -> Option<String> {
        Some(self.item_property(name, "Status")?.as_str()?.to_owned())
    }

    /// The item's largest icon pixmap: width, height and ARGB32 bytes in network order.
    pub fn icon(&self, name: &str) -> Option<(u32, u32, Vec<u8>)> {
        let pixmaps = self.item_property(name, "IconPixmap")?;
        pixmaps
            .as_array()?
            .iter()
            .filter_map(pixmap)
            .max_by_key(|(width, height, _)| u64::from(*width) * u64::from(*height))
    }

    /// The menu's entries with a label, in order: their ids and labels as shown (access-key
    /// underscores removed). Separators are left out.
    pub fn menu(&self, name: &str) -> Vec<(i32, String)> {
        let layout = self.busctl(&[
            "call",
            name,
            MENU_PATH,
            MENU_INTERFACE,
            "GetLayout",
            "iias",
            "0",
            "-1",
            "0",
        ]);
        let mut entries = Vec::new();
        if let Some(root) = layout.as_ref().and_then(|answer| answer.get(1)) {
            collect_entries(root, &mut entries);
        }
        entries
    }

    /// The labels of the menu's entries, in order.
    pub fn menu_labels(&self, name: &str) -> Vec<String> {
        self.menu(name)
            .into_iter()
            .map(|(_, label)| label)
            .collect()
    }

    /// Clicks the first menu entry whose label starts with `label_prefix`; `false` when there is
    /// none or the click was refused.
    pub fn click_menu(&self, name: &str, label_prefix: &str) -> bool {
        let Some((id, _)) = self
            .menu(name)
            .into_iter()
            .find(|(_, label)| label.starts_with(label_prefix))
        else {
            return false;
        };
        let id = id.to_string();
        let event = ["Event", "isvu", &id, "clicked", "s", "", "0"];
        let args = [["call", name, MENU_PATH, MENU_INTERFACE].as_slice(), &event].concat();
        self.busctl(&args).is_some()
    }

    /// Activates the item as a left click on the lamp does.
    pub fn activate(&self, name: &str) -> bool {
        let args = [
            "call",
            name,
            ITEM_PATH,
            ITEM_INTERFACE,
            "Activate",
            "ii",
            "0",
            "0",
        ];
        self.busctl(&args).is_some()
    }
}

/// One `(iiay)` pixmap of busctl's JSON.
fn pixmap(value: &Value) -> Option<(u32, u32, Vec<u8>)> {
    let width = u32::try_from(value.get(0)?.as_u64()?).ok()?;
    let height = u32::try_from(value.get(1)?.as_u64()?).ok()?;
    let bytes = value.get(2)?.as_array()?.iter();
    let bytes = bytes.map(|byte| u8::try_from(byte.as_u64()?).ok());
    Some((width, height, bytes.collect::<Option<Vec<u8>>>()?))
}

/// Walks a dbusmenu layout `(ia{sv}av)` in busctl's JSON, collecting the labelled entries below it.
fn collect_entries(layout: &Value, entries: &mut Vec<(i32, String)>) {
    let children = layout
        .get(2)
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for child in children.filter_map(|variant| variant.get("data")) {
        let id = child
            .get(0)
            .and_then(Value::as_i64)
            .and_then(|id| i32::try_from(id).ok());
        let properties = child.get(1);
        let text = |key: &str| properties?.get(key)?.get("data")?.as_str();
        if let (Some(id), Some(label)) = (id, text("label"))
            && text("type") != Some("separator")
        {
            entries.push((id, shown_label(label)));
        }
        collect_entries(child, entries);
    }
}

/// A dbusmenu label as shown: "__" is an underscore, any other underscore marks an access key.
fn shown_label(label: &str) -> String {
    let mut shown = String::with_capacity(label.len());
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '_' {
            shown.push(c);
        } else if chars.next_if_eq(&'_').is_some() {
            shown.push('_');
        }
    }
    shown
}

/// The bus name of Voicelamp's StatusNotifierItem on the session bus.
pub fn find_item() -> Option<String> {
    Bus::Session.find_item()
}

/// The tooltip text of the item `name` on the session bus.
pub fn tooltip(name: &str) -> Option<String> {
    Bus::Session.tooltip(name)
}

/// The largest icon of the item `name` on the session bus: width, height, ARGB32 bytes.
pub fn icon(name: &str) -> Option<(u32, u32, Vec<u8>)> {
    Bus::Session.icon(name)
}

/// The menu labels of the item `name` on the session bus.
pub fn menu_labels(name: &str) -> Vec<String> {
    Bus::Session.menu_labels(name)
}

/// Clicks the first menu entry of the item `name` whose label starts with `label_prefix`.
pub fn click_menu(name: &str, label_prefix: &str) -> bool {
    Bus::Session.click_menu(name, label_prefix)
}

#[cfg(test)]
mod tests {
    use super::{collect_entries, shown_label};

    #[test]
    fn access_key_underscores_are_not_shown() {
        assert_eq!(shown_label("front__desk _Open"), "front_desk Open");
        assert_eq!(shown_label("trailing_"), "trailing");
    }

    #[test]
    fn a_layout_gives_its_labelled_entries_in_order() {
        let layout = serde_json::json!([0, {}, [
            {"type": "(ia{sv}av)", "data": [5, {"label": {"type": "s", "data": "a__b"}}, []]},
            {"type": "(ia{sv}av)", "data": [6, {"type": {"type": "s", "data": "separator"}}, []]},
            {"type": "(ia{sv}av)", "data": [7, {"label": {"type": "s", "data": "More"}}, [
                {"type": "(ia{sv}av)", "data": [8, {"label": {"type": "s", "data": "_Quit"}}, []]}
            ]]}
        ]]);
        let mut entries = Vec::new();
        collect_entries(&layout, &mut entries);
        let expected = [(5, "a_b"), (7, "More"), (8, "Quit")];
        assert_eq!(entries, expected.map(|(id, label)| (id, label.to_owned())));
    }
}
