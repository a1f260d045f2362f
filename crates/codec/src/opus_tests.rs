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

/// Power of `freq` in `samples` (Goertzel), normalised to the signal's total power: near 1 for a
/// pure tone at `freq`, near 0 when it is absent.
fn share_at(samples: &[i16], freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(SAMPLE_RATE);
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let total: f64 = samples.iter().map(|&x| f64::from(x).powi(2)).sum();
    2.0 * power / (samples.len() as f64 * total.max(1e-9))
}

fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / samples.len().max(1) as f64)
        .sqrt()
}

/// Encodes `pcm` in 20 ms frames.
fn packets(pcm: &[i16]) -> Vec<Vec<u8>> {
    let mut encoder = OpusEncoder::new().expect("encoder");
    pcm.chunks_exact(FRAME_SAMPLES)
        .map(|frame| encoder.encode(frame).expect("encode"))
        .collect()
}

#[test]
fn a_tone_survives_encoding_at_the_right_pitch_and_level() {
    let pcm = tone(1000.0, 8000.0, SAMPLE_RATE as usize);
    let packets = packets(&pcm);
    assert_eq!(packets.len(), 50);
    let bytes: usize = packets.iter().map(Vec::len).sum();
    let kbps = bytes as f64 * 8.0 / 1000.0;
    assert!((10.0..=40.0).contains(&kbps), "about 24 kbit/s: {kbps}");
    let mut decoder = OpusDecoder::new().expect("decoder");
    let mut out = Vec::new();
    for p in &packets {
        assert_eq!(decoder.decode(p, &mut out).expect("decode"), FRAME_SAMPLES);
    }
    let steady = &out[9600..];
    let share = share_at(steady, 1000.0);
    let level = rms(steady) / rms(&pcm);
    eprintln!(
        "Opus 1 kHz tone at {kbps:.1} kbit/s: {:.1} % of the power at 1 kHz, level {level:.2}",
        share * 100.0
    );
    assert!(share > 0.9, "the tone is there: {share}");
    assert!((0.7..1.3).contains(&level), "level {level}");
}

#[test]
fn concealment_continues_the_sound_and_fec_rebuilds_a_lost_frame() {
    let pcm = tone(600.0, 8000.0, 30 * FRAME_SAMPLES);
    let packets = packets(&pcm);
    let mut decoder = OpusDecoder::new().expect("decoder");
    let mut out = Vec::new();
    for p in &packets[..20] {
        decoder.decode(p, &mut out).expect("decode");
    }
    // Packet 20 is lost: the PLC continues the tone.
    let mut plc = Vec::new();
    assert_eq!(decoder.conceal(&mut plc).expect("conceal"), FRAME_SAMPLES);
    assert!(
        rms(&plc) > 1000.0 && share_at(&plc, 600.0) > 0.5,
        "PLC continues the tone"
    );

    // Same loss, recovered from packet 21's FEC.
    let mut decoder = OpusDecoder::new().expect("decoder");
    let mut out = Vec::new();
    for p in &packets[..20] {
        decoder.decode(p, &mut out).expect("decode");
    }
    let mut fec = Vec::new();
    assert_eq!(
        decoder.recover(&packets[21], &mut fec).expect("recover"),
        FRAME_SAMPLES
    );
    assert!(share_at(&fec, 600.0) > 0.8, "FEC rebuilds the tone");
    assert_eq!(
        decoder.decode(&packets[21], &mut out).expect("decode"),
        FRAME_SAMPLES
    );
    assert!(decoder.recover(&[], &mut fec).expect("falls back to PLC") == FRAME_SAMPLES);
}

#[test]
fn garbage_and_empty_packets_are_errors_not_crashes() {
    let mut decoder = OpusDecoder::new().expect("decoder");
    let mut out = Vec::new();
    assert!(decoder.decode(&[], &mut out).is_err());
    // A TOC byte claiming code 3 with a frame count of 63 and no data.
    assert!(decoder.decode(&[0x03 | 0xF8, 0xFF], &mut out).is_err());
    let mut rng = 0x1234_5678u32;
    for _ in 0..200 {
        let packet: Vec<u8> = (0..40)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 17;
                rng ^= rng << 5;
                rng as u8
            })
            .collect();
        let before = out.len();
        if let Ok(n) = decoder.decode(&packet, &mut out) {
            assert!(n <= MAX_PACKET_SAMPLES && out.len() == before + n);
        }
    }
    let error = decoder.decode(&[], &mut out).expect_err("empty");
    assert!(error.to_string().starts_with("the Opus codec failed"));
}

#[test]
fn the_encoder_takes_bitrate_and_loss_hints() {
    let pcm = tone(440.0, 8000.0, 50 * FRAME_SAMPLES);
    let mut encoder = OpusEncoder::new().expect("encoder");
    encoder.set_bitrate(12_000).expect("bitrate");
    encoder.set_expected_loss(20).expect("loss");
    let low: usize = pcm
        .chunks_exact(FRAME_SAMPLES)
        .map(|f| encoder.encode(f).expect("encode").len())
        .sum();
    let high: usize = packets(&pcm).iter().map(Vec::len).sum();
    assert!(
        low < high,
        "12 kbit/s ({low} bytes) is smaller than 24 kbit/s ({high} bytes)"
    );
    assert!(
        encoder.encode(&pcm[..100]).is_err(),
        "100 samples is not an Opus frame length"
    );
}
