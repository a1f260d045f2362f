//! `voicelamp-mailbox` knows where voicemail messages are and how to play them: the `VoicemailStore`
//! trait and its IMAP implementation (list, fetch the audio part, mark heard or new, delete, move,
//! follow changes), the offline journal of marks made while a server is unreachable, and decoding of
//! voicemail audio (PCM, µ-law, A-law, MP3, GSM 06.10 "wav49") to 16-bit PCM WAV.
//!
//! It must never decide what the lamp shows or what raises a notification (that is `voicelamp-core`),
//! never fetch a whole mailbox to play one message, and never lose a change a person made.

pub mod account;
pub mod audio;
pub mod bodystructure;
pub mod error;
pub mod headers;
pub mod imap;
pub mod journal;
pub mod journaled;
pub mod listing;
pub mod message;
pub mod store;

pub use account::{ImapAccount, ImapTiming, Secret, Security};
pub use error::Error;
pub use imap::{ImapStore, MailboxChange};
pub use journal::{Change, Entry, Journal};
pub use journaled::{Applied, JournaledStore, SyncReport};
pub use message::{AudioPart, MessageId, TransferEncoding, Voicemail};
pub use store::{UnseenCounts, VoicemailStore};
