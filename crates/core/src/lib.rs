//! `voicelamp-core` is the engine every front end shares: the configuration of accounts and monitored
//! mailboxes, password sources behind the `SecretStore` trait, the lamp model
//! (`Unknown | Active | Stale | Failed` per mailbox), the notification policy and the one stream of
//! typed events that the tray, notifications, UI and CLI subscribe to.
//!
//! It must never draw anything or talk to a window system, never write a secret to a file or a log,
//! and never report a mailbox as empty because nothing was heard from it.

/// The product's name as shown to people.
pub const PRODUCT_NAME: &str = "Voicelamp";

/// The version of the engine, shared by the desktop app and the CLI.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod config;
pub mod engine_config;
pub mod event;
pub mod lamp;
pub mod secrets;
pub mod sip_uri;

pub use config::{
    AccountConfig, Config, ConfigError, MailboxConfig, PasswordSource, UnsolicitedPolicy,
};
pub use engine_config::{ServerTarget, SipAccount};
pub use event::{EngineEvent, LampState, MailboxEvent, RegistrationEvent, RegistrationState};
pub use lamp::{ClassCounts, Lamp, LampModel, LampSource, MailboxCounts, Totals};
pub use secrets::{MemoryStore, Secret, SecretError, SecretStore, resolve_password};
