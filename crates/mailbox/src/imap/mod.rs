//! The IMAP implementation of [`crate::store::VoicemailStore`]: `async-imap` on tokio with rustls
//! (IMAPS, STARTTLS, or plain for a lab), plus [`ImapStore::watch`] to follow changes with IDLE.

mod connect;
mod ops;
mod store;
mod stream;
mod tls;
mod watch;

pub use ops::MAX_AUDIO_PART_BYTES;
pub use store::ImapStore;
pub use stream::ImapStream;
pub use watch::MailboxChange;
