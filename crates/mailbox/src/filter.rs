//! Which messages of a mailbox are voicemail. Voicemail-to-email often lands in a person's normal
//! INBOX, next to ordinary mail that must never be listed or light the lamp. A message is voicemail
//! when it carries Asterisk's `X-Asterisk-VM-*` headers, or has an audio attachment, or matches the
//! account's own sender or subject rules ([`VoicemailFilter`]). Pure: decided from the header fields
//! and BODYSTRUCTURE a listing fetches anyway.

use async_imap::imap_proto::BodyStructure;
use mailparse::{MailAddr, MailHeaderMap};

use crate::bodystructure::find_audio;

/// The IMAP search key of messages Asterisk stored (every `IMAP_STORAGE` message has it), so the
/// server finds them without the client fetching anything.
pub const ASTERISK_SEARCH: &str = "HEADER X-Asterisk-VM-Message-Num \"\"";

/// An account's own rules for voicemail that has neither Asterisk headers nor an audio
/// attachment (a carrier that mails a link, a transcript only). Empty: no extra rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoicemailFilter {
    /// Sender addresses (`voicemail@pbx.example.com`) or domains (`@pbx.example.com`), compared
    /// without regard to case.
    pub from: Vec<String>,
    /// Text the subject contains (`Voicemail from`), compared without regard to case.
    pub subject: Vec<String>,
}

impl VoicemailFilter {
    /// Whether the message with this header block (at least `From`, `Subject` and the
    /// `X-Asterisk-VM-*` fields of [`crate::headers::FIELDS`]) and structure is voicemail.
    pub fn is_voicemail(&self, header: &[u8], body: Option<&BodyStructure<'_>>) -> bool {
        if body.and_then(find_audio).is_some() {
            return true;
        }
        let Ok((headers, _)) = mailparse::parse_headers(header) else {
            return false;
        };
        if headers.iter().any(|h| {
            h.get_key_ref()
                .to_ascii_lowercase()
                .starts_with("x-asterisk-vm-")
        }) {
            return true;
        }
        if !self.subject.is_empty()
            && let Some(subject) = headers.get_first_value("Subject")
        {
            let subject = subject.to_lowercase();
            if self
                .subject
                .iter()
                .any(|s| !s.is_empty() && subject.contains(&s.to_lowercase()))
            {
                return true;
            }
        }
        if !self.from.is_empty()
            && let Some(from) = headers.get_first_header("From")
            && let Ok(list) = mailparse::addrparse_header(from)
        {
            return list.iter().any(|a| match a {
                MailAddr::Single(info) => self.sender_matches(&info.addr),
                MailAddr::Group(g) => g.addrs.iter().any(|i| self.sender_matches(&i.addr)),
            });
        }
        false
    }

    fn sender_matches(&self, addr: &str) -> bool {
        let addr = addr.trim().to_ascii_lowercase();
        self.from.iter().any(|rule| {
            let rule = rule.trim().to_ascii_lowercase();
            if rule.starts_with('@') {
                rule.len() > 1 && addr.ends_with(&rule)
            } else {
                !rule.is_empty() && addr == rule
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_imap::imap_proto::{AttributeValue, Response};

    const LUNCH: &[u8] = b"From: Anna <anna@example.org>\r\nSubject: Lunch meeting moved\r\n\r\n";
    const TEXT_ONLY: &str =
        r#"("text" "plain" ("charset" "UTF-8") NIL NIL "7bit" 20 1 NIL NIL NIL NIL)"#;
    const WITH_AUDIO: &str = r#"(("text" "plain" NIL NIL NIL "7bit" 2 1 NIL NIL NIL NIL)("audio" "x-wav" ("name" "msg0000.wav") NIL NIL "base64" 16628 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)"#;

    fn decide(filter: &VoicemailFilter, header: &[u8], bodystructure: &str) -> bool {
        let line = format!("* 1 FETCH (UID 1 BODYSTRUCTURE {bodystructure})\r\n");
        let (_, resp) = Response::parse(line.as_bytes()).expect("fixture parses");
        let Response::Fetch(_, attrs) = resp else {
            panic!("not a FETCH")
        };
        let body = attrs.iter().find_map(|a| match a {
            AttributeValue::BodyStructure(b) => Some(b),
            _ => None,
        });
        filter.is_voicemail(header, body)
    }

    #[test]
    fn ordinary_mail_is_not_voicemail() {
        let none = VoicemailFilter::default();
        assert!(!decide(&none, LUNCH, TEXT_ONLY));
        assert!(!none.is_voicemail(LUNCH, None));
        assert!(!none.is_voicemail(b"", None));
        assert!(!none.is_voicemail(b"\xff\xfe garbage", None));
    }

    #[test]
    fn asterisk_headers_or_audio_make_voicemail() {
        let none = VoicemailFilter::default();
        assert!(decide(&none, LUNCH, WITH_AUDIO));
        let asterisk = b"Subject: [PBX]: New message 1 in mailbox 1001\r\n\
X-Asterisk-VM-Message-Num: 1\r\n\r\n";
        assert!(
            decide(&none, asterisk, TEXT_ONLY),
            "no attachment, still voicemail"
        );
    }

    #[test]
    fn configured_senders_and_subjects_make_voicemail() {
        let by_subject = VoicemailFilter {
            subject: vec!["NEW VOICEMAIL".into()],
            ..VoicemailFilter::default()
        };
        let link = b"From: Carrier <noreply@carrier.example>\r\n\
Subject: =?utf-8?q?New_voicemail_from_Zo=C3=AB?=\r\n\r\n";
        assert!(decide(&by_subject, link, TEXT_ONLY), "decoded, any case");
        assert!(!decide(&by_subject, LUNCH, TEXT_ONLY));

        let by_address = VoicemailFilter {
            from: vec!["NoReply@Carrier.example".into()],
            ..VoicemailFilter::default()
        };
        assert!(decide(&by_address, link, TEXT_ONLY));
        assert!(!decide(&by_address, LUNCH, TEXT_ONLY));
        let by_domain = VoicemailFilter {
            from: vec!["@carrier.example".into(), "@".into(), String::new()],
            ..VoicemailFilter::default()
        };
        assert!(decide(&by_domain, link, TEXT_ONLY));
        assert!(
            !decide(&by_domain, LUNCH, TEXT_ONLY),
            "empty rules match nothing"
        );
        let lookalike = b"From: x <noreply@evilcarrier.example.org>\r\n\r\n";
        assert!(!decide(&by_domain, lookalike, TEXT_ONLY));
    }
}
