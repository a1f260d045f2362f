//! Random identifiers (tags, branches, Call-IDs, cnonces) drawn from the caller's seeded RNG,
//! so that every run with the same seed sends the same bytes.

use rand_core::RngCore;

/// The RFC 3261 §8.1.1.7 magic cookie that starts every branch.
pub const BRANCH_COOKIE: &str = "z9hG4bK";

/// `bytes` random bytes as lower-case hex.
pub fn hex(rng: &mut dyn RngCore, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new `From`/`To` tag.
pub fn tag(rng: &mut dyn RngCore) -> String {
    hex(rng, 8)
}

/// A new Via branch, starting with the magic cookie.
pub fn branch(rng: &mut dyn RngCore) -> String {
    format!("{BRANCH_COOKIE}{}", hex(rng, 10))
}

/// A new Call-ID.
pub fn call_id(rng: &mut dyn RngCore) -> String {
    hex(rng, 16)
}

/// A uniformly drawn value in `0..=max` (`max` small; bias is negligible).
pub fn below_or_equal(rng: &mut dyn RngCore, max: u64) -> u64 {
    if max == 0 {
        0
    } else {
        rng.next_u64() % (max + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    #[test]
    fn seeded_ids_are_deterministic_and_well_formed() {
        let mut a = ChaCha8Rng::seed_from_u64(7);
        let mut b = ChaCha8Rng::seed_from_u64(7);
        let branch_a = branch(&mut a);
        assert_eq!(branch_a, branch(&mut b));
        assert!(branch_a.starts_with(BRANCH_COOKIE));
        assert_eq!(branch_a.len(), BRANCH_COOKIE.len() + 20);
        assert_eq!(tag(&mut a).len(), 16);
        assert_ne!(call_id(&mut a), call_id(&mut a));
        for _ in 0..100 {
            assert!(below_or_equal(&mut a, 5) <= 5);
        }
        assert_eq!(below_or_equal(&mut a, 0), 0);
    }
}
