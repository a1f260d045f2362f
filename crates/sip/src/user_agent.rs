//! The user agent: N accounts, each with a registration and M mailbox subscriptions, plus
//! server transactions for incoming NOTIFY/OPTIONS, unsolicited MWI and the keepalive
//! schedule. See the crate documentation for the API order and the polling contract.

use crate::auth::Credentials;
use crate::config::{AccountConfig, Flow, Transport, UaConfig};
use crate::ids;
use crate::keepalive::{Keepalive, KeepaliveOutcome, KeepaliveTarget};
use crate::message::{self, Message, MessageBuilder, Method, ParseError, Request, Response};
use crate::message_summary::{self, SummaryBody, SummaryError};
use crate::registration::{
    Registration, RegistrationEvent, RegistrationFailure, RegistrationState,
};
use crate::subscription::{
    StaleReason, Subscription, SubscriptionEvent, SubscriptionFailure, SubscriptionSettings,
    SubscriptionState,
};
use crate::transaction::ServerTransaction;
use crate::unsolicited::{self, Verdict};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Most server transactions kept at once; the oldest answered ones go first.
pub const MAX_SERVER_TRANSACTIONS: usize = 256;
/// Most events and transmits queued before the oldest are dropped (the driver is not polling).
pub const MAX_QUEUE: usize = 4096;
/// Most accounts.
pub const MAX_ACCOUNTS: usize = 64;
/// Most mailboxes per account.
pub const MAX_MAILBOXES: usize = 64;

/// Most SUBSCRIBE transactions in flight while new subscriptions start: further first
/// SUBSCRIBEs wait until one is answered, so that a thousand mailboxes do not reach the server
/// in one burst (a server drops what overflows its socket buffer, and every loss costs a
/// retransmission 500 ms later).
pub const MAX_STARTING_SUBSCRIPTIONS: usize = 32;

/// An account handle (index in the order of [`UserAgent::add_account`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub usize);

/// Input to the user agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A datagram (or one framed message of a stream) arrived.
    Datagram {
        /// Source address.
        from: SocketAddr,
        /// Bytes.
        bytes: Vec<u8>,
    },
    /// The deadline from [`UserAgent::poll_timeout`] passed.
    Timeout,
}

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub destination: SocketAddr,
    /// Over which transport.
    pub transport: Transport,
    /// The bytes.
    pub payload: Vec<u8>,
}

/// Where a mailbox state came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A NOTIFY of our subscription.
    Subscription,
    /// An out-of-dialog NOTIFY (Asterisk style).
    Unsolicited,
}

/// Registration state as reported in events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationStatus {
    /// Registered.
    Registered {
        /// Granted expiry in seconds.
        expires: u32,
    },
    /// Failed; `retry_in` says whether and when it is tried again.
    Failed {
        /// Next attempt.
        retry_in: Option<Duration>,
    },
    /// Unregistered after shutdown.
    Unregistered,
}

/// What the user agent reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Registration changed.
    Registration {
        /// Account.
        account: AccountId,
        /// New state.
        state: RegistrationStatus,
        /// Why it failed.
        reason: Option<RegistrationFailure>,
    },
    /// A mailbox state arrived.
    Mailbox {
        /// Account.
        account: AccountId,
        /// The subscribed mailbox URI; for unsolicited NOTIFYs the configured mailbox that the
        /// `Message-Account` names, else the account's AOR (the `Message-Account` itself stays
        /// in the summary).
        mailbox_uri: String,
        /// The summary, or [`SummaryBody::NoInformation`] (never read as zero).
        summary: SummaryBody,
        /// Where it came from.
        source: Source,
        /// When it arrived.
        at: Instant,
    },
    /// What was known about a mailbox may be out of date.
    MailboxStale {
        /// Account.
        account: AccountId,
        /// Mailbox.
        mailbox_uri: String,
        /// Why.
        why: StaleReason,
    },
    /// A mailbox subscription failed.
    MailboxFailed {
        /// Account.
        account: AccountId,
        /// Mailbox.
        mailbox_uri: String,
        /// Why.
        why: SubscriptionFailure,
        /// When it is tried again, if at all.
        retry_in: Option<Duration>,
    },
    /// A NOTIFY body could not be read.
    BodyError {
        /// Account, when known.
        account: Option<AccountId>,
        /// Mailbox, when known.
        mailbox_uri: Option<String>,
        /// Why.
        error: SummaryError,
    },
    /// A datagram that is not a SIP message (keepalives excluded).
    InvalidMessage {
        /// Source.
        from: SocketAddr,
        /// Why.
        error: ParseError,
    },
}

#[derive(Debug)]
struct Account {
    config: AccountConfig,
    registration: Registration,
    subscriptions: Vec<Subscription>,
    subscriptions_started: bool,
    refresh_subscriptions: bool,
    keepalive: Keepalive,
    /// Last re-registration caused by a keepalive (rate limit).
    keepalive_reregistered_at: Option<Instant>,
}

/// RFC 3261 §17.2.3 matching, extended by Call-ID and CSeq so that requests with an RFC 2543
/// (non-unique) branch are never taken for retransmissions of each other.
type ServerKey = (String, String, Method, String, u32);

#[derive(Debug)]
struct ServerEntry {
    key: ServerKey,
    destination: SocketAddr,
    transport: Transport,
    tx: ServerTransaction,
}

/// The sans-IO SIP user agent for message-waiting.
#[derive(Debug)]
pub struct UserAgent {
    config: UaConfig,
    rng: ChaCha8Rng,
    accounts: Vec<Account>,
    server_txs: Vec<ServerEntry>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    local_tag: String,
    /// The latest `now` seen: time never goes backwards inside.
    last_now: Option<Instant>,
}

impl UserAgent {
    /// A user agent drawing every random value from `rng` (seed it from the OS in production,
    /// from a constant in tests).
    pub fn new(config: UaConfig, mut rng: ChaCha8Rng) -> Self {
        let local_tag = ids::tag(&mut rng);
        Self {
            config,
            rng,
            accounts: Vec::new(),
            server_txs: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            local_tag,
            last_now: None,
        }
    }

    // ---- getters ----

    /// Number of accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// An account's registration state.
    pub fn registration_state(&self, account: AccountId) -> Option<&RegistrationState> {
        self.accounts.get(account.0).map(|a| a.registration.state())
    }

    /// A mailbox subscription's state.
    pub fn subscription_state(
        &self,
        account: AccountId,
        mailbox_uri: &str,
    ) -> Option<&SubscriptionState> {
        self.accounts
            .get(account.0)?
            .subscriptions
            .iter()
            .find(|s| s.mailbox() == mailbox_uri)
            .map(|s| s.state())
    }

    /// SUBSCRIBE requests built for a mailbox so far (retransmissions not counted).
    pub fn subscribes_sent(&self, account: AccountId, mailbox_uri: &str) -> Option<u64> {
        self.accounts
            .get(account.0)?
            .subscriptions
            .iter()
            .find(|s| s.mailbox() == mailbox_uri)
            .map(|s| s.subscribes_sent())
    }

    // ---- inputs ----

    /// Feeds a datagram or a timeout. Drain `poll_transmit` and `poll_event` afterwards.
    pub fn handle_input(&mut self, now: Instant, input: Input) {
        let now = self.monotonic(now);
        match input {
            Input::Datagram { from, bytes } => self.handle_datagram(now, from, &bytes),
            Input::Timeout => self.handle_timeout(now),
        }
        self.pump(now);
    }

    // ---- mutators ----

    /// Adds an account and starts registering it. Subscriptions start once it is registered
    /// (at once, without any REGISTER, when [`AccountConfig::register`] is `false`).
    /// Returns `None` past [`MAX_ACCOUNTS`].
    pub fn add_account(&mut self, now: Instant, mut config: AccountConfig) -> Option<AccountId> {
        let now = self.monotonic(now);
        if self.accounts.len() >= MAX_ACCOUNTS {
            return None;
        }
        config.mailboxes.truncate(MAX_MAILBOXES);
        let mut registration = Registration::new(
            &config,
            self.config.timers,
            self.config.backoff,
            &self.config.user_agent,
            &mut self.rng,
        );
        let keepalive = Keepalive::new(
            config.flow.transport,
            self.config.udp_keepalive_mode,
            self.keepalive_interval(config.flow.transport),
            self.config.timers,
        );
        let register = config.register;
        if register {
            registration.start(now, &mut self.rng);
        }
        let mut account = Account {
            config,
            registration,
            subscriptions: Vec::new(),
            subscriptions_started: false,
            refresh_subscriptions: false,
            keepalive,
            keepalive_reregistered_at: None,
        };
        if !register {
            // Subscribe-only: the Contact is the flow's local address.
            account.keepalive.start(now);
            let contact = account.registration.contact_uri();
            create_subscriptions(&mut account, &contact, &self.config, &mut self.rng);
        }
        self.accounts.push(account);
        self.pump(now);
        Some(AccountId(self.accounts.len() - 1))
    }

    /// Unsubscribes (`Expires: 0`) and unregisters every account.
    pub fn shutdown(&mut self, now: Instant) {
        let now = self.monotonic(now);
        for i in 0..self.accounts.len() {
            self.shutdown_account_inner(now, i);
        }
        self.pump(now);
    }

    /// Unsubscribes and unregisters one account.
    pub fn shutdown_account(&mut self, now: Instant, account: AccountId) {
        let now = self.monotonic(now);
        if account.0 < self.accounts.len() {
            self.shutdown_account_inner(now, account.0);
            self.pump(now);
        }
    }

    /// The driver reconnected the account's transport or its local address changed: register
    /// again at once through `flow`; once registered, every subscription is refreshed (and
    /// reported stale until its next NOTIFY).
    pub fn set_flow(&mut self, now: Instant, account: AccountId, flow: Flow) {
        let now = self.monotonic(now);
        let Some(a) = self.accounts.get_mut(account.0) else {
            return;
        };
        a.config.flow = flow;
        for sub in &mut a.subscriptions {
            sub.set_flow(flow);
        }
        let old_contact = a.registration.contact_uri();
        a.registration.set_flow(now, flow, &mut self.rng);
        if a.config.register {
            a.refresh_subscriptions = a.subscriptions_started;
        } else {
            // No registration to wait for: refresh now, with the Contact of the new flow.
            let contact = a.registration.contact_uri();
            for sub in &mut a.subscriptions {
                if contact == old_contact {
                    sub.refresh(now, StaleReason::FlowChanged, &mut self.rng);
                } else {
                    sub.set_contact(now, &contact, &mut self.rng);
                }
            }
        }
        self.pump(now);
    }

    /// A user asked to try again (a retry button, `voicelamp-cli check`): whatever failed or
    /// waits for its backoff in this account starts at once.
    pub fn retry_now(&mut self, now: Instant, account: AccountId) {
        let now = self.monotonic(now);
        let Some(a) = self.accounts.get_mut(account.0) else {
            return;
        };
        a.registration.retry_now(now, &mut self.rng);
        for sub in &mut a.subscriptions {
            sub.retry_now(now, &mut self.rng);
        }
        self.pump(now);
    }

    /// Replaces an account's credentials (the user fixed the password); what failed on them
    /// starts again at once.
    pub fn set_credentials(
        &mut self,
        now: Instant,
        account: AccountId,
        credentials: Option<Credentials>,
    ) {
        let now = self.monotonic(now);
        let Some(a) = self.accounts.get_mut(account.0) else {
            return;
        };
        a.config.credentials = credentials.clone();
        a.registration
            .set_credentials(now, credentials.clone(), &mut self.rng);
        for sub in &mut a.subscriptions {
            sub.set_credentials(now, credentials.clone(), &mut self.rng);
        }
        self.pump(now);
    }

    // ---- outputs ----

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let transmit = self.transmits.pop_front()?;
        if !message::is_keepalive(&transmit.payload) {
            tracing::debug!(
                to = %transmit.destination,
                "sip send\n{}",
                message::redact(&transmit.payload)
            );
        }
        Some(transmit)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call `handle_input(now, Input::Timeout)` next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let accounts = self.accounts.iter().flat_map(|a| {
            std::iter::once(a.registration.poll_timeout())
                .chain(a.subscriptions.iter().map(|s| s.poll_timeout()))
                .chain(std::iter::once(a.keepalive.poll_timeout()))
        });
        let servers = self.server_txs.iter().map(|e| e.tx.poll_timeout());
        accounts.chain(servers).flatten().min()
    }

    // ---- internals ----

    /// A driver whose clock steps back must not make deadlines fire twice or never.
    fn monotonic(&mut self, now: Instant) -> Instant {
        let now = self.last_now.map_or(now, |last| last.max(now));
        self.last_now = Some(now);
        now
    }

    fn shutdown_account_inner(&mut self, now: Instant, i: usize) {
        let account = &mut self.accounts[i];
        for sub in &mut account.subscriptions {
            sub.shutdown(now, &mut self.rng);
        }
        account.keepalive.stop();
        if account.config.register {
            account.registration.shutdown(now, &mut self.rng);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        for account in &mut self.accounts {
            if account
                .registration
                .poll_timeout()
                .is_some_and(|t| t <= now)
            {
                account.registration.handle_timeout(now, &mut self.rng);
            }
            for sub in &mut account.subscriptions {
                if sub.poll_timeout().is_some_and(|t| t <= now) {
                    sub.handle_timeout(now, &mut self.rng);
                }
            }
            if account.keepalive.poll_timeout().is_some_and(|t| t <= now) {
                let target = KeepaliveTarget {
                    aor: &account.config.aor,
                    registrar: &account.config.registrar,
                    flow: &account.config.flow,
                    user_agent: &self.config.user_agent,
                    outbound_proxy: account.config.outbound_proxy.as_deref(),
                };
                account.keepalive.handle_timeout(now, target, &mut self.rng);
            }
        }
        for entry in &mut self.server_txs {
            entry.tx.handle_timeout(now);
        }
        self.server_txs.retain(|e| !e.tx.is_terminated());
    }

    fn keepalive_interval(&self, transport: Transport) -> Option<Duration> {
        match transport {
            Transport::Udp => self.config.udp_keepalive,
            Transport::Tcp | Transport::Tls => self.config.stream_keepalive,
        }
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        if message::is_keepalive(bytes) {
            return;
        }
        tracing::debug!(%from, "sip recv\n{}", message::redact(bytes));
        match Message::parse(bytes) {
            Ok(Message::Response(response)) => self.handle_response(now, &response),
            Ok(Message::Request(request)) => self.handle_request(now, from, request),
            Err(error) => push_bounded(&mut self.events, Event::InvalidMessage { from, error }),
        }
    }

    fn handle_response(&mut self, now: Instant, response: &Response) {
        if response.head.vias.len() != 1 {
            // Not for a user agent (RFC 3261 §8.1.3.3).
            return;
        }
        for account in &mut self.accounts {
            if account.keepalive.owns(response) {
                account.keepalive.handle_response(now, response);
                return;
            }
            if account.registration.owns(response) {
                account
                    .registration
                    .handle_response(now, response, &mut self.rng);
                return;
            }
            for sub in &mut account.subscriptions {
                if sub.owns(response) {
                    sub.handle_response(now, response, &mut self.rng);
                    return;
                }
            }
        }
        // A stray response: dropped (RFC 3261 §8.1.3.3).
    }

    fn handle_request(&mut self, now: Instant, from: SocketAddr, request: Request) {
        if request.method == Method::Other("ACK".into()) {
            return;
        }
        let Some(via) = request.head.vias.first() else {
            return;
        };
        let key: ServerKey = (
            via.branch.clone().unwrap_or_default(),
            format!("{}:{}", via.host, via.port.unwrap_or(0)),
            request.method.clone(),
            request.head.call_id.clone(),
            request.head.cseq.seq,
        );
        if let Some(entry) = self.server_txs.iter_mut().find(|e| e.key == key) {
            entry.tx.handle_retransmission();
            if let Some(payload) = entry.tx.poll_transmit() {
                push_bounded(
                    &mut self.transmits,
                    Transmit {
                        destination: entry.destination,
                        transport: entry.transport,
                        payload,
                    },
                );
            }
            return;
        }
        let transport = match via.transport.to_ascii_uppercase().as_str() {
            "TCP" => Transport::Tcp,
            "TLS" => Transport::Tls,
            _ => Transport::Udp,
        };
        let (status, extra) = self.process_request(now, from, &request);
        let mut builder = MessageBuilder::response_to(
            &request,
            status,
            reason_phrase(status),
            Some(&self.local_tag),
        );
        for (name, value) in extra {
            builder = builder.header(name, value);
        }
        let mut tx = ServerTransaction::new(transport.is_reliable(), self.config.timers);
        tx.respond(now, status, builder.build());
        if let Some(payload) = tx.poll_transmit() {
            push_bounded(
                &mut self.transmits,
                Transmit {
                    destination: from,
                    transport,
                    payload,
                },
            );
        }
        if !tx.is_terminated() {
            if self.server_txs.len() >= MAX_SERVER_TRANSACTIONS {
                self.server_txs.remove(0);
            }
            self.server_txs.push(ServerEntry {
                key,
                destination: from,
                transport,
                tx,
            });
        }
    }

    /// Decides the answer to a new request.
    fn process_request(
        &mut self,
        now: Instant,
        from: SocketAddr,
        request: &Request,
    ) -> (u16, Vec<(&'static str, &'static str)>) {
        match request.method {
            Method::Options => (
                200,
                vec![
                    ("Allow", "NOTIFY, OPTIONS"),
                    ("Accept", message_summary::CONTENT_TYPE),
                ],
            ),
            Method::Notify => (self.handle_notify(now, from, request), Vec::new()),
            // Calls forked to this registration: the most neutral refusal, so that the
            // caller hears the answer of the user's phones rather than ours.
            Method::Other(ref m) if m == "INVITE" => (480, Vec::new()),
            _ => (405, vec![("Allow", "NOTIFY, OPTIONS")]),
        }
    }

    fn handle_notify(&mut self, now: Instant, from: SocketAddr, request: &Request) -> u16 {
        for (i, account) in self.accounts.iter_mut().enumerate() {
            if let Some(sub) = account
                .subscriptions
                .iter_mut()
                .find(|s| s.matches_notify(request))
            {
                let status = sub.handle_notify(now, request, &mut self.rng);
                let mailbox = sub.mailbox().to_owned();
                drain_subscription(&mut self.events, AccountId(i), &mailbox, sub, now);
                return status;
            }
        }
        // Not in any of our dialogs: unsolicited MWI, or a stale dialog.
        // A subscribe-only account has no registration: its trust setting alone decides.
        let registered: Vec<bool> = self
            .accounts
            .iter()
            .map(|a| a.registration.is_registered() || !a.config.register)
            .collect();
        let configs: Vec<&AccountConfig> = self.accounts.iter().map(|a| &a.config).collect();
        match unsolicited::judge(request, from, &configs, &registered) {
            Verdict::Reject(status) => status,
            Verdict::Accept(index) => {
                let account = AccountId(index);
                let parsed = match request.head.content_type() {
                    Some(t) if t != message_summary::CONTENT_TYPE => Err(
                        SummaryError::UnexpectedContentType(t.chars().take(64).collect()),
                    ),
                    _ => message_summary::parse(&request.body),
                };
                match parsed {
                    Ok(summary) => {
                        let mailbox_uri = unsolicited::mailbox_for(
                            &self.accounts[index].config,
                            match &summary {
                                SummaryBody::Summary(s) => s.account.as_deref(),
                                SummaryBody::NoInformation => None,
                            },
                        );
                        push_bounded(
                            &mut self.events,
                            Event::Mailbox {
                                account,
                                mailbox_uri,
                                summary,
                                source: Source::Unsolicited,
                                at: now,
                            },
                        );
                        200
                    }
                    Err(error) => {
                        push_bounded(
                            &mut self.events,
                            Event::BodyError {
                                account: Some(account),
                                mailbox_uri: None,
                                error,
                            },
                        );
                        400
                    }
                }
            }
        }
    }

    /// Moves transmits and events out of every machine and reacts to registration changes,
    /// until nothing changes.
    fn pump(&mut self, now: Instant) {
        self.start_waiting_subscriptions(now);
        for _ in 0..8 {
            let mut changed = false;
            let any_registered = self.accounts.iter().any(|a| a.registration.is_registered());
            for i in 0..self.accounts.len() {
                let account = &mut self.accounts[i];
                account.registration.set_some_flow_ok(any_registered);
                let flow = account.config.flow;
                while let Some(outcome) = account.keepalive.poll_outcome() {
                    on_keepalive_outcome(account, outcome, now, &mut self.rng);
                }
                while let Some(payload) = account.keepalive.poll_transmit() {
                    push_bounded(
                        &mut self.transmits,
                        Transmit {
                            destination: flow.remote,
                            transport: flow.transport,
                            payload,
                        },
                    );
                }
                while let Some(payload) = account.registration.poll_transmit() {
                    push_bounded(
                        &mut self.transmits,
                        Transmit {
                            destination: flow.remote,
                            transport: flow.transport,
                            payload,
                        },
                    );
                }
                while let Some(event) = account.registration.poll_event() {
                    changed = true;
                    on_registration_event(
                        &mut self.events,
                        account,
                        AccountId(i),
                        event,
                        now,
                        &self.config,
                        &mut self.rng,
                    );
                }
                for sub in &mut account.subscriptions {
                    sub.set_some_flow_ok(any_registered);
                    while let Some(payload) = sub.poll_transmit() {
                        push_bounded(
                            &mut self.transmits,
                            Transmit {
                                destination: flow.remote,
                                transport: flow.transport,
                                payload,
                            },
                        );
                    }
                    let mailbox = sub.mailbox().to_owned();
                    drain_subscription(&mut self.events, AccountId(i), &mailbox, sub, now);
                }
            }
            if !changed {
                break;
            }
            self.start_waiting_subscriptions(now);
        }
    }

    /// Starts subscriptions that were created but not started yet, while fewer than
    /// [`MAX_STARTING_SUBSCRIPTIONS`] SUBSCRIBEs wait for an answer.
    fn start_waiting_subscriptions(&mut self, now: Instant) {
        let subscriptions = || self.accounts.iter().flat_map(|a| &a.subscriptions);
        if !subscriptions().any(|s| *s.state() == SubscriptionState::Idle) {
            return;
        }
        let mut in_flight = subscriptions().filter(|s| s.in_flight()).count();
        for account in &mut self.accounts {
            for sub in &mut account.subscriptions {
                if in_flight >= MAX_STARTING_SUBSCRIPTIONS {
                    return;
                }
                if *sub.state() == SubscriptionState::Idle {
                    sub.start(now, &mut self.rng);
                    in_flight += 1;
                }
            }
        }
    }
}

fn on_registration_event(
    events: &mut VecDeque<Event>,
    account: &mut Account,
    id: AccountId,
    event: RegistrationEvent,
    now: Instant,
    config: &UaConfig,
    rng: &mut ChaCha8Rng,
) {
    match event {
        RegistrationEvent::Registered {
            expires,
            contact,
            contact_changed,
        } => {
            push_bounded(
                events,
                Event::Registration {
                    account: id,
                    state: RegistrationStatus::Registered { expires },
                    reason: None,
                },
            );
            account.keepalive.start(now);
            if !account.subscriptions_started {
                create_subscriptions(account, &contact, config, rng);
            } else if contact_changed || account.refresh_subscriptions {
                for sub in &mut account.subscriptions {
                    if contact_changed {
                        sub.set_contact(now, &contact, rng);
                    } else {
                        sub.refresh(now, StaleReason::FlowChanged, rng);
                    }
                }
            }
            account.refresh_subscriptions = false;
        }
        RegistrationEvent::Failed { reason, retry_in } => push_bounded(
            events,
            Event::Registration {
                account: id,
                state: RegistrationStatus::Failed { retry_in },
                reason: Some(reason),
            },
        ),
        RegistrationEvent::Unregistered => {
            account.keepalive.stop();
            push_bounded(
                events,
                Event::Registration {
                    account: id,
                    state: RegistrationStatus::Unregistered,
                    reason: None,
                },
            )
        }
    }
}

/// Creates one subscription per configured mailbox, with `contact` as Contact; the user agent
/// starts them a few at a time (see [`MAX_STARTING_SUBSCRIPTIONS`]).
fn create_subscriptions(
    account: &mut Account,
    contact: &str,
    config: &UaConfig,
    rng: &mut ChaCha8Rng,
) {
    account.subscriptions_started = true;
    let settings = SubscriptionSettings {
        timers: config.timers,
        backoff: config.backoff,
        user_agent: config.user_agent.clone(),
        expires: account.config.subscribe_expires,
        outbound_proxy: account.config.outbound_proxy.clone(),
    };
    for mailbox in &account.config.mailboxes {
        account.subscriptions.push(Subscription::new(
            mailbox,
            &account.config.aor,
            account.config.flow,
            account.config.credentials.clone(),
            contact,
            settings.clone(),
            rng,
        ));
    }
}

/// How long a keepalive waits before it may force another re-registration.
pub const KEEPALIVE_REREGISTER_INTERVAL: Duration = Duration::from_secs(300);

/// A keepalive answer that shows a new NAT mapping, or no answer at all, registers again at
/// once (at most every [`KEEPALIVE_REREGISTER_INTERVAL`], and only while registered: a failed
/// registration waits for its backoff).
fn on_keepalive_outcome(
    account: &mut Account,
    outcome: KeepaliveOutcome,
    now: Instant,
    rng: &mut ChaCha8Rng,
) {
    let reregister = match outcome {
        KeepaliveOutcome::Alive { observed } => {
            observed.is_some_and(|seen| seen != account.registration.contact_addr())
        }
        KeepaliveOutcome::Dead => {
            account.refresh_subscriptions = account.subscriptions_started;
            true
        }
    };
    let allowed = account.registration.is_registered()
        && account
            .keepalive_reregistered_at
            .is_none_or(|t| now.saturating_duration_since(t) >= KEEPALIVE_REREGISTER_INTERVAL);
    if reregister && allowed {
        account.keepalive_reregistered_at = Some(now);
        let flow = account.config.flow;
        account.registration.set_flow(now, flow, rng);
    }
}

fn drain_subscription(
    events: &mut VecDeque<Event>,
    account: AccountId,
    mailbox: &str,
    sub: &mut Subscription,
    now: Instant,
) {
    while let Some(event) = sub.poll_event() {
        let mailbox_uri = mailbox.to_owned();
        let out = match event {
            SubscriptionEvent::Summary(summary) => Event::Mailbox {
                account,
                mailbox_uri,
                summary,
                source: Source::Subscription,
                at: now,
            },
            SubscriptionEvent::BodyError(error) => Event::BodyError {
                account: Some(account),
                mailbox_uri: Some(mailbox_uri),
                error,
            },
            SubscriptionEvent::Stale(why) => Event::MailboxStale {
                account,
                mailbox_uri,
                why,
            },
            SubscriptionEvent::Failed { reason, retry_in } => Event::MailboxFailed {
                account,
                mailbox_uri,
                why: reason,
                retry_in,
            },
            SubscriptionEvent::Unsubscribed => continue,
        };
        push_bounded(events, out);
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.len() >= MAX_QUEUE {
        queue.pop_front();
    }
    queue.push_back(item);
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        480 => "Temporarily Unavailable",
        481 => "Subscription Does Not Exist",
        489 => "Bad Event",
        _ => "Error",
    }
}
