//! Bounded lock-free ring buffers between a device's callback thread and the caller.
//!
//! One single-producer single-consumer ring (`rtrb`) per direction, of mono `f32` samples at
//! the device's rate. The reader keeps the ring at most `bound` samples deep: when it finds more,
//! it drops the oldest down to a third of the bound (an overrun, counted), so a reader that fell
//! behind (a device that stalled) hears the newest sound after a short delay, never a growing
//! or a stuck long one. The ring's capacity is twice the bound, so a writer finds it full only when the
//! reader has stopped; then what does not fit is dropped, counted too. A reader that finds
//! fewer samples than it needs for a device buffer fills the rest with silence (an underrun,
//! counted). Nothing here blocks or allocates after construction.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rtrb::{Consumer, Producer, RingBuffer};

/// Samples dropped or made up in one direction, shared by both ends of a ring.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Samples of silence a reader put in because the ring was empty.
    pub underrun: AtomicU64,
    /// Samples dropped because the ring was deeper than its bound, or full.
    pub overrun: AtomicU64,
    /// The largest buffer the device's side moved at once: the bound is never below three of
    /// them, so a device with long periods does not lose sound to trimming.
    device_chunk: AtomicUsize,
}

impl Counters {
    fn add_underrun(&self, n: usize) {
        if n > 0 {
            self.underrun.fetch_add(n as u64, Ordering::Relaxed);
        }
    }
    fn add_overrun(&self, n: usize) {
        if n > 0 {
            self.overrun.fetch_add(n as u64, Ordering::Relaxed);
        }
    }
    fn device_moved(&self, n: usize) {
        self.device_chunk.fetch_max(n, Ordering::Relaxed);
    }
}

/// The writing end.
#[derive(Debug)]
pub(crate) struct RingWriter {
    producer: Producer<f32>,
    counters: Arc<Counters>,
}

/// The reading end.
#[derive(Debug)]
pub(crate) struct RingReader {
    consumer: Consumer<f32>,
    bound: usize,
    counters: Arc<Counters>,
}

/// A ring that keeps at most `bound` samples for its reader (capacity `2 * bound`).
pub(crate) fn ring(bound: usize, counters: Arc<Counters>) -> (RingWriter, RingReader) {
    let bound = bound.max(1);
    let (producer, consumer) = RingBuffer::new(bound * 2);
    (
        RingWriter {
            producer,
            counters: counters.clone(),
        },
        RingReader {
            consumer,
            bound,
            counters,
        },
    )
}

impl RingWriter {
    /// Writes what fits; the rest is dropped and counted. Never blocks.
    pub fn write(&mut self, samples: &[f32]) {
        self.push(samples);
    }

    /// [`RingWriter::write`] from the device's callback (its buffer size widens the bound).
    pub fn write_from_device(&mut self, samples: &[f32]) {
        self.counters.device_moved(samples.len());
        self.push(samples);
    }

    fn push(&mut self, samples: &[f32]) {
        let (_, rest) = self.producer.push_partial_slice(samples);
        self.counters.add_overrun(rest.len());
    }

    /// How many samples wait for the reader now.
    pub fn queued(&self) -> usize {
        self.producer.buffer().capacity() - self.producer.slots()
    }
}

impl RingReader {
    /// Past the bound, drops the oldest samples down to a third of it: after a stall the ring
    /// goes back to a short delay instead of staying at its bound.
    fn trim(&mut self) {
        let depth = self.consumer.slots();
        let chunk = self.counters.device_chunk.load(Ordering::Relaxed);
        let bound = self
            .bound
            .max(chunk * 3)
            .min(self.consumer.buffer().capacity());
        if depth > bound {
            let excess = depth - bound / 3;
            if let Ok(chunk) = self.consumer.read_chunk(excess) {
                chunk.commit_all();
                self.counters.add_overrun(excess);
            }
        }
    }

    /// Fills `out` completely: what the ring has, then silence (counted as underrun). Called
    /// by the device's callback (its buffer size widens the bound).
    pub fn read_or_silence(&mut self, out: &mut [f32]) {
        self.counters.device_moved(out.len());
        self.trim();
        let (_, rest) = self.consumer.pop_partial_slice(out);
        rest.fill(0.0);
        self.counters.add_underrun(rest.len());
    }

    /// Moves what the ring has, up to `out.len()`, and says how many.
    pub fn read_available(&mut self, out: &mut [f32]) -> usize {
        self.trim();
        let (got, _) = self.consumer.pop_partial_slice(out);
        got.len()
    }

    /// How many samples wait in the ring now.
    #[cfg(test)]
    pub fn depth(&self) -> usize {
        self.consumer.slots()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(bound: usize) -> (RingWriter, RingReader, Arc<Counters>) {
        let counters = Arc::new(Counters::default());
        let (w, r) = ring(bound, counters.clone());
        (w, r, counters)
    }

    fn ramp(from: usize, n: usize) -> Vec<f32> {
        (from..from + n).map(|i| i as f32).collect()
    }

    #[test]
    fn samples_pass_in_order() {
        let (mut w, mut r, c) = counted(8);
        w.write(&ramp(0, 5));
        let mut out = [9.0; 5];
        r.read_or_silence(&mut out);
        assert_eq!(out.to_vec(), ramp(0, 5));
        assert_eq!(c.underrun.load(Ordering::Relaxed), 0);
        assert_eq!(c.overrun.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn an_empty_ring_gives_silence_and_counts_it() {
        let (mut w, mut r, c) = counted(8);
        w.write(&[1.0, 2.0]);
        let mut out = [9.0; 5];
        r.read_or_silence(&mut out);
        assert_eq!(out, [1.0, 2.0, 0.0, 0.0, 0.0]);
        assert_eq!(c.underrun.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_reader_behind_gets_the_newest_and_the_oldest_are_dropped() {
        let (mut w, mut r, c) = counted(4);
        w.write(&ramp(0, 7));
        let mut out = [0.0; 4];
        // Past the bound of 4 it keeps a third of it: the newest sample.
        assert_eq!(r.read_available(&mut out), 1);
        assert_eq!(out[0], 6.0);
        assert_eq!(c.overrun.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn after_a_stall_the_delay_goes_back_to_a_third_of_the_bound() {
        let (mut w, mut r, c) = counted(300);
        w.write(&ramp(0, 500));
        let mut out = [0.0; 10];
        r.read_or_silence(&mut out);
        assert_eq!(out.to_vec(), ramp(400, 10), "the oldest 400 are gone");
        assert_eq!(r.depth(), 90);
        assert_eq!(c.overrun.load(Ordering::Relaxed), 400);
        // Within the bound nothing more is dropped.
        w.write(&ramp(500, 200));
        r.read_or_silence(&mut out);
        assert_eq!(c.overrun.load(Ordering::Relaxed), 400);
    }

    #[test]
    fn a_device_with_long_buffers_widens_the_bound() {
        let (mut w, mut r, c) = counted(30);
        // The device reads 20 at a time: the bound becomes 60 (the capacity).
        let mut out = [0.0; 20];
        r.read_or_silence(&mut out);
        w.write(&ramp(0, 55));
        r.read_or_silence(&mut out);
        assert_eq!(
            out.to_vec(),
            ramp(0, 20),
            "nothing dropped within three device buffers"
        );
        assert_eq!(c.overrun.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_full_ring_drops_what_does_not_fit_and_stays_bounded() {
        let (mut w, r, c) = counted(4);
        for i in 0..100 {
            w.write(&ramp(i * 3, 3));
        }
        assert_eq!(r.depth(), 8, "capacity is twice the bound");
        assert_eq!(c.overrun.load(Ordering::Relaxed), 300 - 8);
    }

    #[test]
    fn read_available_takes_only_what_there_is() {
        let (mut w, mut r, c) = counted(16);
        w.write(&ramp(0, 3));
        let mut out = [0.0; 10];
        assert_eq!(r.read_available(&mut out), 3);
        assert_eq!(r.read_available(&mut out), 0);
        assert_eq!(
            c.underrun.load(Ordering::Relaxed),
            0,
            "a capture reader never makes up sound"
        );
    }

    #[test]
    fn writer_and_reader_on_two_threads_lose_nothing_within_the_bound() {
        let (mut w, mut r, c) = counted(4096);
        let total = 200_000usize;
        let writer = std::thread::spawn(move || {
            let mut next = 0usize;
            while next < total {
                let n = 64.min(total - next);
                let chunk = ramp(next, n);
                // Wait for room instead of overrunning: this test checks order and loss.
                while r_space_hint(&w) < n {
                    std::thread::yield_now();
                }
                w.write(&chunk);
                next += n;
            }
        });
        let mut seen = 0usize;
        let mut out = [0.0f32; 100];
        let mut spins = 0u64;
        while seen < total {
            let n = r.read_available(&mut out);
            for v in &out[..n] {
                assert_eq!(*v as usize, seen, "samples arrive in order");
                seen += 1;
            }
            spins += 1;
            assert!(spins < 1_000_000_000, "the writer stopped");
            if n == 0 {
                std::thread::yield_now();
            }
        }
        writer.join().unwrap();
        assert_eq!(c.overrun.load(Ordering::Relaxed), 0);
    }

    fn r_space_hint(w: &RingWriter) -> usize {
        // Room below the reader's bound (half the capacity), so the reader never trims.
        w.producer
            .slots()
            .saturating_sub(w.producer.buffer().capacity() / 2)
    }
}
