//! The GSM 06.10 speech decoder (clause 4.3 of the specification): from the coded parameters of one
//! frame to 160 reconstructed samples, keeping the filter memories from frame to frame.
//!
//! Stages, in order, each following the fixed-point procedure of the specification:
//! 1. RPE decoding: APCM inverse quantization of the pulses (4.2.16), RPE grid positioning (4.2.17);
//! 2. long-term synthesis filtering with the decoded LTP lag and gain (4.3.2);
//! 3. decoding of the log-area ratios (4.2.15 inverse), their interpolation over four segments
//!    (4.2.9.1), conversion to reflection coefficients (4.2.9.2), and the short-term synthesis
//!    lattice filter (4.3.4);
//! 4. postprocessing: de-emphasis, upscaling and truncation to 13 significant bits (4.3.5-4.3.7).

use super::arith::{abs, add, mult_r, mult_r_fast, shr, sub};
use super::frame::{FrameParams, SubframeParams};

/// Samples in one frame (20 ms at 8 kHz).
pub const FRAME_SAMPLES: usize = 160;

/// Samples in one sub-frame.
pub(super) const SUBFRAME_SAMPLES: usize = 40;

/// Length of the long-term predictor's memory (largest LTP lag).
const LTP_HISTORY: usize = 120;

/// `MIC[i]`: the smallest coded value of each log-area ratio (table 4.1).
const MIC: [i16; 8] = [-32, -32, -16, -16, -8, -8, -4, -4];
/// `B[i]`: offset of the log-area ratio quantizer (table 4.1).
const B: [i16; 8] = [0, 0, 2048, -2560, 94, -1792, -341, -1144];
/// `INVA[i]`: 1/A[i] in Q15, the inverse of the log-area ratio quantizer's scale (table 4.2).
const INVA: [i16; 8] = [13107, 13107, 13107, 13107, 19223, 17476, 31454, 29708];
/// `QLB[bc]`: the decoded LTP gains (table 4.3b).
pub(super) const QLB: [i16; 4] = [3277, 11469, 21299, 32767];
/// `FAC[mant]`: the APCM quantizer's mantissa `(9 + mant) / 16` in Q15 (table 4.6).
const FAC: [i16; 8] = [18431, 20479, 22527, 24575, 26623, 28671, 30719, 32767];
/// De-emphasis filter coefficient (4.3.5).
const DEEMPHASIS: i16 = 28180;

/// The sample ranges of the four interpolation segments of the short-term filter (4.2.9.1).
pub(super) const SEGMENTS: [(usize, usize); 4] = [(0, 13), (13, 27), (27, 40), (40, 160)];

/// Decoder state carried from one frame to the next. Starts in the specification's reset state.
#[derive(Debug, Clone)]
pub struct GsmDecoder {
    /// Reconstructed long-term residual: `LTP_HISTORY` past samples, then the current sub-frame.
    drp: [i16; LTP_HISTORY + SUBFRAME_SAMPLES],
    /// The last valid LTP lag, used when a frame carries an out-of-range `Nc`.
    nrp: i16,
    /// Decoded log-area ratios of the previous frame.
    larpp_prev: [i16; 8],
    /// Short-term synthesis lattice memory `v[0..8]`.
    v: [i16; 9],
    /// De-emphasis filter memory.
    msr: i16,
}

impl Default for GsmDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl GsmDecoder {
    /// A decoder in the reset state (all memories zero, LTP lag 40).
    pub fn new() -> Self {
        Self {
            drp: [0; LTP_HISTORY + SUBFRAME_SAMPLES],
            nrp: 40,
            larpp_prev: [0; 8],
            v: [0; 9],
            msr: 0,
        }
    }

    /// Decodes one frame into 160 samples of 16-bit PCM.
    pub fn decode_frame(&mut self, params: &FrameParams, out: &mut [i16; FRAME_SAMPLES]) {
        let mut wt = [0i16; FRAME_SAMPLES];
        for (sub, wt_sub) in params.sub.iter().zip(wt.chunks_exact_mut(SUBFRAME_SAMPLES)) {
            let erp = rpe_decode(sub);
            self.long_term_synthesis(sub, &erp, wt_sub);
        }
        self.short_term_synthesis(&params.larc, &wt, out);
        self.postprocess(out);
    }

    /// Long-term synthesis filtering of one sub-frame (4.3.2): `drp[k] = erp[k] + b * drp[k - N]`.
    fn long_term_synthesis(
        &mut self,
        sub: &SubframeParams,
        erp: &[i16; SUBFRAME_SAMPLES],
        out: &mut [i16],
    ) {
        let nc = i16::from(sub.nc);
        // A lag outside 40..=120 cannot come from an encoder: keep the previous one.
        let nr = if (40..=120).contains(&nc) {
            nc
        } else {
            self.nrp
        };
        self.nrp = nr;
        let lag = nr as usize;
        let brp = QLB[usize::from(sub.bc & 3)];
        for (k, &e) in erp.iter().enumerate() {
            let at = LTP_HISTORY + k;
            // brp is a positive gain.
            let drpp = mult_r_fast(brp, self.drp[at - lag]);
            self.drp[at] = add(e, drpp);
        }
        out.copy_from_slice(&self.drp[LTP_HISTORY..]);
        self.drp.copy_within(SUBFRAME_SAMPLES.., 0);
    }

    /// Short-term synthesis filtering of the whole frame (4.3.4) with reflection coefficients
    /// interpolated between the previous and the current frame's log-area ratios.
    fn short_term_synthesis(
        &mut self,
        larc: &[u8; 8],
        wt: &[i16; FRAME_SAMPLES],
        out: &mut [i16; FRAME_SAMPLES],
    ) {
        let larpp = decode_lar(larc);
        for (segment, &(start, end)) in SEGMENTS.iter().enumerate() {
            let mut rrp = [0i16; 8];
            for i in 0..8 {
                let larp = interpolate_lar(segment, self.larpp_prev[i], larpp[i]);
                rrp[i] = lar_to_reflection(larp);
            }
            self.lattice(&rrp, &wt[start..end], &mut out[start..end]);
        }
        self.larpp_prev = larpp;
    }

    /// The eight-stage lattice filter: for i = 8..1, `sr -= rrp[i] * v[i]`,
    /// `v[i+1] = v[i] + rrp[i] * sr`; then `v[0] = sr`.
    #[inline]
    fn lattice(&mut self, rrp: &[i16; 8], input: &[i16], out: &mut [i16]) {
        let mut v = self.v;
        for (&wt, sr_out) in input.iter().zip(out.iter_mut()) {
            let mut sri = wt;
            // Reflection coefficients never reach -32768 (see `lar_to_reflection`).
            for i in (0..8).rev() {
                sri = sub(sri, mult_r_fast(rrp[i], v[i]));
                v[i + 1] = add(v[i], mult_r_fast(rrp[i], sri));
            }
            v[0] = sri;
            *sr_out = sri;
        }
        self.v = v;
    }

    /// De-emphasis, upscaling by two and truncation of the three low bits (4.3.5-4.3.7).
    fn postprocess(&mut self, samples: &mut [i16; FRAME_SAMPLES]) {
        let mut msr = self.msr;
        for s in samples.iter_mut() {
            msr = add(*s, mult_r_fast(msr, DEEMPHASIS));
            *s = add(msr, msr) & !7;
        }
        self.msr = msr;
    }
}

/// Decodes the coded log-area ratios `LARc` into `LARpp` (inverse of 4.2.15, 4.3.3):
/// `LARpp = ((LARc + MIC) * 1024 - 2 * B) / A`.
pub(super) fn decode_lar(larc: &[u8; 8]) -> [i16; 8] {
    let mut larpp = [0i16; 8];
    for i in 0..8 {
        // LARc + MIC lies in [-32, 31], so the shift stays within a word.
        let mut temp = add(i16::from(larc[i]), MIC[i]) << 10;
        temp = sub(temp, B[i] << 1);
        temp = mult_r(INVA[i], temp);
        larpp[i] = add(temp, temp);
    }
    larpp
}

/// Interpolates one log-area ratio between the previous frame's and this frame's (4.2.9.1):
/// 3/4 old + 1/4 new, 1/2 + 1/2, 1/4 old + 3/4 new, then the new value for the rest of the frame.
#[inline]
pub(super) fn interpolate_lar(segment: usize, prev: i16, cur: i16) -> i16 {
    match segment {
        0 => add(add(shr(prev, 2), shr(cur, 2)), shr(prev, 1)),
        1 => add(shr(prev, 1), shr(cur, 1)),
        2 => add(add(shr(prev, 2), shr(cur, 2)), shr(cur, 1)),
        _ => cur,
    }
}

/// Converts an interpolated log-area ratio to a reflection coefficient (4.2.9.2), the piecewise
/// linear inverse of the log-area ratio approximation. The result lies in `[-32767, 32767]`.
#[inline]
pub(super) fn lar_to_reflection(larp: i16) -> i16 {
    let temp = abs(larp);
    let magnitude = if temp < 11059 {
        temp << 1
    } else if temp < 20070 {
        temp + 11059
    } else {
        add(temp >> 2, 26112)
    };
    if larp < 0 { -magnitude } else { magnitude }
}

/// Splits the coded block amplitude `xmaxc` into exponent and mantissa (4.2.15 inverse, as used
/// by 4.2.16): returns `(exp, mant)` with `mant` in `0..8`.
fn xmaxc_to_exp_mant(xmaxc: u8) -> (i16, usize) {
    let xmaxc = i16::from(xmaxc & 0x3F);
    let mut exp: i16 = 0;
    if xmaxc > 15 {
        exp = (xmaxc >> 3) - 1;
    }
    let mut mant = xmaxc - (exp << 3);
    if mant == 0 {
        exp = -4;
        mant = 7;
    } else {
        while mant <= 7 {
            mant = (mant << 1) | 1;
            exp -= 1;
        }
        mant -= 8;
    }
    (exp, mant as usize)
}

/// RPE decoding of one sub-frame: APCM inverse quantization of the thirteen pulses (4.2.16) and
/// their placement on the grid `Mc`, every third sample (4.2.17).
pub(super) fn rpe_decode(params: &SubframeParams) -> [i16; SUBFRAME_SAMPLES] {
    let (exp, mant) = xmaxc_to_exp_mant(params.xmaxc);
    let fac = FAC[mant];
    // exp lies in -4..=6, so the shift lies in 0..=10.
    let shift = sub(6, exp) as u32;
    // Rounding constant 2^(shift-1); with no shift there is nothing to round.
    let round: i16 = if shift == 0 { 0 } else { 1 << (shift - 1) };
    let mut erp = [0i16; SUBFRAME_SAMPLES];
    let mc = usize::from(params.mc & 3);
    for (i, &xmc) in params.xmc.iter().enumerate() {
        // Pulses are coded 0..7 for the odd levels -7..7.
        let level = ((i16::from(xmc & 7) << 1) - 7) << 12;
        let temp = add(mult_r(fac, level), round);
        erp[mc + 3 * i] = temp >> shift;
    }
    erp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponent_and_mantissa_cover_the_amplitude_range() {
        assert_eq!(xmaxc_to_exp_mant(0), (-4, 7));
        assert_eq!(xmaxc_to_exp_mant(1), (-3, 7));
        assert_eq!(xmaxc_to_exp_mant(7), (-1, 7));
        assert_eq!(xmaxc_to_exp_mant(8), (0, 0));
        assert_eq!(xmaxc_to_exp_mant(15), (0, 7));
        assert_eq!(xmaxc_to_exp_mant(16), (1, 0));
        assert_eq!(xmaxc_to_exp_mant(63), (6, 7));
        for x in 0..64u8 {
            let (exp, mant) = xmaxc_to_exp_mant(x);
            assert!((-4..=6).contains(&exp), "{x}");
            assert!(mant < 8, "{x}");
        }
    }

    #[test]
    fn reflection_coefficients_follow_the_three_segments() {
        assert_eq!(lar_to_reflection(0), 0);
        assert_eq!(lar_to_reflection(100), 200);
        assert_eq!(lar_to_reflection(-100), -200);
        assert_eq!(lar_to_reflection(11059), 22118);
        assert_eq!(lar_to_reflection(20069), 31128);
        assert_eq!(lar_to_reflection(20070), 31129);
        assert_eq!(lar_to_reflection(32767), 32767);
        assert_eq!(lar_to_reflection(-32768), -32767);
    }

    #[test]
    fn interpolation_weights() {
        assert_eq!(interpolate_lar(0, 4000, 8000), 5000);
        assert_eq!(interpolate_lar(1, 4000, 8000), 6000);
        assert_eq!(interpolate_lar(2, 4000, 8000), 7000);
        assert_eq!(interpolate_lar(3, 4000, 8000), 8000);
    }

    #[test]
    fn decoded_lar_of_the_zero_level_is_the_offset() {
        // LARc = -MIC is the quantizer's zero level: what is left is the offset -B/A.
        let larpp = decode_lar(&[32, 32, 16, 16, 8, 8, 4, 4]);
        assert_eq!(larpp, [0, 0, -3276, 4096, -220, 3822, 1310, 4148]);
        for i in 0..8 {
            let t = mult_r(INVA[i], -(B[i] << 1));
            assert_eq!(larpp[i], t + t);
        }
    }

    #[test]
    fn rpe_pulses_land_on_their_grid() {
        let sub = SubframeParams {
            nc: 40,
            bc: 0,
            mc: 2,
            xmaxc: 63,
            xmc: [7; 13],
        };
        let erp = rpe_decode(&sub);
        for (k, &v) in erp.iter().enumerate() {
            if k >= 2 && (k - 2) % 3 == 0 && k < 2 + 39 {
                assert!(v > 0, "pulse at {k}");
            } else {
                assert_eq!(v, 0, "no pulse at {k}");
            }
        }
        // Largest amplitude: FAC[7] * 7/8 at exponent 6 with no shift.
        assert_eq!(erp[2], mult_r(32767, 7 << 12));
    }

    #[test]
    fn silence_in_gives_silence_out() {
        let mut dec = GsmDecoder::new();
        // The zero level of every LAR and pulses at their middle code 3 or 4 still produce
        // a little signal; all-zero amplitude with a zero excitation gives tiny output only.
        let mut params = FrameParams {
            larc: [32, 32, 16, 16, 8, 8, 4, 4],
            ..FrameParams::default()
        };
        for sub in &mut params.sub {
            sub.nc = 40;
            sub.xmaxc = 0;
            sub.xmc = [4; 13];
        }
        let mut out = [0i16; FRAME_SAMPLES];
        for _ in 0..10 {
            dec.decode_frame(&params, &mut out);
        }
        assert!(out.iter().all(|s| s.abs() < 64), "{out:?}");
        assert!(out.iter().all(|s| s & 7 == 0));
    }
}
