//! The main window. It exists only while a person looks at it: closing it destroys the webview (the
//! tray and the engine keep running), and opening it again builds a new one.
//!
//! Where the window should go (a view, a mailbox, a message to play) is a typed [`Navigation`]:
//! kept as pending state for a window that is still loading (the UI takes it with the
//! `take_navigation` command when it starts) and sent as the [`NavigateTo`] event to a window that
//! is already open.

use serde::{Deserialize, Serialize};
use specta::Type;
use std::sync::{Mutex, PoisonError};
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};
use tauri_specta::Event as _;

/// The label of the one main window.
pub const MAIN: &str = "main";

/// The window's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum ViewId {
    Lines,
    Mailbox,
    Settings,
    Diagnostics,
}

/// Where to take the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Navigation {
    /// The view.
    pub view: ViewId,
    /// The account whose mailbox to show (Mailbox view).
    pub account: Option<String>,
    /// The mailbox URI (Mailbox view).
    pub mailbox: Option<String>,
    /// The message to select (Mailbox view), as `folder/id` (the id is the part after the
    /// last `/`).
    pub message_id: Option<String>,
    /// Start playing the selected message.
    pub play: bool,
    /// A `sip:`/`tel:` link asked to call this number or address (shown; calling comes later).
    pub dial: Option<String>,
}

impl Navigation {
    /// Just a view.
    pub fn view(view: ViewId) -> Self {
        Self {
            view,
            account: None,
            mailbox: None,
            message_id: None,
            play: false,
            dial: None,
        }
    }

    /// The Lines view showing what a `sip:`/`tel:` link asks to call, if `arg` is such a link.
    pub fn from_link(arg: &str) -> Option<Self> {
        let dial = voicelamp_core::sip_uri::dial_target(arg)?;
        Some(Self {
            dial: Some(dial),
            ..Self::view(ViewId::Lines)
        })
    }

    /// The Mailbox view on one account's mailbox.
    pub fn mailbox(account: &str, mailbox: &str) -> Self {
        Self {
            account: Some(account.to_owned()),
            mailbox: Some(mailbox.to_owned()),
            ..Self::view(ViewId::Mailbox)
        }
    }
}

/// Go there (sent to an open window).
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
pub struct NavigateTo(pub Navigation);

/// The navigation a starting window has not taken yet.
#[derive(Debug, Default)]
pub struct PendingNavigation(Mutex<Option<Navigation>>);

impl PendingNavigation {
    /// Takes it (once).
    pub fn take(&self) -> Option<Navigation> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn set(&self, navigation: Navigation) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(navigation);
    }
}

/// Shows the main window, building it if it was closed.
pub fn open_main<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window(MAIN) {
        window.unminimize()?;
        window.show()?;
        return window.set_focus();
    }
    let window = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::App("index.html".into()))
        .title("Voicelamp")
        .inner_size(960.0, 640.0)
        .min_inner_size(480.0, 360.0)
        .build()?;
    window.set_focus()
}

/// Shows the main window at `navigation`.
pub fn navigate<R: Runtime>(app: &AppHandle<R>, navigation: Navigation) -> tauri::Result<()> {
    let open = app.get_webview_window(MAIN).is_some();
    if open {
        if let Err(e) = NavigateTo(navigation).emit(app) {
            tracing::warn!(error = %e, "the window could not be told where to go");
        }
    } else if let Some(pending) = app.try_state::<PendingNavigation>() {
        pending.set(navigation);
    }
    open_main(app)
}
