use std::time::{Duration, Instant};

use super::*;

/// One packet on the wire: when it arrives (ms from the start), its RTP fields.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    at_ms: f64,
    seq: u16,
    ts: u32,
    marker: bool,
}

/// A 20 ms, 8 kHz stream of `count` packets from `seq0`/`ts0`, packet i arriving at
/// `i * 20 + delay(i)` ms.
fn stream(count: usize, seq0: u16, ts0: u32, delay: impl Fn(usize) -> f64) -> Vec<Arrival> {
    (0..count)
        .map(|i| Arrival {
            at_ms: i as f64 * 20.0 + delay(i),
            seq: seq0.wrapping_add(i as u16),
            ts: ts0.wrapping_add(160 * i as u32),
            marker: i == 0,
        })
        .collect()
}

/// Feeds the arrivals and pops every 20 ms (at 20k + 3 ms) until `until_ms`; returns the
/// playout of each tick. The payload is the packet's sequence number.
fn drive(jb: &mut JitterBuffer<u16>, arrivals: &[Arrival], until_ms: f64) -> Vec<Playout<u16>> {
    drive_with(jb, arrivals, until_ms, |_, _| {})
}

/// `drive`, calling `on_tick(tick_ms, buffer)` after each pop.
fn drive_with(
    jb: &mut JitterBuffer<u16>,
    arrivals: &[Arrival],
    until_ms: f64,
    mut on_tick: impl FnMut(f64, &JitterBuffer<u16>),
) -> Vec<Playout<u16>> {
    let t0 = Instant::now();
    let at = |ms: f64| t0 + Duration::from_micros((ms * 1000.0) as u64);
    let mut sorted = arrivals.to_vec();
    sorted.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    let mut next = 0;
    let mut out = Vec::new();
    let mut tick = 3.0;
    while tick <= until_ms {
        while next < sorted.len() && sorted[next].at_ms <= tick {
            let a = sorted[next];
            jb.push(at(a.at_ms), a.seq, a.ts, a.seq, a.marker);
            next += 1;
        }
        out.push(jb.pop(at(tick)));
        on_tick(tick, jb);
        tick += 20.0;
    }
    out
}

fn played(out: &[Playout<u16>]) -> Vec<u16> {
    out.iter()
        .filter_map(|p| match p {
            Playout::Frame { payload, .. } => Some(*payload),
            _ => None,
        })
        .collect()
}

fn buffer() -> JitterBuffer<u16> {
    JitterBuffer::new(JitterConfig::default())
}

#[test]
fn steady_stream_plays_every_packet_in_order_at_the_minimum_delay() {
    let mut jb = buffer();
    let out = drive(&mut jb, &stream(200, 1000, 0, |_| 30.0), 4050.0);
    assert_eq!(played(&out), (1000..1200).collect::<Vec<_>>());
    let stats = jb.stats();
    assert_eq!(
        (stats.late, stats.lost, stats.concealed, stats.duplicates),
        (0, 0, 0, 0)
    );
    assert!(
        (20.0..=40.0).contains(&stats.delay_ms),
        "delay {} ms",
        stats.delay_ms
    );
    assert_eq!(stats.target_ms, 20.0);
    assert!(
        matches!(out[0], Playout::Empty),
        "waits for the target delay first"
    );
}

#[test]
fn sequence_and_timestamp_wrap_play_through() {
    let mut jb = buffer();
    let arrivals = stream(100, 65500, u32::MAX - 160 * 40, |_| 5.0);
    let out = drive(&mut jb, &arrivals, 2100.0);
    let want: Vec<u16> = (0..100).map(|i| 65500u16.wrapping_add(i)).collect();
    assert_eq!(played(&out), want);
    let timestamps: Vec<u32> = out
        .iter()
        .filter_map(|p| match p {
            Playout::Frame { timestamp, .. } => Some(*timestamp),
            _ => None,
        })
        .collect();
    assert!(
        timestamps
            .windows(2)
            .all(|w| w[1] == w[0].wrapping_add(160))
    );
    assert_eq!(jb.stats().lost, 0);
}

#[test]
fn reordered_packets_play_in_sequence() {
    let mut jb = buffer();
    // Every pair swapped: odd packets arrive 25 ms late, after their successor.
    let arrivals = stream(300, 7, 0, |i| if i % 2 == 1 { 30.0 } else { 5.0 });
    let out = drive(&mut jb, &arrivals, 6100.0);
    let seqs = played(&out);
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "in order without gaps after the start"
    );
    assert!(seqs.len() >= 295, "played {}", seqs.len());
    assert!(jb.stats().late <= 3, "late {}", jb.stats().late);
}

#[test]
fn duplicates_are_dropped_and_counted() {
    let mut jb = buffer();
    let mut arrivals = stream(50, 0, 0, |_| 10.0);
    let copies: Vec<Arrival> = arrivals
        .iter()
        .filter(|a| a.seq % 5 == 0)
        .map(|a| Arrival {
            at_ms: a.at_ms + 7.0,
            marker: false,
            ..*a
        })
        .collect();
    arrivals.extend(copies);
    let out = drive(&mut jb, &arrivals, 1100.0);
    assert_eq!(played(&out), (0..50).collect::<Vec<_>>());
    assert_eq!(jb.stats().duplicates, 10);
    assert_eq!(jb.stats().received, 50);
}

#[test]
fn a_lost_packet_is_concealed_and_counted_lost() {
    let mut jb = buffer();
    let arrivals: Vec<Arrival> = stream(50, 0, 0, |_| 10.0)
        .into_iter()
        .filter(|a| a.seq != 20)
        .collect();
    let out = drive(&mut jb, &arrivals, 1030.0);
    let seqs = played(&out);
    assert!(!seqs.contains(&20));
    assert_eq!(seqs.len(), 49);
    let gap = out
        .iter()
        .position(|p| matches!(p, Playout::Frame { payload: 21, .. }))
        .expect("21 played");
    assert_eq!(
        out[gap - 1],
        Playout::Missing {
            timestamp: 20 * 160
        }
    );
    let stats = jb.stats();
    assert_eq!((stats.lost, stats.late, stats.concealed), (1, 0, 1));
}

#[test]
fn after_a_lost_packet_the_following_one_is_offered_for_fec() {
    let mut jb = buffer();
    let arrivals: Vec<Arrival> = stream(50, 0, 0, |_| 10.0)
        .into_iter()
        .filter(|a| a.seq != 20 && a.seq != 30 && a.seq != 31)
        .collect();
    let mut fec = Vec::new();
    drive_with(&mut jb, &arrivals, 1030.0, |_, jb| {
        fec.extend(jb.fec_source().copied())
    });
    // 21 follows the lost 20; after 30 and 31 are lost only 32 directly follows 31.
    assert_eq!(fec, vec![21, 32]);
}

#[test]
fn a_late_packet_is_dropped_and_counted() {
    let mut jb = buffer();
    // Packet 30 arrives 90 ms late: past its slot. One outlier does not move the target.
    let arrivals = stream(200, 0, 0, |i| if i == 30 { 100.0 } else { 10.0 });
    let out = drive(&mut jb, &arrivals, 4030.0);
    let seqs = played(&out);
    assert!(!seqs.contains(&30));
    assert_eq!(seqs.len(), 199);
    assert!(seqs.windows(2).all(|w| w[1] > w[0]));
    let stats = jb.stats();
    assert_eq!((stats.late, stats.lost, stats.concealed), (1, 0, 1));
    assert_eq!(stats.target_ms, 20.0);
}

#[test]
fn the_delay_grows_when_many_packets_come_late() {
    let mut jb = buffer();
    // Every tenth packet 90 ms late: the buffer grows until they are in time.
    let arrivals = stream(500, 0, 0, |i| if i % 10 == 0 { 100.0 } else { 10.0 });
    let out = drive(&mut jb, &arrivals, 10_100.0);
    let seqs = played(&out);
    assert!(seqs.windows(2).all(|w| w[1] > w[0]));
    let stats = jb.stats();
    assert!(stats.target_ms >= 90.0, "target {} ms", stats.target_ms);
    assert!(
        stats.delay_ms >= 90.0,
        "delay {} ms grew to the target",
        stats.delay_ms
    );
    // Only the first few late ones, before the window sees them, are lost to lateness.
    assert!(stats.late <= 5, "late {}", stats.late);
}

#[test]
fn delay_stays_within_bounds_under_heavy_jitter() {
    let mut jb = buffer();
    // Up to 400 ms of jitter: more than the maximum delay.
    let arrivals = stream(500, 0, 0, |i| ((i * 7919) % 400) as f64);
    let t0 = Instant::now();
    let mut sorted = arrivals.clone();
    sorted.sort_by(|a, b| a.at_ms.total_cmp(&b.at_ms));
    let mut next = 0;
    let mut last_seq = None;
    for k in 0..600 {
        let tick = 3.0 + 20.0 * k as f64;
        while next < sorted.len() && sorted[next].at_ms <= tick {
            let a = sorted[next];
            jb.push(
                t0 + Duration::from_micros((a.at_ms * 1000.0) as u64),
                a.seq,
                a.ts,
                a.seq,
                a.marker,
            );
            next += 1;
        }
        if let Playout::Frame { seq, .. } =
            jb.pop(t0 + Duration::from_micros((tick * 1000.0) as u64))
        {
            assert!(last_seq.is_none_or(|l| seq > l), "in order");
            last_seq = Some(seq);
            let delay = jb.stats().delay_ms;
            assert!(
                delay <= 200.0 + 2.0 * 20.0,
                "delay {delay} ms over the bound"
            );
        }
        assert!(jb.len() <= jb.config().max_packets);
    }
    assert_eq!(jb.stats().target_ms, 200.0);
    assert!(jb.stats().late > 0);
}

#[test]
fn a_talkspurt_start_resizes_without_concealing_the_silence() {
    let mut jb = buffer();
    // Spurt 1 with 60 ms of jitter, then 2 s of silence (no packets), then spurt 2 with none.
    let mut arrivals = stream(250, 0, 0, |i| if i % 3 == 0 { 70.0 } else { 10.0 });
    let spurt2 = stream(250, 250, 160 * 350, |_| 10.0);
    arrivals.extend(spurt2.into_iter().map(|a| Arrival {
        at_ms: a.at_ms + 350.0 * 20.0,
        ..a
    }));
    let out = drive(&mut jb, &arrivals, 600.0 * 20.0 + 100.0);
    let seqs = played(&out);
    assert!(seqs.len() >= 490, "played {}", seqs.len());
    assert!(seqs.windows(2).all(|w| w[1] > w[0]));
    // The silence is Empty after a few concealed frames, not 100 concealed frames.
    assert!(
        jb.stats().concealed <= MAX_CONCEAL_TICKS as u64 + 5,
        "concealed {}",
        jb.stats().concealed
    );
    // Spurt 2 has no jitter, but the window still remembers spurt 1: the target is above the minimum.
    assert!(jb.stats().delay_ms >= jb.stats().target_ms - 0.5);
}

#[test]
fn a_full_buffer_drops_its_oldest_packets() {
    let mut jb = buffer();
    let t0 = Instant::now();
    for i in 0..10_000u32 {
        let outcome = jb.push(t0, i as u16, i * 160, i as u16, false);
        assert_ne!(outcome, Pushed::Late);
        assert!(jb.len() <= jb.config().max_packets);
    }
    assert_eq!(jb.stats().overflow, 10_000 - jb.config().max_packets as u64);
}

#[test]
fn a_sequence_jump_confirmed_by_the_next_packet_restarts_the_stream() {
    let mut jb = buffer();
    let mut arrivals = stream(50, 100, 0, |_| 10.0);
    let restarted = stream(50, 30_000, 5_000_000, |_| 10.0);
    arrivals.extend(restarted.into_iter().map(|a| Arrival {
        at_ms: a.at_ms + 1000.0,
        ..a
    }));
    let out = drive(&mut jb, &arrivals, 2100.0);
    let seqs = played(&out);
    assert!(
        seqs.contains(&149) && seqs.contains(&30_049),
        "both streams play"
    );
    assert_eq!(jb.stats().resyncs, 1);
    // One stray far packet is dropped and does not restart anything.
    let t = Instant::now() + Duration::from_secs(10);
    assert_eq!(jb.push(t, 60_000, 1, 0, false), Pushed::Late);
    assert_eq!(jb.stats().resyncs, 1);
}

#[test]
fn empty_before_the_first_packet_and_after_the_stream_stops() {
    let mut jb = buffer();
    assert_eq!(jb.pop(Instant::now()), Playout::Empty);
    let out = drive(&mut jb, &stream(10, 0, 0, |_| 1.0), 1000.0);
    assert_eq!(played(&out).len(), 10);
    let tail = &out[out.len() - 20..];
    assert!(tail.iter().all(|p| *p == Playout::Empty));
    let missing = out
        .iter()
        .filter(|p| matches!(p, Playout::Missing { .. }))
        .count();
    assert!(missing <= MAX_CONCEAL_TICKS as usize);
}

#[test]
fn config_is_clamped_to_sane_bounds() {
    let config = JitterConfig::new(0, 1000, 5000, 1);
    assert_eq!(config.clock_rate, 1000);
    assert_eq!(config.ptime_ms, 120);
    assert!(config.min_delay_ms <= config.max_delay_ms);
    assert!(config.max_delay_ms <= 1000);
    assert!(config.max_packets >= 2);
}

#[test]
fn the_marker_bit_re_anchors_playout_at_the_target_delay() {
    let mut jb = buffer();
    // After 1 s of silence the sender's timestamps resume 150 ms further on than the silence lasted.
    let mut arrivals = stream(100, 0, 0, |_| 10.0);
    let spurt2 = stream(100, 100, 160 * (150 + 7), |_| 10.0);
    arrivals.extend(spurt2.into_iter().map(|a| Arrival {
        at_ms: a.at_ms + 150.0 * 20.0,
        ..a
    }));
    let out = drive(&mut jb, &arrivals, 250.0 * 20.0 + 300.0);
    assert_eq!(played(&out).len(), 200);
    let stats = jb.stats();
    assert!(
        stats.delay_ms <= stats.target_ms + 20.0,
        "delay {} ms, target {} ms",
        stats.delay_ms,
        stats.target_ms
    );
}

#[test]
fn the_delay_comes_down_when_the_jitter_stops_mid_talkspurt() {
    let mut jb = buffer();
    // 5 s with every third packet 80 ms late, then 10 s without jitter, no talkspurt break.
    let arrivals = stream(
        750,
        0,
        0,
        |i| if i < 250 && i % 3 == 0 { 90.0 } else { 10.0 },
    );
    let mut under_jitter = 0.0;
    let out = drive_with(&mut jb, &arrivals, 750.0 * 20.0 + 60.0, |tick, jb| {
        if tick < 5000.0 {
            under_jitter = jb.stats().delay_ms;
        }
    });
    assert!(under_jitter >= 80.0, "delay {under_jitter} ms under jitter");
    let stats = jb.stats();
    assert!(
        stats.delay_ms <= 40.0,
        "delay {} ms after the jitter stopped",
        stats.delay_ms
    );
    assert!(stats.shrunk >= 2, "shrunk {}", stats.shrunk);
    assert!(played(&out).windows(2).all(|w| w[1] > w[0]));
}

#[test]
fn random_packets_and_ticks_keep_every_bound() {
    let mut rng = crate::netem::SeededRng::new(5);
    let mut jb = buffer();
    let t0 = Instant::now();
    let mut now_ms = 0u64;
    let mut last_seq: Option<u16> = None;
    for _ in 0..50_000 {
        now_ms += rng.next_u64() % 15;
        let now = t0 + Duration::from_millis(now_ms);
        match rng.next_u64() % 4 {
            0 => {
                if let Playout::Frame { seq, .. } = jb.pop(now) {
                    last_seq = Some(seq);
                }
            }
            1 => {
                // Anything at all.
                let (seq, ts) = (rng.next_u64() as u16, rng.next_u64() as u32);
                jb.push(now, seq, ts, seq, rng.next_u64().is_multiple_of(8));
            }
            _ => {
                // Mostly a plausible stream around the last packet played.
                let base = last_seq.unwrap_or(0);
                let seq = base
                    .wrapping_add((rng.next_u64() % 40) as u16)
                    .wrapping_sub(5);
                jb.push(now, seq, u32::from(seq).wrapping_mul(160), seq, false);
            }
        }
        assert!(jb.len() <= jb.config().max_packets);
    }
    let stats = jb.stats();
    assert!(stats.played > 0 && stats.target_ms <= 200.0);
}

#[test]
fn a_timestamp_jump_without_a_sequence_gap_is_silence_not_loss() {
    let mut jb = buffer();
    // Packets 0–49, then three comfort-noise updates 200 ms apart (seq 50–52, no marker), then
    // speech again with the marker bit.
    let mut arrivals = stream(50, 0, 0, |_| 10.0);
    for k in 0..3u16 {
        let at = (50 + 10 * u32::from(k)) as f64 * 20.0 + 10.0;
        arrivals.push(Arrival {
            at_ms: at,
            seq: 50 + k,
            ts: 160 * (50 + 10 * u32::from(k)),
            marker: false,
        });
    }
    let resume = stream(50, 53, 160 * 80, |_| 10.0);
    arrivals.extend(resume.into_iter().map(|a| Arrival {
        at_ms: a.at_ms + 80.0 * 20.0,
        ..a
    }));
    let out = drive(&mut jb, &arrivals, 130.0 * 20.0 + 30.0);
    assert_eq!(played(&out).len(), 103);
    let stats = jb.stats();
    assert_eq!((stats.lost, stats.late), (0, 0));
    // While nothing is buffered the buffer cannot tell silence from loss: it conceals at most
    // MAX_CONCEAL_TICKS frames per pause; once the next packet is here and follows in sequence,
    // the rest of the pause is Empty.
    assert!(
        stats.concealed <= 3 * u64::from(MAX_CONCEAL_TICKS),
        "concealed {}",
        stats.concealed
    );
    let empty = out.iter().filter(|p| **p == Playout::Empty).count();
    assert!(
        empty >= 27 - 3 * MAX_CONCEAL_TICKS as usize,
        "the silence is Empty: {empty}"
    );
}
