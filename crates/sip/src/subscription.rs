//! One RFC 6665 subscription to `message-summary` (RFC 3842) for one mailbox URI.
//!
//! * SUBSCRIBE with `Event: message-summary` and `Accept: application/simple-message-summary`;
//!   a NOTIFY that arrives before the 2xx creates the dialog.
//! * Refresh at about 90 % of the granted expiry (the 2xx `Expires`, or a shorter `expires=`
//!   in `Subscription-State`), minus jitter. `423` raises the requested expiry to `Min-Expires`.
//! * `481` to a refresh means the subscription is gone: a new one starts at once.
//! * `Subscription-State: terminated`: `deactivated` and `timeout` re-subscribe at once,
//!   `probation`, `giveup` and any other reason after the longer of `retry-after` and the
//!   backoff, `rejected` and `noresource` stop with the reason.
//! * Failures keep a diagnosable reason (`404`: mailbox not configured on the server, `500`:
//!   the server sends unsolicited MWI instead, `489`: event package not supported, `403`).
//! * `Expires: 0` on shutdown.
//!
//! No tight loop is possible: a new SUBSCRIBE follows at once only when the subscription it
//! replaces lasted at least [`MIN_HEALTHY`] and no other immediate restart happened within
//! [`IMMEDIATE_RESTART_SPACING`]; every other one waits for the jittered backoff of the user
//! agent (30/90 s base, doubling, capped at 30 min), whatever the server answers: a
//! `retry-after` or `Retry-After` can lengthen that wait, never shorten it. Only digest
//! challenges (at most a few, see [`crate::auth`]) and one `423` step follow at once. The
//! backoff starts over only after a subscription stayed up for the backoff's longest wait.

use crate::auth::DigestAuth;
use crate::backoff::BackoffConfig;
use crate::config::Flow;
use crate::ids;
use crate::message::{Method, Request, Response, SubState};
use crate::message_summary::{self, SummaryBody, SummaryError};
use crate::registration::refresh_delay;
use crate::request::response_matches;
use crate::transaction::{ClientOutcome, ClientTransaction, TimerConfig};
use rand_core::RngCore;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use subscribe::route_list;

mod outcome;
mod subscribe;

/// The event package.
pub const EVENT: &str = "message-summary";
/// A subscription that lasted at least this long counts as healthy: ending it may re-subscribe
/// at once. Anything shorter counts as a failure and waits for the backoff.
pub const MIN_HEALTHY: Duration = Duration::from_secs(60);
/// At most one immediate re-subscription per this interval; more wait for the backoff.
pub const IMMEDIATE_RESTART_SPACING: Duration = Duration::from_secs(600);
/// Longest route set kept.
pub const MAX_ROUTES: usize = 8;

/// Why a subscription does not work, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionFailure {
    /// `404`: the server has no mailbox for this URI (Asterisk: AOR without `mailboxes=`).
    MailboxNotConfigured,
    /// `500` from Asterisk: the mailbox is already sent as unsolicited MWI.
    ServerSendsUnsolicited,
    /// `489`: the server does not support `message-summary`.
    EventNotSupported,
    /// `403`.
    Forbidden,
    /// The server rejected fresh credentials.
    WrongCredentials,
    /// A challenge that cannot be answered.
    AuthUnsupported(String),
    /// No final response (timer F).
    Timeout,
    /// `423` without a usable `Min-Expires`.
    IntervalTooBrief,
    /// The 2xx came but no NOTIFY followed within 64·T1.
    NoNotify,
    /// The server ended the subscription with `rejected` (not retried).
    Rejected,
    /// The server ended the subscription with `noresource` (not retried).
    NoResource,
    /// Any other final response.
    Status {
        /// Status code.
        status: u16,
        /// Reason phrase.
        reason: String,
    },
}

impl SubscriptionFailure {
    fn from_status(status: u16, reason: &str) -> Self {
        match status {
            404 => Self::MailboxNotConfigured,
            500 => Self::ServerSendsUnsolicited,
            489 => Self::EventNotSupported,
            403 => Self::Forbidden,
            408 => Self::Timeout,
            _ => Self::Status {
                status,
                reason: reason.to_owned(),
            },
        }
    }

    /// Whether the subscription is retried after this failure.
    pub fn is_retried(&self) -> bool {
        !matches!(
            self,
            Self::WrongCredentials | Self::Rejected | Self::NoResource
        )
    }
}

/// Why the last known mailbox state may be out of date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaleReason {
    /// `481`: the server lost the subscription.
    SubscriptionGone,
    /// `Subscription-State: terminated` with this reason (lower case, `none` when absent).
    Terminated(String),
    /// Our Contact changed (re-registration through a new NAT mapping or transport).
    ContactChanged,
    /// The transport to the server was re-established.
    FlowChanged,
    /// A refresh failed.
    RefreshFailed,
}

/// The subscription's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionState {
    /// Not started.
    Idle,
    /// Waiting for the 2xx and/or the first NOTIFY.
    Subscribing,
    /// A NOTIFY said `active` (or `pending`).
    Active,
    /// Waiting to try again.
    Waiting {
        /// Next attempt.
        retry_at: Instant,
    },
    /// Not retried; see the reason.
    Failed(SubscriptionFailure),
    /// Removing the subscription.
    Unsubscribing,
    /// Removed after shutdown.
    Stopped,
}

/// What a subscription reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionEvent {
    /// A NOTIFY carried a readable body (or an empty one: no information).
    Summary(SummaryBody),
    /// A NOTIFY carried a body that cannot be read.
    BodyError(SummaryError),
    /// What was known may be out of date; a new subscription or refresh is under way.
    Stale(StaleReason),
    /// The subscription failed.
    Failed {
        /// Why.
        reason: SubscriptionFailure,
        /// When it is tried again, if at all.
        retry_in: Option<Duration>,
    },
    /// The subscription was removed after shutdown.
    Unsubscribed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Initial,
    Refresh,
    Unsubscribe,
}

#[derive(Debug)]
struct Pending {
    branch: String,
    purpose: Purpose,
    tx: ClientTransaction,
}

#[derive(Debug, Clone)]
struct Dialog {
    remote_tag: String,
    remote_target: String,
    routes: Vec<String>,
    /// CSeq of the last NOTIFY taken; an older one arriving late is refused.
    remote_cseq: Option<u32>,
}

/// Shared settings handed to every subscription of a user agent.
#[derive(Debug, Clone)]
pub struct SubscriptionSettings {
    /// Transaction timers.
    pub timers: TimerConfig,
    /// Failure backoff.
    pub backoff: BackoffConfig,
    /// `User-Agent`.
    pub user_agent: String,
    /// Requested expiry in seconds.
    pub expires: u32,
    /// Outbound proxy URI, sent as a loose `Route` on the initial SUBSCRIBE.
    pub outbound_proxy: Option<String>,
}

/// A subscription to one mailbox.
#[derive(Debug)]
pub struct Subscription {
    mailbox: String,
    aor: String,
    flow: Flow,
    settings: SubscriptionSettings,
    auth: Option<DigestAuth>,
    contact: String,
    requested: u32,
    call_id: String,
    local_tag: String,
    cseq: u32,
    dialog: Option<Dialog>,
    state: SubscriptionState,
    pending: Option<Pending>,
    refresh_at: Option<Instant>,
    retry_at: Option<Instant>,
    notify_deadline: Option<Instant>,
    started_at: Option<Instant>,
    immediate_restart_at: Option<Instant>,
    got_notify: bool,
    /// `423` answers in a row followed at once.
    interval_steps: u32,
    failures: u32,
    some_flow_ok: bool,
    subscribes_sent: u64,
    events: VecDeque<SubscriptionEvent>,
}

impl Subscription {
    /// A subscription of `aor` to `mailbox`, using `contact` as our Contact.
    pub fn new(
        mailbox: &str,
        aor: &str,
        flow: Flow,
        credentials: Option<crate::auth::Credentials>,
        contact: &str,
        settings: SubscriptionSettings,
        rng: &mut dyn RngCore,
    ) -> Self {
        let requested = settings.expires.max(1);
        Self {
            mailbox: mailbox.to_owned(),
            aor: aor.to_owned(),
            flow,
            settings,
            auth: credentials.map(DigestAuth::new),
            contact: contact.to_owned(),
            requested,
            call_id: ids::call_id(rng),
            local_tag: ids::tag(rng),
            cseq: 0,
            dialog: None,
            state: SubscriptionState::Idle,
            pending: None,
            refresh_at: None,
            retry_at: None,
            notify_deadline: None,
            started_at: None,
            immediate_restart_at: None,
            got_notify: false,
            interval_steps: 0,
            failures: 0,
            some_flow_ok: false,
            subscribes_sent: 0,
            events: VecDeque::new(),
        }
    }

    // ---- getters ----

    /// The mailbox URI.
    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    /// The state.
    pub fn state(&self) -> &SubscriptionState {
        &self.state
    }

    /// How many SUBSCRIBE requests were built (retransmissions not counted).
    pub fn subscribes_sent(&self) -> u64 {
        self.subscribes_sent
    }

    /// The requested expiry (after any `423`).
    pub fn requested_expires(&self) -> u32 {
        self.requested
    }

    /// Whether a SUBSCRIBE of this subscription waits for its final response.
    pub fn in_flight(&self) -> bool {
        self.pending.as_ref().is_some_and(|p| !p.tx.is_finished())
    }

    /// Whether `response` answers this subscription's current request.
    pub fn owns(&self, response: &Response) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|p| response_matches(response, &p.branch, &Method::Subscribe))
    }

    /// Whether an in-dialog NOTIFY belongs to this subscription (Call-ID, our tag, package).
    pub fn matches_notify(&self, request: &Request) -> bool {
        request.method == Method::Notify
            && request.head.call_id == self.call_id
            && request.head.to.tag.as_deref() == Some(self.local_tag.as_str())
            && request.head.event().is_some_and(|e| e.package == EVENT)
    }

    // ---- mutators ----

    /// Tells the backoff whether another flow works.
    pub fn set_some_flow_ok(&mut self, ok: bool) {
        self.some_flow_ok = ok;
    }

    /// Sends the first SUBSCRIBE.
    pub fn start(&mut self, now: Instant, rng: &mut dyn RngCore) {
        if matches!(
            self.state,
            SubscriptionState::Idle | SubscriptionState::Stopped | SubscriptionState::Failed(_)
        ) {
            self.retry_at = None;
            self.new_subscription(now, rng);
        }
    }

    /// Our Contact changed: refresh within the dialog so the server sends to the new one (or
    /// start over when there is no dialog). What was known is stale until the next NOTIFY.
    pub fn set_contact(&mut self, now: Instant, contact: &str, rng: &mut dyn RngCore) {
        if contact == self.contact {
            return;
        }
        self.contact = contact.to_owned();
        self.refresh(now, StaleReason::ContactChanged, rng);
    }

    /// Replaces the credentials; a subscription that failed on them starts again.
    pub fn set_credentials(
        &mut self,
        now: Instant,
        credentials: Option<crate::auth::Credentials>,
        rng: &mut dyn RngCore,
    ) {
        self.auth = credentials.map(DigestAuth::new);
        if matches!(
            self.state,
            SubscriptionState::Failed(
                SubscriptionFailure::WrongCredentials | SubscriptionFailure::AuthUnsupported(_)
            )
        ) {
            self.failures = 0;
            self.start(now, rng);
        }
    }

    /// A user asked to try again: a failed or waiting subscription starts at once, without
    /// waiting for the backoff (which starts over).
    pub fn retry_now(&mut self, now: Instant, rng: &mut dyn RngCore) {
        if matches!(
            self.state,
            SubscriptionState::Failed(_) | SubscriptionState::Waiting { .. }
        ) {
            self.failures = 0;
            self.retry_at = None;
            self.new_subscription(now, rng);
        }
    }

    /// The server came back after an outage and remembers nothing: a subscription that is
    /// active, being set up or waiting for its backoff starts anew at once (new dialog, backoff
    /// forgotten) and is reported stale until its first NOTIFY. Stopped, idle and failed ones
    /// (refused by the server, wrong credentials) are left as they are. `contact` is the
    /// Contact of the new requests.
    pub fn start_over(&mut self, now: Instant, contact: &str, rng: &mut dyn RngCore) {
        self.contact = contact.to_owned();
        match self.state {
            SubscriptionState::Active | SubscriptionState::Subscribing => {
                self.events
                    .push_back(SubscriptionEvent::Stale(StaleReason::FlowChanged));
            }
            SubscriptionState::Waiting { .. } => {}
            _ => return,
        }
        self.failures = 0;
        self.retry_at = None;
        self.refresh_at = None;
        self.notify_deadline = None;
        self.pending = None;
        self.new_subscription(now, rng);
    }

    /// Uses `flow` for the next requests (after a reconnect).
    pub fn set_flow(&mut self, flow: Flow) {
        self.flow = flow;
    }

    /// Refreshes now (within the dialog, or a new subscription when there is none) and reports
    /// what was known as stale until the next NOTIFY. Nothing happens unless the subscription
    /// is active or being set up.
    pub fn refresh(&mut self, now: Instant, why: StaleReason, rng: &mut dyn RngCore) {
        if !matches!(
            self.state,
            SubscriptionState::Active | SubscriptionState::Subscribing
        ) {
            return;
        }
        self.events.push_back(SubscriptionEvent::Stale(why));
        self.refresh_at = None;
        if self.dialog.is_some() {
            self.got_notify = false;
            self.send(now, Purpose::Refresh, rng);
        } else {
            self.new_subscription(now, rng);
        }
    }

    /// Removes the subscription (`Expires: 0`); [`SubscriptionEvent::Unsubscribed`] follows.
    pub fn shutdown(&mut self, now: Instant, rng: &mut dyn RngCore) {
        self.refresh_at = None;
        self.retry_at = None;
        self.notify_deadline = None;
        if self.dialog.is_some()
            && matches!(
                self.state,
                SubscriptionState::Active | SubscriptionState::Subscribing
            )
        {
            self.state = SubscriptionState::Unsubscribing;
            self.send(now, Purpose::Unsubscribe, rng);
        } else {
            self.stopped();
        }
    }

    // ---- inputs ----

    /// A response for which [`owns`](Self::owns) is true.
    pub fn handle_response(&mut self, now: Instant, response: &Response, rng: &mut dyn RngCore) {
        let Some(pending) = self.pending.as_mut() else {
            return;
        };
        if !response_matches(response, &pending.branch, &Method::Subscribe) {
            return;
        }
        if !matches!(
            pending.tx.handle_response(now, response.status),
            Some(ClientOutcome::Final(_))
        ) {
            return;
        }
        let purpose = pending.purpose;
        self.on_final(now, purpose, response, rng);
    }

    /// A NOTIFY for which [`matches_notify`](Self::matches_notify) is true. Returns the status
    /// code to answer with.
    pub fn handle_notify(&mut self, now: Instant, request: &Request, rng: &mut dyn RngCore) -> u16 {
        let terminated = request
            .head
            .subscription_state()
            .is_some_and(|s| s.state == SubState::Terminated);
        match self.state {
            // The final NOTIFY after our unsubscribe: accept quietly.
            SubscriptionState::Unsubscribing => return 200,
            SubscriptionState::Stopped if terminated => return 200,
            // Still alive on the server although we stopped (e.g. the SUBSCRIBE crossed our
            // shutdown): 481 makes the server drop it.
            SubscriptionState::Stopped => return 481,
            // This subscription is over; the server must not think otherwise.
            SubscriptionState::Idle
            | SubscriptionState::Waiting { .. }
            | SubscriptionState::Failed(_) => return 481,
            SubscriptionState::Subscribing | SubscriptionState::Active => {}
        }
        let Some(sub_state) = request.head.subscription_state() else {
            return 400;
        };
        if self.dialog.is_none() {
            // NOTIFY before the 2xx creates the dialog (RFC 6665 §4.1.2.4).
            let Some(remote_tag) = request.head.from.tag.clone() else {
                return 400;
            };
            let mut routes = route_list(&request.head.header_values("Record-Route"));
            routes.truncate(MAX_ROUTES);
            self.dialog = Some(Dialog {
                remote_tag,
                remote_target: request
                    .head
                    .contacts()
                    .first()
                    .map(|c| c.uri.clone())
                    .unwrap_or_else(|| self.mailbox.clone()),
                routes,
                remote_cseq: Some(request.head.cseq.seq),
            });
        } else if let Some(d) = self.dialog.as_mut() {
            if request.head.from.tag.as_deref() != Some(d.remote_tag.as_str()) {
                // Another notifier (a forked SUBSCRIBE): one dialog is enough.
                return 481;
            }
            if d.remote_cseq
                .is_some_and(|last| request.head.cseq.seq <= last)
            {
                // Out of order (RFC 3261 §12.2.2): an older state must not overwrite a newer.
                return 500;
            }
            d.remote_cseq = Some(request.head.cseq.seq);
            if let Some(c) = request.head.contacts().first() {
                d.remote_target = c.uri.clone();
            }
        }

        // The body first: the state below may end the subscription. A body that cannot be
        // read is an error event and a 400 (the subscription itself stays as the state says).
        let mut status = 200;
        if !request.body.is_empty() || sub_state.state != SubState::Terminated {
            let content_type = request.head.content_type();
            let body_ok = content_type
                .as_deref()
                .is_none_or(|t| t == message_summary::CONTENT_TYPE);
            let event = if body_ok {
                match message_summary::parse(&request.body) {
                    Ok(body) => SubscriptionEvent::Summary(body),
                    Err(e) => SubscriptionEvent::BodyError(e),
                }
            } else {
                SubscriptionEvent::BodyError(SummaryError::UnexpectedContentType(
                    content_type.unwrap_or_default().chars().take(64).collect(),
                ))
            };
            if matches!(event, SubscriptionEvent::BodyError(_)) {
                status = 400;
            }
            self.events.push_back(event);
        }
        self.got_notify = true;
        self.notify_deadline = None;

        match sub_state.state {
            SubState::Terminated => {
                self.on_terminated(now, sub_state.reason, sub_state.retry_after, rng);
            }
            _ => {
                self.state = SubscriptionState::Active;
                if let Some(expires) = sub_state.expires.map(|e| e.min(self.requested)) {
                    if expires == 0 {
                        self.on_terminated(now, Some("timeout".into()), None, rng);
                    } else {
                        let at = now + refresh_delay(expires, rng);
                        let idle = self.pending.as_ref().is_none_or(|p| p.tx.is_finished());
                        if idle && self.refresh_at.is_none_or(|r| at < r) {
                            self.refresh_at = Some(at);
                        }
                    }
                }
            }
        }
        status
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut dyn RngCore) {
        if let Some(pending) = self.pending.as_mut() {
            if let Some(ClientOutcome::Timeout) = pending.tx.handle_timeout(now) {
                let purpose = pending.purpose;
                self.pending = None;
                match purpose {
                    Purpose::Unsubscribe => self.stopped(),
                    Purpose::Refresh => {
                        self.events
                            .push_back(SubscriptionEvent::Stale(StaleReason::RefreshFailed));
                        self.fail(now, SubscriptionFailure::Timeout, None, rng);
                    }
                    Purpose::Initial => self.fail(now, SubscriptionFailure::Timeout, None, rng),
                }
            } else if pending.tx.is_terminated() {
                self.pending = None;
            }
        }
        if self.notify_deadline.is_some_and(|t| now >= t) {
            self.notify_deadline = None;
            self.fail(now, SubscriptionFailure::NoNotify, None, rng);
        }
        if self.refresh_at.is_some_and(|t| now >= t) {
            self.refresh_at = None;
            self.send(now, Purpose::Refresh, rng);
        }
        if self.retry_at.is_some_and(|t| now >= t) {
            self.retry_at = None;
            self.new_subscription(now, rng);
        }
    }

    // ---- outputs ----

    /// Bytes to send on the account's flow.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.pending.as_mut().and_then(|p| p.tx.poll_transmit())
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SubscriptionEvent> {
        self.events.pop_front()
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.pending.as_ref().and_then(|p| p.tx.poll_timeout()),
            self.refresh_at,
            self.retry_at,
            self.notify_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

#[cfg(test)]
mod tests;
