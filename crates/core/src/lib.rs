//! `voicelamp-core` is the engine every front end shares: the configuration of accounts and monitored
//! mailboxes, password sources behind the `SecretStore` trait, the lamp model
//! (`Unknown | Active | Stale | Failed` per mailbox), the notification policy and the one stream of
//! typed events that the tray, notifications, UI and CLI subscribe to.
//!
//! It must never draw anything or talk to a window system, never write a secret to a file or a log,
//! and never report a mailbox as empty because nothing was heard from it.
//!
//! # Modules
//!
//! * [`config`] — the TOML file (`docs/config.md`): [`Config::load`], [`Config::to_toml`], errors
//!   as `path:line:column: field: message`.
//! * [`secrets`] — [`Secret`] (prints `***`), the [`SecretStore`] trait, [`resolve_password`]
//!   (environment variable, owner-only file, OS keyring via `keyring-core` behind the default
//!   `keyring` feature).
//! * [`engine_config`] — [`SipAccount::from_config`]: registrar, next hop, transport, ports, auth
//!   user and mailboxes to subscribe, for the net driver.
//! * [`lamp`] — [`LampModel`]: `Unknown | Active | Stale | Failed` per mailbox, fed with
//!   `voicelamp_sip::Event`s and a wall-clock `now`; totals for the tray badge.
//! * [`event`] — [`EngineEvent`], one JSON object per line for the CLI and the UI.
//! * [`call`] — calls as shown: [`call::CallView`], [`call::CallState`], [`call::MissedCall`],
//!   and the [`call::CallCommand`]s front ends send.
//! * [`view`] — [`view::LinesView`]: what a person sees (sorted lines, totals, tooltip words).
//! * [`policy`] — [`NotificationPolicy`]: when a change becomes a notification and what it says.
//! * [`runtime`] — [`runtime::Engine`]: config → passwords → net driver → lamp model, for the app
//!   and the CLI; [`runtime::check`] diagnoses one account in words.
//! * [`voicemail`] — an account's voicemail store (IMAP) from the configuration.
//! * [`settings`] — account and notification forms for the app's Settings view.
//! * [`sip_uri`] — the part of a SIP URI that configuration needs.
//!
//! # Driving the lamp model
//!
//! ```
//! use std::time::{Instant, SystemTime};
//! use voicelamp_core::{Config, LampModel};
//! use voicelamp_sip::{AccountId, Event, Source, message_summary};
//!
//! let config = Config::from_toml_str(
//!     "[[accounts]]\nid = \"office\"\naor = \"sip:alice@pbx.example.com\"\n",
//!     "config.toml".as_ref(),
//! )?;
//! let mut model = LampModel::new(&config); // AccountId(i) is config.accounts[i]
//! let body = message_summary::parse(b"Messages-Waiting: yes\r\nVoice-Message: 2/0\r\n")?;
//! let event = Event::Mailbox {
//!     account: AccountId(0),
//!     mailbox_uri: "sip:alice@pbx.example.com".into(),
//!     summary: body,
//!     source: Source::Subscription,
//!     at: Instant::now(),
//! };
//! for change in model.apply(&event, SystemTime::now()) {
//!     println!("{}", change.to_json_line());
//! }
//! assert_eq!(model.totals().total_new, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! If the driver adds accounts to the user agent in another order than the configuration's (or
//! skips `register = false` ones), bind each returned id with [`LampModel::bind_sip_account`].
//! When the driver loses the connection to a server, [`LampModel::apply_connection_lost`] makes
//! the account's mailboxes stale until the next NOTIFY.

/// The product's name as shown to people.
pub const PRODUCT_NAME: &str = "Voicelamp";

/// The version of the engine, shared by the desktop app and the CLI.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod call;
pub mod config;
pub mod engine_config;
pub mod event;
pub mod lamp;
pub mod policy;
pub mod runtime;
pub mod secrets;
pub mod settings;
pub mod sip_uri;
pub mod view;
pub mod voicemail;

pub use call::{
    CallCommand, CallDirection, CallQuality, CallState, CallView, MissedCall, QualityRating,
};
pub use config::{
    AccountConfig, AudioConfig, Config, ConfigError, IncomingCalls, MailboxConfig, PasswordSource,
    UnsolicitedPolicy,
};
pub use engine_config::{ServerTarget, SipAccount};
pub use event::{EngineEvent, LampState, MailboxEvent, RegistrationEvent, RegistrationState};
pub use lamp::{ClassCounts, Lamp, LampModel, LampSource, MailboxCounts, Totals};
pub use policy::{
    MessageHint, Notification, NotificationId, NotificationKind, NotificationPolicy, Target,
    Urgency,
};
pub use secrets::{MemoryStore, Secret, SecretError, SecretStore, resolve_password};
