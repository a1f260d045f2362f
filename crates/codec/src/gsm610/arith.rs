//! The fixed-point primitives of GSM 06.10 (clause 5.1 of the specification): 16-bit words,
//! saturating addition and subtraction, and the rounded fractional multiply `mult_r`.
//!
//! Every arithmetic step of the decoder goes through these helpers so that the output is identical,
//! bit for bit, to any other conforming implementation.

/// Adds two 16-bit words, saturating to `[-32768, 32767]` (the specification's `add`).
#[inline(always)]
pub(crate) fn add(a: i16, b: i16) -> i16 {
    a.saturating_add(b)
}

/// Subtracts two 16-bit words, saturating to `[-32768, 32767]` (the specification's `sub`).
#[inline(always)]
pub(crate) fn sub(a: i16, b: i16) -> i16 {
    a.saturating_sub(b)
}

/// Multiplies two Q15 fractions with rounding: `(a * b + 2^14) >> 15`; `-1 * -1` gives 32767
/// (the specification's `mult_r`).
#[inline(always)]
pub(crate) fn mult_r(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        i16::MAX
    } else {
        // |a * b| <= 2^30 - 2^15 here, so the rounded, shifted product fits a word.
        ((i32::from(a) * i32::from(b) + 16384) >> 15) as i16
    }
}

/// `mult_r` for operands known not to be both -32768 (one of them is a positive constant or a
/// reflection coefficient, which never reaches -32768): the same result without the check, for the
/// decoder's inner loops. Were both -32768 after all, the result would wrap to -32768 (no panic).
#[inline(always)]
pub(crate) fn mult_r_fast(a: i16, b: i16) -> i16 {
    ((i32::from(a) * i32::from(b) + 16384) >> 15) as i16
}

/// Absolute value with saturation: `abs(-32768)` is 32767 (the specification's `abs`).
#[inline(always)]
pub(crate) fn abs(a: i16) -> i16 {
    a.saturating_abs()
}

/// Arithmetic shift right by `n` in `0..=15` (the specification's `>>` on words).
#[inline(always)]
pub(crate) fn shr(a: i16, n: u32) -> i16 {
    a >> n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_saturates_both_ways() {
        assert_eq!(add(1, 2), 3);
        assert_eq!(add(32767, 1), 32767);
        assert_eq!(add(-32768, -1), -32768);
        assert_eq!(add(20000, 20000), 32767);
        assert_eq!(add(-20000, -20000), -32768);
        assert_eq!(add(-5, 5), 0);
    }

    #[test]
    fn sub_saturates_both_ways() {
        assert_eq!(sub(5, 3), 2);
        assert_eq!(sub(-32768, 1), -32768);
        assert_eq!(sub(32767, -1), 32767);
        assert_eq!(sub(0, -32768), 32767);
        assert_eq!(sub(-1, 32767), -32768);
    }

    #[test]
    fn mult_r_rounds_to_nearest_and_saturates_minus_one_squared() {
        // 0.5 * 0.5 = 0.25
        assert_eq!(mult_r(16384, 16384), 8192);
        // -1 * -1 cannot be represented: saturates.
        assert_eq!(mult_r(-32768, -32768), 32767);
        // -1 * x = -x for x != -1
        assert_eq!(mult_r(-32768, 32767), -32767);
        assert_eq!(mult_r(-32768, 1), -1);
        // Rounding: 1 * 16384 / 32768 = 0.5 rounds up to 1; -0.5 rounds up to 0.
        assert_eq!(mult_r(1, 16384), 1);
        assert_eq!(mult_r(-1, 16384), 0);
        assert_eq!(mult_r(1, 16383), 0);
        assert_eq!(mult_r(0, -32768), 0);
        assert_eq!(mult_r(32767, 32767), 32766);
        // The de-emphasis coefficient applied to full scale.
        assert_eq!(mult_r(32767, 28180), 28179);
        assert_eq!(mult_r(-32768, 28180), -28180);
    }

    #[test]
    fn mult_r_is_commutative_and_matches_the_definition() {
        let probes = [
            -32768i16, -32767, -20000, -1234, -2, -1, 0, 1, 2, 777, 16384, 28180, 32767,
        ];
        for &a in &probes {
            for &b in &probes {
                assert_eq!(mult_r(a, b), mult_r(b, a));
                if !(a == -32768 && b == -32768) {
                    let exact = (i64::from(a) * i64::from(b) + 16384).div_euclid(32768);
                    assert_eq!(i64::from(mult_r(a, b)), exact, "{a} * {b}");
                }
            }
        }
    }

    #[test]
    fn mult_r_fast_agrees_except_for_minus_one_squared() {
        let probes = [-32768i16, -32767, -9000, -1, 0, 1, 3277, 28180, 32767];
        for &a in &probes {
            for &b in &probes {
                if !(a == -32768 && b == -32768) {
                    assert_eq!(mult_r_fast(a, b), mult_r(a, b), "{a} * {b}");
                }
            }
        }
    }

    #[test]
    fn abs_saturates_the_most_negative_word() {
        assert_eq!(abs(-32768), 32767);
        assert_eq!(abs(-5), 5);
        assert_eq!(abs(7), 7);
    }

    #[test]
    fn shr_is_arithmetic() {
        assert_eq!(shr(-1, 3), -1);
        assert_eq!(shr(-16, 2), -4);
        assert_eq!(shr(-15, 2), -4);
        assert_eq!(shr(15, 2), 3);
    }
}
