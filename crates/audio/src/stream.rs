//! Opening cpal streams: finding a device by name, its preferred configuration, the callbacks
//! that move mono `f32` between the device's frames and a ring, and the error callback that marks
//! a stream as failed.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};

use crate::{AudioError, DeviceInfo};

/// Keep cpal's streams movable to the thread that reopens a device.
const _: () = {
    const fn send<T: Send>() {}
    send::<cpal::Stream>();
};

/// Which way sound flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    Input,
    Output,
}

impl Way {
    fn what(self) -> &'static str {
        match self {
            Way::Input => "microphone",
            Way::Output => "speaker",
        }
    }
}

/// How a stream is doing, written by cpal's threads, read by the caller.
///
/// Some errors pass: ALSA's pulse plugin reports an I/O error from `snd_pcm_avail_delay` while
/// PulseAudio has no timing yet (after opening, after an xrun; alsa-plugins issue #65), and
/// cpal retries until the stream runs again. But a capture stream whose source was removed
/// reports the same error for good. So a stream counts as failed when cpal says the device is
/// gone, when other errors come and its data callback has stopped for a moment, when the
/// passing error comes and the callback has stopped for longer, or when the callback has
/// stopped for long (see [`Watch`]).
#[derive(Debug, Default)]
pub(crate) struct Health {
    gone: AtomicBool,
    /// Errors cpal reported that are neither glitches nor the passing one.
    errors: AtomicU64,
    /// The passing error (see above).
    passing: AtomicU64,
    /// Data callbacks run so far.
    callbacks: AtomicU64,
    /// Glitches cpal reported that the stream survived (xruns).
    pub glitches: AtomicU64,
    reason: Mutex<Option<String>>,
}

impl Health {
    /// The first error, in cpal's words (for logs).
    pub fn reason(&self) -> Option<String> {
        self.reason.lock().ok().and_then(|r| r.clone())
    }

    fn ran(&self) {
        self.callbacks.fetch_add(1, Ordering::Relaxed);
    }

    fn report(&self, err: &cpal::Error) {
        use cpal::ErrorKind as K;
        match err.kind() {
            K::Xrun | K::RealtimeDenied | K::DeviceChanged => {
                self.glitches.fetch_add(1, Ordering::Relaxed);
                return;
            }
            K::DeviceNotAvailable | K::StreamInvalidated => {
                self.gone.store(true, Ordering::Release)
            }
            _ => {}
        }
        let counter = if err.kind() == K::BackendError && is_passing(err) {
            &self.passing
        } else {
            &self.errors
        };
        // cpal may call again and again for a device in trouble: keep the words of the first.
        if counter.fetch_add(1, Ordering::AcqRel) == 0
            && let Ok(mut reason) = self.reason.try_lock()
            && reason.is_none()
        {
            *reason = Some(err.to_string());
        }
    }
}

/// The pulse plugin's "no timing yet", as cpal words it.
fn is_passing(err: &cpal::Error) -> bool {
    let text = err.to_string();
    text.contains("snd_pcm_avail_delay") && text.contains("I/O error")
}

/// Other errors and no data callback for this long: the device is gone (cpal retries a dead
/// ALSA stream in a tight loop).
const STALLED_WITH_ERRORS: Duration = Duration::from_millis(300);
/// The passing error and no data callback for this long: gone too (the passing error after
/// opening lasts well below a second even on a loaded machine).
const STALLED_WITH_PASSING_ERRORS: Duration = Duration::from_secs(2);
/// No data callback at all for this long: gone too (a null sink alone stalls a new stream for
/// up to 2 s while it starts).
const STALLED: Duration = Duration::from_secs(5);

/// The caller's view of a stream's health over time.
#[derive(Debug)]
pub(crate) struct Watch {
    callbacks: u64,
    errors: u64,
    passing: u64,
    progress_at: Instant,
}

impl Watch {
    pub fn new(now: Instant) -> Watch {
        Watch {
            callbacks: 0,
            errors: 0,
            passing: 0,
            progress_at: now,
        }
    }

    /// Whether the stream has failed, judged at `now`.
    pub fn failed(&mut self, health: &Health, now: Instant) -> bool {
        if health.gone.load(Ordering::Acquire) {
            return true;
        }
        let errors = health.errors.load(Ordering::Relaxed);
        let passing = health.passing.load(Ordering::Relaxed);
        let callbacks = health.callbacks.load(Ordering::Relaxed);
        if callbacks != self.callbacks {
            self.callbacks = callbacks;
            self.progress_at = now;
            self.errors = errors;
            self.passing = passing;
            return false;
        }
        let quiet = now.saturating_duration_since(self.progress_at);
        (errors > self.errors && quiet >= STALLED_WITH_ERRORS)
            || (passing > self.passing && quiet >= STALLED_WITH_PASSING_ERRORS)
            || quiet >= STALLED
    }
}

/// An open, playing stream.
pub(crate) struct Opened {
    /// Kept for as long as the sound runs: dropping it stops the device.
    pub _stream: cpal::Stream,
    /// The device's rate, at which the ring runs.
    pub rate: u32,
    /// The device's label, for notices.
    pub label: String,
    pub health: Arc<Health>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("rate", &self.rate)
            .field("label", &self.label)
            .finish()
    }
}

/// Device buffers (periods) where the device allows them: 10 ms for playback, so the rings stay
/// shallow; 20 ms for capture, which is read as soon as a period is full (no delay added) and
/// overruns less when the machine is busy.
const OUTPUT_PERIOD_MS: u32 = 10;
const INPUT_PERIOD_MS: u32 = 20;

fn period_for(config: &cpal::SupportedStreamConfig, period_ms: u32) -> cpal::BufferSize {
    let want = config.sample_rate() * period_ms / 1000;
    match *config.buffer_size() {
        cpal::SupportedBufferSize::Range { min, max } if (min..=max).contains(&want) => {
            cpal::BufferSize::Fixed(want)
        }
        _ => cpal::BufferSize::Default,
    }
}

fn describe(device: &cpal::Device) -> (String, String) {
    let name = device.id().map(|id| id.id().to_owned()).unwrap_or_default();
    let label = device
        .description()
        .map(|d| d.name().to_owned())
        .unwrap_or_else(|_| name.clone());
    (name, label)
}

/// ALSA plugins that its hints list like devices but that are converters or a sink for nothing:
/// not something a person picks as a microphone or speaker.
const NOT_DEVICES: &[&str] = &[
    "null",
    "lavrate",
    "samplerate",
    "speexrate",
    "speex",
    "upmix",
    "vdownmix",
];

/// The devices for one direction, with the default marked.
pub(crate) fn devices(way: Way) -> Vec<DeviceInfo> {
    let host = cpal::default_host();
    let default = match way {
        Way::Input => host.default_input_device(),
        Way::Output => host.default_output_device(),
    }
    .map(|d| describe(&d).0);
    let list = match way {
        Way::Input => host.input_devices().map(|d| d.collect::<Vec<_>>()),
        Way::Output => host.output_devices().map(|d| d.collect::<Vec<_>>()),
    };
    list.unwrap_or_default()
        .iter()
        .filter(|d| !NOT_DEVICES.contains(&describe(d).0.as_str()))
        .map(|d| {
            let (name, label) = describe(d);
            let is_default = default.as_deref() == Some(name.as_str());
            DeviceInfo {
                name,
                label,
                is_default,
            }
        })
        .collect()
}

/// Finds a device by name or label (case-insensitive); `None` or not found: the default.
/// Says whether a named device was missing.
fn find(way: Way, name: Option<&str>) -> Result<(cpal::Device, bool), AudioError> {
    let host = cpal::default_host();
    if let Some(want) = name {
        let list = match way {
            Way::Input => host.input_devices().map(|d| d.collect::<Vec<_>>()),
            Way::Output => host.output_devices().map(|d| d.collect::<Vec<_>>()),
        }
        .unwrap_or_default();
        if let Some(found) = list.into_iter().find(|d| {
            let (n, l) = describe(d);
            n.eq_ignore_ascii_case(want) || l.eq_ignore_ascii_case(want)
        }) {
            return Ok((found, false));
        }
    }
    let default = match way {
        Way::Input => host.default_input_device(),
        Way::Output => host.default_output_device(),
    };
    default
        .map(|d| (d, name.is_some()))
        .ok_or(AudioError::NoDevice { what: way.what() })
}

/// A device found by name (or the default) with its preferred configuration, ready for a stream.
struct Prepared {
    device: cpal::Device,
    /// A named device was missing and the default was taken instead.
    missing: bool,
    label: String,
    what: &'static str,
    rate: u32,
    format: SampleFormat,
    config: cpal::StreamConfig,
    health: Arc<Health>,
}

impl Prepared {
    /// Finds the device and reads its preferred configuration, with a period of `period_ms`.
    fn new(way: Way, name: Option<&str>, period_ms: u32) -> Result<Self, AudioError> {
        let (device, missing) = find(way, name)?;
        let (_, label) = describe(&device);
        let preferred = match way {
            Way::Input => device.default_input_config(),
            Way::Output => device.default_output_config(),
        };
        let config = preferred.map_err(|e| {
            // The default device is not there at all: the machine has no sound device.
            if (name.is_none() || missing) && e.kind() == cpal::ErrorKind::DeviceNotAvailable {
                AudioError::NoDevice { what: way.what() }
            } else {
                AudioError::Device {
                    what: way.what(),
                    name: label.clone(),
                    reason: format!("it reports no usable format ({e})"),
                }
            }
        })?;
        let rate = config.sample_rate();
        let format = config.sample_format();
        let period = period_for(&config, period_ms);
        let mut config: cpal::StreamConfig = config.into();
        config.buffer_size = period;
        Ok(Prepared {
            device,
            missing,
            label,
            what: way.what(),
            rate,
            format,
            config,
            health: Arc::new(Health::default()),
        })
    }

    fn fail(&self, reason: String) -> AudioError {
        AudioError::Device {
            what: self.what,
            name: self.label.clone(),
            reason,
        }
    }

    /// Starts the stream built for this device (`None`: its sample format is not supported).
    fn start(
        self,
        built: Option<Result<cpal::Stream, cpal::Error>>,
    ) -> Result<(Opened, bool), AudioError> {
        let stream = built
            .ok_or_else(|| {
                self.fail(format!(
                    "its sample format {} is not supported",
                    self.format
                ))
            })?
            .map_err(|e| self.fail(format!("it cannot start ({e})")))?;
        stream
            .play()
            .map_err(|e| self.fail(format!("it cannot start ({e})")))?;
        Ok((
            Opened {
                _stream: stream,
                rate: self.rate,
                label: self.label,
                health: self.health,
            },
            self.missing,
        ))
    }
}

/// Builds a stream with `$build::<sample type>` for the device's sample format, letting the
/// device choose its period when it refuses the short one; `None` for a format not supported.
macro_rules! build_for_format {
    ($p:ident, $build:ident, $io:ident) => {{
        macro_rules! build {
            ($t:ty) => {
                Some(
                    $build::<$t, _>(&$p.device, &$p.config, $io.clone(), $p.health.clone())
                        .or_else(|_| {
                            // The device refused the short period: let it choose.
                            $p.config.buffer_size = cpal::BufferSize::Default;
                            $build::<$t, _>(&$p.device, &$p.config, $io.clone(), $p.health.clone())
                        }),
                )
            };
        }
        match $p.format {
            SampleFormat::F32 => build!(f32),
            SampleFormat::I16 => build!(i16),
            SampleFormat::I32 => build!(i32),
            SampleFormat::U16 => build!(u16),
            SampleFormat::U8 => build!(u8),
            SampleFormat::I8 => build!(i8),
            SampleFormat::F64 => build!(f64),
            _ => None,
        }
    }};
}

/// Opens an output stream on the named device (or the default) at its preferred rate;
/// `make_source(rate)` gives what fills each buffer of mono samples at that rate, on cpal's
/// thread. Also says whether a named device was missing (and the default taken instead).
pub(crate) fn open_output<F>(
    name: Option<&str>,
    make_source: impl FnOnce(u32) -> F,
) -> Result<(Opened, bool), AudioError>
where
    F: FnMut(&mut [f32]) + Send + 'static,
{
    let mut p = Prepared::new(Way::Output, name, OUTPUT_PERIOD_MS)?;
    let source = Arc::new(Mutex::new(make_source(p.rate)));
    let built = build_for_format!(p, build_output, source);
    p.start(built)
}

fn build_output<T, F>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    source: Arc<Mutex<F>>,
    health: Arc<Health>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
    F: FnMut(&mut [f32]) + Send + 'static,
{
    let channels = usize::from(config.channels.max(1));
    let mut mono: Vec<f32> = Vec::with_capacity(8192);
    let health_cb = health.clone();
    device.build_output_stream(
        *config,
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
            let frames = data.len() / channels;
            // Grows only when the device asks for a larger buffer than ever before.
            health_cb.ran();
            mono.resize(frames, 0.0);
            // Only this callback locks it (the stream that failed to build is gone).
            if let Ok(mut source) = source.try_lock() {
                source(&mut mono);
            }
            for (frame, &v) in data.chunks_mut(channels).zip(mono.iter()) {
                let s = T::from_sample(v);
                frame.fill(s);
            }
        },
        move |err| health.report(&err),
        None,
    )
}

/// Opens an input stream on the named device (or the default) at its preferred rate;
/// `make_sink(rate)` gives what receives each buffer as mono samples at that rate, on cpal's
/// thread. Also says whether a named device was missing (and the default taken instead).
pub(crate) fn open_input<F>(
    name: Option<&str>,
    make_sink: impl FnOnce(u32) -> F,
) -> Result<(Opened, bool), AudioError>
where
    F: FnMut(&[f32]) + Send + 'static,
{
    let mut p = Prepared::new(Way::Input, name, INPUT_PERIOD_MS)?;
    let sink = Arc::new(Mutex::new(make_sink(p.rate)));
    let built = build_for_format!(p, build_input, sink);
    p.start(built)
}

fn build_input<T, F>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    sink: Arc<Mutex<F>>,
    health: Arc<Health>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
    F: FnMut(&[f32]) + Send + 'static,
{
    let channels = usize::from(config.channels.max(1));
    let mut mono: Vec<f32> = Vec::with_capacity(8192);
    let health_cb = health.clone();
    device.build_input_stream(
        *config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            health_cb.ran();
            mono.clear();
            mono.extend(data.chunks(channels).map(|frame| {
                frame.iter().map(|&s| s.to_sample::<f32>()).sum::<f32>() / channels as f32
            }));
            if let Ok(mut sink) = sink.try_lock() {
                sink(&mono);
            }
        },
        move |err| health.report(&err),
        None,
    )
}
