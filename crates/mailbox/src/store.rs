//! The `VoicemailStore` trait: what the app can do with a voicemail box, whatever serves it.

use std::future::Future;

use crate::error::Error;
use crate::message::{MessageId, Voicemail};

/// Counts for the lamp of one folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct UnseenCounts {
    /// Messages not heard yet.
    pub unseen: u32,
    /// Of those, the urgent ones (`\Flagged` or `X-Asterisk-VM-Flag: Urgent`).
    pub urgent_unseen: u32,
}

/// A voicemail box. Messages are addressed by folder and [`MessageId`] (UIDs are per folder).
///
/// Every method talks to the server; none fetches more than it needs (listing reads headers,
/// flags and structure; [`fetch_audio`](Self::fetch_audio) reads only the audio part).
///
/// The methods return `Send` futures, so the trait is used through generics
/// (`JournaledStore<ImapStore>`, `fn f(store: &impl VoicemailStore)`), not as `dyn`.
pub trait VoicemailStore: Send + Sync {
    /// The folders (IMAP mailboxes) that can hold messages.
    fn folders(&self) -> impl Future<Output = Result<Vec<String>, Error>> + Send;

    /// Every voicemail message in `folder`, in UID order (oldest first); other mail in the
    /// folder (see [`crate::filter`]) is left out.
    fn list(&self, folder: &str) -> impl Future<Output = Result<Vec<Voicemail>, Error>> + Send;

    /// The audio attachment's bytes, transfer encoding undone (e.g. a WAV file), ready for
    /// [`crate::audio::decode_to_wav`].
    fn fetch_audio(
        &self,
        folder: &str,
        id: MessageId,
    ) -> impl Future<Output = Result<Vec<u8>, Error>> + Send;

    /// Marks the message heard (`\Seen`), for every device that reads this box.
    fn mark_heard(
        &self,
        folder: &str,
        id: MessageId,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Marks the message new again (removes `\Seen`).
    fn mark_new(
        &self,
        folder: &str,
        id: MessageId,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Deletes the message: moves it to Trash when the box has one (and it is not already
    /// there), otherwise removes it for good.
    fn delete(&self, folder: &str, id: MessageId)
    -> impl Future<Output = Result<(), Error>> + Send;

    /// Moves the message to another folder.
    fn move_to(
        &self,
        folder: &str,
        id: MessageId,
        target: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Unheard and urgent unheard counts of the voicemail in `folder`, for the lamp; other mail
    /// is not counted.
    fn unseen_counts(
        &self,
        folder: &str,
    ) -> impl Future<Output = Result<UnseenCounts, Error>> + Send;
}
