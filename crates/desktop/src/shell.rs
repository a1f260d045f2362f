//! What the engine needs from the desktop around it, whichever process shows it: the tray lamp,
//! the window (told of changes, or opened somewhere), implemented by the Linux tray process (a
//! StatusNotifierItem, a window process on demand) and by the single-process Tauri app.

use crate::badge::Badge;
use crate::navigation::Navigation;
use crate::protocol::HostEvent;
use crate::tray_menu::TrayMenu;

/// The desktop the engine shows itself on.
pub trait Shell: Send + Sync + 'static {
    /// Shows `badge` on the tray lamp, `tooltip` as its tooltip, and `menu` as its menu.
    fn show_tray(&self, badge: &Badge, tooltip: &str, menu: &TrayMenu);
    /// Tells an open window (none open: nothing to do).
    fn tell_window(&self, event: HostEvent);
    /// Shows the window at `navigation`, opening it when it is closed.
    fn navigate(&self, navigation: Navigation);
}
