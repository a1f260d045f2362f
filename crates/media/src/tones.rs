//! Call progress tones made locally, in the European (CEPT, ETSI TR 101 041) style at 425 Hz:
//!
//! | tone | sound | cadence |
//! |---|---|---|
//! | [`Tone::Ringback`] | 425 Hz | 1 s on, 4 s off |
//! | [`Tone::Busy`] | 425 Hz | 0.5 s on, 0.5 s off |
//! | [`Tone::StutterDial`] | 425 Hz | ten times 0.1 s on, 0.1 s off, then steady (messages waiting) |
//! | [`Tone::Ringer`] | 440 Hz + 554 Hz, trilled at 20 Hz | 1.5 s on, 3.5 s off (the local ringer) |
//!
//! Tones are at -12 dBFS per frequency and start and stop with a 5 ms ramp, so no click.

use std::f32::consts::TAU;

/// A tone to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// The far end is ringing.
    Ringback,
    /// The far end is busy.
    Busy,
    /// Dial tone that stutters: the line has messages waiting.
    StutterDial,
    /// An incoming call (played on the ringer device).
    Ringer,
}

impl Tone {
    /// The frequencies mixed.
    fn frequencies(self) -> &'static [f32] {
        match self {
            Self::Ringer => &[440.0, 554.37],
            _ => &[425.0],
        }
    }

    /// Whether the tone sounds at `ms` since it started.
    fn on_at(self, ms: u64) -> bool {
        match self {
            Self::Ringback => ms % 5000 < 1000,
            Self::Busy => ms % 1000 < 500,
            Self::StutterDial => ms >= 2000 || ms % 200 < 100,
            // 1.5 s on, 3.5 s off, trilled: 25 ms on, 25 ms off within the on part.
            Self::Ringer => ms % 5000 < 1500 && ms % 50 < 25,
        }
    }
}

/// Makes a tone as samples, continuing where the last call stopped.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    tone: Tone,
    rate: u32,
    /// Samples made so far.
    position: u64,
    /// Current envelope, 0..=1, moved toward on/off by a 5 ms ramp.
    envelope: f32,
}

/// Amplitude of each frequency: -12 dBFS.
const AMPLITUDE: f32 = 0.25 * 32767.0;

impl ToneGenerator {
    /// A generator for `tone` at `rate` samples per second (8000–48000).
    pub fn new(tone: Tone, rate: u32) -> Self {
        Self {
            tone,
            rate: rate.clamp(8000, 192_000),
            position: 0,
            envelope: 0.0,
        }
    }

    /// The tone made.
    pub fn tone(&self) -> Tone {
        self.tone
    }

    /// Fills `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        let rate = f64::from(self.rate);
        let step = 1.0 / (0.005 * self.rate as f32);
        for s in out.iter_mut() {
            let ms = self.position * 1000 / u64::from(self.rate);
            let target = if self.tone.on_at(ms) { 1.0 } else { 0.0 };
            if self.envelope < target {
                self.envelope = (self.envelope + step).min(1.0);
            } else if self.envelope > target {
                self.envelope = (self.envelope - step).max(0.0);
            }
            // Phase from the exact sample count, reduced per frequency, so it never drifts.
            let mut v = 0.0f32;
            for &f in self.tone.frequencies() {
                let cycles = (self.position as f64 * f64::from(f) / rate).fract() as f32;
                v += (TAU * cycles).sin();
            }
            *s = (v * AMPLITUDE * self.envelope) as i16;
            self.position += 1;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Power of `freq` in `samples` (Goertzel), normalised so a full-scale sine gives ~1.
    pub(crate) fn goertzel(samples: &[i16], rate: u32, freq: f32) -> f64 {
        let w = std::f64::consts::TAU * f64::from(freq) / f64::from(rate);
        let coeff = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &x in samples {
            let s0 = f64::from(x) / 32768.0 + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        power * 4.0 / (samples.len() as f64).powi(2)
    }

    fn make(tone: Tone, rate: u32, ms: u32) -> Vec<i16> {
        let mut g = ToneGenerator::new(tone, rate);
        let mut out = vec![0i16; (rate * ms / 1000) as usize];
        // Fill in uneven pieces: the result must not depend on them.
        for chunk in out.chunks_mut(77) {
            g.fill(chunk);
        }
        out
    }

    fn window(s: &[i16], rate: u32, from_ms: u32, to_ms: u32) -> &[i16] {
        &s[(rate * from_ms / 1000) as usize..(rate * to_ms / 1000) as usize]
    }

    #[test]
    fn ringback_is_425_hz_one_second_in_five() {
        let s = make(Tone::Ringback, 8000, 5000);
        let on = window(&s, 8000, 100, 900);
        assert!(goertzel(on, 8000, 425.0) > 0.04);
        assert!(goertzel(on, 8000, 600.0) < 0.001);
        let off = window(&s, 8000, 1100, 4900);
        assert!(off.iter().all(|&x| x == 0));
    }

    #[test]
    fn busy_is_half_a_second_on_and_off() {
        let s = make(Tone::Busy, 16_000, 2000);
        for (from, to, on) in [(50, 450, true), (550, 950, false), (1050, 1450, true)] {
            let p = goertzel(window(&s, 16_000, from, to), 16_000, 425.0);
            assert_eq!(p > 0.04, on, "{from}..{to}: {p}");
        }
    }

    #[test]
    fn stutter_dial_stutters_then_stays() {
        let s = make(Tone::StutterDial, 8000, 3000);
        let p = |a, b| goertzel(window(&s, 8000, a, b), 8000, 425.0);
        assert!(p(110, 190) < 0.001);
        assert!(p(10, 90) > 0.04);
        assert!(p(2100, 2900) > 0.04);
    }

    #[test]
    fn ringer_mixes_two_frequencies() {
        let s = make(Tone::Ringer, 48_000, 5000);
        let on = window(&s, 48_000, 0, 1500);
        assert!(goertzel(on, 48_000, 440.0) > 0.005);
        assert!(goertzel(on, 48_000, 554.37) > 0.005);
        assert!(window(&s, 48_000, 1600, 4900).iter().all(|&x| x == 0));
    }
}
