//! GSM 06.10 full-rate speech encoding (ETSI EN 300 961 clause 4.2), in the specification's
//! fixed-point arithmetic so the frames are bit-exact with the reference implementation (libgsm,
//! as sox uses it): preprocessing, LPC analysis (autocorrelation, Schur recursion, log-area ratios),
//! short-term analysis filtering, long-term prediction and RPE coding of each sub-frame.

use super::arith::{abs, add, mult_r, sub};
use super::frame::{FrameParams, SubframeParams};
use super::synth::{
    FRAME_SAMPLES, QLB, SEGMENTS, SUBFRAME_SAMPLES, decode_lar, interpolate_lar, lar_to_reflection,
    rpe_decode,
};

/// Past samples of the reconstructed short-term residual the LTP searches.
const HISTORY: usize = 120;
/// LTP gain decision levels `DLB`.
const DLB: [i16; 4] = [6554, 16384, 26214, 32767];
/// Inverse mantissas `NRFAC` for the APCM quantizer.
const NRFAC: [i16; 8] = [29128, 26215, 23832, 21846, 20165, 18725, 17476, 16384];
/// The weighting filter's impulse response (4.2.13).
const H: [i32; 11] = [-134, -374, 0, 2054, 5741, 8192, 5741, 2054, 0, -374, -134];
/// Log-area ratio quantizer: `A`, `B`, `MAC`, `MIC` (4.2.14).
const LAR_Q: [(i16, i16, i16, i16); 8] = [
    (20480, 0, 31, -32),
    (20480, 0, 31, -32),
    (20480, 2048, 15, -16),
    (20480, -2560, 15, -16),
    (13964, 94, 7, -8),
    (15360, -1792, 7, -8),
    (8534, -341, 3, -4),
    (9036, -1144, 3, -4),
];

/// `(a * b) >> 15` truncated (the specification's `mult`); `-1 * -1` gives 32767.
fn mult(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        i16::MAX
    } else {
        ((i32::from(a) * i32::from(b)) >> 15) as i16
    }
}

/// Left shifts that normalise a 32-bit value (the specification's `norm`).
fn norm(a: i32) -> u32 {
    let a = if a < 0 {
        if a <= -1_073_741_824 {
            return 0;
        }
        !a
    } else {
        a
    };
    (a as u32).leading_zeros().saturating_sub(1)
}

/// Saturating 32-bit addition (`L_add`).
fn l_add(a: i32, b: i32) -> i32 {
    a.saturating_add(b)
}

/// `num / denum` as a Q15 fraction, for `0 <= num <= denum` (`div`).
fn div(num: i16, denum: i16) -> i16 {
    if num == 0 {
        return 0;
    }
    let (mut l_num, l_denum) = (i32::from(num), i32::from(denum));
    let mut quotient: i16 = 0;
    for _ in 0..15 {
        quotient <<= 1;
        l_num <<= 1;
        if l_num >= l_denum {
            l_num -= l_denum;
            quotient += 1;
        }
    }
    quotient
}

/// Encoder state carried from one frame to the next. Starts in the specification's reset state.
#[derive(Debug, Clone)]
pub struct GsmEncoder {
    z1: i16,
    l_z2: i32,
    mp: i16,
    /// Short-term analysis lattice memory.
    u: [i16; 8],
    larpp_prev: [i16; 8],
    /// Reconstructed short-term residual: 120 past samples, then the current frame.
    dp: [i16; HISTORY + FRAME_SAMPLES],
}

impl Default for GsmEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl GsmEncoder {
    /// An encoder in the reset state.
    pub fn new() -> Self {
        Self {
            z1: 0,
            l_z2: 0,
            mp: 0,
            u: [0; 8],
            larpp_prev: [0; 8],
            dp: [0; HISTORY + FRAME_SAMPLES],
        }
    }

    /// Encodes 160 samples of 16-bit PCM into one frame's parameters.
    pub fn encode_frame(&mut self, pcm: &[i16; FRAME_SAMPLES]) -> FrameParams {
        let mut so = self.preprocess(pcm);
        let larc = lpc_analysis(&mut so);
        self.short_term_analysis(&larc, &mut so);
        let mut params = FrameParams {
            larc,
            ..FrameParams::default()
        };
        for (k, sub) in params.sub.iter_mut().enumerate() {
            let d = &so[k * SUBFRAME_SAMPLES..(k + 1) * SUBFRAME_SAMPLES];
            *sub = self.subframe(k, d);
        }
        self.dp.copy_within(FRAME_SAMPLES.., 0);
        params
    }

    /// Downscaling, offset compensation and preemphasis (4.2.1–4.2.3).
    fn preprocess(&mut self, pcm: &[i16; FRAME_SAMPLES]) -> [i16; FRAME_SAMPLES] {
        let mut so = [0i16; FRAME_SAMPLES];
        let (mut z1, mut l_z2, mut mp) = (self.z1, self.l_z2, self.mp);
        for (out, &s) in so.iter_mut().zip(pcm) {
            let s0 = (s >> 3) << 2;
            let s1 = s0 - z1;
            z1 = s0;
            let mut l_s2 = i32::from(s1) << 15;
            let msp = (l_z2 >> 15) as i16;
            let lsp = (l_z2 - (i32::from(msp) << 15)) as i16;
            l_s2 += i32::from(mult_r(lsp, 32735));
            let l_temp = i32::from(msp) * 32735;
            l_z2 = l_add(l_temp, l_s2);
            let l_temp = l_add(l_z2, 16384);
            let msp = mult_r(mp, -28180);
            mp = (l_temp >> 15) as i16;
            *out = add(mp, msp);
        }
        (self.z1, self.l_z2, self.mp) = (z1, l_z2, mp);
        so
    }

    /// Short-term analysis filtering with interpolated reflection coefficients (4.2.8–4.2.10).
    fn short_term_analysis(&mut self, larc: &[u8; 8], s: &mut [i16; FRAME_SAMPLES]) {
        let larpp = decode_lar(larc);
        for (segment, &(start, end)) in SEGMENTS.iter().enumerate() {
            let mut rp = [0i16; 8];
            for i in 0..8 {
                rp[i] = lar_to_reflection(interpolate_lar(segment, self.larpp_prev[i], larpp[i]));
            }
            for x in &mut s[start..end] {
                let mut di = *x;
                let mut sav = di;
                for (u, &rpi) in self.u.iter_mut().zip(&rp) {
                    let ui = *u;
                    *u = sav;
                    sav = add(ui, mult_r(rpi, di));
                    di = add(di, mult_r(rpi, ui));
                }
                *x = di;
            }
        }
        self.larpp_prev = larpp;
    }

    /// Long-term prediction and RPE coding of sub-frame `k` with short-term residual `d`
    /// (4.2.11–4.2.18), updating the reconstructed residual.
    fn subframe(&mut self, k: usize, d: &[i16]) -> SubframeParams {
        let at = HISTORY + k * SUBFRAME_SAMPLES;
        let (nc, bc) = ltp_parameters(d, &self.dp[..at], at);
        let lag = usize::from(nc);
        let gain = QLB[usize::from(bc)];
        let mut dpp = [0i16; SUBFRAME_SAMPLES];
        let mut e = [0i16; SUBFRAME_SAMPLES + 10];
        for i in 0..SUBFRAME_SAMPLES {
            dpp[i] = mult_r(gain, self.dp[at + i - lag]);
            e[5 + i] = sub(d[i], dpp[i]);
        }
        let mut params = rpe_encode(&e);
        params.nc = nc;
        params.bc = bc;
        let ep = rpe_decode(&params);
        for i in 0..SUBFRAME_SAMPLES {
            self.dp[at + i] = add(ep[i], dpp[i]);
        }
        params
    }
}

/// Autocorrelation, reflection coefficients, log-area ratios and their coding (4.2.4–4.2.7).
/// Scales `s` down and back as the specification does (its low bits may change).
fn lpc_analysis(s: &mut [i16; FRAME_SAMPLES]) -> [u8; 8] {
    let smax = s.iter().map(|&x| abs(x)).max().unwrap_or(0);
    let scalauto: i32 = if smax == 0 {
        0
    } else {
        4 - norm(i32::from(smax) << 16) as i32
    };
    if scalauto > 0 {
        let factor = 16384i16 >> (scalauto - 1);
        for x in s.iter_mut() {
            *x = mult_r(*x, factor);
        }
    }
    let mut l_acf = [0i64; 9];
    for (k, acf) in l_acf.iter_mut().enumerate() {
        *acf = (k..FRAME_SAMPLES)
            .map(|i| i64::from(s[i]) * i64::from(s[i - k]))
            .sum::<i64>()
            << 1;
    }
    if scalauto > 0 {
        for x in s.iter_mut() {
            *x = ((i32::from(*x)) << scalauto) as i16;
        }
    }
    let mut r = reflection_coefficients(&l_acf);
    // Transformation to log-area ratios (4.2.6).
    for x in &mut r {
        let mut temp = abs(*x);
        if temp < 22118 {
            temp >>= 1;
        } else if temp < 31130 {
            temp -= 11059;
        } else {
            temp = (temp - 26112) << 2;
        }
        *x = if *x < 0 { -temp } else { temp };
    }
    let mut larc = [0u8; 8];
    for (i, &(a, b, mac, mic)) in LAR_Q.iter().enumerate() {
        let mut temp = mult(a, r[i]);
        temp = add(temp, b);
        temp = add(temp, 256);
        temp >>= 9;
        let coded = if temp > mac {
            mac - mic
        } else if temp < mic {
            0
        } else {
            temp - mic
        };
        larc[i] = coded as u8;
    }
    larc
}

/// Schur recursion from the autocorrelation to eight reflection coefficients (4.2.5).
fn reflection_coefficients(l_acf: &[i64; 9]) -> [i16; 8] {
    let mut r = [0i16; 8];
    if l_acf[0] == 0 {
        return r;
    }
    let temp = norm(l_acf[0].clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
    let mut acf = [0i16; 9];
    for i in 0..9 {
        acf[i] = ((l_acf[i] << temp) >> 16) as i16;
    }
    let mut k = [0i16; 9];
    k[1..8].copy_from_slice(&acf[1..8]);
    let mut p = acf;
    for n in 1..=8 {
        let temp = abs(p[1]);
        if p[0] < temp {
            return r;
        }
        let mut rn = div(temp, p[0]);
        if p[1] > 0 {
            rn = -rn;
        }
        r[n - 1] = rn;
        if n == 8 {
            return r;
        }
        p[0] = add(p[0], mult_r(p[1], rn));
        for m in 1..=8 - n {
            p[m] = add(p[m + 1], mult_r(k[m], rn));
            k[m] = add(k[m], mult_r(p[m + 1], rn));
        }
    }
    r
}

/// The LTP lag `Nc` and gain code `bc` for residual `d` against the reconstructed residual whose
/// samples before `at` are in `dp` (4.2.11).
fn ltp_parameters(d: &[i16], dp: &[i16], at: usize) -> (u8, u8) {
    let dmax = d.iter().map(|&x| abs(x)).max().unwrap_or(0);
    let temp = if dmax == 0 {
        0
    } else {
        norm(i32::from(dmax) << 16)
    };
    let scal = 6u32.saturating_sub(temp);
    let wt: Vec<i16> = d.iter().map(|&x| x >> scal).collect();
    let (mut l_max, mut nc) = (0i64, 40usize);
    for lambda in 40..=120 {
        let l_result: i64 = (0..SUBFRAME_SAMPLES)
            .map(|k| i64::from(wt[k]) * i64::from(dp[at + k - lambda]))
            .sum();
        if l_result > l_max {
            nc = lambda;
            l_max = l_result;
        }
    }
    l_max <<= 1;
    l_max >>= 6 - scal;
    let mut l_power: i64 = 0;
    for k in 0..SUBFRAME_SAMPLES {
        let t = i64::from(dp[at + k - nc] >> 3);
        l_power += t * t;
    }
    l_power <<= 1;
    if l_max <= 0 {
        return (nc as u8, 0);
    }
    if l_max >= l_power {
        return (nc as u8, 3);
    }
    let temp = norm(l_power as i32);
    let r = ((l_max << temp) >> 16) as i16;
    let s = ((l_power << temp) >> 16) as i16;
    let bc = (0..3).find(|&bc| r <= mult(s, DLB[bc])).unwrap_or(3);
    (nc as u8, bc as u8)
}

/// Weighting filter, grid selection and APCM quantization of one sub-frame's long-term residual
/// `e` (with five zeros either side) (4.2.13–4.2.15).
fn rpe_encode(e: &[i16; SUBFRAME_SAMPLES + 10]) -> SubframeParams {
    let mut x = [0i16; SUBFRAME_SAMPLES];
    for (k, xk) in x.iter_mut().enumerate() {
        let mut l_result: i32 = 4096;
        for (i, &h) in H.iter().enumerate() {
            l_result += i32::from(e[k + i]) * h;
        }
        *xk = (l_result >> 13).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    }
    let energy = |m: usize| -> i64 {
        (0..13)
            .map(|i| {
                let t = i64::from(x[m + 3 * i] >> 2);
                t * t
            })
            .sum::<i64>()
            << 1
    };
    let (mut mc, mut em) = (0usize, energy(0));
    for m in 1..4 {
        let l = energy(m);
        if l > em {
            mc = m;
            em = l;
        }
    }
    let mut xm = [0i16; 13];
    for (i, v) in xm.iter_mut().enumerate() {
        *v = x[mc + 3 * i];
    }
    let xmax = xm.iter().map(|&v| abs(v)).max().unwrap_or(0);
    let mut exp: i16 = 0;
    let mut temp = xmax >> 9;
    let mut itest = false;
    for _ in 0..=5 {
        itest |= temp <= 0;
        temp >>= 1;
        if !itest {
            exp += 1;
        }
    }
    let xmaxc = add(xmax >> (exp + 5), exp << 3);
    let (exp, mant) = exp_mant(xmaxc);
    let temp1 = (6 - exp) as u32;
    let temp2 = NRFAC[mant];
    let mut params = SubframeParams {
        mc: mc as u8,
        xmaxc: xmaxc as u8,
        ..SubframeParams::default()
    };
    for (c, &v) in params.xmc.iter_mut().zip(&xm) {
        let t = (i32::from(v) << temp1) as i16;
        let t = mult(t, temp2) >> 12;
        *c = (t + 4) as u8;
    }
    params
}

/// Exponent and mantissa of a coded block amplitude (as the decoder splits it).
fn exp_mant(xmaxc: i16) -> (i16, usize) {
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
