//! Writing messages: [`MessageBuilder`] serializes requests and responses (CRLF line ends,
//! `Content-Length` always present, line breaks in values replaced).

use super::parse::first_raw;
use super::{Method, Request};
use ezk_sip_types::Name;
use std::fmt::Write as _;

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
