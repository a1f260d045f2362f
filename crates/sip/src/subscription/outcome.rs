//! How a subscription takes what ends a request or a dialog: final responses to SUBSCRIBE
//! (digest challenges, `423`, `481`, failures), `Subscription-State: terminated`, and the
//! failure, backoff, retry and stop that follow.

use super::subscribe::route_list;
use super::{
    Dialog, IMMEDIATE_RESTART_SPACING, MAX_ROUTES, MIN_HEALTHY, Purpose, StaleReason, Subscription,
    SubscriptionEvent, SubscriptionFailure, SubscriptionState,
};
use crate::auth::AuthError;
use crate::message::Response;
use crate::registration::{MAX_EXPIRES, MAX_INTERVAL_STEPS_IN_A_ROW, refresh_delay};
use rand_core::RngCore;
use std::time::{Duration, Instant};

impl Subscription {
    pub(super) fn on_final(
        &mut self,
        now: Instant,
        purpose: Purpose,
        response: &Response,
        rng: &mut dyn RngCore,
    ) {
        let status = response.status;
        if status == 401 || status == 407 {
            let result = match self.auth.as_mut() {
                Some(auth) => auth.handle_challenge(response),
                None => Err(AuthError::NoChallenge),
            };
            return match result {
                Ok(()) => self.send(now, purpose, rng),
                Err(AuthError::WrongCredentials) => {
                    self.end_failed(purpose, SubscriptionFailure::WrongCredentials)
                }
                Err(e) => self.finish(
                    now,
                    purpose,
                    SubscriptionFailure::AuthUnsupported(e.to_string()),
                    None,
                    rng,
                ),
            };
        }
        if let Some(auth) = self.auth.as_mut() {
            auth.on_accepted();
        }
        if purpose == Purpose::Unsubscribe {
            return self.stopped();
        }
        match status {
            200..=299 => {
                self.interval_steps = 0;
                let tag = response.head.to.tag.clone();
                if self.dialog.is_none() {
                    let Some(remote_tag) = tag else {
                        return self.fail(
                            now,
                            SubscriptionFailure::Status {
                                status,
                                reason: "2xx without To tag".into(),
                            },
                            None,
                            rng,
                        );
                    };
                    let mut routes = route_list(&response.head.header_values("Record-Route"));
                    routes.reverse();
                    routes.truncate(MAX_ROUTES);
                    self.dialog = Some(Dialog {
                        remote_tag,
                        remote_target: response
                            .head
                            .contacts()
                            .first()
                            .map(|c| c.uri.clone())
                            .unwrap_or_else(|| self.mailbox.clone()),
                        routes,
                        remote_cseq: None,
                    });
                }
                // A notifier may shorten the expiry, never lengthen it (RFC 6665 §4.2.1.1).
                let granted = response
                    .head
                    .expires()
                    .unwrap_or(self.requested)
                    .min(self.requested);
                if granted == 0 {
                    return self.on_terminated(now, Some("timeout".into()), None, rng);
                }
                self.refresh_at = Some(now + refresh_delay(granted, rng));
                if !self.got_notify {
                    self.notify_deadline = Some(now + self.settings.timers.timeout());
                }
                if self.state != SubscriptionState::Active {
                    self.state = SubscriptionState::Subscribing;
                }
            }
            423 => match response.head.min_expires() {
                Some(min) if min > self.requested && min <= MAX_EXPIRES => {
                    self.requested = min;
                    if self.interval_steps < MAX_INTERVAL_STEPS_IN_A_ROW {
                        self.interval_steps += 1;
                        self.send(now, purpose, rng);
                    } else {
                        self.interval_steps = 0;
                        let reason = SubscriptionFailure::from_status(status, &response.reason);
                        self.fail(now, reason, None, rng);
                    }
                }
                _ => self.fail(now, SubscriptionFailure::IntervalTooBrief, None, rng),
            },
            481 if purpose == Purpose::Refresh => {
                self.events
                    .push_back(SubscriptionEvent::Stale(StaleReason::SubscriptionGone));
                self.restart_after_end(now, rng);
            }
            _ => {
                let reason = SubscriptionFailure::from_status(status, &response.reason);
                let retry_after = response
                    .head
                    .retry_after()
                    .map(|s| Duration::from_secs(s.into()));
                if purpose == Purpose::Refresh {
                    self.events
                        .push_back(SubscriptionEvent::Stale(StaleReason::RefreshFailed));
                }
                self.fail(now, reason, retry_after, rng);
            }
        }
    }

    pub(super) fn on_terminated(
        &mut self,
        now: Instant,
        reason: Option<String>,
        retry_after: Option<u32>,
        rng: &mut dyn RngCore,
    ) {
        let reason = reason.unwrap_or_else(|| "none".into());
        self.pending = None;
        self.refresh_at = None;
        self.notify_deadline = None;
        match reason.as_str() {
            "rejected" => self.end_failed(Purpose::Initial, SubscriptionFailure::Rejected),
            "noresource" => self.end_failed(Purpose::Initial, SubscriptionFailure::NoResource),
            "deactivated" | "timeout" => {
                self.events
                    .push_back(SubscriptionEvent::Stale(StaleReason::Terminated(reason)));
                self.restart_after_end(now, rng);
            }
            _ => {
                // probation, giveup and anything unknown: wait.
                self.events
                    .push_back(SubscriptionEvent::Stale(StaleReason::Terminated(reason)));
                // The server's retry-after may lengthen the backoff, never shorten it: `0`
                // would otherwise resubscribe at round-trip rate.
                let delay = self.next_delay(now, rng);
                let wait = retry_after.map_or(delay, |s| {
                    Duration::from_secs(s.into())
                        .min(self.settings.backoff.max)
                        .max(delay)
                });
                self.schedule_retry(now, wait);
            }
        }
    }

    /// The subscription ended (481, terminated): start over at once when it had lasted and
    /// the last immediate restart is long enough ago, otherwise after the backoff.
    fn restart_after_end(&mut self, now: Instant, rng: &mut dyn RngCore) {
        self.dialog = None;
        self.pending = None;
        let healthy = self
            .started_at
            .is_some_and(|s| now.saturating_duration_since(s) >= MIN_HEALTHY);
        let spaced = self
            .immediate_restart_at
            .is_none_or(|t| now.saturating_duration_since(t) >= IMMEDIATE_RESTART_SPACING);
        if healthy && spaced {
            self.failures = 0;
            self.immediate_restart_at = Some(now);
            self.new_subscription(now, rng);
        } else {
            let delay = self.next_delay(now, rng);
            self.schedule_retry(now, delay);
        }
    }

    fn next_delay(&mut self, now: Instant, rng: &mut dyn RngCore) -> Duration {
        // A subscription that stayed up for the longest wait has proved the server works: the
        // backoff starts over instead of growing from failures long past.
        let lasted = self
            .started_at
            .is_some_and(|s| now.saturating_duration_since(s) >= self.settings.backoff.max);
        if lasted {
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        self.settings
            .backoff
            .delay(self.failures, self.some_flow_ok, rng)
    }

    fn schedule_retry(&mut self, now: Instant, wait: Duration) {
        self.dialog = None;
        self.pending = None;
        self.refresh_at = None;
        self.notify_deadline = None;
        let at = now + wait;
        self.retry_at = Some(at);
        self.state = SubscriptionState::Waiting { retry_at: at };
    }

    fn finish(
        &mut self,
        now: Instant,
        purpose: Purpose,
        reason: SubscriptionFailure,
        retry_after: Option<Duration>,
        rng: &mut dyn RngCore,
    ) {
        if purpose == Purpose::Unsubscribe {
            self.stopped();
        } else {
            self.fail(now, reason, retry_after, rng);
        }
    }

    pub(super) fn fail(
        &mut self,
        now: Instant,
        reason: SubscriptionFailure,
        retry_after: Option<Duration>,
        rng: &mut dyn RngCore,
    ) {
        let delay = self.next_delay(now, rng);
        let wait = retry_after.map_or(delay, |r| r.min(self.settings.backoff.max).max(delay));
        self.schedule_retry(now, wait);
        self.events.push_back(SubscriptionEvent::Failed {
            reason,
            retry_in: Some(wait),
        });
    }

    fn end_failed(&mut self, purpose: Purpose, reason: SubscriptionFailure) {
        if purpose == Purpose::Unsubscribe {
            return self.stopped();
        }
        self.pending = None;
        self.dialog = None;
        self.refresh_at = None;
        self.retry_at = None;
        self.notify_deadline = None;
        self.state = SubscriptionState::Failed(reason.clone());
        self.events.push_back(SubscriptionEvent::Failed {
            reason,
            retry_in: None,
        });
    }

    pub(super) fn stopped(&mut self) {
        self.pending = None;
        self.refresh_at = None;
        self.retry_at = None;
        self.notify_deadline = None;
        if self.state != SubscriptionState::Stopped {
            self.state = SubscriptionState::Stopped;
            self.events.push_back(SubscriptionEvent::Unsubscribed);
        }
    }
}
