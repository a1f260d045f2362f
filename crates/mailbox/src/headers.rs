//! Voicemail metadata from a message's header block: Asterisk `IMAP_STORAGE` headers
//! (`X-Asterisk-VM-*`) first, then generic voicemail-to-email (`From`, `Date`, `Subject`).
//! Pure functions; RFC 2047 words are decoded by `mailparse`.

use mailparse::{MailAddr, MailHeader, MailHeaderMap};
use time::OffsetDateTime;

/// The header fields [`metadata`] reads; fetch these with `BODY.PEEK[HEADER.FIELDS (...)]`.
pub const FIELDS: &[&str] = &[
    "FROM",
    "DATE",
    "SUBJECT",
    "X-ASTERISK-VM-CALLER-ID-NUM",
    "X-ASTERISK-VM-CALLER-ID-NAME",
    "X-ASTERISK-VM-DURATION",
    "X-ASTERISK-VM-ORIG-TIME",
    "X-ASTERISK-VM-ORIG-DATE",
    "X-ASTERISK-VM-FLAG",
    "X-ASTERISK-VM-MESSAGE-NUM",
];

/// What the headers say about a voicemail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// Caller's number.
    pub caller_number: Option<String>,
    /// Caller's name, decoded.
    pub caller_name: Option<String>,
    /// When the message was left, if any header says so.
    pub received_at: Option<OffsetDateTime>,
    /// Reported length in seconds.
    pub duration_s: Option<u32>,
    /// `X-Asterisk-VM-Flag: Urgent`.
    pub urgent: bool,
    /// `X-Asterisk-VM-Message-Num` (1-based number in the folder at the time of recording).
    pub message_num: Option<u32>,
}

/// Reads the metadata from a raw header block. Never fails: unreadable headers give empty fields.
pub fn metadata(header: &[u8]) -> Metadata {
    let headers = match mailparse::parse_headers(header) {
        Ok((h, _)) => h,
        Err(e) => {
            tracing::debug!("unparsable header block: {e}");
            Vec::new()
        }
    };
    let get = |name: &str| {
        headers
            .get_first_value(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };

    let asterisk_num = get("X-Asterisk-VM-Caller-ID-Num").filter(|n| !is_unknown(n));
    let asterisk_name = get("X-Asterisk-VM-Caller-ID-Name").filter(|n| !is_unknown(n));
    let orig_time = get("X-Asterisk-VM-Orig-time")
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());
    let date = get("Date")
        .and_then(|d| mailparse::dateparse(&d).ok())
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());

    let (from_name, from_number) = headers
        .get_first_header("From")
        .map(from_parts)
        .unwrap_or_default();
    let subject_number = get("Subject").and_then(|s| number_in_subject(&s));
    let is_asterisk = headers.iter().any(|h| {
        h.get_key_ref()
            .to_ascii_lowercase()
            .starts_with("x-asterisk-vm-")
    });

    let (caller_number, caller_name) = if is_asterisk {
        (asterisk_num, asterisk_name)
    } else {
        (from_number.or(subject_number), from_name)
    };

    Metadata {
        caller_number,
        caller_name,
        received_at: orig_time.or(date),
        duration_s: get("X-Asterisk-VM-Duration").and_then(|d| d.parse().ok()),
        urgent: get("X-Asterisk-VM-Flag").is_some_and(|f| f.eq_ignore_ascii_case("urgent")),
        message_num: get("X-Asterisk-VM-Message-Num").and_then(|n| n.parse().ok()),
    }
}

/// Asterisk writes `Unknown` or `<unknown>` when the caller id is absent.
fn is_unknown(v: &str) -> bool {
    let v = v.trim_matches(|c| c == '<' || c == '>');
    v.eq_ignore_ascii_case("unknown") || v.eq_ignore_ascii_case("anonymous")
}

/// Display name and, when the local part looks like a phone number, the number of a `From`.
fn from_parts(h: &MailHeader<'_>) -> (Option<String>, Option<String>) {
    let Ok(list) = mailparse::addrparse_header(h) else {
        return (None, None);
    };
    let Some(MailAddr::Single(info)) = list.iter().next() else {
        return (None, None);
    };
    let name = info
        .display_name
        .clone()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let local = info.addr.split('@').next().unwrap_or("");
    (name, looks_like_number(local).then(|| local.to_owned()))
}

/// `Voicemail from Name (5551234)` → `5551234`.
fn number_in_subject(subject: &str) -> Option<String> {
    let start = subject.rfind('(')?;
    let end = start + subject[start..].find(')')?;
    let inner = subject[start + 1..end].trim();
    looks_like_number(inner).then(|| inner.to_owned())
}

fn looks_like_number(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    !digits.is_empty() && digits.len() <= 32 && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASTERISK: &[u8] = b"Date: Thu, 26 Nov 2026 23:55:56 +0000\r\n\
From: \"Asterisk PBX\" <asterisk@pbx.voicelamp.test>\r\n\
Subject: [PBX]: New message 1 in mailbox 1020\r\n\
X-Asterisk-VM-Message-Num: 1\r\n\
X-Asterisk-VM-Caller-ID-Num: 5551234\r\n\
X-Asterisk-VM-Caller-ID-Name: =?utf-8?q?Zo=C3=AB_M=C3=BCller?=\r\n\
X-Asterisk-VM-Duration: 7\r\n\
X-Asterisk-VM-Category: \r\n\
X-Asterisk-VM-Flag: Urgent\r\n\
X-Asterisk-VM-Orig-date: Thursday, November 26, 2026 at 11:55:00 PM\r\n\
X-Asterisk-VM-Orig-time: 1795737300\r\n\r\n";

    const GENERIC: &[u8] = b"Date: Thu, 26 Nov 2026 23:55:57 +0000\r\n\
From: =?utf-8?b?Wm/DqyBNw7xsbGVy?= <5559@pbx.voicelamp.test>\r\n\
Subject: =?utf-8?b?Vm9pY2VtYWlsIGZyb20gWm/DqyBNw7xsbGVyICg1NTU5KQ==?=\r\n\r\n";

    #[test]
    fn asterisk_headers_fill_every_field_and_decode_rfc2047() {
        let m = metadata(ASTERISK);
        assert_eq!(m.caller_number.as_deref(), Some("5551234"));
        assert_eq!(m.caller_name.as_deref(), Some("Zoë Müller"));
        assert_eq!(m.duration_s, Some(7));
        assert!(m.urgent);
        assert_eq!(m.message_num, Some(1));
        // Orig-time wins over Date.
        assert_eq!(m.received_at.unwrap().unix_timestamp(), 1_795_737_300);
    }

    #[test]
    fn generic_voicemail_to_email_uses_from_and_date() {
        let m = metadata(GENERIC);
        assert_eq!(m.caller_number.as_deref(), Some("5559"));
        assert_eq!(m.caller_name.as_deref(), Some("Zoë Müller"));
        assert_eq!(m.received_at.unwrap().unix_timestamp(), 1_795_737_357);
        assert_eq!(m.duration_s, None);
        assert!(!m.urgent);
    }

    #[test]
    fn number_from_the_subject_when_from_is_not_a_number() {
        let m = metadata(
            b"From: Voicemail <vm@example.org>\r\nSubject: Voicemail from Bob (+4930123)\r\n\r\n",
        );
        assert_eq!(m.caller_number.as_deref(), Some("+4930123"));
        assert_eq!(m.caller_name.as_deref(), Some("Voicemail"));
    }

    #[test]
    fn unknown_caller_and_garbage_give_empty_fields() {
        let m = metadata(
            b"X-Asterisk-VM-Caller-ID-Num: Unknown\r\nX-Asterisk-VM-Caller-ID-Name: <unknown>\r\nX-Asterisk-VM-Duration: x\r\n\r\n",
        );
        assert_eq!(m, Metadata::default());
        assert_eq!(metadata(b"\xff\xfe not a header\r\n"), Metadata::default());
        assert_eq!(metadata(b""), Metadata::default());
    }
}
