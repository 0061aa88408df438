//! Deterministic batches (shared/bench-config.md): non-overlapping windows of `seq_len`
//! tokens; step k takes, for row b, window ((k − 1)·B + b) · 1237 mod W. Multiplying by a number
//! coprime with W visits every window once per W sequences, in a scattered order, with no
//! random state to save: a resumed run sees exactly the batches it would have seen.
//! A non-zero `data_seed` picks another start and another coprime multiplier (seed 0 is the
//! standard order).

use crate::error::{Error, Result};
use crate::rng::Rng;

/// What to do about a corpus smaller than one batch (commands without batch options have the
/// standard one, so a larger corpus is the first remedy).
pub const SMALLER_BATCHES: &str =
    "use a larger corpus, or smaller batches (--batch-size, --seq-len, where the command has them)";

/// The scatter multiplier of the standard configuration (a prime).
const STRIDE: usize = 1237;

/// Which windows make up each step's batch.
#[derive(Clone, Debug)]
pub struct Batcher {
    pub batch_size: usize,
    pub seq_len: usize,
    windows: usize,
    stride: usize,
    offset: usize,
}

impl Batcher {
    /// Batches of `batch_size` windows of `seq_len` tokens over a stream of `n_tokens`, in the
    /// order chosen by `data_seed` (0: the standard order).
    pub fn new(n_tokens: usize, batch_size: usize, seq_len: usize, data_seed: u64) -> Result<Self> {
        if batch_size == 0 || seq_len == 0 {
            return Err(Error::config(
                "batch size × sequence length",
                format!("{batch_size} × {seq_len}"),
                "both must be at least 1 (the benchmark uses 32 × 64)",
            ));
        }
        let windows = n_tokens.saturating_sub(1) / seq_len;
        if windows < batch_size {
            return Err(Error::corpus(
                format!("of {n_tokens} training tokens"),
                format!("it is smaller than one batch ({batch_size} windows of {seq_len} tokens, plus one)"),
                SMALLER_BATCHES,
            ));
        }
        let (start, offset) = match data_seed {
            0 => (STRIDE, 0),
            seed => {
                let mut rng = Rng::new(seed);
                (STRIDE + rng.below(windows), rng.below(windows))
            }
        };
        let stride = (start..).find(|&s| gcd(s, windows) == 1).expect("a coprime exists");
        Ok(Batcher { batch_size, seq_len, windows, stride, offset })
    }

    /// Number of distinct windows.
    pub fn windows(&self) -> usize {
        self.windows
    }

    /// The window used by row `b` of step `step` (1-based).
    pub fn window(&self, step: u64, b: usize) -> usize {
        let seq = (step - 1) as u128 * self.batch_size as u128 + b as u128 + self.offset as u128;
        (seq * self.stride as u128 % self.windows as u128) as usize
    }

    /// Write step `step`'s inputs and targets, each (batch_size, seq_len) row-major.
    pub fn fill(&self, tokens: &[u32], step: u64, inputs: &mut [u32], targets: &mut [u32]) {
        let t = self.seq_len;
        for b in 0..self.batch_size {
            let start = self.window(step, b) * t;
            inputs[b * t..(b + 1) * t].copy_from_slice(&tokens[start..start + t]);
            targets[b * t..(b + 1) * t].copy_from_slice(&tokens[start + 1..start + t + 1]);
        }
    }
}

/// The number of non-overlapping evaluation windows of `seq_len` in `n_tokens`.
pub fn eval_windows(n_tokens: usize, seq_len: usize) -> usize {
    n_tokens.saturating_sub(1) / seq_len
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_window_once_per_epoch_and_targets_shift_by_one() {
        let tokens: Vec<u32> = (0..1237 * 3 * 4 + 1).map(|i| i as u32).collect();
        for seed in [0, 1, 2] {
            let b = Batcher::new(tokens.len(), 4, 3, seed).unwrap(); // W = 4948 = 4 · 1237: the stride moves on
            assert_eq!(b.windows(), 4948);
            let mut seen = vec![false; b.windows()];
            for step in 1..=(b.windows() / 4) as u64 {
                for row in 0..4 {
                    let w = b.window(step, row);
                    assert!(!seen[w], "window {w} twice");
                    seen[w] = true;
                }
            }
        }
        let order =
            |seed| (1..4).map(|s| Batcher::new(tokens.len(), 4, 3, seed).unwrap().window(s, 0)).collect::<Vec<_>>();
        assert_eq!(order(5), order(5));
        assert_ne!(order(5), order(6));
        let b = Batcher::new(tokens.len(), 4, 3, 0).unwrap();
        let (mut x, mut y) = (vec![0; 12], vec![0; 12]);
        b.fill(&tokens, 1, &mut x, &mut y);
        assert!(x.iter().zip(&y).all(|(a, b)| a + 1 == *b));
        assert!(Batcher::new(10, 4, 3, 0).is_err());
    }
}
