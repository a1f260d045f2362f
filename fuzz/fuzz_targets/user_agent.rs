#![no_main]
//! Datagrams into a registered-or-not user agent with a call going out and an account that
//! takes calls, split at 0xFF bytes: never a panic.

use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::time::{Duration, Instant};
use voicelamp_sip::{AccountConfig, Flow, IncomingCalls, Input, Transport, UaConfig, UserAgent};

fuzz_target!(|data: &[u8]| {
    let server = "203.0.113.5:5060".parse().expect("addr");
    let flow = Flow {
        transport: Transport::Udp,
        local: "192.0.2.10:5060".parse().expect("addr"),
        remote: server,
    };
    let start = Instant::now();
    let mut ua = UserAgent::new(UaConfig::default(), ChaCha8Rng::seed_from_u64(0));
    let mut account = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
    account.incoming_calls = IncomingCalls::Ring;
    let id = ua.add_account(start, account).expect("account");
    let call = ua
        .start_call(start, id, "*97", bytes::Bytes::from_static(b"v=0\r\n"))
        .ok();
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
        while let Some(event) = ua.poll_event() {
            // Answer whatever rings, so the fuzzer reaches the dialogs of incoming calls too.
            if let voicelamp_sip::Event::Call {
                call: incoming,
                event: voicelamp_sip::CallEvent::Incoming { .. },
                ..
            } = event
            {
                let _ = ua.answer_call(now, incoming, bytes::Bytes::from_static(b"v=0\r\n"));
            }
        }
        if i == 3
            && let Some(call) = call
        {
            ua.hang_up(now, call);
        }
    }
});
