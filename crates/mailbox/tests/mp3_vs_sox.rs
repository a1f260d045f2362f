//! MP3 decoding (through symphonia) compared with sox's MP3 decoder on files sox encodes: the
//! decoders differ in rounding and in trimming of the encoder's padding, so the test asserts the
//! same format, nearly the same length and nearly the same samples, not bit-exactness.

mod support;

use support::{path, read_pcm16_wav, sox, speech};
use voicelamp_mailbox::audio::{AudioFormat, decode_to_wav, probe};

/// Decodes `file` with the crate and sox; checks rate, channels, length and sample error.
fn compare(file: &str, reference: &str, rate: u32, channels: u16) {
    let bytes = std::fs::read(file).expect("generated file");
    assert_eq!(probe(&bytes), Ok(AudioFormat::Mp3));
    let ours = decode_to_wav(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(
        (ours.sample_rate, ours.channels),
        (rate, channels),
        "{file}"
    );
    sox(&[file, "-e", "signed-integer", "-b", "16", reference]);
    let (_, theirs) = read_pcm16_wav(reference);
    let per_frame = 1152 * usize::from(channels);
    let diff = ours.samples.len().abs_diff(theirs.len());
    assert!(
        diff <= 2 * per_frame,
        "{file}: {} samples vs sox {}",
        ours.samples.len(),
        theirs.len()
    );
    let common = ours.samples.len().min(theirs.len());
    let (mut err, mut sig) = (0f64, 0f64);
    for (a, b) in ours.samples[..common].iter().zip(&theirs[..common]) {
        err += (f64::from(*a) - f64::from(*b)).powi(2);
        sig += f64::from(*b).powi(2);
    }
    let snr_db = 10.0 * (sig / err.max(1.0)).log10();
    println!(
        "{file}: {} samples, sox {}, SNR vs sox {snr_db:.1} dB",
        ours.samples.len(),
        theirs.len()
    );
    assert!(snr_db > 40.0, "{file}: SNR vs sox only {snr_db:.1} dB");
}

#[test]
fn mono_speech_mp3_matches_sox() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = speech(
        dir.path(),
        "speech.wav",
        "Please call the office back before five.",
    );
    let mp3 = path(dir.path(), "speech.mp3");
    sox(&[&src, &mp3]);
    compare(&mp3, &path(dir.path(), "ref.wav"), 8000, 1);
}

#[test]
fn stereo_music_rate_mp3_matches_sox() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mp3 = path(dir.path(), "tones.mp3");
    sox(&[
        "-n", "-r", "44100", "-c", "2", &mp3, "synth", "2", "sine", "440", "sine", "660",
    ]);
    compare(&mp3, &path(dir.path(), "ref.wav"), 44100, 2);
}
