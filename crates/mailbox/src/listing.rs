//! Building a [`Voicemail`] from what one listing FETCH returns for a message: its header fields,
//! flags, size and BODYSTRUCTURE. Pure: no I/O, nothing fetched beyond those.

use async_imap::imap_proto::BodyStructure;
use time::OffsetDateTime;

use crate::bodystructure::find_audio;
use crate::headers::metadata;
use crate::message::{MessageId, Voicemail};

/// The flags of a message that matter to voicemail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// `\Seen`: heard.
    pub seen: bool,
    /// `\Flagged`: urgent.
    pub flagged: bool,
}

/// One message's listing data, as fetched.
#[derive(Debug)]
pub struct ListingParts<'a> {
    /// Its id.
    pub id: MessageId,
    /// Its folder.
    pub folder: &'a str,
    /// The header block (or the selected header fields).
    pub header: &'a [u8],
    /// Its flags.
    pub flags: Flags,
    /// RFC822.SIZE.
    pub size: u32,
    /// BODYSTRUCTURE, if the server sent one.
    pub body: Option<&'a BodyStructure<'a>>,
}

/// The voicemail these parts describe. A message without audio is still listed (`audio: None`).
pub fn voicemail(parts: ListingParts<'_>) -> Voicemail {
    let meta = metadata(parts.header);
    Voicemail {
        id: parts.id,
        folder: parts.folder.to_owned(),
        caller_number: meta.caller_number,
        caller_name: meta.caller_name,
        received_at: meta.received_at.unwrap_or(OffsetDateTime::UNIX_EPOCH),
        duration_s: meta.duration_s,
        urgent: meta.urgent || parts.flags.flagged,
        heard: parts.flags.seen,
        size: parts.size,
        audio: parts.body.and_then(find_audio),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_headers_combine() {
        let id = MessageId {
            uid_validity: 1,
            uid: 2,
        };
        let vm = voicemail(ListingParts {
            id,
            folder: "Old",
            header: b"X-Asterisk-VM-Caller-ID-Num: 100\r\nX-Asterisk-VM-Flag: \r\n\r\n",
            flags: Flags {
                seen: true,
                flagged: true,
            },
            size: 10,
            body: None,
        });
        assert!(vm.heard && vm.urgent);
        assert_eq!(vm.caller_number.as_deref(), Some("100"));
        assert_eq!(vm.received_at, OffsetDateTime::UNIX_EPOCH);
        assert_eq!(vm.audio, None);
        assert_eq!(vm.folder, "Old");
    }
}
