//! Softmax and cross-entropy, fused.
//!
//! Forward:  p = softmax(logits) row by row (in place), loss_i = −ln p_i[target_i]
//! Backward: for the mean loss over n rows, dlogits = (p − onehot(target)) / n   (in place)
//! Each of the n rows is independent; with a 4096-word vocabulary this is the largest
//! non-matrix cost of a step, so it runs one block of rows per thread.

use crate::linalg::{for_each_rows, vecmath, Disjoint, Par};

/// Softmax of each row of `logits` (n, v), in place; with targets, writes `losses` (n).
pub fn forward(probs: &mut [f32], losses: &mut [f32], targets: Option<&[u32]>, n: usize, v: usize, par: Par) {
    let (probs, losses) = (Disjoint::new(&mut probs[..n * v]), Disjoint::new(&mut losses[..n]));
    for_each_rows(n, par, &|r0, r1| {
        // SAFETY: row blocks are disjoint.
        let (probs, losses) = unsafe { (probs.rows(r0, r1, v), losses.rows(r0, r1, 1)) };
        for (k, row) in probs.chunks_exact_mut(v).enumerate() {
            softmax_row(row);
            if let Some(t) = targets {
                losses[k] = -row[t[r0 + k] as usize].max(f32::MIN_POSITIVE).ln();
            }
        }
    });
}

/// The mean of per-position losses, summed in f64 (thousands of terms).
pub fn mean(losses: &[f32]) -> f32 {
    (losses.iter().map(|&l| l as f64).sum::<f64>() / losses.len() as f64) as f32
}

/// In-place softmax of one row (max subtracted for stability).
pub fn softmax_row(row: &mut [f32]) {
    let m = vecmath::max(row);
    for x in row.iter_mut() {
        *x = vecmath::exp(*x - m);
    }
    let inv = 1.0 / vecmath::sum(row);
    for x in row.iter_mut() {
        *x *= inv;
    }
}

/// Turn probabilities into the gradient of `dloss` × (sum of row losses), in place.
/// For the mean loss over n rows, `dloss` = 1/n.
pub fn backward(probs: &mut [f32], targets: &[u32], dloss: f32, n: usize, v: usize, par: Par) {
    let probs = Disjoint::new(&mut probs[..n * v]);
    for_each_rows(n, par, &|r0, r1| {
        // SAFETY: row blocks are disjoint.
        let probs = unsafe { probs.rows(r0, r1, v) };
        for (k, row) in probs.chunks_exact_mut(v).enumerate() {
            for p in row.iter_mut() {
                *p *= dloss;
            }
            row[targets[r0 + k] as usize] -= dloss;
        }
    });
}
