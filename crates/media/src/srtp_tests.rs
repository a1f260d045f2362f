use super::keys::{SessionKeys, apply_keystream};
use super::*;

fn hex(text: &str) -> Vec<u8> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// RFC 3711 B.3's master key and salt (also libsrtp's test key).
fn rfc_master() -> MasterKey {
    MasterKey::from_slice(&hex(
        "E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6",
    ))
    .expect("30 bytes")
}

/// An RTP packet: version 2, PT 0, the given seq, timestamp and SSRC, payload of `len` bytes.
fn rtp(seq: u16, ssrc: u32, len: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seq as u8)));
    p
}

#[test]
fn key_derivation_matches_rfc_3711_b3() {
    let master = rfc_master();
    let rtp = SessionKeys::derive(&master, false);
    assert_eq!(rtp.parts().0, hex("C61E7A93744F39EE10734AFE3FF7A087"));
    assert_eq!(rtp.parts().1, hex("30CBBC08863D8C85D49DB34A9AE1"));
    let mut auth = [0u8; 20];
    master.derive(0x01, &mut auth);
    assert_eq!(
        auth.to_vec(),
        hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
    );
    // The SRTCP labels (3, 5) with the same master key.
    let rtcp = SessionKeys::derive(&master, true);
    assert_eq!(rtcp.parts().0, hex("4C1AA45A81F73D61C800BBB00FBB1EAA"));
    assert_eq!(rtcp.parts().1, hex("9581C7AD87B3E530BF3E4454A8B3"));
}

#[test]
fn aes_cm_keystream_matches_rfc_3711_b2() {
    let key: [u8; 16] = hex("2B7E151628AED2A6ABF7158809CF4F3C")
        .try_into()
        .expect("16");
    let salt: [u8; 14] = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD").try_into().expect("14");
    let mut stream = vec![0u8; 0xFF02 * 16];
    apply_keystream(&key, &salt, 0, 0, &mut stream);
    let block = |i: usize| stream[i * 16..i * 16 + 16].to_vec();
    assert_eq!(block(0), hex("E03EAD0935C95E80E166B16DD92B4EB4"));
    assert_eq!(block(1), hex("D23513162B02D0F72A43A2FE4A5F97AB"));
    assert_eq!(block(2), hex("41E95B3BB0A2E8DD477901E4FCA894C0"));
    assert_eq!(block(0xFEFF), hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
    assert_eq!(block(0xFF00), hex("362B7C3C6773516318A077D7FC5073AE"));
    assert_eq!(block(0xFF01), hex("6A2CC3787889374FBEB4C81B17BA6C44"));
}

const RTP_PLAIN: &str = "800f1234decafbadcafebabe abababababababababababababababab";
const SRTP_80: &str =
    "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb";
const RTCP_PLAIN: &str = "81c8000bcafebabe abababababababababababababababab";
const SRTCP_80: &str =
    "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798";

#[test]
fn protect_matches_the_libsrtp_reference_packets() {
    let mut tx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &rfc_master());
    assert_eq!(
        tx.protect_rtp(&hex(RTP_PLAIN)).expect("protect"),
        hex(SRTP_80)
    );
    assert_eq!(
        tx.protect_rtcp(&hex(RTCP_PLAIN)).expect("protect"),
        hex(SRTCP_80)
    );
    let mut rx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &rfc_master());
    assert_eq!(
        rx.unprotect_rtp(&hex(SRTP_80)).expect("unprotect"),
        hex(RTP_PLAIN)
    );
    assert_eq!(
        rx.unprotect_rtcp(&hex(SRTCP_80)).expect("unprotect"),
        hex(RTCP_PLAIN)
    );
    // _32: the same cipher text with the tag's first 4 bytes.
    let mut tx32 = Srtp::new(SrtpSuite::AesCm128HmacSha1_32, &rfc_master());
    let srtp32 = tx32.protect_rtp(&hex(RTP_PLAIN)).expect("protect");
    assert_eq!(srtp32, hex(SRTP_80)[..32].to_vec());
    let mut rx32 = Srtp::new(SrtpSuite::AesCm128HmacSha1_32, &rfc_master());
    assert_eq!(
        rx32.unprotect_rtp(&srtp32).expect("unprotect"),
        hex(RTP_PLAIN)
    );
}

#[test]
fn round_trip_across_the_sequence_wrap_with_reordering() {
    let key = MasterKey::from_bytes([0x5A; 30]);
    let mut tx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    let mut rx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    let seqs: Vec<u16> = (0..400u32)
        .map(|i| 65_300u16.wrapping_add(i as u16))
        .collect();
    let mut sent: Vec<(Vec<u8>, Vec<u8>)> = seqs
        .iter()
        .map(|&seq| {
            let plain = rtp(seq, 0x1234_5678, 160);
            (tx.protect_rtp(&plain).expect("protect"), plain)
        })
        .collect();
    // Packets sent under ROC 1 really use another keystream than ROC 0 would.
    let after_wrap = seqs.iter().position(|&s| s == 3).expect("wrapped");
    let mut fresh = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    assert_eq!(
        fresh.unprotect_rtp(&sent[after_wrap].0),
        Err(SrtpError::AuthenticationFailed)
    );
    // Swap neighbours, including 65535 and 0.
    let wrap = seqs.iter().position(|&s| s == 0).expect("0");
    sent.swap(wrap - 1, wrap);
    for i in (0..sent.len() - 1).step_by(7) {
        sent.swap(i, i + 1);
    }
    for (protected, plain) in &sent {
        assert_eq!(&rx.unprotect_rtp(protected).expect("unprotect"), plain);
        assert_eq!(protected[..12], plain[..12], "the header stays readable");
        assert_ne!(protected[12..172], plain[12..], "the payload is encrypted");
    }
}

#[test]
fn replays_and_packets_behind_the_window_are_refused() {
    let key = MasterKey::from_bytes([7; 30]);
    let mut tx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    let mut rx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    let packets: Vec<Vec<u8>> = (0..100)
        .map(|s| tx.protect_rtp(&rtp(s, 9, 20)).expect("protect"))
        .collect();
    rx.unprotect_rtp(&packets[0]).expect("first");
    assert_eq!(rx.unprotect_rtp(&packets[0]), Err(SrtpError::Replayed));
    rx.unprotect_rtp(&packets[99]).expect("jump ahead");
    assert_eq!(
        rx.unprotect_rtp(&packets[10]),
        Err(SrtpError::Replayed),
        "behind the 64-packet window"
    );
    rx.unprotect_rtp(&packets[50]).expect("inside the window");
    assert_eq!(rx.unprotect_rtp(&packets[50]), Err(SrtpError::Replayed));

    let rtcp: Vec<Vec<u8>> = (0..3)
        .map(|_| tx.protect_rtcp(&hex(RTCP_PLAIN)).expect("protect"))
        .collect();
    rx.unprotect_rtcp(&rtcp[1]).expect("rtcp");
    assert_eq!(rx.unprotect_rtcp(&rtcp[1]), Err(SrtpError::Replayed));
    rx.unprotect_rtcp(&rtcp[0]).expect("reordered rtcp");
}

#[test]
fn altered_packets_and_wrong_keys_fail_authentication_without_changing_state() {
    let key = MasterKey::from_bytes([1; 30]);
    let mut tx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    let mut rx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    let good = tx.protect_rtp(&rtp(40_000, 5, 50)).expect("protect");
    for bit in [0usize, 3 * 8, 13 * 8 + 2, (good.len() - 1) * 8] {
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(rx.unprotect_rtp(&bad).is_err(), "bit {bit}");
    }
    // A forged packet far ahead did not move the ROC: the genuine one still decrypts.
    let mut forged = rtp(10, 5, 50);
    forged.extend_from_slice(&[0; 10]);
    assert_eq!(
        rx.unprotect_rtp(&forged),
        Err(SrtpError::AuthenticationFailed)
    );
    rx.unprotect_rtp(&good).expect("genuine");
    let mut other = Srtp::new(
        SrtpSuite::AesCm128HmacSha1_80,
        &MasterKey::from_bytes([2; 30]),
    );
    assert_eq!(
        other.unprotect_rtp(&tx.protect_rtp(&rtp(40_001, 5, 50)).expect("p")),
        Err(SrtpError::AuthenticationFailed)
    );
    let rtcp = tx.protect_rtcp(&hex(RTCP_PLAIN)).expect("protect");
    assert_eq!(
        other.unprotect_rtcp(&rtcp),
        Err(SrtpError::AuthenticationFailed)
    );
    assert_eq!(rx.unprotect_rtp(&[0x80, 0, 1]), Err(SrtpError::Malformed));
    assert_eq!(rx.unprotect_rtcp(&[0x80; 12]), Err(SrtpError::Malformed));
}

#[test]
fn csrcs_and_header_extensions_stay_in_clear() {
    let key = MasterKey::from_bytes([3; 30]);
    let mut tx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    let mut rx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    // CC = 1, X = 1 with one extension word.
    let mut p = vec![
        0x91, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0xAA, 0xBB, 0xCC, 0xDD, 0xBE, 0xDE, 0, 1, 1, 2,
        3, 4,
    ];
    p.extend_from_slice(&[0x55; 32]);
    let protected = tx.protect_rtp(&p).expect("protect");
    assert_eq!(protected[..24], p[..24]);
    assert_ne!(protected[24..56], p[24..]);
    assert_eq!(rx.unprotect_rtp(&protected).expect("unprotect"), p);
    // An extension longer than the packet is malformed.
    let mut bad = p[..24].to_vec();
    bad[19] = 200;
    assert_eq!(tx.protect_rtp(&bad), Err(SrtpError::Malformed));
}

#[test]
fn an_mki_is_sent_and_checked() {
    let offer = CryptoAttribute::parse(
        "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4",
    )
    .expect("RFC 4568 example");
    assert_eq!(offer.mki.as_deref(), Some(&[0, 0, 0, 1][..]));
    let mut tx = offer.srtp();
    let mut rx = offer.srtp();
    let protected = tx.protect_rtp(&rtp(1, 2, 20)).expect("protect");
    assert_eq!(protected.len(), 12 + 20 + 4 + 10);
    assert_eq!(protected[32..36], [0, 0, 0, 1]);
    rx.unprotect_rtp(&protected).expect("unprotect");
    let mut other = Srtp::new(offer.suite, offer.master_key()).with_mki(vec![0, 0, 0, 2]);
    assert_eq!(other.unprotect_rtp(&protected), Err(SrtpError::UnknownMki));
    let rtcp = tx.protect_rtcp(&hex(RTCP_PLAIN)).expect("protect");
    assert_eq!(
        rx.unprotect_rtcp(&rtcp).expect("unprotect"),
        hex(RTCP_PLAIN)
    );
}

#[test]
fn crypto_attribute_parses_builds_and_round_trips() {
    let offer = CryptoAttribute::parse("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4")
        .expect("parses");
    assert_eq!(
        (offer.tag, offer.suite, offer.lifetime),
        (1, SrtpSuite::AesCm128HmacSha1_80, Some(1 << 20))
    );
    let ours = CryptoAttribute::new(7, SrtpSuite::AesCm128HmacSha1_80, [0xC3; 30]);
    let value = ours.to_sdp_value();
    assert_eq!(
        value,
        "7 AES_CM_128_HMAC_SHA1_80 inline:w8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PD"
    );
    assert_eq!(CryptoAttribute::parse(&value).expect("own value"), ours);
    let answer = CryptoAttribute::answer(&offer, [9; 30]);
    assert_eq!(
        (answer.tag, answer.suite, answer.mki.clone()),
        (1, offer.suite, None)
    );
    let mut mki = ours.clone();
    mki.mki = Some(vec![0, 1]);
    assert_eq!(
        CryptoAttribute::parse(&mki.to_sdp_value()).expect("with MKI"),
        mki
    );
    let short = CryptoAttribute::parse(
        "crypto:2 AES_CM_128_HMAC_SHA1_32 inline:w8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PD WSH=64",
    )
    .expect("_32 with a window size hint");
    assert_eq!(short.suite, SrtpSuite::AesCm128HmacSha1_32);
}

#[test]
fn crypto_attribute_refuses_what_it_cannot_honour() {
    let key = "inline:w8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PD";
    let cases = [
        format!("1234567890 AES_CM_128_HMAC_SHA1_80 {key}"),
        format!("x AES_CM_128_HMAC_SHA1_80 {key}"),
        format!("1 AES_CM_128_HMAC_SHA1_80 {key} UNENCRYPTED_SRTP"),
        format!("1 AES_CM_128_HMAC_SHA1_80 {key} KDR=24"),
        format!("1 AES_CM_128_HMAC_SHA1_80 {key}|2^60"),
        format!("1 AES_CM_128_HMAC_SHA1_80 {key}|1:5"),
        format!("1 AES_CM_128_HMAC_SHA1_80 {key};{key}"),
        format!("1 AES_CM_128_HMAC_SHA1_80 {}", &key[..40]),
        format!("1 AES_CM_128_HMAC_SHA1_80 {key}AAAA"),
        "1 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/key".to_string(),
        "1 AES_CM_128_HMAC_SHA1_80".to_string(),
        format!("1 AES_CM_128_HMAC_SHA1_80 {key}|{}", "9".repeat(600)),
    ];
    for case in &cases {
        assert!(CryptoAttribute::parse(case).is_err(), "{case}");
    }
    assert_eq!(
        CryptoAttribute::parse(&format!("1 AES_256_CM_HMAC_SHA1_80 {key}")),
        Err(CryptoError::UnsupportedSuite(
            "AES_256_CM_HMAC_SHA1_80".into()
        ))
    );
    let chosen = CryptoAttribute::choose([
        "1 AEAD_AES_256_GCM inline:AAAA",
        "2 AES_CM_128_HMAC_SHA1_80 inline:w8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PD",
        "3 AES_CM_128_HMAC_SHA1_32 inline:w8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PD",
    ])
    .expect("a supported line");
    assert_eq!(chosen.tag, 2);
}

#[test]
fn debug_output_never_shows_the_key() {
    let bytes: [u8; 30] = core::array::from_fn(|i| 0xA0 + i as u8);
    let attr = CryptoAttribute::new(1, SrtpSuite::AesCm128HmacSha1_80, bytes);
    let value = attr.to_sdp_value();
    let b64 = value.rsplit(':').next().expect("inline").to_string();
    let mut srtp = attr.srtp();
    srtp.protect_rtp(&rtp(1, 1, 10)).expect("protect");
    let printed = [
        format!("{attr:?}"),
        format!("{attr:#?}"),
        format!("{:?}", attr.master_key()),
        format!("{srtp:?}"),
        format!("{:?}", CryptoAttribute::parse(&value)),
    ];
    let decimal = format!("{:?}", &bytes[..4])
        .trim_end_matches(']')
        .to_string();
    let hex_lower: String = bytes[..4].iter().map(|b| format!("{b:02x}")).collect();
    for text in &printed {
        assert!(
            !text.contains(&b64) && !text.contains(&b64[..12]),
            "base64 key in {text}"
        );
        assert!(!text.contains(&decimal[1..]), "key bytes in {text}");
        assert!(
            !text.to_lowercase().contains(&hex_lower),
            "hex key in {text}"
        );
        assert!(
            text.contains("hidden") || text.starts_with("Srtp"),
            "{text}"
        );
    }
}

#[test]
fn state_is_kept_for_a_bounded_number_of_streams() {
    let key = MasterKey::from_bytes([4; 30]);
    let mut tx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    let mut rx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key);
    for ssrc in 0..1000 {
        let p = tx.protect_rtp(&rtp(1, ssrc, 10)).expect("protect");
        rx.unprotect_rtp(&p).expect("unprotect");
    }
    assert!(tx.streams.len() <= MAX_STREAMS && rx.streams.len() <= MAX_STREAMS);
}

/// Drives libsrtp (through Debian's python3-pylibsrtp) line by line: `P hex` protects RTP,
/// `C hex` protects RTCP (an outbound session), `U hex` / `V hex` unprotect RTP / RTCP (an
/// inbound session). It answers one hex line, or `ERR`, per line.
const LIBSRTP: &str = r#"
import sys
from pylibsrtp import Policy, Session, Error
key = bytes.fromhex(sys.argv[1])
profile = {"80": Policy.SRTP_PROFILE_AES128_CM_SHA1_80, "32": Policy.SRTP_PROFILE_AES128_CM_SHA1_32}[sys.argv[2]]
tx = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=profile))
rx = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND, srtp_profile=profile))
for line in sys.stdin:
    op, data = line.split()
    data = bytes.fromhex(data)
    try:
        out = {"P": tx.protect, "C": tx.protect_rtcp, "U": rx.unprotect, "V": rx.unprotect_rtcp}[op](data)
        print(out.hex(), flush=True)
    except Error:
        print("ERR", flush=True)
"#;

/// Runs the script over `lines`, returning its answers.
fn libsrtp(key: &[u8; 30], tag: &str, lines: &[String]) -> Vec<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let key_hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    // Debian's interpreter, where python3-pylibsrtp installs.
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", LIBSRTP, &key_hex, tag])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the libsrtp cross-check: install python3-pylibsrtp (scripts/setup does)");
    let input = lines.join("\n") + "\n";
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("python3 runs");
    writer
        .join()
        .expect("writer")
        .expect("the script reads its input");
    assert!(
        output.status.success(),
        "the libsrtp script failed (install python3-pylibsrtp): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("text")
        .lines()
        .map(str::to_string)
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn interoperates_with_libsrtp_both_ways_across_the_sequence_wrap() {
    let key: [u8; 30] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
    for (suite, tag) in [
        (SrtpSuite::AesCm128HmacSha1_80, "80"),
        (SrtpSuite::AesCm128HmacSha1_32, "32"),
    ] {
        let master = MasterKey::from_bytes(key);
        let plain: Vec<Vec<u8>> = (0..300u32)
            .map(|i| rtp(65_400u16.wrapping_add(i as u16), 0xDEAD_BEEF, 160))
            .collect();
        let rtcp = hex(RTCP_PLAIN);
        // libsrtp protects; we unprotect.
        let mut lines: Vec<String> = plain.iter().map(|p| format!("P {}", to_hex(p))).collect();
        lines.extend((0..3).map(|_| format!("C {}", to_hex(&rtcp))));
        let theirs = libsrtp(&key, tag, &lines);
        assert_eq!(theirs.len(), lines.len());
        let mut rx = Srtp::new(suite, &master);
        for (protected, p) in theirs.iter().zip(&plain) {
            assert_eq!(
                &rx.unprotect_rtp(&hex(protected)).expect("libsrtp's SRTP"),
                p
            );
        }
        for protected in &theirs[plain.len()..] {
            assert_eq!(
                rx.unprotect_rtcp(&hex(protected)).expect("libsrtp's SRTCP"),
                rtcp
            );
        }
        // We protect; libsrtp unprotects.
        let mut tx = Srtp::new(suite, &master);
        let mut lines: Vec<String> = plain
            .iter()
            .map(|p| format!("U {}", to_hex(&tx.protect_rtp(p).expect("protect"))))
            .collect();
        lines.extend(
            (0..3).map(|_| format!("V {}", to_hex(&tx.protect_rtcp(&rtcp).expect("protect")))),
        );
        let mut tampered = tx.protect_rtp(&rtp(400, 0xDEAD_BEEF, 20)).expect("protect");
        tampered[20] ^= 1;
        lines.push(format!("U {}", to_hex(&tampered)));
        let answers = libsrtp(&key, tag, &lines);
        for (answer, p) in answers.iter().zip(&plain) {
            assert_eq!(&hex(answer), p, "libsrtp decrypts ours ({tag})");
        }
        for answer in &answers[plain.len()..plain.len() + 3] {
            assert_eq!(hex(answer), rtcp);
        }
        assert_eq!(
            answers.last().map(String::as_str),
            Some("ERR"),
            "libsrtp refuses an altered packet"
        );
    }
}

#[test]
fn random_input_never_panics() {
    let mut rng = crate::netem::SeededRng::new(99);
    let key = MasterKey::from_bytes([8; 30]);
    let mut rx = Srtp::new(SrtpSuite::AesCm128HmacSha1_80, &key).with_mki(vec![1]);
    let mut tx = Srtp::new(SrtpSuite::AesCm128HmacSha1_32, &key);
    for round in 0..5000 {
        let len = (rng.next_u64() % 80) as usize;
        let mut packet: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if round % 2 == 0 && !packet.is_empty() {
            packet[0] = 0x80 | (packet[0] & 0x3F);
        }
        let _ = rx.unprotect_rtp(&packet);
        let _ = rx.unprotect_rtcp(&packet);
        let _ = tx.protect_rtp(&packet);
        let _ = tx.protect_rtcp(&packet);
        let text: String = packet
            .iter()
            .map(|&b| {
                char::from(b" 0123456789:|^;=inlineAES_CM_128_HMAC_SHA1_80+/"[usize::from(b) % 47])
            })
            .collect();
        let _ = CryptoAttribute::parse(&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{text}"));
        let _ = CryptoAttribute::parse(&text);
    }
}
