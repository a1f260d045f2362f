//! Two sessions talking through an emulated network in simulated time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use super::Session;
use crate::netem::{Netem, NetemConfig};
use crate::rtp::{self, RtpHeader};
use crate::sdp::{Direction, SessionDescription};
use crate::tones::tests::goertzel;
use crate::{CodecKind, DtmfRoute, MediaConfig, MediaError, MediaEvent, MediaInput};

type Datagram = (SocketAddr, SocketAddr, Vec<u8>);

struct Peer {
    s: Session,
    /// Where its packets appear to come from (a NAT may change it).
    source: SocketAddr,
    tone_hz: f32,
    phase: u64,
    played: Vec<i16>,
    events: Vec<MediaEvent>,
    sent_rtp: usize,
}

impl Peer {
    fn new(s: Session, tone_hz: f32) -> Self {
        let source = s.config.local_rtp;
        Peer {
            s,
            source,
            tone_hz,
            phase: 0,
            played: Vec::new(),
            events: Vec::new(),
            sent_rtp: 0,
        }
    }

    fn capture_frame(&mut self) -> Vec<i16> {
        let rate = self.s.sample_rate();
        let n = self.s.frame_samples();
        let frame = (0..n)
            .map(|i| {
                let t = (self.phase + i as u64) as f64 / f64::from(rate);
                (8000.0 * (std::f64::consts::TAU * f64::from(self.tone_hz) * t).sin()) as i16
            })
            .collect();
        self.phase += n as u64;
        frame
    }

    fn drain(&mut self, now: Instant, net: &mut Netem<Datagram>) {
        while let Some(t) = self.s.poll_transmit() {
            if !t.rtcp {
                self.sent_rtp += 1;
            }
            net.send(now, (self.source, t.destination, t.payload));
        }
        while let Some(f) = self.s.poll_playback() {
            self.played.extend(f);
        }
        while let Some(e) = self.s.poll_event() {
            self.events.push(e);
        }
    }

    fn wake(&mut self, now: Instant, net: &mut Netem<Datagram>) {
        if self.s.next_tick <= now {
            let frame = self.capture_frame();
            self.s.handle_input(now, MediaInput::Captured(&frame));
        }
        if self.s.poll_timeout().is_some_and(|t| t <= now) {
            self.s.handle_input(now, MediaInput::Timeout);
        }
        self.drain(now, net);
    }
}

struct Pair {
    a: Peer,
    b: Peer,
    net: Netem<Datagram>,
    now: Instant,
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn config(port: u16, codecs: &[CodecKind]) -> MediaConfig {
    MediaConfig {
        codecs: codecs.to_vec(),
        ..MediaConfig::new(addr(port))
    }
}

impl Pair {
    fn connect(a: MediaConfig, b: MediaConfig, net: NetemConfig) -> Pair {
        let now = Instant::now();
        let (sa, offer) = Session::offer(now, a, &mut rng(1));
        let (sb, answer) = Session::answer(now, b, &offer, &mut rng(2)).expect("answers");
        let mut pair = Pair {
            a: Peer::new(sa, 1000.0),
            b: Peer::new(sb, 600.0),
            net: Netem::new(net, 7),
            now,
        };
        pair.a.s.set_answer(now, &answer).expect("answer fits");
        pair
    }

    fn step(&mut self) {
        let next = [
            self.a.s.poll_timeout(),
            self.b.s.poll_timeout(),
            self.net.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .expect("sessions always have a timeout");
        self.now = self.now.max(next);
        while let Some((from, to, bytes)) = self.net.poll_receive(self.now) {
            let peer = if to == self.a.s.config.local_rtp {
                &mut self.a
            } else if to == self.b.s.config.local_rtp {
                &mut self.b
            } else {
                continue;
            };
            peer.s.handle_input(
                self.now,
                MediaInput::Packet {
                    from,
                    bytes: &bytes,
                },
            );
            peer.drain(self.now, &mut self.net);
        }
        self.a.wake(self.now, &mut self.net);
        self.b.wake(self.now, &mut self.net);
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        for _ in 0..1_000_000 {
            if self.now >= end {
                return;
            }
            self.step();
        }
        panic!("simulation did not reach its end");
    }
}

/// Power at `hz` against the strongest of a few other frequencies, over the last `ms`.
fn tone_ratio(samples: &[i16], rate: u32, hz: f32, ms: usize) -> f64 {
    let n = rate as usize * ms / 1000;
    let tail = &samples[samples.len() - n..];
    let on = goertzel(tail, rate, hz);
    let off = [0.5f32, 0.75, 1.33, 1.5, 2.0]
        .iter()
        .map(|k| goertzel(tail, rate, hz * k))
        .fold(0.0, f64::max);
    on / off.max(1e-12)
}

#[test]
fn offer_answer_picks_the_answerers_codec_both_ways() {
    for (ours, theirs, want) in [
        (
            &[CodecKind::Pcmu, CodecKind::Pcma][..],
            &[CodecKind::Pcma][..],
            CodecKind::Pcma,
        ),
        (
            &[CodecKind::Pcma][..],
            &[CodecKind::Pcmu, CodecKind::Pcma][..],
            CodecKind::Pcma,
        ),
        (
            &[CodecKind::Pcmu][..],
            &[CodecKind::Pcma, CodecKind::Pcmu][..],
            CodecKind::Pcmu,
        ),
    ] {
        let now = Instant::now();
        let (mut a, offer) = Session::offer(now, config(40000, ours), &mut rng(1));
        let (b, answer) =
            Session::answer(now, config(40002, theirs), &offer, &mut rng(2)).expect("answers");
        a.set_answer(now, &answer).expect("fits");
        assert_eq!((a.codec(), b.codec()), (want, want));
        let answer = SessionDescription::parse(&answer).expect("parses");
        let m = &answer.media[0];
        assert_eq!(m.port, 40002);
        assert_eq!(m.formats[0], want.default_payload_type());
        assert!(m.rtpmaps.iter().any(|r| r.name == "telephone-event"));
        assert_eq!(m.direction, Some(Direction::SendRecv));
        assert!(m.rtcp_mux);
        assert_eq!(a.send_dtmf(now, '1'), DtmfRoute::Rfc4733);
    }
}

#[test]
fn no_codec_in_common_is_488_and_garbage_is_bad_sdp() {
    let now = Instant::now();
    let gsm_only = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
        m=audio 4000 RTP/AVP 3\r\na=rtpmap:3 GSM/8000\r\n";
    let err = Session::answer(now, config(1, &[CodecKind::Pcmu]), gsm_only, &mut rng(1));
    assert_eq!(err.err(), Some(MediaError::NoCommonCodec));
    let video = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\n";
    let err = Session::answer(now, config(1, &[CodecKind::Pcmu]), video, &mut rng(1));
    assert_eq!(err.err(), Some(MediaError::NoAudio));
    let srtp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n";
    let err = Session::answer(now, config(1, &[CodecKind::Pcmu]), srtp, &mut rng(1));
    assert_eq!(err.err(), Some(MediaError::SrtpRequired));
    let err = Session::answer(now, config(1, &[CodecKind::Pcmu]), b"\xFF", &mut rng(1));
    assert!(matches!(err.err(), Some(MediaError::BadSdp(_))));
    let (mut a, _) = Session::offer(now, config(1, &[CodecKind::Pcmu]), &mut rng(1));
    let rejected = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n";
    assert_eq!(a.set_answer(now, rejected), Err(MediaError::NoCommonCodec));
    // The error reads as words, not a dump.
    assert!(
        MediaError::NoCommonCodec
            .to_string()
            .starts_with("the far end offered no codec")
    );
}

#[test]
fn a_tone_keeps_its_frequency_through_a_jittery_network() {
    for codec in [
        CodecKind::Pcmu,
        CodecKind::Pcma,
        CodecKind::G722,
        CodecKind::Opus,
    ] {
        if !crate::voice::available(codec) {
            continue;
        }
        let net = NetemConfig {
            delay: Duration::from_millis(30),
            jitter: Duration::from_millis(40),
            reorder: 0.05,
            duplicate: 0.02,
            ..NetemConfig::default()
        };
        let mut p = Pair::connect(config(40000, &[codec]), config(40002, &[codec]), net);
        p.run_for(Duration::from_secs(3));
        // Both directions: A's 1000 Hz at B, B's 600 Hz at A.
        let rate = codec.sample_rate();
        assert_eq!(p.b.s.sample_rate(), rate);
        let at_b = tone_ratio(&p.b.played, rate, 1000.0, 1000);
        let at_a = tone_ratio(&p.a.played, rate, 600.0, 1000);
        assert!(
            at_b > 100.0,
            "{codec:?}: 1000 Hz at B only {at_b:.1}× the others"
        );
        assert!(
            at_a > 100.0,
            "{codec:?}: 600 Hz at A only {at_a:.1}× the others"
        );
        // Real time: one frame played per tick, give or take the queue bound.
        let ticks = 3000 / 20;
        let frame = rate as usize / 50;
        assert!((ticks - 2..=ticks).contains(&(p.b.played.len() / frame)));
    }
}

#[test]
fn loss_is_concealed_and_rtcp_reports_loss_jitter_and_rtt() {
    let net = NetemConfig {
        delay: Duration::from_millis(25),
        loss: 0.1,
        ..NetemConfig::default()
    };
    let mut p = Pair::connect(
        config(40000, &[CodecKind::Pcmu]),
        config(40002, &[CodecKind::Pcmu]),
        net,
    );
    p.run_for(Duration::from_secs(12));
    // After the jitter buffer filled, almost no frame is silent: losses were concealed.
    let frames: Vec<&[i16]> = p.b.played.chunks(160).skip(25).collect();
    let silent = frames
        .iter()
        .filter(|f| f.iter().all(|&s| s.abs() < 50))
        .count();
    assert!(
        silent * 100 < frames.len(),
        "{silent} of {} frames silent",
        frames.len()
    );
    assert!(tone_ratio(&p.b.played, 8000, 1000.0, 2000) > 20.0);
    // Figures: ~10 % loss, an RTT of about twice 25 ms (from A's SR echoed in B's reports).
    let q = p.a.s.quality();
    assert!((5.0..15.0).contains(&q.loss_percent), "{q:?}");
    let rtt = q.rtt_ms.expect("an RTT once reports went both ways");
    assert!((45..=60).contains(&rtt), "{q:?}");
    assert!(q.jitter_ms < 5.0, "{q:?}");
    assert!(
        p.a.events
            .iter()
            .any(|e| matches!(e, MediaEvent::Quality(_)))
    );
}

#[test]
fn dtmf_goes_end_to_end_once_per_key() {
    let net = NetemConfig {
        duplicate: 0.3,
        jitter: Duration::from_millis(10),
        ..NetemConfig::default()
    };
    let mut p = Pair::connect(
        config(40000, &[CodecKind::Pcma]),
        config(40002, &[CodecKind::Pcma]),
        net,
    );
    p.run_for(Duration::from_millis(500));
    for d in "1234#".chars() {
        assert_eq!(p.a.s.send_dtmf(p.now, d), DtmfRoute::Rfc4733);
    }
    p.run_for(Duration::from_secs(3));
    let keys: Vec<(char, u32)> =
        p.b.events
            .iter()
            .filter_map(|e| match e {
                MediaEvent::Dtmf { digit, duration_ms } => Some((*digit, *duration_ms)),
                _ => None,
            })
            .collect();
    assert_eq!(
        keys,
        [('1', 100), ('2', 100), ('3', 100), ('4', 100), ('#', 100)]
    );
}

#[test]
fn without_telephone_event_dtmf_needs_info() {
    let now = Instant::now();
    let offer = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
        m=audio 4000 RTP/AVP 0\r\n";
    let (mut s, answer) =
        Session::answer(now, config(1, &[CodecKind::Pcmu]), offer, &mut rng(1)).expect("answers");
    assert_eq!(s.send_dtmf(now, '5'), DtmfRoute::NeedsInfo);
    assert!(!String::from_utf8_lossy(&answer).contains("telephone-event"));
    // Before any answer we do not know either.
    let (mut a, _) = Session::offer(now, config(1, &[CodecKind::Pcmu]), &mut rng(1));
    assert_eq!(a.send_dtmf(now, '5'), DtmfRoute::NeedsInfo);
}

#[test]
fn hold_reoffer_stops_audio_both_ways_and_unhold_brings_it_back() {
    let mut p = Pair::connect(
        config(40000, &[CodecKind::Pcmu]),
        config(40002, &[CodecKind::Pcmu]),
        NetemConfig::default(),
    );
    p.run_for(Duration::from_secs(1));
    let now = p.now;
    let hold = p.a.s.set_hold(now, true);
    let sdp = SessionDescription::parse(&hold).expect("parses");
    assert_eq!(sdp.media[0].direction, Some(Direction::SendOnly));
    assert_eq!(sdp.session_version, 2, "a new offer has a new version");
    let answer = p.b.s.reoffer(now, &hold).expect("answers");
    let a_sdp = SessionDescription::parse(&answer).expect("parses");
    assert_eq!(a_sdp.media[0].direction, Some(Direction::RecvOnly));
    p.a.s.set_answer(now, &answer).expect("fits");
    // Same answer again (a retransmitted re-INVITE): same version.
    assert_eq!(p.b.s.reoffer(now, &hold).expect("answers"), answer);
    p.run_for(Duration::from_millis(200));
    let (sent_a, sent_b) = (p.a.sent_rtp, p.b.sent_rtp);
    p.run_for(Duration::from_secs(2));
    assert_eq!(
        (p.a.sent_rtp, p.b.sent_rtp),
        (sent_a, sent_b),
        "no audio while held"
    );
    let unhold = p.a.s.set_hold(p.now, false);
    let answer = p.b.s.reoffer(p.now, &unhold).expect("answers");
    p.a.s.set_answer(p.now, &answer).expect("fits");
    p.run_for(Duration::from_secs(2));
    assert!(p.a.sent_rtp > sent_a + 50 && p.b.sent_rtp > sent_b + 50);
    assert!(tone_ratio(&p.b.played, 8000, 1000.0, 1000) > 100.0);
    assert!(
        !p.b.events
            .iter()
            .any(|e| matches!(e, MediaEvent::NoMedia { .. }))
    );
}

#[test]
fn comfort_noise_plays_at_the_signalled_level() {
    let now = Instant::now();
    let (mut a, offer) = Session::offer(now, config(40000, &[CodecKind::Pcmu]), &mut rng(1));
    let (_, answer) = Session::answer(now, config(40002, &[CodecKind::Pcmu]), &offer, &mut rng(2))
        .expect("answers");
    a.set_answer(now, &answer).expect("fits");
    let from = addr(40002);
    let mut t = now;
    let mut played = Vec::new();
    for i in 0..150u16 {
        // Ten voice packets, then one CN packet at -50 dBov, then nothing (DTX).
        let payload: Vec<u8> = if i < 10 { vec![0xFF; 160] } else { vec![50] };
        let pt = if i < 10 { 0 } else { 13 };
        if i <= 10 {
            let mut bytes = Vec::new();
            let h = RtpHeader {
                marker: i == 0,
                payload_type: pt,
                sequence: i,
                timestamp: u32::from(i) * 160,
                ssrc: 9,
            };
            rtp::build(&h, &payload, &mut bytes);
            a.handle_input(
                t,
                MediaInput::Packet {
                    from,
                    bytes: &bytes,
                },
            );
        }
        t += Duration::from_millis(20);
        a.handle_input(t, MediaInput::Timeout);
        while let Some(f) = a.poll_playback() {
            played.extend(f);
        }
    }
    let tail = &played[played.len() - 8000..];
    let rms = (tail.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
    let dbov = 20.0 * (rms / (32767.0 / 2f64.sqrt())).log10();
    assert!((dbov + 50.0).abs() < 1.5, "{dbov:.1} dBov");
}

#[test]
fn symmetric_rtp_answers_where_packets_come_from() {
    let mut p = Pair::connect(
        config(40000, &[CodecKind::Pcmu]),
        config(40002, &[CodecKind::Pcmu]),
        NetemConfig::default(),
    );
    // A sits behind a NAT: its packets arrive from another port; B must follow them there.
    let nat = addr(50000);
    p.a.source = nat;
    p.run_for(Duration::from_secs(1));
    let mut to_nat = 0;
    let mut to_sdp = 0;
    for _ in 0..50 {
        p.b.s.handle_input(p.now, MediaInput::Captured(&[0; 160]));
        p.now += Duration::from_millis(20);
        p.b.s.handle_input(p.now, MediaInput::Timeout);
        while let Some(t) = p.b.s.poll_transmit() {
            if t.destination == nat {
                to_nat += 1;
            } else if t.destination == addr(40000) {
                to_sdp += 1;
            }
        }
    }
    assert!(
        to_nat >= 45 && to_sdp == 0,
        "{to_nat} to the NAT, {to_sdp} to the SDP address"
    );
    // A stranger's RTCP from another host does not redirect B's reports.
    let stranger = SocketAddr::from(([10, 0, 0, 9], 9));
    let mut rr = Vec::new();
    crate::rtcp::build_report(5, None, None, "x", &mut rr);
    p.b.s.handle_input(
        p.now,
        MediaInput::Packet {
            from: stranger,
            bytes: &rr,
        },
    );
    p.b.s.next_rtcp = p.now;
    p.b.s.handle_input(p.now, MediaInput::Timeout);
    let reports: Vec<SocketAddr> = std::iter::from_fn(|| p.b.s.poll_transmit())
        .filter(|t| t.rtcp)
        .map(|t| t.destination)
        .collect();
    assert!(
        !reports.is_empty() && !reports.contains(&stranger),
        "{reports:?}"
    );
}

#[test]
fn no_media_is_reported_while_the_far_end_stays_quiet() {
    let now = Instant::now();
    let (mut a, offer) = Session::offer(now, config(40000, &[CodecKind::Pcmu]), &mut rng(1));
    let (_b, answer) = Session::answer(now, config(40002, &[CodecKind::Pcmu]), &offer, &mut rng(2))
        .expect("answers");
    a.set_answer(now, &answer).expect("fits");
    let mut t = now;
    let mut events = Vec::new();
    for _ in 0..(11_000 / 20) {
        t += Duration::from_millis(20);
        a.handle_input(t, MediaInput::Timeout);
        while let Some(e) = a.poll_event() {
            events.push(e);
        }
    }
    let quiet: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            MediaEvent::NoMedia { for_secs } => Some(*for_secs),
            _ => None,
        })
        .collect();
    assert_eq!(quiet, [5, 10]);
}

#[test]
fn every_queue_is_bounded() {
    let now = Instant::now();
    let (mut a, offer) = Session::offer(now, config(40000, &[CodecKind::Pcmu]), &mut rng(1));
    let (_b, answer) = Session::answer(now, config(40002, &[CodecKind::Pcmu]), &offer, &mut rng(2))
        .expect("answers");
    a.set_answer(now, &answer).expect("fits");
    a.handle_input(now, MediaInput::Captured(&vec![1000; 1_000_000]));
    assert!(a.capture.len() <= 3 * 160);
    // Nobody polls for a minute of ticks: every queue stays bounded.
    let mut t = now;
    for _ in 0..3000 {
        t += Duration::from_millis(20);
        a.handle_input(t, MediaInput::Timeout);
    }
    assert!(a.transmits.len() <= 64 && a.playback.len() <= 8 && a.events.len() <= 64);
    // A late wake-up runs a bounded number of ticks, then the clock resyncs.
    a.handle_input(t + Duration::from_secs(3600), MediaInput::Timeout);
    assert!(a.poll_timeout().expect("timeout") > t + Duration::from_secs(3600));
    for _ in 0..100 {
        a.send_dtmf(t, '1');
    }
}

proptest::proptest! {
    #[test]
    fn any_packet_or_sdp_leaves_a_session_standing(
        packets in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..300), 0..20),
        sdp in proptest::collection::vec(proptest::num::u8::ANY, 0..600),
    ) {
        let now = Instant::now();
        let (mut a, offer) = Session::offer(now, config(40000, &[CodecKind::Pcmu]), &mut rng(1));
        let (_b, answer) = Session::answer(now, config(40002, &[CodecKind::Pcmu]), &offer, &mut rng(2)).expect("answers");
        a.set_answer(now, &answer).expect("fits");
        let mut t = now;
        for mut p in packets {
            if p.len() > 1 && p[0] & 1 == 1 {
                p[0] = 0x80; // often valid RTP/RTCP headers, so the inner parsers are reached
            }
            a.handle_input(t, MediaInput::Packet { from: addr(40002), bytes: &p });
            t += Duration::from_millis(7);
            a.handle_input(t, MediaInput::Timeout);
        }
        let _ = a.set_answer(t, &sdp);
        let _ = a.reoffer(t, &sdp);
        let _ = Session::answer(t, config(1, &[CodecKind::Pcmu]), &sdp, &mut rng(3));
    }
}

#[path = "tests_crypto.rs"]
mod crypto;

#[test]
fn audio_goes_on_across_sequence_and_timestamp_wraps() {
    let mut p = Pair::connect(
        config(40000, &[CodecKind::Pcmu]),
        config(40002, &[CodecKind::Pcmu]),
        NetemConfig::default(),
    );
    // Both counters wrap within the first second.
    p.a.s.seq = 65_500;
    p.a.s.timestamp = u32::MAX - 4000;
    p.run_for(Duration::from_secs(4));
    assert!(tone_ratio(&p.b.played, 8000, 1000.0, 2000) > 100.0);
    let frames: Vec<&[i16]> = p.b.played.chunks(160).skip(10).collect();
    let silent = frames
        .iter()
        .filter(|f| f.iter().all(|&s| s.abs() < 50))
        .count();
    assert_eq!(silent, 0, "silent frames across the wraps");
    assert!(p.b.s.quality().loss_percent < 0.01, "{:?}", p.b.s.quality());
}
