//! The message model: what a voicemail is, independent of where it is stored.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use time::OffsetDateTime;

use crate::error::Error;

/// A message's identity on an IMAP server: the folder's UIDVALIDITY and the message's UID.
///
/// Its string form is `"<uidvalidity>-<uid>"` (e.g. `"1795737000-17"`); [`FromStr`] parses it back.
/// An id is only meaningful together with its folder: UIDs are per folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId {
    /// UIDVALIDITY of the folder when the message was listed.
    pub uid_validity: u32,
    /// UID of the message in that folder.
    pub uid: u32,
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.uid_validity, self.uid)
    }
}

impl FromStr for MessageId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::BadId(s.to_owned());
        let (v, u) = s.trim().split_once('-').ok_or_else(bad)?;
        Ok(Self {
            uid_validity: v.parse().map_err(|_| bad())?,
            uid: u.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for MessageId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MessageId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How a body part's bytes are encoded for transport (`Content-Transfer-Encoding`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferEncoding {
    /// `base64`, the usual encoding of audio attachments.
    Base64,
    /// `quoted-printable`.
    QuotedPrintable,
    /// `7bit`, `8bit` or `binary`: the bytes as they are.
    Identity,
    /// Anything else, named as the server reported it.
    Other(String),
}

/// The audio attachment of a message, located from its BODYSTRUCTURE without fetching it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPart {
    /// IMAP body section, e.g. `"2"` (or `"1"` for a message that is only audio, `"2.1"` nested).
    pub section: String,
    /// MIME type in lower case, e.g. `"audio/x-wav"`.
    pub mime_type: String,
    /// File name from the disposition or the type's `name` parameter.
    pub filename: Option<String>,
    /// Size of the encoded part in octets.
    pub size: u32,
    /// Transfer encoding to undo after fetching.
    pub encoding: TransferEncoding,
    /// The codec read from the attachment's first bytes while listing (`"gsm"`, `"pcm"`,
    /// `"ulaw"`, `"alaw"`, `"mp3"`), when it could be read.
    pub codec: Option<String>,
}

impl AudioPart {
    /// A short name of the codec for lists: `"gsm"`, `"pcm"`, `"ulaw"`, `"alaw"`, `"mp3"`; when
    /// the codec is not known, the container from the file name or MIME type (`"wav"`, …).
    pub fn format(&self) -> String {
        if let Some(codec) = &self.codec {
            return codec.clone();
        }
        let ext = self
            .filename
            .as_deref()
            .and_then(|f| f.rsplit_once('.'))
            .map(|(_, e)| e.to_ascii_lowercase());
        if let Some(ext) = ext.filter(|e| !e.is_empty() && e.len() <= 5) {
            return ext;
        }
        let sub = self.mime_type.split('/').nth(1).unwrap_or("");
        match sub {
            "x-wav" | "wav" | "wave" | "vnd.wave" => "wav".into(),
            "mpeg" | "mp3" | "x-mp3" => "mp3".into(),
            other => other.trim_start_matches("x-").to_owned(),
        }
    }
}

/// One voicemail message as listed: metadata only, the audio stays on the server until played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voicemail {
    /// Identity in `folder`.
    pub id: MessageId,
    /// Folder (IMAP mailbox name) the message is in.
    pub folder: String,
    /// Caller's number, e.g. `"5551234"`, when known.
    pub caller_number: Option<String>,
    /// Caller's name (RFC 2047 decoded), when known.
    pub caller_name: Option<String>,
    /// When the message was left (`X-Asterisk-VM-Orig-time`, else `Date`, else the epoch).
    pub received_at: OffsetDateTime,
    /// Length in seconds as the voicemail system reported it.
    pub duration_s: Option<u32>,
    /// `X-Asterisk-VM-Flag: Urgent` or `\Flagged`.
    pub urgent: bool,
    /// `\Seen`.
    pub heard: bool,
    /// Size of the whole message in octets (RFC822.SIZE).
    pub size: u32,
    /// The audio attachment, when the message has one.
    pub audio: Option<AudioPart>,
}

/// The JSON shape of a voicemail, shared with the CLI: id, folder, caller_number, caller_name,
/// received_at (RFC 3339), duration_s, urgent, heard, format (the codec), size (octets of the
/// whole message).
#[derive(Serialize)]
struct VoicemailJson<'a> {
    id: MessageId,
    folder: &'a str,
    caller_number: Option<&'a str>,
    caller_name: Option<&'a str>,
    #[serde(with = "time::serde::rfc3339")]
    received_at: OffsetDateTime,
    duration_s: Option<u32>,
    urgent: bool,
    heard: bool,
    format: Option<String>,
    size: u32,
}

impl Serialize for Voicemail {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        VoicemailJson {
            id: self.id,
            folder: &self.folder,
            caller_number: self.caller_number.as_deref(),
            caller_name: self.caller_name.as_deref(),
            received_at: self.received_at,
            duration_s: self.duration_s,
            urgent: self.urgent,
            heard: self.heard,
            format: self.audio.as_ref().map(AudioPart::format),
            size: self.size,
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips_through_its_string_form() {
        let id = MessageId {
            uid_validity: 1_795_737_000,
            uid: 17,
        };
        assert_eq!(id.to_string(), "1795737000-17");
        assert_eq!("1795737000-17".parse::<MessageId>().unwrap(), id);
        for bad in ["", "17", "a-1", "1-", "-1", "1-2-3", "4294967296-1"] {
            assert!(bad.parse::<MessageId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn json_has_the_cli_fields() {
        let vm = Voicemail {
            id: MessageId {
                uid_validity: 7,
                uid: 3,
            },
            folder: "INBOX".into(),
            caller_number: Some("5551234".into()),
            caller_name: Some("Zoë Müller".into()),
            received_at: OffsetDateTime::from_unix_timestamp(1_795_737_356).unwrap(),
            duration_s: Some(7),
            urgent: true,
            heard: false,
            size: 18125,
            audio: Some(AudioPart {
                section: "2".into(),
                mime_type: "audio/x-wav".into(),
                filename: Some("msg0000.wav".into()),
                size: 16628,
                encoding: TransferEncoding::Base64,
                codec: Some("gsm".into()),
            }),
        };
        let json = serde_json::to_value(&vm).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "7-3", "folder": "INBOX", "caller_number": "5551234",
                "caller_name": "Zoë Müller", "received_at": "2026-11-26T23:55:56Z",
                "duration_s": 7, "urgent": true, "heard": false, "format": "gsm",
                "size": 18125
            })
        );
    }
}
