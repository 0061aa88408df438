//! Softmax and cross-entropy, fused: the loss layer, where every backward pass starts.
//!
//! Forward:  p = softmax(logits) row by row (in place), loss_i = −ln p_i[target_i]
//! Backward: for `scale` × the mean loss over n rows, dlogits = scale · (p − onehot(target)) / n,
//!           written in place over the probabilities (the one gradient that is not added to a
//!           buffer: it is the first one of the pass, see `model/mod.rs`).
//! Each of the n rows is independent; with a 4096-word vocabulary this is the largest
//! non-matrix cost of a step, so it runs one block of rows per thread.

use crate::linalg::{for_each_row_block, vecmath, Par, Rows};

/// Softmax of each row of `logits` (n, v), in place; with targets, writes `losses` (n).
pub fn forward(probs: &mut [f32], losses: &mut [f32], targets: Option<&[u32]>, n: usize, v: usize, par: Par) {
    let blocks = (Rows::new(&mut probs[..n * v], v), Rows::new(&mut losses[..n], 1));
    for_each_row_block(blocks, n, 1, par, &|r0, (mut probs, mut losses)| {
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
/// For `scale` × the mean loss over n rows, `dloss` = scale / n.
pub fn backward(probs: &mut [f32], targets: &[u32], dloss: f32, n: usize, v: usize, par: Par) {
    for_each_row_block(Rows::new(&mut probs[..n * v], v), n, 1, par, &|r0, mut probs| {
        for (k, row) in probs.chunks_exact_mut(v).enumerate() {
            for p in row.iter_mut() {
                *p *= dloss;
            }
            row[targets[r0 + k] as usize] -= dloss;
        }
    });
}

/// The index of the largest entry of each row of `probs` (n, v) (the first one on ties).
pub fn argmax_rows(out: &mut [u32], probs: &[f32], v: usize) {
    for (o, row) in out.iter_mut().zip(probs.chunks_exact(v)) {
        *o = argmax(row) as u32;
    }
}

/// Index of the largest entry (the first one on ties).
pub fn argmax(xs: &[f32]) -> usize {
    xs.iter().enumerate().fold(0, |best, (i, &x)| if x > xs[best] { i } else { best })
}
