//! The parts of ITU-T G.722 that encoder and decoder share: the sub-band ADPCM state, its
//! adaptive predictor (block 4), the scale factor adaptation (blocks 3L/3H), the quadrature
//! mirror filter and the quantizer tables. Integer arithmetic exactly as the Recommendation
//! specifies, so any conforming encoder and decoder interoperate bit for bit.

/// QMF coefficients (G.722 Table 11), one half of the symmetric 24-tap filter.
pub(super) const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/// Log scale factor increments for the lower band, by the 4-bit quantizer's magnitude (WL).
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
/// 4-bit code → index into `WL` (RL42).
const RL42: [i32; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
/// Higher band log scale factor increments (WH) and 2-bit code → index (RH2).
const WH: [i32; 3] = [0, -214, 798];
const RH2: [i32; 4] = [2, 1, 2, 1];
/// The antilog table of the scale factor (ILB).
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// Inverse quantizers: 4-bit lower band (QM4, used for prediction), 6-bit lower band (QM6, the
/// 64 kbit/s output), 2-bit higher band (QM2).
pub(super) const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
pub(super) const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
pub(super) const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];

/// Clamps to the 16-bit range, as the Recommendation's arithmetic does.
pub(super) fn saturate(x: i32) -> i16 {
    x.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

fn sat(x: i32) -> i32 {
    i32::from(saturate(x))
}

/// One sub-band's ADPCM state.
#[derive(Debug, Clone)]
pub(super) struct Band {
    /// The signal estimate (s), its pole (sp) and zero (sz) parts.
    pub(super) s: i32,
    sp: i32,
    sz: i32,
    /// Reconstructed signal, partial reconstruction, pole coefficients and their update.
    r: [i32; 3],
    p: [i32; 3],
    a: [i32; 3],
    ap: [i32; 3],
    /// Quantized differences, zero coefficients and their update.
    d: [i32; 7],
    b: [i32; 7],
    bp: [i32; 7],
    sg: [i32; 7],
    /// The log scale factor (nb) and the scale factor (det).
    nb: i32,
    pub(super) det: i32,
}

impl Band {
    /// The reset state: `det` is 32 for the lower band, 8 for the higher.
    pub(super) fn new(det: i32) -> Self {
        Band {
            s: 0,
            sp: 0,
            sz: 0,
            r: [0; 3],
            p: [0; 3],
            a: [0; 3],
            ap: [0; 3],
            d: [0; 7],
            b: [0; 7],
            bp: [0; 7],
            sg: [0; 7],
            nb: 0,
            det,
        }
    }

    /// Blocks 3L (LOGSCL, SCALEL): adapts the lower band's scale factor to a 4-bit code.
    pub(super) fn adapt_lower(&mut self, code4: usize) {
        let nb = ((self.nb * 127) >> 7) + WL[RL42[code4] as usize];
        self.nb = nb.clamp(0, 18432);
        self.det = scale(self.nb, 8);
    }

    /// Blocks 3H (LOGSCH, SCALEH): adapts the higher band's scale factor to a 2-bit code.
    pub(super) fn adapt_higher(&mut self, code2: usize) {
        let nb = ((self.nb * 127) >> 7) + WH[RH2[code2] as usize];
        self.nb = nb.clamp(0, 22528);
        self.det = scale(self.nb, 10);
    }

    /// Block 4: reconstructs with the quantized difference `d` and updates the predictor.
    pub(super) fn update(&mut self, d: i32) {
        // RECONS, PARREC
        self.d[0] = d;
        self.r[0] = sat(self.s + d);
        self.p[0] = sat(self.sz + d);

        // UPPOL2
        for i in 0..3 {
            self.sg[i] = self.p[i] >> 15;
        }
        let wd1 = sat(self.a[1] << 2);
        let wd2 = (if self.sg[0] == self.sg[1] { -wd1 } else { wd1 }).min(32767);
        let mut wd3 = if self.sg[0] == self.sg[2] { 128 } else { -128 };
        wd3 += wd2 >> 7;
        wd3 += (self.a[2] * 32512) >> 15;
        self.ap[2] = wd3.clamp(-12288, 12288);

        // UPPOL1
        self.sg[0] = self.p[0] >> 15;
        self.sg[1] = self.p[1] >> 15;
        let wd1 = if self.sg[0] == self.sg[1] { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        let limit = sat(15360 - self.ap[2]);
        self.ap[1] = sat(wd1 + wd2).clamp(-limit, limit);

        // UPZERO
        let step = if d == 0 { 0 } else { 128 };
        self.sg[0] = d >> 15;
        for i in 1..7 {
            self.sg[i] = self.d[i] >> 15;
            let wd2 = if self.sg[i] == self.sg[0] {
                step
            } else {
                -step
            };
            let wd3 = (self.b[i] * 32640) >> 15;
            self.bp[i] = sat(wd2 + wd3);
        }

        // DELAYZ, DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = self.bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
            self.a[i] = self.ap[i];
        }

        // FILTEP
        let wd1 = (self.a[1] * sat(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * sat(self.r[2] + self.r[2])) >> 15;
        self.sp = sat(wd1 + wd2);

        // FILTEZ
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = sat(sz);

        // PREDIC
        self.s = sat(self.sp + self.sz);
    }
}

/// SCALEL/SCALEH: the scale factor from the log scale factor.
fn scale(nb: i32, shift: i32) -> i32 {
    let wd1 = ILB[((nb >> 6) & 31) as usize];
    let wd2 = shift - (nb >> 11);
    let wd3 = if wd2 < 0 { wd1 << -wd2 } else { wd1 >> wd2 };
    wd3 << 2
}
