//! `voicelamp-mailbox` knows where voicemail messages are and how to play them: the `VoicemailStore`
//! trait and its IMAP implementation (list, fetch the audio part, mark heard or new, delete, move,
//! follow changes), the offline journal of marks made while a server is unreachable, and decoding of
//! voicemail audio (PCM, µ-law, A-law, MP3, GSM 06.10 "wav49") to 16-bit PCM WAV.
//!
//! It must never decide what the lamp shows or what raises a notification (that is `voicelamp-core`),
//! never fetch a whole mailbox to play one message, and never lose a change a person made.
//!
//! # Map
//! - [`message`]: [`Voicemail`], [`MessageId`] (`"<uidvalidity>-<uid>"`), [`AudioPart`]; serde
//!   gives the CLI's JSON (id, folder, caller_number, caller_name, received_at, duration_s,
//!   urgent, heard, format). Built by the pure [`listing`], [`headers`] (Asterisk `X-Asterisk-VM-*`
//!   or generic voicemail-to-email, RFC 2047) and [`bodystructure`] (which part is the audio).
//!   [`filter`] tells voicemail from the other mail of a shared INBOX: only voicemail is listed
//!   and counted.
//! - [`store`]: the [`VoicemailStore`] trait: folders, list, fetch_audio, mark_heard, mark_new,
//!   delete (to Trash), move_to, unseen_counts. Messages are addressed by folder and id.
//! - [`imap`]: [`ImapStore`] for an [`ImapAccount`] (IMAPS, STARTTLS, or plain for a lab; rustls
//!   with platform roots plus an optional CA file; `insecure_skip_verify` per account), a deadline
//!   on every step, one retry on a fresh session; [`ImapStore::watch`] yields [`MailboxChange`]s
//!   from IDLE or polling, reconnecting with jittered backoff. An audio part over
//!   [`imap::MAX_AUDIO_PART_BYTES`] is refused from its BODYSTRUCTURE, before any of it is fetched.
//! - [`journal`] and [`journaled`]: [`JournaledStore`] queues changes durably while the server is
//!   unreachable and replays them in order ([`JournaledStore::sync`]); a change queued without its
//!   folder finds it at replay ([`JournaledStore::queue_unlocated`]).
//! - [`audio`]: decoding attachments to 16-bit PCM WAV; [`cache`]: [`AudioCache`], a private
//!   size-bounded disk cache of decoded messages ([`AudioCache::fetch_wav`], which decodes on the
//!   blocking threads, one message at a time).
//! - [`error`]: one [`Error`] type, worded for the person who has to act on it.
//!
//! ```no_run
//! use voicelamp_mailbox::{ImapAccount, ImapStore, JournaledStore, Security, VoicemailStore};
//! use voicelamp_mailbox::audio::decode_to_wav;
//!
//! # async fn demo() -> Result<(), voicelamp_mailbox::Error> {
//! let account = ImapAccount {
//!     host: "mail.example.org".into(),
//!     port: 993,
//!     security: Security::Tls,
//!     user: "1001".into(),
//!     password: "secret".into(),
//!     ca_file: None,
//!     insecure_skip_verify: false,
//! };
//! let store = JournaledStore::open(ImapStore::new(account)?, "journal-dir".as_ref())?;
//! for vm in store.list("INBOX").await? {
//!     if !vm.heard && vm.audio.is_some() {
//!         let wav = decode_to_wav(&store.fetch_audio(&vm.folder, vm.id).await?)?;
//!         println!("{} s from {:?}", wav.duration_ms() / 1000, vm.caller_number);
//!         store.mark_heard(&vm.folder, vm.id).await?; // queued if the server is away
//!     }
//! }
//! # Ok(())
//! # }
//! ```

pub mod account;
pub mod audio;
pub mod bodystructure;
pub mod cache;
pub mod error;
pub mod filter;
pub mod headers;
pub mod imap;
pub mod journal;
pub mod journaled;
pub mod listing;
pub mod message;
pub mod store;

pub use account::{ImapAccount, ImapTiming, Secret, Security};
pub use cache::AudioCache;
pub use error::Error;
pub use filter::VoicemailFilter;
/// The stream trait of [`ImapStore::watch`], for crates that name it without depending on `futures`.
pub use futures::Stream;
pub use imap::{ImapStore, MailboxChange};
pub use journal::{Change, Entry, Journal};
pub use journaled::{Applied, JournaledStore, SyncReport};
pub use message::{AudioPart, MessageId, TransferEncoding, Voicemail};
pub use store::{UnseenCounts, VoicemailStore};
