//! Connection management: resolving an account's server, binding the UDP sockets and
//! opening TCP/TLS connections (shared by accounts with the same server), what the socket tasks
//! report, and the path of each account going up or down (with jittered backoff).
//!
//! A server that is away (TCP connect refused or timed out, UDP probes answered by "port
//! unreachable") is probed at [`NetConfig::probe_interval`](crate::NetConfig) instead of the
//! growing backoff: a connect attempt or a 4-byte datagram, never a SIP request, and UDP
//! requests to it are not sent meanwhile. When it answers, its accounts are told the server is
//! back ([`UserAgent::server_back`](voicelamp_sip::UserAgent::server_back)): they register and
//! subscribe anew at once, at most once per [`BACK_SPACING`].

use super::{Conn, Driver, Internal, NetEvent, TransportState, UdpEntry, UdpKey, UdpProbe};
use crate::config::Target;
use crate::error::NetError;
use crate::stream::{self, TlsSetup};
use crate::{resolve, tls, udp};
use rand_core::RngCore;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use voicelamp_sip::{AccountId, Flow, Input, Transport};

/// Most UDP peers whose socket is remembered.
const MAX_UDP_ROUTES: usize = 1024;
/// Shortest time between two "server back" restarts of one account: a server that flaps
/// gets at most two rounds of REGISTER and SUBSCRIBE a minute from it.
pub(crate) const BACK_SPACING: Duration = Duration::from_secs(30);

impl Driver {
    /// Resolves the account's server (in a task); the answer arrives as `Internal::Resolved`.
    pub(super) fn start_path(&mut self, id: AccountId) {
        let Some(entry) = self.accounts.get_mut(&id) else {
            return;
        };
        let Some(target) = entry.target.clone() else {
            return;
        };
        entry.retry_at = None;
        entry.attempt += 1;
        let attempt = entry.attempt;
        let internal = self.internal_tx.clone();
        let dns_server = self.config.dns_server;
        tokio::spawn(async move {
            let result = resolve::resolve(&target, dns_server).await;
            let _ = internal.send(Internal::Resolved {
                account: id,
                attempt,
                result,
            });
        });
    }

    pub(super) async fn handle_internal(&mut self, message: Internal) {
        let now = Instant::now();
        match message {
            Internal::Datagram {
                socket,
                from,
                bytes,
            } => {
                // Peers of the default socket need no route; many distinct senders to a
                // configured port (a scan, spoofing) are forgotten, not stored without bound.
                if socket.1 != 0 {
                    if self.udp_route.len() >= MAX_UDP_ROUTES && !self.udp_route.contains_key(&from)
                    {
                        self.udp_route.clear();
                    }
                    self.udp_route.insert(from, socket);
                }
                let transport = Transport::Udp;
                self.ua.handle_input(
                    now,
                    Input::Datagram {
                        from,
                        transport,
                        bytes,
                    },
                );
            }
            Internal::Received { conn, from, bytes } => {
                // A message of a connection arrived on its transport; the user agent trusts and
                // answers it by that, never by what a datagram claims.
                if let Some(transport) = self.conns.get(&conn).map(|c| c.transport) {
                    self.ua.handle_input(
                        now,
                        Input::Datagram {
                            from,
                            transport,
                            bytes,
                        },
                    );
                }
            }
            Internal::Connected { conn, local } => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                c.local = Some(local);
                let flow = Flow {
                    transport: c.transport,
                    local,
                    remote: c.remote,
                };
                for id in c.accounts.clone() {
                    self.path_ready(now, id, flow);
                }
            }
            Internal::Closed { conn, why, reached } => {
                let Some(c) = self.conns.remove(&conn) else {
                    return;
                };
                self.conn_by_remote.remove(&(c.transport, c.remote));
                tracing::info!(remote = %c.remote, transport = ?c.transport, %why, "connection ended");
                for id in c.accounts {
                    if !self.fail_over(id, &why) {
                        self.path_failed(now, id, why.clone(), !reached);
                    }
                }
            }
            Internal::UdpProbe { remote, refused } => self.udp_probed(now, remote, refused),
            Internal::Resolved {
                account,
                attempt,
                result,
            } => {
                let Some(entry) = self.accounts.get(&account) else {
                    return;
                };
                if entry.attempt != attempt {
                    return;
                }
                let Some(target) = entry.target.clone() else {
                    return;
                };
                match result {
                    Err(why) => self.path_failed(now, account, why, false),
                    Ok(addrs) => self.use_addresses(now, account, &target, &addrs).await,
                }
            }
            Internal::Sleep(going) => {
                self.life
                    .sleep_signal(now, std::time::SystemTime::now(), going);
                self.life_actions(now);
            }
            Internal::NetworkChanged { default_route } => {
                self.life.network_event(now, default_route);
            }
            Internal::CallMedia { .. }
            | Internal::CallOfferAnswer { .. }
            | Internal::CallUpdateOffer { .. }
            | Internal::CallDtmfInfo { .. }
            | Internal::CallHangUp { .. }
            | Internal::CallTaskDone { .. } => self.handle_call_internal(message),
            Internal::OsWatching(what) => {
                if !self.os_watchers.contains(&what) {
                    self.os_watchers.push(what);
                }
            }
        }
    }

    async fn use_addresses(
        &mut self,
        now: Instant,
        id: AccountId,
        target: &Target,
        addrs: &[SocketAddr],
    ) {
        // The address in turn, else the next one that our host can reach (IPv6 only when it
        // has IPv6).
        let start = match self.accounts.get_mut(&id) {
            Some(entry) => {
                entry.addr_count = addrs.len();
                entry.addr_index % addrs.len().max(1)
            }
            None => return,
        };
        let Some((remote, local_ip)) = addrs[start..]
            .iter()
            .chain(&addrs[..start])
            .find_map(|a| udp::local_ip_towards(*a).map(|ip| (*a, ip)))
        else {
            if let Some(entry) = self.accounts.get_mut(&id) {
                entry.no_route = true;
            }
            let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            self.path_failed(now, id, format!("no route to {}", list.join(", ")), false);
            return;
        };
        match target.transport {
            Transport::Udp => {
                let port = self.accounts.get(&id).map_or(0, |a| a.spec.local_port);
                let key = (remote.is_ipv6(), port);
                match self.udp_socket(key) {
                    Ok(socket) => {
                        let local_port = socket.local_addr().map(|a| a.port()).unwrap_or(port);
                        self.udp_route.insert(remote, key);
                        let flow = Flow {
                            transport: Transport::Udp,
                            local: SocketAddr::new(local_ip, local_port),
                            remote,
                        };
                        self.ensure_udp_probe(remote);
                        if self.udp_probes.get(&remote).is_some_and(|p| p.refused) {
                            if let Some(entry) = self.accounts.get_mut(&id) {
                                entry.flow = Some(flow);
                            }
                            self.udp_down(id, remote);
                        } else {
                            self.path_ready(now, id, flow);
                        }
                    }
                    Err(e) => self.path_failed(now, id, e.to_string(), false),
                }
            }
            Transport::Tcp | Transport::Tls => {
                if let Some(conn) = self
                    .conn_by_remote
                    .get(&(target.transport, remote))
                    .copied()
                    && let Some(c) = self.conns.get_mut(&conn)
                {
                    if !c.accounts.contains(&id) {
                        c.accounts.push(id);
                    }
                    if let Some(entry) = self.accounts.get_mut(&id) {
                        entry.conn = Some(conn);
                    }
                    if let Some(local) = c.local {
                        let flow = Flow {
                            transport: c.transport,
                            local,
                            remote,
                        };
                        self.path_ready(now, id, flow);
                    }
                    return;
                }
                let tls = if target.transport == Transport::Tls {
                    let Some(entry) = self.accounts.get(&id) else {
                        return;
                    };
                    let host = target.host.trim_start_matches('[').trim_end_matches(']');
                    match tls::connector(&entry.spec.tls, &entry.spec.aor)
                        .and_then(|c| Ok((c, tls::server_name(host)?)))
                    {
                        Ok((connector, name)) => Some(TlsSetup { connector, name }),
                        Err(e) => {
                            self.path_failed(now, id, e.to_string(), false);
                            return;
                        }
                    }
                } else {
                    None
                };
                let conn = self.next_conn;
                self.next_conn += 1;
                let (tx, rx) = mpsc::unbounded_channel();
                let local_port = self.accounts.get(&id).map_or(0, |a| a.spec.local_port);
                tokio::spawn(stream::run(
                    conn,
                    remote,
                    local_port,
                    tls,
                    self.config.connect_timeout,
                    self.internal_tx.clone(),
                    rx,
                ));
                self.conns.insert(
                    conn,
                    Conn {
                        transport: target.transport,
                        remote,
                        local: None,
                        tx,
                        accounts: vec![id],
                    },
                );
                self.conn_by_remote.insert((target.transport, remote), conn);
                if let Some(entry) = self.accounts.get_mut(&id) {
                    entry.conn = Some(conn);
                }
            }
        }
    }

    pub(super) fn udp_socket(&mut self, key: UdpKey) -> Result<Arc<UdpSocket>, NetError> {
        if let Some(entry) = self.udp.get(&key) {
            return Ok(entry.socket.clone());
        }
        let (v6, port) = key;
        let bind = if v6 {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port)
        } else {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)
        };
        let socket = Arc::new(udp::bind(bind)?);
        tracing::info!(local = ?socket.local_addr().ok(), "UDP socket bound");
        let reader = tokio::spawn(udp::read_loop(
            socket.clone(),
            key,
            self.udp_tx.clone(),
            self.udp_dropped.clone(),
        ));
        self.udp.insert(
            key,
            UdpEntry {
                socket: socket.clone(),
                reader,
            },
        );
        Ok(socket)
    }

    /// Starts probing a UDP server, unless that runs already.
    fn ensure_udp_probe(&mut self, remote: SocketAddr) {
        if self.udp_probes.contains_key(&remote) {
            return;
        }
        let task = tokio::spawn(udp::probe(
            remote,
            self.config.probe_interval,
            self.internal_tx.clone(),
        ));
        self.udp_probes.insert(
            remote,
            UdpProbe {
                task,
                refused: false,
            },
        );
    }

    /// A UDP probe's answer: on "port unreachable" the accounts using that server go down
    /// (nothing is sent to it meanwhile); on the first probe after that without it they are up
    /// again and told that the server is back.
    fn udp_probed(&mut self, now: Instant, remote: SocketAddr, refused: bool) {
        let Some(probe) = self.udp_probes.get_mut(&remote) else {
            return;
        };
        if probe.refused == refused {
            return;
        }
        probe.refused = refused;
        let ids: Vec<AccountId> = self
            .accounts
            .iter()
            .filter(|(_, a)| {
                a.flow
                    .is_some_and(|f| f.transport == Transport::Udp && f.remote == remote)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if refused {
                if !self.fail_over(id, &format!("{remote} refuses SIP over UDP")) {
                    self.udp_down(id, remote);
                }
            } else if let Some(flow) = self.accounts.get(&id).and_then(|a| a.flow)
                && self.accounts.get(&id).is_some_and(|a| a.retry_at.is_none())
            {
                self.path_ready(now, id, flow);
            }
        }
    }

    /// RFC 3263 §4.3: the address in use failed (no connection, "port unreachable", no answer,
    /// 503); when the server's name has addresses not yet tried since the last registration,
    /// move to the next one (in turn, wrapping around) at once and return `true`. Once every
    /// address failed, `false`: the caller backs off (or probes) as for a single address, and
    /// the rotation goes on after that wait.
    pub(super) fn fail_over(&mut self, id: AccountId, why: &str) -> bool {
        let Some(entry) = self.accounts.get_mut(&id) else {
            return false;
        };
        if entry.addr_failures + 1 >= entry.addr_count {
            entry.addr_failures = 0;
            return false;
        }
        entry.addr_failures += 1;
        entry.addr_index += 1;
        entry.down = true;
        if let Some(conn) = entry.conn.take()
            && let Some(c) = self.conns.get_mut(&conn)
        {
            c.accounts.retain(|a| *a != id);
        }
        tracing::warn!(account = id.0, %why, "trying the next address of the server");
        self.report_transport(
            id,
            TransportState::Down {
                why: format!("{why}; trying the next address of the server"),
                retry_in: Duration::ZERO,
            },
        );
        self.start_path(id);
        true
    }

    fn udp_down(&mut self, id: AccountId, remote: SocketAddr) {
        let retry_in = self.config.probe_interval;
        let Some(entry) = self.accounts.get_mut(&id) else {
            return;
        };
        entry.down = true;
        let why = format!(
            "{remote} refuses SIP over UDP: nothing listens on its port (the server is down or \
             restarting); it is probed every {} s",
            retry_in.as_secs().max(1)
        );
        tracing::warn!(account = id.0, %why, "path down");
        self.report_transport(id, TransportState::Down { why, retry_in });
    }

    fn path_ready(&mut self, now: Instant, id: AccountId, flow: Flow) {
        let Some(entry) = self.accounts.get_mut(&id) else {
            return;
        };
        entry.retry_at = None;
        entry.last_remote = Some(flow.remote);
        entry.last_local = Some(flow.local.ip());
        if std::mem::take(&mut entry.no_route) {
            // Back by its reconnect after the network was gone: a re-flow like any other.
            self.life.note_reflow(now, id);
        }
        entry.flow = Some(flow);
        let was_down = std::mem::take(&mut entry.down);
        let spaced = entry
            .back_at
            .is_none_or(|t| now.saturating_duration_since(t) >= BACK_SPACING);
        match entry.ua {
            Some(ua_id) if was_down && spaced => {
                entry.back_at = Some(now);
                tracing::info!(
                    account = id.0,
                    "server back: registering and subscribing anew"
                );
                self.ua.server_back(now, ua_id, flow);
            }
            Some(ua_id) => self.ua.set_flow(now, ua_id, flow),
            None => match self.ua.add_account(now, entry.spec.to_account_config(flow)) {
                Some(ua_id) => {
                    entry.ua = Some(ua_id);
                    if self.ua_to_id.len() <= ua_id.0 {
                        self.ua_to_id.resize(ua_id.0 + 1, AccountId(usize::MAX));
                    }
                    self.ua_to_id[ua_id.0] = id;
                }
                None => {
                    entry.retry_at = None;
                    self.report_transport(
                        id,
                        TransportState::Down {
                            why: "too many accounts".into(),
                            retry_in: Duration::MAX,
                        },
                    );
                    return;
                }
            },
        }
        tracing::info!(account = id.0, transport = ?flow.transport, local = %flow.local, remote = %flow.remote, "path up");
        self.report_transport(
            id,
            TransportState::Up {
                transport: flow.transport,
                local: flow.local,
                remote: flow.remote,
            },
        );
    }

    /// The path failed: try again after the jittered, doubling backoff, or, when the server
    /// did not answer at all (`probe`: TCP connect refused or timed out), at the probe interval
    /// (±25 %) without growing the backoff: that attempt is a cheap connect, not SIP.
    pub(super) fn path_failed(&mut self, now: Instant, id: AccountId, why: String, probe: bool) {
        let base = self.config.reconnect_base;
        let max = self.config.reconnect_max;
        let interval = self.config.probe_interval;
        let jitter = f64::from(self.rng.next_u32()) / f64::from(u32::MAX);
        let Some(entry) = self.accounts.get_mut(&id) else {
            return;
        };
        entry.conn = None;
        entry.down = true;
        let wait = if probe {
            interval.mul_f64(0.75 + jitter / 2.0)
        } else {
            let ceiling = base.saturating_mul(1u32 << entry.failures.min(16)).min(max);
            entry.failures = entry.failures.saturating_add(1);
            // Between half and all of the ceiling, so that many clients spread out.
            ceiling / 2 + ceiling.mul_f64(jitter / 2.0)
        };
        entry.retry_at = Some(now + wait);
        tracing::warn!(account = id.0, %why, retry_in = ?wait, "path down");
        self.report_transport(
            id,
            TransportState::Down {
                why,
                retry_in: wait,
            },
        );
    }

    pub(super) fn report_transport(&mut self, id: AccountId, state: TransportState) {
        if let Some(entry) = self.accounts.get_mut(&id) {
            entry.transport = Some(state.clone());
        }
        let _ = self.events.send(NetEvent::Transport { account: id, state });
    }
}
