use std::time::{Duration, Instant};

use super::*;

/// Sends `count` numbered packets 20 ms apart and collects what arrives, in arrival order.
fn run(config: NetemConfig, seed: u64, count: u32) -> (Vec<u32>, NetemStats) {
    let mut net = Netem::new(config, seed);
    let t0 = Instant::now();
    let mut got = Vec::new();
    for i in 0..count {
        let now = t0 + Duration::from_millis(20 * u64::from(i));
        while let Some(p) = net.poll_receive(now) {
            got.push(p);
        }
        net.send(now, i);
    }
    while let Some(at) = net.poll_timeout() {
        while let Some(p) = net.poll_receive(at) {
            got.push(p);
        }
    }
    (got, net.stats())
}

#[test]
fn a_perfect_network_delivers_everything_in_order() {
    let (got, stats) = run(NetemConfig::default(), 1, 1000);
    assert_eq!(got, (0..1000).collect::<Vec<_>>());
    assert_eq!((stats.sent, stats.delivered, stats.lost), (1000, 1000, 0));
}

#[test]
fn loss_duplication_and_reordering_come_at_the_configured_rates() {
    let config = NetemConfig {
        loss: 0.05,
        duplicate: 0.02,
        reorder: 0.03,
        ..NetemConfig::default()
    };
    let (got, stats) = run(config, 7, 20_000);
    let share = |n: u64| n as f64 / 20_000.0;
    assert!(
        (0.04..0.06).contains(&share(stats.lost)),
        "loss {}",
        share(stats.lost)
    );
    assert!(
        (0.015..0.025).contains(&share(stats.duplicated)),
        "dup {}",
        share(stats.duplicated)
    );
    assert!(
        (0.02..0.04).contains(&share(stats.reordered)),
        "reorder {}",
        share(stats.reordered)
    );
    assert_eq!(got.len() as u64, stats.delivered);
    assert_eq!(stats.delivered, stats.sent - stats.lost + stats.duplicated);
    let overtaken = got.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(overtaken > 0, "reordered packets are overtaken");
}

#[test]
fn jitter_delays_within_its_bound() {
    let config = NetemConfig {
        jitter: Duration::from_millis(40),
        ..NetemConfig::default()
    };
    let mut net = Netem::new(config, 3);
    let t0 = Instant::now();
    for i in 0..500u64 {
        net.send(t0 + Duration::from_millis(i), i);
    }
    let mut previous = t0;
    let mut spread = Duration::ZERO;
    while let Some(at) = net.poll_timeout() {
        assert!(at >= previous);
        previous = at;
        let i = net.poll_receive(at).expect("due");
        let took = at - (t0 + Duration::from_millis(i));
        assert!(
            took >= Duration::from_millis(10) && took <= Duration::from_millis(50),
            "took {took:?}"
        );
        spread = spread.max(took - Duration::from_millis(10));
    }
    assert!(
        spread > Duration::from_millis(35),
        "the jitter is used: {spread:?}"
    );
}

#[test]
fn the_same_seed_repeats_the_same_run() {
    let config = NetemConfig {
        jitter: Duration::from_millis(30),
        loss: 0.1,
        duplicate: 0.05,
        reorder: 0.05,
        ..NetemConfig::default()
    };
    assert_eq!(run(config, 42, 2000), run(config, 42, 2000));
    assert_ne!(run(config, 42, 2000).0, run(config, 43, 2000).0);
}

#[test]
fn packets_in_flight_are_bounded() {
    let config = NetemConfig {
        delay: Duration::from_secs(3600),
        max_queue: 100,
        ..NetemConfig::default()
    };
    let mut net = Netem::new(config, 1);
    let now = Instant::now();
    for i in 0..1000 {
        net.send(now, i);
    }
    assert_eq!(net.in_flight(), 100);
    assert_eq!(net.stats().dropped_full, 900);
    assert_eq!(net.poll_receive(now), None);
}
