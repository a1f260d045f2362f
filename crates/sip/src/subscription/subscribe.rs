//! The SUBSCRIBE requests of a subscription (initial, refresh within the dialog, `Expires: 0`)
//! and the route set they follow.

use super::{EVENT, MAX_ROUTES, Pending, Purpose, Subscription, SubscriptionState};
use crate::ids;
use crate::message::{MessageBuilder, Method};
use crate::message_summary;
use crate::request::{RequestIds, angle, loose_route, start};
use crate::transaction::ClientTransaction;
use rand_core::RngCore;
use std::time::Instant;

impl Subscription {
    pub(super) fn new_subscription(&mut self, now: Instant, rng: &mut dyn RngCore) {
        self.call_id = ids::call_id(rng);
        self.local_tag = ids::tag(rng);
        self.dialog = None;
        self.got_notify = false;
        self.started_at = Some(now);
        self.state = SubscriptionState::Subscribing;
        self.send(now, Purpose::Initial, rng);
    }

    pub(super) fn send(&mut self, now: Instant, purpose: Purpose, rng: &mut dyn RngCore) {
        self.cseq = self.cseq.wrapping_add(1).max(1);
        self.subscribes_sent += 1;
        let branch = ids::branch(rng);
        let from = format!("{};tag={}", angle(&self.aor), self.local_tag);
        let (uri, to, routes) = match &self.dialog {
            Some(d) => (
                d.remote_target.clone(),
                format!("{};tag={}", angle(&self.mailbox), d.remote_tag),
                d.routes.clone(),
            ),
            None => (
                self.mailbox.clone(),
                angle(&self.mailbox),
                self.settings
                    .outbound_proxy
                    .as_deref()
                    .map(loose_route)
                    .into_iter()
                    .collect(),
            ),
        };
        let ids = RequestIds {
            method: Method::Subscribe,
            uri: &uri,
            branch: &branch,
            from: &from,
            to: &to,
            call_id: &self.call_id,
            cseq: self.cseq,
        };
        let mut b: MessageBuilder = start(&ids, &self.flow, &self.settings.user_agent);
        for route in &routes {
            b = b.header("Route", route);
        }
        let expires = if purpose == Purpose::Unsubscribe {
            0
        } else {
            self.requested
        };
        b = b
            .header("Contact", &angle(&self.contact))
            .header("Event", EVENT)
            .header("Accept", message_summary::CONTENT_TYPE)
            .header("Expires", &expires.to_string());
        if let Some(auth) = self.auth.as_mut() {
            for (name, value) in auth.authorize(&Method::Subscribe, &uri, b"", rng) {
                b = b.header(name, &value);
            }
        }
        let tx = ClientTransaction::new(
            now,
            b.build(),
            self.flow.transport.is_reliable(),
            self.settings.timers,
        );
        self.pending = Some(Pending {
            branch,
            purpose,
            tx,
        });
    }
}

/// Splits `Record-Route` values into entries (commas inside `<...>` or quotes kept).
pub(super) fn route_list(values: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for value in values {
        let mut depth = false;
        let mut quoted = false;
        let mut current = String::new();
        for c in value.chars() {
            match c {
                '"' => quoted = !quoted,
                '<' if !quoted => depth = true,
                '>' if !quoted => depth = false,
                ',' if !depth && !quoted => {
                    if !current.trim().is_empty() {
                        out.push(current.trim().to_owned());
                    }
                    current.clear();
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        if !current.trim().is_empty() {
            out.push(current.trim().to_owned());
        }
        if out.len() > MAX_ROUTES {
            break;
        }
    }
    out
}
