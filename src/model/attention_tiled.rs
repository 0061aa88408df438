//! Causal self-attention fused and tiled, the way FlashAttention (Dao et al. 2022) does it on a
//! GPU, here on a CPU core: the (t, t) weights of a head are never stored. [`attention`]
//! (super::attention) is the reference it is tested against; the Transformer trains with this
//! on windows longer than one [`TILE`], and with the reference on shorter ones.
//!
//! Forward, per (batch row, head), for each block of [`TILE`] queries and each block of keys at
//! or before it (blocks above the diagonal are skipped: the causal mask makes them zero):
//!     S = q·kᵀ / √hd                         one (TILE, TILE) tile, in cache
//!     m' = max(m, rowmax S),  P = e^{S − m'}  (masked right of the diagonal)
//!     l = l·e^{m − m'} + rowsum P,  acc = acc·e^{m − m'} + P·v,  m = m'
//! then y = acc / l, and each row keeps only lse = m + ln l (its log-sum-exp). Backward rebuilds
//! any tile of weights from lse, P = e^{S − lse}, with D_i = dy_i·y_i:
//!     dv += Pᵀ·dy,  dP = dy·vᵀ,  dS = P ⊙ (dP − D) / √hd,  dq += dS·k,  dk += dSᵀ·q
//! Memory per head drops from t² weights to t numbers, and the tiles above the diagonal are never
//! computed: (k − 1) / 2k of them for k tiles a side, 37.5% at t = 1024 with tiles of 128, none
//! at t ≤ 128 (one tile, whose backward then recomputes what the reference keeps: the reference
//! is faster there). Batch rows are independent, so each thread takes a block of them.

use crate::linalg::{for_each_row_block, matmul, rows, rows_mut, strided, strided_mut, vecmath, Accum, Par, Rows};

/// Queries (and keys) per tile: a (128, 128) tile of scores is 64 KB, well inside L2. Measured
/// at T = 1024 on one thread: 64 → 82 ms of attention per step, 128 → 72 ms, 256 → 73 ms.
pub const TILE: usize = 128;

/// Scratch floats per batch row (the forward's tile, accumulator and running max and sum; the
/// backward's two tiles and D).
pub fn scratch_floats(t: usize, hd: usize) -> usize {
    let tile = TILE.min(t);
    2 * tile * tile + tile * hd + 2 * tile + t
}

/// out (b, t, c) and `lse` (b, n_heads, t), each row's log-sum-exp of its scores, from
/// qkv (b, t, 3c). `scratch` holds [`scratch_floats`] per batch row.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    out: &mut [f32],
    lse: &mut [f32],
    scratch: &mut [f32],
    qkv: &[f32],
    b: usize,
    t: usize,
    c: usize,
    n_heads: usize,
    par: Par,
) {
    let hd = c / n_heads;
    let (tile, per) = (TILE.min(t), scratch_floats(t, hd));
    let blocks = (
        Rows::new(&mut out[..b * t * c], t * c),
        Rows::new(&mut lse[..b * n_heads * t], n_heads * t),
        Rows::new(&mut scratch[..b * per], per),
    );
    for_each_row_block(blocks, b, 1, par, &|b0, (mut out, mut lse, mut scratch)| {
        for bi in 0..out.len() / (t * c) {
            let qkv = &qkv[(b0 + bi) * t * 3 * c..(b0 + bi + 1) * t * 3 * c];
            let out = &mut out[bi * t * c..(bi + 1) * t * c];
            let (s, rest) = scratch[bi * per..(bi + 1) * per].split_at_mut(tile * tile);
            let (acc, rest) = rest.split_at_mut(tile * hd);
            let (m, rest) = rest.split_at_mut(tile);
            let l = &mut rest[..tile];
            for h in 0..n_heads {
                let lse = &mut lse[(bi * n_heads + h) * t..(bi * n_heads + h + 1) * t];
                for i0 in (0..t).step_by(tile) {
                    let br = tile.min(t - i0);
                    let q = strided(&qkv[i0 * 3 * c + h * hd..], br, hd, 3 * c);
                    acc[..br * hd].fill(0.0);
                    m.fill(f32::NEG_INFINITY);
                    l.fill(0.0);
                    for j0 in (0..=i0).step_by(tile) {
                        let bc = tile.min(t - j0);
                        let s = &mut s[..br * bc];
                        let k = strided(&qkv[j0 * 3 * c + c + h * hd..], bc, hd, 3 * c);
                        matmul(rows_mut(s, br, bc), Accum::Replace, q, k.transpose(), Par::Seq);
                        for (r, row) in s.chunks_exact_mut(bc).enumerate() {
                            let (seen, future) = row.split_at_mut(visible(i0 + r, j0, bc));
                            future.fill(0.0);
                            seen.iter_mut().for_each(|x| *x *= scale(hd));
                            let m_new = m[r].max(vecmath::max(seen));
                            let keep = vecmath::exp(m[r] - m_new);
                            l[r] = l[r] * keep + vecmath::exp_sum(seen, m_new);
                            acc[r * hd..(r + 1) * hd].iter_mut().for_each(|a| *a *= keep);
                            m[r] = m_new;
                        }
                        let v = strided(&qkv[j0 * 3 * c + 2 * c + h * hd..], bc, hd, 3 * c);
                        matmul(rows_mut(acc, br, hd), Accum::Add, rows(s, br, bc), v, Par::Seq);
                    }
                    for r in 0..br {
                        let y = &mut out[(i0 + r) * c + h * hd..(i0 + r) * c + (h + 1) * hd];
                        let inv = 1.0 / l[r];
                        y.iter_mut().zip(&acc[r * hd..(r + 1) * hd]).for_each(|(y, a)| *y = a * inv);
                        lse[i0 + r] = m[r] + l[r].ln();
                    }
                }
            }
        }
    });
}

/// dqkv (b, t, 3c) += the gradient from dout (b, t, c), given the forward's `out` and `lse`.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    dqkv: &mut [f32],
    scratch: &mut [f32],
    dout: &[f32],
    qkv: &[f32],
    out: &[f32],
    lse: &[f32],
    b: usize,
    t: usize,
    c: usize,
    n_heads: usize,
    par: Par,
) {
    let hd = c / n_heads;
    let (tile, per) = (TILE.min(t), scratch_floats(t, hd));
    let blocks = (Rows::new(&mut dqkv[..b * t * 3 * c], t * 3 * c), Rows::new(&mut scratch[..b * per], per));
    for_each_row_block(blocks, b, 1, par, &|b0, (mut dqkv, mut scratch)| {
        for bi in 0..scratch.len() / per {
            let bg = b0 + bi;
            let qkv = &qkv[bg * t * 3 * c..(bg + 1) * t * 3 * c];
            let (dout, out) = (&dout[bg * t * c..(bg + 1) * t * c], &out[bg * t * c..(bg + 1) * t * c]);
            let dqkv = &mut dqkv[bi * t * 3 * c..(bi + 1) * t * 3 * c];
            let (p, rest) = scratch[bi * per..(bi + 1) * per].split_at_mut(tile * tile);
            let (dp, rest) = rest.split_at_mut(tile * tile);
            let d_row = &mut rest[..t];
            for h in 0..n_heads {
                let lse = &lse[(bg * n_heads + h) * t..(bg * n_heads + h + 1) * t];
                for (i, d) in d_row.iter_mut().enumerate() {
                    let cols = i * c + h * hd..i * c + (h + 1) * hd;
                    *d = vecmath::dot(&dout[cols.clone()], &out[cols]);
                }
                for i0 in (0..t).step_by(tile) {
                    let br = tile.min(t - i0);
                    let q = strided(&qkv[i0 * 3 * c + h * hd..], br, hd, 3 * c);
                    let dy = strided(&dout[i0 * c + h * hd..], br, hd, c);
                    for j0 in (0..=i0).step_by(tile) {
                        let bc = tile.min(t - j0);
                        let (p, dp) = (&mut p[..br * bc], &mut dp[..br * bc]);
                        let k = strided(&qkv[j0 * 3 * c + c + h * hd..], bc, hd, 3 * c);
                        let v = strided(&qkv[j0 * 3 * c + 2 * c + h * hd..], bc, hd, 3 * c);
                        matmul(rows_mut(p, br, bc), Accum::Replace, q, k.transpose(), Par::Seq);
                        for (r, row) in p.chunks_exact_mut(bc).enumerate() {
                            let (seen, future) = row.split_at_mut(visible(i0 + r, j0, bc));
                            future.fill(0.0);
                            let shift = lse[i0 + r];
                            seen.iter_mut().for_each(|x| *x = vecmath::exp(*x * scale(hd) - shift));
                        }
                        let dv = strided_mut(&mut dqkv[j0 * 3 * c + 2 * c + h * hd..], bc, hd, 3 * c);
                        matmul(dv, Accum::Add, rows(p, br, bc).transpose(), dy, Par::Seq);
                        matmul(rows_mut(dp, br, bc), Accum::Replace, dy, v.transpose(), Par::Seq);
                        for (r, (ds, pr)) in dp.chunks_exact_mut(bc).zip(p.chunks_exact(bc)).enumerate() {
                            let d = d_row[i0 + r];
                            ds.iter_mut().zip(pr).for_each(|(g, &p)| *g = p * (*g - d) * scale(hd));
                        }
                        let ds = rows(dp, br, bc);
                        matmul(
                            strided_mut(&mut dqkv[i0 * 3 * c + h * hd..], br, hd, 3 * c),
                            Accum::Add,
                            ds,
                            k,
                            Par::Seq,
                        );
                        let dk = strided_mut(&mut dqkv[j0 * 3 * c + c + h * hd..], bc, hd, 3 * c);
                        matmul(dk, Accum::Add, ds.transpose(), q, Par::Seq);
                    }
                }
            }
        }
    });
}

/// The attention weights of batch row `row`, (n_heads, t, t), rebuilt from qkv and `lse`:
/// what the dashboard draws (zero above the diagonal).
pub fn weights(qkv: &[f32], lse: &[f32], row: usize, t: usize, c: usize, n_heads: usize) -> Vec<Vec<f32>> {
    let hd = c / n_heads;
    let qkv = &qkv[row * t * 3 * c..(row + 1) * t * 3 * c];
    (0..n_heads)
        .map(|h| {
            let mut a = vec![0.0; t * t];
            let q = strided(&qkv[h * hd..], t, hd, 3 * c);
            let k = strided(&qkv[c + h * hd..], t, hd, 3 * c);
            matmul(rows_mut(&mut a, t, t), Accum::Replace, q, k.transpose(), Par::Seq);
            let lse = &lse[(row * n_heads + h) * t..(row * n_heads + h + 1) * t];
            for (i, r) in a.chunks_exact_mut(t).enumerate() {
                let (seen, future) = r.split_at_mut(i + 1);
                seen.iter_mut().for_each(|x| *x = vecmath::exp(*x * scale(hd) - lse[i]));
                future.fill(0.0);
            }
            a
        })
        .collect()
}

/// Keys of a tile starting at key `j0` (of `bc`) that query `i` may see: j ≤ i.
fn visible(i: usize, j0: usize, bc: usize) -> usize {
    debug_assert!(i >= j0, "a tile right of the diagonal");
    (i + 1 - j0).min(bc)
}

fn scale(hd: usize) -> f32 {
    1.0 / (hd as f32).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::Threads;
    use crate::model::attention;
    use crate::rng::Rng;

    #[test]
    fn tiled_attention_matches_the_reference_at_awkward_lengths_and_thread_counts() {
        let rng = Rng::new(5);
        for &(b, t, c, nh) in
            &[(1, 1, 4, 2), (2, 3, 8, 2), (3, 63, 8, 1), (2, 64, 16, 4), (2, 65, 8, 2), (1, 200, 8, 2)]
        {
            let hd = c / nh;
            let (mut qkv, mut dout) = (vec![0.0; b * t * 3 * c], vec![0.0; b * t * c]);
            rng.fork(t as u64).fill_normal(&mut qkv, 1.0);
            rng.fork(t as u64 + 1).fill_normal(&mut dout, 1.0);
            let (mut want, mut att) = (vec![0.0; b * t * c], vec![0.0; b * nh * t * t]);
            attention::forward(&mut want, &mut att, &qkv, b, t, c, nh, Par::Seq);
            let mut want_d = vec![0.5; b * t * 3 * c];
            attention::backward(&mut want_d, &mut vec![0.0; b * t * t], &dout, &qkv, &att, b, t, c, nh, Par::Seq);
            for threads in [1, 2, 3] {
                let (mut out, mut lse) = (vec![0.0; b * t * c], vec![0.0; b * nh * t]);
                let mut scratch = vec![0.0; b * scratch_floats(t, hd)];
                let mut d = vec![0.5; b * t * 3 * c];
                Threads::new(threads).unwrap().install(|e| {
                    forward(&mut out, &mut lse, &mut scratch, &qkv, b, t, c, nh, e.par);
                    backward(&mut d, &mut scratch, &dout, &qkv, &out, &lse, b, t, c, nh, e.par);
                });
                let close = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                assert!(close(&out, &want) < 1e-5, "b {b} t {t} threads {threads}: out {}", close(&out, &want));
                assert!(close(&d, &want_d) < 1e-4, "b {b} t {t} threads {threads}: dqkv {}", close(&d, &want_d));
                for row in 0..b {
                    let maps: Vec<f32> = weights(&qkv, &lse, row, t, c, nh).concat();
                    let reference = &att[row * nh * t * t..(row + 1) * nh * t * t];
                    assert!(close(&maps, reference) < 1e-5, "b {b} t {t}: weights of row {row}");
                }
            }
        }
    }
}
