//! The mailbox browser: folders and messages of an account's voicemail store, a message's audio
//! as decoded WAV (for a Blob URL: WebKitGTK does not play media from the app's own scheme),
//! and marking heard/new and deleting (journaled when the server is away).

use tauri::State;
use voicelamp_desktop::backend::mailbox::{
    ActionOutcome, AudioChunk, AudioClip, MessageAction, MessageList, StoreInfo,
};
use voicelamp_desktop::protocol::Call;

use super::expect_reply;
use crate::HostLink;

/// The accounts that have a voicemail store.
#[tauri::command]
#[specta::specta]
pub async fn mailbox_stores(link: State<'_, HostLink>) -> Result<Vec<StoreInfo>, String> {
    expect_reply!(link.call(Call::MailboxStores).await, Stores(stores) => stores)
}

/// The messages of `folder` (INBOX when none), newest first, with every folder's name.
#[tauri::command]
#[specta::specta]
pub async fn mailbox_list(
    link: State<'_, HostLink>,
    account: String,
    folder: Option<String>,
) -> Result<MessageList, String> {
    expect_reply!(link.call(Call::MailboxList { account, folder }).await, Messages(list) => list)
}

/// A message's audio decoded to WAV: its length and chunk size, to read with `mailbox_audio_chunk`.
#[tauri::command]
#[specta::specta]
pub async fn mailbox_audio(
    link: State<'_, HostLink>,
    account: String,
    folder: String,
    id: String,
) -> Result<AudioClip, String> {
    expect_reply!(
        link.call(Call::MailboxAudio { account, folder, id }).await,
        Audio(clip) => clip
    )
}

/// Up to `len` bytes (at most a chunk) of a message's WAV from `offset`, base64.
#[tauri::command]
#[specta::specta]
pub async fn mailbox_audio_chunk(
    link: State<'_, HostLink>,
    account: String,
    folder: String,
    id: String,
    offset: f64,
    len: u32,
) -> Result<AudioChunk, String> {
    if !(offset.is_finite() && offset >= 0.0) {
        return Err("that is not a place in the audio".to_owned());
    }
    expect_reply!(
        link.call(Call::MailboxAudioChunk {
            account,
            folder,
            id,
            offset: offset as u64,
            len,
        })
        .await,
        AudioChunk(chunk) => chunk
    )
}

/// Marks a message heard or new, or deletes it (to Trash when there is one).
#[tauri::command]
#[specta::specta]
pub async fn mailbox_act(
    link: State<'_, HostLink>,
    account: String,
    folder: String,
    id: String,
    action: MessageAction,
) -> Result<ActionOutcome, String> {
    expect_reply!(
        link.call(Call::MailboxAct { account, folder, id, action }).await,
        Outcome(outcome) => outcome
    )
}
