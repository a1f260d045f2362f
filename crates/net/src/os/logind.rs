//! logind's `PrepareForSleep(bool)` (org.freedesktop.login1.Manager, system bus): `true` before
//! the computer sleeps, `false` after it woke. `DBUS_SYSTEM_BUS_ADDRESS` chooses the bus, as for
//! every D-Bus client. Without a system bus nothing is watched (the clock check remains).

use crate::driver::Internal;
use futures_util::StreamExt;
use tokio::sync::mpsc;

const RULE: &str = "type='signal',sender='org.freedesktop.login1',\
path='/org/freedesktop/login1',interface='org.freedesktop.login1.Manager',\
member='PrepareForSleep'";

pub(super) async fn watch(internal: mpsc::UnboundedSender<Internal>) {
    let connection = match zbus::Connection::system().await {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(error = %e, "no system bus: sleep is noticed by the clock only");
            return;
        }
    };
    let mut stream = match zbus::MessageStream::for_match_rule(RULE, &connection, Some(16)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(error = %e, "cannot watch logind: sleep is noticed by the clock only");
            return;
        }
    };
    tracing::debug!("watching logind's PrepareForSleep");
    let _ = internal.send(Internal::OsWatching("logind"));
    while let Some(message) = stream.next().await {
        let Ok(message) = message else { continue };
        match message.body().deserialize::<bool>() {
            Ok(going) => {
                tracing::info!(going, "logind: PrepareForSleep");
                if internal.send(Internal::Sleep(going)).is_err() {
                    return;
                }
            }
            Err(e) => tracing::debug!(error = %e, "PrepareForSleep without a boolean"),
        }
    }
    tracing::info!("the system bus went away: sleep is noticed by the clock only");
}
