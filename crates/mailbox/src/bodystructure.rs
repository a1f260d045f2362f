//! Finding the audio attachment in a message's IMAP BODYSTRUCTURE, so only that part is fetched.

use async_imap::imap_proto::{
    BodyContentCommon, BodyContentSinglePart, BodyStructure, ContentEncoding,
};

use crate::message::{AudioPart, TransferEncoding};

/// File extensions taken as audio when the part's type is generic (`application/octet-stream`).
const AUDIO_EXTENSIONS: &[&str] = &["wav", "mp3", "gsm", "ulaw", "alaw", "au", "ogg", "opus"];

/// The first audio part of a message, depth first, with its IMAP section number.
pub fn find_audio(body: &BodyStructure<'_>) -> Option<AudioPart> {
    match body {
        // A message that is only audio: its body is section 1.
        BodyStructure::Basic { common, other, .. } => audio_part(common, other, "1".to_owned()),
        BodyStructure::Text { .. } | BodyStructure::Message { .. } => None,
        BodyStructure::Multipart { bodies, .. } => search(bodies, ""),
    }
}

fn search(bodies: &[BodyStructure<'_>], prefix: &str) -> Option<AudioPart> {
    bodies.iter().enumerate().find_map(|(i, part)| {
        let section = format!("{prefix}{}", i + 1);
        match part {
            BodyStructure::Basic { common, other, .. } => audio_part(common, other, section),
            BodyStructure::Multipart { bodies, .. } => search(bodies, &format!("{section}.")),
            BodyStructure::Text { .. } | BodyStructure::Message { .. } => None,
        }
    })
}

fn audio_part(
    common: &BodyContentCommon<'_>,
    other: &BodyContentSinglePart<'_>,
    section: String,
) -> Option<AudioPart> {
    let ty = common.ty.ty.to_ascii_lowercase();
    let subtype = common.ty.subtype.to_ascii_lowercase();
    let filename = common
        .disposition
        .as_ref()
        .and_then(|d| param(&d.params, "filename"))
        .or_else(|| param(&common.ty.params, "name"));
    let by_extension = filename
        .as_deref()
        .and_then(|f| f.rsplit_once('.'))
        .is_some_and(|(_, e)| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    let generic = ty == "application" && subtype == "octet-stream";
    if ty != "audio" && !(generic && by_extension) {
        return None;
    }
    Some(AudioPart {
        codec: None,
        section,
        mime_type: format!("{ty}/{subtype}"),
        filename,
        size: other.octets,
        encoding: match &other.transfer_encoding {
            ContentEncoding::Base64 => TransferEncoding::Base64,
            ContentEncoding::QuotedPrintable => TransferEncoding::QuotedPrintable,
            ContentEncoding::SevenBit | ContentEncoding::EightBit | ContentEncoding::Binary => {
                TransferEncoding::Identity
            }
            ContentEncoding::Other(o) => TransferEncoding::Other(o.to_string()),
        },
    })
}

fn param(params: &async_imap::imap_proto::BodyParams<'_>, name: &str) -> Option<String> {
    params
        .as_ref()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| decode_word(v))
}

/// Parameter values may be RFC 2047 encoded by careless mailers; decode them when they are.
fn decode_word(v: &str) -> String {
    if v.contains("=?") {
        let line = format!("X: {v}");
        if let Ok((h, _)) = mailparse::parse_header(line.as_bytes()) {
            return h.get_value();
        }
    }
    v.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_imap::imap_proto::{AttributeValue, Response};

    /// Parses the BODYSTRUCTURE of a FETCH response line as a server sends it.
    fn audio_of(bodystructure: &str) -> Option<AudioPart> {
        let line = format!("* 1 FETCH (UID 1 BODYSTRUCTURE {bodystructure})\r\n");
        let (_, resp) = Response::parse(line.as_bytes()).expect("fixture parses");
        let Response::Fetch(_, attrs) = resp else {
            panic!("not a FETCH")
        };
        attrs.iter().find_map(|a| match a {
            AttributeValue::BodyStructure(b) => find_audio(b),
            _ => None,
        })
    }

    #[test]
    fn asterisk_attachment_is_section_2() {
        // As Dovecot reports a seeded Asterisk IMAP_STORAGE message.
        let a = audio_of(r#"(("text" "plain" ("charset" "UTF-8") NIL NIL "8bit" 275 7 NIL NIL NIL NIL)("audio" "x-wav" ("name" "msg0000.wav") NIL "Voicemail sound attachment." "base64" 16628 NIL ("attachment" ("filename" "msg0000.wav")) NIL NIL) "mixed" ("boundary" "----voicemail_01020230931465") NIL NIL NIL)"#).unwrap();
        assert_eq!(a.section, "2");
        assert_eq!(a.mime_type, "audio/x-wav");
        assert_eq!(a.filename.as_deref(), Some("msg0000.wav"));
        assert_eq!(a.size, 16628);
        assert_eq!(a.encoding, TransferEncoding::Base64);
        assert_eq!(a.format(), "wav");
    }

    #[test]
    fn text_only_message_has_no_audio() {
        assert_eq!(
            audio_of(
                r#"(("text" "plain" ("charset" "UTF-8") NIL NIL "8bit" 267 7 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)"#
            ),
            None
        );
        assert_eq!(
            audio_of(r#"("text" "plain" ("charset" "UTF-8") NIL NIL "7bit" 20 1 NIL NIL NIL NIL)"#),
            None
        );
    }

    #[test]
    fn nested_and_single_part_and_octet_stream_attachments() {
        let nested = audio_of(r#"((("text" "plain" NIL NIL NIL "7bit" 2 1 NIL NIL NIL NIL)("text" "html" NIL NIL NIL "7bit" 2 1 NIL NIL NIL NIL) "alternative" ("boundary" "a") NIL NIL NIL)(("text" "plain" NIL NIL NIL "7bit" 2 1 NIL NIL NIL NIL)("application" "octet-stream" ("name" "vm.MP3") NIL NIL "base64" 900 NIL ("attachment" ("filename" "vm.MP3")) NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL) "mixed" ("boundary" "c") NIL NIL NIL)"#).unwrap();
        assert_eq!(nested.section, "2.2");
        assert_eq!(nested.format(), "mp3");
        let single =
            audio_of(r#"("audio" "mpeg" NIL NIL NIL "base64" 1200 NIL NIL NIL NIL)"#).unwrap();
        assert_eq!(single.section, "1");
        assert_eq!(single.filename, None);
        assert_eq!(single.format(), "mp3");
        // A PDF is not audio even as octet-stream.
        assert_eq!(
            audio_of(
                r#"(("text" "plain" NIL NIL NIL "7bit" 2 1 NIL NIL NIL NIL)("application" "octet-stream" ("name" "x.pdf") NIL NIL "base64" 9 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)"#
            ),
            None
        );
    }

    #[test]
    fn encoded_filename_is_decoded() {
        let a = audio_of(r#"(("text" "plain" NIL NIL NIL "7bit" 2 1 NIL NIL NIL NIL)("audio" "wav" ("name" "=?utf-8?q?Zo=C3=AB.wav?=") NIL NIL "base64" 10 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)"#).unwrap();
        assert_eq!(a.filename.as_deref(), Some("Zoë.wav"));
    }
}
