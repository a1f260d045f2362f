//! The commands the UI may call. Each one is thin: validate what only the window knows, forward
//! to the backend (in this process or the tray process, [`HostLink`](crate::HostLink)) and hand
//! back its answer. No business logic lives here; the contract that lists them for the UI is
//! `crate::bindings`.

pub mod app;
pub mod call;
pub mod mailbox;
pub mod settings;

use voicelamp_desktop::protocol::Reply;

/// An answer of another kind than the call asks for (a tray process of another version).
fn unexpected(reply: &Reply) -> String {
    tracing::warn!(?reply, "unexpected answer");
    "Voicelamp's tray process answered something else; restart Voicelamp".to_owned()
}

/// Takes the answer out of a reply of the expected variant.
macro_rules! expect_reply {
    ($result:expr, $variant:ident($value:ident) => $out:expr) => {
        match $result? {
            voicelamp_desktop::protocol::Reply::$variant($value) => Ok($out),
            other => Err($crate::commands::unexpected(&other)),
        }
    };
    ($result:expr, $variant:ident) => {
        match $result? {
            voicelamp_desktop::protocol::Reply::$variant => Ok(()),
            other => Err($crate::commands::unexpected(&other)),
        }
    };
}
pub(crate) use expect_reply;
