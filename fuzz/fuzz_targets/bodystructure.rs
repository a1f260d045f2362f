#![no_main]
//! Any bytes as an IMAP server's FETCH response, through the same parser the store uses, into the
//! audio-part finder: never a panic, and a part it finds names a section of digits and dots.

use async_imap::imap_proto::{AttributeValue, Response};
use libfuzzer_sys::fuzz_target;
use voicelamp_mailbox::bodystructure::find_audio;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    // Several responses may follow each other; the count bounds the loop whatever the parser does.
    for _ in 0..64 {
        let Ok((left, response)) = Response::parse(rest) else {
            return;
        };
        if let Response::Fetch(_, attributes) = &response {
            for attribute in attributes {
                if let AttributeValue::BodyStructure(body) = attribute
                    && let Some(part) = find_audio(body)
                {
                    assert!(
                        part.section.bytes().all(|b| b.is_ascii_digit() || b == b'.'),
                        "section {:?}",
                        part.section
                    );
                }
            }
        }
        if left.len() >= rest.len() {
            return;
        }
        rest = left;
    }
});
