//! The tray lamp of the single-process app (off Linux, or `--standalone`): the icon a person leaves
//! running all day, and its menu. The Linux tray process shows the same lamp and menu as a
//! StatusNotifierItem instead.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};
use voicelamp_desktop::badge::{self, Badge};
use voicelamp_desktop::engine::CallCommand;
use voicelamp_desktop::tray_menu::{MenuEntry, TrayItem, TrayMenu};

use crate::HostLink;
use crate::window::{self, Navigation, ViewId};

/// The id of Voicelamp's one tray icon.
pub const TRAY_ID: &str = "voicelamp";

/// Pixel size the lamp is drawn at; the tray host scales it to its panel.
const ICON_SIZE: u32 = 64;

/// Creates the tray icon with its menu (no lines yet: the engine fills them in).
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let menu = build_menu(app, &TrayMenu::default())?;
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
            Some(
                item @ (TrayItem::Voicemail(_)
                | TrayItem::Answer
                | TrayItem::Decline
                | TrayItem::HangUp),
            ) => {
                call_from_menu(app, item);
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

/// A call asked from the menu (a line's voicemail, answer, decline, hang up): done by the
/// backend; a refusal is said in a notification.
fn call_from_menu<R: Runtime>(app: &AppHandle<R>, item: TrayItem) {
    let Some(link) = app.try_state::<HostLink>() else {
        return;
    };
    let HostLink::Local(backend) = link.inner() else {
        return;
    };
    let engine = backend.engine.clone();
    let command = match item {
        TrayItem::Voicemail(index) => match engine.view().lines.lines.get(index) {
            Some(line) => voicelamp_desktop::calls::voicemail_of(line),
            None => return,
        },
        TrayItem::Answer => CallCommand::Call(voicelamp_core::CallCommand::Answer),
        TrayItem::Decline => CallCommand::Call(voicelamp_core::CallCommand::Decline),
        _ => CallCommand::Call(voicelamp_core::CallCommand::HangUp),
    };
    tauri::async_runtime::spawn(async move {
        if let Err(reason) = engine.call(command).await {
            voicelamp_desktop::notify::call_failed(&reason);
        }
    });
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, shown: &TrayMenu) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for entry in shown.entries() {
        match entry {
            MenuEntry::Item { item, label } => menu.append(&MenuItem::with_id(
                app,
                item.id(),
                label,
                true,
                None::<&str>,
            )?)?,
            MenuEntry::Separator => menu.append(&PredefinedMenuItem::separator(app)?)?,
        }
    }
    Ok(menu)
}

/// Shows `badge` on the tray lamp, `tooltip` as its tooltip, and `menu` as its menu.
pub fn show<R: Runtime>(
    app: &AppHandle<R>,
    badge: &Badge,
    tooltip: &str,
    menu: &TrayMenu,
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
        tray.set_menu(Some(build_menu(app, menu)?))?;
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
