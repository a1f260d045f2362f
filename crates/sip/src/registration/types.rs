//! What a registration reports: its state, its events and why it failed.

use super::Bindings;
use std::time::{Duration, Instant};

/// Why a registration failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationFailure {
    /// The server rejected fresh credentials. Not retried until [`Registration::restart`](super::Registration::restart).
    WrongCredentials,
    /// The challenge cannot be answered (algorithm, qop, missing credentials).
    AuthUnsupported(String),
    /// No final response before timer F.
    Timeout,
    /// A final error response.
    Rejected {
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
    /// `423` without a usable `Min-Expires`.
    IntervalTooBrief,
    /// A 2xx that granted no expiry for our Contact.
    NoBinding,
}

/// The registration's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    /// Not started.
    Idle,
    /// First REGISTER (or a retry) in progress.
    Registering,
    /// Registered; a refresh may be in progress.
    Registered {
        /// Granted expiry in seconds.
        expires: u32,
    },
    /// Failed; retried at `retry_at` when set.
    Failed {
        /// Why.
        reason: RegistrationFailure,
        /// Next attempt.
        retry_at: Option<Instant>,
    },
    /// Removing the binding.
    Unregistering,
    /// Unregistered after shutdown.
    Stopped,
}

/// What the registration reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationEvent {
    /// Registered or refreshed.
    Registered {
        /// Granted expiry in seconds.
        expires: u32,
        /// The Contact now bound.
        contact: String,
        /// Whether the Contact differs from the one bound before (subscriptions must follow).
        contact_changed: bool,
    },
    /// The AOR's other bindings changed (reported after [`Registered`](Self::Registered)):
    /// other devices registered beside us, or devices our REGISTER replaced.
    Bindings(Bindings),
    /// Failed.
    Failed {
        /// Why.
        reason: RegistrationFailure,
        /// When the next attempt happens, if any.
        retry_in: Option<Duration>,
    },
    /// The binding was removed after shutdown (or shutdown gave up waiting).
    Unregistered,
}
