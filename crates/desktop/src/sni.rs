//! The Linux tray lamp: a StatusNotifierItem on the session bus (through `ksni`, so no GTK), whose
//! menu lists the call's actions, the lines, their voicemail keys and then the fixed entries of
//! [`TrayItem`] ([`TrayMenu::entries`]).
//!
//! The item does not need a StatusNotifierWatcher to start: without one it still serves its objects
//! on the bus (under `org.kde.StatusNotifierItem-<pid>-<n>`) and registers with the watcher as soon
//! as one appears, and again whenever the watcher restarts.

use std::sync::Arc;

use ksni::menu::StandardItem;
use ksni::{Category, Icon, MenuItem, OfflineReason, Status, ToolTip, Tray, TrayMethods};

use crate::tray_menu::{MenuEntry, TrayItem, TrayMenu};

/// The item's `Id` on the bus, which tray hosts use to remember its place.
const ID: &str = "voicelamp";
/// The item's title and the tooltip's heading.
const TITLE: &str = "Voicelamp";

/// What the lamp shows, ready for any tray.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayPicture {
    /// The width and height in pixels (the picture is square).
    pub size: u32,
    /// `size * size * 4` bytes, row by row: straight (not premultiplied) RGBA8.
    pub rgba: Vec<u8>,
}

/// What a menu entry or a click on the lamp calls.
type OnItem = Arc<dyn Fn(TrayItem) + Send + Sync>;

/// The state ksni serves: what [`SniTray::show`] last gave it.
struct Lamp {
    on_item: OnItem,
    icon: Vec<Icon>,
    tooltip: String,
    menu: TrayMenu,
    attention: bool,
}

impl Tray for Lamp {
    fn id(&self) -> String {
        ID.to_owned()
    }

    fn category(&self) -> Category {
        Category::Communications
    }

    fn title(&self) -> String {
        TITLE.to_owned()
    }

    fn status(&self) -> Status {
        if self.attention {
            Status::NeedsAttention
        } else {
            Status::Active
        }
    }

    fn icon_pixmap(&self) -> Vec<Icon> {
        self.icon.clone()
    }

    fn tool_tip(&self) -> ToolTip {
        ToolTip {
            title: TITLE.to_owned(),
            description: self.tooltip.clone(),
            ..ToolTip::default()
        }
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        (self.on_item)(TrayItem::Open);
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        self.menu
            .entries()
            .into_iter()
            .map(|shown| match shown {
                MenuEntry::Item { item, label } => entry(escape_mnemonics(&label), item),
                MenuEntry::Separator => MenuItem::Separator,
            })
            .collect()
    }

    fn watcher_online(&self) {
        tracing::info!("a tray host appeared: the lamp registers with it");
    }

    fn watcher_offline(&self, reason: OfflineReason) -> bool {
        tracing::info!(?reason, "no tray host yet: the lamp waits for one");
        true
    }
}

/// A menu entry that hands `item` to the callback when clicked.
fn entry(label: String, item: TrayItem) -> MenuItem<Lamp> {
    StandardItem {
        label,
        activate: Box::new(move |lamp: &mut Lamp| (lamp.on_item)(item)),
        ..StandardItem::default()
    }
    .into()
}

/// Doubles underscores so a host shows them instead of taking them for access keys.
fn escape_mnemonics(label: &str) -> String {
    label.replace('_', "__")
}

/// Converts straight RGBA8 pixels to SNI's ARGB32 in network byte order (A, R, G, B per pixel).
fn argb32_from_rgba(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|pixel| [pixel[3], pixel[0], pixel[1], pixel[2]])
        .collect()
}

/// The pixmap of `picture`, or `None` when its bytes do not make a `size`×`size` picture.
fn icon_of(picture: &TrayPicture) -> Option<Icon> {
    let side = i32::try_from(picture.size).ok()?;
    let expected = usize::try_from(picture.size)
        .ok()
        .and_then(|size| size.checked_mul(size)?.checked_mul(4))?;
    (side > 0 && picture.rgba.len() == expected).then(|| Icon {
        width: side,
        height: side,
        data: argb32_from_rgba(&picture.rgba),
    })
}

/// The lamp in the tray: a running StatusNotifierItem on the session bus.
pub struct SniTray {
    handle: ksni::Handle<Lamp>,
}

impl std::fmt::Debug for SniTray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SniTray")
            .field("running", &!self.handle.is_closed())
            .finish()
    }
}

impl SniTray {
    /// Registers the item on the session bus (`DBUS_SESSION_BUS_ADDRESS`). It works without a
    /// StatusNotifierWatcher: it keeps running and registers when a watcher appears. `on_item` is
    /// called for a menu entry and for a left click on the lamp ([`TrayItem::Open`]); it runs
    /// while the item is busy, so it must return quickly.
    pub async fn spawn(on_item: Arc<dyn Fn(TrayItem) + Send + Sync>) -> Result<SniTray, String> {
        let lamp = Lamp {
            on_item,
            icon: Vec::new(),
            tooltip: String::new(),
            menu: TrayMenu::default(),
            attention: false,
        };
        let handle = lamp
            .assume_sni_available(true)
            .spawn()
            .await
            .map_err(|e| format!("the tray lamp could not start on the session bus: {e}"))?;
        Ok(SniTray { handle })
    }

    /// Replaces the icon, the tooltip (headed "Voicelamp") and the menu ([`TrayMenu::entries`]:
    /// a click on line row `i` gives [`TrayItem::Line`]`(i)`). The status is NeedsAttention when
    /// `attention` (new messages, a call ringing), else Active. A picture whose bytes do not match its size shows no icon.
    pub async fn show(
        &self,
        picture: &TrayPicture,
        tooltip: &str,
        menu: &TrayMenu,
        attention: bool,
    ) {
        let icon = icon_of(picture);
        if icon.is_none() {
            tracing::warn!(
                size = picture.size,
                bytes = picture.rgba.len(),
                "the lamp's picture has the wrong number of bytes"
            );
        }
        let shown = self
            .handle
            .update(|lamp| {
                lamp.icon = icon.into_iter().collect();
                lamp.tooltip = tooltip.to_owned();
                lamp.menu = menu.clone();
                lamp.attention = attention;
            })
            .await;
        if shown.is_none() {
            tracing::warn!("the tray lamp has stopped: nothing to show on");
        }
    }

    /// Removes the item from the bus.
    pub async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::{TrayPicture, argb32_from_rgba, escape_mnemonics, icon_of};

    #[test]
    fn rgba_becomes_argb_in_network_order() {
        let rgba = [0x11, 0x22, 0x33, 0x44, 0xff, 0x00, 0x80, 0x00];
        assert_eq!(
            argb32_from_rgba(&rgba),
            [0x44, 0x11, 0x22, 0x33, 0x00, 0xff, 0x00, 0x80]
        );
        assert!(argb32_from_rgba(&[]).is_empty());
    }

    #[test]
    fn a_picture_with_the_wrong_byte_count_has_no_icon() {
        let good = TrayPicture {
            size: 2,
            rgba: vec![7; 16],
        };
        let icon = icon_of(&good).expect("a 2×2 picture");
        assert_eq!((icon.width, icon.height, icon.data.len()), (2, 2, 16));
        let short = TrayPicture {
            size: 2,
            rgba: vec![7; 15],
        };
        assert!(icon_of(&short).is_none());
        let huge = TrayPicture {
            size: u32::MAX,
            rgba: Vec::new(),
        };
        assert!(icon_of(&huge).is_none());
        assert!(
            icon_of(&TrayPicture {
                size: 0,
                rgba: Vec::new()
            })
            .is_none()
        );
    }

    #[test]
    fn underscores_in_rows_are_not_access_keys() {
        assert_eq!(
            escape_mnemonics("front_desk — 1 new"),
            "front__desk — 1 new"
        );
    }
}
