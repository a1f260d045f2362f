//! The window of recent packet transits that the target delay is taken from.

use std::collections::VecDeque;

/// The last `len` transits (µs), with their minimum and sorted copy kept up to date.
#[derive(Debug)]
pub(super) struct TransitWindow {
    len: usize,
    transits: VecDeque<i64>,
    sorted: Vec<i64>,
}

impl TransitWindow {
    pub(super) fn new(len: usize) -> Self {
        let len = len.max(8);
        TransitWindow {
            len,
            transits: VecDeque::with_capacity(len),
            sorted: Vec::with_capacity(len),
        }
    }

    pub(super) fn clear(&mut self) {
        self.transits.clear();
        self.sorted.clear();
    }

    pub(super) fn record(&mut self, transit_us: i64) {
        if self.transits.len() == self.len
            && let Some(old) = self.transits.pop_front()
            && let Ok(at) = self.sorted.binary_search(&old)
        {
            self.sorted.remove(at);
        }
        self.transits.push_back(transit_us);
        let at = self.sorted.partition_point(|&t| t < transit_us);
        self.sorted.insert(at, transit_us);
    }

    /// The fastest transit in the window (0 when empty).
    pub(super) fn min(&self) -> i64 {
        self.sorted.first().copied().unwrap_or(0)
    }

    /// How much slower than the fastest the `quantile` (0–1) of transits is.
    pub(super) fn spread(&self, quantile: f64) -> i64 {
        if self.sorted.is_empty() {
            return 0;
        }
        let at = ((self.sorted.len() - 1) as f64 * quantile.clamp(0.0, 1.0)).round() as usize;
        self.sorted[at] - self.min()
    }
}
