//! Streaming mono resampling between a device's rate and a codec's (rubato).
//!
//! A windowed-sinc resampler (`rubato::Async`, 64 taps, Blackman-Harris window, linear
//! interpolation between 128 precomputed phases) fed in chunks of 5 ms of input. Its delay is
//! the filter's half length (32 input samples: 4 ms at 8 kHz, 0.7 ms at 48 kHz) plus whatever
//! waits for a chunk to fill (below 5 ms); `delay_ms` reports it and the tests measure it.
//! Equal rates pass samples through untouched.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, FixedAsync, Indexing, Resampler as _, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};

/// Input per chunk, in milliseconds.
const CHUNK_MS: u32 = 5;
const SINC_LEN: usize = 64;

/// Converts a stream of mono samples from one rate to another.
pub(crate) struct Resampler {
    from: u32,
    to: u32,
    inner: Option<Async<f32>>,
    pending: Vec<f32>,
    scratch: Vec<f32>,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz (both above zero).
    pub fn new(from: u32, to: u32) -> Resampler {
        let from = from.max(1);
        let to = to.max(1);
        let inner = (from != to).then(|| {
            let params =
                SincInterpolationParameters::new(SINC_LEN, WindowFunction::BlackmanHarris2)
                    .oversampling_factor(128)
                    .interpolation(SincInterpolationType::Linear);
            let chunk = (from * CHUNK_MS / 1000).max(8) as usize;
            Async::<f32>::new_sinc(
                f64::from(to) / f64::from(from),
                1.0,
                &params,
                chunk,
                1,
                FixedAsync::Input,
            )
            .expect("a fixed ratio between two positive rates is valid")
        });
        let scratch = vec![0.0; inner.as_ref().map_or(0, |r| r.output_frames_max())];
        Resampler {
            from,
            to,
            inner,
            pending: Vec::new(),
            scratch,
        }
    }

    /// The rates this resampler converts between.
    pub fn rates(&self) -> (u32, u32) {
        (self.from, self.to)
    }

    /// Resamples `input` and appends what is ready to `out`. What does not fill a chunk yet
    /// waits for the next call (at most one chunk).
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        let Some(inner) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            return;
        };
        self.pending.extend_from_slice(input);
        let total = self.pending.len();
        let mut offset = 0;
        loop {
            let need = inner.input_frames_next();
            if total - offset < need {
                break;
            }
            let input = InterleavedSlice::new(&self.pending[..], 1, total)
                .expect("one channel of `total` frames");
            let frames_out = self.scratch.len();
            let mut output = InterleavedSlice::new_mut(&mut self.scratch[..], 1, frames_out)
                .expect("one channel of `frames_out` frames");
            let indexing = Indexing {
                input_offset: offset,
                ..Indexing::new()
            };
            match inner.process_into_buffer(&input, &mut output, Some(&indexing)) {
                Ok((used, made)) => {
                    offset += used;
                    out.extend_from_slice(&self.scratch[..made]);
                    if used == 0 {
                        break;
                    }
                }
                Err(err) => {
                    // Cannot happen with buffers sized from the resampler's own figures; drop the
                    // chunk rather than loop.
                    tracing::warn!("resampling failed: {err}");
                    offset = total;
                    break;
                }
            }
        }
        self.pending.drain(..offset);
    }

    /// The filter's delay plus the longest wait for a chunk, in milliseconds.
    pub fn delay_ms(&self) -> f64 {
        match &self.inner {
            None => 0.0,
            Some(inner) => {
                inner.output_delay() as f64 * 1000.0 / f64::from(self.to) + f64::from(CHUNK_MS)
            }
        }
    }
}

/// i16 → f32 in [-1, 1).
pub(crate) fn to_f32(samples: &[i16], out: &mut Vec<f32>) {
    out.extend(samples.iter().map(|&s| f32::from(s) / 32768.0));
}

/// f32 → i16, clipped.
pub(crate) fn to_i16(sample: f32) -> i16 {
    (sample * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, n: usize, amp: f32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin() as f32
            })
            .collect()
    }

    /// Amplitude of `freq` in `x` (Goertzel), for a sine of amplitude A about A.
    fn level(x: &[f32], freq: f64, rate: u32) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &v in x {
            let s = f64::from(v) + 2.0 * w.cos() * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
        2.0 * power.sqrt() / x.len() as f64
    }

    fn run(from: u32, to: u32, input: &[f32], piece: usize) -> Vec<f32> {
        let mut r = Resampler::new(from, to);
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            r.process(chunk, &mut out);
        }
        out
    }

    #[test]
    fn equal_rates_pass_through() {
        let x = tone(1000.0, 8000, 800, 0.5);
        assert_eq!(run(8000, 8000, &x, 160), x);
    }

    #[test]
    fn a_tone_keeps_its_frequency_and_level_at_every_codec_and_device_rate() {
        for (from, to) in [
            (8000, 44100),
            (44100, 8000),
            (16000, 48000),
            (48000, 16000),
            (48000, 44100),
            (44100, 48000),
            (8000, 48000),
        ] {
            let x = tone(1000.0, from, from as usize, 0.5);
            let y = run(from, to, &x, (from / 50) as usize);
            // Whole seconds of input give about as many seconds of output (minus the delay).
            let expect = to as usize;
            assert!(
                y.len() + to as usize / 50 >= expect && y.len() <= expect,
                "{from}→{to}: {} samples",
                y.len()
            );
            let steady = &y[y.len() / 4..];
            let at = level(steady, 1000.0, to);
            assert!((at - 0.5).abs() < 0.03, "{from}→{to}: 1 kHz at {at}");
            let off = level(steady, 1300.0, to);
            assert!(off < 0.01, "{from}→{to}: energy off the tone {off}");
        }
    }

    #[test]
    fn frequencies_above_the_lower_nyquist_are_removed_when_downsampling() {
        let x = tone(6000.0, 48000, 48000, 0.5);
        let y = run(48000, 8000, &x, 960);
        let steady = &y[y.len() / 4..];
        // 6 kHz would alias to 2 kHz at 8 kHz.
        assert!(level(steady, 2000.0, 8000) < 0.01);
    }

    #[test]
    fn odd_piece_sizes_give_the_same_stream_as_whole_frames() {
        let x = tone(700.0, 16000, 16000, 0.5);
        let a = run(16000, 44100, &x, 320);
        let b = run(16000, 44100, &x, 77);
        let n = a.len().min(b.len());
        assert!(n > 40000);
        for i in 0..n {
            assert!(
                (a[i] - b[i]).abs() < 1e-4,
                "sample {i}: {} vs {}",
                a[i],
                b[i]
            );
        }
    }

    #[test]
    fn pending_input_stays_below_one_chunk() {
        let mut r = Resampler::new(8000, 44100);
        let mut out = Vec::new();
        for _ in 0..1000 {
            r.process(&[0.1; 33], &mut out);
            assert!(r.pending.len() < 40 + 33);
        }
    }

    /// Measures the delay through the resampler: the position of an impulse's peak.
    #[test]
    fn measured_delay_matches_the_reported_delay() {
        for (from, to) in [
            (8000u32, 44100u32),
            (44100, 8000),
            (48000, 48000),
            (16000, 48000),
        ] {
            let mut x = vec![0.0f32; from as usize / 2];
            let at = from as usize / 10;
            x[at] = 1.0;
            let y = run(from, to, &x, (from / 50) as usize);
            let peak = y
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .map(|(i, _)| i)
                .unwrap();
            let expected = at as f64 * f64::from(to) / f64::from(from);
            let delay_ms = (peak as f64 - expected) * 1000.0 / f64::from(to);
            let r = Resampler::new(from, to);
            eprintln!(
                "resampler {from}→{to}: measured filter delay {delay_ms:.2} ms, reported bound {:.2} ms",
                r.delay_ms()
            );
            assert!(
                delay_ms >= -0.2 && delay_ms <= r.delay_ms(),
                "{from}→{to}: {delay_ms} ms"
            );
        }
    }

    #[test]
    fn conversions_clip_and_round() {
        assert_eq!(to_i16(1.5), 32767);
        assert_eq!(to_i16(-1.5), -32768);
        let mut v = Vec::new();
        to_f32(&[-32768, 0, 16384], &mut v);
        assert_eq!(v, vec![-1.0, 0.0, 0.5]);
        assert_eq!(to_i16(0.5), 16384);
    }
}
