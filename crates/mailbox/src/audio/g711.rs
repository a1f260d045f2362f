//! ITU-T G.711 expansion: 8-bit µ-law and A-law codes to 16-bit linear PCM.
//!
//! Each code maps to the centre of its quantization interval, scaled to 16 bits (µ-law's 14-bit and
//! A-law's 13-bit magnitudes shifted left), which is what every G.711 decoder, sox included, yields.
//! The 256-entry tables are computed at compile time from the segment/mantissa definition.

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

/// Expands a µ-law byte stream, appending one sample per byte.
pub fn decode_ulaw(data: &[u8], out: &mut Vec<i16>) {
    out.extend(data.iter().map(|&b| ULAW[usize::from(b)]));
}

/// Expands an A-law byte stream, appending one sample per byte.
pub fn decode_alaw(data: &[u8], out: &mut Vec<i16>) {
    out.extend(data.iter().map(|&b| ALAW[usize::from(b)]));
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
        decode_ulaw(&[0xFF, 0x80], &mut out);
        decode_alaw(&[0xD5, 0xAA], &mut out);
        assert_eq!(out, [0, 32124, 8, 32256]);
    }
}
