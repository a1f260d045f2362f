//! Failure backoff with jitter, RFC 5626 §4.5 style: the wait grows with every consecutive
//! failure, is capped, and is drawn between half and all of the computed value so that many
//! clients failing together (a server restart) spread out.

use crate::ids;
use rand_core::RngCore;
use std::time::Duration;

/// Backoff parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// Base wait when at least one other flow of the user agent works (RFC 5626: 30 s).
    pub base_some_ok: Duration,
    /// Base wait when nothing works (RFC 5626: 90 s).
    pub base_all_failed: Duration,
    /// Largest wait (RFC 5626: 1800 s).
    pub max: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            base_some_ok: Duration::from_secs(30),
            base_all_failed: Duration::from_secs(90),
            max: Duration::from_secs(1800),
        }
    }
}

impl BackoffConfig {
    /// The upper bound of the wait after `failures` consecutive failures (1 = first failure):
    /// `min(max, base · 2^(failures-1))`.
    pub fn ceiling(&self, failures: u32, some_ok: bool) -> Duration {
        let base = if some_ok {
            self.base_some_ok
        } else {
            self.base_all_failed
        };
        let exp = failures.saturating_sub(1).min(20);
        base.saturating_mul(1u32 << exp).min(self.max)
    }

    /// A wait drawn uniformly between 50 % and 100 % of [`ceiling`](Self::ceiling), at least
    /// one second.
    pub fn delay(&self, failures: u32, some_ok: bool, rng: &mut dyn RngCore) -> Duration {
        let ceiling = self.ceiling(failures, some_ok).as_millis() as u64;
        let half = ceiling / 2;
        let ms = half + ids::below_or_equal(rng, ceiling - half);
        Duration::from_millis(ms.max(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    #[test]
    fn grows_caps_and_jitters() {
        let b = BackoffConfig::default();
        assert_eq!(b.ceiling(1, true), Duration::from_secs(30));
        assert_eq!(b.ceiling(2, true), Duration::from_secs(60));
        assert_eq!(b.ceiling(1, false), Duration::from_secs(90));
        assert_eq!(b.ceiling(5, false), Duration::from_secs(1440));
        assert_eq!(b.ceiling(6, false), Duration::from_secs(1800));
        assert_eq!(b.ceiling(u32::MAX, false), Duration::from_secs(1800));
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let d = b.delay(1, false, &mut rng);
            assert!(d >= Duration::from_secs(45) && d <= Duration::from_secs(90));
            seen.insert(d);
        }
        assert!(seen.len() > 100, "jitter spreads the waits");
    }
}
