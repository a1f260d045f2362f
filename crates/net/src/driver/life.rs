//! What the driver does about sleep, wake and network changes (decided in `crate::life`):
//! lamps stale on sleep; on waking every path starts again at once; after a network change
//! the paths whose local address changed or went away start again over a fresh flow.

use super::{ConnId, Driver, LifeEvent, NetEvent, TransportState};
use crate::life::{FlowDecision, LifeAction, PathView};
use crate::udp;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;
use voicelamp_sip::AccountId;

impl Driver {
    /// Carries out what `life` decided.
    pub(super) fn life_actions(&mut self, now: Instant) {
        while let Some(action) = self.life.poll_action() {
            match action {
                LifeAction::Sleeping => {
                    tracing::info!("the computer is going to sleep");
                    let _ = self.events.send(NetEvent::Life(LifeEvent::Sleeping));
                }
                LifeAction::Woke(cause) => {
                    tracing::info!(?cause, "the computer woke: registering every account again");
                    self.wakes += 1;
                    let _ = self.events.send(NetEvent::Life(LifeEvent::Woke));
                    let ids: Vec<AccountId> = self
                        .accounts
                        .iter()
                        .filter(|(_, a)| a.target.is_some())
                        .map(|(id, _)| *id)
                        .collect();
                    for id in &ids {
                        self.life.note_reflow(now, *id);
                    }
                    let _ = self.reflow(&ids);
                }
                LifeAction::CheckNetwork => self.check_network(now),
            }
        }
    }

    fn check_network(&mut self, now: Instant) {
        let route_changed = self.life.take_route_changed();
        tracing::debug!(route_changed, "network check");
        let mut ids: Vec<AccountId> = self.accounts.keys().copied().collect();
        ids.sort_by_key(|id| id.0);
        let mut lost = Vec::new();
        let mut again = Vec::new();
        for id in ids {
            let Some(entry) = self.accounts.get(&id) else {
                continue;
            };
            if entry.target.is_none() {
                continue;
            }
            let path = match &entry.transport {
                Some(TransportState::Up { local, .. }) if entry.retry_at.is_none() => {
                    PathView::Up(local.ip())
                }
                Some(TransportState::Down { .. }) if entry.retry_at.is_some() => PathView::Down {
                    no_route: entry.no_route,
                    last_local: entry.last_local,
                },
                _ => PathView::Busy,
            };
            // Never up yet: any change may be the one that lets it through.
            let towards = match entry.last_remote {
                Some(remote) => udp::local_ip_towards(remote),
                None => Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            };
            match self.life.decide(now, id, path, towards, route_changed) {
                FlowDecision::Keep => {}
                FlowDecision::Lost => lost.push(id),
                FlowDecision::Reflow => again.push(id),
            }
        }
        if !lost.is_empty() {
            for id in self.close_conns_of(&lost) {
                tracing::warn!(
                    account = id.0,
                    "the network address towards the server is gone"
                );
                if let Some(entry) = self.accounts.get_mut(&id) {
                    entry.no_route = true;
                }
                self.path_failed(
                    now,
                    id,
                    "this computer has no network address that leads to the server".to_owned(),
                    false,
                );
                // Coming back by its reconnect counts like a re-flow, and waits for one.
                let allowed = self.life.next_reflow_at(now, id);
                if let Some(entry) = self.accounts.get_mut(&id) {
                    entry.retry_at = entry.retry_at.map(|t| t.max(allowed));
                }
            }
        }
        if !again.is_empty() {
            tracing::info!(
                accounts = again.len(),
                route_changed,
                "network changed: registering again over a fresh flow"
            );
            self.network_reflows += self.reflow(&again);
        }
    }

    /// Closes every connection `ids` use; returns `ids` and the other accounts of those
    /// connections.
    fn close_conns_of(&mut self, ids: &[AccountId]) -> BTreeSet<AccountId> {
        let mut all: BTreeSet<AccountId> = ids.iter().copied().collect();
        let conns: BTreeSet<ConnId> = ids
            .iter()
            .filter_map(|id| self.accounts.get(id)?.conn)
            .collect();
        for conn in conns {
            // Dropping the sender closes the connection; its late `Closed` finds nothing.
            if let Some(c) = self.conns.remove(&conn) {
                self.conn_by_remote.remove(&(c.transport, c.remote));
                all.extend(c.accounts);
            }
        }
        for id in &all {
            if let Some(entry) = self.accounts.get_mut(id) {
                entry.conn = None;
            }
        }
        all
    }

    /// Starts the paths of `ids` again at once over a fresh flow (new connections), without
    /// waiting for a backoff; the user agent registers and subscribes again once they are up.
    /// Returns how many paths started again.
    fn reflow(&mut self, ids: &[AccountId]) -> u64 {
        let mut count = 0;
        for id in self.close_conns_of(ids) {
            count += 1;
            if let Some(entry) = self.accounts.get_mut(&id) {
                entry.failures = 0;
                entry.retry_at = None;
                entry.transport = None;
                // Already counted by the caller.
                entry.no_route = false;
            }
            self.start_path(id);
        }
        count
    }
}
