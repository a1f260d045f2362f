//! The OS's reports about sleep and the network, as thin watchers that only forward them to the
//! driver (what they mean is decided in `life`). On Linux: logind's `PrepareForSleep` on the
//! system bus and rtnetlink's address and route changes. Elsewhere nothing is watched yet; the
//! driver's clock check still notices a wake.

use crate::driver::Internal;
use tokio::sync::mpsc;

#[cfg(target_os = "linux")]
mod logind;
#[cfg(target_os = "linux")]
pub(crate) mod netlink;

/// Starts the watchers; each ends when the driver does.
pub(crate) fn spawn_watchers(internal: &mpsc::UnboundedSender<Internal>) {
    #[cfg(target_os = "linux")]
    {
        tokio::spawn(logind::watch(internal.clone()));
        tokio::spawn(netlink::watch(internal.clone()));
    }
    #[cfg(not(target_os = "linux"))]
    let _ = internal;
}
