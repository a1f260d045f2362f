//! Sound without devices: `NoAudio` (silence) and `WavFiles` (the CLI's `--play` / `--record`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::resample::{Resampler, to_f32, to_i16};
use crate::{AudioError, AudioPort};

/// What [`NoAudio`] says once.
pub const NO_SOUND_NOTICE: &str = "no sound device: the call goes on without sound";

/// Silence both ways: what the call hears is dropped, the other side hears silence.
#[derive(Debug)]
pub struct NoAudio {
    notice: Option<String>,
}

impl Default for NoAudio {
    fn default() -> Self {
        NoAudio::new()
    }
}

impl NoAudio {
    /// Silence, with the notice "no sound device: the call goes on without sound".
    pub fn new() -> NoAudio {
        NoAudio::with_notice(NO_SOUND_NOTICE.to_owned())
    }

    /// Silence, with a notice of the caller's (e.g. why the devices could not be opened).
    pub fn with_notice(notice: String) -> NoAudio {
        NoAudio {
            notice: Some(notice),
        }
    }
}

impl AudioPort for NoAudio {
    fn play(&mut self, _samples: &[i16], _rate: u32) {}

    fn capture(&mut self, out: &mut [i16], _rate: u32) -> usize {
        out.fill(0);
        out.len()
    }

    fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }
}

/// The longest WAV read as the microphone, in seconds (a bound on what a file can make us read).
const MAX_PLAY_SECONDS: u32 = 3600;

/// A WAV file as the microphone (resampled to the codec's rate, then silence) and a WAV file
/// that records what the call hears (mono, 16 bit, at the call's rate). The recording is
/// written to a temporary file beside it and moved into place by [`WavFiles::finish`] (or on
/// drop), so a reader never finds half a file.
#[derive(Debug)]
pub struct WavFiles {
    source: Option<WavSource>,
    record: Option<WavRecord>,
    notices: VecDeque<String>,
}

struct WavSource {
    path: String,
    reader: hound::WavReader<BufReader<File>>,
    channels: usize,
    float: bool,
    scale: f32,
    file_rate: u32,
    left: u64,
    resampler: Option<Resampler>,
    queue: VecDeque<f32>,
    frame: Vec<f32>,
    out: Vec<f32>,
    ended: bool,
}

impl std::fmt::Debug for WavSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSource")
            .field("path", &self.path)
            .field("file_rate", &self.file_rate)
            .finish_non_exhaustive()
    }
}

struct WavRecord {
    path: PathBuf,
    temp: PathBuf,
    writer: Option<hound::WavWriter<std::io::BufWriter<File>>>,
    rate: u32,
    resampler: Option<Resampler>,
    floats: Vec<f32>,
    resampled: Vec<f32>,
    failed: bool,
}

impl std::fmt::Debug for WavRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavRecord")
            .field("path", &self.path)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

impl WavFiles {
    /// `play`: a WAV to send as the microphone; `record`: where to write what the call hears.
    pub fn open(play: Option<&Path>, record: Option<&Path>) -> Result<WavFiles, AudioError> {
        let source = play.map(WavSource::open).transpose()?;
        let record = record.map(WavRecord::new).transpose()?;
        Ok(WavFiles {
            source,
            record,
            notices: VecDeque::new(),
        })
    }

    /// Finishes the recording: completes the WAV header, flushes it to disk and moves it into
    /// place. Without a recording this does nothing.
    pub fn finish(mut self) -> Result<(), AudioError> {
        match self.record.take() {
            Some(mut record) => record.finish(),
            None => Ok(()),
        }
    }
}

impl Drop for WavFiles {
    fn drop(&mut self) {
        if let Some(mut record) = self.record.take()
            && let Err(err) = record.finish()
        {
            tracing::warn!("{err}");
        }
    }
}

impl WavSource {
    fn open(path: &Path) -> Result<WavSource, AudioError> {
        let fail = |reason: String| AudioError::ReadWav {
            path: shown(path),
            reason,
        };
        let reader = hound::WavReader::open(path).map_err(|e| match e {
            hound::Error::IoError(io) => fail(io.to_string()),
            other => fail(format!("it is not a WAV file hound can read ({other})")),
        })?;
        let spec = reader.spec();
        if spec.channels == 0 || spec.sample_rate == 0 {
            return Err(fail("it says it has no channels or no sample rate".into()));
        }
        let float = spec.sample_format == hound::SampleFormat::Float;
        if float && spec.bits_per_sample != 32 {
            return Err(fail("only 32-bit float samples are supported".into()));
        }
        let frames = u64::from(reader.duration());
        let limit = u64::from(MAX_PLAY_SECONDS) * u64::from(spec.sample_rate);
        let scale = if float {
            1.0
        } else {
            1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32
        };
        Ok(WavSource {
            path: shown(path),
            reader,
            channels: usize::from(spec.channels),
            float,
            scale,
            file_rate: spec.sample_rate,
            left: frames.min(limit),
            resampler: None,
            queue: VecDeque::new(),
            frame: Vec::new(),
            out: Vec::new(),
            ended: false,
        })
    }

    /// Reads up to `frames` frames, mixed to mono, at the file's rate.
    fn read(&mut self, frames: usize) -> Result<usize, String> {
        let frames = frames.min(self.left as usize);
        self.frame.clear();
        let want = frames * self.channels;
        let mut mix = 0.0f32;
        let mut k = 0usize;
        let channels = self.channels;
        let mut push = |v: f32, frame: &mut Vec<f32>| {
            mix += v;
            k += 1;
            if k == channels {
                frame.push(mix / channels as f32);
                mix = 0.0;
                k = 0;
            }
        };
        if self.float {
            for s in self.reader.samples::<f32>().take(want) {
                push(s.map_err(|e| e.to_string())?, &mut self.frame);
            }
        } else {
            for s in self.reader.samples::<i32>().take(want) {
                push(
                    s.map_err(|e| e.to_string())? as f32 * self.scale,
                    &mut self.frame,
                );
            }
        }
        let got = self.frame.len();
        self.left -= got as u64;
        if got < frames {
            self.left = 0;
        }
        Ok(got)
    }

    /// Fills `out` at `rate`: the file's sound, then silence.
    fn fill(&mut self, out: &mut [i16], rate: u32) -> Option<String> {
        if self.resampler.as_ref().map(|r| r.rates()) != Some((self.file_rate, rate)) {
            self.resampler = Some(Resampler::new(self.file_rate, rate));
            self.queue.clear();
        }
        let mut notice = None;
        // Each round reads 10 ms of the file; the file's length bounds the rounds.
        while self.queue.len() < out.len() && self.left > 0 {
            let chunk = (self.file_rate / 100).max(1) as usize;
            match self.read(chunk) {
                Ok(_) => {}
                Err(reason) => {
                    self.left = 0;
                    notice = Some(format!(
                        "the sound file {} cannot be read to its end ({reason}); sending silence",
                        self.path
                    ));
                }
            }
            self.out.clear();
            let resampler = self.resampler.as_mut().expect("set above");
            resampler.process(&self.frame, &mut self.out);
            self.queue.extend(self.out.iter().copied());
        }
        if self.left == 0 && !self.ended {
            self.ended = true;
            // Push the resampler's last samples out with its delay's worth of silence.
            let resampler = self.resampler.as_mut().expect("set above");
            self.out.clear();
            resampler.process(&vec![0.0; self.file_rate as usize / 50], &mut self.out);
            self.queue.extend(self.out.iter().copied());
        }
        for o in out.iter_mut() {
            *o = self.queue.pop_front().map_or(0, to_i16);
        }
        notice
    }
}

impl WavRecord {
    fn new(path: &Path) -> Result<WavRecord, AudioError> {
        let name = path.file_name().ok_or_else(|| AudioError::WriteWav {
            path: shown(path),
            reason: "it names no file".into(),
        })?;
        let temp = path.with_file_name(format!(".{}.part", name.to_string_lossy()));
        Ok(WavRecord {
            path: path.to_owned(),
            temp,
            writer: None,
            rate: 0,
            resampler: None,
            floats: Vec::new(),
            resampled: Vec::new(),
            failed: false,
        })
    }

    fn fail(&self, reason: impl std::fmt::Display) -> AudioError {
        AudioError::WriteWav {
            path: shown(&self.path),
            reason: reason.to_string(),
        }
    }

    fn write(&mut self, samples: &[i16], rate: u32) -> Result<(), AudioError> {
        if self.failed {
            return Ok(());
        }
        if self.writer.is_none() {
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: rate.max(1),
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let writer = hound::WavWriter::create(&self.temp, spec).map_err(|e| self.fail(e))?;
            self.writer = Some(writer);
            self.rate = rate.max(1);
        }
        let writer = self.writer.as_mut().expect("created above");
        if rate == self.rate {
            for &s in samples {
                writer.write_sample(s).map_err(|e| AudioError::WriteWav {
                    path: shown(&self.path),
                    reason: e.to_string(),
                })?;
            }
            return Ok(());
        }
        // The call's rate changed (a new codec): keep the file's first rate.
        if self.resampler.as_ref().map(|r| r.rates()) != Some((rate, self.rate)) {
            self.resampler = Some(Resampler::new(rate, self.rate));
        }
        self.floats.clear();
        to_f32(samples, &mut self.floats);
        self.resampled.clear();
        let resampler = self.resampler.as_mut().expect("set above");
        resampler.process(&self.floats, &mut self.resampled);
        for &v in &self.resampled {
            writer
                .write_sample(to_i16(v))
                .map_err(|e| AudioError::WriteWav {
                    path: shown(&self.path),
                    reason: e.to_string(),
                })?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        let Some(writer) = self.writer.take() else {
            // Nothing was heard: an empty recording at 8 kHz, so the file exists.
            if self.failed {
                return Err(self.fail("writing failed earlier"));
            }
            self.write(&[], 8000)?;
            return self.finish();
        };
        writer.finalize().map_err(|e| self.fail(e))?;
        File::open(&self.temp)
            .and_then(|f| f.sync_all())
            .map_err(|e| self.fail(e))?;
        std::fs::rename(&self.temp, &self.path).map_err(|e| self.fail(e))?;
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        // Directories cannot be opened for syncing everywhere (Windows); there the rename is it.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl AudioPort for WavFiles {
    fn play(&mut self, samples: &[i16], rate: u32) {
        if let Some(record) = self.record.as_mut()
            && let Err(err) = record.write(samples, rate)
        {
            record.failed = true;
            self.notices
                .push_back(format!("{err}; the rest of the call is not recorded"));
        }
    }

    fn capture(&mut self, out: &mut [i16], rate: u32) -> usize {
        match self.source.as_mut() {
            Some(source) => {
                if let Some(notice) = source.fill(out, rate)
                    && self.notices.len() < 8
                {
                    self.notices.push_back(notice);
                }
            }
            None => out.fill(0),
        }
        out.len()
    }

    fn take_notice(&mut self) -> Option<String> {
        self.notices.pop_front()
    }
}
