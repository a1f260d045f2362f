use std::io::Write;
use std::process::{Command, Stdio};

use super::*;

fn tone(freq: f64, amplitude: f64, samples: usize) -> Vec<i16> {
    (0..samples)
        .map(|n| {
            (amplitude
                * (2.0 * std::f64::consts::PI * freq * n as f64 / f64::from(SAMPLE_RATE)).sin())
                as i16
        })
        .collect()
}

fn round_trip(pcm: &[i16]) -> (Vec<u8>, Vec<i16>) {
    let mut encoded = Vec::new();
    G722Encoder::new().encode(pcm, &mut encoded);
    let mut decoded = Vec::new();
    G722Decoder::new().decode(&encoded, &mut decoded);
    (encoded, decoded)
}

/// The delay of an encoder and decoder in a row (the two QMFs), in samples.
const CODEC_DELAY: usize = 22;

/// The SNR (dB) of `decoded` against `reference` delayed by `lag` samples, over the samples
/// after the first 100 ms.
fn snr_db(reference: &[i16], decoded: &[i16], lag: usize) -> f64 {
    let (mut signal, mut noise) = (0.0f64, 0.0f64);
    for n in 1600..reference.len() - 64 {
        let r = f64::from(reference[n]);
        let e = r - f64::from(decoded[n + lag]);
        signal += r * r;
        noise += e * e;
    }
    10.0 * (signal / noise.max(1e-9)).log10()
}

#[test]
fn the_codec_delay_is_22_samples() {
    // A chirp from 100 Hz to 7 kHz has one best alignment only.
    let chirp: Vec<i16> = (0..16_000)
        .map(|n| {
            let t = n as f64 / 16_000.0;
            (8000.0 * (2.0 * std::f64::consts::PI * (100.0 * t + 3450.0 * t * t)).sin()) as i16
        })
        .collect();
    let (_, decoded) = round_trip(&chirp);
    let best = (0..64)
        .max_by(|&a, &b| snr_db(&chirp, &decoded, a).total_cmp(&snr_db(&chirp, &decoded, b)));
    assert_eq!(best, Some(CODEC_DELAY));
    let snr = snr_db(&chirp, &decoded, CODEC_DELAY);
    eprintln!("G.722 chirp 100 Hz–7 kHz: SNR {snr:.1} dB");
    assert!(snr > 20.0, "chirp SNR {snr:.1} dB");
}

#[test]
fn one_byte_per_two_samples_and_two_samples_per_byte() {
    let (encoded, decoded) = round_trip(&tone(440.0, 8000.0, 320));
    assert_eq!(encoded.len(), 160, "20 ms at 16 kHz is 160 bytes");
    assert_eq!(decoded.len(), 320);
}

#[test]
fn tones_in_both_bands_come_back_with_a_good_snr() {
    for (freq, min_snr) in [
        (400.0, 50.0),
        (1000.0, 40.0),
        (3000.0, 35.0),
        (6000.0, 20.0),
    ] {
        let pcm = tone(freq, 10_000.0, 16_000);
        let (_, decoded) = round_trip(&pcm);
        let snr = snr_db(&pcm, &decoded, CODEC_DELAY);
        eprintln!("G.722 {freq} Hz tone: SNR {snr:.1} dB");
        assert!(
            snr >= min_snr,
            "{freq} Hz: SNR {snr:.1} dB below {min_snr} dB"
        );
    }
}

#[test]
fn silence_stays_silent_and_loud_input_does_not_overflow() {
    let (_, decoded) = round_trip(&vec![0; 1600]);
    assert!(
        decoded.iter().all(|&s| s.abs() <= 4),
        "silence decodes to silence"
    );
    let square: Vec<i16> = (0..16_000)
        .map(|n| {
            if (n / 20) % 2 == 0 {
                i16::MAX
            } else {
                i16::MIN
            }
        })
        .collect();
    let (_, decoded) = round_trip(&square);
    let snr = snr_db(&square, &decoded, CODEC_DELAY);
    assert!(snr > 10.0, "a full-scale square wave survives: {snr:.1} dB");
}

#[test]
fn encoding_in_odd_chunks_equals_encoding_at_once() {
    let pcm = tone(1234.0, 9000.0, 4000);
    let (whole, _) = round_trip(&pcm);
    let mut encoder = G722Encoder::new();
    let mut chunked = Vec::new();
    let mut at = 0;
    for size in [1, 3, 0, 7, 160, 33, 1].iter().cycle() {
        let end = (at + size).min(pcm.len());
        encoder.encode(&pcm[at..end], &mut chunked);
        at = end;
        if at == pcm.len() {
            break;
        }
    }
    assert_eq!(chunked, whole);
}

#[test]
fn a_lost_packet_is_recovered_from_within_a_few_milliseconds() {
    let pcm = tone(800.0, 10_000.0, 16_000);
    let (encoded, clean) = round_trip(&pcm);
    // Drop 20 ms (160 bytes) in the middle: the decoder is fed the next packet as usual.
    let mut decoder = G722Decoder::new();
    let mut lossy = Vec::new();
    decoder.decode(&encoded[..4000], &mut lossy);
    lossy.extend(std::iter::repeat_n(0, 320));
    decoder.decode(&encoded[4160..], &mut lossy);
    let after = 2 * 4160 + 16 * 10; // 10 ms after the gap
    let diff: f64 = clean[after..after + 1600]
        .iter()
        .zip(&lossy[after..after + 1600])
        .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
        .sum();
    let power: f64 = clean[after..after + 1600]
        .iter()
        .map(|a| f64::from(*a).powi(2))
        .sum();
    assert!(
        10.0 * (power / diff.max(1e-9)).log10() > 20.0,
        "the decoder resynchronised"
    );
}

/// Runs ffmpeg with `args`, feeding `input` on stdin, returning stdout.
fn ffmpeg(args: &[&str], input: Vec<u8>) -> Vec<u8> {
    let mut child = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("ffmpeg is needed for the G.722 cross-check: install the Debian package ffmpeg (scripts/setup does)");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("ffmpeg runs");
    writer
        .join()
        .expect("writer")
        .expect("ffmpeg reads its input");
    assert!(output.status.success(), "ffmpeg {args:?} failed");
    output.stdout
}

#[test]
fn matches_ffmpeg_encoder_and_decoder_bit_for_bit() {
    let mut pcm = tone(700.0, 7000.0, 16_000);
    for (n, s) in tone(5200.0, 3000.0, 16_000).into_iter().enumerate() {
        pcm[n] = pcm[n].saturating_add(s);
    }
    let raw: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    let theirs = ffmpeg(
        &[
            "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "pipe:0", "-c:a", "g722", "-f",
            "g722", "pipe:1",
        ],
        raw,
    );
    let (ours, decoded) = round_trip(&pcm);
    assert_eq!(theirs.len(), ours.len());
    let same = theirs.iter().zip(&ours).filter(|(a, b)| a == b).count();
    assert_eq!(
        same,
        ours.len(),
        "{same} of {} bytes equal ffmpeg's encoder",
        ours.len()
    );

    let their_pcm = ffmpeg(
        &[
            "-f", "g722", "-i", "pipe:0", "-f", "s16le", "-ar", "16000", "pipe:1",
        ],
        ours.clone(),
    );
    let their_pcm: Vec<i16> = their_pcm
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(their_pcm.len(), decoded.len());
    assert!(their_pcm == decoded, "our decoder's output equals ffmpeg's");
}
