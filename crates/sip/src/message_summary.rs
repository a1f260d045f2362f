//! RFC 3842 §5 `application/simple-message-summary` bodies: a lenient, bounded parser and a
//! serializer.
//!
//! The parser distinguishes three outcomes that a lamp must never confuse:
//! an empty body is [`SummaryBody::NoInformation`] (nothing is known, not "zero"), a well-formed
//! body is a [`MessageSummary`], and anything else is a typed [`SummaryError`].
//!
//! Leniency (what real servers send): header names in any case, extra whitespace, LF-only line
//! ends, a missing urgent part, the `Message-Account` line anywhere in the first section,
//! unknown message classes (kept), extension lines that carry no counts (ignored), and optional
//! message headers after an empty line (ignored). `Messages-Waiting: yes` with zero counts is kept
//! as "waiting, count unknown" (see [`MessageSummary::new_messages`]).

use std::collections::BTreeMap;
use std::fmt;

/// Largest body accepted, in bytes.
pub const MAX_BODY_LEN: usize = 16 * 1024;
/// Largest number of lines looked at (both sections together).
pub const MAX_LINES: usize = 128;
/// Largest number of message classes in one summary.
pub const MAX_CLASSES: usize = 16;
/// Largest message count accepted in any position.
pub const MAX_COUNT: u32 = 1_000_000;
/// Largest `Message-Account` value, in bytes.
pub const MAX_ACCOUNT_LEN: usize = 512;

/// The content type this module parses.
pub const CONTENT_TYPE: &str = "application/simple-message-summary";

/// `Messages-Waiting`: whether the server says there are new messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Waiting {
    /// `Messages-Waiting: yes`.
    Yes,
    /// `Messages-Waiting: no`.
    #[default]
    No,
}

/// A message context class (RFC 3458), normalized to lower case; unknown classes are kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageClass {
    /// `voice-message`.
    Voice,
    /// `fax-message`.
    Fax,
    /// `pager-message`.
    Pager,
    /// `multimedia-message`.
    Multimedia,
    /// `text-message`.
    Text,
    /// `none`.
    None,
    /// Any other class name, lower case.
    Other(String),
}

impl MessageClass {
    /// Maps a class name (any case) to a class.
    pub fn from_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "voice-message" => Self::Voice,
            "fax-message" => Self::Fax,
            "pager-message" => Self::Pager,
            "multimedia-message" => Self::Multimedia,
            "text-message" => Self::Text,
            "none" => Self::None,
            _ => Self::Other(lower),
        }
    }

    /// The canonical (lower case) name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Voice => "voice-message",
            Self::Fax => "fax-message",
            Self::Pager => "pager-message",
            Self::Multimedia => "multimedia-message",
            Self::Text => "text-message",
            Self::None => "none",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for MessageClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counts of one message class. Urgent counts are included in `new` and `old` (RFC 3842 §5.2);
/// they are `None` when the server did not send the urgent part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Counts {
    /// New (unheard) messages, urgent ones included.
    pub new: u32,
    /// Old (heard) messages, urgent ones included.
    pub old: u32,
    /// Urgent new messages, when sent.
    pub urgent_new: Option<u32>,
    /// Urgent old messages, when sent.
    pub urgent_old: Option<u32>,
}

/// A parsed message summary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageSummary {
    /// `Messages-Waiting`.
    pub waiting: Waiting,
    /// `Message-Account`, when sent (verbatim, trimmed).
    pub account: Option<String>,
    /// Counts per class, unknown classes included.
    pub classes: BTreeMap<MessageClass, Counts>,
}

/// The outcome of parsing a body that is not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SummaryBody {
    /// The body was empty (or only whitespace): the server said nothing about the mailbox.
    /// This is *not* zero messages.
    NoInformation,
    /// A summary.
    Summary(MessageSummary),
}

/// Why a body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    /// The body is larger than [`MAX_BODY_LEN`].
    #[error("message-summary body of {0} bytes exceeds the limit")]
    TooLarge(usize),
    /// The body is not UTF-8.
    #[error("message-summary body is not UTF-8")]
    NotUtf8,
    /// More lines than [`MAX_LINES`].
    #[error("message-summary body has too many lines")]
    TooManyLines,
    /// More classes than [`MAX_CLASSES`].
    #[error("message-summary body has too many message classes")]
    TooManyClasses,
    /// No `Messages-Waiting` line.
    #[error("message-summary body has no Messages-Waiting line")]
    MissingStatus,
    /// `Messages-Waiting` appears twice.
    #[error("message-summary body has more than one Messages-Waiting line")]
    DuplicateStatus,
    /// `Messages-Waiting` is neither `yes` nor `no`.
    #[error("Messages-Waiting value {0:?} is neither yes nor no")]
    BadStatus(String),
    /// `Message-Account` is empty, too long or appears twice.
    #[error("bad Message-Account line")]
    BadAccount,
    /// A line in the summary section has no colon or an invalid name.
    #[error("line {0} of the message-summary body is not a header line")]
    BadLine(usize),
    /// A known class line whose counts cannot be read.
    #[error("counts of class {class} cannot be read: {value:?}")]
    BadCounts {
        /// The class.
        class: String,
        /// The value as received (truncated).
        value: String,
    },
    /// A count larger than [`MAX_COUNT`].
    #[error("a count of class {0} exceeds the limit")]
    CountTooLarge(String),
    /// The body is of another content type than `application/simple-message-summary`.
    #[error("unexpected content type {0:?}")]
    UnexpectedContentType(String),
    /// The same class appears twice.
    #[error("class {0} appears twice")]
    DuplicateClass(String),
}

impl MessageSummary {
    /// Total new messages over all classes, or `None` when the count is not known: the server
    /// says messages are waiting but gave no positive count (`yes` with zero counts or no
    /// summary lines). With `Messages-Waiting: no` the answer is the sum (normally 0).
    pub fn new_messages(&self) -> Option<u32> {
        let sum = self
            .classes
            .values()
            .fold(0u32, |acc, c| acc.saturating_add(c.new));
        match self.waiting {
            Waiting::Yes if sum == 0 => None,
            _ => Some(sum),
        }
    }

    /// Counts of the `voice-message` class, when sent.
    pub fn voice(&self) -> Option<&Counts> {
        self.classes.get(&MessageClass::Voice)
    }

    /// Serializes the summary as an RFC 3842 body with CRLF line ends.
    pub fn to_body(&self) -> String {
        let mut out = String::new();
        out.push_str("Messages-Waiting: ");
        out.push_str(match self.waiting {
            Waiting::Yes => "yes",
            Waiting::No => "no",
        });
        out.push_str("\r\n");
        if let Some(account) = &self.account {
            out.push_str("Message-Account: ");
            out.push_str(account);
            out.push_str("\r\n");
        }
        for (class, counts) in &self.classes {
            out.push_str(&format!("{}: {}/{}", class, counts.new, counts.old));
            if counts.urgent_new.is_some() || counts.urgent_old.is_some() {
                out.push_str(&format!(
                    " ({}/{})",
                    counts.urgent_new.unwrap_or(0),
                    counts.urgent_old.unwrap_or(0)
                ));
            }
            out.push_str("\r\n");
        }
        out
    }
}

/// Parses a `message-summary` body.
pub fn parse(body: &[u8]) -> Result<SummaryBody, SummaryError> {
    if body.len() > MAX_BODY_LEN {
        return Err(SummaryError::TooLarge(body.len()));
    }
    let text = std::str::from_utf8(body).map_err(|_| SummaryError::NotUtf8)?;
    if text.trim().is_empty() {
        return Ok(SummaryBody::NoInformation);
    }

    let mut waiting = None;
    let mut account = None;
    let mut classes = BTreeMap::new();
    let mut started = false;

    for (index, raw) in text.split('\n').enumerate() {
        if index >= MAX_LINES {
            return Err(SummaryError::TooManyLines);
        }
        let line = raw.trim();
        if line.is_empty() {
            if started {
                // Optional message headers follow the empty line: ignored.
                break;
            }
            continue;
        }
        started = true;
        let Some((name, value)) = line.split_once(':') else {
            return Err(SummaryError::BadLine(index + 1));
        };
        let name = name.trim();
        let value = value.trim();
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(SummaryError::BadLine(index + 1));
        }
        if name.eq_ignore_ascii_case("Messages-Waiting") {
            if waiting.is_some() {
                return Err(SummaryError::DuplicateStatus);
            }
            waiting = Some(if value.eq_ignore_ascii_case("yes") {
                Waiting::Yes
            } else if value.eq_ignore_ascii_case("no") {
                Waiting::No
            } else {
                return Err(SummaryError::BadStatus(truncate(value)));
            });
        } else if name.eq_ignore_ascii_case("Message-Account") {
            if account.is_some() || value.is_empty() || value.len() > MAX_ACCOUNT_LEN {
                return Err(SummaryError::BadAccount);
            }
            account = Some(value.to_owned());
        } else {
            let class = MessageClass::from_name(name);
            let counts = match parse_counts(value) {
                Ok(counts) => counts,
                Err(CountsError::TooLarge) => {
                    return Err(SummaryError::CountTooLarge(class.as_str().to_owned()));
                }
                Err(CountsError::Malformed) => {
                    if matches!(class, MessageClass::Other(_)) {
                        // An extension line that carries no counts: ignored.
                        continue;
                    }
                    return Err(SummaryError::BadCounts {
                        class: class.as_str().to_owned(),
                        value: truncate(value),
                    });
                }
            };
            if classes.contains_key(&class) {
                return Err(SummaryError::DuplicateClass(class.as_str().to_owned()));
            }
            if classes.len() >= MAX_CLASSES {
                return Err(SummaryError::TooManyClasses);
            }
            classes.insert(class, counts);
        }
    }

    let waiting = waiting.ok_or(SummaryError::MissingStatus)?;
    Ok(SummaryBody::Summary(MessageSummary {
        waiting,
        account,
        classes,
    }))
}

enum CountsError {
    Malformed,
    TooLarge,
}

/// `new/old [(urgent-new/urgent-old)]`, whitespace anywhere between tokens.
fn parse_counts(value: &str) -> Result<Counts, CountsError> {
    let (main, urgent) = match value.split_once('(') {
        Some((main, rest)) => {
            let inner = rest
                .trim_end()
                .strip_suffix(')')
                .ok_or(CountsError::Malformed)?;
            (main, Some(inner))
        }
        None => (value, None),
    };
    let (new, old) = parse_pair(main)?;
    let (urgent_new, urgent_old) = match urgent {
        Some(inner) => {
            let (un, uo) = parse_pair(inner)?;
            (Some(un), Some(uo))
        }
        None => (None, None),
    };
    Ok(Counts {
        new,
        old,
        urgent_new,
        urgent_old,
    })
}

fn parse_pair(text: &str) -> Result<(u32, u32), CountsError> {
    let (a, b) = text.split_once('/').ok_or(CountsError::Malformed)?;
    Ok((parse_count(a)?, parse_count(b)?))
}

fn parse_count(text: &str) -> Result<u32, CountsError> {
    let digits = text.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CountsError::Malformed);
    }
    let digits = digits.trim_start_matches('0');
    if digits.len() > 7 {
        return Err(CountsError::TooLarge);
    }
    let n: u32 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| CountsError::Malformed)?
    };
    if n > MAX_COUNT {
        return Err(CountsError::TooLarge);
    }
    Ok(n)
}

/// RFC 3261 `token` characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

fn truncate(value: &str) -> String {
    value.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn summary(body: &str) -> MessageSummary {
        match parse(body.as_bytes()) {
            Ok(SummaryBody::Summary(s)) => s,
            other => panic!("expected a summary, got {other:?}"),
        }
    }

    #[test]
    fn rfc3842_example() {
        let s = summary(
            "Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\n\
             Voice-Message: 4/8 (1/2)\r\n",
        );
        assert_eq!(s.waiting, Waiting::Yes);
        assert_eq!(s.account.as_deref(), Some("sip:alice@vmail.example.com"));
        assert_eq!(
            s.voice(),
            Some(&Counts {
                new: 4,
                old: 8,
                urgent_new: Some(1),
                urgent_old: Some(2)
            })
        );
        assert_eq!(s.new_messages(), Some(4));
    }

    #[test]
    fn lowercase_names_extra_whitespace_and_lf_only() {
        let s = summary("messages-waiting:   YES  \n  voice-message :  2 / 3  ( 0 / 1 )\n");
        assert_eq!(s.waiting, Waiting::Yes);
        assert_eq!(
            s.voice(),
            Some(&Counts {
                new: 2,
                old: 3,
                urgent_new: Some(0),
                urgent_old: Some(1)
            })
        );
    }

    #[test]
    fn missing_urgent_part() {
        let s = summary("Messages-Waiting: no\r\nVoice-Message: 0/7\r\n");
        assert_eq!(
            s.voice(),
            Some(&Counts {
                new: 0,
                old: 7,
                urgent_new: None,
                urgent_old: None
            })
        );
        assert_eq!(s.new_messages(), Some(0));
    }

    #[test]
    fn trailing_message_headers_are_ignored() {
        let s = summary(
            "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n\r\nTo: <sip:alice@example.com>\r\n\
             From: <sip:bob@example.com>\r\nSubject: garbage here: (((\r\nno colon at all\r\n",
        );
        assert_eq!(s.voice().map(|c| c.new), Some(1));
        assert_eq!(s.classes.len(), 1);
    }

    #[test]
    fn yes_with_zero_counts_is_waiting_without_a_count() {
        let s = summary("Messages-Waiting: yes\r\nVoice-Message: 0/0\r\n");
        assert_eq!(s.new_messages(), None);
        let s = summary("Messages-Waiting: yes\r\n");
        assert_eq!(s.new_messages(), None);
    }

    #[test]
    fn empty_body_is_no_information() {
        assert_eq!(parse(b""), Ok(SummaryBody::NoInformation));
        assert_eq!(parse(b"\r\n \r\n"), Ok(SummaryBody::NoInformation));
    }

    #[test]
    fn unknown_classes_are_kept_and_known_classes_mapped() {
        let s = summary(
            "Messages-Waiting: yes\nFax-Message: 1/2\nX-Hologram-Message: 3/4 (1/0)\nnone: 0/0\n",
        );
        assert_eq!(s.classes[&MessageClass::Fax].new, 1);
        assert_eq!(
            s.classes[&MessageClass::Other("x-hologram-message".into())].new,
            3
        );
        assert!(s.classes.contains_key(&MessageClass::None));
        assert_eq!(s.new_messages(), Some(4));
    }

    #[test]
    fn extension_lines_without_counts_are_ignored() {
        let s = summary("Messages-Waiting: no\r\nX-Vendor: something\r\n");
        assert!(s.classes.is_empty());
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(
            parse(b"Voice-Message: 1/2\r\n"),
            Err(SummaryError::MissingStatus)
        );
        assert_eq!(
            parse(b"Messages-Waiting: maybe\r\n"),
            Err(SummaryError::BadStatus("maybe".into()))
        );
        assert_eq!(
            parse(b"Messages-Waiting: yes\r\nMessages-Waiting: no\r\n"),
            Err(SummaryError::DuplicateStatus)
        );
        assert_eq!(
            parse(b"Messages-Waiting: yes\r\ngarbage\r\n"),
            Err(SummaryError::BadLine(2))
        );
        assert!(matches!(
            parse(b"Messages-Waiting: yes\r\nVoice-Message: 1/x\r\n"),
            Err(SummaryError::BadCounts { .. })
        ));
        assert!(matches!(
            parse(b"Messages-Waiting: yes\r\nVoice-Message: -1/2\r\n"),
            Err(SummaryError::BadCounts { .. })
        ));
        assert!(matches!(
            parse(b"Messages-Waiting: yes\r\nVoice-Message: 1/2 (1/2\r\n"),
            Err(SummaryError::BadCounts { .. })
        ));
        assert_eq!(
            parse(b"Messages-Waiting: yes\r\nVoice-Message: 1/2\r\nvoice-message: 1/2\r\n"),
            Err(SummaryError::DuplicateClass("voice-message".into()))
        );
        assert_eq!(parse(b"\xff\xfe"), Err(SummaryError::NotUtf8));
        assert_eq!(
            parse(b"Messages-Waiting: yes\r\nMessage-Account:\r\n"),
            Err(SummaryError::BadAccount)
        );
    }

    #[test]
    fn bounds() {
        let big = vec![b' '; MAX_BODY_LEN + 1];
        assert_eq!(parse(&big), Err(SummaryError::TooLarge(MAX_BODY_LEN + 1)));
        assert_eq!(
            parse(b"Messages-Waiting: yes\r\nVoice-Message: 1000001/0\r\n"),
            Err(SummaryError::CountTooLarge("voice-message".into()))
        );
        assert_eq!(
            parse(b"Messages-Waiting: yes\r\nVoice-Message: 99999999999999999999999/0\r\n"),
            Err(SummaryError::CountTooLarge("voice-message".into()))
        );
        // Leading zeros are not magnitude.
        let s = summary("Messages-Waiting: yes\r\nVoice-Message: 0000000000001/0\r\n");
        assert_eq!(s.voice().map(|c| c.new), Some(1));

        let mut body = String::from("Messages-Waiting: yes\r\n");
        for i in 0..=MAX_CLASSES {
            body.push_str(&format!("class-{i}: 1/1\r\n"));
        }
        assert_eq!(parse(body.as_bytes()), Err(SummaryError::TooManyClasses));

        let mut body = String::from("Messages-Waiting: yes\r\n");
        for _ in 0..MAX_LINES {
            body.push_str("X-Pad: pad\r\n");
        }
        assert_eq!(parse(body.as_bytes()), Err(SummaryError::TooManyLines));
    }

    fn arb_class() -> impl Strategy<Value = MessageClass> {
        prop_oneof![
            Just(MessageClass::Voice),
            Just(MessageClass::Fax),
            Just(MessageClass::Pager),
            Just(MessageClass::Multimedia),
            Just(MessageClass::Text),
            Just(MessageClass::None),
            "x-[a-z0-9-]{1,20}".prop_map(MessageClass::Other),
        ]
    }

    fn arb_counts() -> impl Strategy<Value = Counts> {
        (
            0..=MAX_COUNT,
            0..=MAX_COUNT,
            proptest::option::of((0..=MAX_COUNT, 0..=MAX_COUNT)),
        )
            .prop_map(|(new, old, urgent)| Counts {
                new,
                old,
                urgent_new: urgent.map(|u| u.0),
                urgent_old: urgent.map(|u| u.1),
            })
    }

    fn arb_summary() -> impl Strategy<Value = MessageSummary> {
        (
            prop_oneof![Just(Waiting::Yes), Just(Waiting::No)],
            proptest::option::of("sip:[a-z0-9*]{1,20}@[a-z0-9.]{1,30}"),
            proptest::collection::btree_map(arb_class(), arb_counts(), 0..MAX_CLASSES),
        )
            .prop_map(|(waiting, account, classes)| MessageSummary {
                waiting,
                account,
                classes,
            })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn arbitrary_text_never_yields_a_count_from_garbage(text in "[ -~\r\n]{0,512}") {
            if let Ok(SummaryBody::Summary(s)) = parse(text.as_bytes()) {
                // A summary always comes with a Messages-Waiting line.
                prop_assert!(text.to_ascii_lowercase().contains("messages-waiting"));
                prop_assert!(s.classes.len() <= MAX_CLASSES);
            }
        }

        #[test]
        fn serialize_then_parse_round_trips(s in arb_summary()) {
            let body = s.to_body();
            prop_assert_eq!(parse(body.as_bytes()), Ok(SummaryBody::Summary(s)));
        }
    }
}
