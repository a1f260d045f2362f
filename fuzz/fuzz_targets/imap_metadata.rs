#![no_main]
//! Any header block into the voicemail metadata reader (Asterisk `X-Asterisk-VM-*`, generic
//! voicemail-to-email, RFC 2047 words): never a panic, and what it reads is bounded by the input.

use libfuzzer_sys::fuzz_target;
use voicelamp_mailbox::headers::metadata;

fuzz_target!(|data: &[u8]| {
    let m = metadata(data);
    for text in [&m.caller_number, &m.caller_name].into_iter().flatten() {
        // A decoded word can grow (base64 → UTF-8), but never beyond a small multiple of the input.
        assert!(text.len() <= data.len() * 4 + 16, "metadata grew past its input");
    }
});
