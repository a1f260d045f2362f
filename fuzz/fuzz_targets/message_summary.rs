#![no_main]
//! Any bytes into the RFC 3842 body parser: never a panic, and a summary always serializes
//! back to something that parses to the same value.

use libfuzzer_sys::fuzz_target;
use voicelamp_sip::message_summary::{SummaryBody, parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(SummaryBody::Summary(s)) = parse(data) {
        let again = parse(s.to_body().as_bytes());
        assert_eq!(again, Ok(SummaryBody::Summary(s)));
    }
});
