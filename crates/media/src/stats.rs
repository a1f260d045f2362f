//! Receive statistics of RFC 3550 appendix A: extended sequence numbers (A.1), loss (A.3) and
//! interarrival jitter (A.8), and round-trip time from LSR/DLSR (§6.4.1).

use std::time::{Duration, Instant};

use crate::rtcp::ReportBlock;

/// Sequence jumps larger than this restart the count (A.1's `MAX_DROPOUT`).
const MAX_DROPOUT: u16 = 3000;
/// Late packets within this many are duplicates or reordering (A.1's `MAX_MISORDER`).
const MAX_MISORDER: u16 = 100;

/// What we count about the far end's stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReceiveStats {
    started: bool,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// Jitter in timestamp units, scaled by 16 as in A.8.
    jitter_q4: u32,
    last_transit: Option<i64>,
}

impl ReceiveStats {
    /// Counts a packet; `arrival` is the arrival time in timestamp units.
    pub(crate) fn on_packet(&mut self, seq: u16, timestamp: u32, arrival: u32) {
        if !self.started {
            self.started = true;
            self.max_seq = seq;
            self.base_seq = u32::from(seq);
        } else {
            let delta = seq.wrapping_sub(self.max_seq);
            if delta < MAX_DROPOUT {
                if seq < self.max_seq {
                    self.cycles = self.cycles.wrapping_add(1 << 16);
                }
                self.max_seq = seq;
            } else if delta <= u16::MAX - MAX_MISORDER {
                // A large jump: the sender restarted; count from here.
                self.max_seq = seq;
                self.cycles = 0;
                self.base_seq = u32::from(seq);
                self.received = 0;
                self.expected_prior = 0;
                self.received_prior = 0;
                self.last_transit = None;
            }
        }
        self.received = self.received.saturating_add(1);
        // A.8: J += (|D| - J) / 16, in fixed point.
        let transit = i64::from(arrival) - i64::from(timestamp);
        if let Some(last) = self.last_transit {
            let d = (transit - last)
                .unsigned_abs()
                .min(u64::from(u32::MAX >> 5)) as u32;
            self.jitter_q4 = self
                .jitter_q4
                .wrapping_add(d)
                .wrapping_sub((self.jitter_q4 + 8) >> 4);
        }
        self.last_transit = Some(transit);
    }

    pub(crate) fn started(&self) -> bool {
        self.started
    }

    fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    fn expected(&self) -> u32 {
        self.extended_max()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// Packets lost since the start (negative with duplicates).
    pub(crate) fn cumulative_lost(&self) -> i64 {
        i64::from(self.expected()) - i64::from(self.received)
    }

    /// Jitter in timestamp units.
    pub(crate) fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// Loss over the whole call, in percent.
    pub(crate) fn loss_percent(&self) -> f32 {
        if !self.started || self.expected() == 0 {
            return 0.0;
        }
        (self.cumulative_lost().max(0) as f32 * 100.0 / self.expected() as f32).min(100.0)
    }

    /// A report block for an RR/SR, advancing the "since last report" interval.
    pub(crate) fn report_block(&mut self, ssrc: u32, lsr: u32, dlsr: u32) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7F_FFFF) as i32,
            highest_seq: self.extended_max(),
            jitter: self.jitter(),
            lsr,
            dlsr,
        }
    }
}

/// A session-local NTP clock: any fixed origin works, since only our own SR times come back
/// to us (in LSR) and only differences of the far end's are used.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NtpClock {
    origin: Instant,
}

/// Seconds added so the clock never reads zero (LSR 0 means "no SR yet").
const NTP_BASE_SECS: u64 = 0x8000_0000;

impl NtpClock {
    pub(crate) fn new(origin: Instant) -> Self {
        Self { origin }
    }

    /// The 64-bit NTP timestamp of `now`.
    pub(crate) fn ntp(&self, now: Instant) -> u64 {
        let d = now.saturating_duration_since(self.origin);
        let secs = NTP_BASE_SECS + d.as_secs();
        let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
        secs << 32 | frac
    }

    /// The middle 32 bits (the LSR/DLSR format, 1/65536 s).
    pub(crate) fn middle(&self, now: Instant) -> u32 {
        (self.ntp(now) >> 16) as u32
    }
}

/// Round-trip time from a report block on our stream, received at `now` (RFC 3550 §6.4.1):
/// `now - LSR - DLSR`, all in 1/65536 s. `None` when the far end has had no SR from us.
pub(crate) fn round_trip(clock: &NtpClock, now: Instant, block: &ReportBlock) -> Option<Duration> {
    if block.lsr == 0 {
        return None;
    }
    let rtt = clock
        .middle(now)
        .wrapping_sub(block.lsr)
        .wrapping_sub(block.dlsr);
    // A negative or absurd result (clock trouble at the far end) is no figure.
    (rtt < 60 << 16).then(|| Duration::from_micros(u64::from(rtt) * 1_000_000 / 65_536))
}

/// DLSR for a report sent at `now`, the far end's last SR having arrived at `at`.
pub(crate) fn delay_since(at: Instant, now: Instant) -> u32 {
    let d = now.saturating_duration_since(at);
    ((d.as_micros() * 65_536 / 1_000_000).min(u128::from(u32::MAX))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_counts_gaps_across_the_wrap() {
        let mut s = ReceiveStats::default();
        for (i, seq) in (65530u16..=65535).chain(0..10).enumerate() {
            if seq % 4 == 0 {
                continue; // 0, 4, 8 and 65532 are lost
            }
            s.on_packet(seq, i as u32 * 160, i as u32 * 160);
        }
        assert_eq!(s.cumulative_lost(), 4);
        let b = s.report_block(1, 0, 0);
        assert_eq!(b.highest_seq, (1 << 16) + 9);
        assert_eq!(b.fraction_lost, (4 * 256 / 16) as u8);
        assert!((s.loss_percent() - 25.0).abs() < 0.01);
        // Nothing new since the last report: no fraction lost.
        assert_eq!(s.report_block(1, 0, 0).fraction_lost, 0);
    }

    #[test]
    fn jitter_follows_a_8() {
        let mut s = ReceiveStats::default();
        // Arrivals alternate 0 and 80 units late: |D| = 80 every packet after the first.
        for i in 0..2000u32 {
            let late = if i % 2 == 0 { 0 } else { 80 };
            s.on_packet(i as u16, i * 160, i * 160 + late);
        }
        assert!((78..=80).contains(&s.jitter()), "{}", s.jitter());
        let mut steady = ReceiveStats::default();
        for i in 0..100u32 {
            steady.on_packet(i as u16, i * 160, i * 160 + 1000);
        }
        assert_eq!(steady.jitter(), 0);
    }

    #[test]
    fn duplicates_and_late_packets_do_not_move_the_highest() {
        let mut s = ReceiveStats::default();
        for seq in [10u16, 11, 12, 11, 9] {
            s.on_packet(seq, 0, 0);
        }
        assert_eq!(s.report_block(0, 0, 0).highest_seq, 12);
        assert_eq!(s.cumulative_lost(), -2);
        assert_eq!(s.loss_percent(), 0.0);
    }

    #[test]
    fn rtt_from_lsr_and_dlsr() {
        let t0 = Instant::now();
        let clock = NtpClock::new(t0);
        let sent = t0 + Duration::from_secs(3);
        let lsr = clock.middle(sent);
        // The far end held our SR 200 ms, the network took 50 ms each way.
        let dlsr = delay_since(sent, sent + Duration::from_millis(200));
        let block = ReportBlock {
            lsr,
            dlsr,
            ..ReportBlock::default()
        };
        let rtt = round_trip(&clock, sent + Duration::from_millis(300), &block).expect("rtt");
        assert!((99..=101).contains(&rtt.as_millis()), "{rtt:?}");
        assert_eq!(round_trip(&clock, sent, &ReportBlock::default()), None);
    }
}
