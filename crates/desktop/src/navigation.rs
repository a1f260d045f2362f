//! Where the window should go: a view, a mailbox, a message to play, a number to call. A typed
//! [`Navigation`] is kept as pending state for a window that is still starting (the UI takes it
//! with the `take_navigation` command) and sent to a window that is already open.

use serde::{Deserialize, Serialize};
use specta::Type;
use std::sync::{Arc, Mutex, PoisonError};

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
    /// A `sip:`/`tel:` link asked to call this number or address (called once the person
    /// confirms it, naming the line).
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

/// The navigation a starting window has not taken yet.
#[derive(Debug, Default, Clone)]
pub struct PendingNavigation(Arc<Mutex<Option<Navigation>>>);

impl PendingNavigation {
    /// Takes it (once).
    pub fn take(&self) -> Option<Navigation> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// Keeps `navigation` for the window that starts next (replacing an older one).
    pub fn set(&self, navigation: Navigation) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(navigation);
    }
}

/// The first `sip:`/`tel:` link among the arguments (after the program name), as a navigation.
pub fn link_in(args: &[String]) -> Option<Navigation> {
    args.iter()
        .skip(1)
        .find_map(|arg| Navigation::from_link(arg))
}
