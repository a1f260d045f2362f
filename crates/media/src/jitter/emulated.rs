//! The jitter buffer driven through the network emulator: 20 ms packets from a sender, through
//! `Netem`, into the buffer, popped every 20 ms — all in simulated time. Run with `--nocapture`
//! to see the figures.

use std::time::{Duration, Instant};

use super::*;
use crate::netem::{Netem, NetemConfig};

/// (packet index, seq, timestamp, marker): the index lets the test see the order across wraps.
type Packet = (u32, u16, u32, bool);

/// One tick of playout: when, what, and the buffer's figures right after.
#[derive(Debug)]
struct Tick {
    at_ms: u64,
    played: Option<u32>,
    missing: bool,
    delay_ms: f64,
    target_ms: f64,
}

/// Sends `seconds` of 20 ms packets (starting at seq 65000 so the sequence wraps); the network
/// switches to `phases[i].1` at `phases[i].0` seconds. The receiver pops 7 ms after each send tick.
fn simulate(
    phases: &[(u64, NetemConfig)],
    seconds: u64,
    seed: u64,
) -> (Vec<Tick>, JitterStats, Netem<Packet>) {
    let t0 = Instant::now();
    let ms = |at: Instant| (at - t0).as_millis() as u64;
    let mut net: Netem<Packet> = Netem::new(phases[0].1, seed);
    let mut jb: JitterBuffer<u32> = JitterBuffer::new(JitterConfig::default());
    let end = t0 + Duration::from_secs(seconds) + Duration::from_millis(500);
    let mut next_send = t0;
    let mut next_tick = t0 + Duration::from_millis(7);
    let mut index = 0u32;
    let mut ticks = Vec::new();
    let mut steps = 0;
    while next_tick < end {
        steps += 1;
        assert!(steps < 1_000_000, "the simulation makes progress");
        let now = [Some(next_send), Some(next_tick), net.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .expect("times");
        while let Some((i, seq, ts, marker)) = net.poll_receive(now) {
            jb.push(now, seq, ts, i, marker);
        }
        if now == next_send && now < t0 + Duration::from_secs(seconds) {
            if let Some(&(_, config)) = phases.iter().rev().find(|(from, _)| ms(now) >= from * 1000)
            {
                net.set_config(config);
            }
            let seq = 65000u16.wrapping_add(index as u16);
            net.send(now, (index, seq, 160u32.wrapping_mul(index), index == 0));
            index += 1;
            next_send += Duration::from_millis(20);
        } else if now == next_send {
            next_send = end;
        }
        if now == next_tick {
            let playout = jb.pop(now);
            let stats = jb.stats();
            ticks.push(Tick {
                at_ms: ms(now),
                played: match playout {
                    Playout::Frame { payload, .. } => Some(payload),
                    _ => None,
                },
                missing: matches!(playout, Playout::Missing { .. }),
                delay_ms: stats.delay_ms,
                target_ms: stats.target_ms,
            });
            next_tick += Duration::from_millis(20);
        }
    }
    (ticks, jb.stats(), net)
}

fn bad_network() -> NetemConfig {
    NetemConfig {
        delay: Duration::from_millis(30),
        jitter: Duration::from_millis(40),
        loss: 0.05,
        duplicate: 0.02,
        reorder: 0.02,
        reorder_delay: Duration::from_millis(30),
        ..NetemConfig::default()
    }
}

/// The mean delay over the ticks that played between `from_s` and `to_s` seconds.
fn mean_delay(ticks: &[Tick], from_s: u64, to_s: u64) -> f64 {
    let delays: Vec<f64> = ticks
        .iter()
        .filter(|t| t.played.is_some() && t.at_ms >= from_s * 1000 && t.at_ms < to_s * 1000)
        .map(|t| t.delay_ms)
        .collect();
    delays.iter().sum::<f64>() / delays.len().max(1) as f64
}

fn assert_in_order_without_repeats(ticks: &[Tick]) {
    let played: Vec<u32> = ticks.iter().filter_map(|t| t.played).collect();
    assert!(
        played.windows(2).all(|w| w[1] > w[0]),
        "played in order, none twice"
    );
}

fn assert_delay_within_bounds(ticks: &[Tick]) {
    for t in ticks.iter().filter(|t| t.played.is_some()) {
        assert!(
            (20.0 - 1.0..=200.0 + 2.0 * 20.0).contains(&t.delay_ms),
            "delay {} ms at {} ms is outside 20–200 ms (+ two ticks)",
            t.delay_ms,
            t.at_ms
        );
    }
}

#[test]
fn loss_jitter_duplicates_and_reordering_then_a_calm_network() {
    // 30 s of 5 % loss, 0–40 ms jitter, 2 % duplicates, 2 % reordered by 30 ms; then 30 s of
    // the same loss and duplicates without jitter or reordering.
    let calm = NetemConfig {
        jitter: Duration::ZERO,
        reorder: 0.0,
        ..bad_network()
    };
    let (ticks, stats, net) = simulate(&[(0, bad_network()), (30, calm)], 60, 11);
    assert_in_order_without_repeats(&ticks);
    assert_delay_within_bounds(&ticks);

    let under_jitter = mean_delay(&ticks, 10, 30);
    let calm_delay = mean_delay(&ticks, 50, 60);
    let late_in_jitter = ticks
        .iter()
        .filter(|t| t.at_ms < 30_000 && t.missing)
        .count();
    eprintln!(
        "netem 5% loss, 40 ms jitter, 2% dup, 2% reorder → calm: delay {under_jitter:.1} ms under jitter, \
         {calm_delay:.1} ms calm (target {:.0} ms); received {}, late {} ({:.2} %), lost {}, duplicates {}, \
         concealed {}, shrunk {}; network lost {}, duplicated {}",
        stats.target_ms,
        stats.received,
        stats.late,
        stats.late_percent(),
        stats.lost,
        stats.duplicates,
        stats.concealed,
        stats.shrunk,
        net.stats().lost,
        net.stats().duplicated,
    );
    assert!(
        under_jitter >= 35.0,
        "the buffer covers the jitter: {under_jitter} ms"
    );
    assert!(
        calm_delay <= 40.0,
        "the delay came down when the jitter stopped: {calm_delay} ms"
    );
    assert!(
        ticks.last().is_some_and(|t| t.target_ms == 20.0),
        "target back at the minimum"
    );
    assert!(
        stats.late_percent() < 2.0,
        "late {} %",
        stats.late_percent()
    );
    assert_eq!(
        stats.duplicates,
        net.stats().duplicated,
        "every copy was dropped"
    );
    // The buffer's loss is the network's (give or take packets still in flight at the end).
    assert!(
        stats.lost.abs_diff(net.stats().lost) <= 2,
        "lost {} vs {}",
        stats.lost,
        net.stats().lost
    );
    assert!(
        stats.played + stats.late + stats.lost >= 2990,
        "every packet is accounted for"
    );
    assert!(late_in_jitter > 0, "losses are concealed");
}

#[test]
fn the_invariants_hold_for_many_seeds() {
    for seed in 1..=8 {
        let (ticks, stats, _) = simulate(&[(0, bad_network())], 20, seed);
        assert_in_order_without_repeats(&ticks);
        assert_delay_within_bounds(&ticks);
        assert!(
            stats.late_percent() < 3.0,
            "seed {seed}: late {} %",
            stats.late_percent()
        );
        assert_eq!(stats.resyncs, 0, "seed {seed}");
    }
}

#[test]
fn jitter_past_the_maximum_keeps_the_delay_at_the_maximum_and_counts_the_late() {
    let storm = NetemConfig {
        jitter: Duration::from_millis(300),
        ..bad_network()
    };
    let (ticks, stats, _) = simulate(&[(0, storm)], 30, 5);
    assert_in_order_without_repeats(&ticks);
    assert_delay_within_bounds(&ticks);
    let delay = mean_delay(&ticks, 10, 30);
    eprintln!(
        "netem 0–300 ms jitter: delay {delay:.1} ms (target {:.0} ms), late {} ({:.1} %), lost {}",
        stats.target_ms,
        stats.late,
        stats.late_percent(),
        stats.lost
    );
    assert_eq!(stats.target_ms, 200.0);
    assert!(delay >= 180.0, "delay {delay} ms");
    assert!(
        stats.late_percent() > 5.0,
        "jitter beyond the bound makes packets late"
    );
}

#[test]
fn a_clean_network_costs_the_minimum_delay_and_nothing_else() {
    let clean = NetemConfig {
        delay: Duration::from_millis(40),
        ..NetemConfig::default()
    };
    let (ticks, stats, _) = simulate(&[(0, clean)], 20, 1);
    assert_in_order_without_repeats(&ticks);
    assert_eq!(
        (stats.late, stats.lost, stats.duplicates, stats.shrunk),
        (0, 0, 0, 0)
    );
    assert_eq!(stats.played, 1000);
    assert!(mean_delay(&ticks, 1, 20) <= 40.0);
}
