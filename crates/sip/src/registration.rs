//! Registration of one account (RFC 3261 §10): expiry negotiation, refresh at about 90 % of
//! the granted expiry minus jitter, `423` + `Min-Expires`, digest challenges, `received`/`rport`
//! (re-register with the corrected Contact, removing the old binding), failure backoff with
//! jitter, and `Expires: 0` on shutdown. The registrar's 2xx names the AOR's other devices
//! ([`Bindings`]); with [`AccountConfig::query_bindings`] a query first tells which of them
//! our REGISTER replaced.
//!
//! Sans-IO: `start`/`shutdown` and `handle_response`/`handle_timeout` are the inputs;
//! `poll_transmit` (bytes for the account's flow), `poll_event` and `poll_timeout` the outputs.

use crate::auth::{AuthError, DigestAuth};
use crate::backoff::BackoffConfig;
use crate::config::{AccountConfig, Flow, Transport, host_port, same_contact};
use crate::ids;
use crate::message::{Method, Response};
use crate::request::{
    ALLOW_NO_CALLS, RequestIds, angle, loose_route, response_matches, start_allowing,
};
use crate::transaction::{ClientOutcome, ClientTransaction, TimerConfig};
use rand_core::RngCore;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

mod bindings;
mod types;

pub use bindings::Bindings;
pub use types::{RegistrationEvent, RegistrationFailure, RegistrationState};

/// Largest expiry this client asks for after a `423`.
pub const MAX_EXPIRES: u32 = 86_400;
/// How many `423` answers in a row are followed by a new request at once; the next one (a
/// server that asks a little more each time) waits for the failure backoff.
pub const MAX_INTERVAL_STEPS_IN_A_ROW: u32 = 1;
/// How many Contact corrections (`received`/`rport`) in a row before the mapping is taken as is.
pub const MAX_CONTACT_CORRECTIONS: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A REGISTER without Contact: which contacts are bound before ours (RFC 3261 §10.2.3).
    Query,
    Register,
    Unregister,
}

#[derive(Debug)]
struct Pending {
    branch: String,
    purpose: Purpose,
    tx: ClientTransaction,
}

/// Registration state machine of one account.
#[derive(Debug)]
pub struct Registration {
    aor: String,
    registrar: String,
    contact_user: String,
    flow: Flow,
    outbound_proxy: Option<String>,
    timers: TimerConfig,
    backoff: BackoffConfig,
    user_agent: String,
    /// `Allow`: the call methods too when the account rings for calls (a registrar may fork
    /// calls by it).
    allow: &'static str,
    auth: Option<DigestAuth>,
    call_id: String,
    from_tag: String,
    cseq: u32,
    requested: u32,
    public: Option<SocketAddr>,
    /// Contact to remove in the next REGISTER (after a correction).
    remove_contact: Option<String>,
    bound_contact: Option<String>,
    /// Send a query before the first REGISTER.
    query_first: bool,
    queried: bool,
    /// The other contacts the query found, until the REGISTER's 2xx.
    before: Option<Vec<String>>,
    bindings: Bindings,
    corrections: u32,
    /// `423` answers in a row followed at once.
    interval_steps: u32,
    failures: u32,
    some_flow_ok: bool,
    state: RegistrationState,
    pending: Option<Pending>,
    refresh_at: Option<Instant>,
    retry_at: Option<Instant>,
    events: VecDeque<RegistrationEvent>,
    transmits: VecDeque<Vec<u8>>,
}

impl Registration {
    /// A registration for `account`; nothing is sent before [`start`](Self::start).
    pub fn new(
        account: &AccountConfig,
        timers: TimerConfig,
        backoff: BackoffConfig,
        user_agent: &str,
        rng: &mut dyn RngCore,
    ) -> Self {
        Self {
            aor: account.aor.clone(),
            registrar: account.registrar.clone(),
            contact_user: account.contact_user.clone(),
            flow: account.flow,
            outbound_proxy: account.outbound_proxy.clone(),
            timers,
            backoff,
            user_agent: user_agent.to_owned(),
            allow: match account.incoming_calls {
                crate::config::IncomingCalls::Ring => crate::call::ALLOW,
                crate::config::IncomingCalls::Off => ALLOW_NO_CALLS,
            },
            auth: account.credentials.clone().map(DigestAuth::new),
            call_id: ids::call_id(rng),
            from_tag: ids::tag(rng),
            cseq: 0,
            requested: account.register_expires.max(1),
            public: None,
            remove_contact: None,
            bound_contact: None,
            query_first: account.query_bindings,
            queried: false,
            before: None,
            bindings: Bindings {
                aor: account.aor.clone(),
                ..Bindings::default()
            },
            corrections: 0,
            interval_steps: 0,
            failures: 0,
            some_flow_ok: false,
            state: RegistrationState::Idle,
            pending: None,
            refresh_at: None,
            retry_at: None,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
        }
    }

    // ---- getters ----

    /// The current state.
    pub fn state(&self) -> &RegistrationState {
        &self.state
    }

    /// Whether a binding is in place.
    pub fn is_registered(&self) -> bool {
        matches!(self.state, RegistrationState::Registered { .. })
    }

    /// The Contact URI this registration uses now.
    ///
    /// A `sips:` AOR over TLS gets a `sips:` Contact (TLS is implied); otherwise a `sip:` URI
    /// with `transport=tcp|tls` when not UDP.
    pub fn contact_uri(&self) -> String {
        let addr = self.public.unwrap_or(self.flow.local);
        let sips = self.flow.transport == Transport::Tls
            && self.aor.trim_start_matches('<').starts_with("sips:");
        let scheme = if sips { "sips" } else { "sip" };
        let mut uri = format!("{scheme}:{}@{}", self.contact_user, host_port(addr));
        if let Some(t) = self.flow.transport.uri_param()
            && !sips
        {
            uri.push_str(";transport=");
            uri.push_str(t);
        }
        uri
    }

    /// The AOR's other bindings, as the last 2xx listed them.
    pub fn bindings(&self) -> &Bindings {
        &self.bindings
    }

    /// The address in our Contact (the one the server reported, or the local one).
    pub fn contact_addr(&self) -> SocketAddr {
        self.public.unwrap_or(self.flow.local)
    }

    /// The flow this registration uses.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// The currently requested expiry (after any `423`).
    pub fn requested_expires(&self) -> u32 {
        self.requested
    }

    /// Whether `response` answers this registration's current request.
    pub fn owns(&self, response: &Response) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|p| response_matches(response, &p.branch, &Method::Register))
    }

    // ---- mutators ----

    /// Tells the backoff whether another flow of the user agent works (30 s base) or none does
    /// (90 s base).
    pub fn set_some_flow_ok(&mut self, ok: bool) {
        self.some_flow_ok = ok;
    }

    /// Sends the first REGISTER.
    pub fn start(&mut self, now: Instant, rng: &mut dyn RngCore) {
        if matches!(
            self.state,
            RegistrationState::Idle | RegistrationState::Stopped | RegistrationState::Failed { .. }
        ) {
            self.retry_at = None;
            self.state = RegistrationState::Registering;
            let purpose = if self.query_first && !self.queried {
                self.queried = true;
                Purpose::Query
            } else {
                Purpose::Register
            };
            self.send(now, purpose, rng);
        }
    }

    /// Starts over after a failure that is not retried by itself (wrong credentials), e.g.
    /// after the user changed the password.
    pub fn restart(&mut self, now: Instant, rng: &mut dyn RngCore) {
        self.failures = 0;
        self.pending = None;
        if let Some(auth) = &self.auth {
            self.auth = Some(DigestAuth::new(auth.credentials().clone()));
        }
        self.state = RegistrationState::Idle;
        self.start(now, rng);
    }

    /// A user asked to try again: a failed registration starts at once, without waiting for
    /// the backoff (which starts over).
    pub fn retry_now(&mut self, now: Instant, rng: &mut dyn RngCore) {
        if matches!(self.state, RegistrationState::Failed { .. }) {
            self.restart(now, rng);
        }
    }

    /// The server came back after an outage: the next failure waits the first step of the
    /// backoff again, not the step the outage had grown to.
    pub fn reset_backoff(&mut self) {
        self.failures = 0;
    }

    /// The driver reconnected or the local address changed: register again at once through
    /// `flow`, removing the old binding when the Contact changes.
    pub fn set_flow(&mut self, now: Instant, flow: Flow, rng: &mut dyn RngCore) {
        self.flow = flow;
        self.public = None;
        self.corrections = 0;
        let contact = self.contact_uri();
        self.remove_contact = self
            .bound_contact
            .clone()
            .filter(|old| !same_contact(old, &contact));
        let active = match &self.state {
            RegistrationState::Registered { .. } | RegistrationState::Registering => true,
            RegistrationState::Failed { reason, .. } => {
                *reason != RegistrationFailure::WrongCredentials
            }
            _ => false,
        };
        if active {
            self.refresh_at = None;
            self.retry_at = None;
            self.send(now, Purpose::Register, rng);
        }
    }

    /// Replaces the credentials; a registration that failed on them starts again at once.
    pub fn set_credentials(
        &mut self,
        now: Instant,
        credentials: Option<crate::auth::Credentials>,
        rng: &mut dyn RngCore,
    ) {
        self.auth = credentials.map(DigestAuth::new);
        if let RegistrationState::Failed {
            reason: RegistrationFailure::WrongCredentials | RegistrationFailure::AuthUnsupported(_),
            ..
        } = self.state
        {
            self.restart(now, rng);
        }
    }

    /// Removes the binding (`Expires: 0`); [`RegistrationEvent::Unregistered`] follows.
    pub fn shutdown(&mut self, now: Instant, rng: &mut dyn RngCore) {
        self.refresh_at = None;
        self.retry_at = None;
        // A REGISTER still in flight may have created a binding: remove it too.
        let in_flight = self
            .pending
            .as_ref()
            .is_some_and(|p| p.purpose == Purpose::Register && !p.tx.is_finished());
        let bound = self.bound_contact.is_some() || self.is_registered() || in_flight;
        if bound {
            self.state = RegistrationState::Unregistering;
            self.send(now, Purpose::Unregister, rng);
        } else {
            self.pending = None;
            self.state = RegistrationState::Stopped;
            self.events.push_back(RegistrationEvent::Unregistered);
        }
    }

    // ---- inputs ----

    /// A response for which [`owns`](Self::owns) is true.
    pub fn handle_response(&mut self, now: Instant, response: &Response, rng: &mut dyn RngCore) {
        let Some(pending) = self.pending.as_mut() else {
            return;
        };
        if !response_matches(response, &pending.branch, &Method::Register) {
            return;
        }
        match pending.tx.handle_response(now, response.status) {
            Some(ClientOutcome::Final(_)) => {}
            _ => return,
        }
        let purpose = pending.purpose;
        self.on_final(now, purpose, response, rng);
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut dyn RngCore) {
        if let Some(pending) = self.pending.as_mut() {
            if let Some(ClientOutcome::Timeout) = pending.tx.handle_timeout(now) {
                let purpose = pending.purpose;
                self.pending = None;
                match purpose {
                    Purpose::Unregister => self.stopped(),
                    Purpose::Register | Purpose::Query => {
                        self.fail(now, RegistrationFailure::Timeout, None, rng);
                    }
                }
            } else if pending.tx.is_terminated() {
                self.pending = None;
            }
        }
        if self.refresh_at.is_some_and(|t| now >= t) {
            self.refresh_at = None;
            self.send(now, Purpose::Register, rng);
        }
        if self.retry_at.is_some_and(|t| now >= t) {
            self.retry_at = None;
            self.state = RegistrationState::Registering;
            self.send(now, Purpose::Register, rng);
        }
    }

    // ---- outputs ----

    /// Bytes to send on the account's flow.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if let Some(bytes) = self.transmits.pop_front() {
            return Some(bytes);
        }
        self.pending.as_mut().and_then(|p| p.tx.poll_transmit())
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<RegistrationEvent> {
        self.events.pop_front()
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.pending.as_ref().and_then(|p| p.tx.poll_timeout()),
            self.refresh_at,
            self.retry_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- internals ----

    fn on_final(
        &mut self,
        now: Instant,
        purpose: Purpose,
        response: &Response,
        rng: &mut dyn RngCore,
    ) {
        let status = response.status;
        if status == 401 || status == 407 {
            let Some(auth) = self.auth.as_mut() else {
                return self.finish_failure(
                    now,
                    purpose,
                    RegistrationFailure::AuthUnsupported("no credentials configured".into()),
                    None,
                    rng,
                );
            };
            match auth.handle_challenge(response) {
                Ok(()) => return self.send(now, purpose, rng),
                Err(AuthError::WrongCredentials) => {
                    return self.finish_failure(
                        now,
                        purpose,
                        RegistrationFailure::WrongCredentials,
                        None,
                        rng,
                    );
                }
                Err(e) => {
                    return self.finish_failure(
                        now,
                        purpose,
                        RegistrationFailure::AuthUnsupported(e.to_string()),
                        None,
                        rng,
                    );
                }
            }
        }
        if let Some(auth) = self.auth.as_mut() {
            auth.on_accepted();
        }
        if purpose == Purpose::Unregister {
            return self.stopped();
        }
        if purpose == Purpose::Query {
            // A registrar that does not answer queries is told by the REGISTER itself.
            if (200..300).contains(&status) {
                let contacts = response.head.contacts();
                self.before = Some(bindings::others(&contacts, &self.contact_uri(), None));
            }
            return self.send(now, Purpose::Register, rng);
        }
        match status {
            200..=299 => self.on_success(now, response, rng),
            423 => match response.head.min_expires() {
                Some(min) if min > self.requested && min <= MAX_EXPIRES => {
                    self.requested = min;
                    if self.interval_steps < MAX_INTERVAL_STEPS_IN_A_ROW {
                        self.interval_steps += 1;
                        self.send(now, Purpose::Register, rng);
                    } else {
                        self.interval_steps = 0;
                        let reason = RegistrationFailure::Rejected {
                            status,
                            reason: response.reason.clone(),
                        };
                        self.fail(now, reason, None, rng);
                    }
                }
                _ => self.fail(now, RegistrationFailure::IntervalTooBrief, None, rng),
            },
            _ => {
                let reason = RegistrationFailure::Rejected {
                    status,
                    reason: response.reason.clone(),
                };
                let retry_after = response
                    .head
                    .retry_after()
                    .map(|s| Duration::from_secs(s.into()));
                self.fail(now, reason, retry_after, rng);
            }
        }
    }

    fn on_success(&mut self, now: Instant, response: &Response, rng: &mut dyn RngCore) {
        // The server tells us the address it saw (RFC 3581): correct the Contact if needed.
        if let Some(via) = response.head.vias.first()
            && let Some(seen) = observed(&via.received, via.rport, self.flow.local)
            && seen != self.public.unwrap_or(self.flow.local)
            && self.corrections < MAX_CONTACT_CORRECTIONS
        {
            self.corrections += 1;
            self.remove_contact = Some(self.contact_uri());
            self.public = Some(seen);
            return self.send(now, Purpose::Register, rng);
        }
        let contact = self.contact_uri();
        let granted = response
            .head
            .contacts()
            .iter()
            .find(|c| same_contact(&c.uri, &contact))
            .and_then(|c| c.expires)
            .or_else(|| response.head.expires())
            .unwrap_or(self.requested)
            // A registrar may shorten the expiry, never lengthen it (RFC 3261 §10.2.1).
            .min(self.requested);
        if granted == 0 {
            return self.fail(now, RegistrationFailure::NoBinding, None, rng);
        }
        let others = bindings::others(
            &response.head.contacts(),
            &contact,
            self.remove_contact.as_deref(),
        );
        let mut replaced = match self.before.take() {
            Some(before) => bindings::gone(&before, &others),
            None => self.bindings.replaced.clone(),
        };
        replaced.retain(|r| !others.iter().any(|o| same_contact(o, r)));
        let found = Bindings {
            aor: self.aor.clone(),
            others,
            replaced,
        };
        let bindings_changed = found != self.bindings;
        self.bindings = found;
        self.failures = 0;
        self.corrections = 0;
        self.interval_steps = 0;
        self.remove_contact = None;
        let contact_changed = self
            .bound_contact
            .as_ref()
            .is_some_and(|b| !same_contact(b, &contact));
        self.bound_contact = Some(contact.clone());
        self.state = RegistrationState::Registered { expires: granted };
        self.refresh_at = Some(now + refresh_delay(granted, rng));
        self.events.push_back(RegistrationEvent::Registered {
            expires: granted,
            contact,
            contact_changed,
        });
        if bindings_changed {
            self.events
                .push_back(RegistrationEvent::Bindings(self.bindings.clone()));
        }
    }

    fn finish_failure(
        &mut self,
        now: Instant,
        purpose: Purpose,
        reason: RegistrationFailure,
        retry_after: Option<Duration>,
        rng: &mut dyn RngCore,
    ) {
        match purpose {
            Purpose::Unregister => self.stopped(),
            Purpose::Register | Purpose::Query => self.fail(now, reason, retry_after, rng),
        }
    }

    fn fail(
        &mut self,
        now: Instant,
        reason: RegistrationFailure,
        retry_after: Option<Duration>,
        rng: &mut dyn RngCore,
    ) {
        self.failures = self.failures.saturating_add(1);
        self.refresh_at = None;
        let retry_in = if reason == RegistrationFailure::WrongCredentials {
            None
        } else {
            let delay = self.backoff.delay(self.failures, self.some_flow_ok, rng);
            Some(retry_after.map_or(delay, |r| r.min(self.backoff.max).max(delay)))
        };
        self.retry_at = retry_in.map(|d| now + d);
        self.state = RegistrationState::Failed {
            reason: reason.clone(),
            retry_at: self.retry_at,
        };
        self.events
            .push_back(RegistrationEvent::Failed { reason, retry_in });
    }

    fn stopped(&mut self) {
        self.pending = None;
        self.bound_contact = None;
        self.state = RegistrationState::Stopped;
        self.events.push_back(RegistrationEvent::Unregistered);
    }

    fn send(&mut self, now: Instant, purpose: Purpose, rng: &mut dyn RngCore) {
        self.cseq = self.cseq.wrapping_add(1).max(1);
        let branch = ids::branch(rng);
        let from = format!("{};tag={}", angle(&self.aor), self.from_tag);
        let to = angle(&self.aor);
        let ids = RequestIds {
            method: Method::Register,
            uri: &self.registrar,
            branch: &branch,
            from: &from,
            to: &to,
            call_id: &self.call_id,
            cseq: self.cseq,
        };
        let mut b = start_allowing(&ids, &self.flow, &self.user_agent, self.allow);
        if let Some(proxy) = &self.outbound_proxy {
            b = b.header("Route", &loose_route(proxy));
        }
        match purpose {
            Purpose::Register => {
                b = b.header("Contact", &angle(&self.contact_uri()));
                if let Some(old) = &self.remove_contact {
                    b = b.header("Contact", &format!("{};expires=0", angle(old)));
                }
                b = b.header("Expires", &self.requested.to_string());
            }
            Purpose::Query => {}
            Purpose::Unregister => {
                let contact = self
                    .bound_contact
                    .clone()
                    .unwrap_or_else(|| self.contact_uri());
                b = b.header("Contact", &angle(&contact)).header("Expires", "0");
            }
        }
        if let Some(auth) = self.auth.as_mut() {
            for (name, value) in auth.authorize(&Method::Register, &self.registrar, b"", rng) {
                b = b.header(name, &value);
            }
        }
        let bytes = b.build();
        let tx = ClientTransaction::new(now, bytes, self.flow.transport.is_reliable(), self.timers);
        self.pending = Some(Pending {
            branch,
            purpose,
            tx,
        });
    }
}

/// The address the server saw, from `received` and `rport`, when it differs in any part.
fn observed(
    received: &Option<String>,
    rport: Option<u16>,
    local: SocketAddr,
) -> Option<SocketAddr> {
    let ip = match received {
        Some(r) => r
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok()?,
        None => local.ip(),
    };
    let port = rport.unwrap_or(local.port());
    if received.is_none() && rport.is_none() {
        return None;
    }
    Some(SocketAddr::new(ip, port))
}

/// Shortest refresh interval, whatever a server grants: a registrar or notifier that grants
/// a second cannot make this client send several requests a second.
pub const MIN_REFRESH: Duration = Duration::from_secs(5);

/// About 90 % of the granted expiry, minus up to 5 % jitter, at least half of it and at least
/// [`MIN_REFRESH`].
pub fn refresh_delay(granted: u32, rng: &mut dyn RngCore) -> Duration {
    let total_ms = u64::from(granted) * 1000;
    let jitter = ids::below_or_equal(rng, total_ms / 20);
    Duration::from_millis((total_ms * 9 / 10).saturating_sub(jitter).max(total_ms / 2))
        .max(MIN_REFRESH)
}

#[cfg(test)]
mod tests;
