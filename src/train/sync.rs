//! Data parallelism: several processes train one model. Each holds the whole model; every step
//! the batch's windows are split between them, each computes the gradients of its share, the
//! shares' gradients are summed (an all-reduce) and every process applies the same clipping and
//! AdamW update to the same sum, so that the copies stay identical. Together they see exactly
//! the windows one process with the same batch sees.
//!
//! The engine states what it needs from the transport here; `crate::dist` provides it over MPI.

use crate::error::Result;

/// The processes of a data-parallel run, as one process sees them.
pub trait GradientSync: Send {
    /// This process's number, from 0.
    fn rank(&self) -> usize;

    /// How many processes share each step.
    fn size(&self) -> usize;

    /// Replace `values` on every process by their sum over all processes (the same numbers on
    /// all of them).
    fn sum(&mut self, values: &mut [f32]);

    /// The sum of `value` over all processes.
    fn sum_f64(&mut self, value: f64) -> f64;

    /// Check that every process starts from the same `fingerprint` (configuration, vocabulary
    /// and initial weights): an error on a process that differs from process 0.
    fn agree(&mut self, fingerprint: u64) -> Result<()>;
}

/// The windows `[first, end)` of a batch of `batch` that process `rank` of `size` trains on:
/// contiguous shares whose sizes differ by at most one.
pub fn share(batch: usize, rank: usize, size: usize) -> (usize, usize) {
    (rank * batch / size, (rank + 1) * batch / size)
}

/// FNV-1a, 64 bits: a fingerprint of bytes that every process computes the same way (no
/// randomised hasher).
pub fn fingerprint(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.iter().chain(&(part.len() as u64).to_le_bytes()) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_the_batch_once_and_differ_by_at_most_one() {
        for (batch, size) in [(32, 1), (32, 2), (32, 3), (5, 4), (3, 3)] {
            let shares: Vec<_> = (0..size).map(|r| share(batch, r, size)).collect();
            assert_eq!(shares[0].0, 0);
            assert_eq!(shares[size - 1].1, batch);
            assert!(shares.windows(2).all(|w| w[0].1 == w[1].0));
            let sizes: Vec<usize> = shares.iter().map(|s| s.1 - s.0).collect();
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{sizes:?}");
        }
    }

    #[test]
    fn fingerprints_tell_parts_apart() {
        assert_eq!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"ab", b"c"]));
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]), "part boundaries count");
        assert_ne!(fingerprint(&[b"abc"]), fingerprint(&[b"abd"]));
    }
}
