#![no_main]
//! Any bytes as GSM 06.10 frames and as a wav49 data chunk: never a panic, and the output is
//! exactly 160 samples a frame decoded. The same bytes as 16-bit samples encode to valid frames.

use libfuzzer_sys::fuzz_target;
use voicelamp_codec::gsm610::{
    FRAME_BYTES, FRAME_SAMPLES, decode_frames, decode_wav49, encode_frames,
};

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    if decode_frames(data, &mut out).is_ok() {
        assert_eq!(out.len(), data.len() / FRAME_BYTES * FRAME_SAMPLES);
    }
    let mut out = Vec::new();
    decode_wav49(data, &mut out);
    assert_eq!(out.len() % FRAME_SAMPLES, 0);
    let pcm: Vec<i16> = data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let mut frames = Vec::new();
    encode_frames(&pcm, &mut frames);
    assert_eq!(frames.len(), pcm.len() / FRAME_SAMPLES * FRAME_BYTES);
    let mut decoded = Vec::new();
    assert!(decode_frames(&frames, &mut decoded).is_ok(), "our frames decode");
});
