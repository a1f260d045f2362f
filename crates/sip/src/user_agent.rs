//! The user agent: N accounts, each with a registration and M mailbox subscriptions, plus
//! server transactions for incoming NOTIFY/OPTIONS, unsolicited MWI and the keepalive
//! schedule. See the crate documentation for the API order and the polling contract.

use crate::auth::Credentials;
use crate::call::{Call, CallEvent, CallId};
use crate::config::{AccountConfig, Flow, Transport, UaConfig};
use crate::ids;
use crate::keepalive::{Keepalive, KeepaliveTarget};
use crate::message::{self, ParseError};
use crate::message_summary::{SummaryBody, SummaryError};
use crate::registration::{Bindings, Registration, RegistrationFailure, RegistrationState};
use crate::subscription::{StaleReason, Subscription, SubscriptionFailure, SubscriptionState};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

mod calls;
mod incoming;
mod pump;

use incoming::ServerEntry;
pub use pump::KEEPALIVE_REREGISTER_INTERVAL;
use pump::create_subscriptions;

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
        /// The transport it arrived on: a UDP datagram, or a message of the TCP/TLS connection
        /// to `from`. Trust in an unsolicited NOTIFY needs both to be the account's flow, and
        /// an answer goes back the same way (never where the request's `Via` points).
        transport: Transport,
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
    /// The registrar listed other devices of the account's AOR, or our REGISTER replaced some.
    Bindings {
        /// Account.
        account: AccountId,
        /// The other bindings.
        bindings: Bindings,
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
    /// Something happened in a call.
    Call {
        /// The account (line) of the call.
        account: AccountId,
        /// The call.
        call: CallId,
        /// What happened.
        event: CallEvent,
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
    /// Once registered, start every subscription anew (the server came back from an outage).
    restart_subscriptions: bool,
    keepalive: Keepalive,
    /// Last re-registration caused by a keepalive (rate limit).
    keepalive_reregistered_at: Option<Instant>,
    /// Shutting down: its subscriptions are removed a few at a time (see
    /// [`MAX_STARTING_SUBSCRIPTIONS`]) and none starts again.
    closing: bool,
}

/// The sans-IO SIP user agent for message-waiting.
#[derive(Debug)]
pub struct UserAgent {
    config: UaConfig,
    rng: ChaCha8Rng,
    accounts: Vec<Account>,
    server_txs: Vec<ServerEntry>,
    calls: Vec<Call>,
    next_call: u32,
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
            calls: Vec::new(),
            next_call: 0,
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
    /// Whether a shutdown still has subscriptions to remove that have not been asked yet (they wait
    /// for a place among the requests in flight).
    pub fn unsubscribes_waiting(&self) -> bool {
        self.accounts.iter().filter(|a| a.closing).any(|a| {
            a.subscriptions.iter().any(|s| {
                !matches!(
                    s.state(),
                    SubscriptionState::Unsubscribing | SubscriptionState::Stopped
                )
            })
        })
    }

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
            Input::Datagram {
                from,
                transport,
                bytes,
            } => self.handle_datagram(now, from, transport, &bytes),
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
            restart_subscriptions: false,
            keepalive,
            keepalive_reregistered_at: None,
            closing: false,
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

    /// Ends every call (BYE, CANCEL or 486), unsubscribes (`Expires: 0`) and unregisters every
    /// account.
    pub fn shutdown(&mut self, now: Instant) {
        let now = self.monotonic(now);
        for i in 0..self.accounts.len() {
            self.shutdown_account_inner(now, i);
        }
        self.pump(now);
    }

    /// Ends the account's calls, unsubscribes and unregisters it.
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

    /// The driver saw the account's server come back after an outage (its transport answers
    /// again) through `flow`: the server remembers nothing, so register again at once and, once
    /// registered, start every subscription anew, with every backoff the outage had grown
    /// forgotten. The driver calls this once per outage (a server that flaps is the driver's to
    /// space out), never for a server input.
    pub fn server_back(&mut self, now: Instant, account: AccountId, flow: Flow) {
        let now = self.monotonic(now);
        let Some(a) = self.accounts.get_mut(account.0) else {
            return;
        };
        if a.closing {
            return;
        }
        a.config.flow = flow;
        for sub in &mut a.subscriptions {
            sub.set_flow(flow);
        }
        a.registration.reset_backoff();
        a.registration.set_flow(now, flow, &mut self.rng);
        if a.config.register {
            a.restart_subscriptions = a.subscriptions_started;
        } else {
            let contact = a.registration.contact_uri();
            for sub in &mut a.subscriptions {
                sub.start_over(now, &contact, &mut self.rng);
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
        accounts
            .chain(servers)
            .chain(std::iter::once(self.calls_timeout()))
            .flatten()
            .min()
    }

    // ---- internals ----

    /// A driver whose clock steps back must not make deadlines fire twice or never.
    fn monotonic(&mut self, now: Instant) -> Instant {
        let now = self.last_now.map_or(now, |last| last.max(now));
        self.last_now = Some(now);
        now
    }

    /// Marks the account closing (the pump sends its un-SUBSCRIBEs a few at a time, so a burst of
    /// hundreds does not overflow the server's socket) and unregisters it.
    fn shutdown_account_inner(&mut self, now: Instant, i: usize) {
        self.hang_up_account_calls(now, i);
        let account = &mut self.accounts[i];
        account.closing = true;
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
        self.handle_calls_timeout(now);
    }

    fn keepalive_interval(&self, transport: Transport) -> Option<Duration> {
        match transport {
            Transport::Udp => self.config.udp_keepalive,
            Transport::Tcp | Transport::Tls => self.config.stream_keepalive,
        }
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.len() >= MAX_QUEUE {
        queue.pop_front();
    }
    queue.push_back(item);
}
