//! The driver task: owns the [`UserAgent`], the UDP sockets and the stream connections, and is
//! the only place that reads the clock. After every input it drains the transmits, then the
//! events; then it waits for the earliest of a socket, the next deadline and a command.

use crate::call::{CallOptions, CallUpdate};
use crate::config::{AccountSpec, NetConfig, Target};
use crate::error::NetError;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use voicelamp_sip::auth::Credentials;
use voicelamp_sip::call::CallId;
use voicelamp_sip::registration::RegistrationState;
use voicelamp_sip::subscription::SubscriptionState;
use voicelamp_sip::{AccountId, Event, Flow, Input, Transport, UserAgent};

mod calls;
mod life;
mod outgoing;
mod paths;
mod shutdown;

/// What the driver reports.
#[derive(Debug, Clone, PartialEq)]
pub enum NetEvent {
    /// An event of the user agent; `account` is the id [`NetHandle::add_account`] returned.
    Sip(Event),
    /// The computer goes to sleep or woke: what every lamp shows may be old.
    Life(LifeEvent),
    /// The path to an account's server changed.
    Transport {
        /// Account.
        account: AccountId,
        /// New state.
        state: TransportState,
    },
    /// Something happened in a call.
    Call {
        /// The account (line) of the call.
        account: AccountId,
        /// The call.
        call: CallId,
        /// What happened.
        update: CallUpdate,
    },
}

/// What the computer did, for every account at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifeEvent {
    /// It is going to sleep (logind's `PrepareForSleep(true)`).
    Sleeping,
    /// It woke (logind's `PrepareForSleep(false)` or a clock jump): every account registers and
    /// subscribes again now.
    Woke,
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
    /// Requests that left per method (first transmissions and retransmissions; keepalives,
    /// and requests not sent for want of a connection or to a UDP server that refuses, not
    /// counted).
    pub requests_sent: BTreeMap<String, u64>,
    /// UDP datagrams dropped because they arrived faster than the driver handled them.
    pub datagrams_dropped: u64,
    /// Wakes handled (each re-registered every account).
    pub wakes: u64,
    /// Re-registrations over a fresh flow after a network change, all accounts together.
    pub network_reflows: u64,
    /// The OS watchers running ("logind", "netlink").
    pub os_watchers: Vec<&'static str>,
    /// Calls the driver holds (ringing, up, or ending).
    pub calls: usize,
    /// Media tasks running (each with its two sockets and its sound).
    pub call_tasks: usize,
}

enum Command {
    Add(AccountId, Box<AccountSpec>),
    Retry(AccountId),
    Credentials(AccountId, Option<Credentials>),
    Snapshot(oneshot::Sender<Snapshot>),
    Shutdown(oneshot::Sender<()>),
    Call(calls::CallCommand),
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
            Self::Call(_) => "Call",
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

    /// Calls `target` (a SIP URI, or a number or extension at the account's domain, or a
    /// `tel:` URI) on `account`, its sound through `options.audio`. Events about the call come
    /// as [`NetEvent::Call`] with the returned id; the last one is [`CallUpdate::Ended`].
    pub async fn start_call(
        &self,
        account: AccountId,
        target: &str,
        options: CallOptions,
    ) -> Result<CallId, NetError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Call(calls::CallCommand::Start {
            account,
            target: target.to_owned(),
            options,
            reply,
        }))?;
        rx.await.map_err(|_| NetError::Stopped)?
    }

    /// Answers the ringing incoming `call` ([`CallUpdate::Incoming`]).
    pub async fn answer(&self, call: CallId, options: CallOptions) -> Result<(), NetError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Call(calls::CallCommand::Answer {
            call,
            options,
            reply,
        }))?;
        rx.await.map_err(|_| NetError::Stopped)?
    }

    /// Declines the ringing incoming `call` (486: the line's other phones may still take it).
    pub fn decline(&self, call: CallId) -> Result<(), NetError> {
        self.send(Command::Call(calls::CallCommand::Decline(call)))
    }

    /// Hangs up (cancels a call not answered yet).
    pub fn hang_up(&self, call: CallId) -> Result<(), NetError> {
        self.send(Command::Call(calls::CallCommand::HangUp(call)))
    }

    /// Sends a key as DTMF: RFC 4733 in the media, or SIP INFO when the far end offered no
    /// telephone-event.
    pub fn send_dtmf(&self, call: CallId, digit: char) -> Result<(), NetError> {
        self.send(Command::Call(calls::CallCommand::Dtmf(call, digit)))
    }

    /// Mutes or unmutes our microphone.
    pub fn set_mute(&self, call: CallId, on: bool) -> Result<(), NetError> {
        self.send(Command::Call(calls::CallCommand::Mute(call, on)))
    }

    /// Holds the call (no sound either way, the far end told by re-INVITE) or takes it back.
    pub fn set_hold(&self, call: CallId, on: bool) -> Result<(), NetError> {
        self.send(Command::Call(calls::CallCommand::Hold(call, on)))
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
    let life_config = config.life.clone();
    let (commands_tx, commands_rx) = mpsc::unbounded_channel();
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (internal_tx, internal_rx) = mpsc::unbounded_channel();
    let (udp_tx, udp_rx) = mpsc::channel(crate::udp::MAX_QUEUED_DATAGRAMS);
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
        udp_probes: HashMap::new(),
        next_conn: 0,
        requests_sent: BTreeMap::new(),
        internal_tx,
        udp_tx,
        udp_dropped: Arc::new(AtomicU64::new(0)),
        events: events_tx,
        life: crate::life::Life::new(life_config.clone()),
        wakes: 0,
        network_reflows: 0,
        os_watchers: Vec::new(),
        calls: HashMap::new(),
    };
    if life_config.watch_os {
        crate::os::spawn_watchers(&driver.internal_tx);
    }
    let task = tokio::spawn(driver.run(commands_rx, internal_rx, udp_rx));
    Net {
        handle: NetHandle {
            commands: commands_tx,
            next_id: Arc::new(AtomicUsize::new(0)),
        },
        events: events_rx,
        task,
    }
}

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
    /// A stream ended (or never connected); `reached`: the server's TCP port answered (a
    /// failure after that backs off, one before is probed again at the probe interval).
    Closed {
        conn: ConnId,
        why: String,
        reached: bool,
    },
    /// What a UDP probe of a server saw: `refused` when "port unreachable" came back.
    UdpProbe { remote: SocketAddr, refused: bool },
    /// A name resolved (or not).
    Resolved {
        account: AccountId,
        attempt: u64,
        result: Result<Vec<SocketAddr>, String>,
    },
    /// logind: going to sleep (`true`) or woke (`false`).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    Sleep(bool),
    /// Addresses or routes changed.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    NetworkChanged { default_route: bool },
    /// An OS watcher is running.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    OsWatching(&'static str),
    /// A call's media task reports.
    CallMedia { call: CallId, update: CallUpdate },
    /// A media task's answer to the far end's new offer (or why there is none).
    CallOfferAnswer {
        call: CallId,
        answer: Result<Vec<u8>, String>,
    },
    /// Our new offer (hold, resume) for a re-INVITE.
    CallUpdateOffer { call: CallId, offer: Vec<u8> },
    /// A key must go by SIP INFO.
    CallDtmfInfo { call: CallId, digit: char },
    /// The media cannot go on: hang up.
    CallHangUp { call: CallId },
    /// A media task ended (its sockets and sound are gone).
    CallTaskDone { call: CallId },
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
    /// The server address of its last path (to ask the routing table about after a change).
    last_remote: Option<SocketAddr>,
    /// Our address on its last path.
    last_local: Option<std::net::IpAddr>,
    /// Its path is down because no address led to the server.
    no_route: bool,
    /// The path in use (the one restored when a UDP server answers again).
    flow: Option<Flow>,
    /// The path was lost since it was last up: when it is up again, the server is taken as
    /// restarted (see [`UserAgent::server_back`]).
    down: bool,
    /// When the user agent was last told that the server came back.
    back_at: Option<Instant>,
    /// How many addresses the server's name resolved to, best first (RFC 3263 order).
    addr_count: usize,
    /// Which of them is used (counted from the best).
    addr_index: usize,
    /// Addresses that failed since the account last registered: once all have, the account
    /// waits (backoff or probe) and starts again from the best.
    addr_failures: usize,
}

/// The probe of one UDP server.
struct UdpProbe {
    task: JoinHandle<()>,
    /// The last probe was answered by "port unreachable".
    refused: bool,
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
    /// One probe per UDP server in use.
    udp_probes: HashMap<SocketAddr, UdpProbe>,
    next_conn: ConnId,
    requests_sent: BTreeMap<String, u64>,
    internal_tx: mpsc::UnboundedSender<Internal>,
    /// Datagrams of the UDP readers: bounded, a reader drops (and counts) what does not fit.
    udp_tx: mpsc::Sender<Internal>,
    udp_dropped: Arc<AtomicU64>,
    events: mpsc::UnboundedSender<NetEvent>,
    life: crate::life::Life,
    wakes: u64,
    network_reflows: u64,
    os_watchers: Vec<&'static str>,
    calls: HashMap<CallId, calls::CallEntry>,
}

impl Driver {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut internal: mpsc::UnboundedReceiver<Internal>,
        mut udp: mpsc::Receiver<Internal>,
    ) {
        self.life
            .start(Instant::now(), std::time::SystemTime::now());
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
                Some(message) = udp.recv() => self.handle_internal(message).await,
                () = sleep => self.handle_timeout(),
            }
            self.drain().await;
        };
        self.shutdown(&mut internal, &mut udp).await;
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let reconnect = self.accounts.values().filter_map(|a| a.retry_at).min();
        [self.ua.poll_timeout(), reconnect, self.life.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
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
                    last_remote: None,
                    last_local: None,
                    no_route: false,
                    flow: None,
                    down: false,
                    back_at: None,
                    addr_count: 0,
                    addr_index: 0,
                    addr_failures: 0,
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
            Command::Call(command) => self.handle_call_command(command),
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
            datagrams_dropped: self.udp_dropped.load(Ordering::Relaxed),
            wakes: self.wakes,
            network_reflows: self.network_reflows,
            os_watchers: self.os_watchers.clone(),
            calls: self.calls.len(),
            call_tasks: self.call_tasks(),
        }
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
        self.life.handle_timeout(now, std::time::SystemTime::now());
        self.life_actions(now);
    }
}
