//! ITU-T G.711: 16-bit linear PCM to and from 8-bit µ-law and A-law codes.
//!
//! Expansion maps each code to the centre of its quantization interval, scaled to 16 bits (µ-law's
//! 14-bit and A-law's 13-bit magnitudes shifted left), which is what every G.711 decoder, sox
//! included, yields. The 256-entry tables are computed at compile time from the segment/mantissa
//! definition. Compression follows the ITU-T G.191 reference (`ulaw_compress`, `alaw_compress`):
//! negative samples are folded by one's complement, so `-1` codes as the negative zero, and each
//! sample goes to the code whose decision interval (G.711 tables 1a and 2a) holds it.

/// Expands one µ-law code (G.711 table 2a): `±(((mantissa << 3) + 0x84) << segment) - 0x84`.
pub const fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code;
    let segment = (u >> 4) & 0x07;
    let mantissa = (u & 0x0F) as i16;
    let magnitude = (((mantissa << 3) + 0x84) << segment) - 0x84;
    if u & 0x80 != 0 { -magnitude } else { magnitude }
}

/// Expands one A-law code (G.711 table 1a; even bits inverted on the line): segment 0 is linear,
/// segments 1..7 double the step each time.
pub const fn alaw_to_linear(code: u8) -> i16 {
    let a = code ^ 0x55;
    let segment = (a >> 4) & 0x07;
    let mantissa = (a & 0x0F) as i16;
    let magnitude = if segment == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (segment - 1)
    };
    // In A-law the sign bit set means positive.
    if a & 0x80 != 0 { magnitude } else { -magnitude }
}

/// Builds a 256-entry expansion table at compile time (`alaw` selects the law).
const fn table(alaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if alaw {
            alaw_to_linear(i as u8)
        } else {
            ulaw_to_linear(i as u8)
        };
        i += 1;
    }
    t
}

/// µ-law expansion table, indexed by code.
static ULAW: [i16; 256] = table(false);
/// A-law expansion table, indexed by code.
static ALAW: [i16; 256] = table(true);

/// Compresses one 16-bit sample to µ-law (G.191 `ulaw_compress`: 14 significant bits, biased by
/// 33, clipped to the top of segment 7, bits inverted on the line).
pub const fn linear_to_ulaw(sample: i16) -> u8 {
    let folded = if sample < 0 { !sample } else { sample };
    let mut absno = (folded >> 2) as i32 + 33;
    if absno > 0x1FFF {
        absno = 0x1FFF;
    }
    // Segment number plus one: 1 for absno < 64, up to 8.
    let mut segno = 1;
    let mut i = absno >> 6;
    while i != 0 {
        segno += 1;
        i >>= 1;
    }
    let high = 8 - segno;
    let low = 0x0F - ((absno >> segno) & 0x0F);
    let code = ((high << 4) | low) as u8;
    if sample >= 0 { code | 0x80 } else { code }
}

/// Compresses one 16-bit sample to A-law (G.191 `alaw_compress`: 12 significant bits, segment 0
/// linear, even bits inverted on the line).
pub const fn linear_to_alaw(sample: i16) -> u8 {
    let folded = if sample < 0 { !sample } else { sample };
    let mut ix = (folded >> 4) as i32;
    if ix > 15 {
        let mut exponent = 1;
        while ix > 16 + 15 {
            ix >>= 1;
            exponent += 1;
        }
        ix -= 16;
        ix += exponent << 4;
    }
    let code = if sample >= 0 { ix | 0x80 } else { ix } as u8;
    code ^ 0x55
}

/// Expands µ-law codes, appending one sample per byte.
pub fn ulaw_decode(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&b| ULAW[usize::from(b)]));
}

/// Expands A-law codes, appending one sample per byte.
pub fn alaw_decode(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&b| ALAW[usize::from(b)]));
}

/// Compresses samples to µ-law, appending one byte per sample.
pub fn ulaw_encode(pcm: &[i16], out: &mut Vec<u8>) {
    out.extend(pcm.iter().map(|&s| linear_to_ulaw(s)));
}

/// Compresses samples to A-law, appending one byte per sample.
pub fn alaw_encode(pcm: &[i16], out: &mut Vec<u8>) {
    out.extend(pcm.iter().map(|&s| linear_to_alaw(s)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_reference_points() {
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0xFE), 8);
        assert_eq!(ulaw_to_linear(0x7E), -8);
        assert_eq!(ulaw_to_linear(0xEF), 132);
    }

    #[test]
    fn alaw_reference_points() {
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
    }

    #[test]
    fn both_laws_are_odd_symmetric_and_monotonic_per_sign() {
        for code in 0..=255u8 {
            assert_eq!(
                ulaw_to_linear(code),
                -ulaw_to_linear(code ^ 0x80),
                "µ {code}"
            );
            assert_eq!(
                alaw_to_linear(code),
                -alaw_to_linear(code ^ 0x80),
                "A {code}"
            );
        }
        // µ-law: codes 0x80..=0xFF run from the largest positive value down to zero.
        for code in 0x80..0xFFu8 {
            assert!(ulaw_to_linear(code) > ulaw_to_linear(code + 1));
        }
        let mut alaw: Vec<i16> = (0x80..=0xFFu8).map(alaw_to_linear).collect();
        alaw.sort_unstable();
        alaw.dedup();
        assert_eq!(alaw.len(), 128);
    }

    #[test]
    fn stream_decoders_use_the_tables() {
        let mut out = Vec::new();
        ulaw_decode(&[0xFF, 0x80], &mut out);
        alaw_decode(&[0xD5, 0xAA], &mut out);
        assert_eq!(out, [0, 32124, 8, 32256]);
        let mut codes = Vec::new();
        ulaw_encode(&[0, 32124], &mut codes);
        alaw_encode(&[8, 32256], &mut codes);
        assert_eq!(codes, [0xFF, 0x80, 0xD5, 0xAA]);
    }

    /// The reference: among the positive codes (sign bit set in both laws), the one with the
    /// highest level whose decision interval starts at or below the magnitude; a negative sample is
    /// folded by one's complement and gets the same code with the sign bit clear. A code's
    /// interval starts half a step below its reconstruction level (G.711 tables 1a and 2a).
    fn reference(sample: i16, expand: fn(u8) -> i16, half_step: fn(u8) -> i32) -> u8 {
        let magnitude = if sample < 0 {
            -i32::from(sample) - 1
        } else {
            i32::from(sample)
        };
        let best = (0x80..=0xFFu8)
            .filter(|&c| i32::from(expand(c)) - half_step(c) <= magnitude)
            .max_by_key(|&c| expand(c))
            .expect("the zero code's interval starts below zero");
        if sample < 0 { best & 0x7F } else { best }
    }

    fn ulaw_half_step(code: u8) -> i32 {
        4 << ((!code >> 4) & 7)
    }

    fn alaw_half_step(code: u8) -> i32 {
        let segment = ((code ^ 0x55) >> 4) & 7;
        8 << segment.saturating_sub(1)
    }

    #[test]
    fn ulaw_compression_matches_the_decision_intervals_for_every_sample() {
        for sample in i16::MIN..=i16::MAX {
            let want = reference(sample, ulaw_to_linear, ulaw_half_step);
            assert_eq!(linear_to_ulaw(sample), want, "sample {sample}");
        }
    }

    #[test]
    fn alaw_compression_matches_the_decision_intervals_for_every_sample() {
        for sample in i16::MIN..=i16::MAX {
            let want = reference(sample, alaw_to_linear, alaw_half_step);
            assert_eq!(linear_to_alaw(sample), want, "sample {sample}");
        }
    }

    #[test]
    fn every_code_survives_expansion_and_compression() {
        for code in 0..=255u8 {
            // µ-law 0x7F is the negative zero: it expands to 0, which compresses to 0xFF.
            let want_u = if code == 0x7F { 0xFF } else { code };
            assert_eq!(
                linear_to_ulaw(ulaw_to_linear(code)),
                want_u,
                "µ {code:#04x}"
            );
            assert_eq!(linear_to_alaw(alaw_to_linear(code)), code, "A {code:#04x}");
        }
    }

    #[test]
    fn compression_error_is_within_half_a_step() {
        for sample in i16::MIN..=i16::MAX {
            let s = i32::from(sample);
            let u = linear_to_ulaw(sample);
            let a = linear_to_alaw(sample);
            let eu = (i32::from(ulaw_to_linear(u)) - s).abs();
            let ea = (i32::from(alaw_to_linear(a)) - s).abs();
            // Past the top code the error grows with the clipping; below it, half a step (+1 for
            // the one's-complement fold of negative samples).
            if s.abs() < 32124 - 1024 {
                assert!(eu <= ulaw_half_step(u) + 4, "µ {sample}: {eu}");
            }
            if s.abs() < 32256 - 512 {
                assert!(ea <= alaw_half_step(a) + 1, "A {sample}: {ea}");
            }
        }
    }
}
