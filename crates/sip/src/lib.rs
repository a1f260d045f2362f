//! `voicelamp-sip` is the SIP protocol of Voicelamp without any I/O: message parsing and building,
//! digest authentication, non-INVITE transactions, registration, RFC 6665 subscriptions to
//! `message-summary`, RFC 3842 bodies and unsolicited NOTIFY. Input arrives as bytes and the current
//! time; output leaves as datagrams to send, the next deadline and typed events.
//!
//! It must never open a socket, read a clock, spawn a task or depend on an async runtime: every
//! behaviour is deterministic given its inputs, so it is tested by stepping simulated time.
//!
//! # The user agent
//!
//! [`UserAgent`] is the one object a driver talks to. Its methods, like quinn-proto's
//! `Connection`, fall into four groups:
//!
//! * **Getters** — [`account_count`](UserAgent::account_count),
//!   [`registration_state`](UserAgent::registration_state),
//!   [`subscription_state`](UserAgent::subscription_state),
//!   [`subscribes_sent`](UserAgent::subscribes_sent): read-only, no side effects.
//! * **Input** — [`handle_input`](UserAgent::handle_input)`(now, Input::Datagram { from,
//!   transport, bytes })` for every datagram (or framed stream message) that arrives, with the
//!   transport it arrived on (answers go back the same way), and
//!   `handle_input(now, Input::Timeout)` when the deadline passed.
//! * **Mutators** — [`add_account`](UserAgent::add_account) (starts registering; mailbox
//!   subscriptions start once registered, or at once for a subscribe-only account:
//!   [`AccountConfig::register`] `= false`), [`set_flow`](UserAgent::set_flow) (after a
//!   reconnect: register again, then refresh every subscription),
//!   [`set_credentials`](UserAgent::set_credentials) (what failed on wrong credentials starts
//!   again), [`retry_now`](UserAgent::retry_now) (a user's "try again": no backoff wait),
//!   [`shutdown`](UserAgent::shutdown) and
//!   [`shutdown_account`](UserAgent::shutdown_account) (`Expires: 0` for subscriptions and the
//!   registration).
//! * **Output** — [`poll_transmit`](UserAgent::poll_transmit) (a [`Transmit`]: destination,
//!   transport, bytes), [`poll_event`](UserAgent::poll_event) (an [`Event`]) and
//!   [`poll_timeout`](UserAgent::poll_timeout) (the next deadline, `None` when idle).
//!
//! **Polling order.** After every input or mutator, call `poll_transmit` until it returns `None`,
//! then `poll_event` until `None`, then `poll_timeout`; wait for the earliest of that deadline,
//! a datagram or a command, and start over. Time only moves through the `now` arguments (a `now`
//! earlier than one already seen is taken as the latest one). Every random value (tags, branches, Call-IDs, cnonces, jitter) comes
//! from the `ChaCha8Rng` handed to [`UserAgent::new`], so a seed fixes every byte.
//!
//! ```
//! use rand_chacha::ChaCha8Rng;
//! use rand_core::SeedableRng;
//! use std::time::Instant;
//! use voicelamp_sip::{AccountConfig, Event, Flow, Input, Transport, UaConfig, UserAgent};
//!
//! let flow = Flow {
//!     transport: Transport::Udp,
//!     local: "192.0.2.10:5060".parse().unwrap(),
//!     remote: "203.0.113.5:5060".parse().unwrap(),
//! };
//! let account = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
//! let mut ua = UserAgent::new(UaConfig::default(), ChaCha8Rng::seed_from_u64(7));
//! let now = Instant::now(); // in a driver: the clock; in tests: simulated time
//! ua.add_account(now, account);
//!
//! // The driver's loop: drain transmits, then events, then wait for the deadline.
//! while let Some(transmit) = ua.poll_transmit() {
//!     assert!(transmit.payload.starts_with(b"REGISTER sip:example.com SIP/2.0\r\n"));
//!     // socket.send_to(&transmit.payload, transmit.destination)
//! }
//! while let Some(event) = ua.poll_event() {
//!     if let Event::Mailbox { summary, .. } = event { let _ = summary; }
//! }
//! let deadline = ua.poll_timeout().expect("timer E of the REGISTER");
//! ua.handle_input(deadline, Input::Timeout); // a retransmission is now due
//! assert!(ua.poll_transmit().is_some());
//! ```
//!
//! # Events
//!
//! [`Event::Registration`] (registered, failed with a reason and the next attempt, unregistered),
//! [`Event::Mailbox`] (a summary or [`SummaryBody::NoInformation`], the source — subscription or
//! unsolicited — and the time), [`Event::MailboxStale`] (what was known may be out of date, and
//! why), [`Event::MailboxFailed`] (a diagnosable reason such as "mailbox not configured on the
//! server" for `404` or "server sends unsolicited MWI" for Asterisk's `500`),
//! [`Event::BodyError`] and [`Event::InvalidMessage`]. No path turns missing or broken
//! information into a zero count. [`Event::Call`] carries a [`CallEvent`] of a call made with
//! [`UserAgent::start_call`] or coming in on an account whose
//! [`AccountConfig::incoming_calls`] is [`IncomingCalls::Ring`] (see [`call`]).
//!
//! # Layers
//!
//! One concept per module: [`message_summary`] (RFC 3842 bodies), [`message`] (parsing on
//! `ezk-sip-types`, building), [`auth`] (digest), [`transaction`] (RFC 3261 §17 non-INVITE,
//! client and server), [`call`] (INVITE transactions, dialogs, session timers), [`backoff`], [`registration`], [`subscription`], [`unsolicited`],
//! [`config`], [`framing`] (stream transports), [`ids`], [`keepalive`] and [`user_agent`]. The registration and subscription machines have the
//! same sans-IO shape and can be driven on their own.
//!
//! # Bounds
//!
//! Messages ≤ 65 535 bytes and 100 header lines; bodies ≤ 16 KiB, 128 lines, 16 classes, counts
//! ≤ 1 000 000; ≤ 64 accounts × 64 mailboxes; ≤ 256 server transactions; queues ≤ 4096 entries.

pub mod auth;
pub mod backoff;
pub mod call;
pub mod config;
pub mod framing;
pub mod ids;
pub mod keepalive;
pub mod message;
pub mod message_summary;
pub mod registration;
mod request;
pub mod subscription;
pub mod transaction;
pub mod unsolicited;
pub mod user_agent;

pub use call::{CallEnd, CallError, CallEvent, CallId, CallState, EndCause, Party};
pub use config::{AccountConfig, Flow, IncomingCalls, Transport, UaConfig, UnsolicitedTrust};
pub use message_summary::{
    Counts, MessageClass, MessageSummary, SummaryBody, SummaryError, Waiting,
};
pub use user_agent::{AccountId, Event, Input, RegistrationStatus, Source, Transmit, UserAgent};

/// Every error this crate reports, for callers that want one type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A datagram is not a usable SIP message.
    #[error(transparent)]
    Message(#[from] message::ParseError),
    /// A `message-summary` body cannot be read.
    #[error(transparent)]
    Summary(#[from] message_summary::SummaryError),
    /// Digest authentication cannot go on.
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
}
