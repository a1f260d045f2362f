//! Laptop life, decided without I/O: the computer going to sleep and waking (logind's signal or a
//! clock jump), and the network changing under a flow. The driver feeds it signals and the time
//! (monotonic and wall clock) and acts on what it answers; the OS watchers (`os`) only report.
//!
//! - Sleep: lamps go stale at once; nothing is sent.
//! - Wake (logind's `PrepareForSleep(false)`, or a heartbeat that finds the wall clock ran on
//!   while the monotonic clock stood still, or a timer that fired far too late): lamps stale,
//!   every account re-registers and re-subscribes at once. Two wake reports within
//!   [`LifeConfig::wake_gap`] are one wake.
//! - Network change: events are debounced ([`LifeConfig::debounce`] after the last one, at most
//!   [`LifeConfig::debounce_max`] after the first); then every account's flow is compared with the
//!   address the routing table now gives towards its server. Re-registrations over a fresh flow
//!   are bounded per account ([`LifeConfig::max_reflows`] per [`LifeConfig::reflow_window`]);
//!   one beyond that waits for the window, it is never dropped.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};
use voicelamp_sip::AccountId;

/// How the driver watches for sleep and network changes.
#[derive(Debug, Clone)]
pub struct LifeConfig {
    /// Watch the OS (on Linux: logind on the system bus, netlink); the clock check runs anyway.
    pub watch_os: bool,
    /// How often the clocks are compared.
    pub heartbeat: Duration,
    /// A difference between the clocks (or a timer this late) that means the computer slept.
    pub jump: Duration,
    /// Wake reports closer than this are one wake.
    pub wake_gap: Duration,
    /// Quiet time after the last network event before flows are checked.
    pub debounce: Duration,
    /// Longest wait after the first event of a burst.
    pub debounce_max: Duration,
    /// Most re-registrations over a fresh flow per account within `reflow_window`.
    pub max_reflows: usize,
    /// See `max_reflows`.
    pub reflow_window: Duration,
}

impl Default for LifeConfig {
    fn default() -> Self {
        Self {
            watch_os: true,
            heartbeat: Duration::from_secs(5),
            jump: Duration::from_secs(5),
            wake_gap: Duration::from_secs(10),
            debounce: Duration::from_secs(1),
            debounce_max: Duration::from_secs(3),
            max_reflows: 3,
            reflow_window: Duration::from_secs(60),
        }
    }
}

/// What the driver must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LifeAction {
    /// The computer is going to sleep: every lamp is stale.
    Sleeping,
    /// The computer woke: every lamp is stale, every account re-registers at once.
    Woke(WakeCause),
    /// Compare every account's flow with the routing table ([`Life::decide`]).
    CheckNetwork,
}

/// How a wake was noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WakeCause {
    /// The OS said so (logind).
    Signal,
    /// The wall clock ran on while the monotonic clock stood still, or a timer fired late.
    ClockJump,
}

/// An account's path as the driver sees it at a network check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathView {
    /// Up, sending from this local address.
    Up(IpAddr),
    /// Down, waiting for its reconnect (or for the network).
    Down {
        /// It went down because no address led to its server.
        no_route: bool,
        /// The local address of its last path.
        last_local: Option<IpAddr>,
    },
    /// Being resolved or connected: left alone.
    Busy,
}

/// What to do with one account's path after a network change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlowDecision {
    /// Nothing changed for it.
    Keep,
    /// Its local address is gone and nothing else leads to its server: the path is down.
    Lost,
    /// Register again at once over a fresh flow.
    Reflow,
}

/// The state machine.
#[derive(Debug)]
pub(crate) struct Life {
    config: LifeConfig,
    asleep: bool,
    /// The last clock reading (monotonic, wall) and when the next is due.
    last: Option<(Instant, SystemTime)>,
    next_beat: Option<Instant>,
    last_wake: Option<Instant>,
    burst_start: Option<Instant>,
    check_at: Option<Instant>,
    route_changed: bool,
    /// Per account: when it was last re-flowed (at most `max_reflows` kept).
    reflows: BTreeMap<AccountId, VecDeque<Instant>>,
    actions: VecDeque<LifeAction>,
}

impl Life {
    pub(crate) fn new(config: LifeConfig) -> Self {
        Self {
            config,
            asleep: false,
            last: None,
            next_beat: None,
            last_wake: None,
            burst_start: None,
            check_at: None,
            route_changed: false,
            reflows: BTreeMap::new(),
            actions: VecDeque::new(),
        }
    }

    /// Starts the heartbeat.
    pub(crate) fn start(&mut self, now: Instant, wall: SystemTime) {
        self.last = Some((now, wall));
        self.next_beat = Some(now + self.config.heartbeat);
    }

    /// The earliest time [`Life::handle_timeout`] wants to run.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match (self.next_beat, self.check_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next thing to do.
    pub(crate) fn poll_action(&mut self) -> Option<LifeAction> {
        self.actions.pop_front()
    }

    /// logind's `PrepareForSleep`: `true` before sleeping, `false` after waking.
    pub(crate) fn sleep_signal(&mut self, now: Instant, wall: SystemTime, going: bool) {
        if going {
            if !self.asleep {
                self.asleep = true;
                self.actions.push_back(LifeAction::Sleeping);
            }
        } else {
            self.asleep = false;
            self.woke(now, WakeCause::Signal);
        }
        // The clocks are compared from here on: a wake just reported is not found again.
        self.last = Some((now, wall));
        self.next_beat = Some(now + self.config.heartbeat);
    }

    /// Something changed in the addresses or routes; `default_route` when a default route was
    /// added, removed or changed.
    pub(crate) fn network_event(&mut self, now: Instant, default_route: bool) {
        self.route_changed |= default_route;
        let start = *self.burst_start.get_or_insert(now);
        self.check_at = Some((now + self.config.debounce).min(start + self.config.debounce_max));
    }

    /// Time passed: the heartbeat compares the clocks; a due network check is announced.
    pub(crate) fn handle_timeout(&mut self, now: Instant, wall: SystemTime) {
        if self.next_beat.is_some_and(|t| t <= now) {
            if let (Some((mono, then)), Some(due)) = (self.last, self.next_beat) {
                let late = now.saturating_duration_since(due);
                let ran = now.saturating_duration_since(mono);
                let wall_ran = wall.duration_since(then).unwrap_or(Duration::ZERO);
                if late >= self.config.jump || wall_ran.saturating_sub(ran) >= self.config.jump {
                    self.asleep = false;
                    self.woke(now, WakeCause::ClockJump);
                }
            }
            self.last = Some((now, wall));
            self.next_beat = Some(now + self.config.heartbeat);
        }
        if self.check_at.is_some_and(|t| t <= now) {
            self.check_at = None;
            self.burst_start = None;
            self.actions.push_back(LifeAction::CheckNetwork);
        }
    }

    fn woke(&mut self, now: Instant, cause: WakeCause) {
        if self
            .last_wake
            .is_some_and(|t| now.saturating_duration_since(t) < self.config.wake_gap)
        {
            return;
        }
        self.last_wake = Some(now);
        self.actions.push_back(LifeAction::Woke(cause));
    }

    /// Whether the check now running was caused by a default route change (read once).
    pub(crate) fn take_route_changed(&mut self) -> bool {
        std::mem::take(&mut self.route_changed)
    }

    /// At a network check: what to do with `account`, whose path is `path` and towards whose
    /// server the routing table now gives `towards` (`None`: no route). A re-flow beyond the
    /// bound is put off: another check is scheduled for when the bound allows it.
    pub(crate) fn decide(
        &mut self,
        now: Instant,
        account: AccountId,
        path: PathView,
        towards: Option<IpAddr>,
        route_changed: bool,
    ) -> FlowDecision {
        let wanted = match (path, towards) {
            (PathView::Busy, _) | (PathView::Down { .. }, None) => return FlowDecision::Keep,
            (PathView::Up(_), None) => return FlowDecision::Lost,
            (PathView::Up(local), Some(ip)) => local != ip || route_changed,
            // A server that is down stays on its backoff unless this change may be what it
            // waited for: the network is back, or another address or route leads to it now.
            (
                PathView::Down {
                    no_route,
                    last_local,
                },
                Some(ip),
            ) => no_route || last_local != Some(ip) || route_changed,
        };
        if !wanted {
            return FlowDecision::Keep;
        }
        let allowed = self.next_reflow_at(now, account);
        if allowed > now {
            self.route_changed |= route_changed;
            self.check_at = Some(self.check_at.map_or(allowed, |t| t.min(allowed)));
            return FlowDecision::Keep;
        }
        self.reflows.entry(account).or_default().push_back(now);
        FlowDecision::Reflow
    }

    /// When `account` may register over a fresh flow again (`now` when it may at once).
    /// A path that went down for want of a route waits for this before its reconnect, so that
    /// a flapping link costs at most [`LifeConfig::max_reflows`] registrations per window
    /// whichever way the path comes back.
    pub(crate) fn next_reflow_at(&mut self, now: Instant, account: AccountId) -> Instant {
        let window = self.config.reflow_window;
        let max = self.config.max_reflows.max(1);
        let times = self.reflows.entry(account).or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= max {
            times.front().map_or(now, |t| *t + window)
        } else {
            now
        }
    }

    /// A re-flow not decided by [`Life::decide`] (a wake, a path back after it had no route)
    /// counts towards the bound too.
    pub(crate) fn note_reflow(&mut self, now: Instant, account: AccountId) {
        let times = self.reflows.entry(account).or_default();
        times.push_back(now);
        while times.len() > self.config.max_reflows.max(1) {
            times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests;
