//! The tray lamp of the single-process app (off Linux, or `--standalone`): the icon a person leaves
//! running all day, and its menu. The Linux tray process shows the same lamp and menu as a
//! StatusNotifierItem instead.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};
use voicelamp_desktop::badge::{self, Badge};
use voicelamp_desktop::tray_menu::TrayItem;

use crate::HostLink;
use crate::window::{self, Navigation, ViewId};

/// The id of Voicelamp's one tray icon.
pub const TRAY_ID: &str = "voicelamp";

/// Pixel size the lamp is drawn at; the tray host scales it to its panel.
const ICON_SIZE: u32 = 64;

/// Creates the tray icon with its menu (no lines yet: the engine fills them in).
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let menu = build_menu(app, &[])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(lamp_image(&Badge {
            not_known: true,
            ..Badge::default()
        }))
        .icon_as_template(cfg!(target_os = "macos"))
        .tooltip("Voicelamp: starting")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match TrayItem::from_id(event.id().as_ref()) {
            Some(TrayItem::Line(index)) => {
                let target = app
                    .try_state::<HostLink>()
                    .and_then(|link| match link.inner() {
                        HostLink::Local(backend) => {
                            backend.engine.view().lines.lines.get(index).cloned()
                        }
                        #[cfg(unix)]
                        HostLink::Remote(_) => None,
                    });
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
        // The macOS menu bar shows a template lamp (tinted by the system) and the count as text
        // beside it.
        #[cfg(target_os = "macos")]
        {
            tray.set_icon_as_template(true)?;
            tray.set_title(Some(badge.count_text()))?;
        }
        tray.set_menu(Some(build_menu(app, rows)?))?;
    }
    Ok(())
}

/// The lamp: in colour, or as a template image for the macOS menu bar.
fn lamp_image(badge: &Badge) -> tauri::image::Image<'static> {
    let drawn = if cfg!(target_os = "macos") {
        badge::render_template(badge, ICON_SIZE)
    } else {
        badge::render(badge, ICON_SIZE)
    };
    tauri::image::Image::new_owned(drawn.rgba, drawn.size, drawn.size)
}

fn report(result: tauri::Result<()>) {
    if let Err(err) = result {
        eprintln!("voicelamp: could not open the window: {err}");
    }
}
