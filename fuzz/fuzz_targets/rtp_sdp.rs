#![no_main]
//! Any bytes as SDP (parsed, written and read again; answered and taken as an answer by a
//! session), as RTP and as compound RTCP (parsed, and fed to a session as datagrams): never a
//! panic, and what the SDP reader accepts it writes back to the same description.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use voicelamp_media::sdp::SessionDescription;
use voicelamp_media::{MediaConfig, MediaInput, Session, rtcp, rtp};

fuzz_target!(|data: &[u8]| {
    if let Ok(sdp) = SessionDescription::parse(data) {
        let again = SessionDescription::parse(&sdp.to_bytes()).expect("what we write reads");
        assert_eq!(again.media.len(), sdp.media.len());
    }
    let _ = rtp::parse(data);
    let _ = rtcp::parse_compound(data);

    let now = Instant::now();
    let local: SocketAddr = ([127, 0, 0, 1], 4000).into();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let _ = Session::answer(now, MediaConfig::new(local), data, &mut rng);
    let (mut caller, offer) = Session::offer(now, MediaConfig::new(local), &mut rng);
    let _ = caller.set_answer(now, data);
    let far: SocketAddr = ([127, 0, 0, 1], 5000).into();
    if let Ok((mut callee, _)) = Session::answer(now, MediaConfig::new(far), &offer, &mut rng) {
        // Datagrams split at 0xFF, with time passing between them.
        let mut t = now;
        for packet in data.split(|&b| b == 0xFF).take(64) {
            callee.handle_input(t, MediaInput::Packet { from: local, bytes: packet });
            t += Duration::from_millis(20);
            callee.handle_input(t, MediaInput::Timeout);
            while callee.poll_transmit().is_some() {}
            while callee.poll_playback().is_some() {}
            while callee.poll_event().is_some() {}
        }
    }
});
