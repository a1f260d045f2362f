#![no_main]
//! Any bytes behind an empty ID3v2 tag, so the input always takes the MP3 decoder's path:
//! never a panic, and the output stays within the decoder's bound.

use libfuzzer_sys::fuzz_target;
use voicelamp_mailbox::audio::{MAX_OUTPUT_SAMPLES, decode_to_wav};

fuzz_target!(|data: &[u8]| {
    // "ID3", version 2.4, no flags, size 0: what `probe` takes for MP3, skipped by the decoder.
    let mut input = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    input.extend_from_slice(data);
    if let Ok(decoded) = decode_to_wav(&input) {
        assert!(decoded.samples.len() <= MAX_OUTPUT_SAMPLES);
    }
});
