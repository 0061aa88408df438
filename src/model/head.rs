//! The output layer fused with its loss, for training: logits = x·W + b, softmax, cross-entropy
//! and the gradients of all three, a block of rows at a time while that block is in cache.
//!
//! Unfused (`linear::forward`, `softmax_ce::forward`, then `softmax_ce::backward`,
//! `linear::backward`), the (n, v) logits — 32 MB at the standard sizes, the largest tensor of a
//! step — are written, read and rewritten seven times, and the bias is copied into every row
//! before the product adds to it. Here each thread takes its rows [`CHUNK`] at a time:
//!     s     = x_c·W                   (CHUNK, v)   into a scratch block that stays in L2
//!     p     = softmax(s + b),  loss_i = ln Σ_j e^{s_ij − m_i} − (s_it − m_i)
//!     dlogit = dloss · (p − onehot(t))                  (in place)
//!     dx_c += dlogit·Wᵀ,  dW += x_cᵀ·dlogit,  db += Σ_rows dlogit
//! The three products are the same FLOPs as the unfused layer's; what goes is the memory
//! traffic of the logits and the bias copy. The loss comes from the log-sum-exp, which is also
//! more accurate than −ln p for a tiny p.
//!
//! The weight gradient's left factor x_cᵀ is copied out by rows first (64 KB a block at the
//! standard sizes): faer runs a factor that is the transpose of a row-major matrix more slowly
//! than a row-major one. On one thread of an AMD EPYC (Zen 3), the criterion bench of this layer
//! with old and new code alternating six times: new faster in five, medians 92.3 → 91.4 ms,
//! best 89.5 → 87.1 (the profile's row: 92.6 / 94.2 → 87.8 / 90.7 ms). Copying Wᵀ out once per
//! call for dx's product, which faer alone ran 8% faster, made the layer 2–3% slower in the
//! profile, so W is read as it is.
//!
//! Threads take contiguous blocks of rows, as even as rows allow; with more than one, each block
//! adds its dW and db into a partial of its own, and the partials are summed in block order
//! afterwards, so a thread count gives the same bits every run.
//! Prediction and evaluation keep the unfused path: they need the probabilities themselves.

use rayon::prelude::*;

use crate::linalg::{matmul, rows, rows_mut, vecmath, Accum, Par};

use super::{linear, softmax_ce};

/// Rows of logits per block: 128 × 4096 floats are 2 MB, this machine class's L2.
pub const CHUNK: usize = 128;

/// Gradients of `dloss` × Σ losses through the head, added into `dinp` (n, d), `dw` (d, v)
/// and `db` (v); `losses` (n) gets each row's cross-entropy. `dloss` = scale / n for `scale` ×
/// the mean loss. `scratch` is the caller's, kept between steps (it grows once, to
/// [`scratch_floats`]), so a training step allocates nothing.
#[allow(clippy::too_many_arguments)]
pub fn train(
    (dinp, dw, db): (&mut [f32], &mut [f32], &mut [f32]),
    losses: &mut [f32],
    scratch: &mut Vec<f32>,
    inp: &[f32],
    (w, b): (&[f32], &[f32]),
    targets: &[u32],
    dloss: f32,
    (n, d, v): (usize, usize, usize),
    par: Par,
) {
    let blocks = blocks(par.degree(), n);
    let need = scratch_floats(par.degree(), n, d, v);
    if scratch.len() < need {
        scratch.resize(need, 0.0);
    }
    let scratch = &mut scratch[..need];
    let (dinp, losses) = (&mut dinp[..n * d], &mut losses[..n]);
    if blocks == 1 {
        let (logits, xt) = scratch.split_at_mut(CHUNK.min(n) * v);
        rows_block(dinp, (dw, db), losses, (logits, xt), inp, (w, b), targets, dloss, (d, v));
        return;
    }
    // Each block adds its dW and db into a partial of its own; the partials are summed below, in
    // block order.
    let per = n.div_ceil(blocks);
    let work = work_floats(d, v);
    let each = work + d * v + v;
    dinp.par_chunks_mut(per * d)
        .zip(losses.par_chunks_mut(per))
        .zip(scratch.par_chunks_mut(each))
        .enumerate()
        .for_each(|(k, ((dinp, losses), own))| {
            let (own, partial) = own.split_at_mut(work);
            partial.fill(0.0);
            let (pw, pb) = partial.split_at_mut(d * v);
            let rows = k * per..k * per + losses.len();
            let (inp, targets) = (&inp[rows.start * d..rows.end * d], &targets[rows]);
            let (logits, xt) = own.split_at_mut(CHUNK * v);
            rows_block(dinp, (pw, pb), losses, (logits, xt), inp, (w, b), targets, dloss, (d, v));
        });
    let used = n.div_ceil(per);
    let partials = &scratch[..used * each];
    let rows_per = d.div_ceil(blocks);
    dw.par_chunks_mut(rows_per * v).enumerate().for_each(|(k, out)| {
        let at = work + k * rows_per * v;
        for own in partials.chunks_exact(each) {
            vecmath::add_assign(out, &own[at..at + out.len()]);
        }
    });
    for own in partials.chunks_exact(each) {
        vecmath::add_assign(db, &own[work + d * v..]);
    }
}

/// The scratch [`train`] needs for `n` rows on `threads` threads: per thread that has rows one
/// block of logits and one of x_cᵀ, and with more than one thread a dW and db partial.
pub fn scratch_floats(threads: usize, n: usize, d: usize, v: usize) -> usize {
    match blocks(threads, n) {
        1 => CHUNK.min(n) * (v + d),
        k => k * (work_floats(d, v) + d * v + v),
    }
}

/// One thread's working blocks: logits (CHUNK, v) and x_cᵀ (d, CHUNK).
fn work_floats(d: usize, v: usize) -> usize {
    CHUNK * (v + d)
}

/// `dst` (cols, rows) = `src` (rows, cols)ᵀ, both row-major.
fn transpose(dst: &mut [f32], src: &[f32], rows: usize, cols: usize) {
    for (i, row) in src[..rows * cols].chunks_exact(cols).enumerate() {
        for (j, &x) in row.iter().enumerate() {
            dst[j * rows + i] = x;
        }
    }
}

/// Threads [`train`] gives rows to: no more than there are blocks of rows.
fn blocks(threads: usize, n: usize) -> usize {
    threads.clamp(1, n.div_ceil(CHUNK).max(1))
}

/// The unfused forward that evaluation and prediction use: `probs` (n, v) = softmax(x·W + b),
/// kept for read-back, and with targets each row's loss in `losses`.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    probs: &mut [f32],
    losses: &mut [f32],
    targets: Option<&[u32]>,
    inp: &[f32],
    (w, b): (&[f32], &[f32]),
    (n, d, v): (usize, usize, usize),
    par: Par,
) {
    linear::forward(probs, inp, w, b, n, d, v, par);
    softmax_ce::forward(probs, losses, targets, n, v, par);
}

/// The backward of [`forward`]: `probs` become dloss · (p − onehot) in place, and the gradients
/// are added into `dinp`, `dw` and `db`.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    (dinp, dw, db): (&mut [f32], &mut [f32], &mut [f32]),
    probs: &mut [f32],
    targets: &[u32],
    inp: &[f32],
    w: &[f32],
    dloss: f32,
    (n, d, v): (usize, usize, usize),
    par: Par,
) {
    softmax_ce::backward(probs, targets, dloss, n, v, par);
    linear::backward(Some(dinp), dw, db, probs, inp, w, n, d, v, par);
}

/// One thread's rows, [`CHUNK`] at a time; `xt` holds each block's x_cᵀ.
#[allow(clippy::too_many_arguments)]
fn rows_block(
    dinp: &mut [f32],
    (dw, db): (&mut [f32], &mut [f32]),
    losses: &mut [f32],
    (scratch, xt): (&mut [f32], &mut [f32]),
    inp: &[f32],
    (w, b): (&[f32], &[f32]),
    targets: &[u32],
    dloss: f32,
    (d, v): (usize, usize),
) {
    let n = losses.len();
    for start in (0..n).step_by(CHUNK) {
        let r = CHUNK.min(n - start);
        let (x, s) = (&inp[start * d..(start + r) * d], &mut scratch[..r * v]);
        matmul(rows_mut(s, r, v), Accum::Replace, rows(x, r, d), rows(w, d, v), Par::Seq);
        for (i, row) in s.chunks_exact_mut(v).enumerate() {
            losses[start + i] = softmax_gradient(row, b, db, targets[start + i] as usize, dloss);
        }
        let s = rows(s, r, v);
        matmul(rows_mut(&mut dinp[start * d..], r, d), Accum::Add, s, rows(w, d, v).transpose(), Par::Seq);
        transpose(xt, x, r, d);
        matmul(rows_mut(dw, d, v), Accum::Add, rows(xt, d, r), s, Par::Seq);
    }
}

/// Turn one row of logits (bias not yet added) into dloss · (softmax − onehot(target)), in
/// place, and add it into `db`; returns the row's cross-entropy. Three passes over a row that
/// sits in L1: bias and max, exponentials and their sum, scale and bias gradient.
fn softmax_gradient(row: &mut [f32], bias: &[f32], db: &mut [f32], target: usize, dloss: f32) -> f32 {
    let m = vecmath::add_max(row, bias);
    let logit = row[target] - m;
    let sum = vecmath::exp_sum(row, m);
    let scale = dloss / sum;
    for (x, g) in row.iter_mut().zip(db.iter_mut()) {
        *x *= scale;
        *g += *x;
    }
    row[target] -= dloss;
    db[target] -= dloss;
    sum.ln() - logit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::Threads;
    use crate::rng::Rng;

    /// The unfused layers: linear, softmax + cross-entropy, and back.
    #[allow(clippy::too_many_arguments)]
    fn unfused(x: &[f32], w: &[f32], b: &[f32], t: &[u32], dloss: f32, n: usize, d: usize, v: usize) -> [Vec<f32>; 4] {
        let (mut probs, mut losses) = (vec![0.0; n * v], vec![0.0; n]);
        forward(&mut probs, &mut losses, Some(t), x, (w, b), (n, d, v), Par::Seq);
        let (mut dx, mut dw, mut db) = (vec![0.5; n * d], vec![0.25; d * v], vec![-1.0; v]);
        backward((&mut dx, &mut dw, &mut db), &mut probs, t, x, w, dloss, (n, d, v), Par::Seq);
        [dx, dw, db, losses]
    }

    #[test]
    fn fused_head_matches_the_unfused_layers_at_awkward_sizes_and_thread_counts() {
        let rng = Rng::new(11);
        for &(n, d, v) in &[(1, 3, 5), (7, 4, 33), (CHUNK + 1, 8, 50), (3 * CHUNK - 5, 16, 97), (4 * CHUNK, 4, 9)] {
            let (mut x, mut w, mut b) = (vec![0.0; n * d], vec![0.0; d * v], vec![0.0; v]);
            rng.fork(1).fill_normal(&mut x, 1.0);
            rng.fork(2).fill_normal(&mut w, 0.5);
            rng.fork(3).fill_normal(&mut b, 0.5);
            let t: Vec<u32> = (0..n).map(|i| ((i * 7 + 3) % v) as u32).collect();
            let dloss = 0.7 / n as f32;
            let want = unfused(&x, &w, &b, &t, dloss, n, d, v);
            for threads in [1, 2, 3] {
                let (mut dx, mut dw, mut db) = (vec![0.5; n * d], vec![0.25; d * v], vec![-1.0; v]);
                let (mut losses, mut scratch) = (vec![0.0; n], Vec::new());
                Threads::new(threads).unwrap().install(|e| {
                    let outs = (&mut dx[..], &mut dw[..], &mut db[..]);
                    train(outs, &mut losses, &mut scratch, &x, (&w, &b), &t, dloss, (n, d, v), e.par)
                });
                for (name, got, want) in
                    [("dx", &dx, &want[0]), ("dw", &dw, &want[1]), ("db", &db, &want[2]), ("loss", &losses, &want[3])]
                {
                    let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                    assert!(worst < 1e-5, "{n}x{d}x{v}, {threads} threads: {name} off by {worst}");
                }
            }
        }
    }
}
