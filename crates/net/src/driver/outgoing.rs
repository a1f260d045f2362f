//! What leaves the user agent: transmits go to the UDP socket or the connection of their
//! destination (requests counted per method), events go to the application with the account
//! ids it was handed.

use super::{Driver, NetEvent};
use std::net::SocketAddr;
use voicelamp_sip::registration::RegistrationFailure;
use voicelamp_sip::{AccountId, Event, RegistrationStatus, Transport};

impl Driver {
    /// Sends every transmit, then forwards every event.
    pub(super) async fn drain(&mut self) {
        while let Some(transmit) = self.ua.poll_transmit() {
            self.send(transmit.transport, transmit.destination, transmit.payload)
                .await;
        }
        let mut fail_over = Vec::new();
        while let Some(event) = self.ua.poll_event() {
            let event = self.public_ids(event);
            match &event {
                Event::Registration {
                    account,
                    state: RegistrationStatus::Registered { .. },
                    ..
                } => {
                    if let Some(entry) = self.accounts.get_mut(account) {
                        entry.failures = 0;
                        entry.addr_failures = 0;
                    }
                }
                // No answer, or 503: the next address of the server (RFC 3263 §4.3).
                Event::Registration {
                    account,
                    state: RegistrationStatus::Failed { .. },
                    reason:
                        Some(
                            RegistrationFailure::Timeout
                            | RegistrationFailure::Rejected { status: 503, .. },
                        ),
                } => fail_over.push(*account),
                Event::Call {
                    account,
                    call,
                    event,
                } => {
                    self.call_event(*account, *call, event.clone());
                    continue;
                }
                _ => {}
            }
            let _ = self.events.send(NetEvent::Sip(event));
        }
        for id in fail_over {
            self.fail_over(id, "the server did not answer, or was unavailable (503)");
        }
    }

    /// Sends one message; requests that left are counted per method. Nothing is sent to a UDP
    /// server whose probe is answered by "port unreachable", nor without a connection.
    async fn send(&mut self, transport: Transport, destination: SocketAddr, payload: Vec<u8>) {
        let method = request_method(&payload);
        let sent = match transport {
            Transport::Udp => {
                let key = self
                    .udp_route
                    .get(&destination)
                    .copied()
                    .unwrap_or((destination.is_ipv6(), 0));
                if self.udp_probes.get(&destination).is_some_and(|p| p.refused) {
                    tracing::debug!(%destination, "UDP server refuses: message not sent");
                    return;
                }
                let socket = match self.udp_socket(key) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(%destination, error = %e, "no UDP socket to send from");
                        return;
                    }
                };
                match socket.send_to(&payload, destination).await {
                    Ok(_) => true,
                    Err(e) => {
                        tracing::debug!(%destination, error = %e, "UDP send failed");
                        false
                    }
                }
            }
            Transport::Tcp | Transport::Tls => {
                let sent = self
                    .conn_by_remote
                    .get(&(transport, destination))
                    .and_then(|c| self.conns.get(c))
                    .filter(|c| c.local.is_some())
                    .is_some_and(|c| c.tx.send(payload).is_ok());
                if !sent {
                    tracing::debug!(%destination, ?transport, "no connection: message dropped");
                }
                sent
            }
        };
        if sent && let Some(method) = method {
            *self.requests_sent.entry(method).or_default() += 1;
        }
    }

    /// Rewrites the user agent's account ids to the ids handed out by `add_account`.
    fn public_ids(&self, mut event: Event) -> Event {
        let map = |id: &mut AccountId| {
            if let Some(public) = self.ua_to_id.get(id.0) {
                *id = *public;
            }
        };
        match &mut event {
            Event::Registration { account, .. }
            | Event::Bindings { account, .. }
            | Event::Mailbox { account, .. }
            | Event::MailboxStale { account, .. }
            | Event::MailboxFailed { account, .. }
            | Event::Call { account, .. } => map(account),
            Event::BodyError { account, .. } => {
                if let Some(a) = account {
                    map(a);
                }
            }
            Event::InvalidMessage { .. } => {}
        }
        event
    }
}

/// The method of a request (not of a response or a keepalive).
fn request_method(payload: &[u8]) -> Option<String> {
    let end = payload.iter().take(32).position(|b| *b == b' ')?;
    let method = std::str::from_utf8(&payload[..end]).ok()?;
    (method != "SIP/2.0" && method.bytes().all(|b| b.is_ascii_uppercase()))
        .then(|| method.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_only() {
        assert_eq!(
            request_method(b"REGISTER sip:x SIP/2.0\r\n").as_deref(),
            Some("REGISTER")
        );
        assert_eq!(request_method(b"SIP/2.0 200 OK\r\n"), None);
        assert_eq!(request_method(b"\r\n\r\n"), None);
    }
}
