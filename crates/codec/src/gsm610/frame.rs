//! The 76 coded parameters of one GSM 06.10 frame (260 bits, 20 ms) and their two bit packings:
//! the 33-byte frame of the specification's annex (a `0xD` signature nibble, then the parameters
//! most significant bit first) and the Microsoft "WAV49" block (two frames, 520 bits, in 65 bytes,
//! least significant bit first).
//!
//! Both packings carry the parameters in the same order: the eight log-area ratios `LARc[1..8]`,
//! then for each of the four sub-frames the LTP lag `Nc`, the LTP gain `bc`, the RPE grid position
//! `Mc`, the block amplitude `xmaxc` and the thirteen RPE pulses `xMc`.

/// Bytes in one frame of the standard packing (`.gsm` files).
pub const FRAME_BYTES: usize = 33;
/// Bytes in one WAV49 block (two frames).
pub const WAV49_BLOCK_BYTES: usize = 65;
/// The signature nibble at the top of the first byte of a standard frame.
pub const FRAME_MAGIC: u8 = 0xD;

/// Bit widths of the log-area ratios `LARc[1..8]`.
const LAR_BITS: [u32; 8] = [6, 6, 5, 5, 4, 4, 3, 3];

/// The parameters of one of the four 5 ms sub-frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubframeParams {
    /// LTP lag `Nc` (7 bits; 40..=120 in a well-formed frame).
    pub nc: u8,
    /// LTP gain index `bc` (2 bits).
    pub bc: u8,
    /// RPE grid position `Mc` (2 bits).
    pub mc: u8,
    /// Coded block amplitude `xmaxc` (6 bits).
    pub xmaxc: u8,
    /// Coded RPE pulses `xMc` (3 bits each).
    pub xmc: [u8; 13],
}

/// The parameters of one 160-sample frame, as transmitted (unsigned fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameParams {
    /// Coded log-area ratios `LARc[1..8]`, offset so that they are non-negative.
    pub larc: [u8; 8],
    /// The four sub-frames.
    pub sub: [SubframeParams; 4],
}

/// Reads the parameters in transmission order from a source of fixed-width fields.
fn read_params(mut field: impl FnMut(u32) -> u8) -> FrameParams {
    let mut p = FrameParams::default();
    for (lar, &bits) in p.larc.iter_mut().zip(LAR_BITS.iter()) {
        *lar = field(bits);
    }
    for sub in &mut p.sub {
        sub.nc = field(7);
        sub.bc = field(2);
        sub.mc = field(2);
        sub.xmaxc = field(6);
        for x in &mut sub.xmc {
            *x = field(3);
        }
    }
    p
}

/// Unpacks a standard 33-byte frame. Returns `None` when the signature nibble is not `0xD`.
pub fn unpack_frame(bytes: &[u8; FRAME_BYTES]) -> Option<FrameParams> {
    if bytes[0] >> 4 != FRAME_MAGIC {
        return None;
    }
    // Most significant bit first, starting after the 4-bit signature.
    let mut acc: u32 = u32::from(bytes[0] & 0x0F);
    let mut have: u32 = 4;
    let mut next = 1usize;
    Some(read_params(|bits| {
        while have < bits {
            acc = (acc << 8) | u32::from(bytes[next]);
            next += 1;
            have += 8;
        }
        have -= bits;
        let v = (acc >> have) & ((1 << bits) - 1);
        acc &= (1 << have) - 1;
        v as u8
    }))
}

/// Unpacks the two frames of a 65-byte WAV49 block (least significant bit first; the second
/// frame starts in the upper nibble of byte 32).
pub fn unpack_wav49_block(bytes: &[u8; WAV49_BLOCK_BYTES]) -> [FrameParams; 2] {
    let mut acc: u64 = 0;
    let mut have: u32 = 0;
    let mut next = 0usize;
    let mut field = |bits: u32| {
        if have < bits {
            // Refill with whole bytes; at most 7 are pending, so four more bytes always fit.
            while have <= 56 && next < WAV49_BLOCK_BYTES {
                acc |= u64::from(bytes[next]) << have;
                next += 1;
                have += 8;
            }
        }
        let v = (acc & ((1 << bits) - 1)) as u8;
        acc >>= bits;
        have -= bits;
        v
    };
    let first = read_params(&mut field);
    let second = read_params(&mut field);
    [first, second]
}

/// Packs parameters into a standard 33-byte frame (used by tests to build streams).
pub fn pack_frame(p: &FrameParams) -> [u8; FRAME_BYTES] {
    let mut out = [0u8; FRAME_BYTES];
    let mut bitpos = 0usize;
    let mut put = |value: u8, bits: u32| {
        for i in (0..bits).rev() {
            if (value >> i) & 1 == 1 {
                out[bitpos / 8] |= 0x80 >> (bitpos % 8);
            }
            bitpos += 1;
        }
    };
    put(FRAME_MAGIC, 4);
    write_params(p, &mut put);
    out
}

/// Packs two frames into one 65-byte WAV49 block (used by tests to build streams).
pub fn pack_wav49_block(frames: &[FrameParams; 2]) -> [u8; WAV49_BLOCK_BYTES] {
    let mut out = [0u8; WAV49_BLOCK_BYTES];
    let mut bitpos = 0usize;
    let mut put = |value: u8, bits: u32| {
        for i in 0..bits {
            if (value >> i) & 1 == 1 {
                out[bitpos / 8] |= 1 << (bitpos % 8);
            }
            bitpos += 1;
        }
    };
    for p in frames {
        write_params(p, &mut put);
    }
    out
}

/// Writes the parameters in transmission order, masking each to its width.
fn write_params(p: &FrameParams, put: &mut impl FnMut(u8, u32)) {
    let mut field = |v: u8, bits: u32| put(v & ((1u16 << bits) - 1) as u8, bits);
    for (&lar, &bits) in p.larc.iter().zip(LAR_BITS.iter()) {
        field(lar, bits);
    }
    for sub in &p.sub {
        field(sub.nc, 7);
        field(sub.bc, 2);
        field(sub.mc, 2);
        field(sub.xmaxc, 6);
        for &x in &sub.xmc {
            field(x, 3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_params(seed: u8) -> FrameParams {
        let mut p = FrameParams::default();
        let mut s = u32::from(seed)
            .wrapping_mul(2_654_435_761)
            .wrapping_add(12345);
        let mut next = |bits: u32| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s & ((1 << bits) - 1)) as u8
        };
        for (lar, &bits) in p.larc.iter_mut().zip(LAR_BITS.iter()) {
            *lar = next(bits);
        }
        for sub in &mut p.sub {
            sub.nc = next(7);
            sub.bc = next(2);
            sub.mc = next(2);
            sub.xmaxc = next(6);
            for x in &mut sub.xmc {
                *x = next(3);
            }
        }
        p
    }

    #[test]
    fn frame_layout_is_260_bits() {
        let per_sub = 7 + 2 + 2 + 6 + 13 * 3;
        assert_eq!(LAR_BITS.iter().sum::<u32>() + 4 * per_sub, 260);
        assert_eq!(FRAME_BYTES * 8, 260 + 4);
        assert_eq!(WAV49_BLOCK_BYTES * 8, 2 * 260);
    }

    #[test]
    fn standard_frame_round_trips() {
        for seed in 0..50 {
            let p = sample_params(seed);
            let bytes = pack_frame(&p);
            assert_eq!(bytes[0] >> 4, FRAME_MAGIC);
            assert_eq!(unpack_frame(&bytes), Some(p));
        }
    }

    #[test]
    fn standard_frame_puts_lar1_after_the_signature() {
        let mut p = FrameParams::default();
        p.larc[0] = 0b10_1101;
        p.sub[3].xmc[12] = 0b101;
        let bytes = pack_frame(&p);
        assert_eq!(bytes[0], 0xD0 | 0b1011);
        assert_eq!(bytes[1] >> 6, 0b01);
        assert_eq!(bytes[32] & 0x07, 0b101);
    }

    #[test]
    fn wrong_signature_is_rejected() {
        let mut bytes = pack_frame(&FrameParams::default());
        bytes[0] = 0x20;
        assert_eq!(unpack_frame(&bytes), None);
    }

    #[test]
    fn wav49_block_round_trips_and_splits_mid_byte() {
        for seed in 0..50 {
            let frames = [sample_params(seed), sample_params(seed.wrapping_add(100))];
            let bytes = pack_wav49_block(&frames);
            assert_eq!(unpack_wav49_block(&bytes), frames);
        }
        let mut second = FrameParams::default();
        second.larc[0] = 0b11_1111;
        let bytes = pack_wav49_block(&[FrameParams::default(), second]);
        assert_eq!(bytes[32], 0xF0);
        assert_eq!(bytes[33], 0x03);
        let mut first = FrameParams::default();
        first.larc[0] = 0b10_0001;
        let bytes = pack_wav49_block(&[first, FrameParams::default()]);
        assert_eq!(bytes[0], 0b10_0001);
    }
}
