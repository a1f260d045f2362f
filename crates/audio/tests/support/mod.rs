//! Shared by the tests against the lab's PulseAudio: starting it, recording a sink's monitor,
//! feeding the virtual microphone, and finding a tone (Goertzel).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The rate of recordings and injected sound.
pub const LAB_RATE: u32 = 16000;
/// The most a recording keeps (seconds).
const KEEP_SECONDS: usize = 20;

pub fn pulse_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/pulse")
}

/// Runs `tests/lab/pulse ARG` with `envs`; its stdout, or a message with its stderr.
pub fn pulse(arg: &str, envs: &[(String, String)]) -> Result<String, String> {
    let out = Command::new("bash")
        .arg(pulse_script())
        .arg(arg)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .output()
        .map_err(|e| format!("cannot run tests/lab/pulse: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "tests/lab/pulse {arg} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `export K='V'` lines → pairs.
pub fn parse_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect()
}

/// `pactl ARGS` against the lab's daemon (the environment is the child's).
pub fn pactl(args: &[&str]) -> String {
    let out = Command::new("pactl")
        .args(args)
        .output()
        .expect("pactl runs (Debian package pulseaudio-utils)");
    assert!(
        out.status.success(),
        "pactl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What `parec` hears on a source (mono, 16 bit, [`LAB_RATE`]).
pub struct Recorder {
    child: Child,
    samples: Arc<Mutex<Vec<i16>>>,
}

impl Recorder {
    pub fn start(source: &str) -> Recorder {
        let mut child = Command::new("parec")
            .args([
                "-d",
                source,
                "--rate",
                &LAB_RATE.to_string(),
                "--channels",
                "1",
                "--format",
                "s16le",
                "--raw",
                "--latency-msec",
                "20",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("parec runs (Debian package pulseaudio-utils)");
        let mut stdout = child.stdout.take().expect("piped");
        let samples = Arc::new(Mutex::new(Vec::new()));
        let sink = samples.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut odd: Option<u8> = None;
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut bytes: Vec<u8> = odd.take().into_iter().collect();
                bytes.extend_from_slice(&buf[..n]);
                if bytes.len() % 2 == 1 {
                    odd = bytes.pop();
                }
                let mut s = sink.lock().unwrap();
                s.extend(bytes.chunks(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
                let keep = KEEP_SECONDS * LAB_RATE as usize;
                if s.len() > keep {
                    let excess = s.len() - keep;
                    s.drain(..excess);
                }
            }
        });
        Recorder { child, samples }
    }

    /// The last `seconds` of the recording.
    pub fn last(&self, seconds: f64) -> Vec<i16> {
        let s = self.samples.lock().unwrap();
        let n = ((seconds * f64::from(LAB_RATE)) as usize).min(s.len());
        s[s.len() - n..].to_vec()
    }

    pub fn len(&self) -> usize {
        self.samples.lock().unwrap().len()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Plays a tone into a sink with `pacat` (at most `seconds`).
pub struct Injector {
    child: Child,
}

impl Injector {
    pub fn tone(sink: &str, freq: f64, amplitude: f64, seconds: u32) -> Injector {
        let mut child = Command::new("pacat")
            .args([
                "--playback",
                "-d",
                sink,
                "--rate",
                &LAB_RATE.to_string(),
                "--channels",
                "1",
                "--format",
                "s16le",
                "--raw",
                "--latency-msec",
                "20",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .expect("pacat runs (Debian package pulseaudio-utils)");
        let mut stdin = child.stdin.take().expect("piped");
        let samples = sine(freq, amplitude, LAB_RATE, (seconds * LAB_RATE) as usize);
        std::thread::spawn(move || {
            // pacat takes what its stream accepts: the pipe paces this writer.
            for chunk in samples.chunks(320) {
                let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
                if stdin.write_all(&bytes).is_err() {
                    break;
                }
            }
        });
        Injector { child }
    }
}

impl Drop for Injector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn sine(freq: f64, amplitude: f64, rate: u32, n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let v = amplitude * (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin();
            (v * 32767.0).round() as i16
        })
        .collect()
}

/// A sine generator that keeps its phase across frames.
pub struct Sine {
    pub freq: f64,
    pub amplitude: f64,
    pub rate: u32,
    n: u64,
}

impl Sine {
    pub fn new(freq: f64, amplitude: f64, rate: u32) -> Sine {
        Sine {
            freq,
            amplitude,
            rate,
            n: 0,
        }
    }

    pub fn frame(&mut self, ms: u32) -> Vec<i16> {
        let len = (self.rate * ms / 1000) as usize;
        let out = (0..len)
            .map(|i| {
                let t = (self.n + i as u64) as f64 / f64::from(self.rate);
                let v = self.amplitude * (std::f64::consts::TAU * self.freq * t).sin();
                (v * 32767.0).round() as i16
            })
            .collect();
        self.n += len as u64;
        out
    }
}

/// Amplitude of `freq` in `x` (full scale = 1.0), by Goertzel.
pub fn level(x: &[i16], freq: f64, rate: u32) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let w = std::f64::consts::TAU * freq / f64::from(rate);
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s = f64::from(v) / 32768.0 + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = (s1 * s1 + s2 * s2 - c * s1 * s2).max(0.0);
    2.0 * power.sqrt() / x.len() as f64
}

/// The strongest frequency between 200 Hz and 3 kHz, in 25 Hz steps, and its amplitude.
pub fn strongest(x: &[i16], rate: u32) -> (f64, f64) {
    (8..=120)
        .map(|k| f64::from(k) * 25.0)
        .map(|f| (f, level(x, f, rate)))
        .fold(
            (0.0, 0.0),
            |best, cur| if cur.1 > best.1 { cur } else { best },
        )
}

/// Whether `x` holds a tone of `freq` (the strongest, ±25 Hz) with about `amplitude` (±25 %).
pub fn has_tone(x: &[i16], freq: f64, amplitude: f64, rate: u32) -> Result<(), String> {
    let (f, a) = strongest(x, rate);
    let at = level(x, freq, rate);
    if (f - freq).abs() > 25.0 {
        return Err(format!(
            "the strongest tone is {f} Hz at {a:.3}, not {freq} Hz (which is at {at:.3})"
        ));
    }
    if (at - amplitude).abs() > amplitude * 0.25 {
        return Err(format!(
            "{freq} Hz is there at amplitude {at:.3}, expected {amplitude:.3} ±25 %"
        ));
    }
    Ok(())
}

/// Calls `tick` every 20 ms (a call's packet time) until it gives `Some`, at most `limit`.
pub fn every_20ms<T>(limit: Duration, mut tick: impl FnMut(u32) -> Option<T>) -> Option<T> {
    let start = Instant::now();
    let mut n = 0u32;
    loop {
        if let Some(v) = tick(n) {
            return Some(v);
        }
        n += 1;
        let next = start + Duration::from_millis(20 * u64::from(n));
        let now = Instant::now();
        if now - start > limit {
            return None;
        }
        if next > now {
            std::thread::sleep(next - now);
        }
    }
}
