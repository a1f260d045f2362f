//! The ringer's sound, until the media crate's `tones::Tone::Ringer` takes its place.
//!
//! Two tones, 440 Hz and 480 Hz, each at a quarter of full scale; 2 s on, 4 s off (the North
//! American ring cadence), with 10 ms ramps so the edges do not click.

use std::f64::consts::TAU;

const ON_MS: u64 = 2000;
const PERIOD_MS: u64 = 6000;
const RAMP_MS: u64 = 10;

/// Makes the ringer's samples at a given rate.
#[derive(Debug, Clone)]
pub(crate) struct RingerTone {
    rate: u64,
    n: u64,
}

impl RingerTone {
    pub fn new(rate: u32) -> RingerTone {
        RingerTone {
            rate: u64::from(rate.max(1)),
            n: 0,
        }
    }

    /// Fills `out` with the next samples (mono, in [-1, 1]).
    pub fn fill(&mut self, out: &mut [f32]) {
        let period = PERIOD_MS * self.rate / 1000;
        let on = ON_MS * self.rate / 1000;
        let ramp = (RAMP_MS * self.rate / 1000).max(1);
        for o in out.iter_mut() {
            let at = self.n % period;
            *o = if at < on {
                let t = self.n as f64 / self.rate as f64;
                let edge = at.min(on - 1 - at).min(ramp) as f64 / ramp as f64;
                (0.25 * ((TAU * 440.0 * t).sin() + (TAU * 480.0 * t).sin()) * edge) as f32
            } else {
                0.0
            };
            self.n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_two_seconds_then_rests_four() {
        let rate = 8000;
        let mut tone = RingerTone::new(rate);
        let mut buf = vec![0.0f32; rate as usize * 12];
        tone.fill(&mut buf);
        let energy = |from_s: f64, to_s: f64| {
            let a = (from_s * f64::from(rate)) as usize;
            let b = (to_s * f64::from(rate)) as usize;
            buf[a..b].iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / (b - a) as f64
        };
        assert!(energy(0.1, 1.9) > 0.05, "rings in the first two seconds");
        assert_eq!(energy(2.0, 6.0), 0.0, "silent for four seconds");
        assert!(energy(6.1, 7.9) > 0.05, "rings again");
        assert!(buf.iter().all(|v| v.abs() <= 0.5));
        // The ramp: the first sample is silent, full level after 10 ms.
        assert_eq!(buf[0], 0.0);
    }
}
