//! What one call's media costs: two sessions exchanging a second of audio (50 packet times each
//! way: capture encoded, RTP built and parsed, jitter buffer, decode, RTCP), per codec. The
//! summary prints the share of one core a call takes, the figure the issue's "CPU of a G.711
//! call" goal (≤ 3 %) is about, without sockets or sound devices. Run: `cargo bench -p
//! voicelamp-media --bench call_tick`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::Criterion;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use voicelamp_media::{CodecKind, MediaConfig, MediaInput, Session};

fn config(port: u16, codec: CodecKind) -> MediaConfig {
    MediaConfig {
        codecs: vec![codec],
        ..MediaConfig::new(SocketAddr::from(([127, 0, 0, 1], port)))
    }
}

/// A connected pair and the simulated clock.
fn pair(codec: CodecKind) -> (Session, Session, Instant) {
    let now = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (mut a, offer) = Session::offer(now, config(40000, codec), &mut rng);
    let (b, answer) =
        Session::answer(now, config(40002, codec), &offer, &mut rng).expect("answers");
    a.set_answer(now, &answer).expect("fits");
    (a, b, now)
}

/// One packet time of one side: capture, tick, hand its packets to the other side.
fn side(s: &mut Session, peer: &mut Session, from: SocketAddr, now: Instant, tone: &[i16]) {
    s.handle_input(now, MediaInput::Captured(tone));
    s.handle_input(now, MediaInput::Timeout);
    while let Some(t) = s.poll_transmit() {
        peer.handle_input(
            now,
            MediaInput::Packet {
                from,
                bytes: &t.payload,
            },
        );
    }
    while let Some(f) = s.poll_playback() {
        black_box(f);
    }
    while s.poll_event().is_some() {}
}

/// One second of call both ways.
fn one_second(a: &mut Session, b: &mut Session, now: &mut Instant, tone: &[i16]) {
    let from_a = SocketAddr::from(([127, 0, 0, 1], 40000));
    let from_b = SocketAddr::from(([127, 0, 0, 1], 40002));
    for _ in 0..50 {
        *now += Duration::from_millis(20);
        side(a, b, from_a, *now, tone);
        side(b, a, from_b, *now, tone);
    }
}

fn tone(rate: u32) -> Vec<i16> {
    (0..rate / 50)
        .map(|i| {
            (8000.0 * (f64::from(i) * 1000.0 * std::f64::consts::TAU / f64::from(rate)).sin())
                as i16
        })
        .collect()
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let codecs = [
        CodecKind::Pcmu,
        CodecKind::Pcma,
        CodecKind::G722,
        CodecKind::Opus,
    ];
    let mut group = criterion.benchmark_group("call_media");
    for codec in codecs {
        let (mut a, mut b, mut now) = pair(codec);
        let t = tone(codec.sample_rate());
        group.bench_function(format!("{codec:?}_one_second_both_ways"), |bench| {
            bench.iter(|| one_second(&mut a, &mut b, &mut now, &t))
        });
    }
    group.finish();
    criterion.final_summary();

    println!(
        "\nshare of one core for one call's media (both directions; after 60 s of call, median of ten 10 s runs):"
    );
    for codec in codecs {
        let (mut a, mut b, mut now) = pair(codec);
        let t = tone(codec.sample_rate());
        for _ in 0..60 {
            one_second(&mut a, &mut b, &mut now, &t);
        }
        let mut times: Vec<Duration> = (0..10)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..10 {
                    one_second(&mut a, &mut b, &mut now, &t);
                }
                start.elapsed() / 10
            })
            .collect();
        times.sort_unstable();
        let median = times[times.len() / 2];
        println!(
            "{:<6} {:>9.1} µs per second of call = {:.3} % of a core",
            format!("{codec:?}"),
            median.as_secs_f64() * 1e6,
            median.as_secs_f64() * 100.0
        );
    }
}
