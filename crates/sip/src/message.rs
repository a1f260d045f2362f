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

use bytes::Bytes;
use ezk_sip_types::header::typed::{CSeq as EzkCSeq, CallID, Contact as EzkContact, FromTo};
use ezk_sip_types::msg::{Line, MessageLine, PullParser};
use ezk_sip_types::parse::Parse;
use ezk_sip_types::print::AppendCtx;
use ezk_sip_types::uri::{SipUri, SipUriUserPart};
use ezk_sip_types::{Headers, Name};
use std::fmt::{self, Write as _};

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
        parse(bytes)
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

fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(ParseError::TooLarge(bytes.len()));
    }
    // Leading line ends are allowed before a message (RFC 3261 §7.5).
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .ok_or(ParseError::Empty)?;
    let src = Bytes::copy_from_slice(&bytes[start..]);
    let mut parser = PullParser::new(&src, 0);

    let first = match parser.next() {
        None => return Err(ParseError::Empty),
        Some(Err(_)) => return Err(ParseError::Incomplete),
        Some(Ok(line)) => line,
    };
    let first = std::str::from_utf8(first).map_err(|_| ParseError::NotUtf8)?;
    let start_line = match MessageLine::parse(&src)(first) {
        Ok((_, line)) => line,
        Err(_) => return Err(ParseError::BadStartLine),
    };

    let mut headers = Headers::new();
    let mut count = 0;
    for line in parser.by_ref() {
        let line = line.map_err(|_| ParseError::Incomplete)?;
        count += 1;
        if count > MAX_HEADER_LINES {
            return Err(ParseError::TooManyHeaders);
        }
        let line = std::str::from_utf8(line).map_err(|_| ParseError::NotUtf8)?;
        match Line::parse(&src, line) {
            Ok((_, Line { name, value })) if !name.as_print_str().is_empty() => {
                headers.insert(name, value);
            }
            _ => return Err(ParseError::BadHeaderLine),
        }
    }
    let body_start = parser.head_end();
    let rest = &src[body_start.min(src.len())..];
    let body = match first_raw(&headers, &Name::CONTENT_LENGTH) {
        Some(value) => {
            let len = parse_u32(&value).ok_or(ParseError::BadContentLength)? as usize;
            if len > rest.len() {
                return Err(ParseError::BadContentLength);
            }
            rest[..len].to_vec()
        }
        None => rest.to_vec(),
    };

    let head = parse_head(headers)?;
    Ok(match start_line {
        MessageLine::Request(line) => Message::Request(Request {
            method: Method::from_token(&line.method.to_string()),
            uri: line.uri.default_print_ctx().to_string(),
            uri_user: user_of(&line.uri),
            head,
            body,
        }),
        MessageLine::Response(line) if !(100..=699).contains(&line.code.into_u16()) => {
            return Err(ParseError::BadStartLine);
        }
        MessageLine::Response(line) => Message::Response(Response {
            status: line.code.into_u16(),
            reason: line.reason.map(|r| r.to_string()).unwrap_or_default(),
            head,
            body,
        }),
    })
}

fn parse_head(headers: Headers) -> Result<Head, ParseError> {
    // Read here rather than with ezk-sip-types, whose list decoding silently drops an entry
    // it cannot parse (measured: a lower-case `sip/2.0/udp` top Via vanished).
    let vias = headers
        .get_raw(&Name::VIA)
        .flat_map(|v| split_list(v))
        .take(MAX_VIAS)
        .map(|v| lenient_via(&v))
        .collect::<Option<Vec<_>>>()
        .ok_or(ParseError::BadHeader("Via"))?;
    if vias.is_empty() {
        return Err(ParseError::BadHeader("Via"));
    }
    let from = address(&headers, Name::FROM, "From")?;
    let to = address(&headers, Name::TO, "To")?;
    let call_id = headers
        .get_named::<CallID>()
        .map_err(|_| ParseError::BadHeader("Call-ID"))?
        .0
        .to_string();
    if call_id.is_empty() {
        return Err(ParseError::BadHeader("Call-ID"));
    }
    let cseq = headers
        .get_named::<EzkCSeq>()
        .map_err(|_| ParseError::BadHeader("CSeq"))?;
    let cseq = CSeq {
        seq: cseq.cseq,
        method: Method::from_token(&cseq.method.to_string()),
    };
    Ok(Head {
        vias,
        from,
        to,
        call_id,
        cseq,
        headers,
    })
}

fn address(headers: &Headers, name: Name, label: &'static str) -> Result<Address, ParseError> {
    match headers.get::<FromTo>(name.clone()) {
        Ok(value) => Ok(Address {
            uri: value.uri.uri.default_print_ctx().to_string(),
            user: user_of(&value.uri.uri),
            host: value.uri.uri.host_port.host.to_string(),
            tag: value.tag.map(|t| t.to_string()),
        }),
        // ezk-sip-types rejects `tel:` URIs and escaped quotes in display names: fall back to
        // a plain reading of the name-addr.
        Err(_) => first_raw(headers, &name)
            .and_then(|raw| lenient_address(&raw))
            .ok_or(ParseError::BadHeader(label)),
    }
}

/// Splits a header value list at commas outside quotes and angle brackets.
fn split_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    let mut current = String::new();
    for c in value.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && c == '<' {
            angle = true;
        } else if !quoted && c == '>' {
            angle = false;
        } else if !quoted && !angle && c == ',' {
            out.push(std::mem::take(&mut current).trim().to_owned());
            continue;
        }
        current.push(c);
    }
    out.push(current.trim().to_owned());
    out.retain(|v| !v.is_empty());
    out
}

/// `SIP/2.0/UDP host[:port];params`, protocol name and transport in any case.
fn lenient_via(value: &str) -> Option<Via> {
    let value = value.trim();
    let (protocol, rest) = value.split_once(|c: char| c.is_ascii_whitespace())?;
    let mut parts = protocol.split('/').map(str::trim);
    let (name, version, transport) = (parts.next()?, parts.next()?, parts.next()?);
    if !name.eq_ignore_ascii_case("SIP") || version != "2.0" || transport.is_empty() {
        return None;
    }
    let (sent_by, params) = split_params(rest.trim());
    let (host, port) = split_host_port(sent_by)?;
    Some(Via {
        transport: transport.to_ascii_uppercase(),
        host,
        port,
        branch: param(&params, "branch").map(str::to_owned),
        received: param(&params, "received").map(str::to_owned),
        rport: param(&params, "rport").and_then(|v| v.parse().ok()),
    })
}

fn split_host_port(text: &str) -> Option<(String, Option<u16>)> {
    let text = text.trim();
    if text.is_empty() || text.len() > 255 {
        return None;
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((format!("[{host}]"), port));
    }
    match text.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), Some(port.parse().ok()?))),
        None => Some((text.to_owned(), None)),
    }
}

/// A `From`/`To` value read without a URI grammar: `[display] <uri>;params` or `uri;params`.
fn lenient_address(raw: &str) -> Option<Address> {
    let raw = raw.trim();
    let (mut quoted, mut escaped) = (false, false);
    let mut open = None;
    for (i, c) in raw.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && c == '<' {
            open = Some(i);
            break;
        }
    }
    let (uri, params) = match open {
        Some(i) => {
            let rest = &raw[i + 1..];
            let close = rest.find('>')?;
            (rest[..close].trim(), &rest[close + 1..])
        }
        None => match raw.find(';') {
            Some(i) => (raw[..i].trim(), &raw[i..]),
            None => (raw, ""),
        },
    };
    let (scheme, rest) = uri.split_once(':')?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let rest = &rest[..rest.find([';', '?']).unwrap_or(rest.len())];
    let (user, host) = match rest.rsplit_once('@') {
        Some((user, host)) => (Some(user.to_owned()), host.to_owned()),
        None if scheme.eq_ignore_ascii_case("tel") => (Some(rest.to_owned()), String::new()),
        None => (None, rest.to_owned()),
    };
    let (_, params) = split_params(params);
    Some(Address {
        uri: uri.to_owned(),
        user,
        host,
        tag: param(&params, "tag").map(str::to_owned),
    })
}

fn user_of(uri: &SipUri) -> Option<String> {
    match &uri.user_part {
        SipUriUserPart::Empty => None,
        SipUriUserPart::User(user) => Some(user.to_string()),
        SipUriUserPart::UserPw(pw) => Some(pw.user.to_string()),
    }
}

fn first_raw(headers: &Headers, name: &Name) -> Option<String> {
    headers.get_raw(name).next().map(|v| v.trim().to_owned())
}

/// A decimal `u32` of at most 10 digits; larger values saturate to `u32::MAX` (delta-seconds).
fn parse_u32(text: &str) -> Option<u32> {
    let digits = text.trim();
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        digits
            .parse::<u64>()
            .map_or(u32::MAX, |v| v.min(u32::MAX as u64) as u32),
    )
}

/// Splits `value;p1=v1;p2` into the main value and lower-cased parameter names with values.
fn split_params(value: &str) -> (&str, Vec<(String, Option<&str>)>) {
    let mut parts = value.split(';');
    let main = parts.next().unwrap_or("").trim();
    let params = parts
        .take(16)
        .filter_map(|p| {
            let p = p.trim();
            if p.is_empty() {
                return None;
            }
            Some(match p.split_once('=') {
                Some((n, v)) => (
                    n.trim().to_ascii_lowercase(),
                    Some(v.trim().trim_matches('"')),
                ),
                None => (p.to_ascii_lowercase(), None),
            })
        })
        .collect();
    (main, params)
}

fn param<'a>(params: &'a [(String, Option<&'a str>)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v)
}

impl Head {
    /// The first value of a header, by name (compact forms included), trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        first_raw(&self.headers, &Name::from(name.to_owned()))
    }

    /// All values of a header, in order.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .get_raw(&Name::from(name.to_owned()))
            .map(|v| v.to_string())
            .collect()
    }

    /// `Expires`.
    pub fn expires(&self) -> Option<u32> {
        first_raw(&self.headers, &Name::EXPIRES).and_then(|v| parse_u32(&v))
    }

    /// `Min-Expires`.
    pub fn min_expires(&self) -> Option<u32> {
        first_raw(&self.headers, &Name::MIN_EXPIRES).and_then(|v| parse_u32(&v))
    }

    /// `Retry-After` seconds (comment and parameters ignored).
    pub fn retry_after(&self) -> Option<u32> {
        let value = first_raw(&self.headers, &Name::RETRY_AFTER)?;
        let end = value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len());
        parse_u32(&value[..end])
    }

    /// `Content-Type` media type, lower case, without parameters.
    pub fn content_type(&self) -> Option<String> {
        let value = first_raw(&self.headers, &Name::CONTENT_TYPE)?;
        let (main, _) = split_params(&value);
        Some(main.to_ascii_lowercase())
    }

    /// `Event`.
    pub fn event(&self) -> Option<EventHeader> {
        let value = first_raw(&self.headers, &Name::EVENT)?;
        let (main, params) = split_params(&value);
        if main.is_empty() {
            return None;
        }
        Some(EventHeader {
            package: main.to_ascii_lowercase(),
            id: param(&params, "id").map(str::to_owned),
        })
    }

    /// `Subscription-State`; `None` when absent or unreadable.
    pub fn subscription_state(&self) -> Option<SubscriptionState> {
        let value = first_raw(&self.headers, &Name::SUBSCRIPTION_STATE)?;
        let (main, params) = split_params(&value);
        let state = match main.to_ascii_lowercase().as_str() {
            "active" => SubState::Active,
            "pending" => SubState::Pending,
            "terminated" => SubState::Terminated,
            "" => return None,
            other => SubState::Other(other.chars().take(32).collect()),
        };
        Some(SubscriptionState {
            state,
            reason: param(&params, "reason").map(|r| r.to_ascii_lowercase()),
            expires: param(&params, "expires").and_then(parse_u32),
            retry_after: param(&params, "retry-after").and_then(parse_u32),
        })
    }

    /// `Contact` entries (at most [`MAX_CONTACTS`]); empty when absent, `*` or unreadable.
    pub fn contacts(&self) -> Vec<ContactEntry> {
        match self.headers.get_named::<Vec<EzkContact>>() {
            Ok(contacts) => contacts
                .into_iter()
                .take(MAX_CONTACTS)
                .map(|c| ContactEntry {
                    uri: c.uri.uri.default_print_ctx().to_string(),
                    expires: c.params.get_val("expires").and_then(|v| parse_u32(v)),
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Removes line breaks so a value can never start a new header.
fn sanitize(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

/// Builds a request or a response.
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    start: String,
    headers: String,
    body: Vec<u8>,
}

impl MessageBuilder {
    /// Starts a request.
    pub fn request(method: &Method, uri: &str) -> Self {
        Self {
            start: format!("{} {} SIP/2.0", method, sanitize(uri)),
            headers: String::new(),
            body: Vec::new(),
        }
    }

    /// Starts a response.
    pub fn response(status: u16, reason: &str) -> Self {
        Self {
            start: format!("SIP/2.0 {} {}", status, sanitize(reason)),
            headers: String::new(),
            body: Vec::new(),
        }
    }

    /// Starts a response to `request`: copies `Via` (all, in order), `From`, `To` (adding
    /// `to_tag` when the request's `To` has none), `Call-ID` and `CSeq`.
    pub fn response_to(request: &Request, status: u16, reason: &str, to_tag: Option<&str>) -> Self {
        let mut b = Self::response(status, reason);
        let h = &request.head.headers;
        for via in h.get_raw(&Name::VIA) {
            b = b.header("Via", via);
        }
        for (name, label) in [(Name::FROM, "From")] {
            if let Some(v) = first_raw(h, &name) {
                b = b.header(label, &v);
            }
        }
        if let Some(to) = first_raw(h, &Name::TO) {
            match (request.head.to.tag.is_none(), to_tag) {
                (true, Some(tag)) => b = b.header("To", &format!("{to};tag={tag}")),
                _ => b = b.header("To", &to),
            }
        }
        b = b.header("Call-ID", &request.head.call_id);
        b.header(
            "CSeq",
            &format!("{} {}", request.head.cseq.seq, request.head.cseq.method),
        )
    }

    /// Appends a header line (line breaks in `value` are replaced by spaces).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let _ = write!(self.headers, "{}: {}\r\n", sanitize(name), sanitize(value));
        self
    }

    /// Sets the body and its `Content-Type`.
    pub fn body(mut self, content_type: &str, body: &[u8]) -> Self {
        self = self.header("Content-Type", content_type);
        self.body = body.to_vec();
        self
    }

    /// Serializes the message, adding `Content-Length`.
    pub fn build(self) -> Vec<u8> {
        let mut out = String::with_capacity(self.start.len() + self.headers.len() + 32);
        out.push_str(&self.start);
        out.push_str("\r\n");
        out.push_str(&self.headers);
        let _ = write!(out, "Content-Length: {}\r\n\r\n", self.body.len());
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

#[cfg(test)]
mod tests;
