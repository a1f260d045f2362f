//! RFC 4028 session timers: the negotiated interval and who refreshes. When we refresh, a
//! refresh (UPDATE, or a re-INVITE when the far end does not allow UPDATE) goes out at half the
//! interval; when the far end refreshes and does not, the call ends with BYE shortly before the
//! interval runs out (§10: interval minus the smaller of 32 s and a third of it).

use super::MIN_SESSION_EXPIRES;
use crate::message::Head;
use std::time::{Duration, Instant};

/// Largest interval agreed to, in seconds (larger asks are lowered to it).
pub(crate) const MAX_SESSION_EXPIRES: u32 = 7200;

/// Who refreshes, as the `refresher` parameter says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresher {
    Uac,
    Uas,
}

/// `Session-Expires` (or its compact form `x`): the interval and the `refresher` parameter.
pub(crate) fn session_expires(head: &Head) -> Option<(u32, Option<Refresher>)> {
    let value = head
        .header("Session-Expires")
        .or_else(|| head.header("x"))?;
    let mut parts = value.split(';');
    let seconds: u32 = parts.next()?.trim().parse().ok()?;
    let refresher = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("refresher") {
            return None;
        }
        match value.trim().to_ascii_lowercase().as_str() {
            "uac" => Some(Refresher::Uac),
            "uas" => Some(Refresher::Uas),
            _ => None,
        }
    });
    Some((seconds, refresher))
}

/// `Min-SE` seconds.
pub(crate) fn min_se(head: &Head) -> Option<u32> {
    head.header("Min-SE")
        .and_then(|v| v.split(';').next()?.trim().parse().ok())
}

/// Whether the far end listed `timer` in `Supported` or `Require`.
pub(crate) fn supports_timer(head: &Head) -> bool {
    ["Supported", "k", "Require"].iter().any(|name| {
        head.header_values(name)
            .iter()
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("timer"))
    })
}

#[derive(Debug, Clone, Default)]
pub(crate) struct SessionTimer {
    /// The agreed interval in seconds, when a session timer runs.
    pub interval: Option<u32>,
    pub we_refresh: bool,
    /// `422` answers to our refreshes followed since the last success (at most one).
    pub steps: u32,
    refresh_at: Option<Instant>,
    expire_at: Option<Instant>,
}

impl SessionTimer {
    /// A refresh was agreed (or the session started): the clock starts again.
    pub(crate) fn start(&mut self, now: Instant, interval: u32, we_refresh: bool) {
        let interval = interval.clamp(MIN_SESSION_EXPIRES, MAX_SESSION_EXPIRES);
        self.interval = Some(interval);
        self.we_refresh = we_refresh;
        self.steps = 0;
        let full = Duration::from_secs(interval.into());
        if we_refresh {
            self.refresh_at = Some(now + full / 2);
            // If no refresh of ours gets through, the session still ends.
            self.expire_at = Some(now + full);
        } else {
            self.refresh_at = None;
            let margin = Duration::from_secs(u64::from((interval / 3).min(32)));
            self.expire_at = Some(now + full - margin);
        }
    }

    pub(crate) fn stop(&mut self) {
        *self = Self::default();
    }

    /// Whether our refresh is due (and takes it: the next one is scheduled by the answer).
    pub(crate) fn take_refresh(&mut self, now: Instant) -> bool {
        if self.refresh_at.is_some_and(|t| now >= t) {
            self.refresh_at = None;
            return true;
        }
        false
    }

    pub(crate) fn expired(&self, now: Instant) -> bool {
        self.expire_at.is_some_and(|t| now >= t)
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        [self.refresh_at, self.expire_at]
            .into_iter()
            .flatten()
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresher_refreshes_at_half_and_the_other_side_expires_early() {
        let start = Instant::now();
        let mut t = SessionTimer::default();
        t.start(start, 1800, true);
        assert_eq!(t.poll_timeout(), Some(start + Duration::from_secs(900)));
        assert!(!t.take_refresh(start + Duration::from_secs(899)));
        assert!(t.take_refresh(start + Duration::from_secs(900)));
        assert!(!t.take_refresh(start + Duration::from_secs(901)), "once");
        t.start(start, 90, false);
        assert_eq!(t.poll_timeout(), Some(start + Duration::from_secs(60)));
        assert!(t.expired(start + Duration::from_secs(60)));
        t.start(start, 10, false);
        assert_eq!(t.interval, Some(MIN_SESSION_EXPIRES), "never below Min-SE");
    }
}
