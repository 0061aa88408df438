//! Causal multi-head self-attention (the part of the Transformer that reads all positions at once).
//!
//! Input qkv (b, t, 3c) holds q, k, v side by side; head h uses columns h·hd .. (h+1)·hd of each,
//! hd = c / n_heads.
//! Forward, per (batch row, head):
//!     S = q·kᵀ / √hd               (t, t)
//!     A = softmax(S) over j ≤ i     (t, t), zero above the diagonal: no peeking at the future
//!     y = A·v                       (t, hd), written into columns h·hd.. of out (b, t, c)
//! Backward, with dy the head's columns of dout:
//!     dv += Aᵀ·dy,  dA = dy·vᵀ,
//!     dS_ij = A_ij·(dA_ij − Σ_k A_ik·dA_ik) / √hd   (softmax backward, scaled)
//!     dq += dS·k,  dk += dSᵀ·q
//! All positions of a window are computed together, in a few products. Batch rows are
//! independent, so each thread takes a block of them. The Transformer trains with this on
//! windows of one attention tile or less (the tiled kernels of `attention_tiled` would only
//! rebuild these weights in their backward), and with the tiled kernels on longer ones.

use crate::linalg::{for_each_row_block, matmul, rows, rows_mut, strided, strided_mut, Accum, Par, Rows};

use super::softmax_ce::softmax_row;

/// out (b, t, c) and att (b, n_heads, t, t) from qkv (b, t, 3c).
#[allow(clippy::too_many_arguments)]
pub fn forward(out: &mut [f32], att: &mut [f32], qkv: &[f32], b: usize, t: usize, c: usize, n_heads: usize, par: Par) {
    let hd = c / n_heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let blocks = (Rows::new(&mut out[..b * t * c], t * c), Rows::new(&mut att[..b * n_heads * t * t], n_heads * t * t));
    for_each_row_block(blocks, b, 1, par, &|b0, (mut out, mut att)| {
        for bi in 0..out.len() / (t * c) {
            let qkv = &qkv[(b0 + bi) * t * 3 * c..(b0 + bi + 1) * t * 3 * c];
            let out = &mut out[bi * t * c..(bi + 1) * t * c];
            for h in 0..n_heads {
                let a = &mut att[(bi * n_heads + h) * t * t..(bi * n_heads + h + 1) * t * t];
                let q = strided(&qkv[h * hd..], t, hd, 3 * c);
                let k = strided(&qkv[c + h * hd..], t, hd, 3 * c);
                let v = strided(&qkv[2 * c + h * hd..], t, hd, 3 * c);
                matmul(rows_mut(a, t, t), Accum::Replace, q, k.transpose(), Par::Seq);
                for (i, row) in a.chunks_exact_mut(t).enumerate() {
                    let (past, future) = row.split_at_mut(i + 1);
                    past.iter_mut().for_each(|s| *s *= scale);
                    softmax_row(past);
                    future.fill(0.0);
                }
                matmul(strided_mut(&mut out[h * hd..], t, hd, c), Accum::Replace, rows(a, t, t), v, Par::Seq);
            }
        }
    });
}

/// dqkv (b, t, 3c) += the gradient from dout (b, t, c); `scratch` (b, t, t) is overwritten.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    dqkv: &mut [f32],
    scratch: &mut [f32],
    dout: &[f32],
    qkv: &[f32],
    att: &[f32],
    b: usize,
    t: usize,
    c: usize,
    n_heads: usize,
    par: Par,
) {
    let hd = c / n_heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let blocks = (Rows::new(&mut dqkv[..b * t * 3 * c], t * 3 * c), Rows::new(&mut scratch[..b * t * t], t * t));
    for_each_row_block(blocks, b, 1, par, &|b0, (mut dqkv_blk, mut scratch)| {
        for bi in 0..scratch.len() / (t * t) {
            let bg = b0 + bi;
            let qkv = &qkv[bg * t * 3 * c..(bg + 1) * t * 3 * c];
            let dout = &dout[bg * t * c..(bg + 1) * t * c];
            let dqkv = &mut dqkv_blk[bi * t * 3 * c..(bi + 1) * t * 3 * c];
            let da = &mut scratch[bi * t * t..(bi + 1) * t * t];
            for h in 0..n_heads {
                let a = &att[(bg * n_heads + h) * t * t..(bg * n_heads + h + 1) * t * t];
                let dy = strided(&dout[h * hd..], t, hd, c);
                let q = strided(&qkv[h * hd..], t, hd, 3 * c);
                let k = strided(&qkv[c + h * hd..], t, hd, 3 * c);
                let v = strided(&qkv[2 * c + h * hd..], t, hd, 3 * c);
                let a_mat = rows(a, t, t);
                matmul(
                    strided_mut(&mut dqkv[2 * c + h * hd..], t, hd, 3 * c),
                    Accum::Add,
                    a_mat.transpose(),
                    dy,
                    Par::Seq,
                );
                matmul(rows_mut(da, t, t), Accum::Replace, dy, v.transpose(), Par::Seq);
                for (i, (drow, arow)) in da.chunks_exact_mut(t).zip(a.chunks_exact(t)).enumerate() {
                    let dot: f32 = drow[..=i].iter().zip(&arow[..=i]).map(|(d, a)| d * a).sum();
                    for j in 0..=i {
                        drow[j] = arow[j] * (drow[j] - dot) * scale;
                    }
                    drow[i + 1..].fill(0.0);
                }
                let ds = rows(da, t, t);
                matmul(strided_mut(&mut dqkv[h * hd..], t, hd, 3 * c), Accum::Add, ds, k, Par::Seq);
                matmul(strided_mut(&mut dqkv[c + h * hd..], t, hd, 3 * c), Accum::Add, ds.transpose(), q, Par::Seq);
            }
        }
    });
}
