//! Comfort noise received (RFC 3389): the payload's first byte is the noise level in -dBov;
//! between talkspurts we play white noise at that level. The spectral coefficients that may
//! follow are not used (the noise is white).

/// Static payload type of CN at 8 kHz (RFC 3551).
pub(crate) const CN_PAYLOAD_TYPE: u8 = 13;

/// The noise level of a CN payload, in -dBov (0–127).
pub(crate) fn level_of(payload: &[u8]) -> Option<u8> {
    payload.first().map(|b| b & 0x7F)
}

/// White noise at a level, from a small deterministic generator (xorshift).
#[derive(Debug, Clone)]
pub(crate) struct ComfortNoise {
    state: u64,
    amplitude: f32,
}

impl ComfortNoise {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            state: seed | 1,
            amplitude: 0.0,
        }
    }

    /// Sets the level in -dBov: 0 dBov is a full-scale sine (RMS 32767/√2); uniform noise of
    /// amplitude `a` has RMS `a/√3`.
    pub(crate) fn set_level(&mut self, minus_dbov: u8) {
        let rms = 32767.0 / 2f32.sqrt() * 10f32.powf(-f32::from(minus_dbov) / 20.0);
        self.amplitude = (rms * 3f32.sqrt()).min(32767.0);
    }

    pub(crate) fn fill(&mut self, out: &mut [i16]) {
        for s in out {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            // Uniform in [-1, 1).
            let u = (self.state >> 40) as f32 / (1u64 << 23) as f32 - 1.0;
            *s = (u * self.amplitude) as i16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dbov(samples: &[i16]) -> f64 {
        let rms = (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>()
            / samples.len() as f64)
            .sqrt();
        20.0 * (rms / (32767.0 / 2f64.sqrt())).log10()
    }

    #[test]
    fn noise_has_the_signalled_level() {
        for level in [20u8, 40, 60, 70] {
            let mut cn = ComfortNoise::new(7);
            cn.set_level(level);
            let mut out = vec![0i16; 8000];
            cn.fill(&mut out);
            let got = dbov(&out);
            assert!(
                (got + f64::from(level)).abs() < 1.0,
                "level {level}: {got:.2} dBov"
            );
        }
        assert_eq!(level_of(&[0xC0, 1, 2]), Some(0x40));
        assert_eq!(level_of(&[]), None);
    }
}
