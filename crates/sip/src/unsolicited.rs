//! Unsolicited MWI: out-of-dialog NOTIFY with `Event: message-summary` as sent by Asterisk
//! (`mailboxes=` on a PJSIP endpoint), carriers and hosted PBXs to a registered Contact.
//!
//! A NOTIFY is accepted when its Request-URI user or `To` user matches a registered account
//! and its source is trusted by that account's [`UnsolicitedTrust`]. When several accounts
//! have that user (extension 100 on two PBXs), the one whose flow it arrived on takes it (the
//! `To` host decides between tenants of one server); from
//! elsewhere, only an account trusting any source whose domain the `To` names (or the only
//! such account) — several left is `481`, never a guess. Trust: by default only the
//! account's flow, the same transport (the account's connection for TCP/TLS) and the same
//! address as its registrar or outbound proxy — a UDP datagram that claims the address of a TLS
//! registrar is not its flow. Otherwise: `489` for another event
//! package, `481` when it carries a To tag (a dialog that is not ours, e.g. a subscription we
//! replaced) or no registered account matches, `403` for an untrusted source.

use crate::config::{AccountConfig, Transport, UnsolicitedTrust};
use crate::message::Request;
use crate::subscription::EVENT;
use std::net::SocketAddr;

/// The decision about an out-of-dialog NOTIFY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted for the account at this index.
    Accept(usize),
    /// Rejected with this status.
    Reject(u16),
}

/// `(user, host)` of a `sip:`/`sips:` URI (parameters and headers dropped).
pub fn user_host(uri: &str) -> (Option<String>, String) {
    let uri = uri.trim().trim_start_matches('<').trim_end_matches('>');
    let rest = uri
        .strip_prefix("sips:")
        .or_else(|| uri.strip_prefix("sip:"))
        .unwrap_or(uri);
    let end = rest.find([';', '?']).unwrap_or(rest.len());
    let rest = &rest[..end];
    match rest.rsplit_once('@') {
        Some((user, host)) => (Some(user.to_owned()), host.to_ascii_lowercase()),
        None => (None, rest.to_ascii_lowercase()),
    }
}

fn host_only(host_port: &str) -> &str {
    if host_port.starts_with('[') {
        return host_port.split(']').next().map_or(host_port, |h| &h[1..]);
    }
    host_port.split(':').next().unwrap_or(host_port)
}

/// Which mailbox an unsolicited summary is about: the configured mailbox that its
/// `Message-Account` names (same user and host), else the account's AOR. Servers fill
/// `Message-Account` inconsistently (Asterisk often sends `sip:asterisk@<its address>`), so it
/// is only trusted when it matches something configured.
pub fn mailbox_for(account: &AccountConfig, message_account: Option<&str>) -> String {
    message_account
        .and_then(|named| {
            account
                .mailboxes
                .iter()
                .find(|m| crate::config::same_contact(m, named))
        })
        .cloned()
        .unwrap_or_else(|| account.aor.clone())
}

/// Judges an out-of-dialog NOTIFY that arrived from `from` over `transport` against the
/// accounts (with their registration status in `registered`, same order).
pub fn judge(
    request: &Request,
    transport: Transport,
    from: SocketAddr,
    accounts: &[&AccountConfig],
    registered: &[bool],
) -> Verdict {
    if request.head.event().is_none_or(|e| e.package != EVENT) {
        return Verdict::Reject(489);
    }
    // A To tag means a dialog, and it is none of ours (any more): 481 lets the server drop
    // an old subscription instead of keeping it alive beside the new one.
    if request.head.to.tag.is_some() {
        return Verdict::Reject(481);
    }
    let to_user = request.head.to.user.as_deref();
    let to_host = request.head.to.host.to_ascii_lowercase();
    let uri_user = request.uri_user.as_deref();
    // Every registered account the NOTIFY may be for, by its user part.
    let candidates: Vec<(usize, &AccountConfig)> = accounts
        .iter()
        .enumerate()
        .filter(|(i, account)| {
            if !registered.get(*i).copied().unwrap_or(false) {
                return false;
            }
            let (aor_user, aor_host) = user_host(&account.aor);
            let by_uri = uri_user.is_some()
                && (uri_user == Some(account.contact_user.as_str())
                    || uri_user == aor_user.as_deref());
            let by_to = to_user.is_some()
                && to_user == aor_user.as_deref()
                && host_only(&to_host) == host_only(&aor_host);
            by_uri || by_to
        })
        .map(|(i, account)| (i, *account))
        .collect();
    if candidates.is_empty() {
        return Verdict::Reject(481);
    }
    // The same extension on two servers: the flow it arrived on says which one sent it.
    let on_flow = |account: &AccountConfig| {
        transport == account.flow.transport && from == account.flow.remote
    };
    let names_host =
        |account: &AccountConfig| host_only(&user_host(&account.aor).1) == host_only(&to_host);
    let flow: Vec<(usize, &AccountConfig)> = candidates
        .iter()
        .copied()
        .filter(|(_, a)| on_flow(a))
        .collect();
    // Several on one flow (tenants of one hosted PBX): the To host says which.
    let flow_host: Vec<(usize, &AccountConfig)> = flow
        .iter()
        .copied()
        .filter(|(_, a)| names_host(a))
        .collect();
    let chosen = match (flow.as_slice(), flow_host.as_slice()) {
        ([], _) => None,
        ([only], _) | (_, [only]) => Some(*only),
        _ => return Verdict::Reject(481),
    };
    if let Some((index, account)) = chosen {
        return match account.unsolicited {
            UnsolicitedTrust::Never => Verdict::Reject(403),
            UnsolicitedTrust::FlowOnly | UnsolicitedTrust::AnySource => Verdict::Accept(index),
        };
    }
    // From elsewhere: only an account that trusts any source may take it, and only when the
    // NOTIFY names which one (the To host is its domain, or it is the only one left).
    let open: Vec<(usize, &AccountConfig)> = candidates
        .iter()
        .copied()
        .filter(|(_, a)| a.unsolicited == UnsolicitedTrust::AnySource)
        .collect();
    let by_host: Vec<usize> = open
        .iter()
        .filter(|(_, a)| names_host(a))
        .map(|(i, _)| *i)
        .collect();
    match (open.as_slice(), by_host.as_slice()) {
        ([], _) => Verdict::Reject(403),
        (_, [index]) | ([(index, _)], []) => Verdict::Accept(*index),
        // Several accounts it may be for, and nothing says which: lighting one would be a
        // guess.
        _ => Verdict::Reject(481),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_of_an_unsolicited_summary() {
        let flow = crate::config::Flow {
            transport: crate::config::Transport::Udp,
            local: "192.0.2.10:5060".parse().expect("addr"),
            remote: "203.0.113.5:5060".parse().expect("addr"),
        };
        let mut a = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
        a.mailboxes.push("sip:support@example.com".into());
        assert_eq!(mailbox_for(&a, None), "sip:alice@example.com");
        assert_eq!(
            mailbox_for(&a, Some("sip:asterisk@203.0.113.5")),
            "sip:alice@example.com"
        );
        assert_eq!(
            mailbox_for(&a, Some("<sip:support@EXAMPLE.com>")),
            "sip:support@example.com"
        );
    }

    #[test]
    fn user_and_host_of_uris() {
        assert_eq!(
            user_host("<sip:alice@Example.com:5060;transport=tcp>"),
            (Some("alice".into()), "example.com:5060".into())
        );
        assert_eq!(
            user_host("sips:pbx.example.com"),
            (None, "pbx.example.com".into())
        );
        assert_eq!(host_only("[2001:db8::1]:5060"), "2001:db8::1");
        assert_eq!(host_only("example.com:5060"), "example.com");
    }
}
