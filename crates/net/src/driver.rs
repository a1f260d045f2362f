//! The driver task: owns the [`UserAgent`], the UDP sockets and the stream connections, and is
//! the only place that reads the clock. After every input it drains the transmits, then the
//! events; then it waits for the earliest of a socket, the next deadline and a command.

use crate::config::{AccountSpec, NetConfig, Target};
use crate::error::NetError;
use crate::stream::{self, TlsSetup};
use crate::{resolve, tls, udp};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::registration::RegistrationState;
use voicelamp_sip::subscription::SubscriptionState;
use voicelamp_sip::{AccountId, Event, Flow, Input, RegistrationStatus, Transport, UserAgent};

/// What the driver reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    /// An event of the user agent; `account` is the id [`NetHandle::add_account`] returned.
    Sip(Event),
    /// The path to an account's server changed.
    Transport {
        /// Account.
        account: AccountId,
        /// New state.
        state: TransportState,
    },
}

/// The path to an account's server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportState {
    /// Resolved and, for TCP/TLS, connected.
    Up {
        /// Transport.
        transport: Transport,
        /// Our address.
        local: SocketAddr,
        /// The server's address.
        remote: SocketAddr,
    },
    /// Not usable: the name did not resolve, the connection failed or closed.
    Down {
        /// Why, in words.
        why: String,
        /// When it is tried again.
        retry_in: Duration,
    },
}

/// One account's state, for diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    /// The path to the server, `None` before the first attempt ended.
    pub transport: Option<TransportState>,
    /// Registration, `None` while the path is not up yet.
    pub registration: Option<RegistrationState>,
    /// Per mailbox: state and SUBSCRIBE requests built so far.
    pub mailboxes: Vec<(String, Option<SubscriptionState>, Option<u64>)>,
}

/// A snapshot of the driver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Per account id.
    pub accounts: BTreeMap<usize, AccountStatus>,
    /// Requests sent per method (first transmissions and retransmissions; keepalives not
    /// counted).
    pub requests_sent: BTreeMap<String, u64>,
}

enum Command {
    Add(AccountId, Box<AccountSpec>),
    Retry(AccountId),
    Credentials(AccountId, Option<Credentials>),
    Snapshot(oneshot::Sender<Snapshot>),
    Shutdown(oneshot::Sender<()>),
}

/// A handle to the driver task; cheap to clone.
#[derive(Debug, Clone)]
pub struct NetHandle {
    commands: mpsc::UnboundedSender<Command>,
    next_id: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Add(..) => "Add",
            Self::Retry(_) => "Retry",
            Self::Credentials(..) => "Credentials",
            Self::Snapshot(_) => "Snapshot",
            Self::Shutdown(_) => "Shutdown",
        })
    }
}

impl NetHandle {
    /// Starts an account; events about it carry the returned id (ids count up from 0 in the
    /// order of calls).
    pub fn add_account(&self, spec: AccountSpec) -> Result<AccountId, NetError> {
        let id = AccountId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.send(Command::Add(id, Box::new(spec)))?;
        Ok(id)
    }

    /// A user's "try again": reconnects or retries whatever waits for its backoff.
    pub fn retry_now(&self, account: AccountId) -> Result<(), NetError> {
        self.send(Command::Retry(account))
    }

    /// New credentials; what failed on the old ones starts again.
    pub fn set_credentials(
        &self,
        account: AccountId,
        credentials: Option<Credentials>,
    ) -> Result<(), NetError> {
        self.send(Command::Credentials(account, credentials))
    }

    /// The state of every account.
    pub async fn snapshot(&self) -> Result<Snapshot, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Snapshot(tx))?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// Unsubscribes and unregisters everything (bounded by
    /// [`NetConfig::shutdown_timeout`]) and stops the driver.
    pub async fn shutdown(&self) -> Result<(), NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Shutdown(tx))?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    fn send(&self, command: Command) -> Result<(), NetError> {
        self.commands.send(command).map_err(|_| NetError::Stopped)
    }
}

/// A running driver: its handle, its events and its task.
#[derive(Debug)]
pub struct Net {
    /// Commands.
    pub handle: NetHandle,
    /// Events, in order.
    pub events: mpsc::UnboundedReceiver<NetEvent>,
    /// The task; it ends after shutdown, or when every handle is dropped.
    pub task: JoinHandle<()>,
}

/// Spawns the driver on the current tokio runtime.
pub fn spawn(config: NetConfig) -> Net {
    let (commands_tx, commands_rx) = mpsc::unbounded_channel();
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (internal_tx, internal_rx) = mpsc::unbounded_channel();
    let driver = Driver {
        ua: UserAgent::new(config.ua.clone(), ChaCha8Rng::from_os_rng()),
        rng: ChaCha8Rng::from_os_rng(),
        config,
        accounts: HashMap::new(),
        ua_to_id: Vec::new(),
        udp: HashMap::new(),
        udp_route: HashMap::new(),
        conns: HashMap::new(),
        conn_by_remote: HashMap::new(),
        next_conn: 0,
        requests_sent: BTreeMap::new(),
        internal_tx,
        events: events_tx,
    };
    let task = tokio::spawn(driver.run(commands_rx, internal_rx));
    Net {
        handle: NetHandle {
            commands: commands_tx,
            next_id: Arc::new(AtomicUsize::new(0)),
        },
        events: events_rx,
        task,
    }
}

/// Most UDP peers whose socket is remembered.
const MAX_UDP_ROUTES: usize = 1024;

/// Connection handle.
pub(crate) type ConnId = u64;

/// What the socket tasks tell the driver.
#[derive(Debug)]
pub(crate) enum Internal {
    /// A UDP datagram or a framed stream message.
    Received {
        conn: ConnId,
        from: SocketAddr,
        bytes: Vec<u8>,
    },
    /// A UDP datagram.
    Datagram {
        socket: UdpKey,
        from: SocketAddr,
        bytes: Vec<u8>,
    },
    /// A stream connected.
    Connected { conn: ConnId, local: SocketAddr },
    /// A stream ended (or never connected).
    Closed { conn: ConnId, why: String },
    /// A name resolved (or not).
    Resolved {
        account: AccountId,
        attempt: u64,
        result: Result<Vec<SocketAddr>, String>,
    },
}

/// A UDP socket: address family and requested local port.
pub(crate) type UdpKey = (bool, u16);

struct UdpEntry {
    socket: Arc<UdpSocket>,
    reader: JoinHandle<()>,
}

struct Conn {
    transport: Transport,
    remote: SocketAddr,
    /// `None` while connecting.
    local: Option<SocketAddr>,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    accounts: Vec<AccountId>,
}

struct AccountEntry {
    spec: AccountSpec,
    target: Option<Target>,
    ua: Option<AccountId>,
    conn: Option<ConnId>,
    transport: Option<TransportState>,
    failures: u32,
    /// When to resolve and connect again.
    retry_at: Option<Instant>,
    /// Guards against late answers of an abandoned resolution.
    attempt: u64,
}

struct Driver {
    ua: UserAgent,
    rng: ChaCha8Rng,
    config: NetConfig,
    accounts: HashMap<AccountId, AccountEntry>,
    ua_to_id: Vec<AccountId>,
    udp: HashMap<UdpKey, UdpEntry>,
    /// Which socket answers a UDP peer.
    udp_route: HashMap<SocketAddr, UdpKey>,
    conns: HashMap<ConnId, Conn>,
    conn_by_remote: HashMap<(Transport, SocketAddr), ConnId>,
    next_conn: ConnId,
    requests_sent: BTreeMap<String, u64>,
    internal_tx: mpsc::UnboundedSender<Internal>,
    events: mpsc::UnboundedSender<NetEvent>,
}

impl Driver {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut internal: mpsc::UnboundedReceiver<Internal>,
    ) {
        let done = loop {
            let deadline = self.next_deadline();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Shutdown(done)) => break Some(done),
                    None => break None,
                    Some(command) => self.handle_command(command),
                },
                Some(message) = internal.recv() => self.handle_internal(message).await,
                () = sleep => self.handle_timeout(),
            }
            self.drain().await;
        };
        self.shutdown(&mut internal).await;
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let reconnect = self.accounts.values().filter_map(|a| a.retry_at).min();
        match (self.ua.poll_timeout(), reconnect) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn handle_command(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Add(id, spec) => {
                let target = spec.target();
                let entry = AccountEntry {
                    spec: *spec,
                    target: None,
                    ua: None,
                    conn: None,
                    transport: None,
                    failures: 0,
                    retry_at: None,
                    attempt: 0,
                };
                self.accounts.insert(id, entry);
                match target {
                    Ok(target) => {
                        if let Some(entry) = self.accounts.get_mut(&id) {
                            entry.target = Some(target);
                        }
                        self.start_path(id);
                    }
                    Err(e) => self.report_transport(
                        id,
                        TransportState::Down {
                            why: e.to_string(),
                            retry_in: Duration::MAX,
                        },
                    ),
                }
            }
            Command::Retry(id) => {
                let Some(entry) = self.accounts.get_mut(&id) else {
                    return;
                };
                if let Some(ua_id) = entry.ua
                    && entry.conn.is_none_or(|c| self.conns.contains_key(&c))
                    && entry.retry_at.is_none()
                {
                    self.ua.retry_now(now, ua_id);
                } else if entry.target.is_some() {
                    entry.retry_at = None;
                    entry.failures = 0;
                    self.start_path(id);
                }
            }
            Command::Credentials(id, credentials) => {
                let Some(entry) = self.accounts.get_mut(&id) else {
                    return;
                };
                entry.spec.credentials = credentials.clone();
                if let Some(ua_id) = entry.ua {
                    self.ua.set_credentials(now, ua_id, credentials);
                }
            }
            Command::Snapshot(reply) => {
                let _ = reply.send(self.snapshot());
            }
            Command::Shutdown(_) => {}
        }
    }

    fn snapshot(&self) -> Snapshot {
        let accounts = self
            .accounts
            .iter()
            .map(|(id, entry)| {
                let mailboxes = entry
                    .spec
                    .mailboxes
                    .iter()
                    .map(|m| {
                        let state = entry
                            .ua
                            .and_then(|u| self.ua.subscription_state(u, m).cloned());
                        let sent = entry.ua.and_then(|u| self.ua.subscribes_sent(u, m));
                        (m.clone(), state, sent)
                    })
                    .collect();
                let status = AccountStatus {
                    transport: entry.transport.clone(),
                    registration: entry
                        .ua
                        .and_then(|u| self.ua.registration_state(u).cloned()),
                    mailboxes,
                };
                (id.0, status)
            })
            .collect();
        Snapshot {
            accounts,
            requests_sent: self.requests_sent.clone(),
        }
    }

    /// Resolves the account's server (in a task); the answer arrives as `Internal::Resolved`.
    fn start_path(&mut self, id: AccountId) {
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
        tokio::spawn(async move {
            let result = resolve::resolve(&target).await;
            let _ = internal.send(Internal::Resolved {
                account: id,
                attempt,
                result,
            });
        });
    }

    async fn handle_internal(&mut self, message: Internal) {
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
                self.ua.handle_input(now, Input::Datagram { from, bytes });
            }
            Internal::Received { conn, from, bytes } => {
                if self.conns.contains_key(&conn) {
                    self.ua.handle_input(now, Input::Datagram { from, bytes });
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
            Internal::Closed { conn, why } => {
                let Some(c) = self.conns.remove(&conn) else {
                    return;
                };
                self.conn_by_remote.remove(&(c.transport, c.remote));
                tracing::info!(remote = %c.remote, transport = ?c.transport, %why, "connection ended");
                for id in c.accounts {
                    self.path_failed(now, id, why.clone());
                }
            }
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
                    Err(why) => self.path_failed(now, account, why),
                    Ok(addrs) => self.use_addresses(now, account, &target, &addrs).await,
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
        // The first address that our host can reach (IPv6 only when it has IPv6).
        let Some((remote, local_ip)) = addrs
            .iter()
            .find_map(|a| udp::local_ip_towards(*a).map(|ip| (*a, ip)))
        else {
            let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            self.path_failed(now, id, format!("no route to {}", list.join(", ")));
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
                        self.path_ready(now, id, flow);
                    }
                    Err(e) => self.path_failed(now, id, e.to_string()),
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
                    match tls::connector(&entry.spec.tls)
                        .and_then(|c| Ok((c, tls::server_name(host)?)))
                    {
                        Ok((connector, name)) => Some(TlsSetup { connector, name }),
                        Err(e) => {
                            self.path_failed(now, id, e.to_string());
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

    fn udp_socket(&mut self, key: UdpKey) -> Result<Arc<UdpSocket>, NetError> {
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
            self.internal_tx.clone(),
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

    fn path_ready(&mut self, now: Instant, id: AccountId, flow: Flow) {
        let Some(entry) = self.accounts.get_mut(&id) else {
            return;
        };
        entry.retry_at = None;
        match entry.ua {
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

    fn path_failed(&mut self, now: Instant, id: AccountId, why: String) {
        let base = self.config.reconnect_base;
        let max = self.config.reconnect_max;
        let jitter = self.rng.next_u32();
        let Some(entry) = self.accounts.get_mut(&id) else {
            return;
        };
        entry.conn = None;
        let ceiling = base.saturating_mul(1u32 << entry.failures.min(16)).min(max);
        // Between half and all of the ceiling, so that many clients spread out.
        let wait = ceiling / 2 + ceiling.mul_f64(f64::from(jitter) / f64::from(u32::MAX) / 2.0);
        entry.failures = entry.failures.saturating_add(1);
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

    fn report_transport(&mut self, id: AccountId, state: TransportState) {
        if let Some(entry) = self.accounts.get_mut(&id) {
            entry.transport = Some(state.clone());
        }
        let _ = self.events.send(NetEvent::Transport { account: id, state });
    }

    fn handle_timeout(&mut self) {
        let now = Instant::now();
        if self.ua.poll_timeout().is_some_and(|t| t <= now) {
            self.ua.handle_input(now, Input::Timeout);
        }
        let due: Vec<AccountId> = self
            .accounts
            .iter()
            .filter(|(_, a)| a.retry_at.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.start_path(id);
        }
    }

    /// Sends every transmit, then forwards every event.
    async fn drain(&mut self) {
        while let Some(transmit) = self.ua.poll_transmit() {
            self.send(transmit.transport, transmit.destination, transmit.payload)
                .await;
        }
        while let Some(event) = self.ua.poll_event() {
            let event = self.public_ids(event);
            if let Event::Registration {
                account,
                state: RegistrationStatus::Registered { .. },
                ..
            } = &event
                && let Some(entry) = self.accounts.get_mut(account)
            {
                entry.failures = 0;
            }
            let _ = self.events.send(NetEvent::Sip(event));
        }
    }

    async fn send(&mut self, transport: Transport, destination: SocketAddr, payload: Vec<u8>) {
        if let Some(method) = request_method(&payload) {
            *self.requests_sent.entry(method).or_default() += 1;
        }
        match transport {
            Transport::Udp => {
                let key = self
                    .udp_route
                    .get(&destination)
                    .copied()
                    .unwrap_or((destination.is_ipv6(), 0));
                let socket = match self.udp_socket(key) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(%destination, error = %e, "no UDP socket to send from");
                        return;
                    }
                };
                if let Err(e) = socket.send_to(&payload, destination).await {
                    tracing::debug!(%destination, error = %e, "UDP send failed");
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
            }
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
            | Event::Mailbox { account, .. }
            | Event::MailboxStale { account, .. }
            | Event::MailboxFailed { account, .. } => map(account),
            Event::BodyError { account, .. } => {
                if let Some(a) = account {
                    map(a);
                }
            }
            Event::InvalidMessage { .. } => {}
        }
        event
    }

    /// Unsubscribes and unregisters, then waits (bounded) until those transactions end.
    async fn shutdown(&mut self, internal: &mut mpsc::UnboundedReceiver<Internal>) {
        let start = Instant::now();
        let deadline = start + self.config.shutdown_timeout;
        self.ua.shutdown(start);
        self.drain().await;
        while !self.shutdown_finished() {
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!("shutdown: the server did not answer everything in time");
                break;
            }
            let wake = self.ua.poll_timeout().map_or(deadline, |t| t.min(deadline));
            tokio::select! {
                Some(message) = internal.recv() => self.handle_internal(message).await,
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
        // Dropping the senders closes the connections.
        self.conns.clear();
    }

    fn shutdown_finished(&self) -> bool {
        if self.ua.unsubscribes_waiting() {
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
