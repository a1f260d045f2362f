//! The mailbox browser: folders and messages of an account's voicemail store, a message's audio
//! as decoded WAV (for a Blob URL: WebKitGTK does not play media from the app's own scheme),
//! and marking heard/new and deleting (journaled when the server is away).

use crate::engine::EngineService;
use crate::mailboxes::Mailboxes;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use specta::Type;
use voicelamp_mailbox::{Applied, Change, MessageId, Voicemail};

/// Voicemail stores the window can browse.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StoreInfo {
    /// Account id.
    pub account: String,
    /// The account's name.
    pub name: String,
}

/// A folder's messages.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MessageList {
    /// Every folder of the store (INBOX first).
    pub folders: Vec<String>,
    /// The folder listed.
    pub folder: String,
    /// Its messages, newest first.
    pub messages: Vec<MessageView>,
}

/// One voicemail message.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// Id within the folder (`uidvalidity-uid`).
    pub id: String,
    /// Folder.
    pub folder: String,
    /// Caller's number.
    pub caller_number: Option<String>,
    /// Caller's name.
    pub caller_name: Option<String>,
    /// When it was left (RFC 3339).
    pub received_at: String,
    /// Length in seconds.
    pub duration_s: Option<u32>,
    /// Urgent.
    pub urgent: bool,
    /// Heard (`\Seen`).
    pub heard: bool,
    /// Audio codec, e.g. `gsm`; none when the message has no audio.
    pub format: Option<String>,
}

/// A message's audio, ready to be read in chunks ([`AudioChunk`]).
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AudioClip {
    /// `audio/wav`.
    pub mime: String,
    /// The WAV file's length in bytes.
    pub size: f64,
    /// The most bytes one chunk carries ([`AUDIO_CHUNK`](crate::protocol::AUDIO_CHUNK)).
    pub chunk: u32,
}

/// A piece of a message's WAV file.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AudioChunk {
    /// Where in the file it starts.
    pub offset: f64,
    /// The bytes, base64 (fewer than asked at the end of the file, none past it).
    pub base64: String,
}

/// A change to a message.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum MessageAction {
    MarkHeard,
    MarkNew,
    Delete,
}

/// Whether the server has it yet.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum ActionOutcome {
    /// The server confirmed it.
    Done,
    /// The server is away: kept and sent when it is back.
    Queued,
}

fn view(message: &Voicemail) -> MessageView {
    MessageView {
        id: message.id.to_string(),
        folder: message.folder.clone(),
        caller_number: message.caller_number.clone(),
        caller_name: message.caller_name.clone(),
        received_at: message
            .received_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        duration_s: message.duration_s,
        urgent: message.urgent,
        heard: message.heard,
        format: message.audio.as_ref().map(|a| a.format()),
    }
}

fn parse_id(id: &str) -> Result<MessageId, String> {
    id.parse()
        .map_err(|_| format!("{id:?} is not a message id; list the mailbox again"))
}

fn checked_folder(folder: &str) -> Result<&str, String> {
    if folder.is_empty() || folder.len() > 256 || folder.chars().any(char::is_control) {
        return Err("that is not a folder name".to_owned());
    }
    Ok(folder)
}

/// The store of `account` and a checked folder and message id in it.
async fn message(
    engine: &EngineService,
    mailboxes: &Mailboxes,
    account: &str,
    folder: &str,
    id: &str,
) -> Result<
    (
        std::sync::Arc<voicelamp_core::voicemail::Mailbox>,
        String,
        MessageId,
    ),
    String,
> {
    let id = parse_id(id)?;
    let folder = checked_folder(folder)?.to_owned();
    let mailbox = mailboxes
        .get(engine.config_path(), account)
        .await
        .map_err(|e| e.to_string())?;
    Ok((mailbox, folder, id))
}

/// The accounts that have a voicemail store.
pub fn stores(engine: &EngineService) -> Result<Vec<StoreInfo>, String> {
    let config = crate::engine::load_config(engine.config_path()).map_err(|e| e.to_string())?;
    Ok(config
        .accounts
        .iter()
        .filter(|a| a.voicemail.is_some())
        .map(|a| StoreInfo {
            account: a.id.clone(),
            name: a.name().to_owned(),
        })
        .collect())
}

/// The messages of `folder` (INBOX when none), newest first, with every folder's name.
pub async fn list(
    engine: &EngineService,
    mailboxes: &Mailboxes,
    account: &str,
    folder: Option<&str>,
) -> Result<MessageList, String> {
    let mailbox = mailboxes
        .get(engine.config_path(), account)
        .await
        .map_err(|e| e.to_string())?;
    let folders = mailbox.folders().await.map_err(|e| e.to_string())?;
    let folder = match folder {
        Some(f) => checked_folder(f)?.to_owned(),
        None => folders
            .first()
            .cloned()
            .unwrap_or_else(|| "INBOX".to_owned()),
    };
    let mut messages = mailbox
        .list(Some(&folder))
        .await
        .map_err(|e| e.to_string())?;
    messages.sort_by_key(|m| std::cmp::Reverse(m.received_at));
    Ok(MessageList {
        folders,
        folder,
        messages: messages.iter().map(view).collect(),
    })
}

/// A message's audio: decoded to WAV (and cached) first when needed, then described — its
/// length and the chunk size — for [`audio_chunk`] to serve.
pub async fn audio(
    engine: &EngineService,
    mailboxes: &Mailboxes,
    account: &str,
    folder: &str,
    id: &str,
) -> Result<AudioClip, String> {
    let (mailbox, folder, id) = message(engine, mailboxes, account, folder, id).await?;
    let started = std::time::Instant::now();
    let size = mailbox
        .wav_len(&folder, id)
        .await
        .map_err(|e| e.to_string())?;
    tracing::debug!(%id, bytes = size, ms = started.elapsed().as_millis(), "audio ready");
    Ok(AudioClip {
        mime: "audio/wav".to_owned(),
        // Exact in a JavaScript number up to 2^53 bytes.
        size: size as f64,
        chunk: crate::protocol::AUDIO_CHUNK,
    })
}

/// Up to `len` bytes (at most [`AUDIO_CHUNK`](crate::protocol::AUDIO_CHUNK)) of a message's WAV
/// from `offset`.
pub async fn audio_chunk(
    engine: &EngineService,
    mailboxes: &Mailboxes,
    account: &str,
    folder: &str,
    id: &str,
    offset: u64,
    len: u32,
) -> Result<AudioChunk, String> {
    let (mailbox, folder, id) = message(engine, mailboxes, account, folder, id).await?;
    let len = len.min(crate::protocol::AUDIO_CHUNK) as usize;
    let bytes = mailbox
        .read_wav(&folder, id, offset, len)
        .await
        .map_err(|e| e.to_string())?;
    Ok(AudioChunk {
        offset: offset as f64,
        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

/// Marks a message heard or new, or deletes it (to Trash when there is one).
pub async fn act(
    engine: &EngineService,
    mailboxes: &Mailboxes,
    account: &str,
    folder: &str,
    id: &str,
    action: MessageAction,
) -> Result<ActionOutcome, String> {
    let (mailbox, folder, id) = message(engine, mailboxes, account, folder, id).await?;
    let change = match action {
        MessageAction::MarkHeard => Change::MarkHeard,
        MessageAction::MarkNew => Change::MarkNew,
        MessageAction::Delete => Change::Delete,
    };
    match mailbox.apply(&folder, id, change).await {
        Ok(Applied::Done) => Ok(ActionOutcome::Done),
        Ok(Applied::Queued) => Ok(ActionOutcome::Queued),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_folders_are_validated() {
        assert!(parse_id("17-3").is_ok());
        assert!(parse_id("../etc").is_err());
        assert!(checked_folder("INBOX").is_ok());
        assert!(checked_folder("").is_err());
        assert!(checked_folder("a\nb").is_err());
        assert!(checked_folder(&"x".repeat(300)).is_err());
    }
}
