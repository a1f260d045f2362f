#![no_main]
//! Any bytes as GSM 06.10 frames and as a wav49 data chunk: never a panic, and the output is
//! exactly 160 samples a frame decoded.

use libfuzzer_sys::fuzz_target;
use voicelamp_codec::gsm610::{FRAME_BYTES, FRAME_SAMPLES, decode_frames, decode_wav49};

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    if decode_frames(data, &mut out).is_ok() {
        assert_eq!(out.len(), data.len() / FRAME_BYTES * FRAME_SAMPLES);
    }
    let mut out = Vec::new();
    decode_wav49(data, &mut out);
    assert_eq!(out.len() % FRAME_SAMPLES, 0);
});
