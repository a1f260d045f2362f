//! The tray lamp: the icon a person leaves running all day, and its menu.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};
use voicelamp_core::view::LineView;

use crate::badge::{self, Badge};
use crate::engine::EngineService;
use crate::window::{self, Navigation, ViewId};

/// The id of Voicelamp's one tray icon.
pub const TRAY_ID: &str = "voicelamp";

/// Pixel size the lamp is drawn at; the tray host scales it to its panel.
const ICON_SIZE: u32 = 64;

/// The tray menu's entries. Ids are derived from this enum, never written as loose strings.
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

/// Creates the tray icon with its menu (no lines yet: the engine fills them in).
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let menu = build_menu(app, &[])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(lamp_image(&Badge {
            not_known: true,
            ..Badge::default()
        }))
        .tooltip("Voicelamp: starting")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match TrayItem::from_id(event.id().as_ref()) {
            Some(TrayItem::Line(index)) => {
                let target = app
                    .try_state::<EngineService>()
                    .and_then(|engine| engine.view().lines.lines.get(index).cloned());
                if let Some(line) = target {
                    report(window::navigate(
                        app,
                        Navigation::mailbox(&line.account, &line.mailbox),
                    ));
                }
            }
            Some(TrayItem::Open) => report(window::navigate(app, Navigation::view(ViewId::Lines))),
            Some(TrayItem::Settings) => {
                report(window::navigate(app, Navigation::view(ViewId::Settings)))
            }
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
                report(window::navigate(
                    tray.app_handle(),
                    Navigation::view(ViewId::Lines),
                ));
            }
        })
        .build(app)?;
    Ok(())
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, rows: &[String]) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for (index, row) in rows.iter().enumerate() {
        menu.append(&MenuItem::with_id(
            app,
            TrayItem::Line(index).id(),
            row,
            true,
            None::<&str>,
        )?)?;
    }
    if !rows.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    for item in TrayItem::FIXED {
        if item == TrayItem::Quit {
            menu.append(&PredefinedMenuItem::separator(app)?)?;
        }
        menu.append(&MenuItem::with_id(
            app,
            item.id(),
            item.label(),
            true,
            None::<&str>,
        )?)?;
    }
    Ok(menu)
}

/// Shows `badge` on the tray lamp, `tooltip` as its tooltip, and one menu row per line.
pub fn show<R: Runtime>(
    app: &AppHandle<R>,
    badge: &Badge,
    tooltip: &str,
    rows: &[String],
) -> tauri::Result<()> {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        tray.set_icon(Some(lamp_image(badge)))?;
        tray.set_tooltip(Some(tooltip))?;
        // The macOS menu bar shows the count as text beside the lamp.
        #[cfg(target_os = "macos")]
        tray.set_title(Some(badge.count_text()))?;
        tray.set_menu(Some(build_menu(app, rows)?))?;
    }
    if let Some(probe) = app.try_state::<TrayProbe>() {
        probe.record(badge, tooltip, rows);
    }
    Ok(())
}

/// What the tray shows, kept for tests and diagnostics (`VOICELAMP_TRAY_PROBE=path` also writes
/// it to that file as JSON each time it changes, so end-to-end tests can read the lamp).
#[derive(Debug, Default)]
pub struct TrayProbe {
    last: std::sync::Mutex<Option<TrayShown>>,
    file: Option<std::path::PathBuf>,
}

/// One state of the tray.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrayShown {
    /// New messages on the badge.
    pub new: u32,
    /// Urgent mark shown.
    pub urgent: bool,
    /// Grey, struck-through lamp shown.
    pub not_known: bool,
    /// The count text drawn.
    pub count_text: String,
    /// Tooltip.
    pub tooltip: String,
    /// Menu rows of the lines.
    pub rows: Vec<String>,
    /// When the tray was updated, in milliseconds since the Unix epoch (for latency figures).
    pub at_ms: u128,
}

impl TrayProbe {
    /// A probe that also writes to `file` when given.
    pub fn new(file: Option<std::path::PathBuf>) -> Self {
        Self {
            last: std::sync::Mutex::new(None),
            file,
        }
    }

    /// The last state shown.
    pub fn last(&self) -> Option<TrayShown> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn record(&self, badge: &Badge, tooltip: &str, rows: &[String]) {
        let shown = TrayShown {
            new: badge.new,
            urgent: badge.urgent,
            not_known: badge.not_known,
            count_text: badge.count_text(),
            tooltip: tooltip.to_owned(),
            rows: rows.to_vec(),
            at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
        };
        if let Some(file) = &self.file {
            let text = serde_json::to_string(&shown).unwrap_or_default();
            let tmp = file.with_extension("tmp");
            if std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, file))
                .is_err()
            {
                tracing::warn!("the tray probe file cannot be written");
            }
        }
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(shown);
    }
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
