//! The one definition of training speed, used by every number sideways prints.
//!
//! **Tokens/s = tokens per step ÷ the median wall-clock time of the most recent timed steps.**
//! A step is the whole of it — batch assembly, forward, loss, backward, clipping, the AdamW
//! update — timed on the wall clock (never CPU time). The first [`WARMUP_STEPS`] steps of a run,
//! and of a run whose thread count changed, are warm-up: caches fill, thread pools wake, buffers
//! are allocated; they are not timed. The median is taken over the last [`WINDOW`] timed steps,
//! so a 50-step run reports bench-config.md's figure exactly (the median of steps 10..50), and a
//! long run reports its current speed. A run that stops inside its warm-up reports the median of
//! the steps it has rather than nothing.

use std::collections::VecDeque;

/// Steps at the start of a run (or after a change of threads) that are not timed.
pub const WARMUP_STEPS: usize = 9;
/// Timed steps the median runs over (steps 10..50 of bench-config.md).
pub const WINDOW: usize = 41;

/// Step times of one run and the speed they give.
#[derive(Clone, Debug)]
pub struct Throughput {
    tokens_per_step: usize,
    warmup: Vec<f64>,
    timed: VecDeque<f64>,
    /// A copy for the median, kept to avoid allocating per step.
    sorted: Vec<f64>,
}

impl Throughput {
    pub fn new(tokens_per_step: usize) -> Self {
        Throughput {
            tokens_per_step,
            warmup: Vec::with_capacity(WARMUP_STEPS),
            timed: VecDeque::with_capacity(WINDOW),
            sorted: Vec::with_capacity(WINDOW),
        }
    }

    /// Record one step's wall time.
    pub fn record(&mut self, seconds: f64) {
        if self.warmup.len() < WARMUP_STEPS {
            self.warmup.push(seconds);
            return;
        }
        if self.timed.len() == WINDOW {
            self.timed.pop_front();
        }
        self.timed.push_back(seconds);
    }

    /// Start over (the run moved to other threads).
    pub fn reset(&mut self) {
        self.warmup.clear();
        self.timed.clear();
    }

    /// The median step time (the upper middle for an even count); `None` before any step.
    pub fn step_seconds(&mut self) -> Option<f64> {
        self.sorted.clear();
        if self.timed.is_empty() {
            self.sorted.extend(&self.warmup);
        } else {
            self.sorted.extend(&self.timed);
        }
        self.sorted.sort_by(f64::total_cmp);
        self.sorted.get(self.sorted.len() / 2).copied()
    }

    /// Training tokens per second (0 before any step).
    pub fn tokens_per_s(&mut self) -> f64 {
        self.step_seconds().map_or(0.0, |s| self.tokens_per_step as f64 / s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_up_is_skipped_and_the_median_covers_steps_10_to_50() {
        let mut t = Throughput::new(1000);
        assert_eq!(t.tokens_per_s(), 0.0);
        // Steps 1..9 are slow and still give a figure, from the warm-up itself.
        for _ in 0..WARMUP_STEPS {
            t.record(1.0);
        }
        assert_eq!(t.tokens_per_s(), 1000.0);
        // Steps 10..50: 0.5 s except three outliers; the median ignores them and the warm-up.
        for k in 10..=50 {
            t.record(if k % 17 == 0 { 9.0 } else { 0.5 });
        }
        assert_eq!(t.step_seconds(), Some(0.5));
        assert_eq!(t.tokens_per_s(), 2000.0);
        // A long run reports its current speed: the window slides.
        for _ in 0..WINDOW {
            t.record(0.25);
        }
        assert_eq!(t.tokens_per_s(), 4000.0);
        t.reset();
        t.record(2.0);
        assert_eq!(t.tokens_per_s(), 500.0, "after a reset the warm-up starts again");
    }
}
