#![no_main]
//! Any bytes as a voicemail attachment (WAVE: PCM, µ-law, A-law, GSM 06.10, MP3 in WAVE; or raw
//! GSM frames): never a panic, and decoded audio is a well-formed WAV of a bounded size.

use libfuzzer_sys::fuzz_target;
use voicelamp_mailbox::audio::{MAX_OUTPUT_SAMPLES, decode_to_wav};

fuzz_target!(|data: &[u8]| {
    if let Ok(decoded) = decode_to_wav(data) {
        assert!(decoded.samples.len() <= MAX_OUTPUT_SAMPLES);
        let wav = decoded.to_wav_bytes();
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(wav.len(), 44 + decoded.samples.len() * 2);
    }
});
