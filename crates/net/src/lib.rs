//! `voicelamp-net` drives the sans-IO user agent of `voicelamp-sip` on tokio: it owns the UDP, TCP and
//! TLS sockets (one task per transport, not per account), RFC 3263 DNS resolution, reconnects with
//! backoff and keepalives, and is the only place that reads the clock for SIP.
//!
//! It must never interpret SIP itself (parsing, state and policy belong to `voicelamp-sip` and
//! `voicelamp-core`), and it never disables TLS certificate verification unless an account opts out.
//!
//! # Use
//!
//! [`spawn`] starts the driver task and returns a [`Net`]: a [`NetHandle`] for commands
//! ([`add_account`](NetHandle::add_account), [`retry_now`](NetHandle::retry_now),
//! [`set_credentials`](NetHandle::set_credentials), [`snapshot`](NetHandle::snapshot),
//! [`shutdown`](NetHandle::shutdown)) and a channel of [`NetEvent`]s: the user agent's events
//! with the account ids `add_account` returned, and transport changes.
//!
//! # Structure
//!
//! One driver task owns the [`voicelamp_sip::UserAgent`]; one reader task per UDP socket
//! (per address family and configured local port) and one task per TCP/TLS connection (shared
//! by every account that uses the same server) feed it. After every input the driver drains
//! `poll_transmit`, then `poll_event`, then waits for the earliest of a socket message, the
//! user agent's deadline or a reconnect deadline, and a command. A connection that ends puts
//! its accounts on a jittered, doubling reconnect wait, or, while the server does not answer at
//! all, on a short fixed probe cadence (TCP/TLS: a connect attempt; UDP: a probe datagram that
//! sees ICMP "port unreachable"); once it answers, the user agent is told the server is back
//! (`server_back`) and registers and subscribes anew at once.
//!
//! Laptop life (`life`, sans-IO, and the OS watchers in `os`): logind's `PrepareForSleep` and a
//! clock check (the wall clock running on while the monotonic one stood still) make every lamp
//! stale ([`NetEvent::Life`]) and, on waking, re-register every account at once; a change of
//! addresses or routes (netlink), debounced, re-registers an account over a fresh flow when the
//! address towards its server changed or went away (bounded per account and minute).
//!
//! Calls (`call`): [`NetHandle::start_call`], [`NetHandle::answer`] and the other call methods
//! drive the user agent's calls; each call's media runs in a task of its own (RTP and RTCP
//! sockets on the SIP flow's address, the media session ticked every 20 ms, the sound through
//! an [`voicelamp_media::AudioPort`]) that ends with the call; [`NetEvent::Call`] reports it.
//!
//! Resolution (RFC 3263 without NAPTR, see `resolve`): an IP address as it is; a host with a
//! port by A/AAAA; a host without a port by SRV for the account's transport, falling back to
//! A/AAAA on the default port.

pub mod call;
mod config;
mod driver;
mod error;
mod life;
mod os;
mod resolve;
mod stream;
mod tls;
mod udp;

pub use call::{CallOptions, CallUpdate};
pub use config::{AccountSpec, NetConfig, Target, TlsOptions};
pub use driver::{
    AccountStatus, LifeEvent, Net, NetEvent, NetHandle, Snapshot, TransportState, spawn,
};
pub use error::NetError;
pub use life::LifeConfig;
pub use voicelamp_media;
pub use voicelamp_sip;
