//! Shared helpers of the integration tests: running sox and espeak-ng, reading sox's 16-bit output,
//! comparing sample streams, and building WAVE files around codec data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a tool that the tests require; fails with a clear message when it is missing or fails.
pub fn run(tool: &str, args: &[&str]) {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "`{tool}` is required by this test and could not be run ({e}); install it \
             (Debian: apt-get install sox libsox-fmt-all espeak-ng)"
        )
    });
    assert!(
        output.status.success(),
        "`{tool} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs sox with the given arguments.
pub fn sox(args: &[&str]) {
    run("sox", args);
}

/// A path inside `dir` as a `&str`-friendly string.
pub fn path(dir: &Path, name: &str) -> String {
    let p: PathBuf = dir.join(name);
    p.to_str().expect("temporary paths are UTF-8").to_owned()
}

/// Synthesises speech at 8 kHz mono 16-bit into `name` (espeak-ng, then sox to resample).
pub fn speech(dir: &Path, name: &str, text: &str) -> String {
    let raw = path(dir, &format!("{name}.espeak.wav"));
    run("espeak-ng", &["-w", &raw, text]);
    let out = path(dir, name);
    sox(&[&raw, "-r", "8000", "-c", "1", "-b", "16", &out]);
    out
}

/// Reads the samples of a 16-bit PCM WAVE file written by sox (a minimal reader independent of
/// the crate's).
pub fn read_pcm16_wav(file: &str) -> (u32, Vec<i16>) {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("reading {file}: {e}"));
    assert_eq!(&bytes[0..4], b"RIFF", "{file}");
    let mut pos = 12;
    let mut rate = 0;
    loop {
        let id = &bytes[pos..pos + 4];
        let size =
            u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().expect("4 bytes")) as usize;
        let body = &bytes[pos + 8..];
        if id == b"fmt " {
            assert_eq!(
                u16::from_le_bytes([body[0], body[1]]),
                1,
                "{file} is not PCM"
            );
            assert_eq!(
                u16::from_le_bytes([body[14], body[15]]),
                16,
                "{file} is not 16-bit"
            );
            rate = u32::from_le_bytes(body[4..8].try_into().expect("4 bytes"));
        }
        if id == b"data" {
            let data = &body[..size.min(body.len())];
            let samples = data
                .chunks_exact(2)
                .map(|p| i16::from_le_bytes([p[0], p[1]]))
                .collect();
            return (rate, samples);
        }
        pos += 8 + size + (size & 1);
    }
}

/// Asserts that two sample streams are identical, naming the first difference. Returns the number
/// of samples compared.
pub fn assert_same_samples(name: &str, ours: &[i16], reference: &[i16]) -> usize {
    if let Some(i) = ours.iter().zip(reference).position(|(a, b)| a != b) {
        let from = i.saturating_sub(3);
        panic!(
            "{name}: first mismatch at sample {i}: ours {} vs sox {} \
             (ours[{from}..] = {:?}, sox[{from}..] = {:?})",
            ours[i],
            reference[i],
            &ours[from..(i + 4).min(ours.len())],
            &reference[from..(i + 4).min(reference.len())],
        );
    }
    assert_eq!(
        ours.len(),
        reference.len(),
        "{name}: sample counts differ (ours vs sox)"
    );
    println!("{name}: {} samples bit-exact with sox", ours.len());
    ours.len()
}

/// Builds a WAVE file with the given `fmt ` body, optional `fact` count and `data`.
pub fn wave(fmt: &[u8], fact: Option<u32>, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut chunk = |id: &[u8; 4], bytes: &[u8]| {
        body.extend_from_slice(id);
        body.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        body.extend_from_slice(bytes);
        if bytes.len() % 2 == 1 {
            body.push(0);
        }
    };
    chunk(b"fmt ", fmt);
    if let Some(n) = fact {
        chunk(b"fact", &n.to_le_bytes());
    }
    chunk(b"data", data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(4 + body.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(&body);
    out
}

/// The `fmt ` body of a GSM 06.10 (wav49) file at 8 kHz, as Asterisk and sox write it.
pub fn gsm_fmt() -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0x31u16.to_le_bytes());
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&8000u32.to_le_bytes());
    f.extend_from_slice(&1625u32.to_le_bytes());
    f.extend_from_slice(&65u16.to_le_bytes());
    f.extend_from_slice(&0u16.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&320u16.to_le_bytes());
    f
}

/// The `fmt ` body of an 8-bit G.711 file (`tag` 6 = A-law, 7 = µ-law) at 8 kHz mono.
pub fn g711_fmt(tag: u16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&tag.to_le_bytes());
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&8000u32.to_le_bytes());
    f.extend_from_slice(&8000u32.to_le_bytes());
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&8u16.to_le_bytes());
    f.extend_from_slice(&0u16.to_le_bytes());
    f
}

/// A deterministic pseudo-random byte source (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// The next byte.
    pub fn byte(&mut self) -> u8 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
    }

    /// `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}
pub mod lab;
pub mod recorder;
