//! The shutdown path: unsubscribe and unregister, wait (bounded by the configured timeout)
//! until those transactions end, then stop the socket readers and close the connections.

use super::{Driver, Internal};
use std::time::{Duration, Instant};

/// How long shutdown waits for calls that are ending.
const CALL_END_WAIT: Duration = Duration::from_millis(500);
use tokio::sync::mpsc;
use voicelamp_sip::Input;
use voicelamp_sip::registration::RegistrationState;
use voicelamp_sip::subscription::SubscriptionState;

impl Driver {
    /// Unsubscribes and unregisters, then waits (bounded) until those transactions end.
    pub(super) async fn shutdown(
        &mut self,
        internal: &mut mpsc::UnboundedReceiver<Internal>,
        udp: &mut mpsc::Receiver<Internal>,
    ) {
        let start = Instant::now();
        let deadline = start + self.config.shutdown_timeout;
        self.end_calls();
        self.ua.shutdown(start);
        self.drain().await;
        // A CANCEL's 487 (to ACK) or a BYE's answer comes within a round trip; a call stays
        // "ending" until its transactions are gone (seconds over UDP), so it is waited for
        // only this long.
        let calls_until = start + CALL_END_WAIT;
        while !self.shutdown_finished(Instant::now() < calls_until) {
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!("shutdown: the server did not answer everything in time");
                break;
            }
            let mut wake = self.ua.poll_timeout().map_or(deadline, |t| t.min(deadline));
            if now < calls_until {
                wake = wake.min(calls_until);
            }
            tokio::select! {
                Some(message) = internal.recv() => self.handle_internal(message).await,
                Some(message) = udp.recv() => self.handle_internal(message).await,
                () = tokio::time::sleep_until(wake.into()) => {
                    let now = Instant::now();
                    if self.ua.poll_timeout().is_some_and(|t| t <= now) {
                        self.ua.handle_input(now, Input::Timeout);
                    }
                }
            }
            self.drain().await;
        }
        tracing::info!(took = ?start.elapsed(), "shutdown finished");
        for entry in self.udp.values() {
            entry.reader.abort();
        }
        for probe in self.udp_probes.values() {
            probe.task.abort();
        }
        // Dropping the senders closes the connections.
        self.conns.clear();
    }

    fn shutdown_finished(&self, wait_for_calls: bool) -> bool {
        if self.ua.unsubscribes_waiting() {
            return false;
        }
        // A CANCEL or BYE still on its way (the far end's 487 to ACK, the BYE's answer).
        if wait_for_calls
            && self.ua.calls().into_iter().any(|c| {
                matches!(
                    self.ua.call_state(c),
                    Some(voicelamp_sip::call::CallState::Ending)
                )
            })
        {
            return false;
        }
        self.accounts.values().all(|entry| {
            let Some(ua_id) = entry.ua else {
                return true;
            };
            let registering = matches!(
                self.ua.registration_state(ua_id),
                Some(RegistrationState::Unregistering)
            );
            let subscribing = entry.spec.mailboxes.iter().any(|m| {
                matches!(
                    self.ua.subscription_state(ua_id, m),
                    Some(SubscriptionState::Unsubscribing)
                )
            });
            !registering && !subscribing
        })
    }
}
