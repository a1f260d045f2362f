//! GSM 06.10 encoding against libgsm as sox runs it: the same 16-bit input gives the same bytes.
//! Needs sox and espeak-ng (Debian: apt-get install sox libsox-fmt-all espeak-ng).

use std::path::Path;
use std::process::Command;

use voicelamp_codec::gsm610::{FRAME_BYTES, FRAME_SAMPLES, decode_frames, encode_frames};

fn run(tool: &str, args: &[&str]) {
    let status = Command::new(tool).args(args).status().unwrap_or_else(|e| {
        panic!("`{tool}` is needed ({e}); Debian: apt-get install sox libsox-fmt-all espeak-ng")
    });
    assert!(status.success(), "`{tool} {}` failed", args.join(" "));
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("UTF-8 temp path").to_owned()
}

/// Encodes 8 kHz 16-bit mono samples with sox (libgsm); returns the frames.
fn sox_encode(dir: &Path, pcm: &[i16]) -> Vec<u8> {
    let (raw, gsm) = (path(dir, "in.raw"), path(dir, "out.gsm"));
    let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(&raw, bytes).expect("write input");
    let fmt = [
        "-t",
        "raw",
        "-r",
        "8000",
        "-e",
        "signed-integer",
        "-b",
        "16",
        "-c",
        "1",
    ];
    let mut args: Vec<&str> = vec!["-D"];
    args.extend(fmt);
    args.extend([raw.as_str(), "-t", "gsm", gsm.as_str()]);
    run("sox", &args);
    std::fs::read(&gsm).expect("sox output")
}

fn speech(dir: &Path) -> Vec<i16> {
    let (wav, raw) = (path(dir, "speech.wav"), path(dir, "speech.raw"));
    run(
        "espeak-ng",
        &[
            "-w",
            &wav,
            "Please leave a message after the tone. Press one to listen again.",
        ],
    );
    run(
        "sox",
        &[
            &wav,
            "-t",
            "raw",
            "-r",
            "8000",
            "-e",
            "signed-integer",
            "-b",
            "16",
            "-c",
            "1",
            &raw,
        ],
    );
    std::fs::read(&raw)
        .expect("speech")
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// A deterministic mixture: tones, a chirp, loud clipping and noise, so every quantizer branch
/// is reached.
fn synthetic() -> Vec<i16> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..8000 * 4)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let t = f64::from(i) / 8000.0;
            let noise = (state >> 48) as f64 / 65536.0 - 0.5;
            let v = match i / 8000 {
                0 => 9000.0 * (std::f64::consts::TAU * 440.0 * t).sin(),
                1 => 20000.0 * (std::f64::consts::TAU * (200.0 + 900.0 * (t - 1.0)) * t).sin(),
                2 => 60000.0 * (std::f64::consts::TAU * 150.0 * t).sin(),
                _ => 30000.0 * noise,
            };
            v.clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

fn compare(name: &str, pcm: &[i16], dir: &Path) {
    let pcm = &pcm[..pcm.len() / FRAME_SAMPLES * FRAME_SAMPLES];
    let theirs = sox_encode(dir, pcm);
    let mut ours = Vec::new();
    encode_frames(pcm, &mut ours);
    assert_eq!(
        ours.len(),
        pcm.len() / FRAME_SAMPLES * FRAME_BYTES,
        "{name}"
    );
    if let Some(i) = ours.iter().zip(&theirs).position(|(a, b)| a != b) {
        panic!(
            "{name}: frame {} differs from libgsm's (byte {i})",
            i / FRAME_BYTES
        );
    }
    assert_eq!(ours.len(), theirs.len(), "{name}");
    // And it decodes to audio where there was some.
    let mut decoded = Vec::new();
    decode_frames(&ours, &mut decoded).expect("valid frames");
    let loud = pcm.iter().any(|&s| s != 0);
    assert_eq!(
        decoded.iter().any(|&s| s.unsigned_abs() > 1000),
        loud,
        "{name}"
    );
}

#[test]
fn encoding_is_bit_exact_with_libgsm() {
    let dir = tempfile::tempdir().expect("temp dir");
    compare("synthetic", &synthetic(), dir.path());
    compare("speech", &speech(dir.path()), dir.path());
    compare("silence", &[0; 1600], dir.path());
}
