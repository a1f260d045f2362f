//! A dialog (RFC 3261 §12): Call-ID and both tags, our and the far end's `From`/`To` values,
//! the route set (from `Record-Route`: reversed for the caller, as is for the callee), the remote
//! target (the far end's `Contact`), our CSeq counter and the highest CSeq seen from the far end.
//! It builds requests inside the dialog.

use crate::config::{Flow, host_port};
use crate::message::{MessageBuilder, Method, Request, Response, split_list};
use crate::request::loose_route;

/// Most `Record-Route` entries kept.
pub(crate) const MAX_ROUTES: usize = 16;

#[derive(Debug, Clone)]
pub(crate) struct Dialog {
    pub call_id: String,
    pub remote_tag: String,
    /// Our side's header value with our tag (`From` in our requests).
    pub local: String,
    /// The far end's header value with its tag (`To` in our requests).
    pub remote: String,
    pub remote_target: String,
    pub route_set: Vec<String>,
    pub local_cseq: u32,
    pub remote_cseq: Option<u32>,
    /// The far end listed UPDATE in its `Allow`.
    pub peer_allows_update: bool,
}

/// `Record-Route` entries of a message, top first, bounded.
fn record_route(values: Vec<String>) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| split_list(v))
        .take(MAX_ROUTES)
        .collect()
}

fn allows_update(allow: Vec<String>) -> bool {
    allow
        .iter()
        .flat_map(|v| v.split(','))
        .any(|m| m.trim().eq_ignore_ascii_case("UPDATE"))
}

impl Dialog {
    /// The caller's dialog from a response with a To tag (RFC 3261 §12.1.2).
    pub(crate) fn from_response(
        response: &Response,
        local: &str,
        local_cseq: u32,
        request_uri: &str,
    ) -> Option<Self> {
        let remote_tag = response.head.to.tag.clone()?;
        let mut route_set = record_route(response.head.header_values("Record-Route"));
        route_set.reverse();
        let remote_target = response
            .head
            .contacts()
            .first()
            .map(|c| c.uri.clone())
            .unwrap_or_else(|| request_uri.to_owned());
        Some(Self {
            call_id: response.head.call_id.clone(),
            remote_tag,
            local: local.to_owned(),
            remote: response.head.header("To").unwrap_or_default(),
            remote_target,
            route_set,
            local_cseq,
            remote_cseq: None,
            peer_allows_update: allows_update(response.head.header_values("Allow")),
        })
    }

    /// The callee's dialog from an INVITE (RFC 3261 §12.1.1); `local_tag` is ours.
    pub(crate) fn from_request(request: &Request, local_tag: &str, local_cseq: u32) -> Self {
        let to = request.head.header("To").unwrap_or_default();
        let remote_target = request
            .head
            .contacts()
            .first()
            .map(|c| c.uri.clone())
            .unwrap_or_else(|| request.head.from.uri.clone());
        Self {
            call_id: request.head.call_id.clone(),
            remote_tag: request.head.from.tag.clone().unwrap_or_default(),
            local: format!("{to};tag={local_tag}"),
            remote: request.head.header("From").unwrap_or_default(),
            remote_target,
            route_set: record_route(request.head.header_values("Record-Route")),
            local_cseq,
            remote_cseq: Some(request.head.cseq.seq),
            peer_allows_update: allows_update(request.head.header_values("Allow")),
        }
    }

    /// A 2xx (or a later target refresh) updates the remote target and, for the caller, the
    /// route set of an early dialog.
    pub(crate) fn confirm_with(&mut self, response: &Response) {
        if let Some(contact) = response.head.contacts().first() {
            self.remote_target = contact.uri.clone();
        }
        let mut route_set = record_route(response.head.header_values("Record-Route"));
        route_set.reverse();
        self.route_set = route_set;
        self.remote = response.head.header("To").unwrap_or_default();
        if !response.head.header_values("Allow").is_empty() {
            self.peer_allows_update = allows_update(response.head.header_values("Allow"));
        }
    }

    /// Whether a request from the far end belongs to this dialog (Call-ID and both tags).
    pub(crate) fn matches_request(&self, request: &Request, local_tag: &str) -> bool {
        request.head.call_id == self.call_id
            && request.head.from.tag.as_deref() == Some(self.remote_tag.as_str())
            && request.head.to.tag.as_deref() == Some(local_tag)
    }

    /// The next CSeq number of ours.
    pub(crate) fn next_cseq(&mut self) -> u32 {
        self.local_cseq = self.local_cseq.saturating_add(1);
        self.local_cseq
    }

    /// A request within the dialog: Request-URI the remote target, `Route` the route set (an
    /// outbound proxy when the set is empty), our From, their To.
    pub(crate) fn request(
        &self,
        method: &Method,
        cseq: u32,
        branch: &str,
        flow: &Flow,
        outbound_proxy: Option<&str>,
    ) -> MessageBuilder {
        let mut b = MessageBuilder::request(method, &self.remote_target)
            .header(
                "Via",
                &format!(
                    "SIP/2.0/{} {};branch={branch};rport",
                    flow.transport.via_token(),
                    host_port(flow.local)
                ),
            )
            .header("Max-Forwards", "70")
            .header("From", &self.local)
            .header("To", &self.remote)
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{cseq} {method}"));
        if self.route_set.is_empty() {
            if let Some(proxy) = outbound_proxy {
                b = b.header("Route", &loose_route(proxy));
            }
        } else {
            for route in &self.route_set {
                b = b.header("Route", route);
            }
        }
        b
    }
}
