//! The packet and SDP readers never panic, whatever the bytes, and what they accept survives
//! being written and read again.

use proptest::prelude::*;
use voicelamp_media::rtcp::{self, RtcpPacket};
use voicelamp_media::rtp::{self, RtpHeader};
use voicelamp_media::sdp::SessionDescription;

/// SDP-looking text: real line kinds with random values, so the attribute readers are reached.
fn sdp_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("v=0".to_owned()),
        "[a-z0-9 .:/-]{0,40}".prop_map(|v| format!("o={v}")),
        Just("o=- 1 1 IN IP4 192.0.2.1".to_owned()),
        "(IN IP4 |IN IP6 )?[0-9a-f.:/]{0,20}".prop_map(|v| format!("c={v}")),
        "audio [0-9/]{0,7} RTP/S?AVP( [0-9]{1,3}){0,6}".prop_map(|v| format!("m={v}")),
        "(rtpmap|fmtp|ptime|rtcp|crypto|sendonly|inactive|rtcp-mux):?[ -~]{0,40}"
            .prop_map(|v| format!("a={v}")),
        "[ -~]{0,20}",
    ];
    proptest::collection::vec(line, 0..24).prop_map(|lines| lines.join("\r\n"))
}

proptest! {
    #[test]
    fn sdp_reader_never_panics_and_round_trips(text in sdp_like(), bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        for input in [text.as_bytes(), &bytes[..]] {
            if let Ok(sdp) = SessionDescription::parse(input) {
                let again = SessionDescription::parse(&sdp.to_bytes()).expect("what we write reads");
                prop_assert_eq!(again.media.len(), sdp.media.len());
                prop_assert_eq!(again.session_version, sdp.session_version);
                for (a, b) in again.media.iter().zip(&sdp.media) {
                    prop_assert_eq!(&a.formats, &b.formats);
                    prop_assert_eq!(a.direction, b.direction);
                }
            }
        }
    }

    #[test]
    fn rtp_reader_never_panics_and_stays_inside(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(p) = rtp::parse(&bytes) {
            prop_assert!(p.payload.len() + rtp::HEADER_BYTES <= bytes.len());
            let mut out = Vec::new();
            rtp::build(&p.header, p.payload, &mut out);
            prop_assert_eq!(rtp::parse(&out).expect("ours parses").header, p.header);
        }
    }

    #[test]
    fn rtp_writer_round_trips(marker: bool, pt in 0u8..128, sequence: u16, timestamp: u32, ssrc: u32,
                              payload in proptest::collection::vec(any::<u8>(), 0..200)) {
        let h = RtpHeader { marker, payload_type: pt, sequence, timestamp, ssrc };
        let mut out = Vec::new();
        rtp::build(&h, &payload, &mut out);
        let p = rtp::parse(&out).expect("parses");
        prop_assert_eq!(p.header, h);
        prop_assert_eq!(p.payload, &payload[..]);
    }

    #[test]
    fn rtcp_reader_never_panics_and_is_bounded(mut bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Some(b) = bytes.first_mut() {
            *b = 0x80 | (*b & 0x3F);
        }
        if let Ok(packets) = rtcp::parse_compound(&bytes) {
            prop_assert!(packets.len() <= rtcp::MAX_PACKETS);
            for p in packets {
                if let RtcpPacket::SenderReport { blocks, .. } | RtcpPacket::ReceiverReport { blocks, .. } = p {
                    prop_assert!(blocks.len() <= 31);
                }
            }
        }
    }
}
