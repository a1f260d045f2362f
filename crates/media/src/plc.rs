//! Packet loss concealment for waveform codecs in the style of ITU-T G.711 Appendix I.
//!
//! On the first missing frame the pitch period is estimated from the last 48.75 ms of output by
//! normalised cross-correlation (lags of 5–15 ms). The missing audio is the last pitch period
//! repeated; after 10 ms the last two periods, after 20 ms the last three, so a long gap does not
//! buzz. From 10 ms on the level falls by 20 % per 10 ms, reaching silence at 60 ms; longer gaps
//! stay silent. The first good frame after a gap is cross-faded with the continued synthetic
//! signal over 4 ms, plus 4 ms for each further 10 ms lost (at most 10 ms), so there is no click.
//! Every buffer has a fixed size set by the sample rate.

/// History kept, in milliseconds × 100 (48.75 ms as in Appendix I).
const HISTORY_CENTI_MS: u32 = 4875;

/// Concealment state for one stream.
#[derive(Debug, Clone)]
pub(crate) struct Concealer {
    rate: u32,
    history: Vec<i16>,
    /// The periods being repeated (copied from history when a gap starts).
    periods: Vec<i16>,
    pitch: usize,
    /// Samples concealed in the current gap.
    erased: usize,
    /// Read position within the repeated stretch.
    pos: usize,
}

impl Concealer {
    pub(crate) fn new(rate: u32) -> Self {
        let len = (rate * HISTORY_CENTI_MS / 100_000) as usize;
        Self {
            rate,
            history: vec![0; len],
            periods: Vec::with_capacity(len),
            pitch: 0,
            erased: 0,
            pos: 0,
        }
    }

    fn ms(&self, ms: u32) -> usize {
        (self.rate * ms / 1000) as usize
    }

    fn remember(&mut self, frame: &[i16]) {
        let n = frame.len().min(self.history.len());
        self.history.rotate_left(n);
        let len = self.history.len();
        self.history[len - n..].copy_from_slice(&frame[frame.len() - n..]);
    }

    /// Takes a good frame: cross-fades it with the concealment after a gap, and remembers it.
    pub(crate) fn good(&mut self, frame: &mut [i16]) {
        if self.erased > 0 {
            let extra_tens = (self.erased / self.ms(10)).saturating_sub(1);
            let fade = (self.ms(4) * (1 + extra_tens))
                .min(self.ms(10))
                .min(frame.len());
            let mut synthetic = vec![0i16; fade];
            self.synthesize(&mut synthetic);
            for (i, (s, syn)) in frame.iter_mut().zip(&synthetic).enumerate() {
                let w = (i + 1) as f32 / (fade + 1) as f32;
                *s = (f32::from(*s) * w + f32::from(*syn) * (1.0 - w)) as i16;
            }
            self.erased = 0;
        }
        self.remember(frame);
    }

    /// Fills a missing frame.
    pub(crate) fn conceal(&mut self, out: &mut [i16]) {
        if self.erased == 0 {
            self.pitch = self.find_pitch();
            self.start_periods(1);
        }
        self.synthesize(out);
        let copy = out.to_vec();
        self.remember(&copy);
    }

    #[cfg(test)]
    /// Whether the gap has lasted long enough that concealment is silence.
    pub(crate) fn exhausted(&self) -> bool {
        self.erased >= self.ms(60)
    }

    fn start_periods(&mut self, count: usize) {
        let len = (self.pitch * count).min(self.history.len());
        let start = self.history.len() - len;
        // Keep the phase: the new stretch ends where the old one was heading.
        let phase = if self.periods.is_empty() {
            0
        } else {
            self.pos % self.pitch
        };
        self.periods.clear();
        self.periods.extend_from_slice(&self.history[start..]);
        self.pos = (len - self.pitch + phase) % len.max(1);
    }

    fn synthesize(&mut self, out: &mut [i16]) {
        let (ten, sixty) = (self.ms(10), self.ms(60));
        for s in out.iter_mut() {
            if self.erased == ten {
                self.start_periods(2);
            } else if self.erased == 2 * ten {
                self.start_periods(3);
            }
            let gain = if self.erased < ten {
                1.0
            } else if self.erased >= sixty {
                0.0
            } else {
                1.0 - 0.2 * (self.erased - ten) as f32 / ten as f32
            };
            let v = self.periods.get(self.pos).copied().unwrap_or(0);
            *s = (f32::from(v) * gain) as i16;
            self.pos = (self.pos + 1) % self.periods.len().max(1);
            self.erased = self.erased.saturating_add(1);
        }
        if self.erased >= sixty {
            self.periods.clear();
        }
    }

    /// The lag in 5..=15 ms whose normalised cross-correlation with the last stretch is highest.
    fn find_pitch(&self) -> usize {
        let (min, max) = (self.ms(5).max(1), self.ms(15).max(2));
        let h = &self.history;
        let window = max;
        let tail = &h[h.len() - window..];
        let mut best = (max, f64::MIN);
        for lag in min..=max {
            let start = h.len() - window - lag;
            let past = &h[start..start + window];
            let (mut corr, mut energy) = (0f64, 0f64);
            for (a, b) in tail.iter().zip(past) {
                corr += f64::from(*a) * f64::from(*b);
                energy += f64::from(*b) * f64::from(*b);
            }
            let score = if energy > 0.0 {
                corr / energy.sqrt()
            } else {
                0.0
            };
            if score > best.1 {
                best = (lag, score);
            }
        }
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, rate: u32, start: usize, out: &mut [i16]) {
        for (i, s) in out.iter_mut().enumerate() {
            let t = (start + i) as f32 / rate as f32;
            *s = (8000.0 * (2.0 * std::f32::consts::PI * freq * t).sin()) as i16;
        }
    }

    #[test]
    fn finds_the_pitch_of_a_voiced_sound() {
        let mut plc = Concealer::new(8000);
        // 100 Hz: a period of 80 samples (10 ms).
        for k in 0..5 {
            let mut f = [0i16; 160];
            sine(100.0, 8000, k * 160, &mut f);
            plc.good(&mut f);
        }
        assert_eq!(plc.find_pitch(), 80);
    }

    #[test]
    fn concealment_continues_the_wave_then_fades_to_silence() {
        let mut plc = Concealer::new(8000);
        for k in 0..5 {
            let mut f = [0i16; 160];
            sine(200.0, 8000, k * 160, &mut f);
            plc.good(&mut f);
        }
        let mut first = [0i16; 160];
        plc.conceal(&mut first);
        // The first 10 ms repeat the wave at full level: close to the real continuation.
        let mut real = [0i16; 160];
        sine(200.0, 8000, 5 * 160, &mut real);
        let err: f64 = first[..80]
            .iter()
            .zip(&real)
            .map(|(a, b)| f64::from(a - b).abs())
            .sum::<f64>()
            / 80.0;
        assert!(err < 300.0, "mean error {err}");
        let peak = |f: &[i16]| f.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        let mut frames = vec![first];
        for _ in 0..3 {
            let mut f = [0i16; 160];
            plc.conceal(&mut f);
            frames.push(f);
        }
        // 20–40 ms fades; 40–60 ms quieter still; past 60 ms silence.
        assert!(peak(&frames[1]) < peak(&frames[0]));
        assert!(peak(&frames[2]) < peak(&frames[1]));
        assert!(plc.exhausted());
        let mut after = [1i16; 160];
        plc.conceal(&mut after);
        assert_eq!(peak(&after), 0);
    }

    #[test]
    fn recovery_fades_in_without_a_jump() {
        let mut plc = Concealer::new(8000);
        let mut silent = [0i16; 160];
        plc.good(&mut silent);
        plc.conceal(&mut silent);
        let mut loud = [20_000i16; 160];
        plc.good(&mut loud);
        assert!(loud[0] < 2000, "first sample {}", loud[0]);
        assert_eq!(loud[159], 20_000);
    }

    #[test]
    fn works_at_sixteen_kilohertz() {
        let mut plc = Concealer::new(16_000);
        for k in 0..5 {
            let mut f = [0i16; 320];
            sine(160.0, 16_000, k * 320, &mut f);
            plc.good(&mut f);
        }
        assert_eq!(plc.find_pitch(), 100);
    }
}
