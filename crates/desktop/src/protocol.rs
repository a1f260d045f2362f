//! What the window may ask of the tray process and what it is told, as typed messages: the one
//! contract between the window (its Tauri commands) and the [`Backend`](crate::backend::Backend)
//! that answers them, whether both live in one process or the window talks to the tray process
//! over its local socket (JSON, one message per line).

use serde::{Deserialize, Serialize};

use crate::backend::AppInfo;
use crate::backend::mailbox::{
    ActionOutcome, AudioChunk, AudioClip, MessageAction, MessageList, StoreInfo,
};
use crate::backend::settings::{AccountChange, CheckReport, SettingsView};
use crate::calls::CallsView;
use crate::engine::EngineView;
use crate::mailboxes::MailboxUpdate;
use crate::navigation::Navigation;
use crate::sip_trace::SipExchange;
use voicelamp_core::settings::NotificationsForm;

/// A question of the window (one per UI command).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "call")]
pub enum Call {
    AppInfo,
    LinesView,
    TakeNavigation,
    SettingsGet,
    AccountSave {
        change: AccountChange,
    },
    AccountRemove {
        id: String,
    },
    AccountTest {
        change: AccountChange,
    },
    NotificationsSave {
        form: NotificationsForm,
    },
    MailboxStores,
    MailboxList {
        account: String,
        folder: Option<String>,
    },
    MailboxAudio {
        account: String,
        folder: String,
        id: String,
    },
    /// Bytes `offset..offset + len` of a message's WAV (at most [`AUDIO_CHUNK`]).
    MailboxAudioChunk {
        account: String,
        folder: String,
        id: String,
        offset: u64,
        len: u32,
    },
    MailboxAct {
        account: String,
        folder: String,
        id: String,
        action: MessageAction,
    },
    AutostartGet,
    AutostartSet {
        enabled: bool,
    },
    DiagnosticsReport,
    SipTrace,
    /// The call in progress and the missed calls.
    CallsView,
    /// Calls `target` (a number, `*97`, or a `sip:`/`tel:` address) on the account `line`.
    CallStart {
        line: String,
        target: String,
    },
    /// Calls the voicemail of the account `line`: its access code, else the voicemail address
    /// its server named.
    CallVoicemail {
        line: String,
    },
    /// Ends the call in progress (cancels it while it rings).
    CallHangUp,
    /// Answers the call that rings here.
    CallAnswer,
    /// Declines the call that rings here (busy: another device of the line may still take it).
    CallDecline,
    /// Sends a keypad key (`0`–`9`, `*`, `#`) to the far end.
    CallDtmf {
        digit: String,
    },
    /// Turns the microphone off or on.
    CallMute {
        on: bool,
    },
    /// Puts the call on hold or takes it back.
    CallHold {
        on: bool,
    },
    /// How loud the far end plays, 0–100 %.
    CallVolume {
        percent: u8,
    },
    /// Forgets the missed calls listed.
    MissedClear,
}

/// The answer to a [`Call`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "reply", content = "value")]
pub enum Reply {
    AppInfo(AppInfo),
    Lines(EngineView),
    Navigation(Option<Navigation>),
    Settings(SettingsView),
    Done,
    Check(CheckReport),
    Stores(Vec<StoreInfo>),
    Messages(MessageList),
    Audio(AudioClip),
    AudioChunk(AudioChunk),
    Outcome(ActionOutcome),
    Flag(bool),
    Text(String),
    Trace(Vec<SipExchange>),
    Calls(CallsView),
}

/// Something the window is told without asking.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "event", content = "value")]
pub enum HostEvent {
    /// Every line's state (the whole view).
    Lines(EngineView),
    /// An account's voicemail changed on the server, or its connection came or went.
    Mailbox(MailboxUpdate),
    /// Show the window there.
    Navigate(Navigation),
    /// The call in progress or the missed calls changed (the whole view).
    Call(CallsView),
    /// The person quit Voicelamp: close the window.
    Quit,
}

/// A message to the tray process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ToHost {
    /// The window process introduces itself; events follow on this connection.
    Window,
    /// Another launch of `voicelamp` hands over its arguments (show the window, open a link).
    Launch { args: Vec<String> },
    /// A question; answered by a [`FromHost::Reply`] with the same `id`.
    Call { id: u64, call: Box<Call> },
}

/// A message from the tray process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum FromHost {
    /// The answer to the call `id`: the reply, or why not in words.
    Reply {
        id: u64,
        result: Result<Reply, String>,
    },
    /// An event.
    Event { event: HostEvent },
    /// A launch was taken over.
    Launched,
}

/// The most audio bytes one message carries: a message's audio comes in pieces of this size
/// (1 MiB, about 1.4 MB of base64), however long it is — a two-hour 44.1 kHz stereo message is
/// 1.27 GB, far beyond what one message may be.
pub const AUDIO_CHUNK: u32 = 1024 * 1024;

/// The longest message accepted on the socket. Audio comes in [`AUDIO_CHUNK`]s well within it;
/// the rest (the lines of a thousand mailboxes, a settings view, the recent SIP messages) is
/// smaller still.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// One message as a line of JSON.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut line = serde_json::to_vec(message).unwrap_or_default();
    line.push(b'\n');
    line
}

/// Reads the next message; `Ok(None)` at the end of the stream.
pub async fn read<T, R>(reader: &mut R) -> std::io::Result<Option<T>>
where
    T: for<'de> Deserialize<'de>,
    R: tokio::io::AsyncBufRead + Unpin,
{
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _};
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut line)
        .await?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "a message was cut off or too long",
        ));
    }
    serde_json::from_slice(&line)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_round_trip_as_lines() {
        let mut bytes = encode(&ToHost::Call {
            id: 7,
            call: Box::new(Call::MailboxList {
                account: "desk".into(),
                folder: None,
            }),
        });
        bytes.extend(encode(&ToHost::Launch {
            args: vec!["voicelamp".into(), "tel:+15550100".into()],
        }));
        let mut reader = tokio::io::BufReader::new(&bytes[..]);
        match read::<ToHost, _>(&mut reader).await.expect("read") {
            Some(ToHost::Call { id: 7, call }) => match *call {
                Call::MailboxList {
                    account,
                    folder: None,
                } => assert_eq!(account, "desk"),
                other => panic!("unexpected {other:?}"),
            },
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            read::<ToHost, _>(&mut reader).await.expect("read"),
            Some(ToHost::Launch { args }) if args.len() == 2
        ));
        assert!(read::<ToHost, _>(&mut reader).await.expect("end").is_none());
    }

    #[tokio::test]
    async fn garbage_and_cut_off_messages_are_errors() {
        let mut reader = tokio::io::BufReader::new(&b"{not json}\n"[..]);
        assert!(read::<ToHost, _>(&mut reader).await.is_err());
        let mut reader = tokio::io::BufReader::new(&b"{\"kind\":\"window\""[..]);
        assert!(read::<ToHost, _>(&mut reader).await.is_err());
    }
}
