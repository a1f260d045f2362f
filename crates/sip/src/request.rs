//! The parts of an outgoing request that every client (registration, subscription, OPTIONS)
//! builds the same way: Via with `rport`, Max-Forwards, From/To, Call-ID, CSeq, User-Agent,
//! Allow.

use crate::config::{Flow, host_port};
use crate::message::{MessageBuilder, Method, Response};

/// Identity of a request within its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestIds<'a> {
    pub method: Method,
    pub uri: &'a str,
    pub branch: &'a str,
    /// Full `From` value (with tag).
    pub from: &'a str,
    /// Full `To` value (with tag when in a dialog).
    pub to: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
}

/// What a user agent that takes no calls answers.
pub(crate) const ALLOW_NO_CALLS: &str = "NOTIFY, OPTIONS";

/// Starts a request with the headers every request carries.
pub(crate) fn start(ids: &RequestIds<'_>, flow: &Flow, user_agent: &str) -> MessageBuilder {
    start_allowing(ids, flow, user_agent, ALLOW_NO_CALLS)
}

/// [`start`] with the methods this user agent answers for the account (`Allow`).
pub(crate) fn start_allowing(
    ids: &RequestIds<'_>,
    flow: &Flow,
    user_agent: &str,
    allow: &str,
) -> MessageBuilder {
    MessageBuilder::request(&ids.method, ids.uri)
        .header(
            "Via",
            &format!(
                "SIP/2.0/{} {};branch={};rport",
                flow.transport.via_token(),
                host_port(flow.local),
                ids.branch
            ),
        )
        .header("Max-Forwards", "70")
        .header("From", ids.from)
        .header("To", ids.to)
        .header("Call-ID", ids.call_id)
        .header("CSeq", &format!("{} {}", ids.cseq, ids.method))
        .header("User-Agent", user_agent)
        // What this user agent answers (RFC 3261 §20.5): a registrar may use it to avoid
        // forking calls here.
        .header("Allow", allow)
}

/// Whether `response` belongs to the client transaction with `branch` and `method`.
pub(crate) fn response_matches(response: &Response, branch: &str, method: &Method) -> bool {
    response.head.vias.first().and_then(|v| v.branch.as_deref()) == Some(branch)
        && &response.head.cseq.method == method
}

/// `<uri>` unless already in angle brackets.
pub(crate) fn angle(uri: &str) -> String {
    if uri.starts_with('<') {
        uri.to_owned()
    } else {
        format!("<{uri}>")
    }
}

/// A `Route` value for an outbound proxy: `<uri;lr>` (loose routing, RFC 3261 §16.12).
pub(crate) fn loose_route(uri: &str) -> String {
    let uri = uri.trim().trim_start_matches('<').trim_end_matches('>');
    let has_lr = uri.split(';').skip(1).any(|p| {
        p.trim().eq_ignore_ascii_case("lr") || p.trim().to_ascii_lowercase().starts_with("lr=")
    });
    if has_lr {
        format!("<{uri}>")
    } else {
        format!("<{uri};lr>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_routes() {
        assert_eq!(loose_route("sip:p.example.com"), "<sip:p.example.com;lr>");
        assert_eq!(
            loose_route("<sip:p.example.com;lr>"),
            "<sip:p.example.com;lr>"
        );
        assert_eq!(
            loose_route("sip:p.example.com;transport=tcp"),
            "<sip:p.example.com;transport=tcp;lr>"
        );
    }
}
