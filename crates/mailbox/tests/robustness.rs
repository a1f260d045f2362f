//! Malformed input: arbitrary, mutated and truncated bytes never panic, and each kind of damage is
//! reported with the right error.

mod support;

use proptest::prelude::*;
use support::{Rng, g711_fmt, gsm_fmt, wave};
use voicelamp_mailbox::audio::{
    AudioError, AudioFormat, MAX_INPUT_BYTES, MAX_OUTPUT_SAMPLES, decode_to_wav, gsm610, probe,
};

/// A well-formed wav49 file of `blocks` random blocks, with a `fact` chunk.
fn wav49(blocks: usize, fact: Option<u32>) -> Vec<u8> {
    let data = Rng::new(blocks as u64 + 7).bytes(blocks * 65);
    wave(&gsm_fmt(), fact, &data)
}

/// Headers that route arbitrary data into each decoder.
fn headers() -> Vec<Vec<u8>> {
    let mut pcm16 = g711_fmt(1);
    pcm16[12] = 2;
    pcm16[14] = 16;
    vec![gsm_fmt(), g711_fmt(6), g711_fmt(7), g711_fmt(1), pcm16]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = probe(&bytes);
        let _ = decode_to_wav(&bytes);
    }

    #[test]
    fn arbitrary_data_behind_each_header_never_panics(
        which in 0usize..5,
        fact in proptest::option::of(any::<u32>()),
        data in proptest::collection::vec(any::<u8>(), 0..1500),
    ) {
        let file = wave(&headers()[which], fact, &data);
        if let Ok(audio) = decode_to_wav(&file) {
            prop_assert!(audio.samples.len() <= data.len() * 5);
            let _ = audio.to_wav_bytes();
        }
    }

    #[test]
    fn mutated_wav49_never_panics(edits in proptest::collection::vec((0usize..800, any::<u8>()), 1..8)) {
        let mut file = wav49(10, Some(3200));
        for (at, value) in edits {
            let at = at % file.len();
            file[at] = value;
        }
        let _ = probe(&file);
        let _ = decode_to_wav(&file);
    }

    /// Valid MPEG layer III frame headers (MPEG-1 44.1 kHz, MPEG-2 16 kHz, MPEG-2.5 8 kHz) with
    /// random frame bodies of the right length, so the demuxer syncs and the decoder runs.
    #[test]
    fn mp3_like_bytes_never_panic(
        kind in 0usize..3,
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 413), 1..5),
        cut in any::<usize>(),
    ) {
        let (header, frame_len) = [
            ([0xFFu8, 0xFB, 0x90, 0x64], 417usize),
            ([0xFF, 0xF3, 0x48, 0xC4], 144),
            ([0xFF, 0xE3, 0x18, 0xC4], 72),
        ][kind];
        let mut bytes = Vec::new();
        for body in &bodies {
            bytes.extend_from_slice(&header);
            bytes.extend_from_slice(&body[..frame_len - 4]);
        }
        prop_assert_eq!(probe(&bytes), Ok(AudioFormat::Mp3));
        let _ = decode_to_wav(&bytes);
        let _ = decode_to_wav(&bytes[..cut % bytes.len()]);
    }

    #[test]
    fn raw_gsm_like_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 33..400)) {
        bytes[0] = 0xD0 | (bytes[0] & 0x0F);
        if bytes.len() > 33 {
            bytes[33] = 0xD0 | (bytes[33] & 0x0F);
        }
        prop_assert_eq!(probe(&bytes), Ok(AudioFormat::Gsm610Raw));
        let _ = decode_to_wav(&bytes);
    }
}

#[test]
fn every_truncation_of_a_wav49_file_is_handled() {
    let file = wav49(4, None);
    let header = file.len() - 4 * 65;
    let full = decode_to_wav(&file).expect("complete file");
    assert_eq!(full.samples.len(), 4 * 320);
    for cut in 0..file.len() {
        let result = decode_to_wav(&file[..cut]);
        if cut < header {
            assert!(
                matches!(
                    result,
                    Err(AudioError::Truncated { .. } | AudioError::Corrupt { .. })
                ),
                "cut at {cut}: {result:?}"
            );
        } else if (cut - header).is_multiple_of(65) {
            // Ends on a block boundary: the blocks present decode, identical to the full decode.
            let audio = result.unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            let n = (cut - header) / 65 * 320;
            assert_eq!(audio.samples, full.samples[..n], "cut at {cut}");
        } else {
            assert_eq!(
                result,
                Err(AudioError::Truncated {
                    what: "audio data ends inside a block"
                }),
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn a_partial_last_block_is_tolerated_when_fact_is_covered() {
    let mut file = wav49(3, Some(640));
    file.truncate(file.len() - 10);
    assert_eq!(
        decode_to_wav(&file).expect("covered by fact").samples.len(),
        640
    );
    let mut file = wav49(3, Some(641));
    file.truncate(file.len() - 10);
    assert!(matches!(
        decode_to_wav(&file),
        Err(AudioError::Truncated { .. })
    ));
}

#[test]
fn oversized_data_declaration_decodes_what_is_there() {
    // Two blocks: an even length, so no pad byte follows the data.
    let mut file = wav49(2, None);
    let size_at = file.len() - 2 * 65 - 4;
    file[size_at..size_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        decode_to_wav(&file).expect("streamed size").samples.len(),
        640
    );
    file.truncate(file.len() - 1);
    assert!(matches!(
        decode_to_wav(&file),
        Err(AudioError::Truncated { .. })
    ));
}

#[test]
fn unsupported_codecs_name_their_tag() {
    let mut adpcm = g711_fmt(2);
    adpcm[14] = 4;
    let file = wave(&adpcm, None, &[0; 64]);
    assert!(matches!(
        probe(&file),
        Err(AudioError::UnsupportedTag { tag: 2, .. })
    ));
    assert!(matches!(
        decode_to_wav(&file),
        Err(AudioError::UnsupportedTag { tag: 2, .. })
    ));

    let mut stereo_gsm = gsm_fmt();
    stereo_gsm[2] = 2;
    let file = wave(&stereo_gsm, None, &[0; 130]);
    assert!(matches!(
        decode_to_wav(&file),
        Err(AudioError::UnsupportedTag { tag: 0x31, .. })
    ));

    let mut pcm24 = g711_fmt(1);
    pcm24[12] = 3;
    pcm24[14] = 24;
    let file = wave(&pcm24, None, &[0; 30]);
    assert!(matches!(
        decode_to_wav(&file),
        Err(AudioError::UnsupportedTag { tag: 1, .. })
    ));
}

#[test]
fn inconsistent_headers_are_corrupt() {
    let mut zero_rate = g711_fmt(7);
    zero_rate[4..8].copy_from_slice(&0u32.to_le_bytes());
    let file = wave(&zero_rate, None, &[0; 8]);
    assert!(matches!(
        decode_to_wav(&file),
        Err(AudioError::Corrupt { .. })
    ));

    let mut bad_align = g711_fmt(7);
    bad_align[12] = 3;
    let file = wave(&bad_align, None, &[0; 9]);
    assert!(matches!(
        decode_to_wav(&file),
        Err(AudioError::Corrupt { .. })
    ));
}

#[test]
fn raw_gsm_damage_is_reported() {
    let frame = gsm610::pack_frame(&gsm610::FrameParams::default());
    let mut good = Vec::new();
    for _ in 0..3 {
        good.extend_from_slice(&frame);
    }
    assert_eq!(decode_to_wav(&good).expect("valid").samples.len(), 480);

    let mut bad_signature = good.clone();
    bad_signature[66] = 0x00;
    assert_eq!(
        decode_to_wav(&bad_signature),
        Err(AudioError::Corrupt {
            what: "GSM frame without its 0xD signature"
        })
    );
    assert!(matches!(
        decode_to_wav(&good[..80]),
        Err(AudioError::Truncated { .. })
    ));
}

#[test]
fn bounds_are_enforced_before_decoding() {
    let huge = vec![0u8; MAX_INPUT_BYTES + 1];
    assert!(matches!(probe(&huge), Err(AudioError::TooLarge { .. })));
    drop(huge);

    // 140 MB of wav49 would decode to more than two hours of 48 kHz stereo.
    let blocks = MAX_OUTPUT_SAMPLES / 320 + 1;
    let file = wave(&gsm_fmt(), None, &vec![0u8; blocks * 65]);
    assert!(matches!(
        decode_to_wav(&file),
        Err(AudioError::TooLarge { .. })
    ));
}

#[test]
fn mp3_without_frames_is_an_error() {
    let file = b"ID3\x04\x00\x00\x00\x00\x00\x00rest";
    assert_eq!(probe(file), Ok(AudioFormat::Mp3));
    assert!(matches!(
        decode_to_wav(file),
        Err(AudioError::Truncated { .. } | AudioError::Corrupt { .. })
    ));
}

#[test]
fn decoded_audio_round_trips_through_wav() {
    let audio = decode_to_wav(&wav49(2, None)).expect("valid");
    let again = decode_to_wav(&audio.to_wav_bytes()).expect("own output");
    assert_eq!(again, audio);
    assert_eq!(audio.duration_ms(), 80);
}
