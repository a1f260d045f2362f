#![no_main]
//! Datagrams into a registered-or-not user agent, split at 0xFF bytes: never a panic.

use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::time::{Duration, Instant};
use voicelamp_sip::{AccountConfig, Flow, Input, Transport, UaConfig, UserAgent};

fuzz_target!(|data: &[u8]| {
    let server = "203.0.113.5:5060".parse().expect("addr");
    let flow = Flow {
        transport: Transport::Udp,
        local: "192.0.2.10:5060".parse().expect("addr"),
        remote: server,
    };
    let start = Instant::now();
    let mut ua = UserAgent::new(UaConfig::default(), ChaCha8Rng::seed_from_u64(0));
    let account = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
    ua.add_account(start, account);
    for (i, chunk) in data.split(|b| *b == 0xff).enumerate() {
        let now = start + Duration::from_millis(i as u64 * 700);
        ua.handle_input(
            now,
            Input::Datagram {
                from: server,
                transport: Transport::Udp,
                bytes: chunk.to_vec(),
            },
        );
        ua.handle_input(now, Input::Timeout);
        while ua.poll_transmit().is_some() {}
        while ua.poll_event().is_some() {}
    }
});
