//! Pumping the account machines: their transmits and events move into the user agent's
//! queues, and what one machine reports drives the others (registered: subscriptions start
//! a few at a time or are refreshed; a keepalive sees a new NAT mapping or no answer:
//! register again).

use super::{
    Account, AccountId, Event, MAX_STARTING_SUBSCRIPTIONS, RegistrationStatus, Source, Transmit,
    UserAgent, push_bounded,
};
use crate::config::UaConfig;
use crate::keepalive::KeepaliveOutcome;
use crate::registration::RegistrationEvent;
use crate::subscription::{
    StaleReason, Subscription, SubscriptionEvent, SubscriptionSettings, SubscriptionState,
};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

impl UserAgent {
    /// Moves transmits and events out of every machine and reacts to registration changes,
    /// until nothing changes.
    pub(super) fn pump(&mut self, now: Instant) {
        self.drain_calls(now);
        self.start_waiting_subscriptions(now);
        self.continue_shutdown(now);
        for _ in 0..8 {
            let mut changed = false;
            let any_registered = self.accounts.iter().any(|a| a.registration.is_registered());
            for i in 0..self.accounts.len() {
                let account = &mut self.accounts[i];
                account.registration.set_some_flow_ok(any_registered);
                let flow = account.config.flow;
                while let Some(outcome) = account.keepalive.poll_outcome() {
                    on_keepalive_outcome(account, outcome, now, &mut self.rng);
                }
                while let Some(payload) = account.keepalive.poll_transmit() {
                    push_bounded(
                        &mut self.transmits,
                        Transmit {
                            destination: flow.remote,
                            transport: flow.transport,
                            payload,
                        },
                    );
                }
                while let Some(payload) = account.registration.poll_transmit() {
                    push_bounded(
                        &mut self.transmits,
                        Transmit {
                            destination: flow.remote,
                            transport: flow.transport,
                            payload,
                        },
                    );
                }
                while let Some(event) = account.registration.poll_event() {
                    changed = true;
                    on_registration_event(
                        &mut self.events,
                        account,
                        AccountId(i),
                        event,
                        now,
                        &self.config,
                        &mut self.rng,
                    );
                }
                for sub in &mut account.subscriptions {
                    sub.set_some_flow_ok(any_registered);
                    while let Some(payload) = sub.poll_transmit() {
                        push_bounded(
                            &mut self.transmits,
                            Transmit {
                                destination: flow.remote,
                                transport: flow.transport,
                                payload,
                            },
                        );
                    }
                    let mailbox = sub.mailbox().to_owned();
                    drain_subscription(&mut self.events, AccountId(i), &mailbox, sub, now);
                }
            }
            if !changed {
                break;
            }
            self.start_waiting_subscriptions(now);
            self.continue_shutdown(now);
        }
    }

    /// Removes the subscriptions of closing accounts, while fewer than
    /// [`MAX_STARTING_SUBSCRIPTIONS`] requests wait for an answer.
    fn continue_shutdown(&mut self, now: Instant) {
        if !self.accounts.iter().any(|a| a.closing) {
            return;
        }
        let mut in_flight = self
            .accounts
            .iter()
            .flat_map(|a| &a.subscriptions)
            .filter(|s| s.in_flight())
            .count();
        for account in self.accounts.iter_mut().filter(|a| a.closing) {
            for sub in &mut account.subscriptions {
                if matches!(
                    sub.state(),
                    SubscriptionState::Unsubscribing | SubscriptionState::Stopped
                ) {
                    continue;
                }
                if in_flight >= MAX_STARTING_SUBSCRIPTIONS {
                    return;
                }
                let was_in_flight = sub.in_flight();
                sub.shutdown(now, &mut self.rng);
                if sub.in_flight() && !was_in_flight {
                    in_flight += 1;
                }
            }
        }
    }

    /// Starts subscriptions that were created but not started yet, while fewer than
    /// [`MAX_STARTING_SUBSCRIPTIONS`] SUBSCRIBEs wait for an answer.
    fn start_waiting_subscriptions(&mut self, now: Instant) {
        let subscriptions = || self.accounts.iter().flat_map(|a| &a.subscriptions);
        if !subscriptions().any(|s| *s.state() == SubscriptionState::Idle) {
            return;
        }
        let mut in_flight = subscriptions().filter(|s| s.in_flight()).count();
        for account in self.accounts.iter_mut().filter(|a| !a.closing) {
            for sub in &mut account.subscriptions {
                if in_flight >= MAX_STARTING_SUBSCRIPTIONS {
                    return;
                }
                if *sub.state() == SubscriptionState::Idle {
                    sub.start(now, &mut self.rng);
                    in_flight += 1;
                }
            }
        }
    }
}

fn on_registration_event(
    events: &mut VecDeque<Event>,
    account: &mut Account,
    id: AccountId,
    event: RegistrationEvent,
    now: Instant,
    config: &UaConfig,
    rng: &mut ChaCha8Rng,
) {
    match event {
        RegistrationEvent::Registered {
            expires,
            contact,
            contact_changed,
        } => {
            push_bounded(
                events,
                Event::Registration {
                    account: id,
                    state: RegistrationStatus::Registered { expires },
                    reason: None,
                },
            );
            if account.closing {
                // A REGISTER answered while shutting down: nothing starts again.
                return;
            }
            account.keepalive.start(now);
            if !account.subscriptions_started {
                create_subscriptions(account, &contact, config, rng);
            } else if account.restart_subscriptions {
                for sub in &mut account.subscriptions {
                    sub.start_over(now, &contact, rng);
                }
            } else if contact_changed || account.refresh_subscriptions {
                for sub in &mut account.subscriptions {
                    if contact_changed {
                        sub.set_contact(now, &contact, rng);
                    } else {
                        sub.refresh(now, StaleReason::FlowChanged, rng);
                    }
                }
            }
            account.refresh_subscriptions = false;
            account.restart_subscriptions = false;
        }
        RegistrationEvent::Bindings(bindings) => push_bounded(
            events,
            Event::Bindings {
                account: id,
                bindings,
            },
        ),
        RegistrationEvent::Failed { reason, retry_in } => push_bounded(
            events,
            Event::Registration {
                account: id,
                state: RegistrationStatus::Failed { retry_in },
                reason: Some(reason),
            },
        ),
        RegistrationEvent::Unregistered => {
            account.keepalive.stop();
            push_bounded(
                events,
                Event::Registration {
                    account: id,
                    state: RegistrationStatus::Unregistered,
                    reason: None,
                },
            )
        }
    }
}

/// Creates one subscription per configured mailbox, with `contact` as Contact; the user agent
/// starts them a few at a time (see [`MAX_STARTING_SUBSCRIPTIONS`]).
pub(super) fn create_subscriptions(
    account: &mut Account,
    contact: &str,
    config: &UaConfig,
    rng: &mut ChaCha8Rng,
) {
    account.subscriptions_started = true;
    let settings = SubscriptionSettings {
        timers: config.timers,
        backoff: config.backoff,
        user_agent: config.user_agent.clone(),
        expires: account.config.subscribe_expires,
        outbound_proxy: account.config.outbound_proxy.clone(),
    };
    for mailbox in &account.config.mailboxes {
        account.subscriptions.push(Subscription::new(
            mailbox,
            &account.config.aor,
            account.config.flow,
            account.config.credentials.clone(),
            contact,
            settings.clone(),
            rng,
        ));
    }
}

/// How long a keepalive waits before it may force another re-registration.
pub const KEEPALIVE_REREGISTER_INTERVAL: Duration = Duration::from_secs(300);

/// A keepalive answer that shows a new NAT mapping, or no answer at all, registers again at
/// once (at most every [`KEEPALIVE_REREGISTER_INTERVAL`], and only while registered: a failed
/// registration waits for its backoff).
fn on_keepalive_outcome(
    account: &mut Account,
    outcome: KeepaliveOutcome,
    now: Instant,
    rng: &mut ChaCha8Rng,
) {
    let reregister = match outcome {
        KeepaliveOutcome::Alive { observed } => {
            observed.is_some_and(|seen| seen != account.registration.contact_addr())
        }
        KeepaliveOutcome::Dead => {
            account.refresh_subscriptions = account.subscriptions_started;
            true
        }
    };
    let allowed = account.registration.is_registered()
        && account
            .keepalive_reregistered_at
            .is_none_or(|t| now.saturating_duration_since(t) >= KEEPALIVE_REREGISTER_INTERVAL);
    if reregister && allowed {
        account.keepalive_reregistered_at = Some(now);
        let flow = account.config.flow;
        account.registration.set_flow(now, flow, rng);
    }
}

pub(super) fn drain_subscription(
    events: &mut VecDeque<Event>,
    account: AccountId,
    mailbox: &str,
    sub: &mut Subscription,
    now: Instant,
) {
    while let Some(event) = sub.poll_event() {
        let mailbox_uri = mailbox.to_owned();
        let out = match event {
            SubscriptionEvent::Summary(summary) => Event::Mailbox {
                account,
                mailbox_uri,
                summary,
                source: Source::Subscription,
                at: now,
            },
            SubscriptionEvent::BodyError(error) => Event::BodyError {
                account: Some(account),
                mailbox_uri: Some(mailbox_uri),
                error,
            },
            SubscriptionEvent::Stale(why) => Event::MailboxStale {
                account,
                mailbox_uri,
                why,
            },
            SubscriptionEvent::Failed { reason, retry_in } => Event::MailboxFailed {
                account,
                mailbox_uri,
                why: reason,
                retry_in,
            },
            SubscriptionEvent::Unsubscribed => continue,
        };
        push_bounded(events, out);
    }
}
