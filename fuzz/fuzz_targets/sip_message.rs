#![no_main]
//! Any bytes into the SIP message parser and the stream framer: never a panic.

use libfuzzer_sys::fuzz_target;
use voicelamp_sip::framing::next_frame;
use voicelamp_sip::message::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok(Message::Request(r)) = Message::parse(data) {
        let _ = (
            r.head.subscription_state(),
            r.head.event(),
            r.head.contacts(),
        );
        let _ = (
            r.head.expires(),
            r.head.retry_after(),
            r.head.content_type(),
        );
    }
    let _ = next_frame(data);
});
