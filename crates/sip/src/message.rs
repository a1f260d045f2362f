//! SIP messages: a bounded parser on top of `ezk-sip-types` into small owned [`Request`] and
//! [`Response`] values, and builders that serialize requests and responses (CRLF line ends,
//! `Content-Length` always present).
//!
//! Only what the message-waiting user agent needs is typed: the start line, `Via`, `From`, `To`,
//! `Call-ID`, `CSeq` (checked when parsing: a message without them is an error), and on demand
//! `Contact`, `Expires`, `Min-Expires`, `Event`, `Subscription-State`, `Retry-After`,
//! `Content-Type` and the authentication challenges. Headers this crate parses itself
//! (`Via`, `Event`, `Subscription-State`, the integer headers) are parsed with bounds.
//!
//! Measured on `ezk-sip-types` 0.6.5 and worked around here:
//! * its list decoding (`Vec<Via>`, `Vec<Contact>`, `Vec<AuthChallenge>`) never fails: an entry
//!   it cannot parse is silently dropped, with everything after it in the same line. A lost
//!   top `Via` would misroute responses, so `Via` is read here, and one bad entry rejects the
//!   message;
//! * `From`/`To` with a `tel:` URI, or a display name with an escaped quote, are rejected:
//!   a plain name-addr reading takes over;
//! * `sip/2.0/udp` in lower case is rejected (read here, any case);
//! * status codes such as `12` or `1000` are accepted (rejected here: only 100–699);
//! * `tel:` Request-URIs are rejected (kept: nothing sends us one).

use ezk_sip_types::Headers;
use std::fmt;

mod build;
mod parse;

pub use build::MessageBuilder;
pub(crate) use parse::split_list;

/// Largest message accepted, in bytes (the largest UDP payload).
pub const MAX_MESSAGE_LEN: usize = 65_535;
/// Largest number of header lines accepted.
pub const MAX_HEADER_LINES: usize = 100;
/// Largest number of `Via` entries kept.
pub const MAX_VIAS: usize = 16;
/// Largest number of `Contact` entries looked at.
pub const MAX_CONTACTS: usize = 16;

/// A request method. Only the methods this user agent sends or answers are named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// `REGISTER`.
    Register,
    /// `SUBSCRIBE`.
    Subscribe,
    /// `NOTIFY`.
    Notify,
    /// `OPTIONS`.
    Options,
    /// Anything else, as received (upper case).
    Other(String),
}

impl Method {
    /// Maps a method token.
    pub fn from_token(token: &str) -> Self {
        match token.to_ascii_uppercase().as_str() {
            "REGISTER" => Self::Register,
            "SUBSCRIBE" => Self::Subscribe,
            "NOTIFY" => Self::Notify,
            "OPTIONS" => Self::Options,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The method token.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Register => "REGISTER",
            Self::Subscribe => "SUBSCRIBE",
            Self::Notify => "NOTIFY",
            Self::Options => "OPTIONS",
            Self::Other(token) => token,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a datagram is not a usable SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Larger than [`MAX_MESSAGE_LEN`].
    #[error("message of {0} bytes exceeds the limit")]
    TooLarge(usize),
    /// Nothing but line ends.
    #[error("empty message")]
    Empty,
    /// The head is cut off (no empty line after the headers).
    #[error("message head is incomplete")]
    Incomplete,
    /// The head is not UTF-8.
    #[error("message head is not UTF-8")]
    NotUtf8,
    /// The start line is neither a request line nor a status line.
    #[error("bad start line")]
    BadStartLine,
    /// More than [`MAX_HEADER_LINES`] header lines.
    #[error("too many header lines")]
    TooManyHeaders,
    /// A header line without a name and colon.
    #[error("bad header line")]
    BadHeaderLine,
    /// A mandatory header is missing or cannot be parsed.
    #[error("missing or malformed {0} header")]
    BadHeader(&'static str),
    /// `Content-Length` is not a number or larger than the bytes received.
    #[error("bad Content-Length")]
    BadContentLength,
}

/// The top-level parts of a `Via` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport token (`UDP`, `TCP`, `TLS`, ...).
    pub transport: String,
    /// sent-by host (IPv6 in brackets).
    pub host: String,
    /// sent-by port.
    pub port: Option<u16>,
    /// `branch` parameter.
    pub branch: Option<String>,
    /// `received` parameter.
    pub received: Option<String>,
    /// `rport` parameter value (`None` when absent or without a value).
    pub rport: Option<u16>,
}

/// A `From` or `To` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The URI, printed without display name.
    pub uri: String,
    /// The user part of the URI.
    pub user: Option<String>,
    /// The host of the URI.
    pub host: String,
    /// `tag` parameter.
    pub tag: Option<String>,
}

/// A `CSeq` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number.
    pub seq: u32,
    /// Method.
    pub method: Method,
}

/// One `Contact` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactEntry {
    /// The URI, printed without display name.
    pub uri: String,
    /// `expires` parameter.
    pub expires: Option<u32>,
}

/// An `Event` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHeader {
    /// Event package, lower case.
    pub package: String,
    /// `id` parameter.
    pub id: Option<String>,
}

/// The state in a `Subscription-State` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubState {
    /// `active`.
    Active,
    /// `pending`.
    Pending,
    /// `terminated`.
    Terminated,
    /// An extension state (lower case); RFC 6665 says to treat it as `active`... only after
    /// looking; this crate keeps it distinct.
    Other(String),
}

/// A parsed `Subscription-State` header (RFC 6665 §8.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    /// The state.
    pub state: SubState,
    /// `reason` parameter, lower case.
    pub reason: Option<String>,
    /// `expires` parameter.
    pub expires: Option<u32>,
    /// `retry-after` parameter.
    pub retry_after: Option<u32>,
}

/// The parts every request and response has.
#[derive(Debug, Clone)]
pub struct Head {
    /// `Via` entries, top first.
    pub vias: Vec<Via>,
    /// `From`.
    pub from: Address,
    /// `To`.
    pub to: Address,
    /// `Call-ID`.
    pub call_id: String,
    /// `CSeq`.
    pub cseq: CSeq,
    pub(crate) headers: Headers,
}

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Request-URI as printed.
    pub uri: String,
    /// User part of the Request-URI.
    pub uri_user: Option<String>,
    /// Common headers.
    pub head: Head,
    /// Body (exactly `Content-Length` bytes when that header is present).
    pub body: Vec<u8>,
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Reason phrase (may be empty).
    pub reason: String,
    /// Common headers.
    pub head: Head,
    /// Body.
    pub body: Vec<u8>,
}

/// A parsed message.
#[derive(Debug, Clone)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// Parses one message from a datagram (or one framed message of a stream).
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        parse::parse(bytes)
    }
}

/// Longest text [`redact`] returns.
pub const MAX_LOG_LEN: usize = 4096;

/// A message as text for logs: `Authorization` and `Proxy-Authorization` values replaced,
/// non-UTF-8 bytes replaced, cut at [`MAX_LOG_LEN`].
pub fn redact(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_LOG_LEN)]);
    let mut out = String::with_capacity(text.len());
    let mut in_secret = false;
    for line in text.split_inclusive('\n') {
        let folded = line.starts_with([' ', '\t']);
        if !folded {
            let name = line.split(':').next().unwrap_or("").trim();
            in_secret = name.eq_ignore_ascii_case("Authorization")
                || name.eq_ignore_ascii_case("Proxy-Authorization");
            if in_secret {
                out.push_str(name);
                out.push_str(": <redacted>\r\n");
                continue;
            }
        } else if in_secret {
            continue;
        }
        out.push_str(line);
    }
    out
}

/// `true` for a keepalive: a datagram of nothing but CR and LF (RFC 5626 §4.4).
pub fn is_keepalive(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|b| matches!(b, b'\r' | b'\n'))
}

#[cfg(test)]
mod tests;
