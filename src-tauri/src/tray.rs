//! The tray lamp: the icon a person leaves running all day, and its menu.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Runtime};

use crate::badge::{self, Badge};
use crate::window;

/// The id of Voicelamp's one tray icon.
pub const TRAY_ID: &str = "voicelamp";

/// Pixel size the lamp is drawn at; the tray host scales it to its panel.
const ICON_SIZE: u32 = 64;

/// The tray menu's entries. Ids are derived from this enum, never written as loose strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayItem {
    Open,
    Quit,
}

impl TrayItem {
    /// Every entry, in menu order.
    pub const ALL: [TrayItem; 2] = [TrayItem::Open, TrayItem::Quit];

    /// The menu item id.
    pub fn id(self) -> &'static str {
        match self {
            TrayItem::Open => "open",
            TrayItem::Quit => "quit",
        }
    }

    /// The text shown in the menu.
    pub fn label(self) -> &'static str {
        match self {
            TrayItem::Open => "Open Voicelamp",
            TrayItem::Quit => "Quit",
        }
    }

    /// The entry a menu event refers to.
    pub fn from_id(id: &str) -> Option<TrayItem> {
        Self::ALL.into_iter().find(|item| item.id() == id)
    }
}

/// Creates the tray icon with its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(
        app,
        TrayItem::Open.id(),
        TrayItem::Open.label(),
        true,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(
        app,
        TrayItem::Quit.id(),
        TrayItem::Quit.label(),
        true,
        None::<&str>,
    )?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&open, &separator, &quit])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(lamp_image(&Badge::default()))
        .tooltip("Voicelamp: no lines configured")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match TrayItem::from_id(event.id().as_ref()) {
            Some(TrayItem::Open) => report(window::open_main(app)),
            Some(TrayItem::Quit) => app.exit(0),
            None => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                report(window::open_main(tray.app_handle()));
            }
        })
        .build(app)?;
    Ok(())
}

/// Shows `badge` on the tray lamp, with `tooltip` listing what it summarises.
pub fn show<R: Runtime>(app: &AppHandle<R>, badge: &Badge, tooltip: &str) -> tauri::Result<()> {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        tray.set_icon(Some(lamp_image(badge)))?;
        tray.set_tooltip(Some(tooltip))?;
    }
    Ok(())
}

fn lamp_image(badge: &Badge) -> tauri::image::Image<'static> {
    let drawn = badge::render(badge, ICON_SIZE);
    tauri::image::Image::new_owned(drawn.rgba, drawn.size, drawn.size)
}

fn report(result: tauri::Result<()>) {
    if let Err(err) = result {
        eprintln!("voicelamp: could not open the window: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::TrayItem;

    #[test]
    fn menu_ids_round_trip_and_are_unique() {
        for item in TrayItem::ALL {
            assert_eq!(TrayItem::from_id(item.id()), Some(item));
        }
        assert_eq!(TrayItem::from_id("nonsense"), None);
        assert_ne!(TrayItem::Open.id(), TrayItem::Quit.id());
    }
}
