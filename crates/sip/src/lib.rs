//! `voicelamp-sip` is the SIP protocol of Voicelamp without any I/O: message parsing and building,
//! digest authentication, non-INVITE transactions, registration, RFC 6665 subscriptions to
//! `message-summary`, RFC 3842 bodies and unsolicited NOTIFY. Input arrives as bytes and the current
//! time; output leaves as datagrams to send, the next deadline and typed events.
//!
//! It must never open a socket, read a clock, spawn a task or depend on an async runtime: every
//! behaviour is deterministic given its inputs, so it is tested by stepping simulated time.

pub mod message_summary;

pub use message_summary::{
    Counts, MessageClass, MessageSummary, SummaryBody, SummaryError, Waiting,
};
pub mod auth;
pub mod backoff;
pub mod config;
pub mod ids;
pub mod message;
pub mod registration;
mod request;
pub mod subscription;
pub mod transaction;
