//! A sans-IO network emulator for tests and measurements: packets go in with `send(now, …)`, come
//! out of `poll_receive(now)` delayed, lost, duplicated and reordered as configured, decided by a
//! seeded random generator so a run is repeatable.
//!
//! # API
//! ```text
//! NetemConfig { delay, jitter, loss, duplicate, reorder, reorder_delay, max_queue }
//! Netem<T: Clone>::new(config, seed) / set_config(config)
//!     send(now, packet)                 // schedules delivery (or loses it)
//!     poll_timeout() -> Option<Instant> // the next delivery
//!     poll_receive(now) -> Option<T>    // a packet due by `now`, earliest first
//!     stats() -> NetemStats { sent, delivered, lost, duplicated, reordered, dropped_full }
//! SeededRng::new(seed): next_u64, next_f64 (SplitMix64)
//! ```
//!
//! Each packet takes `delay` plus a uniform random extra of up to `jitter`; with probability
//! `reorder` it is held back a further `reorder_delay` (so packets sent after it overtake it);
//! with probability `loss` it is never delivered; with probability `duplicate` a second copy
//! follows with its own random delay. At most `max_queue` packets are in flight; past that a
//! packet is dropped (counted). It never reads a clock: time comes in as `now`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[cfg(test)]
#[path = "netem_tests.rs"]
mod tests;

/// How the emulated network treats packets. Probabilities are 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetemConfig {
    /// The delay every packet takes.
    pub delay: Duration,
    /// The most extra delay, uniform between none and this.
    pub jitter: Duration,
    /// The share of packets lost.
    pub loss: f64,
    /// The share of packets delivered twice.
    pub duplicate: f64,
    /// The share of packets held back by `reorder_delay`.
    pub reorder: f64,
    /// How long a reordered packet is held back.
    pub reorder_delay: Duration,
    /// The most packets in flight.
    pub max_queue: usize,
}

impl Default for NetemConfig {
    /// A perfect network with 10 ms of delay.
    fn default() -> Self {
        NetemConfig {
            delay: Duration::from_millis(10),
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(50),
            max_queue: 10_000,
        }
    }
}

/// What the emulator did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetemStats {
    /// Packets given to `send`.
    pub sent: u64,
    /// Packets handed out by `poll_receive` (copies included).
    pub delivered: u64,
    /// Packets lost on purpose.
    pub lost: u64,
    /// Extra copies scheduled.
    pub duplicated: u64,
    /// Packets held back to be overtaken.
    pub reordered: u64,
    /// Packets dropped because `max_queue` were in flight.
    pub dropped_full: u64,
}

/// The emulated network: one direction of a path.
#[derive(Debug)]
pub struct Netem<T> {
    config: NetemConfig,
    rng: SeededRng,
    /// In flight, by delivery time and then by the order they were scheduled.
    queue: BTreeMap<(Instant, u64), T>,
    order: u64,
    stats: NetemStats,
}

impl<T: Clone> Netem<T> {
    /// An empty network deciding with a generator seeded by `seed`.
    pub fn new(config: NetemConfig, seed: u64) -> Self {
        Netem {
            config,
            rng: SeededRng::new(seed),
            queue: BTreeMap::new(),
            order: 0,
            stats: NetemStats::default(),
        }
    }

    /// Changes the conditions for packets sent from now on (packets in flight keep theirs).
    pub fn set_config(&mut self, config: NetemConfig) {
        self.config = config;
    }

    /// The conditions in force.
    pub fn config(&self) -> NetemConfig {
        self.config
    }

    /// Sends a packet at `now`.
    pub fn send(&mut self, now: Instant, packet: T) {
        self.stats.sent += 1;
        if self.chance(self.config.loss) {
            self.stats.lost += 1;
            return;
        }
        if self.chance(self.config.duplicate) {
            self.stats.duplicated += 1;
            self.schedule(now, packet.clone());
        }
        self.schedule(now, packet);
    }

    /// When the next packet is due, if any is in flight.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.queue.first_key_value().map(|(&(at, _), _)| at)
    }

    /// A packet due by `now`, the earliest first.
    pub fn poll_receive(&mut self, now: Instant) -> Option<T> {
        let (&(at, _), _) = self.queue.first_key_value()?;
        if at > now {
            return None;
        }
        self.stats.delivered += 1;
        self.queue.pop_first().map(|(_, packet)| packet)
    }

    /// Packets in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// The figures so far.
    pub fn stats(&self) -> NetemStats {
        self.stats
    }

    fn schedule(&mut self, now: Instant, packet: T) {
        if self.queue.len() >= self.config.max_queue {
            self.stats.dropped_full += 1;
            return;
        }
        let mut delay = self.config.delay + self.config.jitter.mul_f64(self.rng.next_f64());
        if self.chance(self.config.reorder) {
            self.stats.reordered += 1;
            delay += self.config.reorder_delay;
        }
        self.order += 1;
        self.queue.insert((now + delay, self.order), packet);
    }

    fn chance(&mut self, probability: f64) -> bool {
        probability > 0.0 && self.rng.next_f64() < probability
    }
}

/// A small, fast, seeded generator (SplitMix64) so emulated runs repeat exactly. Not for keys.
#[derive(Debug, Clone)]
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    /// A generator that always yields the same sequence for the same seed.
    pub fn new(seed: u64) -> Self {
        SeededRng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
