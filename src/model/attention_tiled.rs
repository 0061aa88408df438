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
//! is faster there).
//!
//! The unit of parallel work is one (batch row, head). Long windows come in few rows — the
//! standard 2,048 tokens a step are 2 rows at t = 1,024 — so rows alone would keep at most two
//! threads busy however many cores there are; with 4 heads a step has 8 units. A head's output
//! and gradients are columns interleaved with the other heads' in every row of `out` and
//! `dqkv`, so each unit writes its own contiguous (t, hd) planes in scratch, and a second pass,
//! parallel over the rows of `out` (`dqkv`), gathers the heads into place: one more read of
//! 1 MB (3 MB) per layer at the standard size, against tens of milliseconds of attention.

use crate::linalg::{for_each_row_block, matmul, rows, rows_mut, strided, vecmath, Accum, Par, Rows};

/// Queries (and keys) per tile: a (128, 128) tile of scores is 64 KB, well inside L2. Measured
/// at T = 1024 on one thread: 64 → 82 ms of attention per step, 128 → 72 ms, 256 → 73 ms.
pub const TILE: usize = 128;

/// Scratch floats per (batch row, head): the larger of the forward's (the head's output
/// plane, one tile of scores, its accumulator, running max and sum) and the backward's (the
/// head's dq, dk and dv planes, two tiles, and D). Only the planes must outlive a unit; the
/// tiles could be one set per thread, but per unit the layout does not depend on the thread
/// count, and at the standard 2,048 tokens a step all units together take 4–7 MB (T = 1,024
/// down to 256).
pub fn scratch_floats(t: usize, hd: usize) -> usize {
    let tile = TILE.min(t);
    let forward = t * hd + tile * tile + tile * hd + 2 * tile;
    let backward = 3 * t * hd + 2 * tile * tile + t;
    forward.max(backward)
}

/// out (b, t, c) and `lse` (b, n_heads, t), each row's log-sum-exp of its scores, from
/// qkv (b, t, 3c). `scratch` holds [`scratch_floats`] per (batch row, head).
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
    let (tile, per, units) = (TILE.min(t), scratch_floats(t, hd), b * n_heads);
    let blocks = (Rows::new(&mut lse[..units * t], t), Rows::new(&mut scratch[..units * per], per));
    for_each_row_block(blocks, units, 1, par, &|u0, (mut lse, mut scratch)| {
        for (u, (lse, scratch)) in (u0..).zip(lse.chunks_exact_mut(t).zip(scratch.chunks_exact_mut(per))) {
            let (bi, h) = (u / n_heads, u % n_heads);
            let qkv = &qkv[bi * t * 3 * c..(bi + 1) * t * 3 * c];
            let (y, rest) = scratch.split_at_mut(t * hd);
            let (s, rest) = rest.split_at_mut(tile * tile);
            let (acc, rest) = rest.split_at_mut(tile * hd);
            let (m, l) = rest[..2 * tile].split_at_mut(tile);
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
                    let inv = 1.0 / l[r];
                    let y = &mut y[(i0 + r) * hd..(i0 + r + 1) * hd];
                    y.iter_mut().zip(&acc[r * hd..(r + 1) * hd]).for_each(|(y, a)| *y = a * inv);
                    lse[i0 + r] = m[r] + l[r].ln();
                }
            }
        }
    });
    gather_heads(out, scratch, 1, b, t, c, n_heads, par);
}

/// dqkv (b, t, 3c) = the gradient from dout (b, t, c), given the forward's `out` and `lse`:
/// every element is written, so dqkv need not be cleared first.
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
    let (tile, per, units) = (TILE.min(t), scratch_floats(t, hd), b * n_heads);
    for_each_row_block(Rows::new(&mut scratch[..units * per], per), units, 1, par, &|u0, mut scratch| {
        for (u, scratch) in (u0..).zip(scratch.chunks_exact_mut(per)) {
            let (bi, h) = (u / n_heads, u % n_heads);
            let qkv = &qkv[bi * t * 3 * c..(bi + 1) * t * 3 * c];
            let (dout, out) = (&dout[bi * t * c..(bi + 1) * t * c], &out[bi * t * c..(bi + 1) * t * c]);
            let lse = &lse[u * t..(u + 1) * t];
            // This head's gradients as three contiguous (t, hd) planes: dq, dk, dv.
            let (planes, rest) = scratch.split_at_mut(3 * t * hd);
            planes.fill(0.0);
            let (dq, dkv) = planes.split_at_mut(t * hd);
            let (dk, dv) = dkv.split_at_mut(t * hd);
            let (p, rest) = rest.split_at_mut(tile * tile);
            let (dp, rest) = rest.split_at_mut(tile * tile);
            let d_row = &mut rest[..t];
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
                    let dv = rows_mut(&mut dv[j0 * hd..], bc, hd);
                    matmul(dv, Accum::Add, rows(p, br, bc).transpose(), dy, Par::Seq);
                    matmul(rows_mut(dp, br, bc), Accum::Replace, dy, v.transpose(), Par::Seq);
                    for (r, (ds, pr)) in dp.chunks_exact_mut(bc).zip(p.chunks_exact(bc)).enumerate() {
                        let d = d_row[i0 + r];
                        ds.iter_mut().zip(pr).for_each(|(g, &p)| *g = p * (*g - d) * scale(hd));
                    }
                    let ds = rows(dp, br, bc);
                    matmul(rows_mut(&mut dq[i0 * hd..], br, hd), Accum::Add, ds, k, Par::Seq);
                    matmul(rows_mut(&mut dk[j0 * hd..], bc, hd), Accum::Add, ds.transpose(), q, Par::Seq);
                }
            }
        }
    });
    gather_heads(dqkv, scratch, 3, b, t, c, n_heads, par);
}

/// Put each (batch row, head) unit's `n_planes` contiguous (t, hd) planes, which start at
/// `u · per` in `units` for unit `u`, into the (b·t, n_planes·c) rows of `dst`: plane `p` of head
/// `h` becomes columns `p·c + h·hd ..` (the layout of qkv, whose planes are q, k and v).
#[allow(clippy::too_many_arguments)]
fn gather_heads(
    dst: &mut [f32],
    units: &[f32],
    n_planes: usize,
    b: usize,
    t: usize,
    c: usize,
    n_heads: usize,
    par: Par,
) {
    let (width, hd) = (n_planes * c, c / n_heads);
    let per = scratch_floats(t, hd);
    for_each_row_block(Rows::new(&mut dst[..b * t * width], width), b * t, 1, par, &|r0, mut dst| {
        for (r, row) in (r0..).zip(dst.chunks_exact_mut(width)) {
            let (bi, i) = (r / t, r % t);
            for h in 0..n_heads {
                let unit = &units[(bi * n_heads + h) * per..];
                for p in 0..n_planes {
                    let src = &unit[(p * t + i) * hd..(p * t + i + 1) * hd];
                    row[p * c + h * hd..p * c + (h + 1) * hd].copy_from_slice(src);
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
            &[(1, 1, 4, 2), (2, 3, 8, 2), (3, 63, 8, 1), (2, 64, 16, 4), (2, 65, 8, 2), (1, 200, 8, 2), (1, 300, 16, 4)]
        {
            let hd = c / nh;
            let (mut qkv, mut dout) = (vec![0.0; b * t * 3 * c], vec![0.0; b * t * c]);
            rng.fork(t as u64).fill_normal(&mut qkv, 1.0);
            rng.fork(t as u64 + 1).fill_normal(&mut dout, 1.0);
            let (mut want, mut att) = (vec![0.0; b * t * c], vec![0.0; b * nh * t * t]);
            attention::forward(&mut want, &mut att, &qkv, b, t, c, nh, Par::Seq);
            let mut want_d = vec![0.0; b * t * 3 * c];
            attention::backward(&mut want_d, &mut vec![0.0; b * t * t], &dout, &qkv, &att, b, t, c, nh, Par::Seq);
            // Units are (batch row, head): 5 threads split b = 1, 4 heads across all of them.
            for threads in [1, 2, 3, 5] {
                let (mut out, mut lse) = (vec![f32::NAN; b * t * c], vec![0.0; b * nh * t]);
                let mut scratch = vec![f32::NAN; b * nh * scratch_floats(t, hd)];
                // The tiled backward overwrites dqkv: what was there before must not matter.
                let mut d = vec![f32::NAN; b * t * 3 * c];
                Threads::new(threads).unwrap().install(|e| {
                    forward(&mut out, &mut lse, &mut scratch, &qkv, b, t, c, nh, e.par);
                    backward(&mut d, &mut scratch, &dout, &qkv, &out, &lse, b, t, c, nh, e.par);
                });
                // A NaN left anywhere (an element never written) counts as an infinite error:
                // `f32::max` alone would skip it.
                let close = |x: &[f32], y: &[f32]| {
                    let err = |(a, b): (&f32, &f32)| if (a - b).is_nan() { f32::INFINITY } else { (a - b).abs() };
                    x.iter().zip(y).map(err).fold(0.0, f32::max)
                };
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
