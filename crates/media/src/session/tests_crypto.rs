//! SDES-SRTP through the session: keys in SDP by policy, media encrypted both ways.

use super::*;
use crate::SrtpPolicy;

fn secure(port: u16, policy: SrtpPolicy) -> MediaConfig {
    MediaConfig {
        srtp: policy,
        ..config(port, &[CodecKind::Pcmu])
    }
}

fn crypto_lines(sdp: &[u8]) -> Vec<String> {
    SessionDescription::parse(sdp).expect("parses").media[0]
        .crypto
        .clone()
}

#[test]
fn keys_are_exchanged_and_media_is_encrypted_both_ways() {
    for (a, b) in [
        (SrtpPolicy::Offer, SrtpPolicy::Offer),
        (SrtpPolicy::Require, SrtpPolicy::Offer),
        (SrtpPolicy::Offer, SrtpPolicy::Require),
    ] {
        let now = Instant::now();
        let (sa, offer) = Session::offer(now, secure(40000, a), &mut rng(1));
        let proto = SessionDescription::parse(&offer).expect("parses").media[0]
            .proto
            .clone();
        let want = if a == SrtpPolicy::Require {
            "RTP/SAVP"
        } else {
            "RTP/AVP"
        };
        assert_eq!(proto, want);
        let offered = crypto_lines(&offer);
        assert!(
            offered[0].starts_with("1 AES_CM_128_HMAC_SHA1_80 inline:"),
            "{offered:?}"
        );
        let (sb, answer) =
            Session::answer(now, secure(40002, b), &offer, &mut rng(2)).expect("answers");
        let answered = crypto_lines(&answer);
        assert!(answered[0].starts_with("1 AES_CM_128_HMAC_SHA1_80 inline:"));
        assert_ne!(offered, answered, "each side sends with its own key");
        // No key reaches Debug output.
        let inline = offered[0].rsplit(':').next().expect("inline key");
        assert!(!format!("{sa:?}{sb:?}").contains(inline));

        let mut p = Pair {
            a: Peer::new(sa, 1000.0),
            b: Peer::new(sb, 600.0),
            net: Netem::new(NetemConfig::default(), 3),
            now,
        };
        p.a.s.set_answer(now, &answer).expect("fits");
        assert!(p.a.s.encrypted() && p.b.s.encrypted());
        p.run_for(Duration::from_secs(2));
        assert!(tone_ratio(&p.b.played, 8000, 1000.0, 1000) > 100.0);
        assert!(tone_ratio(&p.a.played, 8000, 600.0, 1000) > 100.0);
    }
}

#[test]
fn encrypted_packets_carry_a_tag_and_plain_ones_are_dropped() {
    let now = Instant::now();
    let (mut a, offer) = Session::offer(now, secure(40000, SrtpPolicy::Offer), &mut rng(1));
    let (mut b, answer) =
        Session::answer(now, secure(40002, SrtpPolicy::Offer), &offer, &mut rng(2))
            .expect("answers");
    a.set_answer(now, &answer).expect("fits");
    a.handle_input(now, MediaInput::Captured(&[500; 160]));
    let t = now + Duration::from_millis(20);
    a.handle_input(t, MediaInput::Timeout);
    let sent = a.poll_transmit().expect("a packet");
    // 12 bytes of header, 160 of G.711, 10 of authentication tag.
    assert_eq!(sent.payload.len(), 182);
    let mut plain = Vec::new();
    let h = RtpHeader {
        marker: true,
        payload_type: 0,
        sequence: 1,
        timestamp: 0,
        ssrc: 77,
    };
    rtp::build(&h, &[0x55; 160], &mut plain);
    b.handle_input(
        t,
        MediaInput::Packet {
            from: addr(40000),
            bytes: &plain,
        },
    );
    assert!(
        !b.rx.started(),
        "a plain packet on an encrypted stream is not media"
    );
    b.handle_input(
        t,
        MediaInput::Packet {
            from: addr(40000),
            bytes: &sent.payload,
        },
    );
    assert!(b.rx.started());
    // A replay of the same packet is refused by the SRTP replay window.
    b.handle_input(
        t,
        MediaInput::Packet {
            from: addr(40000),
            bytes: &sent.payload,
        },
    );
    assert_eq!(b.rx.cumulative_lost(), 0);
}

#[test]
fn policies_that_cannot_meet_are_refused_in_words() {
    let now = Instant::now();
    let (_, required) = Session::offer(now, secure(40000, SrtpPolicy::Require), &mut rng(1));
    let err = Session::answer(now, secure(40002, SrtpPolicy::Off), &required, &mut rng(2)).err();
    assert_eq!(err, Some(MediaError::SrtpRequired));
    let (_, plain) = Session::offer(now, secure(40000, SrtpPolicy::Off), &mut rng(1));
    assert!(
        crypto_lines(&plain).is_empty(),
        "no keys without an SRTP policy"
    );
    let err = Session::answer(now, secure(40002, SrtpPolicy::Require), &plain, &mut rng(2)).err();
    assert_eq!(err, Some(MediaError::SrtpRefused));
    // Best effort: an offer with keys answered by a plain peer gives plain RTP.
    let (mut a, offer) = Session::offer(now, secure(40000, SrtpPolicy::Offer), &mut rng(1));
    let (b, answer) =
        Session::answer(now, secure(40002, SrtpPolicy::Off), &offer, &mut rng(2)).expect("answers");
    assert!(crypto_lines(&answer).is_empty());
    a.set_answer(now, &answer).expect("fits");
    assert!(!a.encrypted() && !b.encrypted());
    assert!(MediaError::SrtpRequired.to_string().contains("TLS"));
}
