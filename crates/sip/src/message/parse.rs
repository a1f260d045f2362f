//! Reading messages: the bounded parser from bytes to [`Request`] and [`Response`] (start
//! line and the headers every message must have), the lenient readers that work around
//! `ezk-sip-types` (see the parent module), and the [`Head`] accessors for the headers read on
//! demand.

use super::{
    Address, CSeq, ContactEntry, EventHeader, Head, MAX_CONTACTS, MAX_HEADER_LINES,
    MAX_MESSAGE_LEN, MAX_VIAS, Message, Method, ParseError, Request, Response, SubState,
    SubscriptionState, Via,
};
use bytes::Bytes;
use ezk_sip_types::header::typed::{CSeq as EzkCSeq, CallID, Contact as EzkContact, FromTo};
use ezk_sip_types::msg::{Line, MessageLine, PullParser};
use ezk_sip_types::parse::Parse;
use ezk_sip_types::print::AppendCtx;
use ezk_sip_types::uri::{SipUri, SipUriUserPart};
use ezk_sip_types::{Headers, Name};

pub(super) fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
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
pub(crate) fn split_list(value: &str) -> Vec<String> {
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
pub(super) fn lenient_via(value: &str) -> Option<Via> {
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
pub(super) fn lenient_address(raw: &str) -> Option<Address> {
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

pub(super) fn first_raw(headers: &Headers, name: &Name) -> Option<String> {
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
