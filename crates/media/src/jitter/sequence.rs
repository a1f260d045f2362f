//! RTP sequence numbers and timestamps extended past their 16- and 32-bit wrap, and the record
//! of which packets came (for duplicates and RFC 3550 loss).

/// A jump ahead of at least this many sequence numbers is a new stream or garbage (RFC 3550 A.1).
const MAX_DROPOUT: i64 = 3000;
/// A packet this many sequence numbers behind the highest, or more, is too old to place.
const MAX_MISORDER: i64 = 100;
/// How many sequence numbers back the record reaches for duplicates.
const HISTORY: i64 = 128;

/// Where a sequence number falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placed {
    /// Its extended sequence number.
    Seq(i64),
    /// It follows a jump seen just before: the stream restarted there; start over with it.
    Restart,
    /// Out of range of the current stream: drop it.
    Far,
}

/// The sequence numbers received so far.
#[derive(Debug, Default)]
pub(super) struct ReceivedLog {
    /// The first and highest extended sequence numbers (None before the first packet).
    range: Option<(i64, i64)>,
    /// Bit i set: `highest - i` was received.
    bits: u128,
    /// Distinct packets received.
    received: u64,
    /// A far jump seen once: the sequence number that would confirm it as a new stream.
    probation: Option<u16>,
}

impl ReceivedLog {
    /// Places `seq` relative to the highest one seen.
    pub(super) fn place(&mut self, seq: u16) -> Placed {
        let Some((_, highest)) = self.range else {
            return Placed::Seq(first_extended(seq));
        };
        let delta = i64::from(seq.wrapping_sub(highest as u16) as i16);
        if (-MAX_MISORDER..MAX_DROPOUT).contains(&delta) {
            self.probation = None;
            return Placed::Seq(highest + delta);
        }
        if self.probation == Some(seq) {
            self.probation = None;
            return Placed::Restart;
        }
        self.probation = Some(seq.wrapping_add(1));
        Placed::Far
    }

    /// Whether nothing was recorded yet.
    pub(super) fn is_empty(&self) -> bool {
        self.range.is_none()
    }

    /// Whether `ext` was received. Sequence numbers older than the history count as received.
    pub(super) fn contains(&self, ext: i64) -> bool {
        let Some((_, highest)) = self.range else {
            return false;
        };
        if ext > highest {
            return false;
        }
        let back = highest - ext;
        back >= HISTORY || self.bits & (1u128 << back) != 0
    }

    /// Records `ext` as received; returns whether it is the new highest.
    pub(super) fn record(&mut self, ext: i64) -> bool {
        self.received += 1;
        match self.range {
            None => {
                self.range = Some((ext, ext));
                self.bits = 1;
                true
            }
            Some((first, highest)) if ext > highest => {
                let shift = ext - highest;
                self.bits = if shift >= HISTORY {
                    1
                } else {
                    (self.bits << shift) | 1
                };
                self.range = Some((first, ext));
                true
            }
            Some((first, highest)) => {
                self.bits |= 1u128 << (highest - ext);
                self.range = Some((first.min(ext), highest));
                false
            }
        }
    }

    /// Expected − received (never below zero).
    pub(super) fn lost(&self) -> u64 {
        match self.range {
            None => 0,
            Some((first, highest)) => ((highest - first + 1) as u64).saturating_sub(self.received),
        }
    }
}

/// The extended sequence number of a stream's first packet: far from zero, so that packets
/// reordered before it stay positive.
pub(super) fn first_extended(seq: u16) -> i64 {
    i64::from(seq) + (1 << 16)
}

/// Extends a 32-bit RTP timestamp to the one nearest `reference` (an extended timestamp).
pub(super) fn extend_timestamp(reference: i64, ts: u32) -> i64 {
    reference + i64::from(ts.wrapping_sub(reference as u32) as i32)
}
