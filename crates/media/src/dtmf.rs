//! RFC 4733 telephone events: sending key presses in the media stream and receiving them.
//!
//! A press is sent as packets every packet time carrying the event, with the timestamp of its
//! start and a growing duration (the first with the marker bit), then the end packet (E bit) three
//! times; then a pause before the next key. Received events are reported once each: the
//! retransmitted end packets carry the same timestamp and are dropped; an event whose end
//! packets are all lost is reported when its packets stop.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long a key is held.
pub(crate) const TONE_MS: u32 = 100;
/// Pause between keys.
pub(crate) const GAP_MS: u32 = 80;
/// Keys waiting to be sent at most; further ones are refused.
pub(crate) const MAX_QUEUED: usize = 64;
/// An event without end packets is reported after this long without a packet.
const STALE: Duration = Duration::from_millis(600);
/// Volume sent, in -dBm0.
const VOLUME: u8 = 10;

/// The event code of a key.
pub(crate) fn event_of(digit: char) -> Option<u8> {
    Some(match digit.to_ascii_uppercase() {
        d @ '0'..='9' => d as u8 - b'0',
        '*' => 10,
        '#' => 11,
        d @ 'A'..='D' => d as u8 - b'A' + 12,
        _ => return None,
    })
}

/// The key of an event code.
pub(crate) fn digit_of(event: u8) -> Option<char> {
    Some(match event {
        0..=9 => char::from(b'0' + event),
        10 => '*',
        11 => '#',
        12..=15 => char::from(b'A' + event - 12),
        _ => return None,
    })
}

/// One packet to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventPacket {
    pub(crate) marker: bool,
    pub(crate) timestamp: u32,
    pub(crate) payload: [u8; 4],
}

#[derive(Debug, Clone, Copy)]
struct Sending {
    event: u8,
    start: u32,
    /// Duration sent so far, in timestamp units.
    duration: u32,
    ends_sent: u8,
}

/// Sends queued keys, one packet per tick.
#[derive(Debug, Clone, Default)]
pub(crate) struct DtmfSender {
    queue: VecDeque<u8>,
    current: Option<Sending>,
    /// Timestamp units of pause left before the next key.
    gap: u32,
}

impl DtmfSender {
    /// Queues a key; false when it is not a key or the queue is full.
    pub(crate) fn push(&mut self, digit: char) -> bool {
        match event_of(digit) {
            Some(e) if self.queue.len() < MAX_QUEUED => {
                self.queue.push_back(e);
                true
            }
            _ => false,
        }
    }

    #[cfg(test)]
    /// Whether an event is being sent (audio is not sent meanwhile).
    pub(crate) fn busy(&self) -> bool {
        self.current.is_some()
    }

    /// The packet for the tick whose audio would start at `timestamp` and last `frame` units;
    /// `clock` is the RTP clock rate.
    pub(crate) fn on_tick(
        &mut self,
        timestamp: u32,
        frame: u32,
        clock: u32,
    ) -> Option<EventPacket> {
        if self.current.is_none() {
            if self.gap > 0 {
                self.gap = self.gap.saturating_sub(frame);
                return None;
            }
            let event = self.queue.pop_front()?;
            self.current = Some(Sending {
                event,
                start: timestamp,
                duration: 0,
                ends_sent: 0,
            });
        }
        let s = self.current.as_mut()?;
        let tone = clock * TONE_MS / 1000;
        let marker = s.duration == 0;
        let end = s.duration >= tone;
        if end {
            s.ends_sent += 1;
        } else {
            s.duration = (s.duration + frame).min(0xFFFF);
        }
        let packet = EventPacket {
            marker,
            timestamp: s.start,
            payload: [
                s.event,
                if end { 0x80 | VOLUME } else { VOLUME },
                (s.duration >> 8) as u8,
                s.duration as u8,
            ],
        };
        if s.ends_sent >= 3 {
            self.current = None;
            self.gap = clock * GAP_MS / 1000;
        }
        Some(packet)
    }
}

#[derive(Debug, Clone, Copy)]
struct Receiving {
    timestamp: u32,
    event: u8,
    duration: u16,
    last_seen: Instant,
}

/// Turns received event packets into one report per key press.
#[derive(Debug, Clone, Default)]
pub(crate) struct DtmfReceiver {
    current: Option<Receiving>,
    last_reported: Option<u32>,
}

impl DtmfReceiver {
    /// Takes an event packet; returns a key and its duration in ms when an event ends.
    pub(crate) fn on_packet(
        &mut self,
        now: Instant,
        timestamp: u32,
        payload: &[u8],
        clock: u32,
    ) -> Option<(char, u32)> {
        let [event, flags, d0, d1, ..] = *payload else {
            return None;
        };
        if self.last_reported == Some(timestamp) {
            return None;
        }
        let duration = u16::from_be_bytes([d0, d1]);
        let mut reported = None;
        if let Some(c) = self.current
            && c.timestamp != timestamp
        {
            // A new event began before the old one's end arrived: report the old one now.
            reported = self.finish(clock);
        }
        self.current = Some(Receiving {
            timestamp,
            event,
            duration,
            last_seen: now,
        });
        if flags & 0x80 != 0 {
            return self.finish(clock).or(reported);
        }
        reported
    }

    /// Reports an event whose packets stopped without an end packet.
    pub(crate) fn on_tick(&mut self, now: Instant, clock: u32) -> Option<(char, u32)> {
        match self.current {
            Some(c) if now.saturating_duration_since(c.last_seen) >= STALE => self.finish(clock),
            _ => None,
        }
    }

    fn finish(&mut self, clock: u32) -> Option<(char, u32)> {
        let c = self.current.take()?;
        self.last_reported = Some(c.timestamp);
        let ms = u32::from(c.duration) * 1000 / clock.max(1);
        digit_of(c.event).map(|d| (d, ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_keys_match() {
        for d in "0123456789*#ABCD".chars() {
            assert_eq!(event_of(d).and_then(digit_of), Some(d));
        }
        assert_eq!(event_of('x'), None);
        assert_eq!(digit_of(16), None);
    }

    #[test]
    fn a_key_is_sent_with_growing_duration_and_three_ends() {
        let mut tx = DtmfSender::default();
        assert!(tx.push('5'));
        let mut packets = Vec::new();
        let mut ts = 1000u32;
        for _ in 0..20 {
            if let Some(p) = tx.on_tick(ts, 160, 8000) {
                packets.push(p);
            }
            ts += 160;
        }
        // 100 ms at 20 ms a packet: 5 packets, then 3 end packets.
        assert_eq!(packets.len(), 8);
        assert!(packets[0].marker && packets[1..].iter().all(|p| !p.marker));
        assert!(
            packets
                .iter()
                .all(|p| p.timestamp == 1000 && p.payload[0] == 5)
        );
        let durations: Vec<u16> = packets
            .iter()
            .map(|p| u16::from_be_bytes([p.payload[2], p.payload[3]]))
            .collect();
        assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800, 800]);
        let ends = packets.iter().filter(|p| p.payload[1] & 0x80 != 0).count();
        assert_eq!(ends, 3);
        assert!(!tx.busy());
    }

    #[test]
    fn keys_are_separated_by_a_pause_and_the_queue_is_bounded() {
        let mut tx = DtmfSender::default();
        tx.push('1');
        tx.push('2');
        let mut starts = Vec::new();
        for tick in 0..40u32 {
            if let Some(p) = tx.on_tick(tick * 160, 160, 8000)
                && p.marker
            {
                starts.push(tick);
            }
        }
        // 8 packets, then 80 ms (4 ticks) of pause.
        assert_eq!(starts, [0, 12]);
        let mut full = DtmfSender::default();
        let accepted = (0..100).filter(|_| full.push('9')).count();
        assert_eq!(accepted, MAX_QUEUED);
        assert!(!full.push('x'));
    }

    #[test]
    fn sender_and_receiver_agree_once_per_key() {
        let mut tx = DtmfSender::default();
        let mut rx = DtmfReceiver::default();
        for d in "1234#".chars() {
            tx.push(d);
        }
        let now = Instant::now();
        let mut got = Vec::new();
        for tick in 0..100u32 {
            if let Some(p) = tx.on_tick(tick * 160, 160, 8000)
                && let Some(k) = rx.on_packet(now, p.timestamp, &p.payload, 8000)
            {
                got.push(k);
            }
        }
        assert_eq!(
            got,
            [('1', 100), ('2', 100), ('3', 100), ('4', 100), ('#', 100)]
        );
    }

    #[test]
    fn an_event_without_its_end_is_reported_when_it_goes_quiet() {
        let mut rx = DtmfReceiver::default();
        let t0 = Instant::now();
        assert_eq!(rx.on_packet(t0, 50, &[11, 10, 0, 160], 8000), None);
        assert_eq!(rx.on_packet(t0, 50, &[11, 10, 1, 64], 8000), None);
        assert_eq!(rx.on_tick(t0 + Duration::from_millis(100), 8000), None);
        assert_eq!(rx.on_tick(t0 + STALE, 8000), Some(('#', 40)));
        // A late end packet of the same event is not a second press.
        assert_eq!(rx.on_packet(t0 + STALE, 50, &[11, 0x8A, 1, 64], 8000), None);
        assert_eq!(rx.on_packet(t0, 51, &[1, 2], 8000), None);
    }
}
