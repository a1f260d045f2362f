//! The adaptive jitter buffer: RTP packets in, one frame per ptime tick out.
//!
//! # API
//! ```text
//! JitterConfig { clock_rate, ptime_ms, min_delay_ms, max_delay_ms, max_packets }
//!     JitterConfig::new(clock_rate, ptime_ms, min_delay_ms, max_delay_ms)  // 20–200 ms is the default
//! JitterBuffer<P = Vec<u8>>
//!     new(config) -> Self
//!     push(now, seq: u16, rtp_timestamp: u32, payload: P, marker: bool) -> Pushed
//!         Pushed::{Accepted, Duplicate, Late, Overflow}
//!     pop(now) -> Playout<P>                          // call once per ptime tick
//!         Playout::Frame { payload, timestamp, seq } // play this packet
//!         Playout::Missing { timestamp }              // a packet should be here: conceal (PLC)
//!         Playout::Empty                              // nothing to play: silence or comfort noise
//!     peek_next() -> Option<&P>                      // the next packet held, if any
//!     fec_source() -> Option<&P>                     // after a Missing: the packet right after the gap (Opus FEC)
//!     stats() -> JitterStats                         // late, lost, duplicates, delay, target, jitter
//!     reset()                                        // new stream (SSRC or codec change)
//! ```
//!
//! # How it decides
//! Every packet's transit (arrival time minus its RTP timestamp, in µs) goes into a window of the
//! last few seconds. The fastest transit in the window is the baseline; the *target delay* is how
//! much later than the baseline the 98th percentile of packets arrives, plus a small margin,
//! clamped to `min_delay_ms..=max_delay_ms`. The *current delay* is how far the playout clock runs
//! behind the baseline: a packet is late when its transit exceeds baseline + current delay.
//!
//! - Playout starts (and restarts at each talkspurt, a packet with the RTP marker bit) when the
//!   first packet has waited for the target delay, so a talkspurt start resizes the buffer
//!   without cutting speech.
//! - Within a talkspurt the delay grows by holding the playout clock for one tick when the packet
//!   due is not there yet and the delay is below target (a concealed frame is inserted), and
//!   shrinks by dropping one frame (at most one every [`SHRINK_SPACING_TICKS`] ticks, every tick
//!   past the max delay) while the delay is more than a tick above target; more than a tick past
//!   the max delay it jumps back to the target at once. The delay so stays within
//!   `min_delay_ms` and `max_delay_ms` + two ticks.
//! - Sequence numbers and timestamps are extended past their wrap (RFC 3550 A.1: a jump of more
//!   than 3000 ahead or 100 behind is taken as a new stream only when the next packet follows it).
//! - Duplicates (the same sequence number again) are dropped and counted; so are late packets
//!   (their slot has been played or concealed). Lost = expected − received, as in RFC 3550.
//! - The buffer holds at most `max_packets`; past it the oldest packet is dropped (counted as
//!   overflow). The transit window is bounded too. Nothing a peer sends makes it grow further.
//! - After the stream goes quiet for longer than `max_delay_ms` the buffer starts over at the
//!   next packet; at most [`MAX_CONCEAL_TICKS`] frames are concealed before it says `Empty`.
//!   A timestamp jump with no sequence number missing (silence suppression, DTX, comfort noise
//!   updates) is `Empty`, not loss, for the ticks the next packet is already here.
//!
//! It is sans-IO: `now` comes in as an argument; it never reads a clock.

mod sequence;
mod window;

#[cfg(test)]
mod emulated;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Instant;

use sequence::{Placed, ReceivedLog, extend_timestamp};
use window::TransitWindow;

/// Frames concealed in a row while nothing is buffered before the buffer answers `Empty`.
pub const MAX_CONCEAL_TICKS: u32 = 5;
/// The fewest ticks between two frames dropped to shrink the delay.
pub const SHRINK_SPACING_TICKS: u32 = 8;
/// Late packets in a row after which the stream is taken as restarted (its timestamps jumped back).
const MAX_LATE_IN_ROW: u32 = 25;

/// How a jitter buffer is sized. Build it with [`JitterConfig::new`], which clamps to sane bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// The RTP clock rate of the payload (8000 for G.711 and G.722, 48000 for Opus).
    pub clock_rate: u32,
    /// The duration of one packet and of one `pop` tick.
    pub ptime_ms: u32,
    /// The least delay the buffer keeps behind the fastest packet.
    pub min_delay_ms: u32,
    /// The most delay the buffer grows to, however bad the jitter.
    pub max_delay_ms: u32,
    /// The most packets held at once.
    pub max_packets: usize,
}

impl JitterConfig {
    /// A configuration clamped to: clock rate 1000–192000 Hz, ptime 5–120 ms, min delay from 0 to
    /// 1000 ms and max delay from min delay (at least one ptime) to 1000 ms; `max_packets` is
    /// twice what the max delay holds, plus a few.
    pub fn new(clock_rate: u32, ptime_ms: u32, min_delay_ms: u32, max_delay_ms: u32) -> Self {
        let clock_rate = clock_rate.clamp(1000, 192_000);
        let ptime_ms = ptime_ms.clamp(5, 120);
        let min_delay_ms = min_delay_ms.min(1000);
        let max_delay_ms = max_delay_ms.clamp(min_delay_ms.max(ptime_ms), 1000);
        let max_packets = (2 * max_delay_ms / ptime_ms) as usize + 8;
        JitterConfig {
            clock_rate,
            ptime_ms,
            min_delay_ms,
            max_delay_ms,
            max_packets,
        }
    }
}

impl Default for JitterConfig {
    /// 8 kHz, 20 ms packets, 20–200 ms delay.
    fn default() -> Self {
        JitterConfig::new(8000, 20, 20, 200)
    }
}

/// What `push` did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Buffered for playout.
    Accepted,
    /// Already received: dropped.
    Duplicate,
    /// Its slot has been played or concealed (or it is far outside the sequence): dropped.
    Late,
    /// Buffered, but the buffer was full and its oldest packet was dropped to make room.
    Overflow,
}

/// What to play for one tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout<P> {
    /// The packet for this tick.
    Frame {
        /// What was pushed.
        payload: P,
        /// Its RTP timestamp.
        timestamp: u32,
        /// Its RTP sequence number.
        seq: u16,
    },
    /// A packet belongs here but is lost or late: conceal one frame.
    Missing {
        /// The RTP timestamp the missing frame would have had.
        timestamp: u32,
    },
    /// Nothing was sent for this tick (before the first packet, between talkspurts, during
    /// silence suppression or DTX with the sequence unbroken, after the stream stopped): play
    /// silence or comfort noise (with Opus, its concealment, which is its comfort noise in DTX).
    Empty,
}

/// What the buffer has seen so far. Counters are cumulative over the buffer's life, also across
/// `reset`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JitterStats {
    /// Packets pushed that were not duplicates.
    pub received: u64,
    /// Frames returned by `pop` as `Frame`.
    pub played: u64,
    /// Packets that came after their slot was played or concealed (dropped).
    pub late: u64,
    /// Packets never received (expected − received, RFC 3550), late ones not included.
    pub lost: u64,
    /// Packets received more than once (dropped).
    pub duplicates: u64,
    /// `Missing` answers (concealed frames), including frames inserted to grow the delay.
    pub concealed: u64,
    /// Packets dropped because the buffer was full.
    pub overflow: u64,
    /// Frames dropped to shrink the delay.
    pub shrunk: u64,
    /// Times the sequence restarted (a new stream).
    pub resyncs: u64,
    /// How far playout runs behind the fastest packet, measured at the last tick that played.
    pub delay_ms: f64,
    /// The delay the buffer is adapting to.
    pub target_ms: f64,
    /// RFC 3550 interarrival jitter, in milliseconds.
    pub jitter_ms: f64,
    /// RFC 3550 interarrival jitter, in RTP timestamp units (for an RTCP report block).
    pub interarrival_jitter: u32,
}

impl JitterStats {
    /// Late packets as a share of the packets received, in percent.
    pub fn late_percent(&self) -> f64 {
        if self.received == 0 {
            0.0
        } else {
            100.0 * self.late as f64 / self.received as f64
        }
    }
}

#[derive(Debug)]
struct Slot<P> {
    ts: i64,
    payload: P,
    marker: bool,
}

/// Where playout is: the timestamp due at the next tick and the last sequence number played.
#[derive(Debug, Clone, Copy)]
struct Playhead {
    ts: i64,
    last_seq: i64,
}

/// The adaptive jitter buffer. See the module documentation for its API and behaviour.
#[derive(Debug)]
pub struct JitterBuffer<P = Vec<u8>> {
    config: JitterConfig,
    tick_samples: i64,
    /// The instant and extended timestamp that transits are measured from.
    epoch: Option<(Instant, i64)>,
    packets: BTreeMap<i64, Slot<P>>,
    log: ReceivedLog,
    /// Extended timestamp of the packet with the highest sequence number.
    highest_ts: i64,
    play: Option<Playhead>,
    window: TransitWindow,
    last_arrival_us: i64,
    /// RFC 3550 jitter state: the previous transit (timestamp units) and the running estimate.
    prev_transit: Option<f64>,
    jitter: f64,
    misses_in_row: u32,
    /// The timestamp of the slot the last `pop` answered `Missing` for and moved past.
    missing_slot: Option<i64>,
    late_in_row: u32,
    ticks_since_shrink: u32,
    stats: JitterStats,
    /// Expected − received of the streams before the last resync.
    lost_before: u64,
}

impl<P> JitterBuffer<P> {
    /// An empty buffer.
    pub fn new(config: JitterConfig) -> Self {
        let config = JitterConfig::new(
            config.clock_rate,
            config.ptime_ms,
            config.min_delay_ms,
            config.max_delay_ms,
        )
        .with_max_packets(config.max_packets);
        let window_len = (5000 / config.ptime_ms) as usize;
        JitterBuffer {
            config,
            tick_samples: i64::from(config.clock_rate) * i64::from(config.ptime_ms) / 1000,
            epoch: None,
            packets: BTreeMap::new(),
            log: ReceivedLog::default(),
            highest_ts: 0,
            play: None,
            window: TransitWindow::new(window_len),
            last_arrival_us: 0,
            prev_transit: None,
            jitter: 0.0,
            misses_in_row: 0,
            missing_slot: None,
            late_in_row: 0,
            ticks_since_shrink: 0,
            stats: JitterStats {
                target_ms: f64::from(config.min_delay_ms),
                ..JitterStats::default()
            },
            lost_before: 0,
        }
    }

    /// The configuration in force (after clamping).
    pub fn config(&self) -> JitterConfig {
        self.config
    }

    /// Forgets the stream (packets, sequence, timing); keeps the cumulative counters.
    pub fn reset(&mut self) {
        self.lost_before += self.log.lost();
        self.epoch = None;
        self.packets.clear();
        self.log = ReceivedLog::default();
        self.play = None;
        self.window.clear();
        self.prev_transit = None;
        self.misses_in_row = 0;
        self.late_in_row = 0;
    }

    /// The figures so far.
    pub fn stats(&self) -> JitterStats {
        let mut stats = self.stats;
        stats.lost = self.lost_before + self.log.lost();
        stats.target_ms = self.target_us() as f64 / 1000.0;
        stats.jitter_ms = self.jitter * 1000.0 / f64::from(self.config.clock_rate);
        stats.interarrival_jitter = self.jitter as u32;
        stats
    }

    /// The payload of the first packet held (the next `Frame`, unless a gap comes first).
    pub fn peek_next(&self) -> Option<&P> {
        self.packets
            .first_key_value()
            .map(|(_, slot)| &slot.payload)
    }

    /// Right after `pop` answered `Missing` for a lost slot: the packet that directly follows
    /// it, if already here. Opus can rebuild the lost frame from its FEC data; the packet is
    /// then played as usual at the next tick. `None` after a frame inserted to grow the delay.
    pub fn fec_source(&self) -> Option<&P> {
        let slot = self.missing_slot?;
        let (_, head) = self.packets.first_key_value()?;
        (head.ts == slot + self.tick_samples).then_some(&head.payload)
    }

    /// Packets held now.
    pub fn len(&self) -> usize {
        self.packets.len()
    }

    /// Whether no packet is held.
    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Takes in one received RTP packet.
    pub fn push(
        &mut self,
        now: Instant,
        seq: u16,
        rtp_timestamp: u32,
        payload: P,
        marker: bool,
    ) -> Pushed {
        let ext_seq = match self.log.place(seq) {
            Placed::Seq(ext) => ext,
            Placed::Far => {
                self.stats.late += 1;
                return Pushed::Late;
            }
            Placed::Restart => {
                self.stats.resyncs += 1;
                self.reset();
                sequence::first_extended(seq)
            }
        };
        if self.log.contains(ext_seq) {
            self.stats.duplicates += 1;
            return Pushed::Duplicate;
        }
        let (epoch, epoch_ts) = *self.epoch.get_or_insert((now, i64::from(rtp_timestamp)));
        let ts = if self.log.is_empty() {
            i64::from(rtp_timestamp)
        } else {
            extend_timestamp(self.highest_ts, rtp_timestamp)
        };
        if self.log.record(ext_seq) {
            self.highest_ts = ts;
        }
        self.stats.received += 1;

        let arrival_us = micros(now.saturating_duration_since(epoch));
        self.last_arrival_us = arrival_us;
        let transit_us = arrival_us - self.ts_to_us(ts - epoch_ts);
        self.window.record(transit_us);
        self.update_jitter(transit_us);

        if let Some(play) = self.play {
            let behind = ext_seq <= play.last_seq || (ts < play.ts && !marker);
            if behind {
                self.stats.late += 1;
                self.late_in_row += 1;
                if self.late_in_row > MAX_LATE_IN_ROW {
                    // The timestamps went back: start over from the packets that come next.
                    self.play = None;
                    self.packets.clear();
                    self.late_in_row = 0;
                }
                return Pushed::Late;
            }
        }
        self.late_in_row = 0;

        let mut outcome = Pushed::Accepted;
        if self.packets.len() >= self.config.max_packets {
            let oldest = self.packets.first_key_value().map(|(&k, _)| k);
            match oldest {
                Some(oldest) if oldest < ext_seq => {
                    self.packets.remove(&oldest);
                    self.stats.overflow += 1;
                    outcome = Pushed::Overflow;
                }
                _ => {
                    self.stats.overflow += 1;
                    return Pushed::Overflow;
                }
            }
        }
        self.packets.insert(
            ext_seq,
            Slot {
                ts,
                payload,
                marker,
            },
        );
        outcome
    }

    /// What to play for the tick at `now`. Call once per ptime.
    pub fn pop(&mut self, now: Instant) -> Playout<P> {
        let Some((epoch, epoch_ts)) = self.epoch else {
            return Playout::Empty;
        };
        let now_us = micros(now.saturating_duration_since(epoch));
        self.missing_slot = None;
        self.ticks_since_shrink = self.ticks_since_shrink.saturating_add(1);
        if self.play.is_none() && !self.start(now_us, epoch_ts) {
            return Playout::Empty;
        }
        self.play_next(now_us, epoch_ts)
    }

    /// Starts playout at the first buffered packet once it has waited for the target delay;
    /// packets already overdue by more than a tick are dropped as late. Returns whether playing.
    fn start(&mut self, now_us: i64, epoch_ts: i64) -> bool {
        let target = self.target_us();
        let tick_us = self.tick_us();
        loop {
            let Some((&seq, head)) = self.packets.first_key_value() else {
                return false;
            };
            let waited = self.delay_at(now_us, head.ts, epoch_ts);
            if waited < target {
                return false;
            }
            if waited - target > tick_us && self.packets.len() > 1 {
                self.packets.remove(&seq);
                self.stats.late += 1;
                continue;
            }
            self.play = Some(Playhead {
                ts: head.ts,
                last_seq: seq - 1,
            });
            self.misses_in_row = 0;
            return true;
        }
    }

    fn play_next(&mut self, now_us: i64, epoch_ts: i64) -> Playout<P> {
        let Some(mut play) = self.play else {
            return Playout::Empty;
        };
        let target = self.target_us();
        let tick_us = self.tick_us();
        if self.delay_at(now_us, play.ts, epoch_ts) > self.max_us() + tick_us {
            // Far past the max delay (the fastest transit dropped, as at the start of a bad
            // stream): jump to the target at once, dropping what is skipped.
            let excess_ticks = (self.delay_at(now_us, play.ts, epoch_ts) - target) / tick_us;
            play.ts += excess_ticks * self.tick_samples;
            while let Some((&seq, head)) = self.packets.first_key_value() {
                if head.ts >= play.ts {
                    break;
                }
                self.packets.remove(&seq);
                self.stats.shrunk += 1;
            }
            self.ticks_since_shrink = 0;
        }
        // Packets whose slot has passed (possible when packets are shorter than a tick).
        while let Some((&seq, head)) = self.packets.first_key_value() {
            if head.ts >= play.ts || head.marker {
                break;
            }
            self.packets.remove(&seq);
            self.stats.late += 1;
        }
        let delay = self.delay_at(now_us, play.ts, epoch_ts);

        let Some((&seq, head)) = self.packets.first_key_value() else {
            // Nothing here: conceal for a few ticks, then silence; start over once quiet for long.
            if now_us - self.last_arrival_us > self.max_us() + tick_us {
                self.play = None;
                return Playout::Empty;
            }
            self.misses_in_row += 1;
            if self.misses_in_row > MAX_CONCEAL_TICKS {
                play.ts += self.tick_samples;
                self.play = Some(play);
                return Playout::Empty;
            }
            return self.conceal(play, delay < target);
        };

        let far_ahead = head.ts - play.ts > self.us_to_ts(self.max_us());
        if (head.marker && head.ts != play.ts) || far_ahead {
            // A new talkspurt (or a jump): play it when it has waited for the target delay.
            self.play = None;
            if !self.start(now_us, epoch_ts) {
                return Playout::Empty;
            }
            return self.play_next(now_us, epoch_ts);
        }
        if head.ts > play.ts {
            if seq == play.last_seq + 1 {
                // No sequence number is missing: the sender sent nothing for this slot
                // (silence suppression, DTX, comfort noise updates).
                play.ts += self.tick_samples;
                self.play = Some(play);
                return Playout::Empty;
            }
            // The packet due is missing: it is lost or still coming.
            return self.conceal(play, delay < target);
        }

        // Shrink: drop this frame and play the next one when the delay is well above target.
        let next_seq = seq + 1;
        let shrink = delay > target + tick_us
            && (self.ticks_since_shrink >= SHRINK_SPACING_TICKS || delay > self.max_us())
            && self
                .packets
                .get(&next_seq)
                .is_some_and(|next| next.ts == head.ts + self.tick_samples && !next.marker);
        let (seq, slot) = if shrink {
            self.packets.remove(&seq);
            self.stats.shrunk += 1;
            self.ticks_since_shrink = 0;
            self.packets.remove_entry(&next_seq).expect("checked above")
        } else {
            self.packets
                .remove_entry(&seq)
                .expect("the first key exists")
        };
        self.stats.delay_ms = self.delay_at(now_us, slot.ts, epoch_ts) as f64 / 1000.0;
        play.ts = slot.ts + self.tick_samples;
        play.last_seq = seq;
        self.play = Some(play);
        self.misses_in_row = 0;
        self.stats.played += 1;
        Playout::Frame {
            payload: slot.payload,
            timestamp: slot.ts as u32,
            seq: seq as u16,
        }
    }

    /// Answers `Missing` for the slot due; holds the playout clock (inserting a frame) to grow
    /// the delay, else moves on.
    fn conceal(&mut self, mut play: Playhead, grow: bool) -> Playout<P> {
        let timestamp = play.ts as u32;
        if !grow {
            self.missing_slot = Some(play.ts);
            play.ts += self.tick_samples;
        }
        self.play = Some(play);
        self.stats.concealed += 1;
        Playout::Missing { timestamp }
    }

    /// How far a slot with extended timestamp `ts` played at `now_us` is behind the fastest
    /// transit in the window, in µs.
    fn delay_at(&self, now_us: i64, ts: i64, epoch_ts: i64) -> i64 {
        now_us - self.ts_to_us(ts - epoch_ts) - self.window.min()
    }

    fn target_us(&self) -> i64 {
        let spread = self.window.spread(0.98);
        let margin = self.tick_us() / 4;
        let min = i64::from(self.config.min_delay_ms) * 1000;
        (spread + margin).clamp(min, self.max_us())
    }

    fn max_us(&self) -> i64 {
        i64::from(self.config.max_delay_ms) * 1000
    }

    fn update_jitter(&mut self, transit_us: i64) {
        let transit = transit_us as f64 * f64::from(self.config.clock_rate) / 1e6;
        if let Some(prev) = self.prev_transit {
            let d = (transit - prev).abs();
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.prev_transit = Some(transit);
    }

    fn tick_us(&self) -> i64 {
        i64::from(self.config.ptime_ms) * 1000
    }

    fn ts_to_us(&self, ts: i64) -> i64 {
        ts * 1_000_000 / i64::from(self.config.clock_rate)
    }

    fn us_to_ts(&self, us: i64) -> i64 {
        us * i64::from(self.config.clock_rate) / 1_000_000
    }
}

impl JitterConfig {
    fn with_max_packets(mut self, max_packets: usize) -> Self {
        self.max_packets = max_packets.clamp(2, 4096);
        self
    }
}

fn micros(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
