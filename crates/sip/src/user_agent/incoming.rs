//! What arrives from the network: responses go to the client machine that owns them;
//! requests get a server transaction (retransmissions answered from it), OPTIONS and
//! refusals are answered here, and a NOTIFY goes to its subscription or, out of any dialog,
//! is judged as unsolicited MWI.

use super::pump::drain_subscription;
use super::{AccountId, Event, MAX_SERVER_TRANSACTIONS, Source, Transmit, UserAgent, push_bounded};
use crate::config::{AccountConfig, Transport};
use crate::message::{self, Message, MessageBuilder, Method, Request, Response};
use crate::message_summary::{self, SummaryBody, SummaryError};
use crate::transaction::ServerTransaction;
use crate::unsolicited::{self, Verdict};
use std::net::SocketAddr;
use std::time::Instant;

/// RFC 3261 §17.2.3 matching, extended by Call-ID and CSeq so that requests with an RFC 2543
/// (non-unique) branch are never taken for retransmissions of each other.
type ServerKey = (String, String, Method, String, u32);

#[derive(Debug)]
pub(super) struct ServerEntry {
    key: ServerKey,
    destination: SocketAddr,
    transport: Transport,
    pub(super) tx: ServerTransaction,
}

impl UserAgent {
    pub(super) fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        bytes: &[u8],
    ) {
        if message::is_keepalive(bytes) {
            return;
        }
        tracing::debug!(%from, "sip recv\n{}", message::redact(bytes));
        match Message::parse(bytes) {
            Ok(Message::Response(response)) => self.handle_response(now, &response),
            Ok(Message::Request(request)) => self.handle_request(now, from, transport, request),
            Err(error) => push_bounded(&mut self.events, Event::InvalidMessage { from, error }),
        }
    }

    fn handle_response(&mut self, now: Instant, response: &Response) {
        if response.head.vias.len() != 1 {
            // Not for a user agent (RFC 3261 §8.1.3.3).
            return;
        }
        if self.call_response(now, response) {
            return;
        }
        for account in &mut self.accounts {
            if account.keepalive.owns(response) {
                account.keepalive.handle_response(now, response);
                return;
            }
            if account.registration.owns(response) {
                account
                    .registration
                    .handle_response(now, response, &mut self.rng);
                return;
            }
            for sub in &mut account.subscriptions {
                if sub.owns(response) {
                    sub.handle_response(now, response, &mut self.rng);
                    return;
                }
            }
        }
        // A stray response: dropped (RFC 3261 §8.1.3.3).
    }

    fn handle_request(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        request: Request,
    ) {
        let Some(via) = request.head.vias.first() else {
            return;
        };
        if request.method == Method::Other("ACK".into()) {
            // An ACK is never answered: it goes to its call, or nowhere.
            self.call_request(now, from, transport, &request);
            return;
        }
        let key: ServerKey = (
            via.branch.clone().unwrap_or_default(),
            format!("{}:{}", via.host, via.port.unwrap_or(0)),
            request.method.clone(),
            request.head.call_id.clone(),
            request.head.cseq.seq,
        );
        if let Some(entry) = self.server_txs.iter_mut().find(|e| e.key == key) {
            entry.tx.handle_retransmission();
            if let Some(payload) = entry.tx.poll_transmit() {
                push_bounded(
                    &mut self.transmits,
                    Transmit {
                        destination: entry.destination,
                        transport: entry.transport,
                        payload,
                    },
                );
            }
            return;
        }
        if self.call_request(now, from, transport, &request) {
            return;
        }
        // The answer goes back the way the request came (the source address, on the transport
        // or connection it arrived on), whatever its Via claims.
        let (status, extra) = self.process_request(now, from, transport, &request);
        let mut builder = MessageBuilder::response_to(
            &request,
            status,
            reason_phrase(status),
            Some(&self.local_tag),
        );
        for (name, value) in extra {
            builder = builder.header(name, value);
        }
        self.remember_answer(now, from, transport, &request, status, builder.build());
    }

    /// Answers `request` with `bytes` through a server transaction that answers its copies.
    pub(super) fn remember_answer(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        request: &Request,
        status: u16,
        bytes: Vec<u8>,
    ) {
        let Some(via) = request.head.vias.first() else {
            return;
        };
        let key: ServerKey = (
            via.branch.clone().unwrap_or_default(),
            format!("{}:{}", via.host, via.port.unwrap_or(0)),
            request.method.clone(),
            request.head.call_id.clone(),
            request.head.cseq.seq,
        );
        let mut tx = ServerTransaction::new(transport.is_reliable(), self.config.timers);
        tx.respond(now, status, bytes);
        if let Some(payload) = tx.poll_transmit() {
            push_bounded(
                &mut self.transmits,
                Transmit {
                    destination: from,
                    transport,
                    payload,
                },
            );
        }
        if !tx.is_terminated() {
            if self.server_txs.len() >= MAX_SERVER_TRANSACTIONS {
                self.server_txs.remove(0);
            }
            self.server_txs.push(ServerEntry {
                key,
                destination: from,
                transport,
                tx,
            });
        }
    }

    /// Decides the answer to a new request.
    fn process_request(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        request: &Request,
    ) -> (u16, Vec<(&'static str, &'static str)>) {
        let rings = self
            .accounts
            .iter()
            .any(|a| a.config.incoming_calls == crate::config::IncomingCalls::Ring);
        let allow = if rings {
            crate::call::ALLOW
        } else {
            crate::request::ALLOW_NO_CALLS
        };
        match request.method {
            Method::Options => (
                200,
                vec![("Allow", allow), ("Accept", message_summary::CONTENT_TYPE)],
            ),
            Method::Notify => (
                self.handle_notify(now, from, transport, request),
                Vec::new(),
            ),
            // Calls forked to this registration while its account takes no calls: the most
            // neutral refusal, so that the caller hears the answer of the user's phones rather
            // than ours.
            Method::Other(ref m) if m == "INVITE" && request.head.to.tag.is_none() => {
                (480, Vec::new())
            }
            // Inside a dialog we do not have (any more), or a CANCEL for nothing ringing here.
            Method::Other(ref m)
                if m == "CANCEL"
                    || (request.head.to.tag.is_some()
                        && ["INVITE", "BYE", "INFO", "UPDATE", "PRACK"].contains(&m.as_str())) =>
            {
                (481, Vec::new())
            }
            _ => (405, vec![("Allow", allow)]),
        }
    }

    fn handle_notify(
        &mut self,
        now: Instant,
        from: SocketAddr,
        transport: Transport,
        request: &Request,
    ) -> u16 {
        for (i, account) in self.accounts.iter_mut().enumerate() {
            if let Some(sub) = account
                .subscriptions
                .iter_mut()
                .find(|s| s.matches_notify(request))
            {
                let status = sub.handle_notify(now, request, &mut self.rng);
                let mailbox = sub.mailbox().to_owned();
                drain_subscription(&mut self.events, AccountId(i), &mailbox, sub, now);
                return status;
            }
        }
        // Not in any of our dialogs: unsolicited MWI, or a stale dialog.
        // A subscribe-only account has no registration: its trust setting alone decides.
        let registered: Vec<bool> = self
            .accounts
            .iter()
            .map(|a| a.registration.is_registered() || !a.config.register)
            .collect();
        let configs: Vec<&AccountConfig> = self.accounts.iter().map(|a| &a.config).collect();
        match unsolicited::judge(request, transport, from, &configs, &registered) {
            Verdict::Reject(status) => status,
            Verdict::Accept(index) => {
                let account = AccountId(index);
                let parsed = match request.head.content_type() {
                    Some(t) if t != message_summary::CONTENT_TYPE => Err(
                        SummaryError::UnexpectedContentType(t.chars().take(64).collect()),
                    ),
                    _ => message_summary::parse(&request.body),
                };
                match parsed {
                    Ok(summary) => {
                        let mailbox_uri = unsolicited::mailbox_for(
                            &self.accounts[index].config,
                            match &summary {
                                SummaryBody::Summary(s) => s.account.as_deref(),
                                SummaryBody::NoInformation => None,
                            },
                        );
                        push_bounded(
                            &mut self.events,
                            Event::Mailbox {
                                account,
                                mailbox_uri,
                                summary,
                                source: Source::Unsolicited,
                                at: now,
                            },
                        );
                        200
                    }
                    Err(error) => {
                        push_bounded(
                            &mut self.events,
                            Event::BodyError {
                                account: Some(account),
                                mailbox_uri: None,
                                error,
                            },
                        );
                        400
                    }
                }
            }
        }
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        489 => "Bad Event",
        _ => "Error",
    }
}
