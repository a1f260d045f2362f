//! Bit-exactness of the decoders against sox (libgsm for GSM 06.10, sox's G.711 tables): every
//! input is generated at test time, decoded by both, and compared sample by sample.
//!
//! sox and espeak-ng are required: a missing tool fails the test with a message, never skips it.

mod support;

use std::path::Path;

use support::{
    Rng, assert_same_samples, g711_fmt, gsm_fmt, path, read_pcm16_wav, sox, speech, wave,
};
use voicelamp_mailbox::audio::{AudioFormat, decode_to_wav, probe};

const SPEECH: &str = "You have two new voice messages. First message, received today at \
                      nine forty five. Hello, this is the front desk calling about your booking.";

/// Decodes `file` with the crate and with sox; asserts identical output; returns samples compared.
fn compare_with_sox(dir: &Path, file: &str, expected: AudioFormat) -> usize {
    let bytes = std::fs::read(file).expect("generated file");
    assert_eq!(probe(&bytes), Ok(expected), "{file}");
    let ours = decode_to_wav(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
    let reference = path(dir, "reference.wav");
    let mut args = vec![];
    if expected == AudioFormat::Gsm610Raw {
        args.extend(["-t", "gsm"]);
    }
    args.extend([file, "-e", "signed-integer", "-b", "16", reference.as_str()]);
    sox(&args);
    let (rate, samples) = read_pcm16_wav(&reference);
    assert_eq!(ours.sample_rate, rate, "{file}: sample rate");
    assert_eq!(ours.channels, 1, "{file}: channels");
    let name = Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(file);
    assert_same_samples(name, &ours.samples, &samples)
}

/// Encodes `source` (anything sox reads, or `-n` with `effects`) to GSM wav49 and compares.
fn gsm_case(name: &str, source: &[&str], effects: &[&str]) -> usize {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = path(dir.path(), name);
    let mut args: Vec<&str> = source.to_vec();
    args.extend(["-r", "8000", "-c", "1", "-e", "gsm-full-rate", out.as_str()]);
    args.extend(effects);
    sox(&args);
    compare_with_sox(dir.path(), &out, AudioFormat::Gsm610)
}

#[test]
fn wav49_speech_is_bit_exact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = speech(dir.path(), "speech.wav", SPEECH);
    let n = gsm_case("speech49.wav", &[&src], &[]);
    assert!(
        n > 8000 * 5,
        "speech is at least five seconds ({n} samples)"
    );
}

#[test]
fn wav49_silence_is_bit_exact() {
    let n = gsm_case("silence.wav", &["-n"], &["trim", "0", "2"]);
    assert_eq!(n, 16000);
}

#[test]
fn wav49_white_noise_is_bit_exact() {
    gsm_case("noise.wav", &["-n"], &["synth", "3", "whitenoise"]);
}

#[test]
fn wav49_sine_sweep_is_bit_exact() {
    gsm_case("sweep.wav", &["-n"], &["synth", "4", "sine", "50-3900"]);
}

#[test]
fn wav49_loud_clipped_signal_is_bit_exact() {
    // Square and sine driven far past full scale: saturates the encoder and the decoder's filters.
    gsm_case(
        "clipped.wav",
        &["-n"],
        &["synth", "3", "square", "220", "sine", "1700", "gain", "+24"],
    );
    gsm_case(
        "clipped-noise.wav",
        &["-n"],
        &["synth", "2", "pinknoise", "gain", "+30"],
    );
}

#[test]
fn raw_gsm_speech_is_bit_exact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = speech(dir.path(), "speech.wav", SPEECH);
    let out = path(dir.path(), "speech.gsm");
    sox(&[&src, "-r", "8000", "-c", "1", "-t", "gsm", &out]);
    compare_with_sox(dir.path(), &out, AudioFormat::Gsm610Raw);
}

/// Random parameter bits that no encoder would produce (lags out of range, extreme amplitudes,
/// unstable filters) exercise every saturation and fallback path of the decoder.
#[test]
fn wav49_random_blocks_are_bit_exact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = Rng::new(0x5EED_0610);
    let blocks = 1500;
    let data = rng.bytes(65 * blocks);
    let file = path(dir.path(), "random49.wav");
    std::fs::write(&file, wave(&gsm_fmt(), Some((blocks * 320) as u32), &data)).expect("write");
    assert_eq!(
        compare_with_sox(dir.path(), &file, AudioFormat::Gsm610),
        blocks * 320
    );
}

#[test]
fn raw_gsm_random_frames_are_bit_exact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = Rng::new(0x0033_0D0D);
    let frames = 1500;
    let mut data = rng.bytes(33 * frames);
    for frame in data.chunks_exact_mut(33) {
        frame[0] = 0xD0 | (frame[0] & 0x0F);
    }
    let file = path(dir.path(), "random.gsm");
    std::fs::write(&file, &data).expect("write");
    assert_eq!(
        compare_with_sox(dir.path(), &file, AudioFormat::Gsm610Raw),
        frames * 160
    );
}

#[test]
fn ulaw_and_alaw_speech_are_bit_exact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = speech(dir.path(), "speech.wav", SPEECH);
    for (encoding, name, format) in [
        ("u-law", "speech-ulaw.wav", AudioFormat::MuLaw),
        ("a-law", "speech-alaw.wav", AudioFormat::ALaw),
    ] {
        let out = path(dir.path(), name);
        sox(&[&src, "-e", encoding, &out]);
        compare_with_sox(dir.path(), &out, format);
    }
}

#[test]
fn every_g711_code_is_bit_exact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let codes: Vec<u8> = (0..=255).collect();
    for (tag, name, format) in [
        (7, "codes-ulaw.wav", AudioFormat::MuLaw),
        (6, "codes-alaw.wav", AudioFormat::ALaw),
    ] {
        let file = path(dir.path(), name);
        std::fs::write(&file, wave(&g711_fmt(tag), None, &codes)).expect("write");
        assert_eq!(compare_with_sox(dir.path(), &file, format), 256);
    }
}

#[test]
fn pcm8_is_bit_exact() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = path(dir.path(), "sweep-u8.wav");
    sox(&[
        "-n",
        "-r",
        "8000",
        "-c",
        "1",
        "-b",
        "8",
        "-e",
        "unsigned-integer",
        &out,
        "synth",
        "1",
        "sine",
        "100-3000",
    ]);
    compare_with_sox(dir.path(), &out, AudioFormat::Pcm8);
}
