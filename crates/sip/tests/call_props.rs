//! Whatever a peer sends into a call — answers to our INVITE in any order, INVITEs, requests
//! inside or outside the dialogs, copies, garbage — the user agent answers each input a bounded
//! number of times, holds a bounded number of calls, and goes quiet once the peer does.

use bytes::Bytes;
use proptest::prelude::*;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::time::{Duration, Instant};
use voicelamp_sip::config::{AccountConfig, Flow, IncomingCalls, Transport, UaConfig};
use voicelamp_sip::message::{Message, MessageBuilder, Method};
use voicelamp_sip::user_agent::{Event, Input, UserAgent};
use voicelamp_sip::{CallEvent, call::MAX_CALLS};

const PBX: &str = "203.0.113.5:5060";
const SDP: &[u8] = b"v=0\r\nm=audio 4000 RTP/AVP 0\r\n";

#[derive(Debug, Clone)]
enum Input2 {
    /// A response to our INVITE: status index, To tag index, branch ours?
    Answer(usize, usize, bool),
    /// A new INVITE: call index, with SDP, Session-Expires.
    Invite(usize, bool, bool),
    /// A request in a dialog: method index, call index (0 = ours), tag indexes, CSeq.
    InDialog(usize, usize, usize, u32),
    Garbage(Vec<u8>),
}

fn input() -> impl Strategy<Value = Input2> {
    prop_oneof![
        (0..12usize, 0..3usize, any::<bool>()).prop_map(|(s, t, b)| Input2::Answer(s, t, b)),
        (0..3usize, any::<bool>(), any::<bool>()).prop_map(|(c, s, e)| Input2::Invite(c, s, e)),
        (0..8usize, 0..3usize, 0..3usize, 0..5u32)
            .prop_map(|(m, c, t, q)| Input2::InDialog(m, c, t, q)),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Input2::Garbage),
    ]
}

struct Ours {
    call_id: String,
    from: String,
    branch: String,
    cseq: u32,
    /// Tags we gave out (From of our requests, To of our answers).
    tags: Vec<String>,
}

fn learn(ours: &mut Ours, payload: &[u8]) {
    match Message::parse(payload) {
        Ok(Message::Response(r)) => {
            if let Some(t) = r.head.to.tag
                && !ours.tags.contains(&t)
                && ours.tags.len() < 16
            {
                ours.tags.push(t);
            }
        }
        Ok(Message::Request(r)) if r.method.as_str() == "INVITE" && ours.call_id.is_empty() => {
            ours.call_id = r.head.call_id.clone();
            ours.from = r.head.header("From").unwrap_or_default();
            ours.branch = r.head.vias[0].branch.clone().unwrap_or_default();
            ours.cseq = r.head.cseq.seq;
            ours.tags.push(r.head.from.tag.clone().unwrap_or_default());
        }
        _ => {}
    }
}

fn build(i: &Input2, ours: &Ours, n: u32) -> Vec<u8> {
    const STATUSES: [u16; 12] = [100, 180, 183, 200, 401, 407, 302, 422, 486, 487, 500, 603];
    const METHODS: [&str; 8] = [
        "BYE", "INFO", "UPDATE", "INVITE", "ACK", "CANCEL", "OPTIONS", "PRACK",
    ];
    let via = |branch: &str| format!("SIP/2.0/UDP {PBX};branch={branch}");
    match i {
        Input2::Answer(s, t, ours_branch) => {
            let status = STATUSES[*s];
            let branch = if *ours_branch {
                ours.branch.clone()
            } else {
                format!("z9hG4bKx{n}")
            };
            let mut b = MessageBuilder::response(status, "X")
                .header(
                    "Via",
                    &format!("SIP/2.0/UDP 192.0.2.10:5060;branch={branch}"),
                )
                .header("From", &ours.from)
                .header("To", &format!("<sip:bob@example.com>;tag=t{t}"))
                .header("Call-ID", &ours.call_id)
                .header("CSeq", &format!("{} INVITE", ours.cseq + (*t as u32 % 2)))
                .header("Contact", "<sip:bob@203.0.113.5>")
                .header("Record-Route", "<sip:203.0.113.5;lr>")
                .header(
                    "WWW-Authenticate",
                    &format!("Digest realm=\"r\", nonce=\"n{n}\""),
                )
                .header(
                    "Proxy-Authenticate",
                    &format!("Digest realm=\"r\", nonce=\"p{n}\""),
                )
                .header("Min-SE", "1800")
                .header("Session-Expires", "90;refresher=uac");
            if status == 200 || status == 183 {
                b = b.body("application/sdp", SDP);
            }
            b.build()
        }
        Input2::Invite(c, sdp, se) => {
            let mut b =
                MessageBuilder::request(&Method::Other("INVITE".into()), "sip:alice@192.0.2.10")
                    .header("Via", &via(&format!("z9hG4bKi{c}")))
                    .header("From", &format!("<sip:+49301{c}@203.0.113.5>;tag=f{c}"))
                    .header("To", "<sip:alice@example.com>")
                    .header("Call-ID", &format!("in{c}"))
                    .header("CSeq", "1 INVITE")
                    .header("Contact", "<sip:caller@203.0.113.5>");
            if *se {
                b = b.header("Session-Expires", "30");
            }
            if *sdp {
                b.body("application/sdp", SDP).build()
            } else {
                b.build()
            }
        }
        Input2::InDialog(m, c, t, q) => {
            let method = METHODS[*m];
            let (call_id, from) = if *c == 0 {
                (
                    ours.call_id.clone(),
                    format!("<sip:bob@example.com>;tag=t{t}"),
                )
            } else {
                (
                    format!("in{c}"),
                    format!("<sip:+49301{c}@203.0.113.5>;tag=f{c}"),
                )
            };
            let our_tag = ours
                .tags
                .get(*t % ours.tags.len().max(1))
                .cloned()
                .unwrap_or_default();
            let to = format!("<sip:alice@example.com>;tag={our_tag}");
            let branch = if method == "CANCEL" || (method == "ACK" && *q == 0) {
                format!("z9hG4bKi{c}")
            } else {
                format!("z9hG4bKd{n}")
            };
            let mut b =
                MessageBuilder::request(&Method::Other(method.into()), "sip:alice@192.0.2.10")
                    .header("Via", &via(&branch))
                    .header("From", &from)
                    .header("To", &to)
                    .header("Call-ID", &call_id)
                    .header(
                        "CSeq",
                        &format!("{} {method}", if method == "ACK" { 1 + q } else { 2 + q }),
                    )
                    .header("Session-Expires", "120;refresher=uas");
            if method == "INFO" {
                b = b.body("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n");
            } else if method == "INVITE" || method == "UPDATE" {
                b = b.body("application/sdp", SDP);
            }
            b.build()
        }
        Input2::Garbage(bytes) => bytes.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn no_peer_input_makes_a_loop(inputs in proptest::collection::vec(input(), 0..48), answer in any::<bool>()) {
        let start = Instant::now();
        let flow = Flow {
            transport: Transport::Udp,
            local: "192.0.2.10:5060".parse().expect("addr"),
            remote: PBX.parse().expect("addr"),
        };
        let mut account = AccountConfig::new("sip:alice@example.com", "sip:example.com", "alice", flow);
        account.register = false;
        account.mailboxes.clear();
        account.incoming_calls = IncomingCalls::Ring;
        account.credentials = Some(voicelamp_sip::auth::Credentials { username: "alice".into(), password: "pw".into() });
        let config = UaConfig { udp_keepalive: None, max_calls: MAX_CALLS, ..UaConfig::default() };
        let mut ua = UserAgent::new(config, ChaCha8Rng::seed_from_u64(5));
        let id = ua.add_account(start, account).expect("account");
        ua.start_call(start, id, "bob", Bytes::from_static(SDP)).expect("call");
        let mut ours = Ours { call_id: String::new(), from: String::new(), branch: String::new(), cseq: 0, tags: Vec::new() };
        let mut now = start;
        let mut sent = 0usize;
        let drain = |ua: &mut UserAgent, ours: &mut Ours, now: Instant| {
            let mut n = 0;
            while let Some(t) = ua.poll_transmit() {
                learn(ours, &t.payload);
                n += 1;
            }
            while let Some(e) = ua.poll_event() {
                if answer && let Event::Call { call, event: CallEvent::Incoming { .. }, .. } = e {
                    let _ = ua.answer_call(now, call, Bytes::from_static(SDP));
                }
                if let Event::Call { call, event: CallEvent::RemoteOffer { .. }, .. } = e {
                    let _ = ua.answer_offer(now, call, Bytes::from_static(SDP));
                }
            }
            n
        };
        sent += drain(&mut ua, &mut ours, now);
        for (n, i) in inputs.iter().enumerate() {
            let bytes = build(i, &ours, n as u32);
            now += Duration::from_millis(300);
            ua.handle_input(now, Input::Datagram { from: PBX.parse().expect("addr"), transport: Transport::Udp, bytes });
            let answers = drain(&mut ua, &mut ours, now);
            prop_assert!(answers <= 6, "one input made {} datagrams: {:?}", answers, i);
            sent += answers;
            ua.handle_input(now, Input::Timeout);
            sent += drain(&mut ua, &mut ours, now);
            prop_assert!(ua.calls().len() <= 2 * MAX_CALLS);
        }
        // The peer goes quiet: so does the user agent, within a bounded number of datagrams.
        let mut quiet_sent = 0;
        for _ in 0..10_000 {
            let Some(t) = ua.poll_timeout() else { break };
            now = now.max(t);
            ua.handle_input(now, Input::Timeout);
            quiet_sent += drain(&mut ua, &mut ours, now);
            if now - start > Duration::from_secs(4 * 3600) {
                break;
            }
        }
        // Calls that are up stay up (no input ends them): hang them all up, then all must end.
        for call in ua.calls() {
            ua.hang_up(now, call);
        }
        for _ in 0..10_000 {
            let Some(t) = ua.poll_timeout() else { break };
            now = now.max(t);
            ua.handle_input(now, Input::Timeout);
            quiet_sent += drain(&mut ua, &mut ours, now);
        }
        prop_assert_eq!(ua.poll_timeout(), None, "quiet in the end");
        prop_assert!(ua.calls().is_empty());
        prop_assert!(quiet_sent <= 60 * (MAX_CALLS * 2 + 1), "{} datagrams with nobody talking", quiet_sent);
        let _ = sent;
    }
}
