//! `DeviceAudio`: a call's sound on real devices.
//!
//! Playback: the caller's samples (codec rate) → resampler → ring → cpal's output callback
//! (device rate, every channel). Capture: cpal's input callback (device rate, channels mixed to
//! mono) → ring → resampler → a short queue the caller takes from at the codec rate. Both rings
//! keep at most [`RING_MS`] of sound. When cpal reports a stream dead (a device unplugged) the
//! next `play` or `capture` drops it and a helper thread opens the default device instead; the
//! caller never waits for a device. A notice in words says what happened.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use crate::resample::{Resampler, to_f32, to_i16};
use crate::ring::{Counters, RingReader, RingWriter, ring};
use crate::stream::{Opened, Watch, Way, devices, open_input, open_output};
use crate::{AudioChoice, AudioError, AudioPort, Devices};

/// The most sound a ring (and the capture queue) holds, in milliseconds (at least three of the
/// device's buffers); past it the oldest are dropped down to a third.
pub const RING_MS: u32 = 80;
/// Reopening a failed device: at most this many tries in a call, the first at once, then after
/// 1 s, 2 s, ...
const REOPEN_TRIES: u32 = 3;
/// The most notices kept for the caller.
const NOTICES: usize = 8;
/// The most device failures a call recovers from in each direction; past that it goes on
/// without that direction's sound (a device that keeps dying must not make a reopening loop).
const MAX_FAILURES: u32 = 5;

/// The sound devices there are now (names for an [`AudioChoice`]).
pub fn list_devices() -> Devices {
    Devices {
        inputs: devices(Way::Input),
        outputs: devices(Way::Output),
    }
}

/// What the rings dropped and made up so far, and the devices' rates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AudioStats {
    /// Samples of silence played because the caller's sound came late (device rate).
    pub playback_underrun: u64,
    /// Samples of the caller's sound dropped because too much waited (device rate).
    pub playback_overrun: u64,
    /// Captured samples dropped because the caller did not take them in time.
    pub capture_overrun: u64,
    /// Glitches the devices reported and survived.
    pub glitches: u64,
    /// The speaker's and microphone's rates (0: none open).
    pub output_rate: u32,
    pub input_rate: u32,
    /// Sound waiting for the speaker now, in milliseconds.
    pub playback_queue_ms: f64,
    /// The resamplers' delay (playback + capture), in milliseconds.
    pub resampler_delay_ms: f64,
}

struct Out {
    opened: Opened,
    writer: RingWriter,
    watch: Watch,
}

struct In {
    opened: Opened,
    reader: RingReader,
    watch: Watch,
}

fn open_out(name: Option<&str>, counters: Arc<Counters>) -> Result<(Out, bool), AudioError> {
    let mut writer = None;
    let (opened, missing) = open_output(name, |rate| {
        let (w, mut reader) = ring(ring_len(rate), counters);
        writer = Some(w);
        move |buf: &mut [f32]| reader.read_or_silence(buf)
    })?;
    let writer = writer.expect("the source is made before the stream opens");
    let watch = Watch::new(Instant::now());
    Ok((
        Out {
            opened,
            writer,
            watch,
        },
        missing,
    ))
}

fn open_in(name: Option<&str>, counters: Arc<Counters>) -> Result<(In, bool), AudioError> {
    let mut reader = None;
    let (opened, missing) = open_input(name, |rate| {
        let (mut writer, r) = ring(ring_len(rate), counters);
        reader = Some(r);
        move |buf: &[f32]| writer.write_from_device(buf)
    })?;
    let reader = reader.expect("the sink is made before the stream opens");
    let watch = Watch::new(Instant::now());
    Ok((
        In {
            opened,
            reader,
            watch,
        },
        missing,
    ))
}

fn ring_len(rate: u32) -> usize {
    (u64::from(rate) * u64::from(RING_MS) / 1000) as usize
}

/// A device that failed and is being replaced.
struct Reopen<T> {
    tries: u32,
    next_at: Instant,
    pending: Option<Receiver<Result<(T, bool), AudioError>>>,
    lost: String,
}

/// A call's sound on the chosen (or default) microphone and speaker.
pub struct DeviceAudio {
    out: Option<Out>,
    inp: Option<In>,
    reopen_out: Option<Reopen<Out>>,
    reopen_in: Option<Reopen<In>>,
    play_counters: Arc<Counters>,
    capture_counters: Arc<Counters>,
    play_resampler: Option<Resampler>,
    capture_resampler: Option<Resampler>,
    floats: Vec<f32>,
    resampled: Vec<f32>,
    captured: VecDeque<f32>,
    capture_dropped: u64,
    capture_batch: usize,
    notices: VecDeque<String>,
    failures_out: u32,
    failures_in: u32,
}

impl std::fmt::Debug for DeviceAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAudio")
            .field("speaker", &self.out.as_ref().map(|o| &o.opened.label))
            .field("microphone", &self.inp.as_ref().map(|i| &i.opened.label))
            .finish_non_exhaustive()
    }
}

impl DeviceAudio {
    /// Opens the chosen speaker and microphone at their preferred rates. A chosen device that
    /// is not there is replaced by the default (a notice says so). Fails, in words, when there
    /// is no speaker at all; a missing microphone only gives a notice (the other side hears
    /// silence). Use [`crate::NoAudio`] when this fails.
    pub fn open(choice: &AudioChoice) -> Result<DeviceAudio, AudioError> {
        let play_counters = Arc::new(Counters::default());
        let capture_counters = Arc::new(Counters::default());
        let mut notices = VecDeque::new();
        let (out, missing) = open_out(choice.speaker.as_deref(), play_counters.clone())?;
        if missing && let Some(name) = &choice.speaker {
            notices.push_back(format!(
                "the speaker \u{201c}{name}\u{201d} is not connected; using the default speaker \u{201c}{}\u{201d}",
                out.opened.label
            ));
        }
        let inp = match open_in(choice.microphone.as_deref(), capture_counters.clone()) {
            Ok((inp, missing)) => {
                if missing && let Some(name) = &choice.microphone {
                    notices.push_back(format!(
                        "the microphone \u{201c}{name}\u{201d} is not connected; using the default microphone \u{201c}{}\u{201d}",
                        inp.opened.label
                    ));
                }
                Some(inp)
            }
            Err(err) => {
                notices.push_back(format!("{err}; the other side hears silence"));
                None
            }
        };
        Ok(DeviceAudio {
            out: Some(out),
            inp,
            reopen_out: None,
            reopen_in: None,
            play_counters,
            capture_counters,
            play_resampler: None,
            capture_resampler: None,
            floats: Vec::new(),
            resampled: Vec::new(),
            captured: VecDeque::new(),
            capture_dropped: 0,
            capture_batch: 0,
            notices,
            failures_out: 0,
            failures_in: 0,
        })
    }

    /// The speaker's and microphone's labels now.
    pub fn devices_in_use(&self) -> (Option<&str>, Option<&str>) {
        (
            self.out.as_ref().map(|o| o.opened.label.as_str()),
            self.inp.as_ref().map(|i| i.opened.label.as_str()),
        )
    }

    /// What was dropped and made up so far.
    pub fn stats(&self) -> AudioStats {
        let glitches = self
            .out
            .iter()
            .map(|o| o.opened.health.glitches.load(Ordering::Relaxed))
            .chain(
                self.inp
                    .iter()
                    .map(|i| i.opened.health.glitches.load(Ordering::Relaxed)),
            )
            .sum();
        let output_rate = self.out.as_ref().map_or(0, |o| o.opened.rate);
        let queued = self.out.as_ref().map_or(0, |o| o.writer.queued());
        AudioStats {
            playback_underrun: self.play_counters.underrun.load(Ordering::Relaxed),
            playback_overrun: self.play_counters.overrun.load(Ordering::Relaxed),
            capture_overrun: self.capture_counters.overrun.load(Ordering::Relaxed)
                + self.capture_dropped,
            glitches,
            output_rate,
            input_rate: self.inp.as_ref().map_or(0, |i| i.opened.rate),
            playback_queue_ms: if output_rate > 0 {
                queued as f64 * 1000.0 / f64::from(output_rate)
            } else {
                0.0
            },
            resampler_delay_ms: self.play_resampler.as_ref().map_or(0.0, |r| r.delay_ms())
                + self
                    .capture_resampler
                    .as_ref()
                    .map_or(0.0, |r| r.delay_ms()),
        }
    }

    fn notice(&mut self, text: String) {
        if self.notices.len() >= NOTICES {
            self.notices.pop_front();
        }
        tracing::info!("audio: {text}");
        self.notices.push_back(text);
    }

    /// Notices failed streams, starts their replacement, installs replacements that are ready.
    fn check_devices(&mut self) {
        let now = Instant::now();
        if let Some(out) = self.out.as_mut()
            && out.watch.failed(&out.opened.health, now)
        {
            let lost = out.opened.label.clone();
            let why = out.opened.health.reason().unwrap_or_default();
            tracing::warn!("audio: speaker {lost} failed: {why}");
            bury(self.out.take());
            self.failures_out += 1;
            if self.failures_out > MAX_FAILURES {
                self.notice(format!(
                    "the speaker \u{201c}{lost}\u{201d} keeps failing; the call goes on, but you hear nothing"
                ));
            } else {
                self.reopen_out = Some(Reopen {
                    tries: 0,
                    next_at: now,
                    pending: None,
                    lost,
                });
            }
        }
        if let Some(inp) = self.inp.as_mut()
            && inp.watch.failed(&inp.opened.health, now)
        {
            let lost = inp.opened.label.clone();
            let why = inp.opened.health.reason().unwrap_or_default();
            tracing::warn!("audio: microphone {lost} failed: {why}");
            bury(self.inp.take());
            self.failures_in += 1;
            if self.failures_in > MAX_FAILURES {
                self.notice(format!(
                    "the microphone \u{201c}{lost}\u{201d} keeps failing; the call goes on, but the other side hears silence"
                ));
            } else {
                self.reopen_in = Some(Reopen {
                    tries: 0,
                    next_at: now,
                    pending: None,
                    lost,
                });
            }
        }
        let counters = self.play_counters.clone();
        if let Some(done) = step(&mut self.reopen_out, now, "speaker", move || {
            open_out(None, counters)
        }) {
            let (notice, out) = done;
            self.notice(notice);
            if out.is_some() {
                self.out = out;
            }
        }
        let counters = self.capture_counters.clone();
        if let Some(done) = step(&mut self.reopen_in, now, "microphone", move || {
            open_in(None, counters)
        }) {
            let (notice, inp) = done;
            self.notice(notice);
            if inp.is_some() {
                self.inp = inp;
            }
        }
    }
}

/// Drops a failed stream on a thread of its own: stopping cpal's thread for a device in trouble
/// may take a while, and the caller must not wait for it.
fn bury<T: Send + 'static>(stream: Option<T>) {
    if let Some(stream) = stream {
        let spawned = std::thread::Builder::new()
            .name("voicelamp-audio-close".into())
            .spawn(move || drop(stream));
        if let Err(err) = spawned {
            tracing::warn!("audio: cannot close a failed device on its own thread: {err}");
        }
    }
}

/// Advances one reopening: starts a try when due, takes a finished one. Gives a notice (and
/// the new stream, if any) when there is something to say.
fn step<T: Send + 'static>(
    slot: &mut Option<Reopen<T>>,
    now: Instant,
    what: &str,
    open: impl FnOnce() -> Result<(T, bool), AudioError> + Send + 'static,
) -> Option<(String, Option<T>)> {
    let state = slot.as_mut()?;
    match &state.pending {
        None => {
            if now < state.next_at {
                return None;
            }
            let (tx, rx) = std::sync::mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name("voicelamp-audio-reopen".into())
                .spawn(move || {
                    let _ = tx.send(open());
                });
            state.tries += 1;
            match spawned {
                Ok(_) => state.pending = Some(rx),
                Err(err) => tracing::warn!("audio: cannot start reopening the {what}: {err}"),
            }
            None
        }
        Some(rx) => match rx.try_recv() {
            Err(TryRecvError::Empty) => None,
            Ok(Ok((stream, _))) => {
                let lost = state.lost.clone();
                *slot = None;
                Some((
                    format!(
                        "the {what} \u{201c}{lost}\u{201d} stopped working (unplugged?); now using the default {what}"
                    ),
                    Some(stream),
                ))
            }
            result => {
                let reason = match result {
                    Ok(Err(err)) => err.to_string(),
                    _ => "the device could not be opened".to_owned(),
                };
                state.pending = None;
                if state.tries >= REOPEN_TRIES {
                    let lost = state.lost.clone();
                    *slot = None;
                    let goes_on = if what == "speaker" {
                        "the call goes on, but you hear nothing"
                    } else {
                        "the call goes on, but the other side hears silence"
                    };
                    Some((
                        format!(
                            "the {what} \u{201c}{lost}\u{201d} stopped working and no other {what} answers ({reason}); {goes_on}"
                        ),
                        None,
                    ))
                } else {
                    state.next_at = now + Duration::from_secs(1 << (state.tries - 1));
                    None
                }
            }
        },
    }
}

impl AudioPort for DeviceAudio {
    fn play(&mut self, samples: &[i16], rate: u32) {
        self.check_devices();
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let device_rate = out.opened.rate;
        if self.play_resampler.as_ref().map(|r| r.rates()) != Some((rate, device_rate)) {
            self.play_resampler = Some(Resampler::new(rate, device_rate));
        }
        let resampler = self.play_resampler.as_mut().expect("set above");
        self.floats.clear();
        to_f32(samples, &mut self.floats);
        self.resampled.clear();
        resampler.process(&self.floats, &mut self.resampled);
        out.writer.write(&self.resampled);
    }

    fn capture(&mut self, out: &mut [i16], rate: u32) -> usize {
        self.check_devices();
        let Some(inp) = self.inp.as_mut() else {
            // No microphone (any more): silence keeps the call's media going.
            out.fill(0);
            return out.len();
        };
        let device_rate = inp.opened.rate;
        if self.capture_resampler.as_ref().map(|r| r.rates()) != Some((device_rate, rate)) {
            self.capture_resampler = Some(Resampler::new(device_rate, rate));
            self.captured.clear();
        }
        let resampler = self.capture_resampler.as_mut().expect("set above");
        let mut piece = [0.0f32; 1024];
        let before = self.captured.len();
        // The ring holds a bounded amount, so this loop ends.
        loop {
            let n = inp.reader.read_available(&mut piece);
            if n == 0 {
                break;
            }
            self.resampled.clear();
            resampler.process(&piece[..n], &mut self.resampled);
            self.captured.extend(self.resampled.iter().copied());
        }
        // At least three of what arrives at once, as in the rings.
        self.capture_batch = self.capture_batch.max(self.captured.len() - before);
        let bound = ring_len(rate).max(self.capture_batch * 3);
        if self.captured.len() > bound {
            // As in the rings: back to a third of the bound, so a late caller catches up.
            let excess = self.captured.len() - bound / 3;
            self.captured.drain(..excess);
            self.capture_dropped += excess as u64;
        }
        let n = out.len().min(self.captured.len());
        for (o, v) in out.iter_mut().zip(self.captured.drain(..n)) {
            *o = to_i16(v);
        }
        n
    }

    fn take_notice(&mut self) -> Option<String> {
        self.check_devices();
        self.notices.pop_front()
    }
}
